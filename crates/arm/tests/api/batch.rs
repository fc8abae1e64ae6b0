//! `POST /batch`: each request inside answered as if sent alone (issue 17).

use serde_json::{json, Value};

use mimic_testkit::fixture::{group_id, subscription_id, GROUP, GROUP_VERSION, READER};
use mimic_testkit::TestArm;

fn responses(body: &Value) -> &Vec<Value> {
    body["responses"]
        .as_array()
        .unwrap_or_else(|| panic!("responses: {body}"))
}

#[tokio::test]
async fn a_mixed_batch_answers_each_request_in_order_as_if_sent_alone() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let other = app
        .put_group(&operator, "batch-other", json!({"location": "eastus"}))
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    // A reader of the fixture group only.
    let (principal, reader) = app.new_principal("batch-reader").await;
    app.grant(&group_id(GROUP), READER, &principal.object_id)
        .await;

    let base = app.arm.url("");
    let requests = json!({"requests": [
        {"httpMethod": "GET", "name": "allowed",
         "url": format!("{base}{}?api-version={GROUP_VERSION}", group_id(GROUP))},
        {"httpMethod": "GET", "name": "denied",
         "url": format!("https://management.azure.com{}?api-version={GROUP_VERSION}", group_id("batch-other"))},
        {"httpMethod": "GET", "name": "missing",
         "relativeUrl": format!("{}/providers/Microsoft.Network/networkInterfaces/nope?api-version=2024-05-01", group_id(GROUP))},
        {"httpMethod": "PUT", "name": "write-denied",
         "url": format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x?api-version=2023-01-31", group_id(GROUP)),
         "content": {"location": "eastus"}},
    ]});
    let correlation = "batch-correlation-1";
    let reply = app
        .arm
        .send(
            app.arm
                .http
                .post(app.arm.url("/batch?api-version=2020-06-01"))
                .bearer_auth(&reader)
                .header("x-ms-correlation-request-id", correlation)
                .json(&requests),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("x-ms-correlation-request-id"), correlation);
    let answers = responses(&reply.body);
    let summary: Vec<(&str, u64)> = answers
        .iter()
        .map(|answer| {
            (
                answer["name"].as_str().unwrap(),
                answer["httpStatusCode"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("allowed", 200),
            ("denied", 403),
            ("missing", 404),
            ("write-denied", 403)
        ]
    );
    assert_eq!(answers[0]["content"]["name"], GROUP);
    assert_eq!(
        answers[1]["content"]["error"]["code"],
        "AuthorizationFailed"
    );
    assert_eq!(answers[2]["content"]["error"]["code"], "ResourceNotFound");
    assert_eq!(
        answers[3]["content"]["error"]["code"],
        "AuthorizationFailed"
    );
    for answer in answers {
        let headers = &answer["headers"];
        assert_eq!(
            headers["x-ms-correlation-request-id"], correlation,
            "{answer}"
        );
        assert!(headers["x-ms-request-id"].is_string(), "{answer}");
        let length = answer["contentLength"].as_u64().unwrap();
        assert_eq!(
            length as usize,
            answer["content"].to_string().len(),
            "{answer}"
        );
    }
    assert!(answers[0]["headers"]["x-ms-ratelimit-remaining-subscription-reads"].is_string());
    // The denied write changed nothing.
    let identity = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x?api-version=2023-01-31",
        group_id(GROUP)
    );
    assert_eq!(app.arm.get(&identity, Some(&operator)).await.status, 404);
}

#[tokio::test]
async fn writes_inside_a_batch_take_effect() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let requests = json!({"requests": [
        {"httpMethod": "PUT", "name": "create",
         "url": format!("{}?api-version={GROUP_VERSION}", group_id("from-batch")),
         "content": {"location": "eastus", "tags": {"via": "batch"}}},
    ]});
    let reply = app
        .arm
        .post(
            "/batch?api-version=2020-06-01",
            Some(&operator),
            Some(requests),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        responses(&reply.body)[0]["httpStatusCode"],
        201,
        "{}",
        reply.text
    );
    let group = app
        .arm
        .get(
            &format!("{}?api-version={GROUP_VERSION}", group_id("from-batch")),
            Some(&operator),
        )
        .await;
    assert_eq!(group.json()["tags"]["via"], "batch");
}

