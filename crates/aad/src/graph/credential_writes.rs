//! Writing credentials through Graph, for applications and service principals alike:
//! `addPassword` (Graph generates the secret and returns it once; mimic keeps only its hash),
//! `removePassword`, and `keyCredentials` in a `PATCH` (the whole set: entries without `key` keep
//! the existing credential with that `keyId`, entries with a `key` add a certificate).

use aws_lc_rs::rand::SecureRandom;
use serde::Deserialize;

use super::error::{BadRequest, GraphError, RequestBadRequest};
use super::model::certificate_facts;
use crate::applications::model::{KeyMetadata, PasswordMetadata};
use crate::applications::store::{NewKey, NewPassword};
use crate::credentials::{Certificate, PasswordHash};
use crate::principals::iso_timestamp;

/// How long a secret lives when `addPassword` names no end: two years, Graph's default.
pub const DEFAULT_SECRET_LIFETIME: i64 = 2 * 365 * 24 * 3600;

/// `addPassword`'s body: `{"passwordCredential": {displayName?, startDateTime?, endDateTime?}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPasswordRequest {
    #[serde(default)]
    pub password_credential: PasswordCredentialInput,
}

/// The writable part of a `passwordCredential`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredentialInput {
    pub display_name: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    /// Accepted and ignored, as Graph does: the secret is always generated.
    pub secret_text: Option<String>,
    pub key_id: Option<String>,
    pub custom_key_identifier: Option<String>,
    pub hint: Option<String>,
}

/// `removePassword`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovePasswordRequest {
    pub key_id: String,
}

/// Parses a JSON body, or Graph's `BadRequest` for one that is not the expected shape.
pub fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|_| GraphError::BadRequest(BadRequest::UnreadablePayload))
}

/// A new secret: its metadata and hash, and the secret itself (for the answer only).
pub fn new_password(
    input: &PasswordCredentialInput,
    now: i64,
    resource: &'static str,
) -> Result<(NewPassword, String), GraphError> {
    let start = match &input.start_date_time {
        Some(text) => parse_date(text, "passwordCredential.startDateTime", resource)?,
        None => now,
    };
    let end = match &input.end_date_time {
        Some(text) => parse_date(text, "passwordCredential.endDateTime", resource)?,
        None => start + DEFAULT_SECRET_LIFETIME,
    };
    if end <= start {
        return Err(invalid("passwordCredential.endDateTime", resource));
    }
    let secret = generate_secret()?;
    let metadata = PasswordMetadata {
        key_id: uuid::Uuid::new_v4().to_string(),
        display_name: input.display_name.clone(),
        hint: Some(secret.chars().take(3).collect()),
        start_date_time: iso_timestamp(start),
        end_date_time: iso_timestamp(end),
    };
    let hash = PasswordHash::new(&secret)?;
    Ok((NewPassword { metadata, hash }, secret))
}

/// A 40-character secret in Entra's shape: three characters, a digit, `Q~`, then 34 more.
pub fn generate_secret() -> Result<String, GraphError> {
    const HEAD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const TAIL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
    let mut random = [0u8; 38];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| anyhow::anyhow!("no randomness for a client secret"))?;
    let pick = |alphabet: &[u8], byte: u8| alphabet[byte as usize % alphabet.len()] as char;
    let mut secret: String = random[..3].iter().map(|b| pick(HEAD, *b)).collect();
    secret.push(pick(b"0123456789", random[3]));
    secret.push_str("Q~");
    secret.extend(random[4..].iter().map(|b| pick(TAIL, *b)));
    Ok(secret)
}

/// One entry of a `keyCredentials` write.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredentialInput {
    pub key_id: Option<String>,
    pub key: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub usage: Option<String>,
    pub display_name: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
    pub custom_key_identifier: Option<String>,
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
}

/// What a `keyCredentials` write does: the existing key ids it keeps, the certificates it adds.
#[derive(Debug, Default)]
pub struct KeyChange {
    pub retained: Vec<String>,
    pub added: Vec<NewKey>,
}

/// Reads a `keyCredentials` array against the object's current key ids. An entry without `key`
/// must name an existing credential; one with `key` must be an RSA X.509 certificate for `Verify`.
pub fn key_change(
    value: &serde_json::Value,
    existing: &[String],
    resource: &'static str,
) -> Result<KeyChange, GraphError> {
    let inputs: Vec<KeyCredentialInput> =
        serde_json::from_value(value.clone()).map_err(|_| invalid("keyCredentials", resource))?;
    let mut change = KeyChange::default();
    for input in inputs {
        let Some(key) = input.key.as_deref().filter(|k| !k.is_empty()) else {
            let key_id = input
                .key_id
                .clone()
                .ok_or_else(|| invalid("keyCredentials", resource))?;
            if !existing.iter().any(|id| id.eq_ignore_ascii_case(&key_id)) {
                return Err(GraphError::RequestBadRequest(
                    RequestBadRequest::CredentialNotFound(key_id),
                ));
            }
            change.retained.push(key_id);
            continue;
        };
        change.added.push(new_key(&input, key, resource)?);
    }
    let mut ids: Vec<String> = change.retained.iter().map(|id| id.to_lowercase()).collect();
    ids.extend(
        change
            .added
            .iter()
            .map(|k| k.metadata.key_id.to_lowercase()),
    );
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    if unique.len() != ids.len() {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::ObjectConflict("keyCredentials"),
        ));
    }
    Ok(change)
}

