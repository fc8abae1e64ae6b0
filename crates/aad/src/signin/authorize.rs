//! `GET /{tenant}/oauth2/v2.0/authorize`: a small login page (Microsoft's words: "Sign in",
//! "Email, phone, or Skype", "Password"; no external assets); `POST` of its form checks the
//! password and redirects to `redirect_uri?code=…&state=…`. Only the portal client signs in here,
//! with PKCE S256 and a loopback `https` redirect URI. Codes are single-use, live 10 minutes and
//! are kept in memory (a restart forgets them, as it would a browser's half-done sign-in).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::tokens::{self, ResourceScope};
use super::{is_allowed_redirect_uri, MIMIC_PORTAL};
use crate::credentials::PasswordHash;
use crate::error::AadError;
use crate::graph::resource_id;
use crate::state::AppState;
use crate::tenant::MetadataTenant;
use crate::users::model::{meets_complexity, User};
use crate::users::{sign_in, SignInFailure};

/// How long an authorization code may wait to be redeemed, in seconds.
pub const CODE_LIFETIME: i64 = 600;

/// An issued, not yet redeemed, authorization code.
#[derive(Debug, Clone)]
pub struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub user_id: String,
    pub scope: ResourceScope,
    pub nonce: Option<String>,
    pub expires_on: i64,
}

/// The authorization codes waiting to be redeemed.
#[derive(Debug, Clone, Default)]
pub struct Codes(Arc<Mutex<HashMap<String, PendingCode>>>);

/// Most authorization codes waiting to be redeemed (memory stays bounded).
pub const MAX_PENDING_CODES: usize = 10_000;

impl Codes {
    /// Forgets every pending code (a snapshot restore or a reset replaced the directory).
    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    /// Stores `pending` under a fresh random code (dropping expired ones) and returns the code.
    pub fn issue(&self, pending: PendingCode, now: i64) -> String {
        let mut bytes = [0u8; 32];
        // AWS-LC's RAND_bytes aborts the process rather than return failure.
        aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC randomness");
        let code = format!("1.{}", URL_SAFE_NO_PAD.encode(bytes));
        let mut codes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        codes.retain(|_, p| p.expires_on >= now);
        // A bound, not a policy: that many unredeemed codes within their lifetime means a client
        // is looping; the oldest go first.
        if codes.len() >= MAX_PENDING_CODES {
            let mut oldest: Vec<(String, i64)> = codes
                .iter()
                .map(|(c, p)| (c.clone(), p.expires_on))
                .collect();
            oldest.sort_by_key(|(_, expires_on)| *expires_on);
            for (stale, _) in oldest.into_iter().take(MAX_PENDING_CODES / 4) {
                codes.remove(&stale);
            }
        }
        codes.insert(code.clone(), pending);
        code
    }

    /// Removes and returns the code's grant: a code is good once.
    pub fn take(&self, code: &str) -> Option<PendingCode> {
        let mut codes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        codes.remove(code)
    }
}

/// The authorization request's parameters (query on GET, hidden fields on POST).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
    #[serde(default)]
    pub login_hint: Option<String>,
    /// The form's user name (AAD's field name).
    #[serde(default)]
    pub login: Option<String>,
    /// The form's password (AAD's field name).
    #[serde(default)]
    pub passwd: Option<String>,
    /// Set when the user pressed "Cancel".
    #[serde(default)]
    pub cancel: Option<String>,
    /// The "Update your password" form's new password (AAD's field name).
    #[serde(default)]
    pub newpasswd: Option<String>,
    /// The same form's confirmation (AAD's field name).
    #[serde(default)]
    pub confirmnewpasswd: Option<String>,
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: the login page, or an error page or redirect.
pub async fn page(
    _: MetadataTenant,
    state: web::Data<AppState>,
    query: web::Query<AuthorizeParams>,
) -> HttpResponse {
    let params = query.into_inner();
    match check(&params, &state) {
        Ok(()) => login_page(&params, None),
        Err(Refusal::Page(error)) => error_page(&error),
        Err(Refusal::Redirect(error)) => redirect_error(&params, &error),
    }
}

