//! The API catalog (`API.md`): every endpoint by category with its method,
//! path, response kind, error codes and docs link. A Markdown file, so it is
//! rendered with `tera` rather than emitted as tokens.

use serde::Serialize;

use crate::ir::{Api, EventReply, HttpMethod, Response};

const TEMPLATE: &str = include_str!("../templates/catalog.md.tera");

#[derive(Serialize)]
struct EndpointRow<'a> {
    name: &'a str,
    method_name: &'a str,
    http_method: &'static str,
    path: &'a str,
    response: &'static str,
    retry_safe: bool,
    errors: String,
    docs: &'a str,
}

#[derive(Serialize)]
struct CategoryRows<'a> {
    name: &'a str,
    endpoints: Vec<EndpointRow<'a>>,
}

#[derive(Serialize)]
struct EventRow<'a> {
    name: &'a str,
    category: &'a str,
    msg_type: &'a str,
    event: &'a str,
    reply: &'static str,
    docs: &'a str,
}

/// Renders `API.md`.
pub fn render(api: &Api) -> Result<String, String> {
    let categories: Vec<CategoryRows<'_>> = api
        .categories()
        .into_iter()
        .map(|(name, endpoints)| CategoryRows {
            name,
            endpoints: endpoints
                .into_iter()
                .map(|e| EndpointRow {
                    name: &e.name,
                    method_name: &e.method_name,
                    http_method: match e.http_method {
                        HttpMethod::Get => "GET",
                        HttpMethod::Post => "POST",
                    },
                    path: &e.path,
                    response: match e.response {
                        Response::Json(_) => "json",
                        Response::Binary => "binary",
                        Response::Ack => "ack",
                    },
                    retry_safe: e.retry_safe,
                    errors: if e.errors.is_empty() {
                        "shared only".to_owned()
                    } else {
                        e.errors.iter().map(|c| c.code.to_string()).collect::<Vec<_>>().join(", ")
                    },
                    docs: &e.docs_url,
                })
                .collect(),
        })
        .collect();
    let events: Vec<EventRow<'_>> = api
        .events
        .iter()
        .map(|e| EventRow {
            name: &e.name,
            category: &e.category,
            msg_type: if e.info_type.is_some() { "" } else { &e.msg_type },
            event: e.event.as_deref().or(e.info_type.as_deref()).unwrap_or(""),
            reply: match e.reply {
                EventReply::Success => "success",
                EventReply::ErrCode => "ErrCode",
                EventReply::Custom => "result object",
            },
            docs: &e.docs_url,
        })
        .collect();
    let mut context = tera::Context::new();
    context.insert("events", &events);
    context.insert("total", &api.endpoints.len());
    context.insert("categories", &categories);
    tera::Tera::one_off(TEMPLATE, &context, false).map_err(|e| format!("the catalog template failed: {e:?}"))
}
