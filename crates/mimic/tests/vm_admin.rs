//! `mimic vm create|delete` (the binary, against an in-process `mimic up`): the VM's IMDS listener
//! appears and disappears with it, and RBAC applies to whoever the command acts as. Also the
//! fixture a data dir holds: another one is refused, never half-applied; and `fixtures/lab.json`.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use mimic_testkit::{Reply, TestMimic};
use serde_json::Value;
use support::mimic;

const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// Runs `mimic --data-dir DIR ARGS…` to completion, off the test's runtime (which serves the
/// in-process mimic meanwhile).
fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lab_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lab.json")
}

/// A managed-identity token from a VM's IMDS (listed in endpoints.json), or None when nothing
/// listens there any more.
async fn imds_token(app: &TestMimic, imds: &str, query: &str) -> Option<Reply> {
    let url = format!(
        "{imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/{query}"
    );
    let response = app.http.get(url).header("Metadata", "true").send().await;
    match response {
        Ok(response) => Some(Reply::read(response).await),
        Err(error) if error.is_connect() => None,
        Err(error) => panic!("IMDS request failed: {error}"),
    }
}

async fn get_vm(app: &TestMimic, token: &str, vm_id: &str) -> Reply {
    app.arm
        .request(
            "GET",
            &format!("{vm_id}?api-version=2024-11-01"),
            Some(token),
            None,
        )
        .await
}

