//! A verified push read into its typed event ([`Push::event`]), and the
//! reply WeChat expects ([`PushReceiver::reply`]).

use std::fmt;

use serde_json::{Map, Value};

use super::push::{Push, PushError, PushFormat, PushReceiver};
use super::xml;
use crate::api::events::{EVENTS, Event};
use crate::runtime::event::{EventMeta, UnknownEvent};
use crate::runtime::read::Lenient;

/// The members every push carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushHeader {
    /// `ToUserName`: the mini program's original id (`gh_…`).
    pub to_user_name: String,
    /// `FromUserName`: the user's openid, or WeChat's own for system events.
    pub from_user_name: String,
    /// `CreateTime`, in seconds.
    pub create_time: Option<i64>,
    /// `MsgType`.
    pub msg_type: String,
    /// `Event`, for `MsgType` `event`.
    pub event: Option<String>,
    /// `InfoType`, for a third-party platform's notifications (which
    /// carry `AppId`, the component app id, instead of `ToUserName`).
    pub info_type: Option<String>,
}

/// A push read into its event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Pushed {
    /// Who sent it, when, and what kind it is.
    pub header: PushHeader,
    /// The event, typed.
    pub event: Event,
}

/// Why a verified push could not be read into its event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// The message is not a JSON object or an XML document.
    Syntax(String),
    /// A member of a known event does not fit its spec.
    Member {
        /// The event (`CustomerServiceImage`).
        event: &'static str,
        /// Which member, and why.
        message: String,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Syntax(why) => write!(f, "the push is not a message: {why}"),
            EventError::Member { event, message } => write!(f, "the {event} push does not fit its spec: {message}"),
        }
    }
}

impl std::error::Error for EventError {}

impl Push {
    /// Reads the message into its event: the spec whose `MsgType` (and
    /// `Event`, compared without case) it carries, or [`Event::Unknown`].
    ///
    /// # Errors
    ///
    /// [`EventError::Syntax`] when the text is not a message,
    /// [`EventError::Member`] when a known event's member does not fit.
    pub fn event(&self) -> Result<Pushed, EventError> {
        let mut members = match self.format {
            PushFormat::Json => match serde_json::from_str::<Value>(&self.text) {
                Ok(Value::Object(members)) => members,
                Ok(_) => return Err(EventError::Syntax("a JSON value that is not an object".to_owned())),
                Err(error) => return Err(EventError::Syntax(format!("not JSON ({error})"))),
            },
            PushFormat::Xml => xml::read(&self.text).map_err(|e| EventError::Syntax(e.0))?,
        };
        let header = header(&members);
        let found = EVENTS.iter().find(|meta| meta.matches(&header.msg_type, header.event.as_deref(), header.info_type.as_deref()));
        let Some(meta) = found else {
            let unknown = UnknownEvent {
                msg_type: header.msg_type.clone(),
                event: header.event.clone(),
                info_type: header.info_type.clone(),
                text: self.text.clone(),
            };
            return Ok(Pushed { header, event: Event::Unknown(unknown) });
        };
        unwrap_xml(meta, &mut members);
        let event = (meta.decode)(members).map_err(|e| EventError::Member { event: meta.name, message: e.to_string() })?;
        Ok(Pushed { header, event })
    }
}

fn header(members: &Map<String, Value>) -> PushHeader {
    let text = |name: &str| member_text(members, name);
    let create_time = members.get("CreateTime").and_then(|v| serde::Deserialize::deserialize(Lenient(v.clone())).ok());
    PushHeader {
        to_user_name: text("ToUserName").unwrap_or_default(),
        from_user_name: text("FromUserName").unwrap_or_default(),
        create_time,
        msg_type: text("MsgType").unwrap_or_default(),
        event: text("Event"),
        info_type: text("InfoType"),
    }
}

/// A scalar member as text (XML gives text, JSON may give a number).
pub(crate) fn member_text(members: &Map<String, Value>, name: &str) -> Option<String> {
    match members.get(name) {
        Some(Value::String(text)) => Some(text.trim().to_owned()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

/// XML pushes of some events put their members inside one element (JSON
/// ones at the top level): lift them out.
fn unwrap_xml(meta: &EventMeta<Event>, members: &mut Map<String, Value>) {
    let Some(wrapper) = meta.xml_wrapper else { return };
    if let Some(Value::Object(inner)) = members.remove(wrapper) {
        for (name, value) in inner {
            members.entry(name).or_insert(value);
        }
    }
}

/// What to answer a push with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `success`: received (never encrypted).
    Success,
    /// An empty body: received (never encrypted).
    Empty,
    /// `ErrCode` and `ErrMsg`, which virtual-payment notifications expect
    /// (0 and `success` when handled; WeChat retries otherwise).
    ErrCode {
        /// 0 when handled.
        code: i64,
        /// A reason, for WeChat's logs.
        message: String,
    },
    /// A result object, in the push's format (the express and delivery
    /// companies' replies).
    Fields(Map<String, Value>),
}

impl Reply {
    /// `ErrCode` 0, `ErrMsg` `success`.
    pub fn handled() -> Reply {
        Reply::ErrCode { code: 0, message: "success".to_owned() }
    }

    /// The reply's text in `format`, before any encryption.
    pub fn text(&self, format: PushFormat) -> String {
        let object = match self {
            Reply::Success => return "success".to_owned(),
            Reply::Empty => return String::new(),
            Reply::ErrCode { code, message } => {
                let mut object = Map::new();
                object.insert("ErrCode".to_owned(), Value::from(*code));
                object.insert("ErrMsg".to_owned(), Value::from(message.as_str()));
                object
            }
            Reply::Fields(object) => object.clone(),
        };
        match format {
            PushFormat::Json => Value::Object(object).to_string(),
            PushFormat::Xml => xml::write(&object),
        }
    }
}

impl PushReceiver {
    /// The body to answer `push` with: `reply` in the push's format,
    /// encrypted when the push was (`success` and an empty body never are).
    ///
    /// # Errors
    ///
    /// [`PushError::NoKey`] for an encrypted push without an EncodingAESKey.
    pub fn reply(&self, push: &Push, reply: &Reply) -> Result<String, PushError> {
        let text = reply.text(push.format);
        if !push.encrypted || matches!(reply, Reply::Success | Reply::Empty) {
            return Ok(text);
        }
        self.encrypt_reply(&text, push.format, &push.nonce)
    }
}
