//! The `{tenant}` path segment: our tenant's GUID or default domain (case-insensitive), or one of
//! AAD's multi-tenant aliases. Resolved once, in extractors, so handlers trust it.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::error::{AadError, Surface};
use crate::state::{AppState, Tenant};

/// Which tenant a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantRef {
    /// Our tenant, by GUID or domain.
    Ours,
    /// `common`, `organizations` or `consumers` (lower-cased): any tenant.
    Common(&'static str),
}

impl TenantRef {
    /// Resolves a path segment against `tenant`.
    pub fn resolve(segment: &str, tenant: &Tenant) -> Option<Self> {
        if segment.eq_ignore_ascii_case(&tenant.id) || segment.eq_ignore_ascii_case(&tenant.domain)
        {
            Some(Self::Ours)
        } else {
            ["common", "organizations", "consumers"]
                .into_iter()
                .find(|alias| segment.eq_ignore_ascii_case(alias))
                .map(Self::Common)
        }
    }
}

/// The tenant of a discovery or keys URL.
#[derive(Debug, Clone, Copy)]
pub struct MetadataTenant(pub TenantRef);

/// The tenant of a token URL: ours only, since the client-credentials grant needs a tenant.
#[derive(Debug, Clone, Copy)]
pub struct TokenTenant;

fn segment_and_state(request: &HttpRequest) -> Result<(String, web::Data<AppState>), AadError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AadError::Internal(anyhow::anyhow!("application state is missing")))?;
    let segment = request.match_info().get("tenant").unwrap_or_default();
    Ok((segment.to_string(), state))
}

fn resolve(request: &HttpRequest, surface: Surface) -> Result<TenantRef, AadError> {
    let (segment, state) = segment_and_state(request)?;
    TenantRef::resolve(&segment, &state.tenant).ok_or(AadError::InvalidTenantName {
        tenant: segment,
        surface,
    })
}

impl FromRequest for MetadataTenant {
    type Error = AadError;
    type Future = Ready<Result<Self, AadError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(resolve(request, Surface::Metadata).map(Self))
    }
}

impl FromRequest for TokenTenant {
    type Error = AadError;
    type Future = Ready<Result<Self, AadError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match resolve(request, Surface::Token) {
            Ok(TenantRef::Ours) => Ok(Self),
            Ok(TenantRef::Common(_)) => Err(AadError::GrantNotSupportedOverCommon),
            Err(error) => Err(error),
        })
    }
}

/// The tenant of a v2 token URL: ours or an alias. The aliases serve only user grants; the
/// client-credentials grant over them is refused by the handler (AADSTS9001023).
#[derive(Debug, Clone, Copy)]
pub struct AnyTokenTenant(pub TenantRef);

impl FromRequest for AnyTokenTenant {
    type Error = AadError;
    type Future = Ready<Result<Self, AadError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(resolve(request, Surface::Token).map(Self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_accepts_guid_and_domain_in_any_case() {
        let tenant = Tenant {
            id: "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e".into(),
            domain: "mimic.onmicrosoft.com".into(),
            display_name: "mimic".into(),
        };
        let cases = [
            (
                "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e",
                Some(TenantRef::Ours),
            ),
            (
                "7D1C3A4E-5B6F-4A8D-9C2E-1F3B5D7A9C0E",
                Some(TenantRef::Ours),
            ),
            ("Mimic.OnMicrosoft.com", Some(TenantRef::Ours)),
            ("common", Some(TenantRef::Common("common"))),
            ("Organizations", Some(TenantRef::Common("organizations"))),
            ("other.onmicrosoft.com", None),
            ("", None),
        ];
        for (segment, want) in cases {
            assert_eq!(TenantRef::resolve(segment, &tenant), want, "{segment}");
        }
    }
}
