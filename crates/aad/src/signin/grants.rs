//! The user grants of the v2 token endpoint: `password` (ROPC), `authorization_code` (with PKCE)
//! and `refresh_token`. Each yields a user, then [`tokens::issue`] answers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::authorize::PendingCode;
use super::is_public_client;
use super::tokens::{self, Grant, ResourceScope, UserTokenResponse};
use crate::error::AadError;
use crate::graph::resource_id;
use crate::state::AppState;
use crate::token::group_claims;
use crate::token::request::Form;
use crate::users::model::User;

/// The grant types served here (the rest is client credentials, in `token`).
pub const USER_GRANTS: [&str; 3] = ["password", "authorization_code", "refresh_token"];

/// Answers a user grant from `form`, sent to the authority at `issuer_base` (the id token's
/// `iss` names it, as the discovery document the client read did).
pub async fn redeem(
    state: &AppState,
    grant: &str,
    form: &Form,
    issuer_base: &str,
) -> Result<UserTokenResponse, AadError> {
    let client_id = form
        .get("client_id")
        .ok_or(AadError::MissingParameter("client_id"))?;
    if !is_public_client(client_id) {
        return Err(AadError::UnauthorizedClient {
            app_id: client_id.to_string(),
            directory: state.tenant.display_name.clone(),
        });
    }
    let now = state.clock.now();
    let (user, scope, nonce) = match grant {
        "password" => (password(state, form).await?, scope_of(state, form)?, None),
        "authorization_code" => {
            let code = authorization_code(state, form, client_id, now)?;
            let user = user_by_id(state, &code.user_id).await?;
            (user, code.scope, code.nonce)
        }
        _ => {
            let token = form
                .get("refresh_token")
                .ok_or(AadError::MissingParameter("refresh_token"))?;
            let oid = tokens::verify_refresh_token(state, token, client_id, now)?;
            (user_by_id(state, &oid).await?, scope_of(state, form)?, None)
        }
    };
    // A resource that exists nowhere is Entra's invalid_resource, for users as for apps.
    let resource = crate::token::Resource::resolve(state, &scope.resource).await?;
    let membership = group_claims::for_user(
        state,
        resource.group_claims,
        resource.principal.as_ref(),
        &user.id,
    )
    .await?;
    tracing::info!(upn = %user.user_principal_name, %client_id, grant, resource = %scope.resource, "user token issued");
    let grant = Grant {
        user: &user,
        client_id,
        scope: &scope,
        nonce,
        client_info: form.get("client_info") == Some("1"),
        membership,
        issuer_base,
    };
    tokens::issue(state, &grant, now)
}

fn scope_of(state: &AppState, form: &Form) -> Result<ResourceScope, AadError> {
    let scope = form.get("scope").ok_or(AadError::MissingScope)?;
    tokens::resource_scope(scope, &resource_id(&state.base_url))
}

async fn password(state: &AppState, form: &Form) -> Result<User, AadError> {
    let username = form
        .get("username")
        .ok_or(AadError::MissingParameter("username"))?;
    let password = form
        .get("password")
        .ok_or(AadError::MissingParameter("password"))?;
    super::super::users::sign_in(state, username, password)
        .await?
        .map_err(|failure| failure.error(state))
}

/// Takes the code (single use) and checks client, redirect URI and PKCE verifier.
fn authorization_code(
    state: &AppState,
    form: &Form,
    client_id: &str,
    now: i64,
) -> Result<PendingCode, AadError> {
    let code = form.get("code").ok_or(AadError::MissingParameter("code"))?;
    let verifier = form
        .get("code_verifier")
        .ok_or(AadError::MissingParameter("code_verifier"))?;
    let pending = state.codes.take(code).ok_or(AadError::InvalidGrant)?;
    if now > pending.expires_on {
        return Err(AadError::ExpiredGrant);
    }
    let same_redirect = form.get("redirect_uri") == Some(pending.redirect_uri.as_str());
    if !pending.client_id.eq_ignore_ascii_case(client_id) || !same_redirect {
        return Err(AadError::InvalidGrant);
    }
    if s256(verifier) != pending.code_challenge {
        return Err(AadError::CodeVerifierMismatch);
    }
    Ok(pending)
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

async fn user_by_id(state: &AppState, id: &str) -> Result<User, AadError> {
    // A user deleted (or disabled) since the code or refresh token was issued can no longer sign in.
    let user = state.users.get(id).await?.ok_or(AadError::InvalidGrant)?;
    if !user.account_enabled {
        return Err(AadError::UserDisabled);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
