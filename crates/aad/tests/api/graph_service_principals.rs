//! Graph `servicePrincipals` writes over HTTPS: create from an application's `appId` (and Graph's
//! errors when there is none or it already has one), update, delete, secrets on the principal,
//! and app-role assignments from both ends — bad input answers Graph's error and changes nothing.

use mimic_token::SigningKey;
use serde_json::{json, Value};

use crate::graph_applications::{filter, text, Graph};
use crate::helpers::jwt_part;

const VM: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
const READ_ROLE: &str = "5d4ad3a7-0000-4000-8000-0000000000a1";
const USER_ROLE: &str = "5d4ad3a7-0000-4000-8000-0000000000a2";

fn assert_error(reply: &mimic_testkit::Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.code(), code, "{}", reply.body);
    assert_eq!(reply.message(), message, "{}", reply.body);
}

/// An application exposing an app role for applications and one for users, and its principal.
async fn resource_api(graph: &Graph) -> (Value, Value) {
    let role = |id: &str, member: &str, value: &str| {
        json!({"id": id, "allowedMemberTypes": [member], "description": value, "displayName": value,
               "isEnabled": true, "value": value})
    };
    let app = graph
        .create_application(json!({
            "displayName": "inventory-api",
            "identifierUris": ["api://inventory"],
            "appRoles": [role(READ_ROLE, "Application", "Inventory.Read"), role(USER_ROLE, "User", "Inventory.Use")],
        }))
        .await;
    let principal = graph.create_service_principal(&text(&app, "appId")).await;
    (app, principal)
}

#[tokio::test]
async fn create_service_principal_copies_the_application_and_is_found_by_its_names() {
    let graph = Graph::spawn().await;
    let (app, principal) = resource_api(&graph).await;
    let app_id = text(&app, "appId");

    assert_eq!(
        principal["@odata.context"],
        format!(
            "{}/v1.0/$metadata#servicePrincipals/$entity",
            graph.app.aad.base
        )
    );
    assert_eq!(principal["appId"], app_id.as_str());
    assert_eq!(principal["displayName"], "inventory-api");
    assert_eq!(principal["appDisplayName"], "inventory-api");
    assert_eq!(principal["servicePrincipalType"], "Application");
    assert_eq!(principal["accountEnabled"], true);
    assert_eq!(
        principal["signInAudience"],
        "AzureADandPersonalMicrosoftAccount"
    );
    assert_eq!(
        principal["servicePrincipalNames"],
        json!([app_id, "api://inventory"])
    );
    assert_eq!(principal["appRoles"][0]["value"], "Inventory.Read");
    for clause in [
        "servicePrincipalNames/any(c:c eq 'api://inventory')".to_string(),
        format!("servicePrincipalNames/any(c:c eq '{app_id}')"),
        "displayName eq 'inventory-api'".to_string(),
    ] {
        assert_eq!(
            graph.ids(&filter("servicePrincipals", &clause)).await,
            [text(&principal, "id")],
            "{clause}"
        );
    }
}

#[tokio::test]
async fn create_service_principal_refuses_unknown_app_ids_and_a_second_principal() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "one"}))
        .await;
    let app_id = text(&app, "appId");
    graph.create_service_principal(&app_id).await;
    let before = graph.ids("/v1.0/servicePrincipals").await;
    let unknown = "0badc0de-0000-4000-8000-000000000000";

    let missing = graph
        .post("/v1.0/servicePrincipals", json!({"appId": unknown}))
        .await;
    let second = graph
        .post("/v1.0/servicePrincipals", json!({"appId": app_id}))
        .await;
    let no_app_id = graph
        .post("/v1.0/servicePrincipals", json!({"accountEnabled": true}))
        .await;
    let bad_property = graph
        .post(
            "/v1.0/servicePrincipals",
            json!({"appId": app_id, "nope": 1}),
        )
        .await;

    assert_error(
        &missing,
        400,
        "Request_BadRequest",
        &format!("The appId '{unknown}' of the service principal does not reference a valid application object."),
    );
    assert_error(
        &second,
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        &format!("The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use."),
    );
    assert_eq!(no_app_id.status, 400, "{}", no_app_id.body);
    assert_eq!(bad_property.status, 400, "{}", bad_property.body);
    assert_eq!(graph.ids("/v1.0/servicePrincipals").await, before);
}

