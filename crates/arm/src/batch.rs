//! `POST /batch`: ARM's batch API, which the Azure portal and the Ansible `azure_rm` inventory
//! plugin (its default `batch_fetch`) use to send many requests in one round trip. It is not in
//! azure-rest-api-specs; the shape is the one its clients send and read
//! (ansible-collections/azure `plugins/inventory/azure_rm.py`, `_send_batch`/`_process_queue_batch`):
//!
//! ```text
//! POST /batch?api-version=2020-06-01        (Ansible sends 2015-11-01)
//! {"requests": [{"httpMethod": "GET", "url": "https://management.azure.com/subscriptions/…?api-version=…",
//!                "name": "<guid>", "content": {…}?}, …]}          (`relativeUrl` instead of `url` too)
//! 200 {"responses": [{"name": "<guid>", "httpStatusCode": 200, "headers": {…},
//!                     "content": {…}, "contentLength": 123}, …]}    (in request order)
//! ```
//!
//! Each inner request is sent to this ARM itself, over loopback, with the outer request's
//! `Authorization` and correlation id: it passes the same gate, api-version check, authorization
//! and handler as if the client had sent it alone (a 403 or 404 inside is that request's answer,
//! the batch is still 200), and counts against the rate-limit buckets like any request. A body
//! that is not a batch (bad JSON, no `requests`, an entry without a method or URL, more than 500
//! entries) is 400 `InvalidRequestContent`, and nothing inside runs.

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::extract::ApiVersion;
use crate::{AppState, ArmError};

/// The most requests one batch may carry (Ansible's comment: "up to 500").
pub const MAX_REQUESTS: usize = 500;

/// The api-versions the batch API accepts: Ansible's 2015-11-01 and the resource API's from
/// 2020-06-01 on (the portal sends 2020-06-01).
pub fn accepts(version: &str) -> bool {
    version == "2015-11-01"
        || crate::resources::VERSIONS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(version) && *known >= "2020-06-01")
}

fn supported() -> String {
    let mut versions: Vec<&str> = crate::resources::VERSIONS
        .iter()
        .copied()
        .filter(|version| *version >= "2020-06-01")
        .collect();
    versions.push("2015-11-01");
    versions.join(",")
}

/// A batch request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchRequest {
    requests: Vec<BatchItem>,
}

/// One request of a batch.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchItem {
    http_method: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    relative_url: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    content: Option<serde_json::Value>,
}

/// A checked request: method and path-and-query on this ARM.
#[derive(Debug)]
struct Inner {
    method: reqwest::Method,
    path_and_query: String,
    name: Option<String>,
    content: Option<serde_json::Value>,
}

/// One response of a batch.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchItemResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    http_status_code: u16,
    headers: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<serde_json::Value>,
    content_length: usize,
}

/// The batch response body.
#[derive(Debug, Serialize)]
struct BatchResponse {
    responses: Vec<BatchItemResponse>,
}

/// `POST /batch`.
pub async fn post(
    state: web::Data<AppState>,
    request: HttpRequest,
    version: ApiVersion,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    request
        .extensions_mut()
        .insert(mimic_web::telemetry::OperationId("Batch"));
    if !state.settings.lenient_api_versions && !accepts(&version.0) {
        return Err(ArmError::InvalidApiVersionParameter {
            version: version.0,
            supported: supported(),
        });
    }
    let inner = parse(&body)?;
    let authorization = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let correlation = request
        .extensions()
        .get::<mimic_web::telemetry::CorrelationId>()
        .map(|correlation| correlation.0.clone());
    let base = self_url(&state);
    let responses = futures::stream::iter(inner)
        .map(|inner| send(&state, &base, &authorization, correlation.as_deref(), inner))
        .buffered(8)
        .collect::<Vec<_>>()
        .await;
    Ok(HttpResponse::Ok().json(BatchResponse { responses }))
}

/// Reads and checks the whole body before anything runs.
fn parse(body: &[u8]) -> Result<Vec<Inner>, ArmError> {
    let batch: BatchRequest = serde_json::from_slice(body)
        .map_err(|error| ArmError::InvalidRequestContent(error.to_string()))?;
    if batch.requests.len() > MAX_REQUESTS {
        return Err(ArmError::InvalidRequestContent(format!(
            "a batch carries at most {MAX_REQUESTS} requests; this one has {}",
            batch.requests.len()
        )));
    }
    batch
        .requests
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let method =
                reqwest::Method::from_bytes(item.http_method.to_ascii_uppercase().as_bytes())
                    .ok()
                    .filter(|method| {
                        [
                            reqwest::Method::GET,
                            reqwest::Method::HEAD,
                            reqwest::Method::PUT,
                            reqwest::Method::PATCH,
                            reqwest::Method::POST,
                            reqwest::Method::DELETE,
                        ]
                        .contains(method)
                    })
                    .ok_or_else(|| {
                        ArmError::InvalidRequestContent(format!(
                            "requests[{index}].httpMethod '{}' is not an HTTP method ARM serves",
                            item.http_method
                        ))
                    })?;
            let target = item.url.or(item.relative_url).ok_or_else(|| {
                ArmError::InvalidRequestContent(format!(
                    "requests[{index}] has neither url nor relativeUrl"
                ))
            })?;
            Ok(Inner {
                method,
                path_and_query: path_and_query(&target),
                name: item.name,
                content: item.content,
            })
        })
        .collect()
}

