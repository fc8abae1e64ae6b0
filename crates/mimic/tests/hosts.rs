//! `mimic hosts [--write FILE]` (the binary, against an in-process `mimic up`): the hosts lines name
//! every vault the running ARM lists, at ARM's address, and they lead to the vault's data plane; the
//! marked block follows vaults as they come and go and leaves every other line alone.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Output;

use mimic_testkit::TestMimic;
use serde_json::json;
use support::mimic;

const KEY_VAULT_API_VERSION: &str = "2023-07-01";

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn vault_path(app: &TestMimic, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/{name}?api-version={KEY_VAULT_API_VERSION}",
        app.group()
    )
}

async fn create_vault(app: &TestMimic, token: &str, name: &str) {
    let body = json!({
        "location": "eastus",
        "properties": {"tenantId": app.endpoints.tenant_id, "sku": {"family": "A", "name": "standard"}}
    });
    let reply = app
        .arm
        .request("PUT", &vault_path(app, name), Some(token), Some(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

#[tokio::test]
async fn hosts_prints_one_line_with_every_vault_at_arms_address() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    let (first, second) = (unique("ha"), unique("hb"));
    create_vault(&app, &token, &second).await;
    create_vault(&app, &token, &first).await;

    let printed = stdout(&mimic(app.data_dir(), &["hosts"]).await);

    assert_eq!(
        printed,
        format!("127.0.0.1 {first}.vault.mimic.test {second}.vault.mimic.test\n")
    );
}

#[tokio::test]
async fn hosts_lines_lead_to_the_vaults_data_plane() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    let name = unique("hc");
    create_vault(&app, &token, &name).await;
    let printed = stdout(&mimic(app.data_dir(), &["hosts"]).await);
    let (address, host) = printed.trim().split_once(' ').unwrap();

    // Resolve the name as the hosts line says, nothing else: the vault's data plane answers over
    // TLS with a certificate for that name, and Key Vault's challenge.
    let port = reqwest::Url::parse(&app.endpoints.arm)
        .unwrap()
        .port()
        .unwrap();
    let ca = std::fs::read_to_string(&app.endpoints.ca_cert).unwrap();
    let http = mimic_web::server::client_builder(Some(&ca))
        .unwrap()
        .no_proxy()
        .resolve(host, format!("{address}:{port}").parse().unwrap())
        .build()
        .unwrap();
    let reply = http
        .get(format!("https://{host}:{port}/secrets?api-version=7.5"))
        .send()
        .await
        .unwrap();

    assert_eq!(reply.status(), 401);
    let challenge = reply.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("resource=\"https://vault.azure.net\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn hosts_write_keeps_a_block_current_and_every_other_line() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    let (kept, deleted) = (unique("hd"), unique("he"));
    create_vault(&app, &token, &kept).await;
    create_vault(&app, &token, &deleted).await;
    let file = app.data_dir().join("hosts-copy");
    let mine = "127.0.0.1 localhost\n# my own comment\n10.0.0.7 build-box\n";
    std::fs::write(&file, mine).unwrap();
    let file_arg = file.to_str().unwrap();

    stdout(&mimic(app.data_dir(), &["hosts", "--write", file_arg]).await);
    let written = std::fs::read_to_string(&file).unwrap();
    let mut names = [kept.clone(), deleted.clone()];
    names.sort();
    assert_eq!(
        written,
        format!(
            "{mine}# mimic key vaults begin\n127.0.0.1 {}.vault.mimic.test {}.vault.mimic.test\n\
             # mimic key vaults end\n",
            names[0], names[1]
        )
    );

    let reply = app
        .arm
        .request("DELETE", &vault_path(&app, &deleted), Some(&token), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    std::fs::write(&file, format!("{written}::1 added-after\n")).unwrap();
    stdout(&mimic(app.data_dir(), &["hosts", "--write", file_arg]).await);

    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!(
            "{mine}# mimic key vaults begin\n127.0.0.1 {kept}.vault.mimic.test\n\
             # mimic key vaults end\n::1 added-after\n"
        ),
        "a soft-deleted vault has no data plane: its name leaves the block"
    );
}

#[tokio::test]
async fn hosts_write_refuses_a_broken_block_and_changes_nothing() {
    let app = TestMimic::start().await;
    let file = app.data_dir().join("hosts-copy");
    let original =
        "127.0.0.1 localhost\n# mimic key vaults begin\n127.0.0.1 old.vault.mimic.test\n";
    std::fs::write(&file, original).unwrap();

    let output = mimic(
        app.data_dir(),
        &["hosts", "--write", file.to_str().unwrap()],
    )
    .await;

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the mimic block is broken"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
}

#[tokio::test]
async fn hosts_without_a_running_mimic_says_so() {
    let dir = tempfile::tempdir().unwrap();

    let output = mimic(dir.path(), &["hosts"]).await;

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mimic is not running"), "{stderr}");
}

#[tokio::test]
async fn hosts_as_a_principal_that_cannot_list_subscriptions_vaults_lists_none() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    create_vault(&app, &token, &unique("hf")).await;
    let (_, client_id, secret) = app.create_service_principal("no-grants").await;

    let output = mimic(
        app.data_dir(),
        &[
            "hosts",
            "--client-id",
            &client_id,
            "--client-secret",
            &secret,
        ],
    )
    .await;

    // ARM lists only what the caller may read: a principal without a role sees no subscription.
    assert_eq!(stdout(&output), "");
}

/// `mimic hosts | head -0`: the reader is gone before mimic prints. It ends as `ls` does there
/// (status 141, 128 + SIGPIPE), without a panic message.
#[tokio::test]
async fn hosts_into_a_closed_pipe_ends_quietly() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    create_vault(&app, &token, &unique("hd")).await;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mimic"));
    command
        .arg("--data-dir")
        .arg(app.data_dir())
        .arg("hosts")
        .env("RUST_LOG", "warn")
        .env_remove("MIMIC_CLIENT_ID")
        .env_remove("MIMIC_CLIENT_SECRET")
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}
