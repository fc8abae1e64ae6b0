//! Backup blobs: what `backup` answers and `restore` takes. As in Azure, a blob is opaque and
//! protected: the object's versions as JSON, sealed with AES-256-GCM under a key derived from the
//! data dir's internal key (so only this mimic can open it, and nothing in it can be read or
//! changed), then base64url. The object kind is bound in as associated data: a secret's blob
//! does not restore as a key.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::KvError;
use crate::AppState;

fn key(state: &AppState) -> Result<LessSafeKey, KvError> {
    let mac = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        state.settings.internal_key.expose().as_bytes(),
    );
    let derived = aws_lc_rs::hmac::sign(&mac, b"mimic key vault backup v1");
    let unbound = UnboundKey::new(&AES_256_GCM, derived.as_ref())
        .map_err(|_| anyhow::anyhow!("deriving the backup key"))?;
    Ok(LessSafeKey::new(unbound))
}

/// Seals `value` as a blob of `kind` (`secret`, `key`).
pub fn seal<T: Serialize>(state: &AppState, kind: &str, value: &T) -> Result<String, KvError> {
    let mut data = serde_json::to_vec(value).map_err(anyhow::Error::from)?;
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    key(state)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(kind.as_bytes()),
            &mut data,
        )
        .map_err(|_| anyhow::anyhow!("sealing a backup"))?;
    let mut blob = nonce.to_vec();
    blob.extend_from_slice(&data);
    Ok(URL_SAFE_NO_PAD.encode(blob))
}

/// Opens a blob of `kind`, or 400 `BadParameter` for anything this mimic did not seal as `kind`.
pub fn open<T: DeserializeOwned>(state: &AppState, kind: &str, blob: &str) -> Result<T, KvError> {
    let invalid =
        || KvError::BadParameter("Backup blob contains invalid or corrupt version.".into());
    let bytes = URL_SAFE_NO_PAD
        .decode(blob.trim_end_matches('='))
        .map_err(|_| invalid())?;
    if bytes.len() < NONCE_LEN {
        return Err(invalid());
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| invalid())?;
    let mut sealed = sealed.to_vec();
    let plain = key(state)?
        .open_in_place(nonce, Aad::from(kind.as_bytes()), &mut sealed)
        .map_err(|_| invalid())?;
    serde_json::from_slice(plain).map_err(|_| invalid())
}
