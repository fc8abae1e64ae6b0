//! Paging of ARM lists: every page size in one place, and the `nextLink` with a `$skiptoken`.
//!
//! Azure documents no page size for most ARM lists: clients are told to follow `nextLink` until
//! it is absent (the `x-ms-pageable` of every list in azure-rest-api-specs). Where the size is
//! undocumented mimic uses [`DEFAULT`], smaller than any size Azure is known to use, so a client
//! that stops after the first page fails here before it fails in Azure.
//!
//! The `$skiptoken` is key-based, not an offset: a page holds the items whose key (e.g. the role
//! assignment's name) sorts after the token, so an item created or deleted while a client pages
//! never shifts the others onto a page already read or past one not yet read.

use actix_web::{HttpMessage, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::{AppState, ArmError};

/// Items per page of a list whose Azure page size is undocumented: role assignments, deny
/// assignments, resource groups, resources (`$top` overrides it), identities, virtual machines,
/// network interfaces, vaults and deleted vaults, providers, provider operations, the operations
/// lists (but Microsoft.Compute's), tenants.
///
/// Not paged, as in Azure: role definitions (ARM answers all built-ins in one page: az's recorded
/// `test_built_in_role_definition_scenario`, 790 kB without `nextLink`), locations and Compute's
/// operations and VM sizes (`nextLinkName: null` in their specs), resource SKUs (one page of over
/// 20 MB, azure-rest-api-specs#15672), the VM image lists (bare arrays in the spec).
pub const DEFAULT: usize = 500;

/// Subscriptions per page of `GET /subscriptions`: ARM's own, as answers seen past 50
/// subscriptions show (`"count": {"type": "Partial", "value": 50}` and a `nextLink`).
pub const SUBSCRIPTIONS: usize = 50;

/// Events per page of the activity log (undocumented too).
pub const ACTIVITY_LOG: usize = 200;

/// One page of a list: `{"value": […], "nextLink": "…"}`, `nextLink` absent on the last page.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// The page of `items` the request's `$skiptoken` asks for, [`DEFAULT`] items long. A list that
/// fits one page and is asked without a token comes back as it is, in its own order; otherwise
/// the items are sorted by `key` (compared without case) and paged by it.
pub fn page<T>(
    state: &AppState,
    request: &HttpRequest,
    items: Vec<T>,
    key: impl Fn(&T) -> String,
) -> Result<Page<T>, ArmError> {
    page_of(state, request, items, key, DEFAULT)
}

/// [`page`] with another page size.
pub fn page_of<T>(
    state: &AppState,
    request: &HttpRequest,
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    size: usize,
) -> Result<Page<T>, ArmError> {
    let token = skip_token(request.query_string())?;
    if token.is_none() && items.len() <= size {
        return Ok(Page {
            value: items,
            next_link: None,
        });
    }
    let mut keyed: Vec<(String, T)> = items
        .into_iter()
        .map(|item| (key(&item).to_lowercase(), item))
        .filter(|(key, _)| token.as_ref().is_none_or(|after| key > after))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let more = keyed.len() > size;
    keyed.truncate(size);
    let next_link = match (more, keyed.last()) {
        (true, Some((last, _))) => Some(next_link(state, request, &URL_SAFE_NO_PAD.encode(last))),
        _ => None,
    };
    Ok(Page {
        value: keyed.into_iter().map(|(_, item)| item).collect(),
        next_link,
    })
}

/// Whether the request resumes a list (carries a `$skiptoken`).
pub fn resumes(request: &HttpRequest) -> bool {
    query_value(request.query_string(), "$skiptoken").is_some()
}

/// The decoded `$skiptoken` of a query, if any; one mimic did not issue is 400 `BadRequest`.
fn skip_token(query: &str) -> Result<Option<String>, ArmError> {
    let Some(token) = query_value(query, "$skiptoken") else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(Some)
        .ok_or_else(|| {
            ArmError::BadRequest(format!("The '$skiptoken' value '{token}' is invalid."))
        })
}

fn query_value(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The request's URL (ARM's public URL, the path as the client sent it) with its query kept and
/// `$skiptoken` set to `token`.
pub fn next_link(state: &AppState, request: &HttpRequest, token: &str) -> String {
    let path = request
        .extensions()
        .get::<crate::middleware::OriginalPath>()
        .map_or_else(|| request.path().to_string(), |original| original.0.clone());
    let mut query: Vec<String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(request.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("$skiptoken"))
            .map(|(name, value)| format!("{}={}", encode(&name), encode(&value)))
            .collect();
    query.push(format!("$skiptoken={}", encode(token)));
    format!("{}{}?{}", state.public_url, path, query.join("&"))
}

/// Percent-encodes a query component, keeping `$` (OData's parameter names) as it is.
fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace("%24", "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_keeps_odata_names_readable() {
        assert_eq!(encode("$filter"), "$filter");
        assert_eq!(
            encode("atScope() and x eq 'a b'"),
            "atScope%28%29+and+x+eq+%27a+b%27"
        );
    }

    #[test]
    fn skip_token_refuses_what_mimic_did_not_issue() {
        assert_eq!(skip_token("api-version=1").unwrap(), None);
        let token = URL_SAFE_NO_PAD.encode("abc");
        assert_eq!(
            skip_token(&format!("$skipToken={token}"))
                .unwrap()
                .as_deref(),
            Some("abc")
        );
        assert!(skip_token("$skiptoken=%%%").is_err());
    }
}
