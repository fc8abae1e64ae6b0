//! Access tokens as Azure AD issues them: RS256 keys parsed once, the claims real managed-identity
//! tokens carry, the JWKS document that publishes the keys, and verification against it.
//!
//! JWTs are encoded and checked by hand ([`jwt`]) over aws-lc-rs, the project's one crypto stack:
//! [`SigningKey`] keeps a parsed aws-lc-rs key pair and [`Verifier`] parsed public keys, so no call
//! re-parses a key.

pub mod claims;
pub mod clock;
pub mod external;
pub mod jwks;
pub mod jwt;
pub mod key;
pub mod verify;

pub use claims::{AccessTokenClaims, ClientAssertionClaims};
pub use clock::Clock;
pub use external::ExternalKey;
pub use jwks::{Jwk, Jwks};
pub use jwt::{Algorithm, Header, Jws, RsaPublicKey};
pub use key::{x5t_of_cert_pem, SigningKey, TokenError};
pub use verify::{Expectations, Verifier, VerifyError};
