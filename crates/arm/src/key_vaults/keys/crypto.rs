//! The cryptography behind Key Vault keys, with Key Vault's names for key types, curves and
//! algorithms (api-version 7.5, `keys.json` in azure-rest-api-specs; learn.microsoft.com, "Key
//! types, algorithms, and operations"). Pure functions over aws-lc-rs, the project's one crypto
//! stack: no HTTP, no storage, no clock.
//!
//! # Keys
//!
//! [`KeyMaterial`] holds one key version's private key. It has no `Serialize`: the only ways its
//! private parts leave it are [`KeyMaterial::to_stored`] (for the vault's SQLite store) and the
//! cryptographic operations themselves. What clients see is [`KeyMaterial::public_jwk`].
//!
//! | `kty`              | sizes / curves                                   | default |
//! |--------------------|--------------------------------------------------|---------|
//! | `RSA`, `RSA-HSM`   | 2048, 3072, 4096 bits; public exponent 65537     | 2048    |
//! | `EC`, `EC-HSM`     | `P-256`, `P-384`, `P-521`, `P-256K` (secp256k1) | `P-256` |
//!
//! An `-HSM` key is the same software key with the HSM flag kept: mimic has no HSM, but the key
//! keeps answering with the type it was created as. `oct`/`oct-HSM` (Managed HSM only) are refused.
//!
//! # Formats
//!
//! - Public JSON Web Key ([`JsonWebKey`]): `kid`, `kty`, `key_ops`, then `n`/`e` (RSA: big-endian,
//!   no leading zero bytes) or `crv`/`x`/`y` (EC: each coordinate left-padded to the curve's field
//!   length: 32, 48, 66 or 32 bytes), all base64url without padding, as Key Vault sends them.
//! - Import ([`ImportJsonWebKey`]): RSA needs `n`, `e`, `d`, `p`, `q`, `dp`, `dq`, `qi`; EC needs
//!   `crv`, `x`, `y`, `d`. base64url with or without padding; short EC values are left-padded.
//!   aws-lc checks consistency: RSA `n = p·q` and the CRT values, EC `(x, y) = d·G` on the curve.
//! - Stored form ([`KeyMaterial::to_stored`]): three header bytes, then the key's unencrypted
//!   PKCS#8 v1 DER (RFC 5208) as aws-lc writes it: `[1 = format version, kty code (1 RSA,
//!   2 RSA-HSM, 3 EC, 4 EC-HSM), curve code (0 none, 1 P-256, 2 P-384, 3 P-521, 4 P-256K)]`.
//!
//! # Algorithms
//!
//! The client sends the digest, never the message: signing and verification import it
//! ([`Digest::import_less_safe`]) and use aws-lc's digest entry points.
//!
//! | Key Vault      | key              | aws-lc-rs                                                      |
//! |----------------|------------------|----------------------------------------------------------------|
//! | `RS256/384/512`| RSA              | `RsaKeyPair::sign_digest` with `RSA_PKCS1_SHA*`; verify `RSA_PKCS1_2048_8192_SHA*` |
//! | `PS256/384/512`| RSA              | `RSA_PSS_SHA*` (salt = digest length, as RFC 7518); verify `RSA_PSS_2048_8192_SHA*` |
//! | `ES256`        | EC `P-256`       | `EcdsaKeyPair::sign_digest`, `ECDSA_P256_SHA256_FIXED(_SIGNING)` |
//! | `ES384`        | EC `P-384`       | `ECDSA_P384_SHA384_FIXED(_SIGNING)`                            |
//! | `ES512`        | EC `P-521`       | `ECDSA_P521_SHA512_FIXED(_SIGNING)`                            |
//! | `ES256K`       | EC `P-256K`      | `ECDSA_P256K1_SHA256_FIXED(_SIGNING)`                          |
//! | `RSA-OAEP`     | RSA              | `OaepPublicEncryptingKey`/`OaepPrivateDecryptingKey`, `OAEP_SHA1_MGF1SHA1` |
//! | `RSA-OAEP-256` | RSA              | the same with `OAEP_SHA256_MGF1SHA256`                         |
//! | `RSA1_5`       | RSA              | `Pkcs1PublicEncryptingKey`/`Pkcs1PrivateDecryptingKey`         |
//!
//! ECDSA signatures are JOSE's fixed form `r || s`. wrapKey/unwrapKey are encrypt/decrypt under
//! another name for RSA keys, as in Key Vault. Verification uses the public key only.
//! Not offered: `RSNULL` (aws-lc-rs signs only a digest it knows the algorithm of) and the AES
//! algorithms (Managed HSM `oct` keys); both answer [`CryptoError::UnsupportedAlgorithm`].
//!
//! # Errors
//!
//! [`CryptoError`] is typed; [`CryptoError::is_bad_parameter`] says which variants the data
//! plane answers as Key Vault's 400 `BadParameter`, with [`CryptoError::message_for`] as the
//! message. Each variant's doc says where its text comes from.

