//! Users of the tenant: the internal API `POST /internal/users` and `GET /internal/users/{id}` (guarded by `x-mimic-internal-key`,
//! for tests and tooling) and password checks for the user sign-in flows (ROPC, the login page).

pub mod lockout;
pub mod model;
pub mod store;

use actix_web::{web, HttpResponse};

use crate::error::AadError;
use crate::principals::{iso_timestamp, InternalCaller};
use crate::state::AppState;
use model::{NewUser, User, UserView};

/// `POST /internal/users` → 201 with the stored user (never its password).
pub async fn create(
    _: InternalCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request: NewUser =
        serde_json::from_slice(&body).map_err(|e| AadError::InvalidUser(e.to_string()))?;
    let draft = request.into_draft(iso_timestamp(state.clock.now()))?;
    let user = state.users.create(&draft).await?;
    state.reality.principal_created(&user.id, state.clock.now());
    tracing::info!(id = %user.id, upn = %user.user_principal_name, "user created");
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

/// `GET /internal/users/{id}`: ARM checks a role assignment's `User` principal with it.
pub async fn get(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let id = id.into_inner();
    match state.users.get(&id).await? {
        Some(user) => Ok(HttpResponse::Ok().json(UserView::from(user))),
        None => Err(AadError::UserNotFound(id)),
    }
}

/// Why a sign-in with a user name and password failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInFailure {
    /// No user with this name (AADSTS50034).
    UnknownUser,
    /// The password is wrong (AADSTS50126).
    WrongPassword,
    /// Smart Lockout: too many wrong passwords in a row (AADSTS50053).
    Locked,
    /// The right password, but `accountEnabled` is false (AADSTS50057).
    Disabled,
    /// The right password, but it must be changed first (`forceChangePasswordNextSignIn`):
    /// AADSTS50055 where the flow cannot ask for a new one (ROPC); the login page asks.
    MustChangePassword(Box<User>),
}

impl SignInFailure {
    /// AAD's error for this failure.
    pub fn error(&self, state: &AppState) -> AadError {
        match self {
            Self::UnknownUser => AadError::UserAccountNotFound {
                directory: state.tenant.id.clone(),
            },
            Self::WrongPassword => AadError::InvalidUserNameOrPassword,
            Self::Locked => AadError::IdsLocked,
            Self::Disabled => AadError::UserDisabled,
            Self::MustChangePassword(_) => AadError::PasswordExpired,
        }
    }
}

/// Checks a user name and password; the user on success. A locked account is refused before its
/// password is checked; wrong passwords count towards [`lockout`], a success resets the count.
/// With the right password, a disabled account is refused (AADSTS50057), and an account that must
/// change its password is handed back for the caller to decide (see [`SignInFailure`]). Deleted
/// users are not found: their user principal name was changed when they were deleted.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<Result<User, SignInFailure>, AadError> {
    let Some(user) = state.users.by_upn(username.trim()).await? else {
        return Ok(Err(SignInFailure::UnknownUser));
    };
    let Some(hash) = state.users.password_hash(&user.id).await? else {
        return Ok(Err(SignInFailure::UnknownUser));
    };
    if state.lockout.is_locked(&user.id, state.clock.now()) {
        return Ok(Err(SignInFailure::Locked));
    }
    let password = password.to_string();
    // PBKDF2 takes milliseconds: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || hash.verify(&password))
        .await
        .map_err(|e| AadError::Internal(e.into()))?;
    Ok(if matches {
        state.lockout.record_success(&user.id);
        if !user.account_enabled {
            Err(SignInFailure::Disabled)
        } else if user.force_change_password {
            Err(SignInFailure::MustChangePassword(Box::new(user)))
        } else {
            Ok(user)
        }
    } else {
        state.lockout.record_failure(&user.id, state.clock.now());
        Err(SignInFailure::WrongPassword)
    })
}
