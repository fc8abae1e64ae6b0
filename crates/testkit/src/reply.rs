//! [`Reply`]: what every harness request returns.

use reqwest::header::HeaderMap;
use serde_json::Value;

/// A response read whole: status, headers, the body as text, and the body as JSON.
///
/// Error helpers read whichever envelope the service answered with:
///
/// | Service | Envelope | [`Reply::code`] | [`Reply::message`] |
/// |---|---|---|---|
/// | ARM, Microsoft Graph | `{"error": {"code", "message"}}` | `error.code` | `error.message` |
/// | AAD OAuth2, IMDS | `{"error", "error_description", "error_codes"}` | `error` | `error_description` |
///
/// [`Reply::aadsts`] reads AAD's numeric `error_codes[0]`.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body parsed as JSON; `Null` when the body is empty or not JSON.
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// Reads a response into a [`Reply`].
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("reading the response body");
        Self {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// The body as JSON; panics (failing the test) when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {} {}", self.status, self.text))
    }

    /// A header's value; empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a text header"))
            .unwrap_or_default()
    }

    /// The `content-type` header; empty when absent.
    pub fn content_type(&self) -> &str {
        self.header("content-type")
    }

    /// The error code: `error.code` (ARM, Graph) or `error` (OAuth2, IMDS); empty if neither.
    pub fn code(&self) -> &str {
        let error = &self.body["error"];
        error
            .as_str()
            .or_else(|| error["code"].as_str())
            .unwrap_or_default()
    }

    /// The error message: `error.message` (ARM, Graph) or `error_description` (OAuth2, IMDS);
    /// empty if neither.
    pub fn message(&self) -> &str {
        self.body["error"]["message"]
            .as_str()
            .or_else(|| self.body["error_description"].as_str())
            .unwrap_or_default()
    }

    /// AAD's AADSTS number (`error_codes[0]`); -1 if absent.
    pub fn aadsts(&self) -> i64 {
        self.body["error_codes"][0].as_i64().unwrap_or(-1)
    }

    /// The `access_token` of a token response; panics when there is none.
    pub fn token(&self) -> &str {
        self.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {} {}", self.status, self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(body: Value) -> Reply {
        Reply {
            status: 400,
            headers: HeaderMap::new(),
            text: body.to_string(),
            body,
        }
    }

    #[test]
    fn code_and_message_read_each_services_envelope() {
        let cases = [
            (
                "ARM",
                json!({"error": {"code": "ResourceGroupNotFound", "message": "gone"}}),
                ("ResourceGroupNotFound", "gone", -1),
            ),
            (
                "Graph",
                json!({"error": {"code": "Request_ResourceNotFound", "message": "no such object",
                    "innerError": {"request-id": "1"}}}),
                ("Request_ResourceNotFound", "no such object", -1),
            ),
            (
                "OAuth2",
                json!({"error": "invalid_client", "error_description": "AADSTS7000215: bad secret",
                    "error_codes": [7000215]}),
                ("invalid_client", "AADSTS7000215: bad secret", 7000215),
            ),
            ("success", json!({"name": "x"}), ("", "", -1)),
        ];
        for (service, body, want) in cases {
            let reply = reply(body);
            assert_eq!(
                (reply.code(), reply.message(), reply.aadsts()),
                want,
                "{service}"
            );
        }
    }

    #[test]
    fn json_fails_on_a_body_that_is_not_json() {
        let mut not_json = reply(Value::Null);
        not_json.text = "<html>".into();

        let outcome = std::panic::catch_unwind(|| not_json.json());

        assert!(outcome.is_err());
        assert_eq!(not_json.body, Value::Null);
    }
}
