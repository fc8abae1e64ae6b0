//! Credential material: password hashes (secrets are never stored in clear) and key-credential
//! certificates with their thumbprints.

use std::num::NonZeroU32;

use aws_lc_rs::rand::SecureRandom;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use mimic_token::{Algorithm, RsaPublicKey};

/// PBKDF2 rounds. Secrets here are machine-generated or throwaway; 10 000 rounds keep a token
/// request at a few milliseconds while making an offline guess of a leaked `aad.db` costly.
pub const PBKDF2_ITERATIONS: u32 = 10_000;
const ALGORITHM: aws_lc_rs::pbkdf2::Algorithm = aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256;

/// A salted PBKDF2-HMAC-SHA256 hash of a client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    /// Random, 16 bytes.
    pub salt: Vec<u8>,
    /// PBKDF2 rounds used.
    pub iterations: u32,
    /// 32 bytes.
    pub hash: Vec<u8>,
}

impl From<(Vec<u8>, u32, Vec<u8>)> for PasswordHash {
    /// A `(salt, iterations, hash)` row as the stores select it.
    fn from((salt, iterations, hash): (Vec<u8>, u32, Vec<u8>)) -> Self {
        Self {
            salt,
            iterations,
            hash,
        }
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHash").finish_non_exhaustive()
    }
}

impl PasswordHash {
    /// Hashes `secret` with a fresh random salt.
    pub fn new(secret: &str) -> anyhow::Result<Self> {
        let mut salt = vec![0u8; 16];
        aws_lc_rs::rand::SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| anyhow::anyhow!("no randomness for a salt"))?;
        let iterations = NonZeroU32::new(PBKDF2_ITERATIONS).unwrap_or(NonZeroU32::MIN);
        let mut hash = vec![0u8; 32];
        aws_lc_rs::pbkdf2::derive(ALGORITHM, iterations, &salt, secret.as_bytes(), &mut hash);
        Ok(Self {
            salt,
            iterations: iterations.get(),
            hash,
        })
    }

    /// Whether `secret` hashes to this (constant-time comparison).
    pub fn verify(&self, secret: &str) -> bool {
        let Some(iterations) = NonZeroU32::new(self.iterations) else {
            return false;
        };
        aws_lc_rs::pbkdf2::verify(
            ALGORITHM,
            iterations,
            &self.salt,
            secret.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }
}

/// Client secrets already verified against a stored hash, so that a client presenting the same
/// secret again costs one HMAC instead of PBKDF2's 10,000 rounds (issue #13: the slow KDF stays on
/// disk, where it protects a leaked `aad.db`, and off the hot path).
///
/// An entry is keyed by the principal and the *stored hash* it matched and holds an HMAC-SHA256 of
/// the secret under a key drawn at start and never stored: it is consulted only while that hash is
/// still one of the principal's credentials (a removed or rotated secret has no stored hash to
/// match), and it reveals nothing the process does not already hold. Memory only, bounded.
pub struct VerifiedSecrets {
    key: aws_lc_rs::hmac::Key,
    entries: std::sync::Mutex<MacsByCredential>,
}

/// (principal id, stored hash) → HMAC of the secret that matched it.
type MacsByCredential = std::collections::HashMap<(String, Vec<u8>), Vec<u8>>;

impl std::fmt::Debug for VerifiedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedSecrets").finish_non_exhaustive()
    }
}

impl VerifiedSecrets {
    /// Most entries kept; beyond it the map starts over.
    pub const CAPACITY: usize = 4096;

    /// An empty cache with a fresh random key.
    pub fn new() -> anyhow::Result<Self> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let key = aws_lc_rs::hmac::Key::generate(aws_lc_rs::hmac::HMAC_SHA256, &rng)
            .map_err(|_| anyhow::anyhow!("no randomness for the verified-secret key"))?;
        Ok(Self {
            key,
            entries: std::sync::Mutex::default(),
        })
    }

    fn mac(&self, principal_id: &str, secret: &str) -> Vec<u8> {
        let mut context = aws_lc_rs::hmac::Context::with_key(&self.key);
        context.update(principal_id.as_bytes());
        context.update(&[0]);
        context.update(secret.as_bytes());
        context.sign().as_ref().to_vec()
    }

    /// Whether `secret` is known to match one of `hashes` (the principal's current credentials)
    /// without running PBKDF2; `None` when no current credential has been verified yet.
    pub fn check(&self, principal_id: &str, hashes: &[PasswordHash], secret: &str) -> Option<bool> {
        let entries = self.lock();
        let known: Vec<&Vec<u8>> = hashes
            .iter()
            .filter_map(|hash| entries.get(&(principal_id.to_string(), hash.hash.clone())))
            .collect();
        if known.is_empty() {
            return None;
        }
        let mac = self.mac(principal_id, secret);
        let matches = known.iter().any(|expected| {
            aws_lc_rs::constant_time::verify_slices_are_equal(expected, &mac).is_ok()
        });
        // A miss may be another of the principal's secrets not verified yet: let PBKDF2 decide.
        matches.then_some(true)
    }

    /// Records that `secret` matched the stored `hash` of `principal_id`.
    pub fn remember(&self, principal_id: &str, hash: &PasswordHash, secret: &str) {
        let mac = self.mac(principal_id, secret);
        let mut entries = self.lock();
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert((principal_id.to_string(), hash.hash.clone()), mac);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MacsByCredential> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A key credential: an RSA certificate whose private key signs client assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The certificate as PEM.
    pub pem: String,
    /// base64url SHA-1 of the DER (`x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER (`x5t#S256`).
    pub x5t_s256: String,
}

