//! Long-running operations (issue 17 item 3): VM PUT/PATCH/DELETE and resource-group DELETE answer
//! as Azure's specs and examples say (201/200/202, `Azure-AsyncOperation`, `Location`, a short
//! `Retry-After`), resources show `Creating`/`Updating`/`Deleting` while the operation runs, and
//! the status and result endpoints report it — with the default of no time in progress and with
//! a configured time that the tests pass by advancing the shared clock (no sleeping, no timing).

use serde_json::json;

use crate::compute_helpers::system_principal;
use mimic_testkit::fixture::{vm_id, GROUP, SUBSCRIPTION, VM_WRITE_VERSION};
use mimic_testkit::{vm_body, Reply, TestArm};

/// The time an operation stays in progress in the tests that configure one.
const IN_PROGRESS: u64 = 30;

async fn app_with_time_in_progress() -> TestArm {
    TestArm::spawn_with(|settings| settings.async_operation_seconds = IN_PROGRESS).await
}

/// The path and query of an absolute URL ARM gave out.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest[rest.find('/').expect("a path")..].to_string()
}

/// GETs a URL ARM gave out (a header's value).
async fn follow(app: &TestArm, token: &str, url: &str) -> Reply {
    assert!(!url.is_empty(), "no URL to follow");
    app.arm.get(&path_of(url), Some(token)).await
}

fn group_path(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}?api-version=2024-11-01")
}

#[tokio::test]
async fn vm_create_answers_201_creating_with_azure_async_operation_and_the_first_poll_succeeds() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let created = app.put_vm(&token, "lro1", vm_body()).await;
    let status_url = created.header("azure-asyncoperation").to_string();
    let poll = follow(&app, &token, &status_url).await;
    let shown = app.get_vm(&token, "lro1").await;

    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["properties"]["provisioningState"], "Creating");
    assert_eq!(created.header("retry-after"), "1");
    assert!(
        created.headers.get("location").is_none(),
        "PUT: no Location"
    );
    let prefix = format!(
        "{}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/eastus/operations/",
        app.arm.base
    );
    assert!(status_url.starts_with(&prefix), "{status_url}");
    assert!(
        status_url.ends_with(&format!("?api-version={VM_WRITE_VERSION}")),
        "{status_url}"
    );
    assert_eq!(poll.status, 200, "{}", poll.text);
    assert_eq!(poll.body["status"], "Succeeded");
    let id = status_url[prefix.len()..].split('?').next().unwrap();
    assert_eq!(poll.body["name"], id);
    assert!(poll.body["startTime"]
        .as_str()
        .is_some_and(|t| t.ends_with("+00:00")));
    assert!(poll.body["endTime"]
        .as_str()
        .is_some_and(|t| t.ends_with("+00:00")));
    assert!(
        poll.headers.get("retry-after").is_none(),
        "an ended operation has no Retry-After"
    );
    assert_eq!(shown.body["properties"]["provisioningState"], "Succeeded");
}

/// The time in progress is a run-time setting (`mimic settings set async-operation-time …`): the
/// start flag's value shows there, and a change applies to the operations accepted after it.
#[tokio::test]
async fn the_time_in_progress_changes_at_run_time_for_the_operations_after_it() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;
    let setting = "/internal/settings/async-operation-time";
    let listed = app.arm.internal("GET", "/internal/settings", None).await;
    let shown = listed.body["value"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == "async-operation-time"))
        .cloned();
    let before = app.put_vm(&token, "before", vm_body()).await;
    let off = app
        .arm
        .internal("PUT", setting, Some(json!({"value": "off"})))
        .await;
    let after = app.put_vm(&token, "after", vm_body()).await;
    let before_poll = follow(&app, &token, before.header("azure-asyncoperation")).await;
    let after_poll = follow(&app, &token, after.header("azure-asyncoperation")).await;

    assert_eq!(
        shown.map(|s| s["value"].clone()),
        Some(json!("30s")),
        "{}",
        listed.text
    );
    assert_eq!(
        (off.status, &off.body["value"]),
        (200, &json!("off")),
        "{}",
        off.text
    );
    assert_eq!(
        before_poll.body["status"], "InProgress",
        "accepted under 30 s"
    );
    assert_eq!(after_poll.body["status"], "Succeeded", "accepted under off");
}

