//! The request body: JSON fields, a multipart form, or any JSON.

use super::FileCx;
use super::fields::{FieldPlace, lower_fields};
use crate::ir::*;
use crate::locate::KeyPath;
use crate::names::*;
use crate::spec::*;

pub(super) fn lower_body(cx: &mut FileCx<'_>, body: Option<&BodySpec>, prefix: &str) -> Body {
    let Some(body) = body else { return Body::None };
    let path = KeyPath::default().key("body");
    cx.unknown_keys::<BodySpec>(&path, &body.unknown);
    if body.doc.is_some() && body.kind.as_deref() != Some("any_json") {
        cx.error(&path.key("doc"), "`doc` belongs to an `any_json` body");
    }
    match body.kind.as_deref() {
        Some("any_json") => {
            if !body.fields.is_empty() || body.file.is_some() {
                cx.error(&path, "an `any_json` body has no `fields` or `file`: the caller passes the whole JSON value");
            }
            let doc = cx.required_str(&path, "doc", &body.doc).unwrap_or_default().trim().to_owned();
            Body::AnyJson(doc)
        }
        Some("json") => {
            if body.file.is_some() {
                cx.error(&path.key("file"), "`file` belongs to a multipart body");
            }
            Body::Json(lower_fields(cx, &path.key("fields"), &body.fields, prefix, FieldPlace::Request))
        }
        Some("multipart") => lower_multipart(cx, body, prefix),
        Some(other) => {
            cx.error(&path.key("kind"), format!("body kind `{other}` is not known; use `json`, `multipart` or `any_json`"));
            Body::None
        }
        None => {
            cx.error(&path, "missing required key `kind` (`json`, `multipart` or `any_json`)");
            Body::None
        }
    }
}

fn lower_multipart(cx: &mut FileCx<'_>, body: &BodySpec, prefix: &str) -> Body {
    let path = KeyPath::default().key("body");
    let fields = lower_fields(cx, &path.key("fields"), &body.fields, prefix, FieldPlace::Multipart);
    let Some(file) = &body.file else {
        cx.error(&path, "a multipart body needs `file` (the part that carries the file)");
        return Body::None;
    };
    let file_path = path.key("file");
    cx.unknown_keys::<FileSpec>(&file_path, &file.unknown);
    let part = cx.required_str(&file_path, "name", &file.name).unwrap_or_default().to_owned();
    let doc = cx.required_str(&file_path, "doc", &file.doc).unwrap_or_default().to_owned();
    if !part.is_empty() && (!is_snake_case(&part) || is_keyword(&part)) {
        cx.error(&file_path.key("name"), format!("file part `{part}` must be a snake_case name that is not a keyword"));
    }
    Body::Multipart { file_part: part, file_doc: doc, fields }
}
