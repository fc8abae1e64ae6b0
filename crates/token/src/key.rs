//! RSA signing keys with a self-signed certificate, as AAD publishes its keys (`x5t` = `kid` =
//! base64url SHA-1 of the certificate), and as managed-identity credentials are provisioned.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;

/// Errors from key handling and signing. Never a panic.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the private key could not be parsed: {0}")]
    BadKey(String),
    #[error("the certificate could not be parsed or made: {0}")]
    BadCertificate(String),
    #[error("signing failed")]
    Signing,
    #[error("claims could not be serialised: {0}")]
    Claims(#[from] serde_json::Error),
}

/// An RSA key pair, parsed once, with the certificate that carries its public half.
pub struct SigningKey {
    pair: KeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
    pkcs8_pem: String,
    cert_pem: String,
    cert_der: Vec<u8>,
    kid: String,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a 2048-bit RSA key and a self-signed certificate for `subject` (CN).
    pub fn generate(subject: &str) -> Result<Self, TokenError> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| TokenError::BadKey("RSA key generation failed".into()))?;
        let der = pair
            .as_der()
            .map_err(|_| TokenError::BadKey("the key could not be encoded".into()))?;
        let pem = to_pem("PRIVATE KEY", der.as_ref());
        let cert_pem = self_signed_cert(&pem, subject)?;
        Self::from_pem(&pem, &cert_pem)
    }

    /// Loads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) and its PEM certificate.
    pub fn from_pem(pkcs8_pem: &str, cert_pem: &str) -> Result<Self, TokenError> {
        let der = pem_block(pkcs8_pem, "PRIVATE KEY")
            .ok_or_else(|| TokenError::BadKey("not a PKCS#8 PEM private key".into()))?;
        let pair = KeyPair::from_pkcs8(&der).map_err(|e| TokenError::BadKey(e.to_string()))?;
        let cert_der = pem_to_der(cert_pem)
            .ok_or_else(|| TokenError::BadCertificate("not a PEM certificate".into()))?;
        let public = pair.public_key();
        Ok(Self {
            n: public.modulus().big_endian_without_leading_zero().to_vec(),
            e: public.exponent().big_endian_without_leading_zero().to_vec(),
            pair,
            rng: aws_lc_rs::rand::SystemRandom::new(),
            pkcs8_pem: pkcs8_pem.to_string(),
            cert_pem: cert_pem.to_string(),
            kid: thumbprint(&cert_der),
            cert_der,
        })
    }

    /// The key id: base64url SHA-1 thumbprint of the certificate (AAD's `kid` and `x5t`).
    pub fn kid(&self) -> &str {
        &self.kid
    }
    /// The private key as PKCS#8 PEM (for persisting it).
    pub fn private_key_pem(&self) -> &str {
        &self.pkcs8_pem
    }
    /// The certificate as PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }
    /// The certificate as base64 DER, as JWKS `x5c` and Graph `keyCredentials.key` carry it.
    pub fn certificate_base64(&self) -> String {
        STANDARD.encode(&self.cert_der)
    }
    /// Modulus, big-endian.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }
    /// Public exponent, big-endian.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// Signs `claims` as an RS256 JWT with header `{"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}`.
    pub fn sign<C: Serialize>(&self, claims: &C) -> Result<String, TokenError> {
        let header =
            serde_json::json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        self.sign_with_header(&header, claims)
    }

    /// Signs `claims` with the given header object (its `alg` must be RS256).
    pub fn sign_with_header<C: Serialize>(
        &self,
        header: &serde_json::Value,
        claims: &C,
    ) -> Result<String, TokenError> {
        let mut message = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?);
        message.push('.');
        message.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &self.rng,
                message.as_bytes(),
                &mut signature,
            )
            .map_err(|_| TokenError::Signing)?;
        message.push('.');
        message.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(message)
    }
}

/// base64url SHA-1 of a DER certificate (`x5t`).
fn thumbprint(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        cert_der,
    ))
}

/// The `x5t` thumbprint of a PEM certificate.
pub fn x5t_of_cert_pem(cert_pem: &str) -> Option<String> {
    pem_to_der(cert_pem).map(|der| thumbprint(&der))
}

/// The DER bytes of the first PEM block.
pub(crate) fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    STANDARD.decode(body.trim()).ok()
}

/// The DER bytes of the first PEM block, if it is labelled `label`.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = pem.lines().find(|line| line.starts_with("-----BEGIN"))?;
    (begin.trim_end() == format!("-----BEGIN {label}-----"))
        .then(|| pem_to_der(pem))
        .flatten()
}

/// `der` as PEM with `label`, 64 characters a line, LF endings.
fn to_pem(label: &str, der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

fn self_signed_cert(pkcs8_pem: &str, subject: &str) -> Result<String, TokenError> {
    let key_pair = rcgen::KeyPair::from_pem_and_sign_algo(pkcs8_pem, &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| TokenError::BadCertificate(e.to_string()))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| TokenError::BadCertificate(e.to_string()))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, subject);
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params
        .self_signed(&key_pair)
        .map_err(|e| TokenError::BadCertificate(e.to_string()))?;
    Ok(cert.pem())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_key_keeps_its_kid_and_signs_verifiably() {
        let key = SigningKey::generate("test").unwrap();
        let again = SigningKey::from_pem(key.private_key_pem(), key.certificate_pem()).unwrap();
        assert_eq!(key.kid(), again.kid());
        assert_eq!(
            Some(key.kid().to_string()),
            x5t_of_cert_pem(key.certificate_pem())
        );
        let token = again.sign(&serde_json::json!({"a": 1})).unwrap();

        // Checked with raw aws-lc-rs, not with this crate's verifier.
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let public = aws_lc_rs::signature::RsaPublicKeyComponents {
            n: key.modulus(),
            e: key.exponent(),
        };
        public
            .verify(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .unwrap();
        let part = |index: usize| -> serde_json::Value {
            let text = URL_SAFE_NO_PAD.decode(signed.split('.').nth(index).unwrap());
            serde_json::from_slice(&text.unwrap()).unwrap()
        };
        assert_eq!(part(1)["a"], 1);
        assert_eq!(part(0)["kid"], key.kid());
        assert_eq!(part(0)["alg"], "RS256");
    }

    #[test]
    fn a_key_written_before_aws_lc_rs_still_loads_and_signs() {
        // An AAD signing key as the `rsa` crate wrote it (PKCS#8 PEM) in data dirs made before
        // mimic moved to aws-lc-rs; existing data dirs must keep their key and kid.
        let pem = include_str!("../tests/data/rsa-crate-key.pem");
        let cert = include_str!("../tests/data/rsa-crate-cert.pem");
        let key = SigningKey::from_pem(pem, cert).unwrap();
        assert_eq!(key.private_key_pem(), pem);
        assert_eq!(key.kid(), "iDiTV_60ua5S_tUQMnXp5Zh89G0");
        assert_eq!(key.modulus().len(), 256);
        assert_eq!(key.exponent(), [1, 0, 1]);
        assert!(key.sign(&serde_json::json!({})).is_ok());
    }

    #[test]
    fn from_pem_refuses_what_is_not_a_pkcs8_private_key() {
        let key = SigningKey::generate("t").unwrap();
        let pkcs1 = key
            .private_key_pem()
            .replace("BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY");
        for pem in [pkcs1.as_str(), "", key.certificate_pem()] {
            assert!(matches!(
                SigningKey::from_pem(pem, key.certificate_pem()),
                Err(TokenError::BadKey(_))
            ));
        }
    }
}
