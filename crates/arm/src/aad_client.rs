//! The AAD internal API as ARM uses it: create, delete and look up the service principals behind
//! managed identities and their federated identity credentials (docs/internal-apis.md, "AAD
//! internal API"). Every call carries the internal key.

use anyhow::Context;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::startup::AppState;

/// Which kind of managed identity a principal backs; decides Graph's `alternativeNames`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// A VM's system-assigned identity (`isExplicit=False`).
    SystemAssigned,
    /// A user-assigned identity resource (`isExplicit=True`).
    UserAssigned,
}

/// What ARM asks AAD to create for one managed identity.
#[derive(Debug, Clone)]
pub struct NewManagedIdentityPrincipal<'a> {
    /// Graph `displayName`: the resource's name.
    pub display_name: &'a str,
    /// The ARM id of the VM (system-assigned) or of the identity resource (user-assigned).
    pub resource_id: &'a str,
    /// System- or user-assigned.
    pub kind: IdentityKind,
    /// The object id to use (ARM chooses it so the credential's subject can name it).
    pub id: &'a str,
    /// The application (client) id to use.
    pub app_id: &'a str,
}

/// The ids AAD stored for a principal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPrincipal {
    /// Object id (`principalId` in ARM).
    pub id: String,
    /// Application id (`clientId` in ARM).
    pub app_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody<'a> {
    display_name: &'a str,
    service_principal_type: &'static str,
    managed_identity_resource_id: &'a str,
    alternative_names: [String; 2],
    id: &'a str,
    app_id: &'a str,
}

/// How many times a lookup is tried before its failure is ARM's ([`AadClient`]).
pub const LOOKUP_ATTEMPTS: u32 = 4;

/// A client of AAD's internal service-principal API, over the app's HTTPS client.
pub struct AadClient<'a> {
    state: &'a AppState,
}

impl<'a> AadClient<'a> {
    /// A client using `state`'s HTTP client, AAD URL and internal key.
    pub fn new(state: &'a AppState) -> Self {
        Self { state }
    }

    fn url(&self, suffix: &str) -> String {
        let base = self.state.settings.aad_url.trim_end_matches('/');
        format!("{base}/internal/servicePrincipals{suffix}")
    }

    fn request(&self, method: reqwest::Method, suffix: &str) -> reqwest::RequestBuilder {
        self.state.http.request(method, self.url(suffix)).header(
            mimic_web::INTERNAL_KEY_HEADER,
            self.state.settings.internal_key.expose(),
        )
    }

    /// `GET {aad}/internal/{path}`, a read: retried (up to [`LOOKUP_ATTEMPTS`] times, 50 ms
    /// doubling) when the connection fails or AAD answers 408, 429 or 5xx, so that a transient
    /// failure between the two services — an idle keep-alive connection AAD times out as ARM
    /// reuses it, a moment of overload — never becomes ARM's 500 for the client's write.
    async fn lookup(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        let base = self.state.settings.aad_url.trim_end_matches('/');
        let url = format!("{base}/internal/{path}");
        let mut pause = std::time::Duration::from_millis(50);
        let mut attempt = 1;
        loop {
            let sent = self
                .state
                .http
                .get(&url)
                .header(
                    mimic_web::INTERNAL_KEY_HEADER,
                    self.state.settings.internal_key.expose(),
                )
                .send()
                .await;
            let transient = match &sent {
                Ok(response) => {
                    let status = response.status();
                    status == StatusCode::REQUEST_TIMEOUT
                        || status == StatusCode::TOO_MANY_REQUESTS
                        || status.is_server_error()
                }
                Err(error) => error.is_connect() || error.is_timeout() || error.is_request(),
            };
            if !transient || attempt == LOOKUP_ATTEMPTS {
                return sent;
            }
            tracing::debug!(%url, attempt, "AAD lookup failed transiently; retrying");
            tokio::time::sleep(pause).await;
            pause *= 2;
            attempt += 1;
        }
    }