/// `POST /{tenant}/oauth2/v2.0/authorize`: the login form.
pub async fn submit(
    _: MetadataTenant,
    state: web::Data<AppState>,
    form: web::Form<AuthorizeParams>,
) -> Result<HttpResponse, AadError> {
    let params = form.into_inner();
    match check(&params, &state) {
        Ok(()) => {}
        Err(Refusal::Page(error)) => return Ok(error_page(&error)),
        Err(Refusal::Redirect(error)) => return Ok(redirect_error(&params, &error)),
    }
    if params.cancel.is_some() {
        return Ok(redirect(
            &params,
            &[
                ("error", "access_denied"),
                (
                    "error_description",
                    "AADSTS65004: User declined to consent to access the app.",
                ),
            ],
        ));
    }
    let username = params.login.clone().unwrap_or_default();
    let password = params.passwd.clone().unwrap_or_default();
    let user = match sign_in(&state, &username, &password).await? {
        Ok(user) => user,
        Err(SignInFailure::MustChangePassword(user)) => {
            match change_password(&state, &params, &user, &password).await? {
                Ok(()) => *user,
                Err(problem) => return Ok(update_password_page(&params, problem)),
            }
        }
        Err(failure) => return Ok(login_page(&params, Some(&failure.error(&state)))),
    };
    let scope = match tokens::resource_scope(&params.scope, &resource_id(&state.base_url)) {
        Ok(scope) => scope,
        Err(error) => return Ok(redirect_error(&params, &error)),
    };
    let now = state.clock.now();
    let code = state.codes.issue(
        PendingCode {
            client_id: params.client_id.clone(),
            redirect_uri: params.redirect_uri.clone(),
            code_challenge: params.code_challenge.clone(),
            user_id: user.id.clone(),
            scope,
            nonce: params.nonce.clone(),
            expires_on: now + CODE_LIFETIME,
        },
        now,
    );
    tracing::info!(upn = %user.user_principal_name, "authorization code issued");
    Ok(redirect(&params, &[("code", &code)]))
}

/// Entra's "Update your password" step, for a user whose `forceChangePasswordNextSignIn` is set:
/// the page asks for the current password again and a new one (twice); a new password that
/// passes Entra's complexity rules and differs from the current one replaces it, clears the flag,
/// and the sign-in goes on. `Err` carries what the page says instead.
async fn change_password(
    state: &AppState,
    params: &AuthorizeParams,
    user: &User,
    current: &str,
) -> Result<Result<(), Option<&'static str>>, AadError> {
    let Some(new) = params.newpasswd.as_deref() else {
        return Ok(Err(None));
    };
    if Some(new) != params.confirmnewpasswd.as_deref() {
        return Ok(Err(Some("The passwords don't match.")));
    }
    if new == current {
        return Ok(Err(Some("You can't reuse your current password.")));
    }
    if !meets_complexity(new) {
        return Ok(Err(Some(PASSWORD_RULES)));
    }
    let new = new.to_string();
    // PBKDF2 takes milliseconds: keep it off the async workers.
    let hash = tokio::task::spawn_blocking(move || PasswordHash::new(&new))
        .await
        .map_err(|e| AadError::Internal(e.into()))??;
    state.users.change_password(&user.id, &hash).await?;
    tracing::info!(upn = %user.user_principal_name, "password changed at sign-in");
    Ok(Ok(()))
}

const PASSWORD_RULES: &str = "Passwords must have at least 8 characters and contain at least three of the following: uppercase letters, lowercase letters, numbers, and symbols.";

enum Refusal {
    /// The client or redirect URI cannot be trusted: AAD shows an error page.
    Page(AadError),
    /// A bad request from a known client: AAD redirects with `error=…`.
    Redirect(AadError),
}

fn check(params: &AuthorizeParams, state: &AppState) -> Result<(), Refusal> {
    if params.client_id.is_empty() {
        return Err(Refusal::Page(AadError::MissingParameter("client_id")));
    }
    if !params.client_id.eq_ignore_ascii_case(MIMIC_PORTAL) {
        return Err(Refusal::Page(AadError::UnauthorizedClient {
            app_id: params.client_id.clone(),
            directory: state.tenant.display_name.clone(),
        }));
    }
    if !is_allowed_redirect_uri(&params.redirect_uri) {
        return Err(Refusal::Page(AadError::RedirectUriMismatch {
            redirect_uri: params.redirect_uri.clone(),
            app_id: params.client_id.clone(),
        }));
    }
    if params.response_type != "code" {
        return Err(Refusal::Redirect(AadError::UnsupportedResponseType(
            params.response_type.clone(),
        )));
    }
    if params.code_challenge.is_empty() || params.code_challenge_method != "S256" {
        return Err(Refusal::Redirect(AadError::PkceRequired));
    }
    Ok(())
}

