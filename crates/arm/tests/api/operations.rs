//! The operation table through HTTP: every declared action is enforced before its handler,
//! api-versions are checked per type as ARM checks them, and the providers' operation lists.

use mimic_arm::operations::{self, Authorization, Verb};
use serde_json::json;

use mimic_testkit::fixture::{identity_id, vm_id, GROUP, READER, SUBSCRIPTION};
use mimic_testkit::{vm_body, TestArm};

/// The operation's path with every placeholder filled in (the fixture's subscription and group,
/// a subscription-wide `{scope}`, `x` for names) and the newest version it accepts.
fn concrete(operation: &operations::Operation) -> String {
    let mut path = String::new();
    for segment in operation.path.split('/').skip(1) {
        path.push('/');
        path.push_str(match segment {
            "{subscription_id}" => SUBSCRIPTION,
            "{resource_group}" => GROUP,
            "{scope:.+}" => "subscriptions/9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7",
            "{location}" => "eastus",
            "{namespace}" => "Microsoft.Compute",
            "{role_definition_id}" | "{role_assignment_name}" | "{deny_assignment_id}" => {
                "2f3d9c1e-0000-4000-8000-000000000001"
            }
            other if other.starts_with('{') => "x",
            other => other,
        });
    }
    format!("{path}?api-version={}", operation.versions()[0])
}

#[tokio::test]
async fn every_declared_action_is_enforced_before_the_handler_runs() {
    let app = TestArm::spawn().await;
    let (_, token) = app.new_principal("role-less").await;
    let mut checked = 0;
    for operation in operations::all() {
        let (Authorization::Action(action, _) | Authorization::Conditional(action, _, _)) =
            operation.authorization
        else {
            continue;
        };
        let body =
            matches!(operation.verb, Verb::Put | Verb::Patch | Verb::Post).then(|| json!({}));
        let path = concrete(operation);
        let reply = app
            .arm
            .request(operation.verb.as_str(), &path, Some(&token), body)
            .await;
        assert_eq!(reply.status, 403, "{} {path}: {}", operation.id, reply.text);
        if operation.verb != Verb::Head {
            assert_eq!(reply.code(), "AuthorizationFailed", "{}", operation.id);
            assert!(
                reply.message().contains(&format!("'{action}'")),
                "{}: {}",
                operation.id,
                reply.message()
            );
        }
        if operation.verb != Verb::Head && path.contains("/resourcegroups/") {
            // The scope is named in ARM's casing whatever casing the client sent.
            assert!(
                reply
                    .message()
                    .contains(&format!("/resourceGroups/{GROUP}")),
                "{}: {}",
                operation.id,
                reply.message()
            );
        }
        checked += 1;
    }
    assert!(checked > 25, "only {checked} operations checked");
}

#[tokio::test]
async fn the_versions_real_clients_send_are_accepted() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let sub = format!("/subscriptions/{SUBSCRIPTION}");
    let group = app.group(GROUP);
    // Wire contract §7, each operation with the versions az, its pinned SDKs and the latest SDKs send.
    let cases: Vec<(String, &[&str])> = vec![
        ("/subscriptions".into(), &["2022-12-01"]),
        ("/tenants".into(), &["2022-12-01"]),
        (group.clone(), &["2024-11-01", "2025-04-01"]),
        (format!("{sub}/resources"), &["2024-11-01", "2025-04-01"]),
        (format!("{sub}/providers"), &["2024-11-01", "2025-04-01"]),
        (
            format!("{group}/providers/Microsoft.Compute/virtualMachines"),
            &["2026-04-01", "2024-11-01"],
        ),
        (
            format!("{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"),
            &["2025-05-31-preview", "2024-11-30"],
        ),
        (
            format!("{sub}/providers/Microsoft.Authorization/roleDefinitions"),
            &["2022-05-01-preview", "2022-04-01"],
        ),
        (
            format!("{sub}/providers/Microsoft.Authorization/roleAssignments"),
            &["2022-04-01"],
        ),
    ];
    for (path, versions) in cases {
        for version in versions {
            let reply = app
                .arm
                .get(&format!("{path}?api-version={version}"), Some(&token))
                .await;
            assert_eq!(reply.status, 200, "{path} {version}: {}", reply.text);
        }
    }
    for version in ["2022-09-01", "2019-05-01"] {
        let reply = app
            .arm
            .request(
                "GET",
                &format!("/metadata/endpoints?api-version={version}"),
                None,
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{version}");
    }
}

#[tokio::test]
async fn an_unpublished_version_is_refused_as_arm_refuses_it() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let group = app
        .arm
        .get(
            &format!("{}?api-version=2099-01-01", app.group(GROUP)),
            Some(&token),
        )
        .await;
    assert_eq!(group.status, 400, "{}", group.text);
    assert_eq!(group.code(), "InvalidApiVersionParameter");
    assert!(
        group.message().starts_with(
            "The api-version '2099-01-01' is invalid. The supported versions are '2025-04-01,2024-11-01,"
        ),
        "{}",
        group.message()
    );
    let identity = app
        .arm
        .request(
            "PUT",
            &format!("{}?api-version=2099-01-01", identity_id("id-new")),
            Some(&token),
            Some(json!({"location": "westeurope"})),
        )
        .await;
    assert_eq!(identity.status, 400, "{}", identity.text);
    assert_eq!(identity.code(), "NoRegisteredProviderFound");
    assert!(
        identity.message().starts_with(
            "No registered resource provider found for location 'westeurope' and API version \
             '2099-01-01' for type 'userAssignedIdentities'. The supported api-versions are \
             '2015-08-31-preview, 2018-11-30, 2021-09-30-preview,"
        ),
        "{}",
        identity.message()
    );
    assert!(identity.message().contains("The supported locations are '"));
    // Nothing was created.
    let get = app
        .arm
        .get(
            &format!("{}?api-version=2024-11-30", identity_id("id-new")),
            Some(&token),
        )
        .await;
    assert_eq!(get.status, 404, "{}", get.text);
    // A preview of a type that never published it.
    let assignment = app.arm
        .get(
            &format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments?api-version=2025-05-31-preview"),
            Some(&token),
        )
        .await;
    assert_eq!(
        assignment.code(),
        "NoRegisteredProviderFound",
        "{}",
        assignment.text
    );
    assert!(assignment.message().contains("for location 'global'"));
}

