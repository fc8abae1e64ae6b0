//! Keys of issuers mimic does not hold: fetched from the issuer's OIDC discovery document and its
//! `jwks_uri`, cached per issuer and fetched again when a token names a `kid` the cache lacks.
//! Only loopback issuers are fetched (`127.0.0.0/8`, `::1`, `localhost`), over HTTPS trusting
//! mimic's CA or plain HTTP, without redirects: nothing leaves the machine. Any other issuer is,
//! to mimic, unreachable (Entra's AADSTS50166).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context};
use mimic_token::ExternalKey;

/// Keys fetched per issuer.
#[derive(Debug)]
pub struct RemoteIssuers {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Vec<ExternalKey>>>,
}

impl RemoteIssuers {
    /// A fetcher trusting `ca_pem` for HTTPS.
    pub fn new(ca_pem: &str) -> anyhow::Result<Self> {
        let http = mimic_web::client_builder(Some(ca_pem))?
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the OIDC discovery client")?;
        Ok(Self {
            http,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The issuer's keys: from the cache when it holds `kid`, else fetched anew. `Err` when the
    /// issuer is not on loopback or its metadata cannot be fetched or read.
    pub async fn keys(&self, issuer: &str, kid: Option<&str>) -> anyhow::Result<Vec<ExternalKey>> {
        if let Some(keys) = self.cached(issuer) {
            let known = match kid {
                Some(kid) => keys.iter().any(|k| k.kid() == Some(kid)),
                None => !keys.is_empty(),
            };
            if known {
                return Ok(keys);
            }
        }
        let keys = self.fetch(issuer).await?;
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(issuer.to_string(), keys.clone());
        Ok(keys)
    }

    fn cached(&self, issuer: &str) -> Option<Vec<ExternalKey>> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
            .cloned()
    }

    async fn fetch(&self, issuer: &str) -> anyhow::Result<Vec<ExternalKey>> {
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let metadata = self.get_json(&discovery).await?;
        let jwks_uri = metadata["jwks_uri"]
            .as_str()
            .context("the discovery document has no jwks_uri")?;
        let jwks = self.get_json(jwks_uri).await?;
        Ok(ExternalKey::all_of(&jwks))
    }

    async fn get_json(&self, url: &str) -> anyhow::Result<serde_json::Value> {
        if !is_loopback_url(url) {
            bail!("{url} is not a loopback URL: mimic fetches nothing off this machine");
        }
        let response = self
            .http
            .get(url)
            .send()
            .await
            .with_context(|| format!("fetching {url}"))?;
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        response
            .json()
            .await
            .with_context(|| format!("reading {url} as JSON"))
    }
}

/// Whether `url` is http(s) on a loopback address or `localhost`.
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_fetched() {
        for yes in [
            "http://127.0.0.1:9/x",
            "https://127.8.0.1/x",
            "http://[::1]:80/",
            "https://localhost:8444/issuers/a",
        ] {
            assert!(is_loopback_url(yes), "{yes}");
        }
        for no in [
            "https://token.actions.githubusercontent.com",
            "http://169.254.169.254/",
            "https://10.0.0.1/",
            "file:///etc/passwd",
            "https://localhost.example.com/",
            "not a url",
        ] {
            assert!(!is_loopback_url(no), "{no}");
        }
    }
}
