//! The activity log's wire types (`EventData` of Microsoft.Insights 2015-04-01,
//! `specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01/activityLogs_API.json`
//! and its examples) and the `$filter` grammar the spec allows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ArmError;

/// `LocalizableString`: `{value, localizedValue}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalizableString {
    pub value: String,
    pub localized_value: String,
}

impl LocalizableString {
    /// The same text as value and localized value (what Azure sends for names).
    pub fn same(value: &str) -> Self {
        Self {
            value: value.to_string(),
            localized_value: value.to_string(),
        }
    }

    /// A value with its own localized text.
    pub fn new(value: &str, localized_value: &str) -> Self {
        Self {
            value: value.to_string(),
            localized_value: localized_value.to_string(),
        }
    }
}

/// `SenderAuthorization`: the RBAC action checked and the scope it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SenderAuthorization {
    pub action: String,
    pub scope: String,
}

/// `HttpRequestInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestInfo {
    pub client_request_id: String,
    pub client_ip_address: String,
    pub method: String,
}

/// One event (`EventData`), as ARM records it in the Administrative category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    pub authorization: SenderAuthorization,
    pub caller: String,
    pub channels: String,
    /// The caller's token claims, values as strings, long claim names as ARM writes them.
    pub claims: BTreeMap<String, String>,
    pub correlation_id: String,
    pub description: String,
    pub event_data_id: String,
    pub event_name: LocalizableString,
    pub category: LocalizableString,
    pub http_request: HttpRequestInfo,
    pub id: String,
    pub level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_name: Option<String>,
    pub resource_provider_name: LocalizableString,
    pub resource_id: String,
    pub resource_type: LocalizableString,
    pub operation_id: String,
    pub operation_name: LocalizableString,
    pub properties: BTreeMap<String, String>,
    pub status: LocalizableString,
    pub sub_status: LocalizableString,
    pub event_timestamp: String,
    pub submission_timestamp: String,
    pub subscription_id: String,
    pub tenant_id: String,
}

/// `EventData.id`: the resource, the event and its time in .NET ticks (100 ns since 0001-01-01).
pub fn event_id(resource_id: &str, event_data_id: &str, epoch_seconds: i64) -> String {
    const TICKS_AT_UNIX_EPOCH: i64 = 621_355_968_000_000_000;
    let ticks = TICKS_AT_UNIX_EPOCH + epoch_seconds.saturating_mul(10_000_000);
    format!("{resource_id}/events/{event_data_id}/ticks/{ticks}")
}

/// The `subStatus` ARM writes for an HTTP status: `Created` / `Created (HTTP Status Code: 201)`.
pub fn sub_status(status: u16) -> LocalizableString {
    let (value, words) = match status {
        200 => ("OK", "OK"),
        201 => ("Created", "Created"),
        202 => ("Accepted", "Accepted"),
        204 => ("NoContent", "No Content"),
        400 => ("BadRequest", "Bad Request"),
        401 => ("Unauthorized", "Unauthorized"),
        403 => ("Forbidden", "Forbidden"),
        404 => ("NotFound", "Not Found"),
        405 => ("MethodNotAllowed", "Method Not Allowed"),
        409 => ("Conflict", "Conflict"),
        412 => ("PreconditionFailed", "Precondition Failed"),
        415 => ("UnsupportedMediaType", "Unsupported Media Type"),
        429 => ("TooManyRequests", "Too Many Requests"),
        503 => ("ServiceUnavailable", "Service Unavailable"),
        504 => ("GatewayTimeout", "Gateway Timeout"),
        _ if status >= 500 => ("InternalServerError", "Internal Server Error"),
        _ => ("", ""),
    };
    match value.is_empty() {
        true => LocalizableString::same(&status.to_string()),
        false => LocalizableString::new(value, &format!("{words} (HTTP Status Code: {status})")),
    }
}