#[tokio::test]
async fn vm_create_and_delete_start_and_stop_the_vms_imds_listener() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    let uami = app.create_identity(&token, "app-id").await;

    let created = mimic(
        app.data_dir(),
        &["vm", "create", "vm-new", "--identity", "system", "app-id"],
    )
    .await;

    assert!(created.status.success(), "create: {}", stderr(&created));
    let imds = app.imds("vm-new");
    let vm = get_vm(&app, &token, &app.vm_id("vm-new")).await;
    assert_eq!(vm.status, 200, "{}", vm.body);
    assert_eq!(vm.body["location"], "eastus", "the group's location");
    assert_eq!(vm.body["identity"]["type"], "SystemAssigned, UserAssigned");
    let system = imds_token(&app, &imds, "").await.expect("IMDS listens");
    assert_eq!(system.status, 200, "system token: {}", system.body);
    let client_id = uami["properties"]["clientId"].as_str().unwrap();
    let user = imds_token(&app, &imds, &format!("&client_id={client_id}")).await;
    assert_eq!(user.unwrap().status, 200, "user-assigned token");

    let deleted = mimic(app.data_dir(), &["vm", "delete", "vm-new"]).await;

    assert!(deleted.status.success(), "delete: {}", stderr(&deleted));
    assert!(app.endpoints_file().vm("vm-new").is_none());
    assert!(imds_token(&app, &imds, "").await.is_none(), "listener gone");
    assert_eq!(get_vm(&app, &token, &app.vm_id("vm-new")).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn vm_create_and_delete_as_a_role_less_principal_are_refused_and_change_nothing() {
    let app = TestMimic::start().await;
    let token = app.operator_token().await;
    let (_, app_id, secret) = app.create_service_principal("role-less").await;
    let before = app.endpoints_file();
    let as_role_less = ["--client-id", app_id.as_str(), "--client-secret", &secret];

    let created = mimic(
        app.data_dir(),
        &[
            &["vm", "create", "vm-denied", "--location", "eastus"],
            &as_role_less[..],
        ]
        .concat(),
    )
    .await;
    let deleted = mimic(
        app.data_dir(),
        &[&["vm", "delete", "vm1"], &as_role_less[..]].concat(),
    )
    .await;

    assert_eq!(created.status.code(), Some(1));
    assert!(
        stderr(&created).contains("AuthorizationFailed"),
        "{}",
        stderr(&created)
    );
    assert_eq!(deleted.status.code(), Some(1));
    assert!(
        stderr(&deleted).contains("AuthorizationFailed"),
        "{}",
        stderr(&deleted)
    );
    assert_eq!(app.endpoints_file(), before, "no listener came or went");
    assert_eq!(
        get_vm(&app, &token, &app.vm_id("vm-denied")).await.status,
        404
    );
    assert_eq!(get_vm(&app, &token, &app.vm_id("vm1")).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn vm_create_in_a_missing_group_and_delete_of_a_missing_vm_exit_1() {
    let app = TestMimic::start().await;
    let before = app.endpoints_file();

    let created = mimic(
        app.data_dir(),
        &["vm", "create", "vm-x", "-g", "no-such-rg"],
    )
    .await;
    let deleted = mimic(app.data_dir(), &["vm", "delete", "no-such-vm"]).await;

    assert_eq!(created.status.code(), Some(1));
    assert!(
        stderr(&created).contains("ResourceGroupNotFound"),
        "{}",
        stderr(&created)
    );
    assert_eq!(deleted.status.code(), Some(1));
    assert!(
        stderr(&deleted).contains("nothing deleted"),
        "{}",
        stderr(&deleted)
    );
    assert_eq!(app.endpoints_file(), before);
    app.stop().await;
}

/// `mimic up` on `dir` with extra flags, expected to exit at once (a refused start).
async fn up_refused(dir: &Path, extra: &[&str]) -> Output {
    let base = [
        "up",
        "--arm-addr",
        "127.0.0.1:0",
        "--aad-addr",
        "127.0.0.1:0",
    ];
    let args = [&base[..], &["--aad-userrealm-addr", ""], extra].concat();
    mimic(dir, &args).await
}

#[tokio::test]
async fn up_with_another_fixture_on_an_existing_data_dir_is_refused_and_changes_nothing() {
    let mut app = TestMimic::start().await;
    app.stop_keeping_dir().await;
    let dir = app.dir.path().to_path_buf();
    let record = std::fs::read_to_string(dir.join("fixture.json")).unwrap();
    let lab = lab_fixture();

    let refused = up_refused(&dir, &["--fixture", lab.to_str().unwrap()]).await;

    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("was created from the fixture built-in default"),
        "{message}"
    );
    assert!(message.contains("lab.json"), "{message}");
    assert_eq!(
        std::fs::read_to_string(dir.join("fixture.json")).unwrap(),
        record
    );
    // The data dir still starts with its own fixture, and holds nothing of the lab's.
    let app = app.restart().await;
    let token = app.operator_token().await;
    let lab_group = "/subscriptions/4d6f8a0b-2c3d-4e5f-9a1b-3c5d7e9f1a2b/resourceGroups/lab-web-rg?api-version=2021-04-01";
    assert_ne!(
        app.arm
            .request("GET", lab_group, Some(&token), None)
            .await
            .status,
        200
    );
    assert_eq!(app.endpoints_file().vms.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn up_on_a_data_dir_without_a_fixture_record_takes_it_for_the_default() {
    let mut app = TestMimic::start().await;
    app.stop_keeping_dir().await;
    let dir = app.dir.path().to_path_buf();
    std::fs::remove_file(dir.join("fixture.json")).unwrap();
    let lab = lab_fixture();

    let refused = up_refused(&dir, &["--fixture", lab.to_str().unwrap()]).await;

    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        !dir.join("fixture.json").exists(),
        "nothing recorded on refusal"
    );
    let app = app.restart().await;
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fixture.json")).unwrap()).unwrap();
    assert!(record["source"]
        .as_str()
        .unwrap()
        .starts_with("built-in default"));
    app.stop().await;
}

async fn ropc(app: &TestMimic, username: &str, password: &str) -> Reply {
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        app.endpoints.aad, app.endpoints.tenant_id
    );
    let form = [
        ("client_id", AZURE_CLI),
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
        ("scope", "https://management.core.windows.net//.default"),
    ];
    Reply::read(app.http.post(url).form(&form).send().await.unwrap()).await
}

#[tokio::test]
async fn the_lab_fixture_starts_with_its_users_vms_identities_and_grants() {
    let app = TestMimic::start_with(|args| args.fixture = Some(lab_fixture())).await;
    let subscription = "/subscriptions/4d6f8a0b-2c3d-4e5f-9a1b-3c5d7e9f1a2b";
    let vm_in = |group: &str, name: &str| {
        format!("{subscription}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}")
    };
    let mut names: Vec<String> = app
        .endpoints_file()
        .vms
        .into_iter()
        .map(|vm| vm.name)
        .collect();
    names.sort();
    assert_eq!(names, ["db1", "web1", "web2"]);
    assert_eq!(app.endpoints.resource_group, "lab-shared-rg");
    let operator = app.operator_token().await;
    let identity = app
        .arm.request(
            "GET",
            &format!("{subscription}/resourceGroups/lab-shared-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/lab-web-identity?api-version=2024-11-30"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(identity.status, 200, "{}", identity.body);
    let principal = identity.body["properties"]["principalId"].as_str().unwrap();
    assert!(app.principal_exists(principal).await);

    // Alice is Virtual Machine Contributor on lab-web-rg only; Carol reads everything.
    let alice = ropc(&app, "alice@lab.mimic.onmicrosoft.com", "Lab-Alice-1!").await;
    assert_eq!(alice.status, 200, "{}", alice.body);
    let alice = alice.body["access_token"].as_str().unwrap().to_string();
    let body = serde_json::json!({"location": "eastus", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}});
    let put = |vm: String| {
        let body = body.clone();
        let app = &app;
        let alice = alice.clone();
        async move {
            app.arm
                .request(
                    "PUT",
                    &format!("{vm}?api-version=2024-11-01"),
                    Some(&alice),
                    Some(body),
                )
                .await
        }
    };
    assert_eq!(put(vm_in("lab-web-rg", "web3")).await.status, 201);
    let denied = put(vm_in("lab-data-rg", "db2")).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let carol = ropc(&app, "carol@lab.mimic.onmicrosoft.com", "Lab-Carol-1!").await;
    let carol = carol.body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        get_vm(&app, &carol, &vm_in("lab-data-rg", "db1"))
            .await
            .status,
        200
    );
    app.stop().await;
}
