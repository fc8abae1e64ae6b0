//! `Microsoft.Compute/virtualMachines`: shape, names, errors, and the system-assigned and
//! user-assigned identity lifecycle (wire-contract §1 items 8-9, §5.7; seeds 003/004).

use serde_json::json;

use crate::compute_helpers::{system_principal, user_identity_ids};
use mimic_testkit::fixture::{
    identity_id, vm_id, GROUP, MI_OPERATOR, SUBSCRIPTION, TENANT, VM_CONTRIBUTOR, VM_WRITE_VERSION,
};
use mimic_testkit::{vm_body, TestArm};

#[tokio::test]
async fn create_or_update_returns_201_then_200_with_the_compute_shape() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let created = app.put_vm(&token, "web1", vm_body()).await;
    let replaced = app.put_vm(&token, "WEB1", vm_body()).await;

    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.headers.get("azure-asyncoperation").is_some());
    let vm = &created.body;
    assert_eq!(vm["id"], vm_id("web1"));
    assert_eq!(vm["name"], "web1");
    assert_eq!(vm["type"], "Microsoft.Compute/virtualMachines");
    assert_eq!(vm["location"], "eastus");
    assert!(vm.get("identity").is_none(), "{vm}");
    let properties = &vm["properties"];
    assert_eq!(properties["provisioningState"], "Creating");
    assert_eq!(properties["hardwareProfile"]["vmSize"], "Standard_B2s");
    assert_eq!(properties["storageProfile"]["osDisk"]["osType"], "Linux");
    assert_eq!(
        properties["storageProfile"]["imageReference"]["offer"],
        "ubuntu-24_04-lts"
    );
    assert_eq!(properties["osProfile"]["computerName"], "web01");
    assert_eq!(
        properties["osProfile"]["linuxConfiguration"]["provisionVMAgent"],
        true
    );
    assert!(properties["osProfile"].get("adminPassword").is_none());
    assert!(properties.get("unknownProperty").is_none());
    assert!(properties["vmId"].as_str().is_some_and(|id| id.len() == 36));
    assert!(properties["timeCreated"]
        .as_str()
        .is_some_and(|t| t.ends_with("+00:00")));
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(
        replaced.body["name"], "web1",
        "the name keeps its first casing"
    );
    assert_eq!(replaced.body["properties"]["vmId"], properties["vmId"]);
}

