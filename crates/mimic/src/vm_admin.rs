//! `mimic vm create|delete`: a VM's ARM PUT and DELETE, sent over HTTPS to the running ARM as the
//! fixture operator (or another service principal), so RBAC, validation and the VM lifecycle apply
//! exactly as for any other client. Both are long-running operations in ARM: the command polls
//! `Azure-AsyncOperation` (waiting `Retry-After` between polls) until the operation ends, as the
//! SDKs do. When the create ends, ARM's VM hook has started the VM's IMDS listener and rewritten
//! `endpoints.json`; when the delete ends, both are gone.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{json, Value};

use crate::endpoints::Endpoints;

/// The Compute api-version mimic's own VM writes use.
const COMPUTE_API_VERSION: &str = "2024-11-01";
/// The Resources api-version of the resource-group lookup (for the default location).
const RESOURCES_API_VERSION: &str = "2021-04-01";
/// ARM's audience for client-credentials tokens.
const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// Who sends the request: the operator from `endpoints.json` unless both are given.
#[derive(Debug, Clone, clap::Args)]
pub struct Credentials {
    /// Act as this service principal (application id) instead of the fixture operator. Read from
    /// `MIMIC_CLIENT_ID` too, which `mimic env` exports beside `MIMIC_CLIENT_SECRET`.
    #[arg(long, env = "MIMIC_CLIENT_ID", requires = "client_secret")]
    pub client_id: Option<String>,
    /// The client secret of `--client-id`.
    #[arg(long, env = "MIMIC_CLIENT_SECRET", requires = "client_id")]
    pub client_secret: Option<String>,
}

/// Flags of `mimic vm create`.
#[derive(Debug, Clone, clap::Args)]
pub struct CreateArgs {
    /// The VM's name.
    pub name: String,
    /// The resource group (default: the fixture's first group).
    #[arg(long, short = 'g')]
    pub resource_group: Option<String>,
    /// The VM's location (default: the resource group's).
    #[arg(long, short = 'l')]
    pub location: Option<String>,
    /// Managed identities: `system` for the system-assigned one, and/or user-assigned identities
    /// by name (in the VM's group) or full ARM id; space- or comma-separated, or repeated.
    #[arg(long, num_args = 1.., value_delimiter = ',')]
    pub identity: Vec<String>,
    /// The VM size.
    #[arg(long, default_value = "Standard_B1s")]
    pub size: String,
    #[command(flatten)]
    pub credentials: Credentials,
}

/// Flags of `mimic vm delete`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeleteArgs {
    /// The VM's name.
    pub name: String,
    /// The resource group (default: the fixture's first group).
    #[arg(long, short = 'g')]
    pub resource_group: Option<String>,
    #[command(flatten)]
    pub credentials: Credentials,
}

/// An ARM client for the running mimic, holding a token for one principal.
pub(crate) struct Arm {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// An ARM reply: status, headers and JSON body (Null when empty).
pub(crate) struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// How many polls a long-running operation gets before the command gives up.
const MAX_POLLS: usize = 600;

impl Arm {
    pub(crate) async fn connect(
        dir: &Path,
        endpoints: &Endpoints,
        credentials: &Credentials,
    ) -> anyhow::Result<Self> {
        let ca = std::fs::read_to_string(&endpoints.ca_cert)
            .or_else(|_| std::fs::read_to_string(dir.join("ca.pem")))
            .context("reading the data dir's CA certificate")?;
        let http = mimic_web::https_client(&ca)?;
        let (client_id, secret) = match (&credentials.client_id, &credentials.client_secret) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => (
                endpoints.operator.client_id.clone(),
                endpoints.operator.client_secret.clone(),
            ),
        };
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            endpoints.aad, endpoints.tenant_id
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", ARM_SCOPE),
        ];
        let response = http.post(url).form(&form).send().await;
        let reply = read(response.context("asking AAD for a token")?).await?;
        let Some(token) = reply.body["access_token"].as_str() else {
            anyhow::bail!(
                "AAD refused a token for {client_id}: {}",
                reply.body["error_description"]
                    .as_str()
                    .unwrap_or("no description")
            );
        };
        Ok(Self {
            http,
            base: endpoints.arm.clone(),
            token: token.to_string(),
        })
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await.context("calling ARM")?).await
    }

    /// Follows the long-running operation a write started (`Azure-AsyncOperation`, else
    /// `Location`) until it ends, waiting `Retry-After` between polls; returns the last poll, or
    /// the write's reply when it started none.
    pub(crate) async fn wait(&self, write: Reply) -> anyhow::Result<Reply> {
        let (url, by_status) = match (
            write.header("azure-asyncoperation"),
            write.header("location"),
        ) {
            (Some(url), _) => (url.to_string(), true),
            (None, Some(url)) => (url.to_string(), false),
            (None, None) => return Ok(write),
        };
        // ARM's URLs name its public address; ask the one this client talks to.
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let path = after_scheme
            .find('/')
            .map_or("/", |index| &after_scheme[index..]);
        for _ in 0..MAX_POLLS {
            let poll = self.send(reqwest::Method::GET, path, None).await?;
            let running = match by_status {
                true => poll.status == 200 && poll.body["status"] == "InProgress",
                false => poll.status == 202,
            };
            if !running {
                return Ok(poll);
            }
            let seconds = poll
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
        }
        anyhow::bail!("the operation at {url} was still in progress after {MAX_POLLS} polls")
    }
}

