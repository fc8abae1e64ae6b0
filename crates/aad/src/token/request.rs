//! Parsing a token request: the form body, the grant, the resource (v1 `resource`, v2
//! `scope=<resource>/.default`), the client's credential (body secret, HTTP Basic, or a
//! `private_key_jwt` assertion) and the client capabilities (`claims` with `xms_cc`).

use actix_web::http::header::{HeaderMap, AUTHORIZATION};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::AadError;

/// `client_assertion_type` for RFC 7523 client assertions.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Which token endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `/oauth2/token`: `resource=`.
    V1,
    /// `/oauth2/v2.0/token`: `scope=<resource>/.default`.
    V2,
}

/// How the client proves who it is.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientCredential {
    /// A client secret (form body or HTTP Basic).
    Secret(String),
    /// A signed JWT (`private_key_jwt`).
    Assertion(String),
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret(<redacted>)"),
            Self::Assertion(_) => f.write_str("Assertion(<redacted>)"),
        }
    }
}

/// A parsed client-credentials request.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The client id (`client_id`, the Basic user name, or the assertion's `iss`).
    pub client_id: String,
    /// `None` when the client sent no credential (AAD then answers AADSTS7000218).
    pub credential: Option<ClientCredential>,
    /// The audience of the token, exactly as requested.
    pub resource: String,
    /// The client declared the CAE capability (`xms_cc` contains `CP1`).
    pub cp1: bool,
}

/// A form body with unique parameter names.
#[derive(Debug, Clone, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Parses `application/x-www-form-urlencoded`; an unreadable body counts as empty, as AAD then
    /// reports the first missing parameter.
    pub fn parse(body: &[u8]) -> Result<Self, AadError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        for (index, (name, _)) in pairs.iter().enumerate() {
            if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
                return Err(AadError::DuplicateParameter(name.clone()));
            }
        }
        Ok(Self(pairs))
    }

    /// A non-empty parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }
}

impl TokenRequest {
    /// Checks, in AAD's order, everything that does not need the directory.
    pub fn parse(version: Version, form: &Form, headers: &HeaderMap) -> Result<Self, AadError> {
        let grant = form
            .get("grant_type")
            .ok_or(AadError::MissingParameter("grant_type"))?;
        if grant != "client_credentials" {
            return Err(AadError::UnsupportedGrantType(grant.to_string()));
        }
        let resource = match version {
            Version::V1 => form
                .get("resource")
                .ok_or(AadError::MissingParameter("resource"))?
                .to_string(),
            Version::V2 => resource_of_scope(form)?,
        };
        let basic = basic_credentials(headers);
        let credential = credential(form, basic.as_ref())?;
        let client_id = form
            .get("client_id")
            .map(str::to_string)
            .or_else(|| basic.as_ref().map(|(id, _)| id.clone()))
            .or_else(|| assertion_issuer(credential.as_ref()))
            .ok_or(AadError::MissingParameter("client_id"))?;
        Ok(Self {
            client_id,
            credential,
            resource,
            cp1: form.get("claims").is_some_and(declares_cp1),
        })
    }
}

/// v2: the one `<resource>/.default` scope, minus the suffix
/// (`https://management.core.windows.net//.default` → `https://management.core.windows.net/`).
fn resource_of_scope(form: &Form) -> Result<String, AadError> {
    if form.get("resource").is_some() {
        return Err(AadError::ResourceParameterNotSupported);
    }
    let scope = form.get("scope").ok_or(AadError::MissingScope)?;
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    if let Some(bad) = scopes.iter().find(|s| !s.ends_with("/.default")) {
        return Err(AadError::ScopeWithoutDefaultSuffix(bad.to_string()));
    }
    match scopes.as_slice() {
        [one] => one
            .strip_suffix("/.default")
            .filter(|resource| !resource.is_empty())
            .map(str::to_string)
            .ok_or_else(|| AadError::InvalidScope(scope.to_string())),
        _ => Err(AadError::InvalidScope(scope.to_string())),
    }
}

/// The assertion wins over a secret; a secret in the body wins over HTTP Basic.
fn credential(
    form: &Form,
    basic: Option<&(String, String)>,
) -> Result<Option<ClientCredential>, AadError> {
    if let Some(assertion) = form.get("client_assertion") {
        let kind = form
            .get("client_assertion_type")
            .ok_or(AadError::MissingParameter("client_assertion_type"))?;
        // AAD's code for an unknown assertion type is undocumented; we answer as if no
        // credential had been sent.
        if kind != JWT_BEARER {
            return Err(AadError::MissingClientCredentials);
        }
        return Ok(Some(ClientCredential::Assertion(assertion.to_string())));
    }
    Ok(form
        .get("client_secret")
        .map(str::to_string)
        .or_else(|| basic.map(|(_, secret)| secret.clone()))
        .filter(|secret| !secret.is_empty())
        .map(ClientCredential::Secret))
}

