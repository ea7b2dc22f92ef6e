//! One HTTP exchange: URL, query, body out; status, headers, bytes in.
//! The URL holds the access token, so it never leaves this module: errors
//! are stripped of it and nothing here logs.

use reqwest::Url;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

use crate::Secret;
use crate::error::{Error, ErrorBody, PrepareError, TransportError};
use crate::runtime::{EndpointMeta, HttpMethod, RawResponse, RequestBody, RequestParts};

/// The HTTP client and where it sends.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub base_url: Url,
}

impl Transport {
    /// The request URL as text: base, path, then the token and the query,
    /// form-encoded. Built as one string (no re-parsing of the base); the
    /// HTTP client parses it once.
    fn url(&self, meta: &EndpointMeta, parts: &RequestParts, token: Option<&Secret>) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        let mut url = String::with_capacity(base.len() + meta.path.len() + 64);
        url.push_str(base);
        url.push_str(meta.path);
        if token.is_some() || !parts.query.is_empty() {
            url.push('?');
            let start = url.len();
            let mut pairs = form_urlencoded::Serializer::for_suffix(&mut url, start);
            if let Some(token) = token {
                pairs.append_pair("access_token", token.expose());
            }
            for (key, value) in &parts.query {
                pairs.append_pair(key, value);
            }
            pairs.finish();
        }
        url
    }

    /// Sends once and reads the whole answer.
    pub async fn send(
        &self,
        meta: &EndpointMeta,
        parts: &RequestParts,
        token: Option<&Secret>,
        timeout: Option<std::time::Duration>,
    ) -> Result<RawResponse, Error<ErrorBody>> {
        let url = self.url(meta, parts, token);
        let method = match meta.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut request = self.http.request(method, url);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        match &parts.body {
            RequestBody::Empty => {}
            RequestBody::Json(bytes) => request = request.header(CONTENT_TYPE, "application/json").body(bytes.clone()),
            RequestBody::Multipart { file_part, upload, parts } => {
                let mut form = reqwest::multipart::Form::new();
                for (name, value) in parts {
                    form = form.text(*name, value.clone());
                }
                let file =
                    reqwest::multipart::Part::stream_with_length(reqwest::Body::from(upload.bytes.clone()), upload.bytes.len() as u64)
                        .file_name(upload.file_name.clone())
                        .mime_str(upload.effective_content_type())
                        .map_err(|_| {
                            Error::Prepare(PrepareError::Body(format!("invalid upload content type `{}`", upload.effective_content_type())))
                        })?;
                form = form.part(*file_part, file);
                request = request.multipart(form);
            }
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let header = |name| response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_owned);
        let content_type = header(CONTENT_TYPE);
        let content_disposition = header(CONTENT_DISPOSITION);
        let body = response.bytes().await.map_err(transport_error)?;
        Ok(RawResponse { status, content_type, content_disposition, body })
    }
}

fn transport_error(error: reqwest::Error) -> Error<ErrorBody> {
    if error.is_timeout() { Error::Timeout } else { Error::Transport(TransportError::new(error)) }
}
