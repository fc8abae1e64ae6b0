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
        if !self.server_cert.exists() || !self.server_key.exists() {
            let ca_cert =
                std::fs::read_to_string(&self.ca_cert).context("reading the CA certificate")?;
            let ca_key = std::fs::read_to_string(&self.ca_key).context("reading the CA key")?;
            let server = issue_server_certificate(&ca_cert, &ca_key, extra_names)?;
            write_private(&self.server_key, &server.key_pem)?;
            write_atomic(&self.server_cert, &server.cert_pem)?;
        }
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
    let ca_params = rcgen::CertificateParams::from_ca_cert_pem(ca_cert_pem)?;
    let ca = ca_params.self_signed(&ca_key)?;
    let key = rcgen::KeyPair::generate()?;
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    names.extend(extra_names.iter().cloned());
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

/// Writes a file through a temporary sibling and a rename, so readers never see half of it. For
/// public material (certificates, port maps); its directory is created owner-only all the same.
pub fn write_atomic(path: &Path, contents: &str) -> anyhow::Result<()> {
    crate::files::write_public(path, contents)
}

/// Like [`write_atomic`], owner-only from the moment the file exists ([`crate::files::write_private`]).
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    crate::files::write_private(path, contents)
}