#[tokio::test]
async fn vm_create_stays_creating_until_its_time_is_up() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;

    let created = app.put_vm(&token, "slow", vm_body()).await;
    let status_url = created.header("azure-asyncoperation").to_string();
    let running = follow(&app, &token, &status_url).await;
    let shown_running = app.get_vm(&token, "slow").await;
    let view_running = app
        .arm
        .get(
            &format!(
                "{}/instanceView?api-version={VM_WRITE_VERSION}",
                vm_id("slow")
            ),
            Some(&token),
        )
        .await;
    app.clock.advance(IN_PROGRESS as i64);
    let ended = follow(&app, &token, &status_url).await;
    let shown_ended = app.get_vm(&token, "slow").await;

    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        (running.status, &running.body["status"]),
        (200, &json!("InProgress"))
    );
    assert_eq!(running.header("retry-after"), "1");
    assert!(running.body.get("endTime").is_none(), "{}", running.text);
    assert_eq!(
        shown_running.body["properties"]["provisioningState"],
        "Creating"
    );
    assert_eq!(
        view_running.body["statuses"][0]["code"],
        "ProvisioningState/creating"
    );
    assert_eq!(
        view_running.body["statuses"][1]["code"],
        "PowerState/starting"
    );
    assert_eq!(ended.body["status"], "Succeeded", "{}", ended.text);
    assert!(ended.body["endTime"].is_string());
    assert_eq!(
        shown_ended.body["properties"]["provisioningState"],
        "Succeeded"
    );
}

#[tokio::test]
async fn vm_patch_answers_200_updating_until_its_time_is_up() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;

    let patched = app
        .patch_vm(&token, "vm1", json!({"tags": {"env": "test"}}))
        .await;
    let during = app.get_vm(&token, "vm1").await;
    app.clock.advance(IN_PROGRESS as i64);
    let poll = follow(&app, &token, patched.header("azure-asyncoperation")).await;
    let after = app.get_vm(&token, "vm1").await;

    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["properties"]["provisioningState"], "Updating");
    assert_eq!(
        patched.body["tags"],
        json!({"env": "test"}),
        "the change is applied at once"
    );
    assert_eq!(patched.header("retry-after"), "1");
    assert_eq!(during.body["properties"]["provisioningState"], "Updating");
    assert_eq!(poll.body["status"], "Succeeded");
    assert_eq!(after.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn vm_delete_shows_deleting_refuses_writes_and_removes_the_vm_when_it_ends() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;
    let put = app
        .put_vm(
            &token,
            "doomed",
            json!({"location": "eastus", "identity": {"type": "SystemAssigned"}}),
        )
        .await;
    let principal_id = system_principal(&put.body);

    let deleted = app.delete_vm_once(&token, "doomed").await;
    let again = app.delete_vm_once(&token, "doomed").await;
    let status_url = deleted.header("azure-asyncoperation").to_string();
    let location = deleted.header("location").to_string();
    let shown = app.get_vm(&token, "doomed").await;
    let rewrite = app.put_vm(&token, "doomed", vm_body()).await;
    let result_running = follow(&app, &token, &location).await;
    app.clock.advance(IN_PROGRESS as i64);
    let status_ended = follow(&app, &token, &status_url).await;
    let result_ended = follow(&app, &token, &location).await;

    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(deleted.text, "");
    assert_eq!(deleted.header("retry-after"), "1");
    assert!(
        location.starts_with(&status_url[..status_url.find('?').unwrap()]),
        "{location}"
    );
    assert!(location.ends_with("&monitor=true"), "{location}");
    assert_eq!(again.status, 202);
    assert_eq!(
        again.header("location"),
        location,
        "a second DELETE names the same operation"
    );
    assert_eq!(shown.body["properties"]["provisioningState"], "Deleting");
    assert_eq!(rewrite.status, 409, "{}", rewrite.text);
    assert_eq!(rewrite.code(), "OperationNotAllowed");
    assert_eq!(rewrite.message(), "Operation 'Update VM' is not allowed on VM 'doomed' since the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).");
    assert_eq!(result_running.status, 202);
    assert_eq!(result_running.header("location"), location);
    assert_eq!(result_running.header("retry-after"), "1");
    assert_eq!(status_ended.body["status"], "Succeeded");
    assert_eq!(result_ended.status, 200);
    assert_eq!(app.get_vm(&token, "doomed").await.status, 404);
    assert!(!app.aad_has_principal(&principal_id).await);
}