/// The path and query of an absolute URL (any host: clients write ARM's public one), or a
/// relative URL with its leading `/`.
fn path_and_query(target: &str) -> String {
    if let Ok(url) = url::Url::parse(target) {
        if url.has_host() {
            return match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            };
        }
    }
    match target.starts_with('/') {
        true => target.to_string(),
        false => format!("/{target}"),
    }
}

/// This ARM's own listener: its bound address, or loopback when it listens on every address.
fn self_url(state: &AppState) -> String {
    let host = state
        .settings
        .bind
        .rsplit_once(':')
        .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
        .filter(|host| !host.is_empty() && *host != "0.0.0.0" && *host != "::")
        .unwrap_or("127.0.0.1");
    let host = match host.contains(':') {
        true => format!("[{host}]"),
        false => host.to_string(),
    };
    format!("https://{host}:{}", state.port)
}

/// Sends one inner request to this ARM and records its answer; a request that cannot be sent
/// at all answers 500 with ARM's internal-error envelope in its place.
async fn send(
    state: &AppState,
    base: &str,
    authorization: &str,
    correlation: Option<&str>,
    inner: Inner,
) -> BatchItemResponse {
    let mut builder = state
        .http
        .request(
            inner.method.clone(),
            format!("{base}{}", inner.path_and_query),
        )
        .header(reqwest::header::AUTHORIZATION, authorization);
    if let Some(correlation) = correlation {
        builder = builder.header(crate::response_headers::CORRELATION_HEADER, correlation);
    }
    if let Some(content) = &inner.content {
        builder = builder.json(content);
    }
    match builder.send().await {
        Ok(response) => item_response(inner.name, response).await,
        Err(error) => {
            tracing::warn!(%error, path = %inner.path_and_query, "a batch request could not be sent");
            let error = ArmError::Internal(anyhow::anyhow!("batch request: {error}"));
            let body = serde_json::to_vec(&error.envelope()).unwrap_or_default();
            BatchItemResponse {
                name: inner.name,
                http_status_code: 500,
                headers: serde_json::Map::new(),
                content_length: body.len(),
                content: serde_json::from_slice(&body).ok(),
            }
        }
    }
}

/// Headers that describe the inner connection, not the response.
const SKIPPED_HEADERS: &[&str] = &["content-length", "transfer-encoding", "connection"];

async fn item_response(name: Option<String>, response: reqwest::Response) -> BatchItemResponse {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(header, _)| !SKIPPED_HEADERS.contains(&header.as_str()))
        .filter_map(|(header, value)| {
            let value = value.to_str().ok()?;
            Some((header.as_str().to_string(), value.into()))
        })
        .collect();
    let body = response.bytes().await.unwrap_or_default();
    BatchItemResponse {
        name,
        http_status_code: status,
        headers,
        content_length: body.len(),
        content: serde_json::from_slice(&body).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_paths_on_this_arm() {
        let cases = [
            (
                "https://management.azure.com/subscriptions/s/resourceGroups?api-version=2021-04-01",
                "/subscriptions/s/resourceGroups?api-version=2021-04-01",
            ),
            ("/subscriptions/s?api-version=1", "/subscriptions/s?api-version=1"),
            ("subscriptions/s", "/subscriptions/s"),
            ("https://127.0.0.1:8443/providers", "/providers"),
        ];
        for (url, want) in cases {
            assert_eq!(path_and_query(url), want, "{url}");
        }
    }

    #[test]
    fn versions_are_ansibles_and_the_resource_apis_since_2020() {
        assert!(accepts("2015-11-01"));
        assert!(accepts("2020-06-01"));
        assert!(accepts("2021-04-01"));
        assert!(!accepts("2019-10-01"));
        assert!(!accepts("2099-01-01"));
    }

    #[test]
    fn bad_bodies_are_refused_whole() {
        for body in [
            "not json",
            "{}",
            r#"{"requests": [{"url": "/x"}]}"#,
            r#"{"requests": [{"httpMethod": "GET"}]}"#,
            r#"{"requests": [{"httpMethod": "FETCH", "url": "/x"}]}"#,
        ] {
            assert!(
                matches!(
                    parse(body.as_bytes()),
                    Err(ArmError::InvalidRequestContent(_))
                ),
                "{body}"
            );
        }
        let many = serde_json::json!({
            "requests": (0..=MAX_REQUESTS).map(|_| serde_json::json!({"httpMethod": "GET", "url": "/x"})).collect::<Vec<_>>()
        });
        assert!(parse(many.to_string().as_bytes()).is_err());
        let good =
            parse(br#"{"requests": [{"httpMethod": "get", "relativeUrl": "/x", "name": "n"}]}"#)
                .unwrap();
        assert_eq!(good[0].method, reqwest::Method::GET);
        assert_eq!(good[0].name.as_deref(), Some("n"));
    }
}