/// The claim names ARM writes in `claims` for the short JWT names (the WS-Federation and
/// Microsoft identity URIs of the spec's example); other claims keep their names.
pub fn claim_name(name: &str) -> &str {
    match name {
        "tid" => "http://schemas.microsoft.com/identity/claims/tenantid",
        "oid" => "http://schemas.microsoft.com/identity/claims/objectidentifier",
        "upn" => "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
        "sub" => "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
        "unique_name" => "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "given_name" => "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "family_name" => "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "scp" => "http://schemas.microsoft.com/identity/claims/scope",
        "amr" => "http://schemas.microsoft.com/claims/authnmethodsreferences",
        "acr" => "http://schemas.microsoft.com/claims/authnclassreference",
        "idp" => "http://schemas.microsoft.com/identity/claims/identityprovider",
        other => other,
    }
}

/// A token's claims as `claims` shows them: strings (arrays joined with `,`), ARM's names.
pub fn claims_of(payload: &serde_json::Map<String, serde_json::Value>) -> BTreeMap<String, String> {
    payload
        .iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_string)
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            (claim_name(name).to_string(), text)
        })
        .collect()
}

/// What `$filter` selects: the spec's clauses joined by `and` (`eventTimestamp ge/le`,
/// `resourceGroupName`, `resourceUri`/`resourceId`, `resourceProvider`, `correlationId`,
/// `caller`, `status` with `eq`). Values may be quoted (`'…'`, as az monitor sends them) or bare
/// (as `az role assignment list-changelogs` sends them).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filter {
    /// `eventTimestamp ge …`, seconds since the epoch.
    pub from: Option<i64>,
    /// `eventTimestamp le …`, seconds since the epoch.
    pub to: Option<i64>,
    pub resource_group: Option<String>,
    pub resource_id: Option<String>,
    pub resource_provider: Option<String>,
    pub correlation_id: Option<String>,
    pub caller: Option<String>,
    pub status: Option<String>,
}

impl Filter {
    /// Parses `$filter`; anything outside the grammar is 400 `BadRequest`.
    pub fn parse(filter: Option<&str>) -> Result<Self, ArmError> {
        let mut parsed = Self::default();
        let Some(text) = filter.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(parsed);
        };
        for clause in split_and(text) {
            parsed.add(clause, text)?;
        }
        Ok(parsed)
    }

    fn add(&mut self, clause: &str, whole: &str) -> Result<(), ArmError> {
        let invalid = || ArmError::BadRequest(format!("The $filter '{whole}' is not valid."));
        let mut words = clause.trim().splitn(3, ' ');
        let (Some(field), Some(op), Some(value)) = (words.next(), words.next(), words.next())
        else {
            return Err(invalid());
        };
        let value = unquote(value.trim()).ok_or_else(invalid)?;
        let field = field.to_ascii_lowercase();
        let op = op.to_ascii_lowercase();
        let slot = match (field.as_str(), op.as_str()) {
            ("eventtimestamp", "ge") => {
                self.from = Some(parse_time(&value).ok_or_else(invalid)?);
                return Ok(());
            }
            ("eventtimestamp", "le") => {
                self.to = Some(parse_time(&value).ok_or_else(invalid)?);
                return Ok(());
            }
            ("resourcegroupname", "eq") => &mut self.resource_group,
            ("resourceuri" | "resourceid", "eq") => &mut self.resource_id,
            ("resourceprovider", "eq") => &mut self.resource_provider,
            ("correlationid", "eq") => &mut self.correlation_id,
            ("caller", "eq") => &mut self.caller,
            ("status", "eq") => &mut self.status,
            _ => return Err(invalid()),
        };
        *slot = Some(value);
        Ok(())
    }
}

/// The clauses of `a and b and c` (`and` in any case, outside quotes).
fn split_and(text: &str) -> Vec<&str> {
    let mut clauses = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\'' {
            quoted = !quoted;
        } else if !quoted && lower[index..].starts_with(" and ") {
            clauses.push(&text[start..index]);
            index += " and ".len();
            start = index;
            continue;
        }
        index += 1;
    }
    clauses.push(&text[start..]);
    clauses
}

