//! The fixture's `aad` section: service principals created on first start (when the directory is
//! empty), e.g. the operator's application with its client secret, and users (created when there
//! are none) with their passwords.
//!
//! ```json
//! {"servicePrincipals":[{"id":"…","appId":"…","displayName":"mimic-operator",
//!   "servicePrincipalType":"Application","passwordCredentials":[{"secretText":"…"}]}]}
//! ```

use anyhow::Context;
use serde::Deserialize;

use crate::principals::iso_timestamp;
use crate::principals::model::NewServicePrincipal;
use crate::principals::store::Store;
use crate::users::model::NewUser;
use crate::users::store::UserStore;

/// The `aad` section of a fixture document.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AadFixture {
    /// Principals to create, with the internal API's body shape.
    #[serde(default)]
    pub service_principals: Vec<NewServicePrincipal>,
    /// Users to create, with `POST /internal/users`'s body shape.
    #[serde(default)]
    pub users: Vec<NewUser>,
}

impl AadFixture {
    /// Reads the `aad` section.
    pub fn from_value(section: &serde_json::Value) -> anyhow::Result<Self> {
        serde_json::from_value(section.clone()).context("reading the fixture's aad section")
    }

    /// Creates the principals if there are none, and the users if there are none (so a data dir
    /// made before users existed gets them); returns how many objects were created.
    pub async fn apply(&self, store: &Store, users: &UserStore, now: i64) -> anyhow::Result<usize> {
        let mut created = 0;
        if store.count().await.map_err(to_anyhow)? == 0 {
            for principal in &self.service_principals {
                let draft = principal
                    .clone()
                    .into_draft(iso_timestamp(now))
                    .map_err(to_anyhow)?;
                store.create(&draft).await.map_err(to_anyhow)?;
                created += 1;
            }
        }
        if users.total().await.map_err(to_anyhow)? == 0 {
            for user in &self.users {
                let draft = user
                    .clone()
                    .into_draft(iso_timestamp(now))
                    .map_err(to_anyhow)?;
                users.create(&draft).await.map_err(to_anyhow)?;
                created += 1;
            }
        }
        Ok(created)
    }
}

fn to_anyhow(error: crate::AadError) -> anyhow::Error {
    match error {
        crate::AadError::Internal(error) => error,
        other => anyhow::anyhow!("applying the aad fixture: {other}"),
    }
}
