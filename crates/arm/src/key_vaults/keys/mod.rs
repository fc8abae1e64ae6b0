//! Key Vault keys (issue 16 item 2, "keys"): the keys data plane lives here (create, import,
//! get, list, versions, update, delete/recover/purge, rotate; sign/verify, encrypt/decrypt,
//! wrapKey/unwrapKey). [`crypto`] is its cryptography: key material, Key Vault's public JSON Web
//! Key, import of a private JSON Web Key, and the operations under Key Vault's algorithm names.
//! Private key material never leaves mimic: only [`crypto::KeyMaterial::to_stored`] (for the
//! vault's own store) sees it.

pub mod crypto;
