//! mimic's Azure AD: the token issuer the other services and real Azure clients talk to.
//!
//! It serves, over HTTPS, what MSAL, azure-identity and az need from `login.microsoftonline.com`:
//! OIDC discovery (v1 and v2), the JWKS that publishes the tenant's signing key, and the OAuth2
//! token endpoints (v1 `/oauth2/token`, v2 `/oauth2/v2.0/token`) for the client-credentials grant
//! with a client secret or a certificate-signed client assertion (how managed identities sign in).
//! Service principals live in AAD's own SQLite database and are managed by ARM through a small
//! internal API (`/internal/servicePrincipals`). Managed identities hold no key: the IMDS host asks
//! `/internal/managedIdentities/token` for their tokens, and AAD checks with ARM ([`arm_host`])
//! that the identity is on the VM asking. Errors use AAD's OAuth2 envelope with `AADSTS` codes.
//! Users of the tenant sign in with a password ([`signin`]: ROPC for az, authorization code +
//! PKCE behind a login page for the portal); they live in the same database ([`users`]).
//! App registrations ([`applications`]) hold their own credentials. The same listener serves the
//! subset of Microsoft Graph az needs ([`graph`], under `/v1.0`), with Graph's permission model:
//! app roles granted on Microsoft's first-party principals ([`first_party`]) reach tokens as
//! `roles`, users hold directory roles ([`directory_roles`]).
//!
//! Reading order: [`settings`] → [`startup`] (the only wiring) → [`state`] → [`routes`] (the URL table) →
//! [`error`] → [`tenant`] → [`discovery`] → [`token`] → [`principals`] → [`applications`] → [`credentials`] →
//! [`users`] → [`signin`] → [`fixture`] → [`first_party`] → [`directory_roles`] → [`db`] → [`signing`] →
//! [`graph`] → [`chaos`].

pub mod applications;
pub mod arm_host;
pub mod chaos;
pub mod credentials;
pub mod db;
pub mod deleted_objects;
pub mod directory_roles;
pub mod discovery;
pub mod error;
pub mod federation;
pub mod first_party;
pub mod fixture;
pub mod graph;
pub mod groups;
pub mod principals;
pub mod reality;
pub mod routes;
pub mod settings;
pub mod signin;
pub mod signing;
pub mod snapshots;
pub mod startup;
pub mod state;
pub mod tenant;
pub mod token;
pub mod users;

pub use error::AadError;
pub use fixture::AadFixture;
pub use settings::Settings;
pub use startup::Application;
