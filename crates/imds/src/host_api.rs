//! Client of ARM's internal host API (docs/internal-apis.md, "ARM host API"): which VMs exist,
//! and what a VM is and which identities it has right now.

use anyhow::{bail, Context};
use mimic_web::internal::watch::WATCHER_HEADER;
use mimic_web::{InternalKey, INTERNAL_KEY_HEADER};
use serde::Deserialize;

/// `GET {arm}/internal/vms/identities?id=…`: the VM as ARM's GET returns it, and its identities.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VmIdentities {
    /// The VM resource JSON.
    pub vm: serde_json::Value,
    /// The VM's current identities.
    #[serde(default)]
    pub identities: Vec<HostIdentity>,
}

impl VmIdentities {
    /// The VM's ARM id in ARM's canonical case, else `fallback`.
    pub fn arm_id<'a>(&'a self, fallback: &'a str) -> &'a str {
        self.vm["id"].as_str().unwrap_or(fallback)
    }
}

/// System- or user-assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum IdentityKind {
    SystemAssigned,
    UserAssigned,
}

/// One identity assigned to the VM (no key: AAD issues its tokens to the IMDS host).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HostIdentity {
    #[serde(rename = "type")]
    pub kind: IdentityKind,
    /// The VM's id (system-assigned) or the user-assigned identity's id.
    pub resource_id: String,
    pub client_id: String,
    pub principal_id: String,
}

/// What one watch request brought.
#[derive(Debug)]
pub(crate) enum Watched {
    /// Nothing changed within the wait.
    Unchanged,
    /// The host generation is now this; the VM as it is (`None`: gone).
    Changed(u64, Option<VmIdentities>),
    /// ARM answered without a generation: it has no watch.
    Unsupported,
}

/// One entry of `GET {arm}/internal/vms`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VmSummary {
    /// ARM id, canonical case.
    pub id: String,
    pub name: String,
}

#[derive(Deserialize)]
struct VmList {
    value: Vec<VmSummary>,
}

/// ARM's host API, over HTTPS with the internal key.
#[derive(Debug, Clone)]
pub(crate) struct HostApi {
    client: reqwest::Client,
    arm_url: String,
    key: InternalKey,
}

impl HostApi {
    /// A client of the host API at `arm_url`.
    pub fn new(client: reqwest::Client, arm_url: &str, key: InternalKey) -> Self {
        Self {
            client,
            arm_url: arm_url.trim_end_matches('/').to_string(),
            key,
        }
    }

    /// The VM and its identities; `None` when ARM says the VM does not exist.
    pub async fn vm(&self, vm_id: &str) -> anyhow::Result<Option<VmIdentities>> {
        let mut url = url::Url::parse(&format!("{}/internal/vms/identities", self.arm_url))
            .context("building the host API URL")?;
        url.query_pairs_mut().append_pair("id", vm_id);
        let response = self.get(url.as_str()).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = success(response).await?;
        let vm = response
            .json()
            .await
            .context("reading the VM's identities from ARM")?;
        Ok(Some(vm))
    }

    /// One watch request ([`crate::identity::watch`]): held by ARM up to `wait` while the host
    /// generation is still `holds`.
    pub async fn watch(
        &self,
        vm_id: &str,
        holds: Option<u64>,
        watcher: &str,
        wait: std::time::Duration,
    ) -> anyhow::Result<Watched> {
        let mut url = url::Url::parse(&format!("{}/internal/vms/identities", self.arm_url))
            .context("building the host API URL")?;
        url.query_pairs_mut()
            .append_pair("id", vm_id)
            .append_pair("wait", &wait.as_secs().to_string());
        let mut request = self
            .client
            .get(url.as_str())
            .header(INTERNAL_KEY_HEADER, self.key.expose())
            .header(WATCHER_HEADER, watcher)
            // Held up to `wait` by ARM; a little more for the answer to arrive.
            .timeout(wait + std::time::Duration::from_secs(5));
        if let Some(holds) = holds {
            request = request.header(reqwest::header::IF_NONE_MATCH, format!("\"{holds}\""));
        }
        let response = request.send().await.context("watching ARM's host API")?;
        let generation = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|tag| tag.to_str().ok())
            .and_then(|tag| tag.trim().trim_matches('"').parse::<u64>().ok());
        let Some(generation) = generation else {
            return Ok(Watched::Unsupported);
        };
        match response.status() {
            reqwest::StatusCode::NOT_MODIFIED => Ok(Watched::Unchanged),
            reqwest::StatusCode::NOT_FOUND => Ok(Watched::Changed(generation, None)),
            _ => {
                let vm = success(response)
                    .await?
                    .json()
                    .await
                    .context("reading the VM's identities from ARM")?;
                Ok(Watched::Changed(generation, Some(vm)))
            }
        }
    }

    /// Every VM ARM knows.
    pub async fn list_vms(&self) -> anyhow::Result<Vec<VmSummary>> {
        let response = self.get(&format!("{}/internal/vms", self.arm_url)).await?;
        let list: VmList = success(response)
            .await?
            .json()
            .await
            .context("reading the VM list from ARM")?;
        Ok(list.value)
    }

    async fn get(&self, url: &str) -> anyhow::Result<reqwest::Response> {
        self.client
            .get(url)
            .header(INTERNAL_KEY_HEADER, self.key.expose())
            .send()
            .await
            .with_context(|| format!("calling ARM's host API ({url})"))
    }
}

async fn success(response: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    bail!("ARM's host API answered {status}: {body}")
}