    /// Creates the service principal of a managed identity (no credential: it never signs in itself).
    pub async fn create_service_principal(
        &self,
        principal: &NewManagedIdentityPrincipal<'_>,
    ) -> anyhow::Result<CreatedPrincipal> {
        let explicit = match principal.kind {
            IdentityKind::SystemAssigned => "isExplicit=False",
            IdentityKind::UserAssigned => "isExplicit=True",
        };
        let body = CreateBody {
            display_name: principal.display_name,
            service_principal_type: "ManagedIdentity",
            managed_identity_resource_id: principal.resource_id,
            alternative_names: [explicit.to_string(), principal.resource_id.to_string()],
            id: principal.id,
            app_id: principal.app_id,
        };
        let response = self
            .request(reqwest::Method::POST, "")
            .json(&body)
            .send()
            .await
            .context("calling AAD to create a service principal")?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            anyhow::bail!("AAD refused to create a service principal: {status} {text}");
        }
        response
            .json()
            .await
            .context("reading AAD's created service principal")
    }

    /// The object ids of every managed-identity principal AAD holds.
    pub async fn managed_identity_ids(&self) -> anyhow::Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Listed {
            value: Vec<CreatedId>,
        }
        #[derive(Deserialize)]
        struct CreatedId {
            id: String,
        }
        let response = self
            .request(
                reqwest::Method::GET,
                "?servicePrincipalType=ManagedIdentity",
            )
            .send()
            .await
            .context("calling AAD to list managed-identity principals")?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            anyhow::bail!("AAD refused to list managed-identity principals: {status} {text}");
        }
        let listed: Listed = response
            .json()
            .await
            .context("reading AAD's managed-identity principals")?;
        Ok(listed.value.into_iter().map(|entry| entry.id).collect())
    }

    /// Deletes a service principal; an unknown id counts as already deleted.
    pub async fn delete_service_principal(&self, id: &str) -> anyhow::Result<()> {
        let response = self
            .request(reqwest::Method::DELETE, &format!("/{id}"))
            .send()
            .await
            .context("calling AAD to delete a service principal")?;
        match response.status() {
            status if status.is_success() || status == StatusCode::NOT_FOUND => Ok(()),
            status => {
                let text = response.text().await.unwrap_or_default();
                anyhow::bail!("AAD refused to delete service principal {id}: {status} {text}")
            }
        }
    }

    /// Every managed identity's federated identity credentials as AAD holds them, by lower-cased
    /// principal id, each credential as AAD lists it (`GET /internal/federatedIdentityCredentials`;
    /// principals without credentials are absent).
    pub async fn all_federated_credentials(
        &self,
    ) -> anyhow::Result<std::collections::HashMap<String, Vec<serde_json::Value>>> {
        #[derive(Deserialize)]
        struct All {
            value: std::collections::HashMap<String, Vec<serde_json::Value>>,
        }
        let response = self
            .lookup("federatedIdentityCredentials")
            .await
            .context("calling AAD to read the federated identity credentials")?;
        let status = response.status();
        if !status.is_success() {
            anyhow::bail!("AAD failed to list the federated identity credentials: {status}");
        }
        let all: All = response
            .json()
            .await
            .context("reading AAD's federated identity credentials")?;
        Ok(all
            .value
            .into_iter()
            .map(|(principal, set)| (principal.to_lowercase(), set))
            .collect())
    }

    /// Replaces the federated identity credentials AAD holds for a managed identity's principal
    /// with `credentials`, the identity's whole set
    /// (`PUT /internal/servicePrincipals/{id}/federatedIdentityCredentials`).
    pub async fn replace_federated_credentials(
        &self,
        principal_id: &str,
        credentials: &[FederatedCredentialEntry],
    ) -> anyhow::Result<()> {
        let response = self
            .request(
                reqwest::Method::PUT,
                &format!("/{principal_id}/federatedIdentityCredentials"),
            )
            .json(&serde_json::json!({ "value": credentials }))
            .send()
            .await
            .context("calling AAD to write federated identity credentials")?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            anyhow::bail!(
                "AAD refused the federated identity credentials of {principal_id}: {status} {text}"
            );
        }
        Ok(())
    }

    /// The type (`User`, `ServicePrincipal` or `Group`) of the directory's principal with this
    /// id, `None` when the directory has none (`GET /internal/principals/{id}`).
    pub async fn principal_type(&self, id: &str) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Found {
            principal_type: String,
        }
        let response = self
            .lookup(&format!("principals/{id}"))
            .await
            .context("calling AAD to look up a principal")?;
        match response.status() {
            status if status.is_success() => {
                let found: Found = response
                    .json()
                    .await
                    .context("reading AAD's answer on a principal")?;
                Ok(Some(found.principal_type))
            }
            StatusCode::NOT_FOUND => Ok(None),
            status => anyhow::bail!("AAD failed to look up principal {id}: {status}"),
        }
    }

    /// A user's or service principal's `displayName` (`GET /internal/servicePrincipals/{id}`,
    /// then `GET /internal/users/{id}`); `None` when neither has the id.
    pub async fn display_name(&self, id: &str) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Named {
            display_name: Option<String>,
        }
        for kind in ["servicePrincipals", "users"] {
            let response = self
                .lookup(&format!("{kind}/{id}"))
                .await
                .context("calling AAD to look up a principal's name")?;
            if response.status().is_success() {
                let named: Named = response
                    .json()
                    .await
                    .context("reading AAD's answer on a principal")?;
                return Ok(named.display_name);
            }
        }
        Ok(None)
    }

    /// A principal's kind and transitive groups (`GET /internal/principals/{id}/groups`); `None`
    /// when the directory has no user, service principal or group with this id.
    pub async fn principal_groups(&self, id: &str) -> anyhow::Result<Option<PrincipalGroups>> {
        let response = self
            .lookup(&format!("principals/{id}/groups"))
            .await
            .context("calling AAD to look up a principal's groups")?;
        match response.status() {
            status if status.is_success() => Ok(Some(
                response
                    .json()
                    .await
                    .context("reading AAD's answer on a principal's groups")?,
            )),
            StatusCode::NOT_FOUND => Ok(None),
            status => anyhow::bail!("AAD failed to look up principal {id}: {status}"),
        }
    }
}

/// One federated identity credential as AAD's internal API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedCredentialEntry {
    pub name: String,
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_matching_expression:
        Option<crate::federated_identity_credentials::model::ClaimsMatchingExpression>,
}

/// A directory object's kind and the groups it is in, directly or through nested groups.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalGroups {
    /// `User`, `ServicePrincipal` or `Group`.
    pub principal_type: String,
    /// Object ids of every group, lower-case.
    pub groups: Vec<String>,
}