/// Whether the last poll of an operation says it succeeded.
fn succeeded(poll: &Reply) -> bool {
    match poll.body["status"].as_str() {
        Some(status) => status == "Succeeded",
        None => matches!(poll.status, 200 | 201 | 204),
    }
}

/// Prints a failed operation's error and returns exit code 1.
fn failed(what: &str, poll: &Reply) -> ExitCode {
    let error = &poll.body["error"];
    eprintln!(
        "mimic: {what} failed: {}: {}",
        error["code"].as_str().unwrap_or("unknown"),
        error["message"].as_str().unwrap_or_default()
    );
    ExitCode::FAILURE
}

async fn read(response: reqwest::Response) -> anyhow::Result<Reply> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.context("reading the reply")?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Prints ARM's error (code and message) and returns exit code 1.
pub(crate) fn refused(what: &str, reply: &Reply) -> ExitCode {
    let code = reply.body["error"]["code"].as_str().unwrap_or("unknown");
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    eprintln!(
        "mimic: ARM refused {what} ({}): {code}: {message}",
        reply.status
    );
    ExitCode::FAILURE
}

fn group_id(endpoints: &Endpoints, group: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{group}",
        endpoints.subscription_id
    )
}

/// The `identity` block for `--identity` values, or None when there are none.
pub fn identity_block(group_id: &str, values: &[String]) -> Option<Value> {
    let values: Vec<&str> = values
        .iter()
        .flat_map(|value| value.split_whitespace())
        .filter(|value| !value.is_empty())
        .collect();
    let system = values
        .iter()
        .any(|value| value.eq_ignore_ascii_case("system"));
    let users: serde_json::Map<String, Value> = values
        .iter()
        .filter(|value| !value.eq_ignore_ascii_case("system"))
        .map(|value| match value.starts_with('/') {
            true => (value.to_string(), json!({})),
            false => (
                format!(
                    "{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{value}"
                ),
                json!({}),
            ),
        })
        .collect();
    let kind = match (system, !users.is_empty()) {
        (false, false) => return None,
        (true, false) => "SystemAssigned",
        (false, true) => "UserAssigned",
        (true, true) => "SystemAssigned, UserAssigned",
    };
    let mut block = json!({ "type": kind });
    if !users.is_empty() {
        block["userAssignedIdentities"] = Value::Object(users);
    }
    Some(block)
}

/// The PUT body: the properties the ARM VM model keeps (size, Linux OS disk, computer name).
pub fn create_body(name: &str, location: &str, size: &str, identity: Option<Value>) -> Value {
    let mut body = json!({
        "location": location,
        "properties": {
            "hardwareProfile": { "vmSize": size },
            "storageProfile": { "osDisk": { "osType": "Linux" } },
            "osProfile": { "computerName": name, "adminUsername": "azureuser" }
        }
    });
    if let Some(identity) = identity {
        body["identity"] = identity;
    }
    body
}

