//! Listener binding, the rustls server configuration, and the HTTPS client that trusts the local CA.

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;

use crate::ServerCertificate;

/// The host part of a URL that reaches a listener bound to `ip` from this machine: the address
/// itself, except `0.0.0.0`/`::` (every interface), which local clients reach at `127.0.0.1`.
pub fn url_host(ip: std::net::IpAddr) -> String {
    match ip {
        ip if ip.is_unspecified() => "127.0.0.1".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    }
}

/// Binds `addr` (port 0 picks a free port).
pub fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The rustls crypto provider every server and client here uses: aws-lc-rs, the project's one
/// crypto stack. Passed explicitly, so no process-wide default has to be installed first.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls server configuration (aws-lc-rs provider) serving `cert`.
pub fn rustls_server_config(cert: &ServerCertificate) -> anyhow::Result<rustls::ServerConfig> {
    let certs = rustls_pemfile::certs(&mut cert.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("parsing the server certificate")?;
    let key = rustls_pemfile::private_key(&mut cert.key_pem.as_bytes())
        .context("parsing the server key")?
        .context("no private key in the server key file")?;
    let config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("building the TLS configuration")?;
    Ok(config)
}

/// An HTTP client that trusts the local CA (PEM) in addition to nothing else.
pub fn https_client(ca_pem: &str) -> anyhow::Result<reqwest::Client> {
    client_builder(Some(ca_pem))?
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .context("building the HTTP client")
}

/// A reqwest builder whose TLS (aws-lc-rs) trusts `ca_pem` only, or no certificate at all (for
/// plain-HTTP clients). reqwest is built without a crypto provider of its own, so every client is
/// made here or from here.
pub fn client_builder(ca_pem: Option<&str>) -> anyhow::Result<reqwest::ClientBuilder> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca_pem) = ca_pem {
        for cert in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
            roots
                .add(cert.context("parsing the CA certificate")?)
                .context("adding the CA certificate")?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder().use_preconfigured_tls(tls))
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_host_is_the_address_or_loopback_for_every_interface() {
        let host = |ip: &str| super::url_host(ip.parse().unwrap());
        assert_eq!(host("0.0.0.0"), "127.0.0.1");
        assert_eq!(host("::"), "127.0.0.1");
        assert_eq!(host("127.0.0.2"), "127.0.0.2");
        assert_eq!(host("::1"), "[::1]");
    }
}
