//! Azure's public hostnames that mimic answers as, inside the sandbox (`mimic vm exec --netns`,
//! `mimic vm shell`, `mimic workload exec --netns`; docs/hostnames.md). One list, read by the server
//! certificate (its names), by AAD and ARM (a request that came to one of these names is answered
//! as the public cloud: discovery documents, issuers and links name the host it came to) and by the
//! sandbox (its hosts file). Outside the sandbox nothing resolves these names to mimic.

/// The names of Entra ID's public cloud authority (MSAL's aliases of `login.microsoftonline.com`).
pub const LOGIN_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
];
/// Azure Resource Manager's public name.
pub const ARM_HOST: &str = "management.azure.com";
/// Microsoft Graph's public name.
pub const GRAPH_HOST: &str = "graph.microsoft.com";

/// Key Vault's public vault names (`{vault}.vault.azure.net`), as the server certificate names
/// them: the data plane shares ARM's listener and tells vaults apart by `Host`.
pub const KEY_VAULT_WILDCARD: &str = "*.vault.azure.net";

/// Every public name mimic serves: the server certificate carries them all.
pub fn all() -> Vec<String> {
    LOGIN_HOSTS
        .iter()
        .chain([ARM_HOST, GRAPH_HOST].iter())
        .map(ToString::to_string)
        .collect()
}

/// `https://{host}` when the request's `Host` header (port 443 or none, any case) is one of
/// `names`: the base URL a client that reached mimic by that public name expects in what mimic
/// sends back. `None` for any other host (mimic's own `127.0.0.1:port` URLs stay as configured).
pub fn public_base(host_header: Option<&str>, names: &[&str]) -> Option<String> {
    let host = host_header?.trim().to_ascii_lowercase();
    let host = host.strip_suffix(":443").unwrap_or(&host);
    names
        .iter()
        .find(|name| **name == host)
        .map(|name| format!("https://{name}"))
}

/// [`public_base`] of a request: its `Host` header (HTTP/1.1) or `:authority` (HTTP/2). Forwarding
/// headers are ignored: mimic sits behind no proxy.
pub fn request_public_base(request: &actix_web::HttpRequest, names: &[&str]) -> Option<String> {
    let host = match request.headers().get(actix_web::http::header::HOST) {
        Some(value) => value.to_str().ok().map(str::to_string),
        None => request
            .uri()
            .authority()
            .map(|authority| authority.to_string()),
    };
    public_base(host.as_deref(), names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_base_accepts_only_the_listed_names_on_port_443() {
        let cases = [
            (
                Some("login.microsoftonline.com"),
                Some("https://login.microsoftonline.com"),
            ),
            (
                Some("LOGIN.windows.net:443"),
                Some("https://login.windows.net"),
            ),
            (Some("login.microsoftonline.com:8443"), None),
            (Some("127.0.0.1:8444"), None),
            (Some("evil.example"), None),
            (None, None),
        ];
        for (host, want) in cases {
            assert_eq!(public_base(host, LOGIN_HOSTS).as_deref(), want, "{host:?}");
        }
    }

    #[test]
    fn all_names_every_public_host_once() {
        let names = all();
        assert_eq!(names.len(), LOGIN_HOSTS.len() + 2);
        assert!(names.contains(&ARM_HOST.to_string()) && names.contains(&GRAPH_HOST.to_string()));
    }
}
