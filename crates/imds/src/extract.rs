//! The checks every IMDS request goes through, and its query string.
//!
//! IMDS rejects requests without `Metadata: true`, with an `X-Forwarded-For` header, or with a
//! query parameter named twice; versioned endpoints also need a supported `api-version`. See
//! <https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service>.

use actix_web::HttpRequest;

/// Every api-version the IMDS doc lists as supported, oldest first (`/metadata/versions`).
pub(crate) const SUPPORTED_API_VERSIONS: &[&str] = &[
    "2017-03-01",
    "2017-04-02",
    "2017-08-01",
    "2017-10-01",
    "2017-12-01",
    "2018-02-01",
    "2018-04-02",
    "2018-10-01",
    "2019-02-01",
    "2019-03-11",
    "2019-04-30",
    "2019-06-01",
    "2019-06-04",
    "2019-08-01",
    "2019-08-15",
    "2019-11-01",
    "2020-06-01",
    "2020-07-15",
    "2020-09-01",
    "2020-10-01",
    "2020-12-01",
    "2021-01-01",
    "2021-02-01",
    "2021-03-01",
    "2021-05-01",
    "2021-08-01",
    "2021-10-01",
    "2021-11-01",
    "2021-11-15",
    "2021-12-13",
    "2023-07-01",
    "2023-11-15",
    "2024-03-15",
    "2024-07-17",
    "2025-04-07",
];

/// The `newest-versions` IMDS lists in its api-version errors: the three newest, newest first.
pub(crate) const NEWEST_API_VERSIONS: [&str; 3] = ["2025-04-07", "2024-07-17", "2024-03-15"];

/// Why a request was refused before any endpoint logic ran. Each endpoint family renders it in
/// its own envelope (`From<Rejection>` on its error enum).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// `Metadata: true` is missing.
    MetadataHeader,
    /// The request carries `X-Forwarded-For`.
    ForwardedFor,
    /// This query parameter appears more than once.
    DuplicateParameter(String),
    /// No `api-version`.
    ApiVersionMissing,
    /// An `api-version` IMDS does not support.
    ApiVersionInvalid,
}

/// The decoded query of a request that passed the common checks.
#[derive(Debug, Clone)]
pub(crate) struct ImdsQuery {
    params: Vec<(String, String)>,
}

impl ImdsQuery {
    /// Applies the header and duplicate-parameter checks, in IMDS's order.
    pub fn check(request: &HttpRequest) -> Result<Self, Rejection> {
        let metadata = request.headers().get("metadata");
        let metadata_ok = metadata
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        if !metadata_ok {
            return Err(Rejection::MetadataHeader);
        }
        if request.headers().contains_key("x-forwarded-for") {
            return Err(Rejection::ForwardedFor);
        }
        Self::parse(request.query_string())
    }

    /// Decodes a query string, refusing repeated parameter names.
    fn parse(query: &str) -> Result<Self, Rejection> {
        let mut params: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if params.iter().any(|(seen, _)| *seen == name) {
                return Err(Rejection::DuplicateParameter(name.into_owned()));
            }
            params.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self { params })
    }

    /// The value of a query parameter, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The `api-version`, which must be one IMDS supports.
    pub fn api_version(&self) -> Result<&str, Rejection> {
        let version = self
            .get("api-version")
            .ok_or(Rejection::ApiVersionMissing)?;
        if version.is_empty() {
            return Err(Rejection::ApiVersionMissing);
        }
        if !SUPPORTED_API_VERSIONS.contains(&version) {
            return Err(Rejection::ApiVersionInvalid);
        }
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_decodes_percent_encoding_and_keeps_raw_urls() {
        let query = ImdsQuery::parse(
            "api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.core.windows.net%2F&x=https://a/b",
        )
        .unwrap();
        assert_eq!(
            query.get("resource"),
            Some("https://management.core.windows.net/")
        );
        assert_eq!(query.get("x"), Some("https://a/b"));
        assert_eq!(query.api_version(), Ok("2018-02-01"));
    }

    #[test]
    fn parse_with_a_repeated_name_is_rejected() {
        assert_eq!(
            ImdsQuery::parse("resource=a&api-version=2018-02-01&resource=b").unwrap_err(),
            Rejection::DuplicateParameter("resource".into())
        );
    }

    #[test]
    fn api_version_missing_empty_or_unknown_is_rejected() {
        let cases = [
            ("resource=a", Rejection::ApiVersionMissing),
            ("api-version=", Rejection::ApiVersionMissing),
            ("api-version=2018-02-02", Rejection::ApiVersionInvalid),
            ("api-version=latest", Rejection::ApiVersionInvalid),
        ];
        for (query, want) in cases {
            let parsed = ImdsQuery::parse(query).unwrap();
            assert_eq!(parsed.api_version(), Err(want), "{query}");
        }
    }

    #[test]
    fn supported_versions_are_sorted_and_end_with_the_newest() {
        let mut sorted = SUPPORTED_API_VERSIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, SUPPORTED_API_VERSIONS);
        let newest: Vec<&str> = SUPPORTED_API_VERSIONS
            .iter()
            .rev()
            .take(3)
            .copied()
            .collect();
        assert_eq!(newest, NEWEST_API_VERSIONS);
    }
}