#[tokio::test]
async fn get_returns_the_vm_and_404_for_a_missing_one() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let fixture_vm = app.get_vm(&token, "VM1").await;
    let missing = app.get_vm(&token, "nope").await;
    let missing_group = app
        .arm.get(&format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/nogroup/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-11-01"), Some(&token))
        .await;

    assert_eq!(fixture_vm.status, 200, "{}", fixture_vm.text);
    assert_eq!(fixture_vm.body["id"], vm_id("vm1"));
    assert_eq!(
        fixture_vm.body["properties"]["vmId"],
        "5e1d2c3b-4a59-4687-9765-a4b3c2d1e0f9"
    );
    assert_eq!(
        fixture_vm.body["properties"]["hardwareProfile"]["vmSize"],
        "Standard_B1s"
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.code(), "ResourceNotFound");
    assert_eq!(
        missing.message(),
        format!("The Resource 'Microsoft.Compute/virtualMachines/nope' under resource group '{GROUP}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    );
    assert_eq!(missing_group.status, 404);
    assert_eq!(missing_group.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn create_or_update_with_bad_input_returns_400_and_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let long = "a".repeat(65);
    let mut no_location = vm_body();
    no_location.as_object_mut().unwrap().remove("location");
    let mut underscore_host = vm_body();
    underscore_host["properties"]["osProfile"]["computerName"] = json!("web_01");
    let mut bad_type = vm_body();
    bad_type["identity"] = json!({"type": "Everything"});
    let mut missing_identity = vm_body();
    missing_identity["identity"] =
        json!({"type": "UserAssigned", "userAssignedIdentities": {identity_id("ghost"): {}}});
    let cases = [
        ("_vm", vm_body(), "InvalidParameter", Some("vmName")),
        ("vm-", vm_body(), "InvalidParameter", Some("vmName")),
        ("vm.", vm_body(), "InvalidParameter", Some("vmName")),
        ("my vm", vm_body(), "InvalidParameter", Some("vmName")),
        (
            long.as_str(),
            json!({"location": "eastus"}),
            "InvalidParameter",
            Some("computerName"),
        ),
        (
            "hosty",
            underscore_host,
            "InvalidParameter",
            Some("computerName"),
        ),
        ("noloc", no_location, "LocationRequired", None),
        (
            "badtype",
            bad_type,
            "InvalidParameter",
            Some("identity.type"),
        ),
        ("ghosty", missing_identity, "FailedIdentityOperation", None),
    ];

    for (name, body, code, target) in cases {
        let reply = app.put_vm(&token, name, body).await;

        assert_eq!(reply.status, 400, "{name}: {}", reply.text);
        assert_eq!(reply.code(), code, "{name}");
        assert_eq!(reply.body["error"]["target"].as_str(), target, "{name}");
        assert_eq!(
            app.get_vm(&token, name).await.status,
            404,
            "{name} must not exist"
        );
    }
}

#[tokio::test]
async fn create_or_update_accepts_names_compute_accepts() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    for name in ["a", "my_vm.web-1", &"b".repeat(64)] {
        let reply = app
            .put_vm(&token, name, json!({"location": "East US"}))
            .await;

        assert_eq!(reply.status, 201, "{name}: {}", reply.text);
        assert_eq!(reply.body["location"], "eastus");
        assert_eq!(reply.body["properties"]["osProfile"]["computerName"], name);
    }
}

#[tokio::test]
async fn update_enabling_system_assigned_creates_a_principal_aad_knows() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let vm = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;

    assert_eq!(vm["identity"]["type"], "SystemAssigned");
    assert_eq!(vm["identity"]["tenantId"], TENANT);
    assert!(vm["identity"].get("userAssignedIdentities").is_none());
    assert_eq!(vm["properties"]["provisioningState"], "Succeeded");
    let principal_id = system_principal(&vm);
    let principal = app.aad_principal(&principal_id).await;
    assert_eq!(principal["servicePrincipalType"], "ManagedIdentity");
    assert_eq!(
        principal["alternativeNames"],
        json!(["isExplicit=False", vm_id("vm1")])
    );
    let again = app.get_vm(&token, "vm1").await;
    assert_eq!(system_principal(&again.body), principal_id);
}

#[tokio::test]
async fn update_disabling_system_assigned_deletes_the_principal_and_reenabling_mints_a_new_one() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let first = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let first = system_principal(&first);

    let disabled = app
        .patch_identity(&token, "vm1", json!({"type": "None"}))
        .await;
    let gone = !app.aad_has_principal(&first).await;
    let reenabled = app
        .patch_identity(&token, "vm1", json!({"type": "systemassigned"}))
        .await;

    assert!(disabled.get("identity").is_none(), "{disabled}");
    assert!(gone, "the disabled identity's principal must be deleted");
    let second = system_principal(&reenabled);
    assert_ne!(second, first);
    assert!(app.aad_has_principal(&second).await);
}

#[tokio::test]
async fn delete_removes_the_vm_and_its_principal_then_answers_204() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_vm(&token, "doomed").await;
    let vm = app
        .patch_identity(&token, "doomed", json!({"type": "SystemAssigned"}))
        .await;
    let principal_id = system_principal(&vm);

    let deleted = app.delete_vm(&token, "doomed").await;
    let again = app.delete_vm(&token, "doomed").await;

    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(app.get_vm(&token, "doomed").await.status, 404);
    assert!(!app.aad_has_principal(&principal_id).await);
    assert_eq!(again.status, 204);
}

