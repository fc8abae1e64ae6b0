//! Users: the internal API's wire types (Graph's names) and the domain rules.

use serde::{Deserialize, Serialize};

use crate::credentials::PasswordHash;
use crate::error::AadError;

/// A user as stored (never with the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Object id (`oid` in tokens).
    pub id: String,
    /// `admin@mimic.onmicrosoft.com` (`upn`, `unique_name`, `preferred_username`). A deleted
    /// user's is prefixed with its object id (no dashes), as Entra renames it.
    pub user_principal_name: String,
    /// `name` in tokens.
    pub display_name: String,
    /// ISO 8601 UTC.
    pub created_date_time: String,
    /// Whether the user may sign in (`accountEnabled`).
    pub account_enabled: bool,
    /// `mailNickname`; the UPN's local part when never set (users made before Graph wrote them).
    pub mail_nickname: String,
    /// `givenName`.
    pub given_name: Option<String>,
    /// `surname`.
    pub surname: Option<String>,
    /// `jobTitle`.
    pub job_title: Option<String>,
    /// `passwordProfile.forceChangePasswordNextSignIn`: the next sign-in must set a new password.
    pub force_change_password: bool,
    /// When the user was deleted (it is then in `directory/deletedItems`).
    pub deleted_date_time: Option<String>,
}

impl User {
    /// A new, enabled user whose mail nickname is its UPN's local part.
    pub fn new(
        id: String,
        user_principal_name: String,
        display_name: String,
        created_date_time: String,
    ) -> Self {
        Self {
            mail_nickname: local_part(&user_principal_name).to_string(),
            id,
            user_principal_name,
            display_name,
            created_date_time,
            account_enabled: true,
            given_name: None,
            surname: None,
            job_title: None,
            force_change_password: false,
            deleted_date_time: None,
        }
    }

    /// Whether the user is in `directory/deletedItems`.
    pub fn is_deleted(&self) -> bool {
        self.deleted_date_time.is_some()
    }
}

/// Whether a password meets Entra's complexity rules for cloud users: 8 to 256 characters, and
/// characters of at least three of lower case, upper case, digits and symbols
/// (<https://learn.microsoft.com/entra/identity/authentication/concept-password-ban-bad-combined-policy>).
/// Entra also bans common passwords; mimic does not.
pub fn meets_complexity(password: &str) -> bool {
    let length = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    (8..=256).contains(&length) && classes.iter().filter(|present| **present).count() >= 3
}

/// `alice` of `alice@contoso.com`.
pub fn local_part(user_principal_name: &str) -> &str {
    user_principal_name
        .split_once('@')
        .map_or(user_principal_name, |(local, _)| local)
}

/// A user ready to store, with the hashed password.
#[derive(Debug, Clone)]
pub struct UserDraft {
    pub user: User,
    pub password: PasswordHash,
}

/// Graph's `passwordProfile`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordProfile {
    pub password: String,
}

/// `POST /internal/users` body and the fixture's `aad.users[]` entries, in Graph's shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUser {
    /// Object id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub user_principal_name: String,
    pub display_name: String,
    pub password_profile: PasswordProfile,
}

impl NewUser {
    /// Validates the body and hashes the password.
    pub fn into_draft(self, created_date_time: String) -> Result<UserDraft, AadError> {
        let invalid = |m: &str| AadError::InvalidUser(m.to_string());
        let id = match self.id {
            Some(id) => uuid::Uuid::parse_str(&id)
                .map_err(|_| invalid("id must be a GUID"))?
                .to_string(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let upn = self.user_principal_name.trim();
        let valid_upn = upn
            .split_once('@')
            .is_some_and(|(name, domain)| !name.is_empty() && domain.contains('.'));
        if !valid_upn || upn.contains(char::is_whitespace) {
            return Err(invalid("userPrincipalName must look like name@domain"));
        }
        if self.display_name.trim().is_empty() {
            return Err(invalid("displayName must not be empty"));
        }
        if self.password_profile.password.is_empty() {
            return Err(invalid("passwordProfile.password must not be empty"));
        }
        Ok(UserDraft {
            password: PasswordHash::new(&self.password_profile.password)?,
            user: User::new(
                id,
                upn.to_string(),
                self.display_name.trim().to_string(),
                created_date_time,
            ),
        })
    }
}

/// What the internal API answers: the user without its password.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub created_date_time: String,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            user_principal_name: user.user_principal_name,
            display_name: user.display_name,
            created_date_time: user.created_date_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_user(upn: &str, password: &str) -> NewUser {
        NewUser {
            id: None,
            user_principal_name: upn.into(),
            display_name: "A".into(),
            password_profile: PasswordProfile {
                password: password.into(),
            },
        }
    }

    #[test]
    fn complexity_needs_eight_characters_of_three_kinds() {
        let cases = [
            ("Mimic-Admin-1!", true),
            ("abcdEFG1", true),
            ("abcdefg1!", true),
            ("ABCDEFG1!", true),
            ("abcdefgh", false),
            ("abcdEFGH", false),
            ("aB1!", false),
            ("abcdefg12", false),
        ];
        for (password, want) in cases {
            assert_eq!(meets_complexity(password), want, "{password}");
        }
    }

    #[test]
    fn into_draft_rejects_bad_upns_and_empty_passwords() {
        for (upn, password) in [
            ("nobody", "p"),
            ("a@b", "p"),
            ("a b@c.d", "p"),
            ("a@b.c", ""),
        ] {
            assert!(
                new_user(upn, password).into_draft("t".into()).is_err(),
                "{upn}"
            );
        }
        let draft = new_user("a@b.c", "p").into_draft("t".into()).unwrap();
        assert!(draft.password.verify("p"));
    }
}
