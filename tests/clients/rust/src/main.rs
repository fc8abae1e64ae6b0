//! `mi-arm ARM_URL SUBSCRIPTION GROUP [CLIENT_ID]`: as the VM, get an ARM token with the crates.io
//! `azure_identity::ManagedIdentityCredential` (with `--workload` first: as a workload-identity pod,
//! `azure_identity::WorkloadIdentityCredential` from `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`,
//! `AZURE_FEDERATED_TOKEN_FILE` and `AZURE_AUTHORITY_HOST`, as `mimic workload exec` sets them), then GET the resource group through an azure_core
//! pipeline with `BearerTokenAuthorizationPolicy`. Prints one JSON line for the test to parse:
//! `{"token": {"oid", "aud", "tid", "appid"}, "status": 200|403|…, "error_code", "message", "group"}`
//! (or `{"token_error": …}` when no token could be had). Exit 0 whenever ARM answered.
//!
//! How the credential finds mimic's IMDS: azure_identity 1.0.0 chooses its source from the
//! environment (IDENTITY_ENDPOINT+IDENTITY_HEADER → App Service, IDENTITY_ENDPOINT+IMDS_ENDPOINT → Arc,
//! MSI_ENDPOINT → Cloud Shell / Azure ML, else IMDS). Its IMDS source has the address
//! `http://169.254.169.254/metadata/identity/oauth2/token` hard-coded and, unlike the Python/Node/
//! .NET SDKs and az, does not read AZURE_POD_IDENTITY_AUTHORITY_HOST. The only endpoint a user can
//! set is the App Service one, so the test runs this program with
//! `IDENTITY_ENDPOINT=<VM's IMDS>/metadata/identity/oauth2/token IDENTITY_HEADER=…`: the request
//! is the VM one (GET, `api-version=2019-08-01`, `resource`, `client_id`, `Metadata: true`) plus
//! `X-IDENTITY-HEADER`. Nothing here ever addresses 169.254.169.254.

use azure_core::{
    credentials::TokenCredential,
    http::{
        policies::{auth::BearerTokenAuthorizationPolicy, Policy},
        ClientOptions, Context, Method, Pipeline, PipelineSendOptions, Request, Url,
    },
};
use azure_identity::{
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential,
};
use serde_json::{json, Value};
use std::sync::Arc;

const ARM_SCOPE: &str = "https://management.azure.com/.default";

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let workload = args.first().is_some_and(|a| a == "--workload");
    if workload {
        args.remove(0);
    }
    let (arm, subscription, group) = match args.as_slice() {
        [arm, subscription, group, ..] => (arm, subscription, group),
        _ => {
            eprintln!("usage: mi-arm [--workload] ARM_URL SUBSCRIPTION GROUP [CLIENT_ID]");
            std::process::exit(2);
        }
    };
    // Safety net for this repository's hard rule: without IDENTITY_ENDPOINT the credential would
    // use its hard-coded 169.254.169.254. Refuse instead of letting it try.
    if !workload && std::env::var_os("IDENTITY_ENDPOINT").is_none() {
        println!(
            "{}",
            json!({ "token_error": "IDENTITY_ENDPOINT is not set; refusing to let azure_identity fall back to 169.254.169.254" })
        );
        std::process::exit(1);
    }
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("installing the ring crypto provider");
    let result = run(arm, subscription, group, args.get(3).cloned(), workload).await;
    let failed = result.get("token_error").is_some() || result.get("arm_error").is_some();
    println!("{result}");
    std::process::exit(i32::from(failed));
}

async fn run(
    arm: &str,
    subscription: &str,
    group: &str,
    client_id: Option<String>,
    workload: bool,
) -> Value {
    let credential: azure_core::Result<Arc<dyn TokenCredential>> = match workload {
        true => WorkloadIdentityCredential::new(None).map(|c| c as Arc<dyn TokenCredential>),
        false => ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            user_assigned_id: client_id.map(UserAssignedId::ClientId),
            ..Default::default()
        }))
        .map(|c| c as Arc<dyn TokenCredential>),
    };
    let credential = match credential {
        Ok(credential) => credential,
        Err(error) => return json!({ "token_error": error.to_string() }),
    };
    let token = match credential.get_token(&[ARM_SCOPE], None).await {
        Ok(token) => token,
        Err(error) => return json!({ "token_error": error.to_string() }),
    };
    let mut result = json!({ "token": claims(token.token.secret()) });
    let url =
        format!("{arm}/subscriptions/{subscription}/resourceGroups/{group}?api-version=2024-11-01");
    match get(credential, &url).await {
        Ok((status, body)) => {
            result["status"] = json!(status);
            if status == 200 {
                result["group"] = json!({ "id": body["id"], "name": body["name"] });
            } else {
                result["error_code"] = body["error"]["code"].clone();
                result["message"] = body["error"]["message"].clone();
            }
        }
        Err(error) => result["arm_error"] = json!(error.to_string()),
    }
    result
}

/// GET through an azure_core pipeline, as an azure_core-based client would: the bearer policy
/// (https only) asks the credential for the ARM scope.
async fn get(credential: Arc<dyn TokenCredential>, url: &str) -> azure_core::Result<(u16, Value)> {
    let bearer: Arc<dyn Policy> =
        Arc::new(BearerTokenAuthorizationPolicy::new(credential, [ARM_SCOPE]));
    let pipeline = Pipeline::new(
        option_env!("CARGO_PKG_NAME"),
        option_env!("CARGO_PKG_VERSION"),
        ClientOptions::default(),
        Vec::new(),
        vec![bearer],
        None,
    );
    let mut request = Request::new(Url::parse(url)?, Method::Get);
    request.insert_header("accept", "application/json");
    let options = PipelineSendOptions {
        skip_checks: true,
        ..Default::default()
    };
    let response = pipeline
        .send(&Context::new(), &mut request, Some(options))
        .await?;
    let status = u16::from(response.status());
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    Ok((status, body))
}

/// The claims the test checks, from the JWT's payload (not verified: ARM does that).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    let claims: Value = azure_core::base64::decode_url_safe(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    json!({ "oid": claims["oid"], "aud": claims["aud"], "tid": claims["tid"], "appid": claims["appid"] })
}
