//! The `api-version` query parameter.

/// A syntactically valid ARM api-version: `YYYY-MM-DD` optionally followed by `-preview`,
/// `-beta`, `-alpha` or `-privatepreview` (compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiVersion(String);

/// The suffixes ARM accepts after the date.
const SUFFIXES: [&str; 4] = ["preview", "beta", "alpha", "privatepreview"];

impl ApiVersion {
    /// Parses an api-version; `None` if it is not of the form ARM accepts.
    pub fn parse(value: &str) -> Option<Self> {
        let (date, suffix) = match value.get(10..) {
            Some("") => (value, None),
            Some(rest) => (&value[..10], Some(rest.strip_prefix('-')?)),
            None => return None,
        };
        if !is_date(date) {
            return None;
        }
        if let Some(suffix) = suffix {
            if !SUFFIXES.iter().any(|s| s.eq_ignore_ascii_case(suffix)) {
                return None;
            }
        }
        Some(Self(value.to_string()))
    }

    /// The version exactly as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a preview (or beta/alpha) version.
    pub fn is_preview(&self) -> bool {
        self.0.len() > 10
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_date(date: &str) -> bool {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = date[5..7].parse().unwrap_or(0);
    let day: u32 = date[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_dates_and_known_suffixes() {
        for good in [
            "2024-11-01",
            "2022-05-01-preview",
            "2025-05-31-PREVIEW",
            "2015-07-01-beta",
            "2020-01-01-alpha",
            "2019-01-01-privatepreview",
        ] {
            assert!(ApiVersion::parse(good).is_some(), "{good}");
        }
    }

    #[test]
    fn parse_rejects_other_shapes() {
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2024-11-32",
            "2024-11-01-",
            "2024-11-01-foo",
            "2024-11-01preview",
            "24-11-01",
            "abcd-ef-gh",
            "2024-11-01 ",
        ] {
            assert!(ApiVersion::parse(bad).is_none(), "{bad:?}");
        }
    }
}
