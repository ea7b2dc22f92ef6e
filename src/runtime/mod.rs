//! The contract between generated code and the hand-written runtime.
//!
//! Code that `wxa-codegen` writes names only this module (through the
//! crate path it is given, `crate` inside wxa and `wxa` in other crates),
//! so a downstream crate can generate endpoints wxa lacks from its own
//! specs and call them through its [`Client`] with the same tokens,
//! retries, errors, checks and fake-server contract. The items are:
//!
//! - what an endpoint tells the client ([`EndpointMeta`]) and how a request
//!   becomes query and body ([`Operation`], [`RequestParts`],
//!   [`RequestBody`]);
//! - [`call`] and [`call_stream`], which run an operation through a client;
//! - how answers are read ([`SuccessBody`], [`decode_json`], [`lenient`]);
//! - the checks of documented limits ([`check`]);
//! - what each pushed event's spec tells the push receiver ([`event`]);
//! - the macros that write the behaviour every endpoint shares once
//!   ([`api_error!`](crate::runtime::api_error),
//!   [`common_error!`](crate::runtime::common_error),
//!   [`string_enum!`](crate::runtime::string_enum),
//!   [`int_enum!`](crate::runtime::int_enum),
//!   [`setters!`](crate::runtime::setters));
//! - re-exports of the public types generated code uses, and of `serde`
//!   and `serde_json`, so a downstream crate needs no other dependency.
//!
//! Users of the generated API rarely need this module; it is public so the
//! generated code of other crates can reach it.

pub mod check;
mod decode;
pub mod event;
pub mod lenient;
mod macros;
mod operation;
pub mod read;
pub(crate) mod sign;

use std::future::Future;

pub use serde::{self, Deserialize, Serialize};
pub use serde_json;

pub use crate::client::Client;
pub use crate::error::{ApiError, Error, ErrorBody, ErrorKind, PrepareError, RetryKind};
pub use crate::media::MediaStreamError;
pub use crate::media::{Media, MediaStream, Upload};
pub use crate::secret::{Secret, serialize_exposed, serialize_exposed_option, serialize_redacted, serialize_redacted_option};
pub use crate::store::RateLimit;
/// The fake WeChat server and the assertions of generated contract tests.
#[cfg(feature = "testing")]
pub use crate::testing;
pub use crate::{
    __wxa_answer_object as answer_object, __wxa_api_error as api_error, __wxa_common_error as common_error, __wxa_int_enum as int_enum,
    __wxa_setters as setters, __wxa_string_enum as string_enum,
};
pub use decode::{DecodeFailure, SuccessBody, decode_json};
pub(crate) use decode::{Outcome, RawResponse, classify, is_textual};
pub use operation::{ApiSecurityMode, Auth, Credentials, EndpointMeta, HttpMethod, Operation, RequestBody, RequestParts, ResponseKind};
pub use sign::{PayEnv, PayKey, Signing};

/// A call in flight: `.await` it for the endpoint's answer `T` or an
/// [`Error`] with the endpoint's error enum `E`. Every client method
/// returns one; it is `Send`, so it can be spawned.
pub trait Call<T, E>: Future<Output = Result<T, Error<E>>> + Send {}

impl<T, E, F: Future<Output = Result<T, Error<E>>> + Send> Call<T, E> for F {}

/// Runs one call of `request` through `client`: tokens, limits, retries,
/// classification of the answer and the endpoint's own decoding. Every
/// generated method ends here.
#[inline]
pub fn call<O: Operation>(client: &Client, request: O) -> impl Call<O::Output, O::Error> + '_ {
    client.execute(request)
}

/// Like [`call`], for binary endpoints: hands the file back as it arrives.
#[inline]
pub fn call_stream<O: Operation>(client: &Client, request: O) -> impl Call<MediaStream, O::Error> + '_ {
    client.execute_stream(request)
}
