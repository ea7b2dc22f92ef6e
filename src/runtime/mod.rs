//! The contract between generated code and the hand-written runtime: what
//! an endpoint tells the client ([`EndpointMeta`]), how a request becomes
//! query and body ([`Operation`]), and how an answer is classified
//! ([`decode`]). Generated files use only the items of this module and the
//! public types of the crate.

pub(crate) mod check;
mod decode;
pub(crate) mod lenient;
mod operation;

pub(crate) use crate::error::PrepareError;
pub(crate) use decode::{DecodeFailure, Outcome, RawResponse, SuccessBody, classify, decode_json, is_textual};
pub(crate) use operation::{Auth, Credentials, EndpointMeta, HttpMethod, Operation, RateLimit, RequestBody, RequestParts, ResponseKind};