/// `'it''s'` → `it's`; a bare value as it is; an unterminated quote is `None`.
fn unquote(value: &str) -> Option<String> {
    match value.strip_prefix('\'') {
        Some(rest) => rest
            .strip_suffix('\'')
            .map(|inner| inner.replace("''", "'")),
        None => Some(value.to_string()),
    }
}

/// An ISO 8601 time: with an offset or `Z`, or without (UTC, as az's `utcnow().isoformat()`).
pub fn parse_time(value: &str) -> Option<i64> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(value) {
        return Some(time.timestamp());
    }
    let naive = value.trim_end_matches('Z');
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|format| chrono::NaiveDateTime::parse_from_str(naive, format).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(naive, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    })
    .map(|time| time.and_utc().timestamp())
}

/// Keeps only the `$select`ed top-level properties (comma-separated, spaces allowed, names in any
/// case); no `$select` keeps everything.
pub fn select(event: serde_json::Value, select: Option<&str>) -> serde_json::Value {
    let Some(select) = select.filter(|text| !text.trim().is_empty()) else {
        return event;
    };
    let wanted: Vec<String> = select
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    match event {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(name, _)| wanted.contains(&name.to_ascii_lowercase()))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_what_az_monitor_and_az_role_send() {
        let monitor = "eventTimestamp ge 2024-05-01T10:00:00.123456 and eventTimestamp le 2024-05-01T16:00:00.123456 and resourceGroupName eq 'rg-1'";
        let parsed = Filter::parse(Some(monitor)).unwrap();
        assert_eq!(parsed.from, Some(1_714_557_600));
        assert_eq!(parsed.to, Some(1_714_579_200));
        assert_eq!(parsed.resource_group.as_deref(), Some("rg-1"));

        let role = "resourceProvider eq Microsoft.Authorization and eventTimestamp ge 2024-05-01T10:00:00Z and eventTimestamp le 2024-05-01T11:00:00Z";
        let parsed = Filter::parse(Some(role)).unwrap();
        assert_eq!(
            parsed.resource_provider.as_deref(),
            Some("Microsoft.Authorization")
        );
        assert_eq!(parsed.to, Some(1_714_561_200));

        let spec = "eventTimestamp ge '2015-01-21T20:00:00Z' and eventTimestamp le '2015-01-23T20:00:00Z' and resourceUri eq '/subscriptions/s/resourceGroups/a and b'";
        let parsed = Filter::parse(Some(spec)).unwrap();
        assert_eq!(
            parsed.resource_id.as_deref(),
            Some("/subscriptions/s/resourceGroups/a and b")
        );
    }

    #[test]
    fn parse_refuses_what_the_spec_does_not_allow() {
        for bad in [
            "eventTimestamp gt 2024-05-01",
            "level eq 'Error'",
            "caller eq 'unterminated",
            "eventTimestamp ge yesterday",
            "caller",
        ] {
            assert!(
                matches!(Filter::parse(Some(bad)), Err(ArmError::BadRequest(_))),
                "{bad}"
            );
        }
        assert_eq!(Filter::parse(None).unwrap(), Filter::default());
    }

    #[test]
    fn select_keeps_the_named_properties_only() {
        let event = serde_json::json!({"caller": "a", "level": "Informational", "id": "x"});
        assert_eq!(
            select(event.clone(), Some("caller , LEVEL")),
            serde_json::json!({"caller": "a", "level": "Informational"})
        );
        assert_eq!(select(event.clone(), None), event);
    }

    #[test]
    fn sub_status_words_the_status_as_arm_does() {
        assert_eq!(
            sub_status(201),
            LocalizableString::new("Created", "Created (HTTP Status Code: 201)")
        );
        assert_eq!(sub_status(403).value, "Forbidden");
    }
}