#[tokio::test]
async fn an_operation_nobody_polls_still_ends_when_its_time_is_up() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;
    let deleted = app.delete_vm_once(&token, "vm1").await;
    assert_eq!(deleted.status, 202, "{}", deleted.text);

    app.clock.advance(IN_PROGRESS as i64);
    // The host API does not settle operations: only ARM's background does. Bounded polling.
    let names = |listed: &Reply| -> Vec<String> {
        let vms = listed.body["value"].as_array().cloned().unwrap_or_default();
        vms.iter()
            .map(|vm| vm["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let mut listed = app.host_get("/internal/vms").await;
    for _ in 0..100 {
        if !names(&listed).contains(&"vm1".to_string()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        listed = app.host_get("/internal/vms").await;
    }

    assert_eq!(names(&listed), ["vm2"], "{}", listed.text);
}

#[tokio::test]
async fn resource_group_delete_answers_202_with_location_and_the_result_is_200_when_done() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.put_group(&token, "gone", json!({"location": "westus"}))
        .await;

    let deleted = app.arm.delete(&group_path("gone"), Some(&token)).await;
    let location = deleted.header("location").to_string();
    let result = follow(&app, &token, &location).await;

    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(deleted.text, "");
    assert!(deleted.headers.get("azure-asyncoperation").is_none());
    assert_eq!(deleted.header("retry-after"), "1");
    let prefix = format!(
        "{}/subscriptions/{SUBSCRIPTION}/operationresults/",
        app.arm.base
    );
    assert!(location.starts_with(&prefix), "{location}");
    assert!(location.ends_with("?api-version=2024-11-01"), "{location}");
    assert_eq!(result.status, 200, "{}", result.text);
    assert_eq!(
        app.arm.get(&group_path("gone"), Some(&token)).await.status,
        404
    );
}

#[tokio::test]
async fn a_deleting_group_shows_deleting_refuses_writes_and_goes_with_its_vms_when_it_ends() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;

    let deleted = app.arm.delete(&group_path(GROUP), Some(&token)).await;
    let location = deleted.header("location").to_string();
    let shown = app.arm.get(&group_path(GROUP), Some(&token)).await;
    let listed = app
        .arm
        .get(
            &format!("/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version=2024-11-01"),
            Some(&token),
        )
        .await;
    let group_write = app
        .put_group(&token, GROUP, json!({"location": "eastus"}))
        .await;
    let vm_write = app.put_vm(&token, "late", vm_body()).await;
    let running = follow(&app, &token, &location).await;
    let vm_during = app.get_vm(&token, "vm1").await;
    app.clock.advance(IN_PROGRESS as i64);
    let ended = follow(&app, &token, &location).await;

    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(shown.body["properties"]["provisioningState"], "Deleting");
    let listed_group = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == GROUP)
        .cloned()
        .unwrap();
    assert_eq!(listed_group["properties"]["provisioningState"], "Deleting");
    for refused in [&group_write, &vm_write] {
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert_eq!(refused.code(), "ResourceGroupBeingDeleted");
        assert_eq!(refused.message(), format!("The resource group '{GROUP}' is in deprovisioning state and cannot perform this operation."));
    }
    assert_eq!(running.status, 202);
    assert_eq!(
        vm_during.status, 200,
        "the group's contents stay until it ends"
    );
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(
        app.arm.get(&group_path(GROUP), Some(&token)).await.status,
        404
    );
    assert_eq!(app.get_vm(&token, "vm1").await.status, 404);
}

