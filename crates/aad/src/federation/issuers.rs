//! mimic's own OIDC issuers, so a federated exchange runs with nothing else installed: a *local*
//! issuer is served at `{aad}/issuers/{name}` (discovery and JWKS) and signs service-account-style
//! tokens with its own RSA key; an *imported* issuer is a real cluster's (kind, k3s, AKS) that
//! mimic cannot reach, trusted through the JWKS the operator copied from it. Each is one owner-only
//! file, `{data}/issuers/{name}.json`; the files are read at start and changed only through the
//! internal API (`crates/aad/src/federation/internal_issuers.rs`), which keeps memory and disk in step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use mimic_token::{ExternalKey, Jwk, SigningKey};
use serde::{Deserialize, Serialize};

/// How many keys a local issuer keeps after a rotation: the new one signs, the previous one is
/// still published so tokens it signed keep verifying until they expire.
pub const KEYS_KEPT: usize = 2;

/// An issuer as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum IssuerFile {
    /// Served by mimic; keys newest first (PKCS#8 and certificate PEM).
    Local { keys: Vec<KeyFile> },
    /// Someone else's: its issuer URL and the JWKS copied from it.
    Imported {
        issuer: String,
        jwks: serde_json::Value,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFile {
    key_pem: String,
    cert_pem: String,
}

/// One issuer in memory.
#[derive(Debug, Clone)]
pub enum Issuer {
    /// Served by mimic: keys newest first; the first signs. `public` holds their public halves,
    /// made once, for the exchange's verification.
    Local {
        keys: Vec<Arc<SigningKey>>,
        public: Vec<ExternalKey>,
    },
    /// A real cluster's.
    Imported {
        issuer: String,
        jwks: serde_json::Value,
        keys: Vec<ExternalKey>,
    },
}

impl Issuer {
    /// A local issuer of `keys` (newest first), with their public halves.
    fn local(keys: Vec<Arc<SigningKey>>) -> Self {
        let public = keys
            .iter()
            .filter_map(|key| {
                ExternalKey::from_jwk(&serde_json::to_value(Jwk::from_key(key, None)).ok()?)
            })
            .collect();
        Self::Local { keys, public }
    }
}

/// What the internal API lists of an issuer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerView {
    pub name: String,
    pub kind: &'static str,
    /// The `iss` its tokens carry (what a federated credential names).
    pub issuer: String,
    /// Key ids, newest first.
    pub kids: Vec<String>,
}

/// Called with every issuer after any change made through the internal API, and with a sender to
/// acknowledge once the change is recorded (`mimic up` rewrites `endpoints.json`): the API answers
/// after the acknowledgement.
pub type OnChange = Box<dyn Fn(Vec<IssuerView>, tokio::sync::oneshot::Sender<()>) + Send + Sync>;

/// Every issuer, by name.
pub struct Issuers {
    dir: PathBuf,
    /// AAD's public URL: local issuers live under it.
    base_url: String,
    all: RwLock<BTreeMap<String, Issuer>>,
    on_change: std::sync::OnceLock<OnChange>,
}

impl std::fmt::Debug for Issuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuers")
            .field("dir", &self.dir)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Why an issuer operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    #[error("The issuer name '{0}' is not valid: use 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit.")]
    InvalidName(String),
    #[error("No issuer is named '{0}'.")]
    NotFound(String),
    #[error("The issuer '{0}' is imported: mimic holds no key to sign with.")]
    NotLocal(String),
    #[error("The issuer URL '{0}' is not an absolute http(s) URL.")]
    InvalidIssuerUrl(String),
    #[error("The JWKS holds no RSA or EC (P-256, P-384) signature key.")]
    EmptyJwks,
    #[error("The issuer '{0}' exists with another kind; delete it first.")]
    KindConflict(String),
}

/// Whether `name` may name an issuer (it becomes a URL path segment and a file name).
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

