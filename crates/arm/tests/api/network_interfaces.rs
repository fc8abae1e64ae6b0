//! `Microsoft.Network/networkInterfaces`: the NICs VMs name, read-only (issue 17).

use serde_json::{json, Value};

use mimic_azure::network::PrimaryInterface;
use mimic_testkit::fixture::{group_id, subscription_id, vm_id, GROUP, READER, SUBSCRIPTION};
use mimic_testkit::{vm_body, TestArm};

const NETWORK: &str = "2024-05-01";

fn nic_id(group: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/networkInterfaces/{name}",
        group_id(group)
    )
}

/// The private address IMDS reports for this VM (its instance network data derives it the same way).
fn imds_address(vm: &Value) -> String {
    let vm_uuid = vm["properties"]["vmId"].as_str().unwrap();
    PrimaryInterface::of_vm(vm_uuid, vm["id"].as_str().unwrap()).private_ip_address
}

#[tokio::test]
async fn a_vm_without_a_network_profile_names_a_nic_that_gets_with_the_imds_address() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let vm = app.create_vm(&token, "nic-vm").await;
    let reference = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a NIC reference: {vm}"))
        .to_string();
    assert_eq!(reference, nic_id(GROUP, "nic-vmVMNic"));

    let reply = app
        .arm
        .get(&format!("{reference}?api-version={NETWORK}"), Some(&token))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let nic = reply.json();
    assert_eq!(nic["id"], reference.as_str());
    assert_eq!(nic["name"], "nic-vmVMNic");
    assert_eq!(nic["type"], "Microsoft.Network/networkInterfaces");
    assert_eq!(nic["location"], "eastus");
    let properties = &nic["properties"];
    assert_eq!(properties["virtualMachine"]["id"], vm_id("nic-vm").as_str());
    assert_eq!(properties["provisioningState"], "Succeeded");
    assert_eq!(properties["primary"], true);
    let configuration = &properties["ipConfigurations"][0];
    assert_eq!(
        configuration["properties"]["privateIPAddress"],
        imds_address(&vm).as_str()
    );
    assert_eq!(
        configuration["properties"]["privateIPAllocationMethod"],
        "Dynamic"
    );
    let mac = properties["macAddress"].as_str().unwrap();
    assert!(mac.starts_with("60-45-BD-") && mac.len() == 17, "{mac}");

    // A GET of the VM shows the same reference.
    let read = app.get_vm(&token, "nic-vm").await;
    assert_eq!(
        read.json()["properties"]["networkProfile"]["networkInterfaces"][0]["id"],
        reference.as_str()
    );
    // Ansible's inventory reads NICs with Network's 2015-06-15.
    let old = app
        .arm
        .get(&format!("{reference}?api-version=2015-06-15"), Some(&token))
        .await;
    assert_eq!(old.status, 200, "{}", old.text);
}

#[tokio::test]
async fn nics_named_by_the_vm_are_listed_by_group_and_subscription_and_unknown_ones_are_404() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let other = app
        .put_group(&token, "net-rg", json!({"location": "eastus"}))
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    let mut body = vm_body();
    body["properties"]["networkProfile"] = json!({"networkInterfaces": [
        {"id": nic_id("net-rg", "front"), "properties": {"primary": true}},
        {"id": nic_id("net-rg", "back"), "properties": {"primary": false}},
    ]});
    let created = app.put_vm(&token, "two-nics", body).await;
    assert!(matches!(created.status, 200 | 201), "{}", created.text);
    app.create_vm(&token, "one-nic").await;

    let names = |reply: &mimic_testkit::Reply| -> Vec<String> {
        let mut names: Vec<String> = reply.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|nic| nic["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let in_group = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Network/networkInterfaces?api-version={NETWORK}",
                group_id("net-rg")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(in_group.status, 200, "{}", in_group.text);
    assert_eq!(names(&in_group), ["back", "front"]);
    let all = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Network/networkInterfaces?api-version={NETWORK}",
                subscription_id()
            ),
            Some(&token),
        )
        .await;
    let all = names(&all);
    for name in ["back", "front", "one-nicVMNic"] {
        assert!(all.contains(&name.to_string()), "{name} in {all:?}");
    }

    let back = app
        .arm
        .get(
            &format!("{}?api-version={NETWORK}", nic_id("net-rg", "back")),
            Some(&token),
        )
        .await;
    assert_eq!(back.json()["properties"]["primary"], false);
    let front = app
        .arm
        .get(
            &format!("{}?api-version={NETWORK}", nic_id("net-rg", "front")),
            Some(&token),
        )
        .await;
    assert_eq!(front.json()["properties"]["primary"], true);
    assert_ne!(
        back.json()["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"],
        front.json()["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
    );

    let missing = app
        .arm
        .get(
            &format!("{}?api-version={NETWORK}", nic_id(GROUP, "nope")),
            Some(&token),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.code(), "ResourceNotFound");
    assert!(
        missing
            .message()
            .contains("Microsoft.Network/networkInterfaces/nope"),
        "{}",
        missing.text
    );

    // The NIC goes with its VM.
    let deleted = app.delete_vm(&token, "one-nic").await;
    assert!(deleted.status < 300, "{}", deleted.text);
    let gone = app
        .arm
        .get(
            &format!("{}?api-version={NETWORK}", nic_id(GROUP, "one-nicVMNic")),
            Some(&token),
        )
        .await;
    assert_eq!(gone.status, 404, "{}", gone.text);
}

#[tokio::test]
async fn nics_need_their_read_action_and_writes_are_not_served() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_vm(&token, "guarded").await;
    let nic = format!("{}?api-version={NETWORK}", nic_id(GROUP, "guardedVMNic"));

    let (principal, stranger) = app.new_principal("no-network-read").await;
    let denied = app.arm.get(&nic, Some(&stranger)).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(denied.code(), "AuthorizationFailed");
    assert!(
        denied
            .message()
            .contains("Microsoft.Network/networkInterfaces/read"),
        "{}",
        denied.text
    );
    app.grant(&group_id(GROUP), READER, &principal.object_id)
        .await;
    assert_eq!(app.arm.get(&nic, Some(&stranger)).await.status, 200);

    for method in ["PUT", "DELETE", "PATCH"] {
        let body = (method != "DELETE").then(|| json!({"location": "eastus"}));
        let reply = app.arm.request(method, &nic, Some(&token), body).await;
        assert_eq!(reply.status, 405, "{method}: {}", reply.text);
        assert_eq!(reply.code(), "MethodNotAllowed", "{method}");
    }
    let still = app.arm.get(&nic, Some(&token)).await;
    assert_eq!(still.status, 200);
}

#[tokio::test]
async fn microsoft_network_is_registered_with_network_interfaces() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get(
            &format!(
                "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Network?api-version=2021-04-01"
            ),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let provider = reply.json();
    assert_eq!(provider["registrationState"], "Registered");
    let types: Vec<&str> = provider["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["resourceType"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"networkInterfaces"), "{types:?}");
}