#[tokio::test]
async fn update_identity_follows_the_merge_semantics_of_the_az_bodies() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    app.create_identity(&token, "id2").await;
    let (id1, id2) = (identity_id("id1"), identity_id("id2"));
    let upper_id1 = id1
        .replace("/id1", "/ID1")
        .replace("resourceGroups", "resourcegroups");
    let sa = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let sa_principal = system_principal(&sa);

    // (az command, body, expected type, expected UAMIs)
    let steps = [
        (
            "assign --identities id1 (VM has SA; az sends no space)",
            json!({"userAssignedIdentities": {&id1: {}}, "type": "SystemAssigned,UserAssigned"}),
            "SystemAssigned, UserAssigned",
            vec![id1.clone()],
        ),
        (
            "assign --identities id1 id2 (existing re-sent)",
            json!({"userAssignedIdentities": {&id2: {}, &id1: {}}, "type": "SystemAssigned,UserAssigned"}),
            "SystemAssigned, UserAssigned",
            vec![id1.clone(), id2.clone()],
        ),
        (
            "remove --identities [system] keeping UAMIs",
            json!({"userAssignedIdentities": null, "type": "UserAssigned"}),
            "UserAssigned",
            vec![id1.clone(), id2.clone()],
        ),
        (
            "remove --identities ID1 in the user's casing",
            json!({"userAssignedIdentities": {&upper_id1: null}, "type": "UserAssigned"}),
            "UserAssigned",
            vec![id2.clone()],
        ),
        (
            "assign (enable SA) keeps the UAMIs",
            json!({"type": "SystemAssigned, UserAssigned"}),
            "SystemAssigned, UserAssigned",
            vec![id2.clone()],
        ),
        (
            "remove the last UAMI while SA stays",
            json!({"type": "SystemAssigned", "userAssignedIdentities": null}),
            "SystemAssigned",
            vec![],
        ),
    ];
    let mut previous = sa_principal.clone();
    for (step, body, expected_type, expected_ids) in steps {
        let vm = app.patch_identity(&token, "vm1", body).await;
        let principal = system_principal(&vm);
        if !previous.is_empty() && !principal.is_empty() {
            assert_eq!(
                principal, previous,
                "{step}: the SA principal stays while SA stays on"
            );
        }
        previous = principal;

        assert_eq!(vm["identity"]["type"], expected_type, "{step}: {vm}");
        let mut expected_ids = expected_ids;
        expected_ids.sort();
        assert_eq!(user_identity_ids(&vm), expected_ids, "{step}");
        for (id, value) in vm["identity"]["userAssignedIdentities"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert!(
                value["principalId"].is_string() && value["clientId"].is_string(),
                "{step}: {id}"
            );
        }
    }
    assert!(
        !app.aad_has_principal(&sa_principal).await,
        "disabling SA deleted its principal"
    );

    let cleared = app
        .patch_identity(
            &token,
            "vm1",
            json!({"userAssignedIdentities": null, "type": "None"}),
        )
        .await;
    assert!(cleared.get("identity").is_none(), "{cleared}");
    assert!(!app.aad_has_principal(&previous).await);
}

#[tokio::test]
async fn update_with_user_assigned_and_none_types_drops_the_user_identities() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    let id1 = identity_id("id1");
    let attach = json!({"type": "UserAssigned", "userAssignedIdentities": {&id1: {}}});
    app.patch_identity(&token, "vm1", attach.clone()).await;

    let sa_only = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    app.patch_identity(&token, "vm1", attach).await;
    let none = app
        .patch_identity(&token, "vm1", json!({"type": "None"}))
        .await;

    assert_eq!(sa_only["identity"]["type"], "SystemAssigned");
    assert!(user_identity_ids(&sa_only).is_empty());
    assert!(none.get("identity").is_none());
}

#[tokio::test]
async fn update_with_a_missing_identity_returns_400_failed_identity_operation_and_changes_nothing()
{
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let ghost = identity_id("ghost");

    let reply = app
        .patch_vm(&token, "vm1", json!({"identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {&ghost: {}}}}))
        .await;
    let bad_type = app
        .patch_vm(&token, "vm1", json!({"identity": {"type": "Sometimes"}}))
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "FailedIdentityOperation");
    assert!(
        reply
            .message()
            .contains(&format!("Resource '{ghost}' was not found.")),
        "{}",
        reply.message()
    );
    assert_eq!(bad_type.status, 400);
    assert_eq!(bad_type.code(), "InvalidParameter");
    let vm = app.get_vm(&token, "vm1").await.body;
    assert!(vm.get("identity").is_none(), "nothing changed: {vm}");
}

#[tokio::test]
async fn update_adding_an_identity_without_assign_permission_returns_403_linked_authorization_failed(
) {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    let id1 = identity_id("id1");
    let (contributor, contributor_token) = app.new_principal("vm-contributor").await;
    app.grant(&app.group(GROUP), VM_CONTRIBUTOR, &contributor.object_id)
        .await;
    let attach = json!({"type": "UserAssigned", "userAssignedIdentities": {&id1: {}}});

    let denied = app
        .patch_vm(&contributor_token, "vm1", json!({"identity": attach}))
        .await;
    app.grant(&id1, MI_OPERATOR, &contributor.object_id).await;
    let allowed = app
        .patch_vm(&contributor_token, "vm1", json!({"identity": attach}))
        .await;

    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(denied.code(), "LinkedAuthorizationFailed");
    assert_eq!(
        denied.message(),
        format!("The client '{}' with object id '{}' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '{}'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '{id1}' or the linked scope(s) are invalid.",
            contributor.app_id, contributor.object_id, vm_id("vm1"))
    );
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert_eq!(user_identity_ids(&allowed.body), vec![id1]);
}

#[tokio::test]
async fn update_removing_an_identity_needs_only_vm_write() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    let id1 = identity_id("id1");
    app.patch_identity(
        &token,
        "vm1",
        json!({"type": "UserAssigned", "userAssignedIdentities": {&id1: {}}}),
    )
    .await;
    let (contributor, contributor_token) = app.new_principal("vm-contributor").await;
    app.grant(&app.group(GROUP), VM_CONTRIBUTOR, &contributor.object_id)
        .await;

    let removed = app
        .patch_vm(
            &contributor_token,
            "vm1",
            json!({"identity": {"type": "None", "userAssignedIdentities": null}}),
        )
        .await;

    assert_eq!(removed.status, 200, "{}", removed.text);
    assert!(removed.body.get("identity").is_none());
}

#[tokio::test]
async fn operations_without_a_role_return_403_authorization_failed() {
    let app = TestArm::spawn().await;
    let (_, stranger) = app.new_principal("stranger").await;

    let get = app.get_vm(&stranger, "vm1").await;
    let put = app.put_vm(&stranger, "vm9", vm_body()).await;

    assert_eq!(get.status, 403);
    assert_eq!(get.code(), "AuthorizationFailed");
    assert!(get
        .message()
        .contains("'Microsoft.Compute/virtualMachines/read'"));
    assert_eq!(put.status, 403);
    assert!(put
        .message()
        .contains("'Microsoft.Compute/virtualMachines/write'"));
}

#[tokio::test]
async fn list_returns_the_vms_of_the_group_and_of_the_subscription() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let group = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01",
                app.group(GROUP)
            ),
            Some(&token),
        )
        .await;
    let subscription = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01",
                app.subscription()
            ),
            Some(&token),
        )
        .await;

    for reply in [group, subscription] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        let names: Vec<&str> = reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|vm| vm["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["vm1", "vm2"]);
    }
}