mod error;
mod jwk;
mod names;
#[cfg(test)]
mod tests;

pub use error::CryptoError;
pub use jwk::{base64url_decode, base64url_encode, ImportJsonWebKey, JsonWebKey};
pub use names::{
    JsonWebKeyCurveName, JsonWebKeyEncryptionAlgorithm, JsonWebKeySignatureAlgorithm,
    JsonWebKeyType, DEFAULT_RSA_KEY_SIZE, RSA_KEY_SIZES, RSA_PUBLIC_EXPONENT,
};

use std::fmt;

use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPairComponents, KeySize, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, RsaKeyPair, UnparsedPublicKey, VerificationAlgorithm,
};

/// One key version's private key. Not `Serialize` and not `Clone`; its `Debug` shows the type only.
pub struct KeyMaterial {
    kty: JsonWebKeyType,
    key: Key,
}

enum Key {
    /// One RSA key, parsed twice: aws-lc-rs signs with a `KeyPair` and decrypts with a
    /// `PrivateDecryptingKey`.
    Rsa {
        signing: RsaKeyPair,
        decrypting: PrivateDecryptingKey,
    },
    Ec {
        curve: JsonWebKeyCurveName,
        pair: EcdsaKeyPair,
    },
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kty", &self.kty)
            .field("key_size", &self.key_size())
            .field("crv", &self.curve())
            .finish_non_exhaustive()
    }
}

const STORED_FORMAT_VERSION: u8 = 1;

impl KeyMaterial {
    /// Creates a key as Key Vault's create operation does: RSA of `key_size` bits (default 2048;
    /// `crv` ignored) or EC on `crv` (default P-256; `key_size` ignored). `public_exponent`, if
    /// given, must be 65537.
    pub fn generate(
        kty: JsonWebKeyType,
        key_size: Option<u32>,
        crv: Option<JsonWebKeyCurveName>,
        public_exponent: Option<u32>,
    ) -> Result<Self, CryptoError> {
        if kty.is_rsa() {
            if let Some(exponent) = public_exponent.filter(|e| *e != RSA_PUBLIC_EXPONENT) {
                return Err(CryptoError::UnsupportedPublicExponent(exponent));
            }
            let size = rsa_key_size(key_size.unwrap_or(DEFAULT_RSA_KEY_SIZE))?;
            let pair = RsaKeyPair::generate(size).map_err(|_| internal("RSA key generation"))?;
            let pkcs8 = pair
                .as_der()
                .map_err(|_| internal("RSA key serialisation"))?;
            let key = rsa_key_from_pkcs8(pkcs8.as_ref()).ok_or(internal("RSA key parsing"))?;
            Ok(Self { kty, key })
        } else {
            let curve = crv.unwrap_or(JsonWebKeyCurveName::P256);
            let pair =
                EcdsaKeyPair::generate(curve.signing()).map_err(|_| internal("EC generation"))?;
            Ok(Self {
                kty,
                key: Key::Ec { curve, pair },
            })
        }
    }

    /// Imports a JSON Web Key with its private members (`az keyvault key import`, the SDKs'
    /// `import_key`). `hsm` is the request's `Hsm` flag; an `-HSM` `kty` also makes an HSM key.
    pub fn import(jwk: &ImportJsonWebKey, hsm: bool) -> Result<Self, CryptoError> {
        let kty = JsonWebKeyType::parse(jwk.kty.as_deref().unwrap_or_default())?.with_hsm(hsm);
        if jwk.key_hsm.is_some() {
            return Err(CryptoError::ByokNotSupported);
        }
        let key = if kty.is_rsa() {
            import_rsa(jwk)?
        } else {
            import_ec(jwk)?
        };
        Ok(Self { kty, key })
    }

    /// The stored form (see the module doc). It holds the private key: it goes to the vault's
    /// store and nowhere else.
    pub fn to_stored(&self) -> Result<Vec<u8>, CryptoError> {
        let (curve, pkcs8) = match &self.key {
            Key::Rsa { signing, .. } => {
                let der = signing
                    .as_der()
                    .map_err(|_| internal("RSA serialisation"))?;
                (0, der.as_ref().to_vec())
            }
            Key::Ec { curve, pair } => {
                let der = pair
                    .to_pkcs8v1()
                    .map_err(|_| internal("EC serialisation"))?;
                (curve.code(), der.as_ref().to_vec())
            }
        };
        let mut stored = vec![STORED_FORMAT_VERSION, self.kty.code(), curve];
        stored.extend_from_slice(&pkcs8);
        Ok(stored)
    }