/// `client_secret_basic`: both halves are form-urlencoded before base64 (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, decoded)| decoded.into_owned())
        .unwrap_or_default()
}

/// The unverified `iss` of an assertion, when the client sent no `client_id` (RFC 7521 allows it).
fn assertion_issuer(credential: Option<&ClientCredential>) -> Option<String> {
    let Some(ClientCredential::Assertion(jwt)) = credential else {
        return None;
    };
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["iss"].as_str().map(str::to_string)
}

/// `claims={"access_token":{"xms_cc":{"values":["CP1"]}}}`; malformed claims are ignored.
fn declares_cp1(claims: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(claims)
        .ok()
        .and_then(|value| {
            value["access_token"]["xms_cc"]["values"]
                .as_array()
                .cloned()
        })
        .is_some_and(|values| values.iter().any(|v| v == "CP1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Form {
        Form::parse(body.as_bytes()).unwrap()
    }

    fn parse(version: Version, body: &str) -> Result<TokenRequest, AadError> {
        TokenRequest::parse(version, &form(body), &HeaderMap::new())
    }

    #[test]
    fn scope_becomes_the_resource_exactly() {
        let cases = [
            (
                "https://management.core.windows.net//.default",
                "https://management.core.windows.net/",
            ),
            (
                "https://management.azure.com/.default",
                "https://management.azure.com",
            ),
            ("api://app/.default", "api://app"),
            (
                "00000003-0000-0000-c000-000000000000/.default",
                "00000003-0000-0000-c000-000000000000",
            ),
        ];
        for (scope, resource) in cases {
            let body = format!(
                "grant_type=client_credentials&client_id=c&client_secret=s&scope={}",
                url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>()
            );
            assert_eq!(
                parse(Version::V2, &body).unwrap().resource,
                resource,
                "{scope}"
            );
        }
    }

    #[test]
    fn parse_rejects_each_bad_request_with_aads_code() {
        let cases = [
            ("", Version::V2, 900144),
            ("client_id=c", Version::V2, 900144),
            ("grant_type=password", Version::V2, 70003),
            ("grant_type=client_credentials&client_id=c", Version::V2, 90014),
            ("grant_type=client_credentials&resource=r", Version::V2, 901002),
            ("grant_type=client_credentials&scope=https://graph.microsoft.com/User.Read", Version::V2, 1002012),
            ("grant_type=client_credentials&scope=a/.default b/.default", Version::V2, 70011),
            ("grant_type=client_credentials&client_id=c", Version::V1, 900144),
            ("grant_type=client_credentials&resource=r", Version::V1, 900144),
            ("grant_type=client_credentials&resource=r&resource=s", Version::V1, 9000411),
            ("grant_type=client_credentials&resource=r&client_id=c&client_assertion=x", Version::V1, 900144),
            ("grant_type=client_credentials&resource=r&client_id=c&client_assertion=x&client_assertion_type=y", Version::V1, 7000218),
        ];
        for (body, version, code) in cases {
            let error = Form::parse(body.as_bytes())
                .and_then(|form| TokenRequest::parse(version, &form, &HeaderMap::new()))
                .unwrap_err();
            assert_eq!(error.code(), Some(code), "{body}: {error}");
        }
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20app:p%2Bss+word");
        headers.insert(AUTHORIZATION, format!("Basic {encoded}").parse().unwrap());
        let request = TokenRequest::parse(
            Version::V1,
            &form("grant_type=client_credentials&resource=r"),
            &headers,
        )
        .unwrap();
        assert_eq!(request.client_id, "my app");
        assert_eq!(
            request.credential,
            Some(ClientCredential::Secret("p+ss word".into()))
        );
    }

    #[test]
    fn claims_with_cp1_declare_the_capability() {
        assert!(declares_cp1(
            r#"{"access_token": {"xms_cc": {"values": ["CP1"]}}}"#
        ));
        assert!(!declares_cp1(
            r#"{"access_token": {"xms_cc": {"values": ["CP2"]}}}"#
        ));
        assert!(!declares_cp1("not json"));
    }
}
