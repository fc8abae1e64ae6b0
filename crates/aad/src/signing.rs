//! The tenant's token-signing key: `signing-key.pem` (PKCS#8) and `signing-cert.pem` in the keys
//! directory, created on first start and loaded afterwards, so tokens survive restarts.

use std::path::Path;

use anyhow::Context;
use mimic_token::SigningKey;

/// Key file name.
pub const KEY_FILE: &str = "signing-key.pem";
/// Certificate file name.
pub const CERT_FILE: &str = "signing-cert.pem";

/// A new key, saved in `dir` in place of the current one (a signing-key rollover: the caller
/// keeps publishing the old key for its grace period).
pub async fn generate_and_save(dir: &Path) -> anyhow::Result<SigningKey> {
    let key = tokio::task::spawn_blocking(|| SigningKey::generate("mimic AAD token signing"))
        .await
        .context("generating the signing key")??;
    mimic_web::pki::write_private(&dir.join(KEY_FILE), key.private_key_pem())?;
    mimic_web::pki::write_atomic(&dir.join(CERT_FILE), key.certificate_pem())?;
    tracing::info!(kid = key.kid(), dir = %dir.display(), "saved a new token-signing key");
    Ok(key)
}

/// Loads the key from `dir`, generating and saving one first if there is none.
pub async fn load_or_create(dir: &Path) -> anyhow::Result<SigningKey> {
    let (key_path, cert_path) = (dir.join(KEY_FILE), dir.join(CERT_FILE));
    if !key_path.exists() || !cert_path.exists() {
        // RSA key generation takes a noticeable moment: keep it off the async runtime.
        let key = tokio::task::spawn_blocking(|| SigningKey::generate("mimic AAD token signing"))
            .await
            .context("generating the signing key")??;
        mimic_web::pki::write_private(&key_path, key.private_key_pem())?;
        mimic_web::pki::write_atomic(&cert_path, key.certificate_pem())?;
        tracing::info!(kid = key.kid(), dir = %dir.display(), "created the token-signing key");
    }
    let key_pem = std::fs::read_to_string(&key_path)
        .with_context(|| format!("reading {}", key_path.display()))?;
    let cert_pem = std::fs::read_to_string(&cert_path)
        .with_context(|| format!("reading {}", cert_path.display()))?;
    SigningKey::from_pem(&key_pem, &cert_pem).context("loading the signing key")
}
