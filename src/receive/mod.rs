//! What WeChat sends to your server (feature `receive`): pushed messages
//! and events ([`PushReceiver`]), and the user data a mini program hands
//! over encrypted with the user's session key ([`open_data`]).
//!
//! AES-CBC comes from RustCrypto's `aes` and `cbc` crates, SHA-1 from
//! `ring`; both schemes are WeChat's, described on
//! <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>
//! and <https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html>.

#[cfg(feature = "receive-axum")]
pub mod axum;
mod event;
pub mod open_data;
mod push;
pub(crate) mod xml;

pub use crate::api::events::{EVENTS, Event};
pub use crate::runtime::event::{EventMeta, EventReply, UnknownEvent};
#[cfg(feature = "testing")]
pub(crate) use event::member_text;
pub use event::{EventError, PushHeader, Pushed, Reply};
#[cfg(feature = "testing")]
pub(crate) use push::random_prefix;
pub use push::{Push, PushError, PushFormat, PushKeyError, PushReceiver, Received};

/// Lowercase hex SHA-1 of the parts, concatenated.
fn sha1_hex(parts: &[&[u8]]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    for part in parts {
        context.update(part);
    }
    context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two signatures without stopping at the first difference.
fn same_signature(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.trim().to_ascii_lowercase());
    a.len() == b.len() && a.iter().zip(b.as_bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
