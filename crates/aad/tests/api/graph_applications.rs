//! Graph `applications` over HTTPS: create, list with each filter and paging, get and update by
//! object id and app id, secrets (returned once, stored hashed, accepted at the token endpoint),
//! certificates by `PATCH` (accepted in client assertions), owners, delete — and bad input, which
//! answers Graph's error and changes nothing. Tokens for the new apps have Entra's `aud`.

use mimic_token::SigningKey;
use serde_json::{json, Value};

use crate::helpers::{assertion, jwt_part};
use mimic_testkit::fixture::{DOMAIN, OPERATOR_OBJECT_ID};
use mimic_testkit::{Reply, TestAad};

/// An AAD and a Graph token for the operator (what `mimic az` uses).
pub struct Graph {
    pub app: TestAad,
    pub token: String,
}

impl Graph {
    pub async fn spawn() -> Self {
        let app = TestAad::spawn().await;
        let reply = app
            .operator_token(&format!("{}//.default", app.aad.base))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let token = reply.token().to_string();
        Self { app, token }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.app.aad.get(path, Some(&self.token)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.app.aad.post(path, Some(&self.token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.app.aad.patch(path, Some(&self.token), body).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.app.aad.delete(path, Some(&self.token)).await
    }

    /// A raw body, for bodies that are not JSON.
    pub async fn post_raw(&self, path: &str, body: &str) -> Reply {
        let authorization = format!("Bearer {}", self.token);
        let headers = [
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
        ];
        self.app.aad.raw("POST", path, &headers, body).await
    }

    /// Creates an application; asserts 201.
    pub async fn create_application(&self, body: Value) -> Value {
        let reply = self.post("/v1.0/applications", body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }

    /// Creates the service principal of `app_id`; asserts 201.
    pub async fn create_service_principal(&self, app_id: &str) -> Value {
        let reply = self
            .post(
                "/v1.0/servicePrincipals",
                json!({"appId": app_id, "accountEnabled": true}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }

    /// Adds a secret to the application with object id `id`; returns the answer.
    pub async fn add_password(&self, set: &str, id: &str) -> Value {
        let reply = self
            .post(
                &format!("/v1.0/{set}/{id}/addPassword"),
                json!({"passwordCredential": {"displayName": "rbac"}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// v2 client credentials with a secret.
    pub async fn secret_token(&self, client_id: &str, secret: &str, scope: &str) -> Reply {
        self.app
            .token_v2(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", scope),
            ])
            .await
    }

    /// v1 client credentials with a secret.
    pub async fn secret_token_v1(&self, client_id: &str, secret: &str, resource: &str) -> Reply {
        self.app
            .token_v1(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("resource", resource),
            ])
            .await
    }

    /// The ids of `GET path`'s `value`.
    pub async fn ids(&self, path: &str) -> Vec<String> {
        let reply = self.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_string())
            .collect()
    }
}

pub fn text(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_default().to_string()
}

/// `$filter`, encoded as az encodes it.
pub fn filter(set: &str, clause: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(clause.as_bytes()).collect();
    format!("/v1.0/{set}?$filter={encoded}")
}

fn assert_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.code(), code, "{}", reply.body);
    assert_eq!(reply.message(), message, "{}", reply.body);
}

#[tokio::test]
async fn create_application_returns_graphs_shape_and_each_filter_finds_it() {
    let graph = Graph::spawn().await;

    let app = graph
        .create_application(
            json!({"displayName": "billing-api", "identifierUris": ["api://billing"]}),
        )
        .await;

    assert_eq!(
        app["@odata.context"],
        format!("{}/v1.0/$metadata#applications/$entity", graph.app.aad.base)
    );
    assert!(uuid::Uuid::parse_str(&text(&app, "appId")).is_ok());
    assert_eq!(app["publisherDomain"], DOMAIN);
    assert_eq!(app["signInAudience"], "AzureADandPersonalMicrosoftAccount");
    assert_eq!(app["api"]["requestedAccessTokenVersion"], 2);
    assert_eq!(app["identifierUris"], json!(["api://billing"]));
    assert_eq!(app["passwordCredentials"], json!([]));
    assert_eq!(
        app["web"]["implicitGrantSettings"]["enableIdTokenIssuance"],
        false
    );
    let (id, app_id) = (text(&app, "id"), text(&app, "appId"));
    let other = graph
        .create_application(json!({"displayName": "billing-worker"}))
        .await;
    let cases = [
        (format!("appId eq '{app_id}'"), vec![id.clone()]),
        (
            format!("appId eq '{}'", app_id.to_uppercase()),
            vec![id.clone()],
        ),
        ("displayName eq 'BILLING-API'".to_string(), vec![id.clone()]),
        (
            "identifierUris/any(s:s eq 'api://billing')".to_string(),
            vec![id.clone()],
        ),
        (
            "identifierUris/any(s:s eq 'api://nothing')".to_string(),
            vec![],
        ),
    ];
    for (clause, want) in cases {
        assert_eq!(
            graph.ids(&filter("applications", &clause)).await,
            want,
            "{clause}"
        );
    }
    let mut both = graph
        .ids(&filter("applications", "startswith(displayName,'billing')"))
        .await;
    both.sort();
    let mut want = vec![id.clone(), text(&other, "id")];
    want.sort();
    assert_eq!(both, want);
    for path in [
        format!("/v1.0/applications/{id}"),
        format!("/beta/applications(appId='{app_id}')"),
    ] {
        let reply = graph.get(&path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.body["id"], id.as_str(), "{path}");
    }
    let selected = graph
        .get(&format!(
            "/v1.0/applications/{id}?$select=appId,displayName"
        ))
        .await;
    assert_eq!(
        selected.body,
        json!({"@odata.context": format!("{}/v1.0/$metadata#applications(appId,displayName)/$entity", graph.app.aad.base),
               "id": id, "appId": app_id, "displayName": "billing-api"})
    );
}

#[tokio::test]
async fn list_applications_pages_with_top_and_the_next_link() {
    let graph = Graph::spawn().await;
    let mut created = Vec::new();
    for name in ["a", "b", "c"] {
        created.push(text(
            &graph.create_application(json!({"displayName": name})).await,
            "id",
        ));
    }
    created.sort();

    let first = graph.get("/v1.0/applications?$top=2").await;
    let next = first.body["@odata.nextLink"].as_str().unwrap().to_string();
    let second = graph
        .get(next.strip_prefix(&graph.app.aad.base).unwrap())
        .await;

    let ids = |reply: &Reply| -> Vec<String> {
        reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| text(a, "id"))
            .collect()
    };
    assert_eq!(ids(&first), created[..2]);
    assert_eq!(ids(&second), created[2..]);
    assert!(second.body.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn duplicate_identifier_uris_answer_graphs_error_and_change_nothing() {
    let graph = Graph::spawn().await;
    let first = graph
        .create_application(json!({"displayName": "one", "identifierUris": ["api://shared"]}))
        .await;
    let second = graph
        .create_application(json!({"displayName": "two", "identifierUris": ["api://two"]}))
        .await;
    let conflict = "Another object with the same value for property identifierUris already exists.";

    let created = graph
        .post(
            "/v1.0/applications",
            json!({"displayName": "three", "identifierUris": ["API://SHARED"]}),
        )
        .await;
    let patched = graph
        .patch(
            &format!("/v1.0/applications/{}", text(&second, "id")),
            json!({"displayName": "renamed", "identifierUris": ["api://two", "api://shared"]}),
        )
        .await;

    assert_error(&created, 400, "Request_BadRequest", conflict);
    assert_error(&patched, 400, "Request_BadRequest", conflict);
    assert_eq!(graph.ids("/v1.0/applications").await.len(), 2);
    let second = graph
        .get(&format!("/v1.0/applications/{}", text(&second, "id")))
        .await;
    assert_eq!(second.body["displayName"], "two");
    assert_eq!(second.body["identifierUris"], json!(["api://two"]));
    let first = graph
        .get(&format!("/v1.0/applications/{}", text(&first, "id")))
        .await;
    assert_eq!(first.body["identifierUris"], json!(["api://shared"]));
}

#[tokio::test]
async fn malformed_bodies_answer_graphs_errors_and_change_nothing() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "keep", "tags": ["t"]}))
        .await;
    let path = format!("/v1.0/applications/{}", text(&app, "id"));
    let unreadable = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";
    let creates = [
        (json!([1]), 400, "BadRequest", unreadable.to_string()),
        (json!({"tags": ["x"]}), 400, "Request_BadRequest",
         "Invalid value specified for property 'displayName' of resource 'Application'.".to_string()),
        (json!({"displayName": "x", "nope": 1}), 400, "BadRequest",
         "The property 'nope' does not exist on type 'microsoft.graph.application'. Make sure to only use property names that are defined by the type or mark the type as open type.".to_string()),
        (json!({"displayName": "x", "api": {"nope": 1}}), 400, "BadRequest", unreadable.to_string()),
        (json!({"displayName": "x", "identifierUris": ["no scheme"]}), 400, "Request_BadRequest",
         "Invalid value specified for property 'identifierUris' of resource 'Application'.".to_string()),
        (json!({"displayName": "x", "appRoles": [{"id": "not-a-guid", "allowedMemberTypes": ["Application"]}]}),
         400, "Request_BadRequest", "Invalid value specified for property 'appRoles' of resource 'Application'.".to_string()),
        (json!({"displayName": "x", "keyCredentials": [{"key": "bm90IGEgY2VydA==", "type": "AsymmetricX509Cert", "usage": "Verify"}]}),
         400, "Request_BadRequest", "Invalid certificate: Key value is invalid certificate".to_string()),
    ];
    for (body, status, code, message) in creates {
        let reply = graph.post("/v1.0/applications", body.clone()).await;
        assert_error(&reply, status, code, &message);
        // Every case but the missing display name is invalid as an update too.
        if body.get("displayName").is_some() || !body.is_object() {
            let reply = graph.patch(&path, body.clone()).await;
            assert_eq!(reply.status, status, "PATCH {body}: {}", reply.body);
        }
    }
    let not_json = graph.post_raw("/v1.0/applications", "{not json").await;
    assert_error(&not_json, 400, "BadRequest", unreadable);

    assert_eq!(graph.ids("/v1.0/applications").await, [text(&app, "id")]);
    let after = graph.get(&path).await;
    assert_eq!(after.body["displayName"], "keep");
    assert_eq!(after.body["tags"], json!(["t"]));
    assert_eq!(after.body["keyCredentials"], json!([]));
    let unknown = graph
        .get("/v1.0/applications/0badc0de-0000-4000-8000-000000000000")
        .await;
    assert_error(
        &unknown,
        404,
        "Request_ResourceNotFound",
        "Resource '0badc0de-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.",
    );
}

#[tokio::test]
async fn patch_merges_api_replaces_collections_and_keeps_the_rest() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "api"}))
        .await;
    let path = format!("/v1.0/applications/{}", text(&app, "id"));
    let role = json!({"id": "5d4ad3a7-0000-4000-8000-000000000001", "allowedMemberTypes": ["Application"],
        "description": "Read", "displayName": "Read", "isEnabled": true, "value": "Data.Read"});
    let scope = json!({"id": "5d4ad3a7-0000-4000-8000-000000000002", "adminConsentDescription": "d",
        "adminConsentDisplayName": "n", "isEnabled": true, "type": "User", "value": "user_impersonation"});
    let access = json!([{"resourceAppId": "00000003-0000-0000-c000-000000000000",
        "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}]);

    let reply = graph
        .patch(
            &path,
            json!({"appRoles": [role], "api": {"oauth2PermissionScopes": [scope]},
                   "requiredResourceAccess": access, "notes": "n"}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    graph
        .patch(&path, json!({"api": {"requestedAccessTokenVersion": 1}}))
        .await;

    let after = graph.get(&path).await.body;
    assert_eq!(after["appRoles"][0]["value"], "Data.Read");
    assert_eq!(
        after["api"]["oauth2PermissionScopes"][0]["value"],
        "user_impersonation"
    );
    assert_eq!(after["api"]["requestedAccessTokenVersion"], 1);
    assert_eq!(after["requiredResourceAccess"], access);
    assert_eq!(after["notes"], "n");
    assert_eq!(after["displayName"], "api");
}

#[tokio::test]
async fn add_password_returns_the_secret_once_and_tokens_get_entras_audience() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "api", "identifierUris": ["api://orders"]}))
        .await;
    let (id, app_id) = (text(&app, "id"), text(&app, "appId"));

    let added = graph.add_password("applications", &id).await;
    let secret = text(&added, "secretText");

    assert_eq!(secret.len(), 40);
    assert_eq!(added["hint"], &secret[..3]);
    assert_eq!(added["displayName"], "rbac");
    assert_eq!(
        added["@odata.context"],
        format!(
            "{}/v1.0/$metadata#microsoft.graph.passwordCredential",
            graph.app.aad.base
        )
    );
    for path in [
        format!("/v1.0/applications/{id}"),
        format!("/v1.0/applications/{id}?$select=passwordCredentials"),
    ] {
        let shown = graph.get(&path).await.body;
        let credential = &shown["passwordCredentials"][0];
        assert_eq!(credential["keyId"], added["keyId"], "{path}");
        assert_eq!(credential["secretText"], Value::Null, "{path}");
        assert_eq!(credential["hint"], &secret[..3]);
    }
    // No service principal yet: Entra's AADSTS7000229.
    let early = graph
        .secret_token(&app_id, &secret, "api://orders/.default")
        .await;
    assert_eq!(
        (early.status, early.aadsts()),
        (401, 7000229),
        "{}",
        early.body
    );

    graph.create_service_principal(&app_id).await;
    // The API accepts v2 tokens (Graph's default): `aud` is its app id, however it was named.
    for reply in [
        graph
            .secret_token(&app_id, &secret, "api://orders/.default")
            .await,
        graph
            .secret_token_v1(&app_id, &secret, "api://orders")
            .await,
        graph.secret_token_v1(&app_id, &secret, &app_id).await,
    ] {
        assert_eq!(reply.status, 200, "{}", reply.body);
        let claims = jwt_part(reply.token(), 1);
        assert_eq!(claims["aud"], app_id.as_str());
        assert_eq!(claims["appid"], app_id.as_str());
        assert_eq!(claims["appidacr"], "1");
    }
    // An API that accepts v1 tokens is addressed by the resource as requested.
    graph
        .patch(
            &format!("/v1.0/applications/{id}"),
            json!({"api": {"requestedAccessTokenVersion": null}}),
        )
        .await;
    let v1 = graph
        .secret_token_v1(&app_id, &secret, "api://orders")
        .await;
    assert_eq!(jwt_part(v1.token(), 1)["aud"], "api://orders");
    assert_eq!(v1.body["resource"], "api://orders");
    let v2 = graph
        .secret_token(&app_id, &secret, &format!("{app_id}/.default"))
        .await;
    assert_eq!(jwt_part(v2.token(), 1)["aud"], app_id.as_str());
    // Existing audiences are untouched.
    let arm = graph
        .secret_token(&app_id, &secret, "https://management.azure.com/.default")
        .await;
    assert_eq!(
        jwt_part(arm.token(), 1)["aud"],
        "https://management.azure.com"
    );

    let removed = graph
        .post(
            &format!("/v1.0/applications/{id}/removePassword"),
            json!({"keyId": added["keyId"]}),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let refused = graph
        .secret_token(&app_id, &secret, "api://orders/.default")
        .await;
    assert_eq!(refused.aadsts(), 7000215, "{}", refused.body);
    let again = graph
        .post(
            &format!("/v1.0/applications/{id}/removePassword"),
            json!({"keyId": added["keyId"]}),
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.body);
}

#[tokio::test]
async fn secrets_are_never_stored_in_clear() {
    let graph = Graph::spawn().await;
    let app = graph.create_application(json!({"displayName": "s"})).await;
    let secret = text(
        &graph.add_password("applications", &text(&app, "id")).await,
        "secretText",
    );
    graph.create_service_principal(&text(&app, "appId")).await;
    let sp_secret = text(
        &graph
            .add_password(
                "servicePrincipals",
                &graph
                    .ids(&filter(
                        "servicePrincipals",
                        &format!("appId eq '{}'", text(&app, "appId")),
                    ))
                    .await[0],
            )
            .await,
        "secretText",
    );

    let (dir, _, _) = graph.app.stop().await;

    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            for needle in [&secret, &sp_secret] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds a secret in clear",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test]
async fn patched_key_credential_signs_client_assertions_until_removed() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "cert"}))
        .await;
    let (id, app_id) = (text(&app, "id"), text(&app, "appId"));
    graph.create_service_principal(&app_id).await;
    let key = SigningKey::generate("CN=CLI-Login").unwrap();
    let path = format!("/v1.0/applications/{id}");

    let reply = graph
        .patch(
            &path,
            json!({"keyCredentials": [{"@odata.type": "#microsoft.graph.keyCredential", "key": key.certificate_base64(),
                "type": "AsymmetricX509Cert", "usage": "Verify", "displayName": null}]}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);

    let shown = graph.get(&path).await.body;
    let credential = shown["keyCredentials"][0].clone();
    assert_eq!(credential["type"], "AsymmetricX509Cert");
    assert_eq!(credential["key"], Value::Null);
    assert_eq!(
        credential["customKeyIdentifier"].as_str().unwrap().len(),
        40
    );
    let now = graph.app.clock.now();
    let signed = assertion(&key, &app_id, &graph.app.token_url_v1(), now, None);
    let token = graph.app.assertion_token(&app_id, &signed, &app_id).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(jwt_part(token.token(), 1)["appidacr"], "2");

    // az's credential append: the existing entry comes back without its key and is kept.
    let second = SigningKey::generate("CN=second").unwrap();
    let kept = graph
        .patch(
            &path,
            json!({"keyCredentials": [credential, {"key": second.certificate_base64(), "type": "AsymmetricX509Cert", "usage": "Verify"}]}),
        )
        .await;
    assert_eq!(kept.status, 204, "{}", kept.body);
    assert_eq!(
        graph.get(&path).await.body["keyCredentials"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let unknown = graph
        .patch(
            &path,
            json!({"keyCredentials": [{"keyId": "0badc0de-0000-4000-8000-000000000000"}]}),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert_eq!(
        graph.get(&path).await.body["keyCredentials"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    graph.patch(&path, json!({"keyCredentials": []})).await;
    let signed = assertion(&key, &app_id, &graph.app.token_url_v1(), now, None);
    let refused = graph.app.assertion_token(&app_id, &signed, &app_id).await;
    assert_eq!(refused.aadsts(), 700027, "{}", refused.body);
}

#[tokio::test]
async fn owners_are_added_listed_and_removed_once() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "owned"}))
        .await;
    let owners = format!("/v1.0/applications/{}/owners", text(&app, "id"));
    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{OPERATOR_OBJECT_ID}")});

    let added = graph
        .post(&format!("{owners}/$ref"), reference.clone())
        .await;
    let twice = graph.post(&format!("{owners}/$ref"), reference).await;
    let listed = graph.get(&owners).await;
    let nobody = graph
        .post(
            &format!("{owners}/$ref"),
            json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/0badc0de-0000-4000-8000-000000000000"}),
        )
        .await;

    assert_eq!(added.status, 204, "{}", added.body);
    assert_error(
        &twice,
        400,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: 'owners'.",
    );
    assert_eq!(listed.body["value"][0]["id"], OPERATOR_OBJECT_ID);
    assert_eq!(
        listed.body["value"][0]["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(nobody.status, 404, "{}", nobody.body);
    let removed = graph
        .delete(&format!("{owners}/{OPERATOR_OBJECT_ID}/$ref"))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let again = graph
        .delete(&format!("{owners}/{OPERATOR_OBJECT_ID}/$ref"))
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert_eq!(graph.get(&owners).await.body["value"], json!([]));
}

#[tokio::test]
async fn delete_application_removes_it_and_its_service_principal() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "gone"}))
        .await;
    let (id, app_id) = (text(&app, "id"), text(&app, "appId"));
    let principal = graph.create_service_principal(&app_id).await;
    let secret = text(&graph.add_password("applications", &id).await, "secretText");

    let deleted = graph
        .delete(&format!("/v1.0/applications(appId='{app_id}')"))
        .await;

    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(
        graph.get(&format!("/v1.0/applications/{id}")).await.status,
        404
    );
    let sp = graph
        .get(&format!(
            "/v1.0/servicePrincipals/{}",
            text(&principal, "id")
        ))
        .await;
    assert_eq!(sp.status, 404);
    let token = graph
        .secret_token(&app_id, &secret, &format!("{app_id}/.default"))
        .await;
    assert_eq!(token.aadsts(), 700016, "{}", token.body);
    assert_eq!(
        graph
            .delete(&format!("/v1.0/applications/{id}"))
            .await
            .status,
        404
    );
}