#[tokio::test]
async fn update_changes_tags_and_size_and_keeps_the_rest() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let reply = app
        .patch_vm(&token, "vm2", json!({"tags": {"env": "dev"}, "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v5"}}}))
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["tags"], json!({"env": "dev"}));
    assert_eq!(
        reply.body["properties"]["hardwareProfile"]["vmSize"],
        "Standard_D2s_v5"
    );
    assert_eq!(
        reply.body["properties"]["vmId"],
        "6f2e3d4c-5b6a-4798-8a76-b5c4d3e2f1a0"
    );
}

#[tokio::test]
async fn get_operation_answers_404_for_an_operation_compute_never_started() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let reply = app
        .arm.get(&format!("{}/providers/Microsoft.Compute/locations/eastus/operations/3b7c1f7e-0000-4000-8000-000000000000?p=x&api-version=2024-11-01", app.subscription()), Some(&token))
        .await;

    assert_eq!(reply.status, 404, "{}", reply.text);
    assert_eq!(reply.code(), "NotFound");
}

#[tokio::test]
async fn get_system_assigned_identity_at_scope_returns_it_or_404() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "{}/providers/Microsoft.ManagedIdentity/identities/default?api-version=2023-01-31",
        vm_id("vm1")
    );
    let before = app.arm.get(&path, Some(&token)).await;
    let vm = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;

    let after = app.arm.get(&path, Some(&token)).await;

    assert_eq!(before.status, 404, "{}", before.text);
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.body["name"], "default");
    assert_eq!(after.body["type"], "Microsoft.ManagedIdentity/Identities");
    assert_eq!(
        after.body["properties"]["principalId"],
        vm["identity"]["principalId"]
    );
    assert_eq!(after.body["properties"]["tenantId"], TENANT);
}

/// `method` on VM `name` with az's write api-version; returns the status.
async fn vm_status(
    app: &TestArm,
    method: &str,
    token: &str,
    name: &str,
    body: Option<serde_json::Value>,
) -> u16 {
    let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
    app.arm
        .request(method, &path, Some(token), body)
        .await
        .status
}

#[tokio::test]
async fn create_and_delete_announce_the_vm_to_the_imds_host_before_answering() {
    let (app, mut events) = TestArm::spawn_with_vm_hook().await;
    let token = app.operator_token().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = seen.clone();
    tokio::spawn(async move {
        while let Some((event, ack)) = events.recv().await {
            recorder.lock().unwrap().push(event);
            ack.send(()).unwrap();
        }
    });
    let seen_now = || seen.lock().unwrap().clone();

    let created = vm_status(&app, "PUT", &token, "hooked", Some(vm_body())).await;
    // Announced (and acknowledged) before the 201 reached us.
    assert_eq!(
        seen_now(),
        vec![mimic_arm::VmEvent::Created(vm_id("hooked"))]
    );
    let patch = json!({"identity": {"type": "SystemAssigned"}});
    let patched = vm_status(&app, "PATCH", &token, "hooked", Some(patch)).await;
    let deleted = vm_status(&app, "DELETE", &token, "hooked", None).await;

    // With no time in progress, the deletion has ended (and been announced) before the 202.
    assert_eq!((created, patched, deleted), (201, 200, 202));
    assert_eq!(
        seen_now(),
        vec![
            mimic_arm::VmEvent::Created(vm_id("hooked")),
            mimic_arm::VmEvent::IdentitiesChanged(vm_id("hooked")),
            mimic_arm::VmEvent::Deleted(vm_id("hooked")),
        ]
    );
}