#[tokio::test]
async fn every_write_into_a_deleting_group_is_refused_whatever_its_type_and_changes_nothing() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;
    let before = app.create_identity(&token, "before").await;
    let identity = before["id"].as_str().unwrap().to_string();
    let group = mimic_testkit::fixture::group_id(GROUP);

    let deleted = app.arm.delete(&group_path(GROUP), Some(&token)).await;
    let vault =
        format!("{group}/providers/Microsoft.KeyVault/vaults/late-vault?api-version=2023-07-01");
    let vault_body = json!({"location": "eastus", "properties": {
        "tenantId": mimic_testkit::fixture::TENANT, "sku": {"family": "A", "name": "standard"}}});
    let credential = format!("{identity}/federatedIdentityCredentials/late?api-version=2023-01-31");
    let credential_body = json!({"properties": {"issuer": "https://issuer.example",
        "subject": "late", "audiences": ["api://AzureADTokenExchange"]}});
    let writes = [
        (
            "identity PUT",
            app.put_identity(&token, "late", json!({"location": "eastus"}))
                .await,
        ),
        (
            "identity PATCH",
            app.arm
                .patch(
                    &format!("{identity}?api-version=2023-01-31"),
                    Some(&token),
                    json!({"tags": {"late": "yes"}}),
                )
                .await,
        ),
        (
            "credential PUT",
            app.arm
                .put(&credential, Some(&token), credential_body)
                .await,
        ),
        (
            "vault PUT",
            app.arm.put(&vault, Some(&token), vault_body).await,
        ),
        (
            "role assignment PUT",
            app.put_assignment(
                &token,
                &group,
                "0d4f2a6e-3b1c-4e8d-9f7a-5c6b8e2d1a30",
                mimic_testkit::fixture::READER,
                mimic_testkit::fixture::OPERATOR_OBJECT_ID,
            )
            .await,
        ),
    ];
    let late = app
        .arm
        .get(
            &format!("{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/late?api-version=2023-01-31"),
            Some(&token),
        )
        .await;
    let still = app
        .arm
        .get(&format!("{identity}?api-version=2023-01-31"), Some(&token))
        .await;

    assert_eq!(deleted.status, 202, "{}", deleted.text);
    for (write, refused) in &writes {
        assert_eq!(refused.status, 409, "{write}: {}", refused.text);
        assert_eq!(refused.code(), "ResourceGroupBeingDeleted", "{write}");
        assert_eq!(
            refused.message(),
            format!("The resource group '{GROUP}' is in deprovisioning state and cannot perform this operation."),
            "{write}"
        );
    }
    assert_eq!(late.status, 404, "the refused PUT created nothing");
    assert_eq!(still.status, 200, "reads go on while the group is deleted");
    assert!(still.body["tags"].get("late").is_none(), "{}", still.text);
}

#[tokio::test]
async fn an_acknowledged_operation_survives_a_restart_of_arm() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;
    let deleted = app.delete_vm_once(&token, "vm1").await;
    let status_path = path_of(deleted.header("azure-asyncoperation"));

    let restarted = app.start_another_arm().await;
    let running = restarted.get(&status_path, Some(&token)).await;
    app.clock.advance(IN_PROGRESS as i64);
    let ended = restarted.get(&status_path, Some(&token)).await;

    assert_eq!(running.body["status"], "InProgress", "{}", running.text);
    assert_eq!(ended.body["status"], "Succeeded", "{}", ended.text);
    let vm = restarted
        .get(
            &format!("{}?api-version={VM_WRITE_VERSION}", vm_id("vm1")),
            Some(&token),
        )
        .await;
    assert_eq!(vm.status, 404, "{}", vm.text);
}

