//! `mimic issuer …` and `mimic workload …` (the binary, against an in-process `mimic up`): issuers
//! appear in `endpoints.json` by the time the command returns; tokens written with `--out` are
//! owner-only; a cluster's issuer is imported from a JWKS file; `workload exec` gives the command a
//! pod's environment, replaces the token file before the token expires and removes it afterwards.
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use mimic_testkit::TestMimic;
use serde_json::Value;
use support::mimic;

fn text(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn issuers(dir: &Path) -> Value {
    let endpoints: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("endpoints.json")).unwrap())
            .unwrap();
    endpoints["issuers"].clone()
}

#[tokio::test]
async fn issuers_are_listed_in_endpoints_json_when_the_command_returns() {
    let app = TestMimic::start().await;
    let dir = app.data_dir().to_path_buf();
    let url = text(&mimic(&dir, &["issuer", "create", "ci"]).await);
    assert!(url.ends_with("/issuers/ci"), "{url}");
    assert_eq!(issuers(&dir)["ci"], url.as_str());

    let out = dir.join("token.jwt");
    let minted = mimic(
        &dir,
        &[
            "workload",
            "token",
            "--issuer",
            "ci",
            "--subject",
            "s",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    text(&minted);
    let mode = std::fs::metadata(&out).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&out).unwrap().split('.').count(), 3);

    let key = mimic_token::SigningKey::generate("cluster").unwrap();
    let jwks = dir.join("jwks.json");
    let document = mimic_token::Jwks {
        keys: vec![mimic_token::Jwk::from_key(&key, None)],
    };
    std::fs::write(&jwks, serde_json::to_string(&document).unwrap()).unwrap();
    let cluster = "https://kubernetes.default.svc.cluster.local";
    let imported = mimic(
        &dir,
        &[
            "issuer",
            "import",
            "kind",
            "--issuer",
            cluster,
            "--jwks",
            jwks.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(text(&imported), cluster);
    assert_eq!(issuers(&dir)["kind"], cluster);
    let listed = text(&mimic(&dir, &["issuer", "list"]).await);
    let line = listed.lines().find(|l| l.starts_with("kind ")).unwrap();
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        columns,
        vec!["kind", "imported", cluster, key.kid()],
        "{listed}"
    );

    // A local issuer's name cannot be reused for an import, nor an unknown one deleted.
    let refused = mimic(
        &dir,
        &[
            "issuer",
            "import",
            "ci",
            "--issuer",
            cluster,
            "--jwks",
            jwks.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!refused.status.success());
    assert!(!mimic(&dir, &["issuer", "delete", "nobody"])
        .await
        .status
        .success());

    text(&mimic(&dir, &["issuer", "delete", "kind"]).await);
    assert!(issuers(&dir).get("kind").is_none());
    assert!(!dir.join("issuers/kind.json").exists());
}

#[tokio::test]
async fn workload_exec_refreshes_the_token_file_before_expiry_and_removes_it_after() {
    let app = TestMimic::start().await;
    let dir = app.data_dir().to_path_buf();
    let operator = app.operator_token().await;
    let identity = app.create_identity(&operator, "pod").await;
    // The command waits (at most 90 s) until the file changes; with a 60 s token that is at 48 s.
    let script = r#"
        cp "$AZURE_FEDERATED_TOKEN_FILE" first
        echo "$AZURE_FEDERATED_TOKEN_FILE" > path
        env | grep -E '^AZURE_(CLIENT_ID|TENANT_ID|AUTHORITY_HOST)=' | sort > environment
        i=0
        while [ $i -lt 90 ]; do
            sleep 1
            cmp -s "$AZURE_FEDERATED_TOKEN_FILE" first || exit 0
            i=$((i + 1))
        done
        exit 1
    "#;
    let work = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_mimic"));
    command
        .arg("--data-dir")
        .arg(&dir)
        .args([
            "workload",
            "exec",
            "--identity",
            "pod",
            "--subject",
            "ci-job",
        ])
        .args(["--lifetime", "60", "--create-fic", "--", "sh", "-c", script])
        .current_dir(work.path())
        .env_remove("MIMIC_CLIENT_ID")
        .env_remove("MIMIC_CLIENT_SECRET")
        .stdin(Stdio::null());
    let done = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(
        done.status.success(),
        "the token file was not replaced: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let environment = std::fs::read_to_string(work.path().join("environment")).unwrap();
    let client_id = identity["properties"]["clientId"].as_str().unwrap();
    assert!(
        environment.contains(&format!("AZURE_CLIENT_ID={client_id}\n")),
        "{environment}"
    );
    assert!(
        environment.contains(&format!(
            "AZURE_AUTHORITY_HOST={}/\n",
            app.endpoints_file().aad
        )),
        "{environment}"
    );
    let path = std::fs::read_to_string(work.path().join("path")).unwrap();
    assert!(
        !Path::new(path.trim()).exists(),
        "the token file outlived the command"
    );
    // The federated credential --create-fic made, named after the issuer.
    let fic = app
        .arm
        .request(
            "GET",
            &format!(
                "{}/federatedIdentityCredentials/mimic-default?api-version=2023-01-31",
                app.identity_id("pod")
            ),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(fic.status, 200, "{}", fic.text);
    assert_eq!(fic.body["properties"]["subject"], "ci-job");
    assert_eq!(fic.body["properties"]["issuer"], issuers(&dir)["default"]);
}
