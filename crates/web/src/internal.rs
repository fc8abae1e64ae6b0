//! The key that protects the internal APIs (ARM → AAD service principals, IMDS → ARM host data).
//! It lives in the data dir as `internal.key`; only processes that can read the data dir know it.

use std::path::Path;

use anyhow::Context;

/// The header that carries the internal key.
pub const INTERNAL_KEY_HEADER: &str = "x-mimic-internal-key";

/// A shared secret; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct InternalKey(String);

impl std::fmt::Debug for InternalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalKey(<redacted>)")
    }
}

impl InternalKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
    /// A fresh random key.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }
    /// Reads the key file, creating it first if missing.
    pub fn ensure(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            crate::pki::write_private(path, &Self::generate().0)?;
        }
        let key =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Self(key.trim().to_string()))
    }
    /// The secret, to send in [`INTERNAL_KEY_HEADER`].
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether a request carries this key (constant-time comparison).
    pub fn matches(&self, request: &actix_web::HttpRequest) -> bool {
        let Some(given) = request.headers().get(INTERNAL_KEY_HEADER) else {
            return false;
        };
        let (given, expected) = (given.as_bytes(), self.0.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}
