//! Route-parameter filtering (`/metadata/instance/network/interface/0/…`) and the `json` and
//! `text` formats. See the IMDS doc, "Route parameters" and "Data format".

use actix_web::HttpResponse;
use serde_json::Value;

use crate::error::MetadataError;

/// `format=json` (default) or `format=text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Text,
}

impl Format {
    /// Parses the `format` parameter (case-insensitive).
    pub fn parse(format: Option<&str>) -> Result<Self, MetadataError> {
        match format {
            None => Ok(Self::Json),
            Some(text) if text.eq_ignore_ascii_case("json") => Ok(Self::Json),
            Some(text) if text.eq_ignore_ascii_case("text") => Ok(Self::Text),
            Some(other) => Err(MetadataError::InvalidFormat(other.to_string())),
        }
    }
}

/// The node at `path` (slash-separated keys and array indexes; empty segments ignored).
pub(crate) fn find<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .try_fold(document, |node, segment| match node {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
            _ => None,
        })
}

/// Renders `node`: JSON for objects and arrays, text on request. A leaf needs `format=text`.
pub(crate) fn respond(node: &Value, format: Format) -> Result<HttpResponse, MetadataError> {
    match (format, is_leaf(node)) {
        (Format::Json, true) => Err(MetadataError::LeafRequiresText),
        (Format::Json, false) => Ok(HttpResponse::Ok().json(node)),
        (Format::Text, _) => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(text(node))),
    }
}

fn is_leaf(node: &Value) -> bool {
    !matches!(node, Value::Object(_) | Value::Array(_))
}

/// A leaf's value, or one line per child of an inner node (`name/` when the child has children).
fn text(node: &Value) -> String {
    let entry = |name: String, child: &Value| match is_leaf(child) {
        true => name,
        false => format!("{name}/"),
    };
    match node {
        Value::String(value) => value.clone(),
        Value::Object(map) => lines(map.iter().map(|(key, child)| entry(key.clone(), child))),
        Value::Array(items) => lines(
            items
                .iter()
                .enumerate()
                .map(|(index, child)| entry(index.to_string(), child)),
        ),
        other => other.to_string(),
    }
}

fn lines(entries: impl Iterator<Item = String>) -> String {
    entries.collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn find_walks_keys_and_indexes() {
        let document = json!({"network": {"interface": [{"macAddress": "00AA"}]}});
        assert_eq!(
            find(&document, "network/interface/0/macAddress"),
            Some(&json!("00AA"))
        );
        assert_eq!(find(&document, ""), Some(&document));
        assert_eq!(find(&document, "network/interface/1"), None);
        assert_eq!(find(&document, "network/interface/x"), None);
        assert_eq!(find(&document, "nope"), None);
    }

    #[test]
    fn text_lists_children_and_prints_leaves() {
        let document = json!({"compute": {"name": "vm1"}, "zone": "", "list": [{"a": "b"}, "c"]});
        assert_eq!(text(&document), "compute/\nlist/\nzone");
        assert_eq!(text(&document["list"]), "0/\n1");
        assert_eq!(text(&document["compute"]["name"]), "vm1");
    }

    #[test]
    fn format_parse_accepts_json_and_text_only() {
        assert_eq!(Format::parse(None).unwrap(), Format::Json);
        assert_eq!(Format::parse(Some("TEXT")).unwrap(), Format::Text);
        assert!(Format::parse(Some("xml")).is_err());
    }
}
