//! Access tokens as Azure AD issues them: RS256 keys parsed once, the claims real managed-identity
//! tokens carry, the JWKS document that publishes the keys, and verification against it.
//!
//! Signing does not go through `jsonwebtoken`: its `EncodingKey` re-parses the private key on every
//! call, which costs two thirds of the signing rate. [`SigningKey`] keeps a parsed `ring` key pair.

pub mod claims;
pub mod clock;
pub mod jwks;
pub mod key;
pub mod verify;

pub use claims::{AccessTokenClaims, ClientAssertionClaims};
pub use clock::Clock;
pub use jwks::{Jwk, Jwks};
pub use key::{x5t_of_cert_pem, SigningKey, TokenError};
pub use verify::{Expectations, Verifier, VerifyError};