impl Issuers {
    /// Loads every issuer under `{data_dir}/issuers`.
    pub fn load(data_dir: &Path, base_url: &str) -> anyhow::Result<Self> {
        let dir = data_dir.join("issuers");
        let mut all = BTreeMap::new();
        if dir.is_dir() {
            for entry in
                std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
            {
                let path = entry?.path();
                let Some(name) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".json"))
                    .filter(|n| is_valid_name(n))
                    .map(str::to_string)
                else {
                    continue;
                };
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let file: IssuerFile = serde_json::from_str(&text)
                    .with_context(|| format!("parsing {}", path.display()))?;
                all.insert(name, from_file(file)?);
            }
        }
        Ok(Self {
            dir,
            base_url: base_url.trim_end_matches('/').to_string(),
            all: RwLock::new(all),
            on_change: std::sync::OnceLock::new(),
        })
    }

    /// Calls `on_change` after every later change (once set, it stays).
    pub fn on_change(&self, on_change: OnChange) {
        let _ = self.on_change.set(on_change);
    }

    /// Tells [`Issuers::on_change`]'s listener, and waits for its acknowledgement.
    pub async fn announce(&self) {
        if let Some(on_change) = self.on_change.get() {
            let (done, acknowledged) = tokio::sync::oneshot::channel();
            on_change(self.list(), done);
            let _ = acknowledged.await;
        }
    }

    /// The `iss` of the local issuer `name`.
    pub fn local_url(&self, name: &str) -> String {
        format!("{}/issuers/{name}", self.base_url)
    }

    /// The issuer named `name`.
    pub fn get(&self, name: &str) -> Option<Issuer> {
        self.read().get(name).cloned()
    }

    /// Every issuer, by name.
    pub fn list(&self) -> Vec<IssuerView> {
        self.read()
            .iter()
            .map(|(name, issuer)| self.view(name, issuer))
            .collect()
    }

    fn view(&self, name: &str, issuer: &Issuer) -> IssuerView {
        match issuer {
            Issuer::Local { keys, .. } => IssuerView {
                name: name.to_string(),
                kind: "local",
                issuer: self.local_url(name),
                kids: keys.iter().map(|k| k.kid().to_string()).collect(),
            },
            Issuer::Imported { issuer, keys, .. } => IssuerView {
                name: name.to_string(),
                kind: "imported",
                issuer: issuer.clone(),
                kids: keys
                    .iter()
                    .filter_map(|k| k.kid())
                    .map(str::to_string)
                    .collect(),
            },
        }
    }

    /// The public keys that verify tokens whose `iss` is `iss`, if it is one of mimic's issuers
    /// (local or imported); `None` when mimic does not know it.
    pub fn keys_for(&self, iss: &str) -> Option<Vec<ExternalKey>> {
        let all = self.read();
        if let Some(name) = iss.strip_prefix(&format!("{}/issuers/", self.base_url)) {
            if let Some(Issuer::Local { public, .. }) = all.get(name) {
                return Some(public.clone());
            }
        }
        all.values().find_map(|issuer| match issuer {
            Issuer::Imported { issuer, keys, .. } if issuer == iss => Some(keys.clone()),
            _ => None,
        })
    }

    /// Creates the local issuer `name` with a new key; `false` when it already existed (unchanged).
    pub async fn create_local(&self, name: &str) -> anyhow::Result<Result<bool, IssuerError>> {
        if !is_valid_name(name) {
            return Ok(Err(IssuerError::InvalidName(name.to_string())));
        }
        match self.get(name) {
            Some(Issuer::Local { .. }) => return Ok(Ok(false)),
            Some(Issuer::Imported { .. }) => {
                return Ok(Err(IssuerError::KindConflict(name.into())))
            }
            None => {}
        }
        let key = generate(name).await?;
        let mut all = self.write();
        // Another request may have created it meanwhile: the first one stands.
        if all.contains_key(name) {
            return Ok(Ok(false));
        }
        let issuer = Issuer::local(vec![Arc::new(key)]);
        self.save(name, &issuer)?;
        all.insert(name.to_string(), issuer);
        tracing::info!(issuer = %self.local_url(name), "created a local OIDC issuer");
        Ok(Ok(true))
    }

    /// A new signing key for the local issuer `name`; the previous key stays published
    /// ([`KEYS_KEPT`]). Returns the new `kid`.
    pub async fn rotate(&self, name: &str) -> anyhow::Result<Result<String, IssuerError>> {
        match self.get(name) {
            Some(Issuer::Local { .. }) => {}
            Some(Issuer::Imported { .. }) => return Ok(Err(IssuerError::NotLocal(name.into()))),
            None => return Ok(Err(IssuerError::NotFound(name.into()))),
        }
        let key = Arc::new(generate(name).await?);
        let mut all = self.write();
        let Some(Issuer::Local { keys, .. }) = all.get(name) else {
            return Ok(Err(IssuerError::NotFound(name.into())));
        };
        let keys: Vec<Arc<SigningKey>> = std::iter::once(key.clone())
            .chain(keys.iter().cloned())
            .take(KEYS_KEPT)
            .collect();
        let issuer = Issuer::local(keys);
        self.save(name, &issuer)?;
        all.insert(name.to_string(), issuer);
        tracing::info!(issuer = %self.local_url(name), kid = key.kid(), "rotated a local OIDC issuer's key");
        Ok(Ok(key.kid().to_string()))
    }

    /// Trusts another issuer's tokens by its JWKS (creates or replaces the import `name`).
    pub fn import(
        &self,
        name: &str,
        issuer_url: &str,
        jwks: serde_json::Value,
    ) -> anyhow::Result<Result<(), IssuerError>> {
        if !is_valid_name(name) {
            return Ok(Err(IssuerError::InvalidName(name.to_string())));
        }
        let valid_url = url::Url::parse(issuer_url)
            .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
        if !valid_url {
            return Ok(Err(IssuerError::InvalidIssuerUrl(issuer_url.to_string())));
        }
        let keys = ExternalKey::all_of(&jwks);
        if keys.is_empty() {
            return Ok(Err(IssuerError::EmptyJwks));
        }
        let mut all = self.write();
        if let Some(Issuer::Local { .. }) = all.get(name) {
            return Ok(Err(IssuerError::KindConflict(name.into())));
        }
        let issuer = Issuer::Imported {
            issuer: issuer_url.to_string(),
            jwks,
            keys,
        };
        self.save(name, &issuer)?;
        all.insert(name.to_string(), issuer);
        tracing::info!(%issuer_url, "imported an OIDC issuer's keys");
        Ok(Ok(()))
    }

    /// Forgets the issuer `name` (its file too); `false` if there was none.
    pub fn delete(&self, name: &str) -> anyhow::Result<bool> {
        let mut all = self.write();
        if all.remove(name).is_none() {
            return Ok(false);
        }
        let path = self.dir.join(format!("{name}.json"));
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        Ok(true)
    }

    /// The JWKS a local issuer publishes.
    pub fn jwks(&self, name: &str) -> Option<serde_json::Value> {
        match self.get(name)? {
            Issuer::Local { keys, .. } => {
                let keys: Vec<serde_json::Value> = keys
                    .iter()
                    .map(|key| {
                        let jwk = Jwk::from_key(key, None);
                        serde_json::json!({
                            "use": "sig", "kty": "RSA", "kid": jwk.kid, "alg": "RS256",
                            "n": jwk.n, "e": jwk.e,
                        })
                    })
                    .collect();
                Some(serde_json::json!({ "keys": keys }))
            }
            Issuer::Imported { .. } => None,
        }
    }

    /// A token of the local issuer `name` for `subject` and `audience`, valid from `now` for
    /// `lifetime` seconds, shaped like a Kubernetes projected service-account token.
    pub fn mint(
        &self,
        name: &str,
        subject: &str,
        audience: &str,
        now: i64,
        lifetime: i64,
    ) -> Result<String, IssuerError> {
        let Some(issuer) = self.get(name) else {
            return Err(IssuerError::NotFound(name.into()));
        };
        let Issuer::Local { keys, .. } = issuer else {
            return Err(IssuerError::NotLocal(name.into()));
        };
        let key = &keys[0];
        let header = serde_json::json!({"alg": "RS256", "kid": key.kid(), "typ": "JWT"});
        let mut claims = serde_json::json!({
            "aud": [audience],
            "exp": now + lifetime,
            "iat": now,
            "nbf": now,
            "iss": self.local_url(name),
            "sub": subject,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        // `system:serviceaccount:{namespace}:{name}`: the claim a cluster adds beside it.
        if let Some(rest) = subject.strip_prefix("system:serviceaccount:") {
            if let Some((namespace, account)) = rest.split_once(':') {
                claims["kubernetes.io"] = serde_json::json!({
                    "namespace": namespace,
                    "serviceaccount": { "name": account, "uid": uuid::Uuid::new_v4().to_string() },
                });
            }
        }
        key.sign_with_header(&header, &claims)
            .map_err(|_| IssuerError::NotLocal(name.into()))
    }

    fn save(&self, name: &str, issuer: &Issuer) -> anyhow::Result<()> {
        let file = match issuer {
            Issuer::Local { keys, .. } => IssuerFile::Local {
                keys: keys
                    .iter()
                    .map(|key| KeyFile {
                        key_pem: key.private_key_pem().to_string(),
                        cert_pem: key.certificate_pem().to_string(),
                    })
                    .collect(),
            },
            Issuer::Imported { issuer, jwks, .. } => IssuerFile::Imported {
                issuer: issuer.clone(),
                jwks: jwks.clone(),
            },
        };
        mimic_web::files::create_private_dir(&self.dir)?;
        let path = self.dir.join(format!("{name}.json"));
        // The private key: owner-only from creation.
        mimic_web::files::write_private(&path, &serde_json::to_string_pretty(&file)?)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Issuer>> {
        self.all
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Issuer>> {
        self.all
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn from_file(file: IssuerFile) -> anyhow::Result<Issuer> {
    Ok(match file {
        IssuerFile::Local { keys } => Issuer::local(
            keys.iter()
                .map(|k| SigningKey::from_pem(&k.key_pem, &k.cert_pem).map(Arc::new))
                .collect::<Result<_, _>>()
                .context("loading an issuer's key")?,
        ),
        IssuerFile::Imported { issuer, jwks } => Issuer::Imported {
            keys: ExternalKey::all_of(&jwks),
            issuer,
            jwks,
        },
    })
}

async fn generate(name: &str) -> anyhow::Result<SigningKey> {
    let subject = format!("mimic OIDC issuer {name}");
    // RSA key generation takes a noticeable moment: keep it off the async runtime.
    Ok(
        tokio::task::spawn_blocking(move || SigningKey::generate(&subject))
            .await
            .context("generating an issuer key")??,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_url_and_file_safe() {
        for good in ["default", "kind-1", "a", "0ci"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "-x", "Upper", "a/b", "a.json", "a b", &"x".repeat(64)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_local_issuer_survives_a_reload_and_rotation_keeps_the_previous_key() {
        let dir = tempfile::tempdir().unwrap();
        let issuers = Issuers::load(dir.path(), "https://127.0.0.1:8444/").unwrap();
        assert_eq!(issuers.create_local("ci").await.unwrap(), Ok(true));
        assert_eq!(issuers.create_local("ci").await.unwrap(), Ok(false));
        let first = issuers.list()[0].kids[0].clone();
        let token = issuers
            .mint("ci", "repo:x", "api://AzureADTokenExchange", 100, 3600)
            .unwrap();
        let second = issuers.rotate("ci").await.unwrap().unwrap();
        let third = issuers.rotate("ci").await.unwrap().unwrap();

        let reloaded = Issuers::load(dir.path(), "https://127.0.0.1:8444").unwrap();
        assert_eq!(reloaded.list()[0].kids, vec![third, second]);
        assert_eq!(
            reloaded.list()[0].issuer,
            "https://127.0.0.1:8444/issuers/ci"
        );
        let keys = reloaded
            .keys_for("https://127.0.0.1:8444/issuers/ci")
            .unwrap();
        let jws = mimic_token::Jws::parse(&token).unwrap();
        // The first key is gone after two rotations: its tokens no longer verify.
        assert!(keys.iter().all(|k| k.kid() != Some(first.as_str())));
        assert!(keys.iter().all(|k| k.verify(&jws).is_err()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("issuers/ci.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0);
        }
    }
}
