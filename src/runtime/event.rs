//! What the generated events table tells the push receiver: for each
//! pushed message or event, the `MsgType`/`Event` pair that picks it out,
//! the reply WeChat expects, where XML puts its members, and how its
//! struct is read. The receiver (`wxa::receive`, feature `receive`) reads
//! the header, finds the row and calls its `decode`.

use crate::runtime::read::{Lenient, Members};
use serde::de::DeserializeOwned;

/// What WeChat expects back from a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventReply {
    /// `success` or an empty body.
    Success,
    /// `{"ErrCode": 0, "ErrMsg": "success"}` in the push's format
    /// (virtual-payment notifications, retried until answered so).
    ErrCode,
    /// A result object the event's page describes, built by the handler.
    Custom,
}

/// One pushed message or event, as its spec describes it. `E` is the
/// generated `Event` enum.
#[derive(Debug)]
pub struct EventMeta<E: 'static> {
    /// The `Event` variant and its struct (`CustomerServiceImage`).
    pub name: &'static str,
    /// The category folder of its spec.
    pub category: &'static str,
    /// The `MsgType` it comes with.
    pub msg_type: &'static str,
    /// The `Event` it comes with (compared without case), when `msg_type`
    /// is `event`.
    pub event: Option<&'static str>,
    /// The `InfoType` of a third-party platform's notification (its
    /// `msg_type` is then empty).
    pub info_type: Option<&'static str>,
    /// What WeChat expects back.
    pub reply: EventReply,
    /// The XML element its members sit in, in XML pushes.
    pub xml_wrapper: Option<&'static str>,
    /// The official page.
    pub docs: &'static str,
    /// Its members' shape, in the notation of `EndpointMeta::shape`.
    pub shape: &'static str,
    /// Reads the push's members (header included) into its variant.
    pub decode: fn(Members) -> Result<E, serde_json::Error>,
}

impl<E> EventMeta<E> {
    /// Whether a push with this `MsgType` and `Event`, or this `InfoType`,
    /// is this one.
    pub fn matches(&self, msg_type: &str, event: Option<&str>, info_type: Option<&str>) -> bool {
        if let Some(expected) = self.info_type {
            return info_type.is_some_and(|given| given.trim() == expected);
        }
        !msg_type.is_empty()
            && self.msg_type == msg_type
            && match self.event {
                None => true,
                Some(expected) => event.is_some_and(|given| given.trim().eq_ignore_ascii_case(expected)),
            }
    }
}

/// Reads an event's struct from the push's members, leniently (numbers
/// sent as text, one item where a list is documented).
///
/// # Errors
///
/// When a member does not fit its documented type, or a required one is
/// missing.
pub fn decode_members<T: DeserializeOwned>(members: Members) -> Result<T, serde_json::Error> {
    T::deserialize(Lenient(serde_json::Value::Object(members)))
}

/// A push no spec describes, or of a category this build leaves out: the
/// message whole, as it was received (decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent {
    /// The `MsgType` it came with (empty when it had none).
    pub msg_type: String,
    /// The `Event` it came with, if any.
    pub event: Option<String>,
    /// The `InfoType` it came with, if any (a third-party platform's notification).
    pub info_type: Option<String>,
    /// The message's text, JSON or XML as WeChat sent it.
    pub text: String,
}