/// A certificate to add from one `keyCredentials` entry with its `key`.
pub fn new_key(
    input: &KeyCredentialInput,
    key: &str,
    resource: &'static str,
) -> Result<NewKey, GraphError> {
    let kind_ok = input
        .kind
        .as_deref()
        .is_none_or(|k| k == "AsymmetricX509Cert");
    let usage_ok = input.usage.as_deref().is_none_or(|u| u == "Verify");
    if !kind_ok || !usage_ok {
        return Err(invalid("keyCredentials", resource));
    }
    let certificate = Certificate::parse(key)
        .map_err(|_| GraphError::RequestBadRequest(RequestBadRequest::InvalidCertificate))?;
    let (subject, not_before, not_after) = certificate_facts(&certificate.pem).ok_or(
        GraphError::RequestBadRequest(RequestBadRequest::InvalidCertificate),
    )?;
    let date = |text: &Option<String>, property, default: String| match text {
        Some(text) => parse_date(text, property, resource).map(iso_timestamp),
        None => Ok(default),
    };
    let key_id = match &input.key_id {
        Some(id) => uuid::Uuid::parse_str(id)
            .map_err(|_| invalid("keyCredentials.keyId", resource))?
            .to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let metadata = KeyMetadata {
        key_id,
        display_name: Some(input.display_name.clone().unwrap_or(subject)),
        start_date_time: date(
            &input.start_date_time,
            "keyCredentials.startDateTime",
            not_before,
        )?,
        end_date_time: date(
            &input.end_date_time,
            "keyCredentials.endDateTime",
            not_after,
        )?,
        certificate_pem: certificate.pem.clone(),
    };
    Ok(NewKey {
        metadata,
        certificate,
    })
}

/// An ISO 8601 date-time (any offset, fractions allowed) as epoch seconds.
fn parse_date(text: &str, property: &str, resource: &'static str) -> Result<i64, GraphError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|date| date.timestamp())
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|date| date.and_utc().timestamp())
        })
        .map_err(|_| invalid(property, resource))
}

fn invalid(property: &str, resource: &'static str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
        property: property.to_string(),
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_have_entras_shape_and_differ() {
        let first = generate_secret().unwrap();
        let second = generate_secret().unwrap();
        assert_eq!(first.len(), 40);
        assert_eq!(&first[4..6], "Q~");
        assert!(first.as_bytes()[3].is_ascii_digit());
        assert_ne!(first, second);
    }

    #[test]
    fn new_password_takes_graphs_dates_and_defaults_to_two_years() {
        let input = PasswordCredentialInput {
            end_date_time: Some("2030-01-02T03:04:05.123456+00:00".into()),
            ..Default::default()
        };
        let (new, secret) = new_password(&input, 1_795_438_800, "Application").unwrap();
        assert_eq!(new.metadata.end_date_time, "2030-01-02T03:04:05Z");
        assert_eq!(new.metadata.hint.as_deref(), Some(&secret[..3]));
        assert!(new.hash.verify(&secret));

        let (new, _) = new_password(&Default::default(), 0, "Application").unwrap();
        assert_eq!(
            new.metadata.end_date_time,
            iso_timestamp(DEFAULT_SECRET_LIFETIME)
        );

        let backwards = PasswordCredentialInput {
            start_date_time: Some("2030-01-02T00:00:00Z".into()),
            end_date_time: Some("2029-01-02T00:00:00Z".into()),
            ..Default::default()
        };
        assert!(new_password(&backwards, 0, "Application").is_err());
    }

    #[test]
    fn key_change_keeps_named_keys_adds_certificates_and_refuses_the_rest() {
        let key = mimic_token::SigningKey::generate("CN=CLI-Login").unwrap();
        let existing = vec!["5d4ad3a7-0000-4000-8000-000000000001".to_string()];
        let value = serde_json::json!([
            {"keyId": existing[0], "key": null},
            {"key": key.certificate_base64(), "type": "AsymmetricX509Cert", "usage": "Verify"},
        ]);
        let change = key_change(&value, &existing, "Application").unwrap();
        assert_eq!(change.retained, existing);
        assert_eq!(change.added.len(), 1);
        assert_eq!(change.added[0].certificate.x5t, key.kid());

        let cases = [
            serde_json::json!([{"keyId": "5d4ad3a7-0000-4000-8000-000000000009"}]),
            serde_json::json!([{"key": "not a certificate"}]),
            serde_json::json!([{"key": key.certificate_base64(), "usage": "Sign"}]),
            serde_json::json!({"key": "x"}),
        ];
        for case in cases {
            assert!(
                key_change(&case, &existing, "Application").is_err(),
                "{case}"
            );
        }
    }
}