impl Certificate {
    /// Parses a PEM certificate, or base64 DER as Graph's `keyCredentials.key` carries it.
    /// Only RSA keys are accepted, since assertions are RS256 or PS256.
    pub fn parse(key: &str) -> Result<Self, String> {
        let der = if key.trim_start().starts_with("-----BEGIN") {
            pem_body(key).ok_or("the certificate PEM has no body")?
        } else {
            STANDARD
                .decode(key.split_whitespace().collect::<String>())
                .map_err(|_| "the key is neither PEM nor base64 DER".to_string())?
        };
        rsa_components(&der)?;
        Ok(Self {
            pem: to_pem(&der),
            x5t: URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                &der,
            )),
            x5t_s256: URL_SAFE_NO_PAD
                .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der)),
        })
    }

    /// The key that verifies this certificate's signatures made with `algorithm`.
    pub fn public_key(&self, algorithm: Algorithm) -> Result<RsaPublicKey, String> {
        let der = pem_body(&self.pem).ok_or("the stored certificate PEM has no body")?;
        let (modulus, exponent) = rsa_components(&der)?;
        RsaPublicKey::from_components(algorithm, &modulus, &exponent)
            .ok_or_else(|| "the certificate's RSA key is not usable".to_string())
    }
}

/// Modulus and exponent of an RSA certificate, without leading zero bytes.
fn rsa_components(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("the certificate cannot be parsed: {e}"))?;
    match certificate.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            Ok((strip_zeros(rsa.modulus), strip_zeros(rsa.exponent)))
        }
        _ => Err("the certificate's key is not an RSA key".into()),
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    STANDARD.decode(body.trim()).ok()
}

fn to_pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// The hex SHA-1 thumbprint AAD prints in messages, from a base64url `x5t`.
pub fn hex_thumbprint(x5t: &str) -> String {
    match URL_SAFE_NO_PAD.decode(x5t.trim_end_matches('=')) {
        Ok(bytes) => bytes.iter().map(|b| format!("{b:02X}")).collect(),
        Err(_) => x5t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_secrets_answer_only_for_a_current_credential_and_its_secret() {
        let cache = VerifiedSecrets::new().unwrap();
        let first = PasswordHash::new("first").unwrap();
        let second = PasswordHash::new("second").unwrap();
        let both = [first.clone(), second.clone()];
        assert_eq!(
            cache.check("p", &both, "first"),
            None,
            "nothing verified yet"
        );

        cache.remember("p", &first, "first");
        assert_eq!(cache.check("p", &both, "first"), Some(true));
        // Another secret is not decided here: PBKDF2 decides it.
        assert_eq!(cache.check("p", &both, "second"), None);
        assert_eq!(cache.check("p", &both, "wrong"), None);
        // Another principal with the same secret, or the credential gone: not known.
        assert_eq!(cache.check("q", &both, "first"), None);
        assert_eq!(cache.check("p", &[second], "first"), None);
    }

    #[test]
    fn password_hash_verifies_only_its_secret() {
        let hash = PasswordHash::new("s3cret").unwrap();
        assert!(hash.verify("s3cret"));
        assert!(!hash.verify("s3cret "));
        assert!(!hash.verify(""));
        assert_ne!(hash, PasswordHash::new("s3cret").unwrap(), "salts differ");
    }

    #[test]
    fn certificate_parse_accepts_pem_and_base64_der_with_the_same_thumbprints() {
        let key = mimic_token::SigningKey::generate("t").unwrap();
        let from_pem = Certificate::parse(key.certificate_pem()).unwrap();
        let from_der = Certificate::parse(&key.certificate_base64()).unwrap();
        assert_eq!(from_pem, from_der);
        assert_eq!(from_pem.x5t, key.kid());
        assert!(from_pem.public_key(Algorithm::Rs256).is_ok());
        assert!(from_pem.public_key(Algorithm::Ps256).is_ok());
        assert!(Certificate::parse("not a certificate").is_err());
    }

    #[test]
    fn hex_thumbprint_is_upper_case_sha1() {
        assert_eq!(hex_thumbprint("AAEC"), "000102");
        assert_eq!(hex_thumbprint("!!"), "!!");
    }
}
