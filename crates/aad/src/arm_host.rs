//! AAD's one question to ARM: which managed identities does this VM have right now? Asked over
//! ARM's host API with the internal key (docs/internal-apis.md) before AAD issues a managed-identity
//! token, so a token is only ever issued for an identity that is on the VM it is asked for.

use anyhow::{bail, Context};
use mimic_web::{InternalKey, INTERNAL_KEY_HEADER};
use serde::Deserialize;

use crate::settings::ArmUrl;

/// ARM's host API, as AAD uses it.
#[derive(Debug, Clone)]
pub struct ArmHost {
    url: ArmUrl,
    client: reqwest::Client,
    key: InternalKey,
}

/// A VM as the host API describes it: its canonical id and its identities' principals.
#[derive(Debug, Clone)]
pub struct VmIdentities {
    /// The VM's ARM id in ARM's canonical case.
    pub vm_id: String,
    /// `(principal id, resource id)` of each identity: the VM's id for the system-assigned one,
    /// the identity's id for user-assigned ones.
    pub identities: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct Body {
    vm: VmBody,
    #[serde(default)]
    identities: Vec<IdentityBody>,
}

#[derive(Deserialize)]
struct VmBody {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdentityBody {
    principal_id: String,
    resource_id: String,
}

impl ArmHost {
    /// A client of the ARM at `url` (once known), trusting `ca_pem` (if any).
    pub fn new(url: ArmUrl, ca_pem: &str, key: InternalKey) -> anyhow::Result<Self> {
        let client = match ca_pem.trim().is_empty() {
            true => mimic_web::client_builder(None)?
                .no_proxy()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .context("building the HTTP client")?,
            false => mimic_web::https_client(ca_pem)?,
        };
        Ok(Self { url, client, key })
    }

    /// ARM's URL, once known.
    pub fn url(&self) -> Option<&str> {
        self.url.get().map(String::as_str)
    }

    /// The VM's identities; `None` when ARM says the VM does not exist.
    pub async fn vm(&self, vm_id: &str) -> anyhow::Result<Option<VmIdentities>> {
        let Some(base) = self.url.get() else {
            bail!("AAD does not know ARM's URL yet (mimic aad --arm-url)");
        };
        let mut url = url::Url::parse(&format!(
            "{}/internal/vms/identities",
            base.trim_end_matches('/')
        ))
        .context("building the host API URL")?;
        url.query_pairs_mut().append_pair("id", vm_id);
        let response = self
            .client
            .get(url.as_str())
            .header(INTERNAL_KEY_HEADER, self.key.expose())
            .send()
            .await
            .context("calling ARM's host API")?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("ARM's host API answered {status}: {text}");
        }
        let body: Body = response
            .json()
            .await
            .context("reading the VM's identities")?;
        Ok(Some(VmIdentities {
            vm_id: body.vm.id,
            identities: body
                .identities
                .into_iter()
                .map(|identity| (identity.principal_id, identity.resource_id))
                .collect(),
        }))
    }
}