#[tokio::test]
async fn unknown_operations_and_other_subscriptions_operations_answer_404() {
    let app = app_with_time_in_progress().await;
    let token = app.operator_token().await;
    let deleted = app.arm.delete(&group_path(GROUP), Some(&token)).await;
    let token_part = path_of(deleted.header("location"));
    let other = token_part.replace(SUBSCRIPTION, "00000000-0000-0000-0000-000000000000");

    let unknown = app
        .arm
        .get(&format!("/subscriptions/{SUBSCRIPTION}/operationresults/bm90LWEtam9i?api-version=2024-11-01"), Some(&token))
        .await;
    let elsewhere = app.arm.get(&other, Some(&token)).await;

    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(unknown.code(), "NotFound");
    assert_ne!(elsewhere.status, 202, "{}", elsewhere.text);
}

#[tokio::test]
async fn the_etag_changes_on_every_write_and_if_match_guards_writes() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id("tagged"));
    let send =
        |method: &'static str, headers: Vec<(&'static str, String)>, body: serde_json::Value| {
            let request = app
                .arm
                .http
                .request(method.parse().unwrap(), app.arm.url(&path))
                .bearer_auth(&token)
                .json(&body);
            let request = headers.into_iter().fold(request, |request, (name, value)| {
                request.header(name, value)
            });
            app.arm.send(request)
        };

    let created = send("PUT", vec![("If-None-Match", "*".into())], vm_body()).await;
    let first = created.body["etag"].as_str().unwrap().to_string();
    let exists = send("PUT", vec![("If-None-Match", "*".into())], vm_body()).await;
    let patched = send(
        "PATCH",
        vec![("If-Match", first.clone())],
        json!({"tags": {"a": "b"}}),
    )
    .await;
    let second = patched.body["etag"].as_str().unwrap().to_string();
    let stale = send(
        "PATCH",
        vec![("If-Match", first.clone())],
        json!({"tags": {"c": "d"}}),
    )
    .await;
    let shown = app.get_vm(&token, "tagged").await;

    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(first, "\"1\"");
    assert_eq!(exists.status, 412, "{}", exists.text);
    assert_eq!(exists.code(), "PreconditionFailed");
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(second, "\"2\"");
    assert_eq!(stale.status, 412, "{}", stale.text);
    assert_eq!(stale.code(), "PreconditionFailed");
    assert_eq!(
        stale.message(),
        "Etag provided in if-match header \"1\" does not match etag \"2\" of resource."
    );
    assert_eq!(shown.body["etag"], second);
    assert_eq!(
        shown.body["tags"],
        json!({"a": "b"}),
        "a refused write changes nothing"
    );
}

#[tokio::test]
async fn instance_view_reports_provisioning_and_power_state_as_compute_does() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_vm(&token, "viewed").await;

    let view = app
        .arm
        .get(
            &format!(
                "{}/instanceView?api-version={VM_WRITE_VERSION}",
                vm_id("viewed")
            ),
            Some(&token),
        )
        .await;
    let expanded = app
        .arm
        .get(
            &format!(
                "{}?$expand=instanceView&api-version={VM_WRITE_VERSION}",
                vm_id("viewed")
            ),
            Some(&token),
        )
        .await;
    let plain = app.get_vm(&token, "viewed").await;

    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(view.body["computerName"], "web01");
    assert_eq!(view.body["osName"], "ubuntu");
    let statuses = &view.body["statuses"];
    assert_eq!(statuses[0]["code"], "ProvisioningState/succeeded");
    assert_eq!(statuses[0]["displayStatus"], "Provisioning succeeded");
    assert_eq!(statuses[1]["code"], "PowerState/running");
    assert_eq!(statuses[1]["displayStatus"], "VM running");
    assert_eq!(
        view.body["vmAgent"]["statuses"][0]["displayStatus"],
        "Ready"
    );
    assert_eq!(expanded.body["properties"]["instanceView"], view.body);
    assert!(plain.body["properties"].get("instanceView").is_none());
}
