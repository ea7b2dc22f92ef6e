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
            if !body.fields.is_empty() || !body.files.is_empty() {
                cx.error(&path, "an `any_json` body has no `fields` or `files`: the caller passes the whole JSON value");
            }
            let doc = cx.required_str(&path, "doc", &body.doc).unwrap_or_default().trim().to_owned();
            Body::AnyJson(doc)
        }
        Some("json") => {
            if !body.files.is_empty() {
                cx.error(&path.key("files"), "`files` belong to a multipart body");
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
    if body.files.is_empty() {
        cx.error(&path, "a multipart body needs `files` (the parts that carry files)");
        return Body::None;
    }
    let mut files: Vec<FilePart> = Vec::new();
    for (i, file) in body.files.iter().enumerate() {
        let here = path.key("files").index(i);
        let Some(part) = lower_file(cx, &here, file) else { continue };
        if files.iter().any(|f| f.name == part.name) {
            cx.error(&here.key("name"), format!("file part `{}` is listed twice", part.name));
        }
        files.push(part);
    }
    Body::Multipart { files, fields }
}

pub(super) fn lower_file(cx: &mut FileCx<'_>, here: &KeyPath, file: &FileSpec) -> Option<FilePart> {
    cx.unknown_keys::<FileSpec>(here, &file.unknown);
    let name = cx.required_str(here, "name", &file.name);
    let doc = cx.required_str(here, "doc", &file.doc);
    if let Some(name) = name
        && (!is_snake_case(name) || is_keyword(name))
    {
        cx.error(&here.key("name"), format!("file part `{name}` must be a snake_case name that is not a keyword"));
    }
    Some(FilePart { name: name?.to_owned(), doc: doc?.trim().to_owned(), required: file.required.unwrap_or(true) })
}
