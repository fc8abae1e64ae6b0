//! `kv-secret VAULT NAME`: as the VM, read secret NAME of vault VAULT the way the crate's README
//! does it — `SecretClient::new("https://{VAULT}.vault.azure.net", credential, None)` and
//! `get_secret(NAME, None)` — with the crates.io `azure_identity::ManagedIdentityCredential` and no
//! option at all (the client's challenge check, `verify_challenge_resource`, stays on). Prints one
//! JSON line: `{"status": 200, "value": …}`, or `{"status": 403, "code", "inner", "message"}` for
//! Key Vault's error, or `{"client_error": …}` when the client failed before Key Vault answered.
//!
//! It runs only inside `mimic vm exec VM --netns`, where `VAULT.vault.azure.net` resolves to mimic
//! and the credential's hard-coded IMDS address, 169.254.169.254, is bound on the namespace's own
//! loopback (mimic serves the VM's IMDS there). Safety net for this repository's hard rule: the
//! program refuses to run unless 169.254.169.254 is an address of this machine (a UDP bind to it
//! succeeds only then), so that the credential can never send a request off the machine.

use std::sync::Arc;

use azure_core::error::ErrorKind;
use azure_identity::ManagedIdentityCredential;
use azure_security_keyvault_secrets::SecretClient;
use serde_json::{json, Value};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [vault, name] = args.as_slice() else {
        eprintln!("usage: kv-secret VAULT NAME");
        std::process::exit(2);
    };
    if std::net::UdpSocket::bind("169.254.169.254:0").is_err() {
        println!(
            "{}",
            json!({ "client_error": "169.254.169.254 is not an address of this machine: run me in `mimic vm exec VM --netns`" })
        );
        std::process::exit(1);
    }
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("installing the ring crypto provider");
    let result = read(vault, name).await;
    println!("{result}");
    std::process::exit(i32::from(result.get("client_error").is_some()));
}

async fn read(vault: &str, name: &str) -> Value {
    let credential = match ManagedIdentityCredential::new(None) {
        Ok(credential) => credential,
        Err(error) => return json!({ "client_error": error.to_string() }),
    };
    let url = format!("https://{vault}.vault.azure.net");
    let client = match SecretClient::new(&url, credential as Arc<_>, None) {
        Ok(client) => client,
        Err(error) => return json!({ "client_error": error.to_string() }),
    };
    let error = match client.get_secret(name, None).await {
        Ok(response) => {
            return match response.into_model() {
                Ok(secret) => json!({ "status": 200, "value": secret.value }),
                Err(error) => json!({ "client_error": error.to_string() }),
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
        _ => json!({ "client_error": format!("{error:?}") }),
    }
}