    /// Reads what [`KeyMaterial::to_stored`] wrote.
    pub fn from_stored(stored: &[u8]) -> Result<Self, CryptoError> {
        let [version, kty, curve, pkcs8 @ ..] = stored else {
            return Err(CryptoError::StoredKeyInvalid);
        };
        let kty = JsonWebKeyType::from_code(*kty).filter(|_| *version == STORED_FORMAT_VERSION);
        let kty = kty.ok_or(CryptoError::StoredKeyInvalid)?;
        let key = match (kty.is_rsa(), *curve) {
            (true, 0) => rsa_key_from_pkcs8(pkcs8),
            (false, code) => JsonWebKeyCurveName::from_code(code).and_then(|curve| {
                let pair = EcdsaKeyPair::from_pkcs8(curve.signing(), pkcs8).ok()?;
                Some(Key::Ec { curve, pair })
            }),
            (true, _) => None,
        };
        let key = key.ok_or(CryptoError::StoredKeyInvalid)?;
        Ok(Self { kty, key })
    }

    /// The key type, `-HSM` included.
    pub fn kty(&self) -> JsonWebKeyType {
        self.kty
    }

    /// The RSA modulus size in bits; `None` for EC keys.
    pub fn key_size(&self) -> Option<u32> {
        match &self.key {
            Key::Rsa { signing, .. } => {
                let components = PublicKeyComponents::<Vec<u8>>::from(signing.public_key());
                Some(bit_length(&components.n))
            }
            Key::Ec { .. } => None,
        }
    }

    /// The curve of an EC key; `None` for RSA keys.
    pub fn curve(&self) -> Option<JsonWebKeyCurveName> {
        match &self.key {
            Key::Rsa { .. } => None,
            Key::Ec { curve, .. } => Some(*curve),
        }
    }