#[tokio::test]
async fn the_lenient_flag_accepts_any_well_formed_version() {
    let app = TestArm::spawn_with(|settings| settings.lenient_api_versions = true).await;
    let token = app.operator_token().await;
    for path in [
        app.group(GROUP),
        format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments"),
    ] {
        let reply = app
            .arm
            .get(&format!("{path}?api-version=2099-01-01"), Some(&token))
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    }
    let malformed = app
        .arm
        .get(
            &format!("{}?api-version=latest", app.group(GROUP)),
            Some(&token),
        )
        .await;
    assert_eq!(malformed.code(), "InvalidApiVersionParameter");
}

#[tokio::test]
async fn providers_list_the_operations_mimic_authorizes() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let list = app
        .arm
        .get(
            "/providers/Microsoft.ManagedIdentity/operations?api-version=2024-11-30",
            Some(&token),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let names: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|operation| operation["name"].as_str().unwrap())
        .collect();
    for expected in [
        "Microsoft.ManagedIdentity/userAssignedIdentities/read",
        "Microsoft.ManagedIdentity/userAssignedIdentities/write",
        "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
        "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
        "Microsoft.ManagedIdentity/identities/read",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(names
        .iter()
        .all(|name| name.starts_with("Microsoft.ManagedIdentity/")));
    assert_eq!(
        list.body["value"][0]["display"]["provider"],
        "Managed Service Identity"
    );

    let all = app.arm
        .get("/providers/Microsoft.Authorization/providerOperations?api-version=2022-04-01&$expand=resourceTypes", Some(&token))
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    let namespaces: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|provider| provider["name"].as_str().unwrap())
        .collect();
    assert!(namespaces.contains(&"Microsoft.Compute"), "{namespaces:?}");
    let compute = app.arm
        .get("/providers/Microsoft.Authorization/providerOperations/microsoft.compute?api-version=2022-04-01", Some(&token))
        .await;
    assert_eq!(compute.status, 200, "{}", compute.text);
    assert_eq!(
        compute.body["id"],
        "/providers/Microsoft.Authorization/providerOperations/Microsoft.Compute"
    );
    let vms = compute.body["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "virtualMachines")
        .unwrap();
    let vm_actions: Vec<&str> = vms["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|operation| operation["name"].as_str().unwrap())
        .collect();
    assert!(vm_actions.contains(&"Microsoft.Compute/virtualMachines/write"));
    assert!(vm_actions.contains(&"Microsoft.Compute/virtualMachines/runCommand/action"));
    let unknown = app.arm
        .get("/providers/Microsoft.Authorization/providerOperations/Microsoft.Storage?api-version=2022-04-01", Some(&token))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.code(), "InvalidResourceNamespace");
}

#[tokio::test]
async fn list_associated_resources_names_the_vms_an_identity_is_assigned_to() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "shared").await;
    app.create_identity(&token, "unused").await;
    let mut body = vm_body();
    body["identity"] =
        json!({"type": "UserAssigned", "userAssignedIdentities": {identity_id("shared"): {}}});
    let vm = app.put_vm(&token, "web", body).await;
    assert_eq!(vm.status, 201, "{}", vm.text);
    let list = |name: &str| {
        format!(
            "{}/listAssociatedResources?api-version=2022-01-31-preview",
            identity_id(name)
        )
    };
    let shared = app
        .arm
        .request("POST", &list("shared"), Some(&token), None)
        .await;
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!(shared.body["totalCount"], 1);
    assert_eq!(shared.body["value"][0]["id"], vm_id("web"));
    assert_eq!(
        shared.body["value"][0]["type"],
        "microsoft.compute/virtualmachines"
    );
    assert_eq!(shared.body["value"][0]["resourceGroup"], GROUP);
    let unused = app
        .arm
        .request("POST", &list("unused"), Some(&token), None)
        .await;
    assert_eq!(unused.body["totalCount"], 0, "{}", unused.text);
    let missing = app
        .arm
        .request("POST", &list("missing"), Some(&token), None)
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    // Only the previews publish it.
    let stable = app
        .arm
        .request(
            "POST",
            &list("shared").replace("2022-01-31-preview", "2024-11-30"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        stable.code(),
        "NoRegisteredProviderFound",
        "{}",
        stable.text
    );
    // Reader reads, but listing associations is an action Reader does not hold.
    let (reader, reader_token) = app.new_principal("reader").await;
    app.grant(&app.subscription(), READER, &reader.object_id)
        .await;
    let refused = app
        .arm
        .request("POST", &list("shared"), Some(&reader_token), None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}