/// The Ansible `azure_rm` inventory plugin's exact exchange (batch_fetch, its default):
/// `_send_batch` POSTs `{"requests": [{"httpMethod": "GET", "url": <absolute>, "name": <uuid4>}]}`
/// to `/batch?api-version=2015-11-01` with `x-ms-client-request-id` and
/// `Content-Type: application/json; charset=utf-8`, reads `responses[].name`,
/// `httpStatusCode` and `content`; the VM list uses compute 2021-11-01, then each VM's
/// `instanceView` and NICs (network 2015-06-15) go in a second batch.
#[tokio::test]
async fn the_ansible_inventory_exchange_lists_vms_and_their_nic_addresses() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let vm = app.create_vm(&operator, "inventoried").await;

    let base = app.arm.url("");
    let post = |body: Value| {
        let request = app
            .arm
            .http
            .post(app.arm.url("/batch?api-version=2015-11-01"))
            .bearer_auth(&operator)
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string())
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_string());
        app.arm.send(request)
    };
    let list_name = uuid::Uuid::new_v4().to_string();
    let first = post(json!({"requests": [{"httpMethod": "GET", "name": list_name,
        "url": format!("{base}{}/providers/Microsoft.Compute/virtualMachines?api-version=2021-11-01", subscription_id())}]}))
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let answer = &responses(&first.body)[0];
    assert_eq!(answer["name"], list_name.as_str());
    assert_eq!(answer["httpStatusCode"], 200, "{answer}");
    let vms = answer["content"]["value"].as_array().unwrap();
    let listed = vms
        .iter()
        .find(|listed| listed["name"] == "inventoried")
        .unwrap();

    let nic_ref = listed["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap();
    let nic_name = uuid::Uuid::new_v4().to_string();
    let second = post(json!({"requests": [
        {"httpMethod": "GET", "name": nic_name, "url": format!("{base}{nic_ref}?api-version=2015-06-15")},
    ]}))
    .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let nic = &responses(&second.body)[0];
    assert_eq!(nic["name"], nic_name.as_str());
    assert_eq!(nic["httpStatusCode"], 200, "{nic}");
    let address =
        &nic["content"]["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"];
    let vm_uuid = vm["properties"]["vmId"].as_str().unwrap();
    let imds = mimic_azure::network::PrimaryInterface::of_vm(vm_uuid, vm["id"].as_str().unwrap());
    assert_eq!(address, imds.private_ip_address.as_str());
}

#[tokio::test]
async fn a_bad_batch_answers_arms_envelope_and_runs_nothing() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let create = json!({"httpMethod": "PUT", "url": format!("{}?api-version={GROUP_VERSION}", group_id("never")),
        "content": {"location": "eastus"}});
    let cases: [(&str, String, &str); 5] = [
        ("not JSON", "{not json".to_string(), "InvalidRequestContent"),
        ("no requests", "{}".to_string(), "InvalidRequestContent"),
        (
            "no url",
            json!({"requests": [create.clone(), {"httpMethod": "GET"}]}).to_string(),
            "InvalidRequestContent",
        ),
        (
            "bad method",
            json!({"requests": [create.clone(), {"httpMethod": "FETCH", "url": "/x"}]}).to_string(),
            "InvalidRequestContent",
        ),
        (
            "too many",
            json!({"requests": vec![create.clone(); 501]}).to_string(),
            "InvalidRequestContent",
        ),
    ];
    for (what, body, code) in cases {
        let reply = app
            .arm
            .raw(
                "POST",
                "/batch?api-version=2020-06-01",
                &[
                    ("authorization", &format!("Bearer {operator}")),
                    ("content-type", "application/json"),
                ],
                &body,
            )
            .await;
        assert_eq!(reply.status, 400, "{what}: {}", reply.text);
        assert_eq!(reply.code(), code, "{what}");
    }
    let version = app
        .arm
        .post(
            "/batch?api-version=2019-01-01",
            Some(&operator),
            Some(json!({"requests": []})),
        )
        .await;
    assert_eq!(version.status, 400, "{}", version.text);
    assert_eq!(version.code(), "InvalidApiVersionParameter");
    let anonymous = app
        .arm
        .post(
            "/batch?api-version=2020-06-01",
            None,
            Some(json!({"requests": [create]})),
        )
        .await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    let never = app
        .arm
        .get(
            &format!("{}?api-version={GROUP_VERSION}", group_id("never")),
            Some(&operator),
        )
        .await;
    assert_eq!(never.status, 404, "nothing ran: {}", never.text);
}
