//! `signing`: the signatures the client computes over the request it sends.

use super::FileCx;
use crate::ir::*;
use crate::locate::KeyPath;
use crate::spec::SigningSpec;

/// Query parameters the client writes itself when the call is signed.
const SIGNATURE_PARAMETERS: &[&str] = &["pay_sig", "signature"];

/// What `signing` is checked against.
pub(super) struct Request<'a> {
    pub query: &'a [Field],
    pub body: &'a Body,
    pub response: &'a Response,
    pub method: Option<HttpMethod>,
    pub auth: Option<Auth>,
}

/// The payment signatures and the API security mode a spec asks for.
pub(super) fn lower_signing(cx: &mut FileCx<'_>, spec: &SigningSpec, request: &Request<'_>) -> (Option<Signing>, Option<ApiSecurity>) {
    let path = KeyPath::default().key("signing");
    cx.unknown_keys::<SigningSpec>(&path, &spec.unknown);
    let api_security = lower_api_security(cx, spec, request);
    let user_signature = spec.user_signature.unwrap_or(false);
    if spec.pay_sig.is_none() && !user_signature {
        if spec.api_security.is_none() {
            cx.error(&path, "`signing` names no signature; give `pay_sig`, `user_signature: true`, `api_security`, or several");
        }
        if let Some(env) = &spec.env {
            cx.error(&path.key("env"), format!("`env: {env}` picks the AppKey of `pay_sig`, which this spec does not have"));
        }
        return (None, api_security);
    }
    (lower_payment_signatures(cx, spec, request), api_security)
}

/// `api_security`: `supported` or `required`, on a call the mode can carry
/// (a POST of JSON with an access token, answered with JSON).
fn lower_api_security(cx: &mut FileCx<'_>, spec: &SigningSpec, request: &Request<'_>) -> Option<ApiSecurity> {
    let path = KeyPath::default().key("signing").key("api_security");
    let mode = match spec.api_security.as_deref()? {
        "supported" => ApiSecurity::Supported,
        "required" => ApiSecurity::Required,
        other => {
            cx.error(&path, format!("api_security `{other}` is not known; use `supported` or `required`"));
            return None;
        }
    };
    let fits = request.method == Some(HttpMethod::Post)
        && matches!(request.body, Body::Json(_) | Body::None)
        && matches!(request.response, Response::Json(_) | Response::Ack)
        && request.auth == Some(Auth::AccessToken);
    if !fits {
        cx.error(
            &path,
            "the API security mode carries a POST with a JSON body (or none) and an access token, answered with JSON; \
             uploads, GETs and file answers are sent plain",
        );
    }
    Some(mode)
}

/// `pay_sig` and `signature`.
fn lower_payment_signatures(cx: &mut FileCx<'_>, spec: &SigningSpec, request: &Request<'_>) -> Option<Signing> {
    let path = KeyPath::default().key("signing");
    let Request { query, body, auth, .. } = *request;
    let pay_sig = match spec.pay_sig.as_deref() {
        None => None,
        Some("virtual_payment") => Some(PayKey::VirtualPayment),
        Some("b2b_store") => Some(PayKey::B2bStore),
        Some(other) => {
            // Reported, and the rest still checked: every mistake at once.
            cx.error(&path.key("pay_sig"), format!("pay_sig `{other}` is not known; use `virtual_payment` or `b2b_store`"));
            None
        }
    };
    let user_signature = spec.user_signature.unwrap_or(false);
    if !matches!(body, Body::Json(_)) {
        cx.error(&path, "signatures cover the JSON body sent; a signed call needs `body: {kind: json}`");
    }
    if auth != Some(Auth::AccessToken) {
        cx.error(&path, "signed calls are payment calls that also carry `auth: access_token`");
    }
    for (i, field) in query.iter().enumerate() {
        if SIGNATURE_PARAMETERS.contains(&field.wire_name.as_str()) {
            cx.error(
                &KeyPath::default().key("query").index(i),
                format!("`{}` is computed by the client when the spec has `signing`; remove it from `query`", field.wire_name),
            );
        }
    }
    if user_signature && query.iter().chain(body.fields()).any(|f| f.rust_name == "session_key") {
        cx.error(&path.key("user_signature"), "the request holds the session key as `session_key`; no field may have that name");
    }
    let env_field = spec.env.clone();
    if let Some(env) = &env_field {
        if spec.pay_sig.is_none() {
            cx.error(&path.key("env"), "`env` picks the AppKey of `pay_sig`, which this spec does not have");
        }
        match body.fields().iter().find(|f| &f.wire_name == env) {
            Some(field) if matches!(field.ty, Type::Int(_) | Type::Enum(_)) => {}
            Some(_) => cx.error(&path.key("env"), format!("`{env}` must be an integer body field (0 production, 1 sandbox)")),
            None => cx.error(&path.key("env"), format!("`{env}` is not a field of the body")),
        }
    }
    (pay_sig.is_some() || user_signature).then_some(Signing { pay_sig, env_field, user_signature })
}