#[tokio::test]
async fn disabled_principal_gets_no_token_and_tags_filter() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "toggle"}))
        .await;
    let app_id = text(&app, "appId");
    let principal = graph.create_service_principal(&app_id).await;
    let path = format!("/v1.0/servicePrincipals/{}", text(&principal, "id"));
    let secret = text(
        &graph.add_password("applications", &text(&app, "id")).await,
        "secretText",
    );

    let reply = graph
        .patch(&path, json!({"accountEnabled": false, "tags": ["WindowsAzureActiveDirectoryIntegratedApp"], "notes": "n"}))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let refused = graph
        .secret_token(&app_id, &secret, &format!("{app_id}/.default"))
        .await;
    assert_eq!(
        (refused.status, refused.aadsts()),
        (400, 7000112),
        "{}",
        refused.body
    );
    let shown = graph.get(&path).await.body;
    assert_eq!(
        (shown["accountEnabled"].clone(), shown["notes"].clone()),
        (json!(false), json!("n"))
    );
    assert_eq!(
        graph
            .ids(&filter(
                "servicePrincipals",
                "tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp')"
            ))
            .await,
        [text(&principal, "id")]
    );
    assert!(graph
        .ids(&filter("servicePrincipals", "accountEnabled eq false"))
        .await
        .contains(&text(&principal, "id")));

    let bad = graph.patch(&path, json!({"accountEnabled": "yes"})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(graph.get(&path).await.body["accountEnabled"], false);
    graph.patch(&path, json!({"accountEnabled": true})).await;
    let allowed = graph
        .secret_token(&app_id, &secret, &format!("{app_id}/.default"))
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
}

#[tokio::test]
async fn service_principal_secret_authenticates_and_is_shown_without_its_text() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "sp-secret"}))
        .await;
    let app_id = text(&app, "appId");
    let principal = graph.create_service_principal(&app_id).await;
    let id = text(&principal, "id");

    let added = graph.add_password("servicePrincipals", &id).await;
    let secret = text(&added, "secretText");

    let token = graph
        .secret_token(&app_id, &secret, "https://management.azure.com/.default")
        .await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(jwt_part(token.token(), 1)["oid"], id.as_str());
    let shown = graph
        .get(&format!("/v1.0/servicePrincipals/{id}"))
        .await
        .body;
    assert_eq!(shown["passwordCredentials"][0]["keyId"], added["keyId"]);
    assert_eq!(shown["passwordCredentials"][0]["secretText"], Value::Null);
    let removed = graph
        .post(
            &format!("/v1.0/servicePrincipals/{id}/removePassword"),
            json!({"keyId": added["keyId"]}),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let refused = graph
        .secret_token(&app_id, &secret, "https://management.azure.com/.default")
        .await;
    assert_eq!(refused.aadsts(), 7000215, "{}", refused.body);
}