fn redirect(params: &AuthorizeParams, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut url = match url::Url::parse(&params.redirect_uri) {
        Ok(url) => url,
        Err(_) => return error_page(&AadError::InvalidGrant),
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(state) = &params.state {
            query.append_pair("state", state);
        }
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store, no-cache"))
        .finish()
}

fn redirect_error(params: &AuthorizeParams, error: &AadError) -> HttpResponse {
    let description = description(error);
    redirect(
        params,
        &[
            ("error", error.error()),
            ("error_description", &description),
        ],
    )
}

fn description(error: &AadError) -> String {
    match error.code() {
        Some(code) => format!("AADSTS{code}: {error}"),
        None => error.to_string(),
    }
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store, no-cache"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(body)
}

const STYLE: &str = "body{font-family:'Segoe UI',Arial,sans-serif;background:#f2f2f2;margin:0}\
main{background:#fff;max-width:440px;margin:10vh auto;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}\
h1{font-size:24px;font-weight:600;margin:16px 0}input[type=text],input[type=password],input[type=email]{width:100%;box-sizing:border-box;\
padding:6px 0;margin:8px 0 16px;border:0;border-bottom:1px solid #666;font-size:15px}\
.buttons{text-align:right}button{min-width:108px;padding:6px 12px;font-size:15px;border:0;margin-left:8px}\
button.primary{background:#0067b8;color:#fff}button.secondary{background:#ccc}\
.error{color:#e81123;margin:8px 0}.brand{font-weight:600;color:#737373}";

fn login_page(params: &AuthorizeParams, error: Option<&AadError>) -> HttpResponse {
    let hidden = hidden_fields(params);
    let login = params
        .login
        .as_deref()
        .or(params.login_hint.as_deref())
        .unwrap_or_default();
    let error = error
        .map(|e| {
            format!(
                "<div class=\"error\" id=\"passwordError\" role=\"alert\">{}</div>",
                escape(&description(e))
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to your account</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body><main>\
<div class=\"brand\">mimic</div><h1>Sign in</h1><form method=\"post\">{hidden}{error}\
<label for=\"login\">Email, phone, or Skype</label>\
<input type=\"email\" id=\"login\" name=\"login\" placeholder=\"Email, phone, or Skype\" aria-label=\"Email, phone, or Skype\" value=\"{}\" autocomplete=\"username\" required>\
<label for=\"passwd\">Password</label>\
<input type=\"password\" id=\"passwd\" name=\"passwd\" placeholder=\"Password\" aria-label=\"Password\" autocomplete=\"current-password\" required>\
<div class=\"buttons\"><button type=\"submit\" name=\"cancel\" value=\"1\" class=\"secondary\" formnovalidate>Cancel</button>\
<button type=\"submit\" class=\"primary\" id=\"idSIButton9\">Sign in</button></div></form></main></body></html>",
        escape(login)
    );
    html(actix_web::http::StatusCode::OK, body)
}

/// The authorization request, carried through the sign-in forms as hidden fields.
fn hidden_fields(params: &AuthorizeParams) -> String {
    [
        ("client_id", Some(params.client_id.as_str())),
        ("response_type", Some(params.response_type.as_str())),
        ("redirect_uri", Some(params.redirect_uri.as_str())),
        ("scope", Some(params.scope.as_str())),
        ("state", params.state.as_deref()),
        ("nonce", params.nonce.as_deref()),
        ("code_challenge", Some(params.code_challenge.as_str())),
        (
            "code_challenge_method",
            Some(params.code_challenge_method.as_str()),
        ),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            )
        })
    })
    .collect()
}

fn update_password_page(params: &AuthorizeParams, problem: Option<&str>) -> HttpResponse {
    let mut hidden = hidden_fields(params);
    hidden.push_str(&format!(
        "<input type=\"hidden\" name=\"login\" value=\"{}\">",
        escape(params.login.as_deref().unwrap_or_default())
    ));
    let problem = problem
        .map(|p| {
            format!(
                "<div class=\"error\" id=\"passwordError\" role=\"alert\">{}</div>",
                escape(p)
            )
        })
        .unwrap_or_default();
    let field = |id: &str, label: &str, autocomplete: &str| {
        format!(
            "<label for=\"{id}\">{label}</label><input type=\"password\" id=\"{id}\" name=\"{id}\" \
placeholder=\"{label}\" aria-label=\"{label}\" autocomplete=\"{autocomplete}\" required>"
        )
    };
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Update your password</title>\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body><main>\
<div class=\"brand\">mimic</div><div>{}</div><h1>Update your password</h1>\
<p>You need to update your password because this is the first time you are signing in, or because your password has expired.</p>\
<form method=\"post\">{hidden}{problem}{}{}{}\
<div class=\"buttons\"><button type=\"submit\" class=\"primary\" id=\"idSIButton9\">Sign in</button></div></form></main></body></html>",
        escape(params.login.as_deref().unwrap_or_default()),
        field("passwd", "Current password", "current-password"),
        field("newpasswd", "New password", "new-password"),
        field("confirmnewpasswd", "Confirm password", "new-password"),
    );
    html(actix_web::http::StatusCode::OK, body)
}

fn error_page(error: &AadError) -> HttpResponse {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to your account</title>\
<style>{STYLE}</style></head><body><main><div class=\"brand\">mimic</div><h1>Sorry, but we’re having trouble signing you in.</h1>\
<div class=\"error\" role=\"alert\">{}</div></main></body></html>",
        escape(&description(error))
    );
    html(actix_web::http::StatusCode::BAD_REQUEST, body)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            other => other.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
    }

    #[test]
    fn codes_are_single_use() {
        let codes = Codes::default();
        let pending = PendingCode {
            client_id: "c".into(),
            redirect_uri: "r".into(),
            code_challenge: "x".into(),
            user_id: "u".into(),
            scope: ResourceScope {
                resource: "r".into(),
                granted: "g".into(),
            },
            nonce: None,
            expires_on: 10,
        };
        let code = codes.issue(pending, 0);
        assert!(codes.take(&code).is_some());
        assert!(codes.take(&code).is_none());
    }
}
