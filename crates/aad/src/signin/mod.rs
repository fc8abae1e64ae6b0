//! User sign-in: the resource-owner password grant (`az login -u USER -p PASSWORD`), the
//! authorization-code grant with PKCE behind a small login page (the portal), refresh tokens, and
//! user realm discovery. Only the well-known public clients in [`PUBLIC_CLIENTS`] may sign users
//! in; they need no registration, as in Azure where they are first-party apps.
//! See `docs/users-and-sign-in.md`.

pub mod authorize;
pub mod cors;
pub mod grants;
pub mod realm;
pub mod tokens;

/// Azure CLI's application id.
pub const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// Azure PowerShell's application id.
pub const AZURE_POWERSHELL: &str = "1950a258-227b-4e31-a9cf-717495945fc2";
/// mimic's portal (a single-page app): authorization code + PKCE, no secret.
pub const MIMIC_PORTAL: &str = "6d696d69-6370-4f72-8c74-616c00000001";

/// The public clients users may sign in to, with their display names.
pub const PUBLIC_CLIENTS: [(&str, &str); 3] = [
    (AZURE_CLI, "Microsoft Azure CLI"),
    (AZURE_POWERSHELL, "Microsoft Azure PowerShell"),
    (MIMIC_PORTAL, "mimic portal"),
];

/// Whether `client_id` is one of [`PUBLIC_CLIENTS`] (case-insensitive).
pub fn is_public_client(client_id: &str) -> bool {
    PUBLIC_CLIENTS
        .iter()
        .any(|(id, _)| id.eq_ignore_ascii_case(client_id))
}

/// Whether `redirect_uri` is allowed for the portal client: `https://127.0.0.1:{port}/portal/…`
/// or `https://localhost:{port}/…` (any port). Azure allows exactly the registered URIs; mimic's
/// portal runs on whatever port `mimic up` chose, so the rule is by host.
pub fn is_allowed_redirect_uri(redirect_uri: &str) -> bool {
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return false;
    };
    if url.scheme() != "https" || url.fragment().is_some() {
        return false;
    }
    match url.host_str() {
        Some("127.0.0.1") => url.path().starts_with("/portal/"),
        Some("localhost") => true,
        _ => false,
    }
}

/// Whether a browser origin may call the token endpoint: `https://127.0.0.1[:port]` or
/// `https://localhost[:port]`, where the portal is served.
pub fn is_allowed_origin(origin: &str) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    url.scheme() == "https"
        && matches!(url.host_str(), Some("127.0.0.1") | Some("localhost"))
        && url.path() == "/"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_allowed_by_host_and_path() {
        let cases = [
            ("https://127.0.0.1:8443/portal/", true),
            ("https://127.0.0.1:1/portal/callback", true),
            ("https://localhost:5173/", true),
            ("https://127.0.0.1:8443/other", false),
            ("http://127.0.0.1:8443/portal/", false),
            ("https://example.com/portal/", false),
            ("https://localhost/#x", false),
            ("not a url", false),
        ];
        for (uri, want) in cases {
            assert_eq!(is_allowed_redirect_uri(uri), want, "{uri}");
        }
    }

    #[test]
    fn origins_are_allowed_for_loopback_https_only() {
        assert!(is_allowed_origin("https://127.0.0.1:8443"));
        assert!(is_allowed_origin("https://localhost:5173"));
        assert!(!is_allowed_origin("http://127.0.0.1:8443"));
        assert!(!is_allowed_origin("https://evil.example"));
    }

    #[test]
    fn public_clients_are_recognised_in_any_case() {
        assert!(is_public_client(&AZURE_CLI.to_uppercase()));
        assert!(is_public_client(MIMIC_PORTAL));
        assert!(!is_public_client("0f1e2d3c-4b5a-4968-8776-655443322110"));
    }
}
