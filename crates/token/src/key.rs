//! RSA signing keys with a self-signed certificate, as AAD publishes its keys (`x5t` = `kid` =
//! base64url SHA-1 of the certificate), and as managed-identity credentials are provisioned.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
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
    pair: ring::signature::RsaKeyPair,
    rng: ring::rand::SystemRandom,
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
        let mut rng = rand::thread_rng();
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048)
            .map_err(|e| TokenError::BadKey(e.to_string()))?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| TokenError::BadKey(e.to_string()))?;
        let cert_pem = self_signed_cert(pem.as_str(), subject)?;
        Self::from_pem(pem.as_str(), &cert_pem)
    }

    /// Loads a PKCS#8 PEM private key and its PEM certificate.
    pub fn from_pem(pkcs8_pem: &str, cert_pem: &str) -> Result<Self, TokenError> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pkcs8_pem)
            .map_err(|e| TokenError::BadKey(e.to_string()))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| TokenError::BadKey(e.to_string()))?;
        let pair = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| TokenError::BadKey(e.to_string()))?;
        let cert_der = pem_to_der(cert_pem)
            .ok_or_else(|| TokenError::BadCertificate("not a PEM certificate".into()))?;
        Ok(Self {
            pair,
            rng: ring::rand::SystemRandom::new(),
            pkcs8_pem: pkcs8_pem.to_string(),
            cert_pem: cert_pem.to_string(),
            kid: thumbprint(&cert_der),
            cert_der,
            n: key.n().to_bytes_be(),
            e: key.e().to_bytes_be(),
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
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
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
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
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
        let decoding =
            jsonwebtoken::DecodingKey::from_rsa_raw_components(key.modulus(), key.exponent());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
        assert_eq!(data.claims["a"], 1);
        assert_eq!(data.header.kid.as_deref(), Some(key.kid()));
    }
}
