//! `azure_security_keyvault_secrets`' SecretClient reading secret NAME, `get_secret(NAME, None)`, in
//! one of two modes:
//!
//! - `kv-secret VAULT NAME`, sandbox mode (tests/clients/test_keyvault_sandbox.py): as the VM, the way
//!   the crate's README does it — `SecretClient::new("https://{VAULT}.vault.azure.net", credential,
//!   None)` with the crates.io `azure_identity::ManagedIdentityCredential` and no option at all (the
//!   client's challenge check, `verify_challenge_resource`, stays on). It runs only inside
//!   `mimic vm exec VM --netns`, where `VAULT.vault.azure.net` resolves to mimic and the credential's
//!   hard-coded IMDS address, 169.254.169.254, is bound on the namespace's own loopback.
//! - `kv-secret --host [--without-option] VAULT_URL NAME`, host mode
//!   (tests/clients/test_keyvault_host.py), as docs/key-vault.md sets it up: VAULT_URL is
//!   `https://VAULT.vault.mimic.test:PORT/` (resolved by the hosts entry `mimic hosts --write` keeps),
//!   the credential is `azure_identity::ClientSecretCredential` with mimic's AAD as the custom cloud's
//!   authority host (MIMIC_AAD, MIMIC_TENANT, MIMIC_CLIENT_ID, MIMIC_CLIENT_SECRET, as `mimic env`
//!   exports them), and the client gets the documented `SecretClientOptions {
//!   verify_challenge_resource: Some(false), .. }` — unless `--without-option`, the documented
//!   negative: the client then gets `None`.
//!
//! Prints one JSON line: `{"status": 200, "value": …}`, or `{"status": 403, "code", "inner",
//! "message"}` for Key Vault's error, or `{"client_error": …}` when the client failed before Key
//! Vault answered. Mimic's CA is trusted through the platform roots (SSL_CERT_FILE).
//!
//! Safety nets for this repository's hard rule, so that no request can leave the machine: in sandbox
//! mode the program refuses to run unless 169.254.169.254 is an address of this machine (a UDP bind
//! to it succeeds only then); in host mode, unless the vault's host and mimic's AAD resolve to
//! loopback addresses only.

use std::net::ToSocketAddrs;
use std::sync::Arc;

use azure_core::cloud::CustomConfiguration;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::error::ErrorKind;
use azure_core::http::{ClientOptions, Url};
use azure_identity::{
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use serde_json::{json, Value};

const USAGE: &str =
    "usage: kv-secret VAULT NAME | kv-secret --host [--without-option] VAULT_URL NAME";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (client, name) = match args.as_slice() {
        ["--host", "--without-option", url, name] => (host_client(url, false), *name),
        ["--host", url, name] => (host_client(url, true), *name),
        [vault, name] if !vault.starts_with("--") => (sandbox_client(vault), *name),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let result = match client {
        Ok(client) => read(&client, name).await,
        Err(refusal) => refusal,
    };
    println!("{result}");
    std::process::exit(i32::from(result.get("client_error").is_some()));
}

fn client_error(error: impl std::fmt::Display) -> Value {
    json!({ "client_error": error.to_string() })
}

/// An SDK error with the errors it wraps (azure_core's retry policy wraps the challenge policy's as
/// "non-transport error occurred which will not be retried").
fn sdk_error(error: azure_core::Error) -> Value {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    client_error(text)
}

fn install_crypto_provider() {
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("installing the ring crypto provider");
}

fn sandbox_client(vault: &str) -> Result<SecretClient, Value> {
    if std::net::UdpSocket::bind("169.254.169.254:0").is_err() {
        return Err(client_error(
            "169.254.169.254 is not an address of this machine: run me in `mimic vm exec VM --netns`",
        ));
    }
    install_crypto_provider();
    let credential = ManagedIdentityCredential::new(None).map_err(sdk_error)?;
    let url = format!("https://{vault}.vault.azure.net");
    SecretClient::new(&url, credential as Arc<dyn TokenCredential>, None).map_err(sdk_error)
}

/// The environment variable `name`, which host mode needs.
fn var(name: &str) -> Result<String, Value> {
    std::env::var(name)
        .map_err(|_| client_error(format!("{name} is not set (run `eval \"$(mimic env)\"`)")))
}

/// Refuses a URL whose host resolves to anything but loopback addresses.
fn loopback_only(url: &str) -> Result<(), Value> {
    let refused = || {
        client_error(format!(
            "{url} does not resolve to loopback addresses only: refusing to send anything there"
        ))
    };
    let parsed = Url::parse(url).map_err(|_| refused())?;
    let host = parsed
        .host_str()
        .ok_or_else(refused)?
        .trim_matches(['[', ']']);
    let port = parsed.port_or_known_default().ok_or_else(refused)?;
    let addresses: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|_| refused())?
        .collect();
    if addresses.is_empty() || !addresses.iter().all(|address| address.ip().is_loopback()) {
        return Err(refused());
    }
    Ok(())
}

fn host_client(vault_url: &str, with_option: bool) -> Result<SecretClient, Value> {
    let aad = var("MIMIC_AAD")?;
    loopback_only(vault_url)?;
    loopback_only(&aad)?;
    install_crypto_provider();
    // mimic's AAD is the authority host of a custom cloud (azure_identity reads no other setting).
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = aad;
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            cloud: Some(Arc::new(cloud.into())),
            ..Default::default()
        },
    };
    let credential = ClientSecretCredential::new(
        &var("MIMIC_TENANT")?,
        var("MIMIC_CLIENT_ID")?,
        Secret::new(var("MIMIC_CLIENT_SECRET")?),
        Some(options),
    )
    .map_err(sdk_error)?;
    let options = with_option.then(|| SecretClientOptions {
        verify_challenge_resource: Some(false),
        ..Default::default()
    });
    SecretClient::new(vault_url, credential as Arc<dyn TokenCredential>, options).map_err(sdk_error)
}

async fn read(client: &SecretClient, name: &str) -> Value {
    let error = match client.get_secret(name, None).await {
        Ok(response) => {
            return match response.into_model() {
                Ok(secret) => json!({ "status": 200, "value": secret.value }),
                Err(error) => sdk_error(error),
            }
        }
        Err(error) => error,
    };
    match error.kind() {
        ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let body: Value = raw_response
                .as_ref()
                .and_then(|raw| serde_json::from_slice(raw.body()).ok())
                .unwrap_or(Value::Null);
            // Key Vault's own code from the body: azure_core 1.0.0 reports `error_code` from an
            // `x-ms-error-code` header (Key Vault sends none) or a body it parses with borrowed
            // strings, which fails on Key Vault's messages (they hold `\r\n` escapes): it then says
            // "403". Both are printed; the test reads the body's.
            json!({
                "status": u16::from(*status),
                "code": body["error"]["code"],
                "sdk_error_code": error_code,
                "inner": body["error"]["innererror"]["code"],
                "message": body["error"]["message"],
            })
        }
        _ => sdk_error(error),
    }
}
