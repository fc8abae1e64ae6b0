//! The data directory: created on first start, reused after. See `docs/internal-apis.md`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use mimic_web::{InternalKey, Pki, ServerCertificate};

/// Everything the services need from the data dir, created if missing.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// Absolute path of the directory.
    pub root: PathBuf,
    pub pki: Pki,
    pub server_certificate: ServerCertificate,
    pub ca_pem: String,
    pub internal_key: InternalKey,
}

impl DataDir {
    /// Creates the directory (owner-only), the CA, the server certificate and the internal key unless they exist.
    pub fn ensure(path: &Path) -> anyhow::Result<Self> {
        Self::ensure_with_names(path, &[])
    }

    /// Like [`DataDir::ensure`], with extra DNS names in a newly made server certificate.
    pub fn ensure_with_names(path: &Path, tls_names: &[String]) -> anyhow::Result<Self> {
        let existed = path.exists();
        mimic_web::files::create_private_dir(path)
            .with_context(|| format!("creating the data dir {}", path.display()))?;
        #[cfg(unix)]
        if existed {
            // A data dir made by an older mimic (0755, files 0644) let any local user read the keys.
            let changed = mimic_web::files::tighten_dir(path)?;
            if changed > 0 {
                tracing::warn!(
                    data_dir = %path.display(),
                    changed,
                    "the data dir was readable by other users; made it owner-only (0700, files 0600)"
                );
            }
        }
        let root = path
            .canonicalize()
            .with_context(|| format!("resolving {}", path.display()))?;
        let pki = Pki::at(&root);
        // Azure's public names too, for the sandbox (docs/hostnames.md): nothing outside it
        // resolves them to mimic, and the CA could sign them anyway.
        let mut names = tls_names.to_vec();
        names.extend(mimic_web::hostnames::all());
        names.push(mimic_web::hostnames::KEY_VAULT_WILDCARD.to_string());
        let own_vaults = format!("*.{}", mimic_arm::settings::DEFAULT_KEY_VAULT_DNS_SUFFIX);
        if !names.contains(&own_vaults) {
            names.push(own_vaults);
        }
        let server_certificate = pki.ensure_with_names(&names)?;
        let ca_pem = std::fs::read_to_string(&pki.ca_cert).context("reading the CA certificate")?;
        let internal_key = InternalKey::ensure(&root.join("internal.key"))?;
        Ok(Self {
            root,
            pki,
            server_certificate,
            ca_pem,
            internal_key,
        })
    }

    /// `aad.db`.
    pub fn aad_db(&self) -> PathBuf {
        self.root.join("aad.db")
    }
    /// `arm.db`.
    pub fn arm_db(&self) -> PathBuf {
        self.root.join("arm.db")
    }
    /// `aad/`, where the token-signing key lives.
    pub fn aad_keys(&self) -> PathBuf {
        self.root.join("aad")
    }
    /// `endpoints.json`.
    pub fn endpoints(&self) -> PathBuf {
        self.root.join("endpoints.json")
    }
}

/// The data dir a command names, or `./.mimic`.
pub fn resolve(path: Option<PathBuf>) -> PathBuf {
    path.unwrap_or_else(|| PathBuf::from(".mimic"))
}
