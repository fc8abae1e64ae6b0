//! A local certificate authority and the server certificate it signs for `127.0.0.1`/`localhost`.
//! Files: `ca.pem` and `ca-key.pem` in the data dir, `tls/server.pem` and `tls/server-key.pem`.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// PEM certificate and key of a TLS server.
#[derive(Clone)]
pub struct ServerCertificate {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCertificate").finish_non_exhaustive()
    }
}

/// Paths of the local CA and server certificate inside a data dir.
#[derive(Debug, Clone)]
pub struct Pki {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl Pki {
    /// The layout under `dir`.
    pub fn at(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            server_cert: dir.join("tls").join("server.pem"),
            server_key: dir.join("tls").join("server-key.pem"),
        }
    }

    /// Creates the CA and the server certificate unless they exist; returns the server certificate.
    pub fn ensure(&self) -> anyhow::Result<ServerCertificate> {
        self.ensure_with_names(&[])
    }

    /// Like [`Pki::ensure`], with extra DNS names in a newly made server certificate (containers
    /// reach each other by service name, e.g. `aad`).
    pub fn ensure_with_names(&self, extra_names: &[String]) -> anyhow::Result<ServerCertificate> {
        if !self.ca_cert.exists() || !self.ca_key.exists() {
            let (cert, key) = new_ca()?;
            write_private(&self.ca_key, &key)?;
            write_atomic(&self.ca_cert, &cert)?;
        }
        let names = match self.server_cert.exists() && self.server_key.exists() {
            true => {
                let current = self.load_server()?;
                let held = names_of(&current.cert_pem)?;
                let wanted = extra_names
                    .iter()
                    .map(|name| san(name))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                if wanted.iter().all(|name| held.contains(name)) {
                    return Ok(current);
                }
                // Re-issued by the same CA: clients that trust `ca.pem` keep trusting it.
                tracing::info!(
                    names = ?extra_names,
                    "the server certificate lacks a requested name; issuing a new one from the CA"
                );
                let mut names: Vec<String> = held.iter().filter_map(san_text).collect();
                for (name, wanted) in extra_names.iter().zip(&wanted) {
                    if !held.contains(wanted) {
                        names.push(name.clone());
                    }
                }
                names
            }
            false => extra_names.to_vec(),
        };
        let ca_cert =
            std::fs::read_to_string(&self.ca_cert).context("reading the CA certificate")?;
        let ca_key = std::fs::read_to_string(&self.ca_key).context("reading the CA key")?;
        let server = issue_server_certificate(&ca_cert, &ca_key, &names)?;
        write_private(&self.server_key, &server.key_pem)?;
        write_atomic(&self.server_cert, &server.cert_pem)?;
        self.load_server()
    }

    /// Reads the server certificate.
    pub fn load_server(&self) -> anyhow::Result<ServerCertificate> {
        Ok(ServerCertificate {
            cert_pem: std::fs::read_to_string(&self.server_cert)
                .context("reading the server certificate")?,
            key_pem: std::fs::read_to_string(&self.server_key).context("reading the server key")?,
        })
    }
}