/// `mimic vm create`.
pub async fn create(
    dir: &Path,
    endpoints: &Endpoints,
    args: CreateArgs,
) -> anyhow::Result<ExitCode> {
    let arm = Arm::connect(dir, endpoints, &args.credentials).await?;
    let group = args
        .resource_group
        .unwrap_or_else(|| endpoints.resource_group.clone());
    let group_id = group_id(endpoints, &group);
    let location = match args.location {
        Some(location) => location,
        None => {
            // As az does: a VM goes where its resource group is unless told otherwise.
            let path = format!("{group_id}?api-version={RESOURCES_API_VERSION}");
            let reply = arm.send(reqwest::Method::GET, &path, None).await?;
            match reply.body["location"].as_str() {
                Some(location) if reply.status == 200 => location.to_string(),
                _ => {
                    return Ok(refused(
                        &format!("reading resource group '{group}'"),
                        &reply,
                    ))
                }
            }
        }
    };
    let identity = identity_block(&group_id, &args.identity);
    let body = create_body(&args.name, &location, &args.size, identity);
    let vm_id = format!(
        "{group_id}/providers/Microsoft.Compute/virtualMachines/{}",
        args.name
    );
    let path = format!("{vm_id}?api-version={COMPUTE_API_VERSION}");
    let reply = arm.send(reqwest::Method::PUT, &path, Some(&body)).await?;
    if !matches!(reply.status, 200 | 201) {
        return Ok(refused(&format!("creating VM '{}'", args.name), &reply));
    }
    let verb = if reply.status == 201 {
        "created"
    } else {
        "updated"
    };
    let id = reply.body["id"].as_str().unwrap_or(&vm_id).to_string();
    let done = arm.wait(reply).await?;
    if !succeeded(&done) {
        return Ok(failed(&format!("creating VM '{}'", args.name), &done));
    }
    let imds = Endpoints::read(&dir.join("endpoints.json"))?
        .vm(&args.name)
        .map(|vm| vm.imds.clone())
        .unwrap_or_default();
    println!("{verb} {id}  IMDS {imds}");
    Ok(ExitCode::SUCCESS)
}

/// `mimic vm delete`.
pub async fn delete(
    dir: &Path,
    endpoints: &Endpoints,
    args: DeleteArgs,
) -> anyhow::Result<ExitCode> {
    let arm = Arm::connect(dir, endpoints, &args.credentials).await?;
    let group = args
        .resource_group
        .unwrap_or_else(|| endpoints.resource_group.clone());
    let vm_id = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{}",
        group_id(endpoints, &group),
        args.name
    );
    let path = format!("{vm_id}?api-version={COMPUTE_API_VERSION}");
    let reply = arm.send(reqwest::Method::DELETE, &path, None).await?;
    match reply.status {
        200 | 202 => {
            let done = arm.wait(reply).await?;
            if !succeeded(&done) {
                return Ok(failed(&format!("deleting VM '{}'", args.name), &done));
            }
            println!("deleted {vm_id}");
            Ok(ExitCode::SUCCESS)
        }
        // ARM answers 204 when there was nothing to delete; a typo should not look like success.
        204 => {
            eprintln!(
                "mimic: no VM '{}' in resource group '{group}'; nothing deleted",
                args.name
            );
            Ok(ExitCode::FAILURE)
        }
        _ => Ok(refused(&format!("deleting VM '{}'", args.name), &reply)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP: &str = "/subscriptions/s/resourceGroups/g";

    #[test]
    fn identity_block_cases_name_each_identity_once() {
        let uami =
            format!("{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app");
        let both = format!("System {uami}");
        let cases: Vec<(&str, Vec<&str>, Option<Value>)> = vec![
            ("none", vec![], None),
            (
                "system",
                vec!["system"],
                Some(json!({"type": "SystemAssigned"})),
            ),
            (
                "a name",
                vec!["app"],
                Some(json!({"type": "UserAssigned", "userAssignedIdentities": {uami.clone(): {}}})),
            ),
            (
                "system and an id, space-separated",
                vec![both.as_str()],
                Some(
                    json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami.clone(): {}}}),
                ),
            ),
        ];
        for (case, values, expected) in cases {
            let values: Vec<String> = values.into_iter().map(String::from).collect();
            assert_eq!(identity_block(GROUP, &values), expected, "{case}");
        }
    }
}
