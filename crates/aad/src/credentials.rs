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