#[tokio::test]
async fn app_role_is_granted_to_a_managed_identity_listed_from_both_ends_and_revoked() {
    let graph = Graph::spawn().await;
    let (_, resource) = resource_api(&graph).await;
    let key = SigningKey::generate("vm1").unwrap();
    let identity = graph.app.create_managed_identity(&key, VM).await;
    let (mi, api) = (text(&identity, "id"), text(&resource, "id"));
    let grant = |role: &str| json!({"principalId": mi, "resourceId": api, "appRoleId": role});

    let created = graph
        .post(
            &format!("/v1.0/servicePrincipals/{mi}/appRoleAssignments"),
            grant(READ_ROLE),
        )
        .await;

    assert_eq!(created.status, 201, "{}", created.body);
    let assignment = created.body.clone();
    assert_eq!(assignment["principalId"], mi.as_str());
    assert_eq!(assignment["principalType"], "ServicePrincipal");
    assert_eq!(assignment["principalDisplayName"], "vm1");
    assert_eq!(assignment["resourceId"], api.as_str());
    assert_eq!(assignment["resourceDisplayName"], "inventory-api");
    assert_eq!(assignment["appRoleId"], READ_ROLE);
    assert_eq!(text(&assignment, "id").len(), 43);
    let held = graph
        .get(&format!("/v1.0/servicePrincipals/{mi}/appRoleAssignments"))
        .await;
    let granted = graph
        .get(&format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo"))
        .await;
    for reply in [&held, &granted] {
        assert_eq!(
            reply.body["value"].as_array().unwrap().len(),
            1,
            "{}",
            reply.body
        );
        assert_eq!(reply.body["value"][0]["id"], assignment["id"]);
    }

    let duplicate = graph
        .post(
            &format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo"),
            grant(READ_ROLE),
        )
        .await;
    assert_error(
        &duplicate,
        400,
        "Request_BadRequest",
        "Permission being assigned already exists on the object.",
    );
    let resource_app_id = text(&resource, "appId");
    for role in [USER_ROLE, "5d4ad3a7-0000-4000-8000-0000000000ff"] {
        let refused = graph
            .post(
                &format!("/v1.0/servicePrincipals/{mi}/appRoleAssignments"),
                grant(role),
            )
            .await;
        assert_error(
            &refused,
            400,
            "Request_BadRequest",
            &format!("Permission being assigned was not found on application '{resource_app_id}'."),
        );
    }
    let wrong_end = graph
        .post(
            &format!("/v1.0/servicePrincipals/{api}/appRoleAssignments"),
            grant(READ_ROLE),
        )
        .await;
    assert_eq!(wrong_end.status, 400, "{}", wrong_end.body);
    let malformed = graph
        .post(
            &format!("/v1.0/servicePrincipals/{mi}/appRoleAssignments"),
            json!({"principalId": mi}),
        )
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    let held = graph
        .get(&format!("/v1.0/servicePrincipals/{mi}/appRoleAssignments"))
        .await;
    assert_eq!(held.body["value"].as_array().unwrap().len(), 1);

    let deleted = graph
        .delete(&format!(
            "/v1.0/servicePrincipals/{mi}/appRoleAssignments/{}",
            text(&assignment, "id")
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let granted = graph
        .get(&format!("/v1.0/servicePrincipals/{api}/appRoleAssignedTo"))
        .await;
    assert_eq!(granted.body["value"], json!([]));
    let again = graph
        .delete(&format!(
            "/v1.0/servicePrincipals/{mi}/appRoleAssignments/{}",
            text(&assignment, "id")
        ))
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
}

#[tokio::test]
async fn managed_identity_principals_refuse_graph_writes() {
    let graph = Graph::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let identity = graph.app.create_managed_identity(&key, VM).await;
    let path = format!("/v1.0/servicePrincipals/{}", text(&identity, "id"));

    let patched = graph.patch(&path, json!({"notes": "x"})).await;
    let deleted = graph.delete(&path).await;
    let secret = graph.post(&format!("{path}/addPassword"), json!({})).await;

    for reply in [&patched, &deleted, &secret] {
        assert_eq!(
            (reply.status, reply.code()),
            (400, "Request_BadRequest"),
            "{}",
            reply.body
        );
    }
    assert_eq!(graph.get(&path).await.body["notes"], Value::Null);
}

#[tokio::test]
async fn delete_service_principal_leaves_the_application_without_a_principal() {
    let graph = Graph::spawn().await;
    let (app, resource) = resource_api(&graph).await;
    let app_id = text(&app, "appId");
    let secret = text(
        &graph.add_password("applications", &text(&app, "id")).await,
        "secretText",
    );
    let id = text(&resource, "id");

    let deleted = graph.delete(&format!("/v1.0/servicePrincipals/{id}")).await;

    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        graph
            .get(&format!("/v1.0/servicePrincipals/{id}"))
            .await
            .status,
        404
    );
    let token = graph
        .secret_token(&app_id, &secret, "api://inventory/.default")
        .await;
    assert_eq!(token.aadsts(), 7000229, "{}", token.body);
    assert_eq!(
        graph
            .get(&format!("/v1.0/applications/{}", text(&app, "id")))
            .await
            .status,
        200
    );
    // A new principal for the same application signs in with the application's secret again.
    graph.create_service_principal(&app_id).await;
    let token = graph
        .secret_token(&app_id, &secret, "api://inventory/.default")
        .await;
    assert_eq!(token.status, 200, "{}", token.body);
}

#[tokio::test]
async fn concurrent_creates_answer_one_success_and_graphs_conflicts_never_500() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "race"}))
        .await;
    let app_id = text(&app, "appId");

    let principals = futures_join(
        (0..8).map(|_| graph.post("/v1.0/servicePrincipals", json!({"appId": app_id}))),
    )
    .await;
    let applications = futures_join((0..8).map(|i| {
        graph.post(
            "/v1.0/applications",
            json!({"displayName": format!("race-{i}"), "identifierUris": ["api://race"]}),
        )
    }))
    .await;

    let statuses = |replies: &[mimic_testkit::Reply]| {
        let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        statuses.sort();
        statuses
    };
    assert_eq!(
        statuses(&principals),
        [201, 409, 409, 409, 409, 409, 409, 409]
    );
    assert_eq!(
        statuses(&applications),
        [201, 400, 400, 400, 400, 400, 400, 400]
    );
    assert_eq!(
        graph
            .ids(&filter(
                "applications",
                "identifierUris/any(x:x eq 'api://race')"
            ))
            .await
            .len(),
        1
    );
}

/// Runs the requests concurrently on this task and collects their replies in order.
async fn futures_join<F: std::future::Future<Output = mimic_testkit::Reply>>(
    requests: impl Iterator<Item = F>,
) -> Vec<mimic_testkit::Reply> {
    let pending: Vec<std::pin::Pin<Box<F>>> = requests.map(Box::pin).collect();
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> = pending.into_iter().map(Some).collect();
    let mut replies: Vec<Option<mimic_testkit::Reply>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (slot, reply) in pending.iter_mut().zip(replies.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *reply = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    replies.into_iter().map(Option::unwrap).collect()
}
