//! # wxa
//!
//! A typed async client for the WeChat Mini Program (微信小程序) server API,
//! generated from one YAML spec per endpoint (`specs/`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use wxa::api::customer_service::{GetTempMediaError, GetTempMediaRequest};
//!
//! let client = wxa::Client::new("wx1234567890abcdef", "app-secret")?;
//! match client.get_temp_media(GetTempMediaRequest::new("MEDIA_ID")).await {
//!     Ok(media) => println!("{} bytes of {:?}", media.bytes.len(), media.content_type),
//!     Err(error) => match error.kind() {
//!         wxa::ErrorKind::Api(GetTempMediaError::InvalidMediaId(body)) => {
//!             println!("expired media id (rid {:?})", body.rid())
//!         }
//!         // One line: endpoint, what happened, attempts and time taken.
//!         _ => return Err(error.into()),
//!     },
//! }
//! # Ok(()) }
//! ```
//!
//! - Every endpoint is a method on [`Client`], with a request type, a
//!   response type and an error enum in [`api`].
//! - Access tokens are fetched, cached, shared by all calls and refreshed
//!   when WeChat rejects them (one refresh and one retry, never a loop).
//! - Binary endpoints return [`Media`], and a JSON error is never mistaken
//!   for file bytes, whatever its content type. Each also has a `…_stream`
//!   form returning a [`MediaStream`] for files too large to hold in
//!   memory; uploads stream from a file or a reader ([`Upload`]).
//! - The app secret and tokens never appear in `Debug`, `Display`, errors
//!   or logs.

#![warn(missing_docs)]

mod api_security;
mod client;
mod error;
mod media;
pub mod platform;
mod rate_limit;
#[cfg(feature = "receive")]
pub mod receive;
pub mod runtime;
mod secret;
pub mod store;
mod tls;
mod token;
mod transport;

#[cfg(feature = "testing")]
pub mod testing;

/// Generated from `specs/`: one module per category, each behind the cargo
/// feature of its name (all on by default), with each endpoint's request,
/// response and error types. The client methods are on [`Client`].
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/api/mod.rs"));
}

pub use api_security::{ApiSecurityError, ApiSecurityKeyError, ApiSecurityKeys};
pub use client::{BuildError, CLOUD_RUN_BASE_URL, Client, ClientBuilder, DEFAULT_BASE_URL, RetryPolicy};
pub use error::{
    ApiError, CallInfo, DecodeError, Error, ErrorBody, ErrorKind, Limit, PrepareError, RawBody, RetryKind, TokenError, TokenErrorKind,
    TransportError, TransportPhase,
};
pub use media::{Media, MediaStream, MediaStreamError, Upload};
pub use rate_limit::RateLimits;
pub use runtime::{PayEnv, PayKey};
pub use secret::Secret;
pub use token::{AccessToken, BoxFuture, TokenSource, token_source_fn};

/// The code generated from the generator's fixture specs
/// (`tests/fixtures/valid`), compiled and linted with the crate's tests so
/// every feature of the spec format is known to produce working code.
/// Private here, so what a user would reach (items, re-exports) but these
/// tests do not is unused.
#[cfg(test)]
#[allow(dead_code, missing_docs, unused_imports)]
mod fixture_api {
    include!(concat!(env!("OUT_DIR"), "/fixture/mod.rs"));
}

#[cfg(all(test, feature = "testing"))]
mod fixture_tests;

/// Generated from `specs/`: every endpoint called through the client
/// against the fake server in contract mode, once for success and once for
/// a documented error.
#[cfg(all(test, feature = "testing"))]
mod contract_tests {
    include!(concat!(env!("OUT_DIR"), "/api/contract_tests.rs"));
}

/// The README's Rust examples, compiled as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
