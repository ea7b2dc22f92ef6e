//! What a successful call returns.

use super::FileCx;
use super::fields::{FieldPlace, lower_fields};
use crate::ir::*;
use crate::locate::KeyPath;
use crate::spec::*;

pub(super) fn lower_response(cx: &mut FileCx<'_>, response: Option<&ResponseSpec>, prefix: &str) -> Response {
    let Some(response) = response else {
        cx.error(&KeyPath::default(), "missing required key `response`");
        return Response::Ack;
    };
    let path = KeyPath::default().key("response");
    cx.unknown_keys::<ResponseSpec>(&path, &response.unknown);
    let kind = response.kind.as_deref();
    if kind != Some("json") && !response.fields.is_empty() {
        cx.error(&path.key("fields"), "only a `json` response lists fields");
    }
    match kind {
        Some("json") => Response::Json(lower_json_fields(cx, response, prefix)),
        Some("binary") => Response::Binary,
        Some("ack") => Response::Ack,
        Some(other) => {
            cx.error(&path.key("kind"), format!("response kind `{other}` is not known; use `json`, `binary` or `ack`"));
            Response::Ack
        }
        None => {
            cx.error(&path, "missing required key `kind` (`json`, `binary` or `ack`)");
            Response::Ack
        }
    }
}

fn lower_json_fields(cx: &mut FileCx<'_>, response: &ResponseSpec, prefix: &str) -> Vec<Field> {
    let path = KeyPath::default().key("response").key("fields");
    let fields = lower_fields(cx, &path, &response.fields, &format!("{prefix}Response"), FieldPlace::Response);
    for (i, field) in response.fields.iter().enumerate() {
        if matches!(field.name.as_deref(), Some("errcode" | "errmsg")) {
            cx.error(&path.index(i).key("name"), "errcode and errmsg are handled by the client; do not list them");
        }
    }
    fields
}
