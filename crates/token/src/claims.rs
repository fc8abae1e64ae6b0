//! Claim sets, with the real claim names.

use serde::{Deserialize, Serialize};

/// A v1.0 access token as AAD issues it to service principals and managed identities.
/// See <https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference>.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessTokenClaims {
    /// The resource exactly as requested.
    pub aud: String,
    /// `https://sts.windows.net/<tid>/`.
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[serde(default)]
    pub aio: String,
    pub appid: String,
    /// "1" for a secret, "2" for a certificate (managed identities).
    pub appidacr: String,
    /// Same as `iss` for app tokens.
    pub idp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
    pub oid: String,
    #[serde(default)]
    pub rh: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
    /// The managed identity's ARM id (the VM for system-assigned, the identity for user-assigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_mirid: Option<String>,
    /// User-assigned identities only: the ARM id of the VM that asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_az_rid: Option<String>,
    /// `["CP1"]` when the client declared the CAE capability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_cc: Option<Vec<String>>,
    /// The values of the resource's app roles granted to the caller (app-role assignments);
    /// absent when none are, as Entra leaves it out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// A private_key_jwt client assertion (RFC 7523), as MSAL and IMDS send it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClientAssertionClaims {
    /// The token endpoint URL.
    pub aud: String,
    /// The client id.
    pub iss: String,
    /// The client id.
    pub sub: String,
    pub jti: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// mimic's IMDS states which VM it asks for, so that AAD can put `xms_az_rid` in the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_az_rid: Option<String>,
}