#[tokio::test]
async fn identity_changes_are_announced_to_the_imds_host_before_answering() {
    let (app, mut events) = TestArm::spawn_with_vm_hook().await;
    let token = app.operator_token().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = seen.clone();
    tokio::spawn(async move {
        while let Some((event, ack)) = events.recv().await {
            recorder.lock().unwrap().push(event);
            ack.send(()).unwrap();
        }
    });
    let seen_now = || std::mem::take(&mut *seen.lock().unwrap());
    let created = vm_status(&app, "PUT", &token, "hooked", Some(vm_body())).await;
    let identity = app.create_identity(&token, "hooked-id").await;
    let mut attached = serde_json::Map::new();
    attached.insert(identity["id"].as_str().unwrap().to_string(), json!({}));
    let changed = || vec![mimic_arm::VmEvent::IdentitiesChanged(vm_id("hooked"))];
    assert_eq!(created, 201);
    seen_now();

    let tags = json!({"tags": {"env": "test"}});
    assert_eq!(
        vm_status(&app, "PATCH", &token, "hooked", Some(tags)).await,
        200
    );
    assert_eq!(seen_now(), vec![], "a write that keeps the identities");
    let attach = json!({"identity": {"type": "UserAssigned", "userAssignedIdentities": attached}});
    assert_eq!(
        vm_status(&app, "PATCH", &token, "hooked", Some(attach)).await,
        200
    );
    assert_eq!(seen_now(), changed(), "attaching a user-assigned identity");
    let enable = json!({"identity": {"type": "SystemAssigned, UserAssigned"}});
    assert_eq!(
        vm_status(&app, "PATCH", &token, "hooked", Some(enable)).await,
        200
    );
    assert_eq!(
        seen_now(),
        changed(),
        "enabling the system-assigned identity"
    );
    assert_eq!(app.delete_identity(&token, "hooked-id").await.status, 200);
    assert_eq!(seen_now(), changed(), "deleting the attached identity");
    let disable = json!({"identity": {"type": "None"}});
    assert_eq!(
        vm_status(&app, "PATCH", &token, "hooked", Some(disable)).await,
        200
    );
    assert_eq!(
        seen_now(),
        changed(),
        "disabling the system-assigned identity"
    );
}

#[tokio::test]
async fn concurrent_updates_enabling_system_assigned_agree_on_one_principal() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let patches = (0..4).map(|_| {
        app.patch_vm(
            &token,
            "vm1",
            json!({"identity": {"type": "SystemAssigned"}}),
        )
    });
    let replies = futures::future::join_all(patches).await;

    let final_principal = system_principal(&app.get_vm(&token, "vm1").await.body);
    for reply in replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(system_principal(&reply.body), final_principal);
    }
    assert!(app.aad_has_principal(&final_principal).await);
}

#[tokio::test]
async fn writes_when_aad_refuses_return_500_and_change_nothing() {
    let (hook, _events) = tokio::sync::mpsc::channel(8);
    let app = TestArm::spawn_with(|arm| {
        arm.vm_hook = Some(hook);
        // ARM holds another internal key than AAD, so AAD refuses every principal ARM asks for.
        arm.internal_key = mimic_web::InternalKey::generate();
    })
    .await;
    let token = app.operator_token().await;

    let enable = json!({"identity": {"type": "SystemAssigned"}});
    let patched = vm_status(&app, "PATCH", &token, "vm1", Some(enable)).await;
    let mut with_identity = vm_body();
    with_identity["identity"] = json!({"type": "SystemAssigned"});
    let created = vm_status(&app, "PUT", &token, "newvm", Some(with_identity)).await;
    let read = vm_status(&app, "GET", &token, "vm1", None).await;
    let missing = vm_status(&app, "GET", &token, "newvm", None).await;

    assert_eq!((patched, created), (500, 500));
    assert_eq!((read, missing), (200, 404));
    let url = format!("{}{}?api-version=2024-11-01", app.arm.base, vm_id("vm1"));
    let vm: serde_json::Value = app
        .arm
        .http
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(vm.get("identity").is_none(), "{vm}");
}
