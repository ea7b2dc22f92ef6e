//! Pushed messages and events (`<category>/events/<name>.yaml`): their
//! header keys, the value that picks them out of a push, and their members
//! (read like a response's).

use std::collections::BTreeMap;

use super::FileCx;
use super::fields::{FieldPlace, lower_fields};
use crate::ir::*;
use crate::load::{LoadedFile, SpecSet};
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

/// The members every push carries; the runtime reads them into its header.
const HEADER_MEMBERS: &[&str] = &["ToUserName", "FromUserName", "CreateTime", "MsgType", "Event"];

/// Variant names the `Event` enum keeps for itself.
const RESERVED_VARIANTS: &[&str] = &["Unknown", "Other", "Common", "Event"];

pub(super) fn lower_event(cx: &mut FileCx<'_>, loaded: &LoadedFile<EventSpec>) -> Option<PushEvent> {
    let spec = &loaded.spec;
    let root = KeyPath::default();
    cx.unknown_keys::<EventSpec>(&root, &spec.unknown);
    let name = cx.required_str(&root, "name", &spec.name);
    if let Some(name) = name {
        check_event_name(cx, name, &loaded.file.stem);
    }
    let (summary, docs) = super::endpoint::summary_and_docs(cx, &spec.summary, &spec.docs);
    let category = cx.required_str(&root, "category", &spec.category);
    if let Some(category) = category {
        super::endpoint::check_category(cx, category, &loaded.file.category);
    }
    let (msg_type, event) = lower_selector(cx, spec);
    let reply = lower_reply(cx, spec.reply.as_deref());
    if let Some(wrapper) = &spec.xml_wrapper
        && !is_xml_name(wrapper)
    {
        cx.error(&root.key("xml_wrapper"), format!("xml_wrapper `{wrapper}` must be an XML element name"));
    }
    let fields = lower_members(cx, &spec.fields, name.unwrap_or_default());
    Some(PushEvent {
        name: name?.to_owned(),
        source_file: loaded.file.path.clone(),
        summary: summary?.trim().to_owned(),
        docs_url: docs?.to_owned(),
        category: category?.to_owned(),
        msg_type: msg_type?,
        event,
        info_type: spec.info_type.clone(),
        reply: reply?,
        xml_wrapper: spec.xml_wrapper.clone(),
        notes: spec.notes.as_ref().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        fields,
    })
}

fn check_event_name(cx: &mut FileCx<'_>, name: &str, stem: &str) {
    let at = KeyPath::default().key("name");
    if !is_upper_camel_case(name) {
        cx.error(&at, format!("event name `{name}` must be UpperCamelCase (e.g. `CustomerServiceImage`)"));
        return;
    }
    if RESERVED_VARIANTS.contains(&name) || is_reserved_type_name(name) {
        cx.error(&at, format!("event name `{name}` is reserved"));
    }
    let expected = snake_case(name);
    if stem != expected {
        cx.error(&at, format!("event `{name}` belongs in a file named `{expected}.yaml`, not `{stem}.yaml`"));
    }
}

/// `msg_type`, and `event` exactly when `msg_type` is `event`; or
/// `info_type` alone (the empty `msg_type`).
fn lower_selector(cx: &mut FileCx<'_>, spec: &EventSpec) -> (Option<String>, Option<String>) {
    let root = KeyPath::default();
    if let Some(info_type) = &spec.info_type {
        if spec.msg_type.is_some() || spec.event.is_some() {
            cx.error(&root.key("info_type"), "a push has `info_type` or `msg_type` (with `event`), not both");
        }
        if !is_xml_name(info_type) {
            cx.error(&root.key("info_type"), format!("info_type `{info_type}` must be a single word as WeChat sends it"));
        }
        return (Some(String::new()), None);
    }
    let msg_type = cx.required_str(&root, "msg_type", &spec.msg_type).map(str::to_owned);
    if let Some(msg_type) = &msg_type
        && !is_xml_name(msg_type)
    {
        cx.error(&root.key("msg_type"), format!("msg_type `{msg_type}` must be a single word as WeChat sends it"));
    }
    let event = match (msg_type.as_deref(), &spec.event) {
        (Some("event"), None) => {
            cx.error(&root, "missing required key `event` (the `Event` value of a `msg_type: event` push)");
            None
        }
        (Some("event"), Some(event)) if !is_xml_name(event) => {
            cx.error(&root.key("event"), format!("event `{event}` must be a single word as WeChat sends it"));
            None
        }
        (Some(msg_type), Some(_)) if msg_type != "event" => {
            cx.error(&root.key("event"), format!("only a `msg_type: event` push has an `event`; this one is `{msg_type}`"));
            None
        }
        (_, event) => event.clone(),
    };
    (msg_type, event)
}

fn lower_reply(cx: &mut FileCx<'_>, reply: Option<&str>) -> Option<EventReply> {
    let at = KeyPath::default();
    match reply {
        Some("success") => Some(EventReply::Success),
        Some("err_code") => Some(EventReply::ErrCode),
        Some("custom") => Some(EventReply::Custom),
        Some(other) => {
            cx.error(&at.key("reply"), format!("reply `{other}` is not known; use `success`, `err_code` or `custom`"));
            None
        }
        None => {
            cx.error(&at, "missing required key `reply` (`success`, `err_code` or `custom`)");
            None
        }
    }
}

fn lower_members(cx: &mut FileCx<'_>, specs: &[FieldSpec], name: &str) -> Vec<Field> {
    let path = KeyPath::default().key("fields");
    let fields = lower_fields(cx, &path, specs, name, FieldPlace::Response);
    for (i, spec) in specs.iter().enumerate() {
        if let Some(member) = spec.name.as_deref().filter(|m| HEADER_MEMBERS.contains(m)) {
            cx.error(&path.index(i).key("name"), format!("`{member}` is in every push's header; do not list it"));
        }
    }
    fields
}

/// A name as WeChat writes elements and values: letters, digits, `_`, `.`
/// and `-`, starting with a letter or `_`.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Across event files: one spec per `MsgType`/`Event` pair (events compare
/// without case, as WeChat's do), and each in a category with endpoints.
pub(super) fn check_events(set: &SpecSet, events: &[PushEvent], endpoints: &[Endpoint], cx_for: &mut dyn FnMut(usize, &KeyPath, String)) {
    let mut seen: BTreeMap<(String, String), &str> = BTreeMap::new();
    let categories: std::collections::BTreeSet<&str> = endpoints.iter().map(|e| e.category.as_str()).collect();
    for event in events {
        let Some(index) = set.events.iter().position(|l| l.file.path == event.source_file) else { continue };
        let key = match &event.info_type {
            Some(info_type) => ("InfoType".to_owned(), info_type.clone()),
            None => (event.msg_type.clone(), event.event.as_deref().unwrap_or("").to_ascii_lowercase()),
        };
        let selector = KeyPath::default().key(match (&event.info_type, &event.event) {
            (Some(_), _) => "info_type",
            (None, Some(_)) => "event",
            (None, None) => "msg_type",
        });
        if let Some(other) = seen.insert(key, &event.source_file) {
            cx_for(index, &selector, format!("this push is also described by {other}"));
        }
        if !categories.contains(event.category.as_str()) {
            let at = KeyPath::default().key("category");
            cx_for(index, &at, format!("category `{}` has no endpoints; put the event beside its category's endpoints", event.category));
        }
    }
}