    /// Key Vault's public JSON Web Key for this key as the version `kid` with `key_ops`.
    pub fn public_jwk(&self, kid: &str, key_ops: &[String]) -> JsonWebKey {
        let mut jwk = JsonWebKey {
            kid: kid.to_owned(),
            kty: self.kty,
            key_ops: key_ops.to_vec(),
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match &self.key {
            Key::Rsa { signing, .. } => {
                let components = PublicKeyComponents::<Vec<u8>>::from(signing.public_key());
                jwk.n = Some(base64url_encode(&components.n));
                jwk.e = Some(base64url_encode(&components.e));
            }
            Key::Ec { curve, pair } => {
                // The uncompressed point: 0x04, then x and y at the curve's field length.
                let point = pair.public_key().as_ref();
                let (x, y) = point[1..].split_at(curve.coordinate_len());
                jwk.crv = Some(*curve);
                jwk.x = Some(base64url_encode(x));
                jwk.y = Some(base64url_encode(y));
            }
        }
        jwk
    }

    /// Signs a digest the client computed (sign's `value`). RSA signatures are the modulus
    /// length; ECDSA ones are `r || s`.
    pub fn sign(
        &self,
        algorithm: JsonWebKeySignatureAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let digest = self.import_digest(algorithm, digest, "value")?;
        match &self.key {
            Key::Rsa { signing, .. } => {
                let encoding = algorithm.rsa_signing().ok_or(internal("RSA encoding"))?;
                let mut signature = vec![0; signing.public_modulus_len()];
                signing
                    .sign_digest(encoding, &digest, &mut signature)
                    .map_err(|_| internal("RSA signing"))?;
                Ok(signature)
            }
            Key::Ec { pair, .. } => {
                let signature = pair
                    .sign_digest(&digest)
                    .map_err(|_| internal("ECDSA signing"))?;
                Ok(signature.as_ref().to_vec())
            }
        }
    }

    /// Verifies a signature over a digest with the public key: `Ok(false)` for a signature that
    /// does not verify (Key Vault answers `{"value": false}`), errors for a bad request.
    pub fn verify(
        &self,
        algorithm: JsonWebKeySignatureAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        let digest = self.import_digest(algorithm, digest, "digest")?;
        let (verification, public_key): (&'static dyn VerificationAlgorithm, &[u8]) =
            match &self.key {
                Key::Rsa { signing, .. } => (
                    algorithm.rsa_verification().ok_or(internal("RSA params"))?,
                    signing.public_key().as_ref(),
                ),
                Key::Ec { curve, pair } => (curve.verification(), pair.public_key().as_ref()),
            };
        let public_key = UnparsedPublicKey::new(verification, public_key);
        Ok(public_key.verify_digest(&digest, signature).is_ok())
    }

    /// Encrypts with the public key (RSA keys only).
    pub fn encrypt(
        &self,
        algorithm: JsonWebKeyEncryptionAlgorithm,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let public_key = self.rsa_decrypting(algorithm)?.public_key();
        let too_long = |max: usize| CryptoError::PlaintextTooLong {
            actual: plaintext.len(),
            algorithm,
            max,
        };
        let mut out;
        let length = match algorithm.oaep() {
            Some(oaep) => {
                let key = OaepPublicEncryptingKey::new(public_key).map_err(|_| internal("OAEP"))?;
                let max = key.max_plaintext_size(oaep);
                if plaintext.len() > max {
                    return Err(too_long(max));
                }
                out = vec![0; key.ciphertext_size()];
                let ciphertext = key.encrypt(oaep, plaintext, &mut out, None);
                ciphertext.map_err(|_| internal("OAEP encryption"))?.len()
            }
            None => {
                let key =
                    Pkcs1PublicEncryptingKey::new(public_key).map_err(|_| internal("PKCS1"))?;
                let max = key.max_plaintext_size();
                if plaintext.len() > max {
                    return Err(too_long(max));
                }
                out = vec![0; key.ciphertext_size()];
                let ciphertext = key.encrypt(plaintext, &mut out);
                ciphertext.map_err(|_| internal("PKCS1 encryption"))?.len()
            }
        };
        out.truncate(length);
        Ok(out)
    }

    /// Decrypts with the private key (RSA keys only).
    pub fn decrypt(
        &self,
        algorithm: JsonWebKeyEncryptionAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let decrypting = self.rsa_decrypting(algorithm)?.clone();
        match algorithm.oaep() {
            Some(oaep) => {
                let key =
                    OaepPrivateDecryptingKey::new(decrypting).map_err(|_| internal("OAEP"))?;
                let mut out = vec![0; key.min_output_size()];
                let plaintext = key.decrypt(oaep, ciphertext, &mut out, None);
                let length = plaintext.map_err(|_| CryptoError::OaepDecoding)?.len();
                out.truncate(length);
                Ok(out)
            }
            None => {
                let key =
                    Pkcs1PrivateDecryptingKey::new(decrypting).map_err(|_| internal("PKCS1"))?;
                let mut out = vec![0; key.min_output_size()];
                let plaintext = key.decrypt(ciphertext, &mut out);
                let length = plaintext.map_err(|_| CryptoError::Pkcs1Decoding)?.len();
                out.truncate(length);
                Ok(out)
            }
        }
    }

    /// wrapKey: for RSA keys Key Vault's wrapKey is encrypt under another name.
    pub fn wrap_key(
        &self,
        algorithm: JsonWebKeyEncryptionAlgorithm,
        key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.encrypt(algorithm, key)
    }

    /// unwrapKey: for RSA keys Key Vault's unwrapKey is decrypt under another name.
    pub fn unwrap_key(
        &self,
        algorithm: JsonWebKeyEncryptionAlgorithm,
        wrapped: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.decrypt(algorithm, wrapped)
    }

    /// Checks that `algorithm` fits this key and `digest` fits `algorithm`, and imports it.
    fn import_digest(
        &self,
        algorithm: JsonWebKeySignatureAlgorithm,
        digest: &[u8],
        member: &'static str,
    ) -> Result<Digest, CryptoError> {
        match (&self.key, algorithm.curve()) {
            (Key::Rsa { .. }, None) => {}
            (Key::Ec { curve, .. }, Some(required)) if *curve == required => {}
            (Key::Ec { curve, .. }, Some(required)) => {
                return Err(CryptoError::IncompatibleCurve {
                    curve: *curve,
                    algorithm,
                    required,
                })
            }
            (Key::Rsa { .. }, Some(_)) => return Err(self.incompatible(algorithm.as_str(), "EC")),
            (Key::Ec { .. }, None) => return Err(self.incompatible(algorithm.as_str(), "RSA")),
        }
        let digest_algorithm = algorithm.digest_algorithm();
        Digest::import_less_safe(digest, digest_algorithm).map_err(|_| CryptoError::DigestLength {
            member,
            actual: digest.len(),
            algorithm,
            expected: digest_algorithm.output_len(),
        })
    }

    fn rsa_decrypting(
        &self,
        algorithm: JsonWebKeyEncryptionAlgorithm,
    ) -> Result<&PrivateDecryptingKey, CryptoError> {
        match &self.key {
            Key::Rsa { decrypting, .. } => Ok(decrypting),
            Key::Ec { .. } => Err(self.incompatible(algorithm.as_str(), "RSA")),
        }
    }

    fn incompatible(&self, algorithm: &'static str, required: &'static str) -> CryptoError {
        CryptoError::IncompatibleKeyType {
            kty: self.kty,
            algorithm,
            required,
        }
    }
}

fn internal(what: &'static str) -> CryptoError {
    CryptoError::Internal(what)
}

fn rsa_key_size(bits: u32) -> Result<KeySize, CryptoError> {
    match bits {
        2048 => Ok(KeySize::Rsa2048),
        3072 => Ok(KeySize::Rsa3072),
        4096 => Ok(KeySize::Rsa4096),
        other => Err(CryptoError::UnsupportedKeySize(other)),
    }
}

fn rsa_key_from_pkcs8(pkcs8: &[u8]) -> Option<Key> {
    let signing = RsaKeyPair::from_pkcs8(pkcs8).ok()?;
    let decrypting = PrivateDecryptingKey::from_pkcs8(pkcs8).ok()?;
    Some(Key::Rsa {
        signing,
        decrypting,
    })
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> u32 {
    let significant = strip_leading_zeros(bytes);
    match significant.first() {
        None => 0,
        Some(first) => {
            let bits = u32::try_from(significant.len() * 8).unwrap_or(u32::MAX);
            bits - first.leading_zeros()
        }
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Decodes a required member of an imported key.
fn member(
    value: Option<&String>,
    kty: &'static str,
    name: &'static str,
) -> Result<Vec<u8>, CryptoError> {
    let text = value.ok_or(CryptoError::MissingKeyMember { kty, member: name })?;
    base64url_decode(text).ok_or(CryptoError::InvalidKeyMember(name))
}

fn import_rsa(jwk: &ImportJsonWebKey) -> Result<Key, CryptoError> {
    let rsa = |value, name| member(value, "RSA", name);
    let n = rsa(jwk.n.as_ref(), "n")?;
    let e = rsa(jwk.e.as_ref(), "e")?;
    let (n, e) = (strip_leading_zeros(&n), strip_leading_zeros(&e));
    rsa_key_size(bit_length(n))?;
    let components = KeyPairComponents {
        public_key: PublicKeyComponents { n, e },
        d: rsa(jwk.d.as_ref(), "d")?,
        p: rsa(jwk.p.as_ref(), "p")?,
        q: rsa(jwk.q.as_ref(), "q")?,
        dP: rsa(jwk.dp.as_ref(), "dp")?,
        dQ: rsa(jwk.dq.as_ref(), "dq")?,
        qInv: rsa(jwk.qi.as_ref(), "qi")?,
    };
    let pair = RsaKeyPair::from_components(&components)
        .map_err(|_| CryptoError::InconsistentKey("RSA"))?;
    let pkcs8 = pair
        .as_der()
        .map_err(|_| internal("RSA key serialisation"))?;
    rsa_key_from_pkcs8(pkcs8.as_ref()).ok_or(CryptoError::InconsistentKey("RSA"))
}

fn import_ec(jwk: &ImportJsonWebKey) -> Result<Key, CryptoError> {
    let crv = jwk.crv.as_deref().ok_or(CryptoError::MissingKeyMember {
        kty: "EC",
        member: "crv",
    })?;
    let curve = JsonWebKeyCurveName::parse(crv)?;
    let length = curve.coordinate_len();
    // Left-pads to the field length: some encoders drop leading zero bytes.
    let fixed = |value: Option<&String>, name| -> Result<Vec<u8>, CryptoError> {
        let bytes = member(value, "EC", name)?;
        let significant = strip_leading_zeros(&bytes);
        if significant.len() > length {
            return Err(CryptoError::InvalidKeyMember(name));
        }
        let mut padded = vec![0; length - significant.len()];
        padded.extend_from_slice(significant);
        Ok(padded)
    };
    let mut point = vec![0x04];
    point.extend(fixed(jwk.x.as_ref(), "x")?);
    point.extend(fixed(jwk.y.as_ref(), "y")?);
    let d = fixed(jwk.d.as_ref(), "d")?;
    let pair = EcdsaKeyPair::from_private_key_and_public_key(curve.signing(), &d, &point)
        .map_err(|_| CryptoError::InconsistentKey("EC"))?;
    Ok(Key::Ec { curve, pair })
}