fn new_ca() -> anyhow::Result<(String, String)> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mimic local CA");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "mimic");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Signs a certificate for `127.0.0.1`, `::1`, `localhost` and `extra_names` with the CA.
pub fn issue_server_certificate(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    extra_names: &[String],
) -> anyhow::Result<ServerCertificate> {
    let ca_key = rcgen::KeyPair::from_pem(ca_key_pem)?;
    let ca = crate::x509::issuer_params(ca_cert_pem)?.self_signed(&ca_key)?;
    let key = rcgen::KeyPair::generate()?;
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    for name in extra_names {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params.signed_by(&key, &ca, &ca_key)?;
    Ok(ServerCertificate {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// The subject alternative names of a PEM certificate.
fn names_of(cert_pem: &str) -> anyhow::Result<Vec<rcgen::SanType>> {
    crate::x509::alt_names(cert_pem).context("reading the server certificate's names")
}

/// A name as the certificate holds it: an IP address or a DNS name.
fn san(name: &str) -> anyhow::Result<rcgen::SanType> {
    Ok(match name.parse::<std::net::IpAddr>() {
        Ok(ip) => rcgen::SanType::IpAddress(ip),
        Err(_) => rcgen::SanType::DnsName(
            name.to_string()
                .try_into()
                .with_context(|| format!("{name:?} is not a DNS name"))?,
        ),
    })
}

/// A DNS or IP name back as text (other kinds are not ours).
fn san_text(name: &rcgen::SanType) -> Option<String> {
    match name {
        rcgen::SanType::DnsName(name) => Some(name.as_str().to_string()),
        rcgen::SanType::IpAddress(ip) => Some(ip.to_string()),
        _ => None,
    }
}

/// Writes a file through a temporary sibling and a rename, so readers never see half of it. For
/// public material (certificates, port maps); its directory is created owner-only all the same.
pub fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    crate::files::write_public(path, contents)
}

/// Like [`write_atomic`], owner-only from the moment the file exists ([`crate::files::write_private`]).
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    crate::files::write_private(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.3 handshake in memory: a client trusting `ca_pem` only, a server serving `cert`.
    fn handshake(ca_pem: &str, cert: &ServerCertificate) -> Result<(), rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        for ca in rustls_pemfile::certs(&mut ca_pem.as_bytes()) {
            roots.add(ca.unwrap()).unwrap();
        }
        let client = rustls::ClientConfig::builder_with_provider(crate::crypto_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let mut client = rustls::ClientConnection::new(std::sync::Arc::new(client), name).unwrap();
        let server = crate::rustls_server_config(cert).unwrap();
        let mut server = rustls::ServerConnection::new(std::sync::Arc::new(server)).unwrap();
        while client.is_handshaking() || server.is_handshaking() {
            let mut bytes = Vec::new();
            client.write_tls(&mut bytes).unwrap();
            server.read_tls(&mut bytes.as_slice()).unwrap();
            server.process_new_packets()?;
            bytes.clear();
            server.write_tls(&mut bytes).unwrap();
            client.read_tls(&mut bytes.as_slice()).unwrap();
            client.process_new_packets()?;
        }
        Ok(())
    }

    #[test]
    fn a_ca_made_before_aws_lc_rs_still_issues_certificates_clients_accept() {
        // `ca.pem`/`ca-key.pem` as rcgen over ring wrote them into data dirs (ECDSA P-256 PKCS#8).
        let ca_cert = include_str!("../tests/data/ring-era-ca.pem");
        let ca_key = include_str!("../tests/data/ring-era-ca-key.pem");

        let server = issue_server_certificate(ca_cert, ca_key, &[]).unwrap();

        assert!(handshake(ca_cert, &server).is_ok());
        let (other_ca, _) = new_ca().unwrap();
        assert!(
            handshake(&other_ca, &server).is_err(),
            "another CA does not vouch for it"
        );
    }

    #[test]
    fn a_missing_tls_name_reissues_the_server_certificate_from_the_same_ca() {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::at(dir.path());
        let first = pki.ensure().unwrap();
        let ca = std::fs::read_to_string(&pki.ca_cert).unwrap();
        let has = |cert: &ServerCertificate, name: &str| {
            names_of(&cert.cert_pem)
                .unwrap()
                .contains(&san(name).unwrap())
        };
        assert!(!has(&first, "mimic.example"));

        let second = pki
            .ensure_with_names(&["mimic.example".into(), "10.0.0.5".into()])
            .unwrap();
        assert!(
            has(&second, "mimic.example") && has(&second, "10.0.0.5") && has(&second, "localhost")
        );
        assert_ne!(first.cert_pem, second.cert_pem);
        assert_eq!(
            std::fs::read_to_string(&pki.ca_cert).unwrap(),
            ca,
            "the CA stays"
        );

        // Names already held, or none asked: the certificate is not touched.
        let third = pki.ensure_with_names(&["mimic.example".into()]).unwrap();
        assert_eq!(third.cert_pem, second.cert_pem);
        assert_eq!(pki.ensure().unwrap().cert_pem, second.cert_pem);
        // A later name keeps the earlier ones.
        let fourth = pki.ensure_with_names(&["other.example".into()]).unwrap();
        assert!(has(&fourth, "other.example") && has(&fourth, "mimic.example"));
    }
}
