//! [`Client`]: the one set of request helpers every harness uses.

use mimic_web::{InternalKey, INTERNAL_KEY_HEADER};
use serde_json::Value;

use crate::Reply;

/// A client for one service: its base URL, an HTTP client that trusts the test CA and never uses
/// a proxy, and (for internal APIs) the internal key.
#[derive(Clone)]
pub struct Client {
    /// The service's base URL (`https://127.0.0.1:port`), without a trailing slash.
    pub base: String,
    /// The HTTP client, for requests the helpers do not cover.
    pub http: reqwest::Client,
    internal_key: Option<InternalKey>,
    json_only: bool,
}

impl Client {
    /// A client for `base` over HTTPS, trusting `ca_pem`.
    pub fn https(base: impl Into<String>, ca_pem: &str) -> Self {
        let http = mimic_web::https_client(ca_pem).expect("an HTTPS client for the test CA");
        Self::new(base, http)
    }

    /// A client for `base` over plain HTTP (IMDS), without a proxy.
    pub fn plain(base: impl Into<String>) -> Self {
        let http = mimic_web::client_builder(None)
            .expect("a client builder")
            .no_proxy()
            .build()
            .expect("an HTTP client");
        Self::new(base, http)
    }

    /// A client for `base` with this HTTP client.
    pub fn new(base: impl Into<String>, http: reqwest::Client) -> Self {
        Self {
            base: base.into(),
            http,
            internal_key: None,
            json_only: false,
        }
    }

    /// The same client, sending `key` on [`Client::internal`] requests.
    pub fn with_internal_key(mut self, key: InternalKey) -> Self {
        self.internal_key = Some(key);
        self
    }

    /// The same client, failing the test when a reply's body is neither empty nor JSON (for
    /// services that must never answer with anything else).
    pub fn json_only(mut self) -> Self {
        self.json_only = true;
        self
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `method path` (with its query) with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(parse(method), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request("GET", path, token, None).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request("PUT", path, token, Some(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request("PATCH", path, token, Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request("DELETE", path, token, None).await
    }

    /// `POST path` with an optional JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.request("POST", path, token, body).await
    }

    /// `POST path` with a form body (`application/x-www-form-urlencoded`), as OAuth2 wants.
    pub async fn form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.http.post(self.url(path)).form(form)).await
    }

    /// `method path` with these headers and a raw body (none when `body` is empty).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut request = self.http.request(parse(method), self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if !body.is_empty() {
            request = request.body(body.to_string());
        }
        self.send(request).await
    }

    /// `method path` on an internal API, with the internal key and an optional JSON body.
    pub async fn internal(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let key = self
            .internal_key
            .as_ref()
            .expect("this client has no internal key");
        let mut request = self
            .http
            .request(parse(method), self.url(path))
            .header(INTERNAL_KEY_HEADER, key.expose());
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Sends a request built on [`Client::http`] and reads the reply.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let reply = Reply::read(request.send().await.expect("sending the request")).await;
        if self.json_only {
            assert!(
                reply.text.is_empty() || !reply.body.is_null(),
                "not JSON: {}",
                reply.text
            );
        }
        reply
    }
}

fn parse(method: &str) -> reqwest::Method {
    reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method")
}
