//! The push receiver as an axum route (feature `receive-axum`):
//!
//! ```no_run
//! use wxa::receive::{Event, PushReceiver, Reply};
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let receiver = PushReceiver::new("wx_app_id", "Token").encoding_aes_key("EncodingAESKey-43-characters-long-xxxxxxxxxx")?;
//! let app: axum::Router = axum::Router::new().route(
//!     "/wechat/push",
//!     wxa::receive::axum::push_route(receiver, |pushed| async move {
//!         if let Ok(pushed) = pushed
//!             && let Event::CustomerServiceText(text) = pushed.event
//!         {
//!             println!("{} wrote {}", pushed.header.from_user_name, text.content);
//!         }
//!         Reply::Success
//!     }),
//! );
//! # let _ = app; Ok(()) }
//! ```
//!
//! GET answers the URL check; POST verifies (and decrypts) the push, reads
//! it into its event, calls the handler and answers with its [`Reply`],
//! encrypted when the push was. A request that fails verification is
//! refused (403, or 400 when it is not a push at all) without calling the
//! handler, and logged at `warn` by kind only: nothing of the request or
//! of the keys reaches the log.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::{EventError, PushError, PushFormat, PushReceiver, Pushed, Received, Reply};

/// A route for the push URL: GET and POST, handled by `receiver` and
/// `handler`. The handler gets the push read into its event, or why a
/// verified push did not fit its spec (answer it anyway: WeChat's retry
/// would not fix it).
pub fn push_route<S, H, F>(receiver: PushReceiver, handler: H) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    H: Fn(Result<Pushed, EventError>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let receiver = Arc::new(receiver);
    let serve = move |method: Method, RawQuery(query): RawQuery, body: Bytes| {
        let (receiver, handler) = (receiver.clone(), handler.clone());
        async move { respond(&receiver, handler, method, query.unwrap_or_default(), body).await }
    };
    axum::routing::get(serve.clone()).post(serve)
}

async fn respond<H, F>(receiver: &PushReceiver, handler: H, method: Method, query: String, body: Bytes) -> Response
where
    H: Fn(Result<Pushed, EventError>) -> F,
    F: Future<Output = Reply>,
{
    let push = match receiver.receive_shared(method.as_str(), &query, &body).await {
        Ok(Received::UrlCheck { echostr }) => return text_response(echostr, "text/plain; charset=utf-8"),
        Ok(Received::Push(push)) => push,
        Err(error) => return refuse(&error),
    };
    let reply = handler(push.event()).await;
    match receiver.reply(&push, &reply) {
        Ok(body) => {
            let content_type = match (&reply, push.format) {
                (Reply::Success | Reply::Empty, _) => "text/plain; charset=utf-8",
                (_, PushFormat::Json) => "application/json",
                (_, PushFormat::Xml) => "application/xml",
            };
            text_response(body, content_type)
        }
        Err(error) => {
            tracing::warn!(error = %error, "wxa: could not encrypt the reply to a push");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn text_response(body: String, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// 403 for what fails verification, 400 for what is not a push.
fn refuse(error: &PushError) -> Response {
    tracing::warn!(error = %error, "wxa: refused a request to the push URL");
    let status = match error {
        PushError::Missing(_) | PushError::Method => StatusCode::BAD_REQUEST,
        // The receiver's configuration, not the request, is at fault.
        PushError::NoKey => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::FORBIDDEN,
    };
    status.into_response()
}
