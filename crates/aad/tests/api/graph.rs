//! Microsoft Graph (`/v1.0`, `/beta`) served by AAD: tokens for the graph resource id, the
//! service-principal, user, directory-object and organization reads az needs, and Graph's error
//! envelope for every failure.

use mimic_token::SigningKey;
use serde_json::{json, Value};

use crate::helpers::assertion;
use mimic_testkit::fixture::{ARM_CORE, DOMAIN, OPERATOR_APP_ID, OPERATOR_OBJECT_ID, TENANT};
use mimic_testkit::{Reply, TestAad};

const VM: &str =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const UNKNOWN_ID: &str = "0badc0de-0000-4000-8000-000000000000";

/// Asserts the whole body is Graph's error envelope for this request.
fn assert_graph_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.content_type(), "application/json");
    let date = reply.body["error"]["innerError"]["date"]
        .as_str()
        .unwrap_or_default();
    assert!(
        chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "date '{date}'"
    );
    let request_id = reply.header("request-id");
    assert!(uuid::Uuid::parse_str(request_id).is_ok());
    assert_eq!(
        reply.body,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": date, "request-id": request_id, "client-request-id": reply.header("client-request-id"),
        }}})
    );
}

/// An AAD with a managed identity for [`VM`], and a Graph token for the operator.
struct Graph {
    app: TestAad,
    token: String,
    managed_identity: Value,
}

impl Graph {
    async fn spawn() -> Self {
        let app = TestAad::spawn().await;
        let key = SigningKey::generate("vm1").unwrap();
        let managed_identity = app.create_managed_identity(&key, VM).await;
        let token = graph_token(&app).await;
        Self {
            app,
            token,
            managed_identity,
        }
    }

    fn resource_id(&self) -> String {
        format!("{}/", self.app.aad.base)
    }

    fn mi(&self, field: &str) -> String {
        self.managed_identity[field].as_str().unwrap().to_string()
    }

    async fn get(&self, path: &str) -> Reply {
        self.get_with(path, Some(&self.token)).await
    }

    async fn get_with(&self, path: &str, token: Option<&str>) -> Reply {
        self.app.aad.get(path, token).await
    }

    async fn get_by_ids(&self, body: &Value) -> Reply {
        let path = "/v1.0/directoryObjects/getByIds";
        self.app
            .aad
            .post(path, Some(&self.token), Some(body.clone()))
            .await
    }
}

/// az's request: client credentials for scope `{graph resource id}/.default`.
async fn graph_token(app: &TestAad) -> String {
    let reply = app
        .operator_token(&format!("{}//.default", app.aad.base))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.token().to_string()
}

/// az's encoding of `servicePrincipalNames/any(c:c eq '<x>')`.
fn by_name(name: &str) -> String {
    let value: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/v1.0/servicePrincipals?$filter=servicePrincipalNames%2Fany%28c%3Ac%20eq%20%27{value}%27%29")
}

fn ids(body: &Value) -> Vec<&str> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn graph_token_has_the_graph_resource_id_as_audience() {
    let app = TestAad::spawn().await;
    let jwks = app.jwks().await;

    let token = graph_token(&app).await;

    let claims = crate::helpers::verify(&token, &jwks, &format!("{}/", app.aad.base)).unwrap();
    assert_eq!(claims.aud, format!("{}/", app.aad.base));
}

#[tokio::test]
async fn list_by_service_principal_name_finds_the_app_and_the_managed_identity() {
    let graph = Graph::spawn().await;
    let cases = [
        (OPERATOR_APP_ID.to_string(), OPERATOR_OBJECT_ID.to_string()),
        (graph.mi("appId"), graph.mi("id")),
        (VM.to_string(), graph.mi("id")),
        (VM.to_ascii_lowercase(), graph.mi("id")),
        (UNKNOWN_ID.to_string(), String::new()),
    ];
    for (name, want) in cases {
        let reply = graph.get(&by_name(&name)).await;

        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(reply.content_type(), ODATA_JSON);
        let want: Vec<&str> = [want.as_str()]
            .into_iter()
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(ids(&reply.body), want, "{name}");
        assert_eq!(
            reply.body["@odata.context"],
            format!("{}/v1.0/$metadata#servicePrincipals", graph.app.aad.base)
        );
        assert!(reply.body.get("@odata.nextLink").is_none());
    }
}

#[tokio::test]
async fn managed_identity_service_principal_has_graphs_shape_and_no_key_material() {
    let graph = Graph::spawn().await;

    let reply = graph.get(&by_name(VM)).await;

    let principal = &reply.body["value"][0];
    let key = &principal["keyCredentials"][0];
    let thumbprint = key["customKeyIdentifier"].as_str().unwrap();
    assert_eq!(thumbprint.len(), 40, "SHA-1, hex");
    assert!(thumbprint
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    let created = principal["createdDateTime"].as_str().unwrap();
    let identity = json!({
        "id": graph.mi("id"), "deletedDateTime": null, "accountEnabled": true,
        "alternativeNames": ["isExplicit=False", VM], "appDisplayName": null, "appDescription": null,
        "appId": graph.mi("appId"), "applicationTemplateId": null,
        "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "appRoleAssignmentRequired": false, "createdDateTime": created, "description": null,
        "disabledByMicrosoftStatus": null, "displayName": "vm1", "homepage": null, "loginUrl": null,
        "logoutUrl": null, "notes": null, "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": null, "preferredTokenSigningKeyThumbprint": null, "replyUrls": [],
    });
    let rest = json!({
        "servicePrincipalNames": [graph.mi("appId"), VM], "servicePrincipalType": "ManagedIdentity",
        "signInAudience": null, "tags": [], "tokenEncryptionKeyId": null,
        "samlSingleSignOnSettings": null, "addIns": [], "appRoles": [],
        "info": {"logoUrl": null, "marketingUrl": null, "privacyStatementUrl": null, "supportUrl": null, "termsOfServiceUrl": null},
        "keyCredentials": [{
            "customKeyIdentifier": thumbprint, "displayName": key["displayName"],
            "endDateTime": key["endDateTime"], "key": null, "keyId": key["keyId"],
            "startDateTime": key["startDateTime"], "type": "AsymmetricX509Cert", "usage": "Verify",
        }],
        "oauth2PermissionScopes": [], "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {"displayName": null, "verifiedPublisherId": null, "addedDateTime": null},
    });
    let mut want = identity.as_object().unwrap().clone();
    want.extend(rest.as_object().unwrap().clone());
    assert_eq!(*principal, Value::Object(want));
    assert!(uuid::Uuid::parse_str(key["keyId"].as_str().unwrap()).is_ok());
    assert!(key["startDateTime"].as_str().unwrap() < key["endDateTime"].as_str().unwrap());
    assert!(!reply.body.to_string().contains("BEGIN CERTIFICATE"));
}

#[tokio::test]
async fn application_service_principal_lists_secret_metadata_but_never_the_secret() {
    let graph = Graph::spawn().await;

    let reply = graph
        .get(&format!(
            "/v1.0/servicePrincipals(appId='{OPERATOR_APP_ID}')"
        ))
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["servicePrincipalType"], "Application");
    assert_eq!(body["servicePrincipalNames"], json!([OPERATOR_APP_ID]));
    assert_eq!(body["appOwnerOrganizationId"], TENANT);
    assert_eq!(body["appDisplayName"], "mimic-operator");
    assert_eq!(body["signInAudience"], "AzureADMyOrg");
    let secret = &body["passwordCredentials"][0];
    assert_eq!(
        *secret,
        json!({
            "customKeyIdentifier": null, "displayName": null, "endDateTime": "9999-12-31T23:59:59Z",
            "hint": null, "keyId": secret["keyId"], "secretText": null,
            "startDateTime": body["createdDateTime"],
        })
    );
    assert!(!body
        .to_string()
        .contains(mimic_testkit::fixture::OPERATOR_SECRET));
}

#[tokio::test]
async fn get_service_principal_by_id_or_app_id_returns_the_entity_with_its_context() {
    let graph = Graph::spawn().await;
    let cases = [
        format!("/v1.0/servicePrincipals/{}", graph.mi("id")),
        format!(
            "/v1.0/servicePrincipals/{}",
            graph.mi("id").to_ascii_uppercase()
        ),
        format!("/v1.0/servicePrincipals(appId='{}')", graph.mi("appId")),
        format!("/v1.0/servicePrincipals(appId=%27{}%27)", graph.mi("appId")),
    ];
    let listed = graph.get(&by_name(VM)).await.body["value"][0].clone();
    for path in cases {
        let reply = graph.get(&path).await;

        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let mut want = listed.clone();
        want["@odata.context"] = json!(format!(
            "{}/v1.0/$metadata#servicePrincipals/$entity",
            graph.app.aad.base
        ));
        assert_eq!(reply.body, want, "{path}");
    }
}

#[tokio::test]
async fn beta_serves_the_same_operations_with_its_own_context() {
    let graph = Graph::spawn().await;

    let reply = graph
        .get(&format!(
            "/beta/servicePrincipals/{}?$select=id,appId",
            graph.mi("id")
        ))
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({
            "@odata.context": format!("{}/beta/$metadata#servicePrincipals(id,appId)/$entity", graph.app.aad.base),
            "id": graph.mi("id"), "appId": graph.mi("appId"),
        })
    );
}

#[tokio::test]
async fn list_filters_by_app_id_display_name_and_prefix() {
    let graph = Graph::spawn().await;
    let mi = graph.mi("id");
    let cases = [
        (
            format!("appId eq '{}'", graph.mi("appId")),
            vec![mi.as_str()],
        ),
        ("displayName eq 'VM1'".to_string(), vec![mi.as_str()]),
        (
            "startswith(displayName,'mimic-')".to_string(),
            vec![OPERATOR_OBJECT_ID],
        ),
        ("startswith(displayName,'%')".to_string(), vec![]),
        (
            "servicePrincipalType eq 'ManagedIdentity'".to_string(),
            vec![mi.as_str()],
        ),
        (
            format!("alternativeNames/any(n:n eq '{VM}')"),
            vec![mi.as_str()],
        ),
    ];
    for (filter, want) in cases {
        let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();

        let reply = graph
            .get(&format!("/v1.0/servicePrincipals?$filter={encoded}"))
            .await;

        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        assert_eq!(ids(&reply.body), want, "{filter}");
    }
}

#[tokio::test]
async fn list_pages_with_top_and_follows_next_links() {
    let graph = Graph::spawn().await;
    for name in ["a", "b", "c"] {
        let reply = graph
            .app
            .create_principal(&json!({"displayName": name}))
            .await;
        assert_eq!(reply.status, 201);
    }
    let everything = graph.get("/v1.0/servicePrincipals").await.body;
    let mut want: Vec<String> = ids(&everything).iter().map(|id| id.to_string()).collect();
    want.sort();

    let mut seen = Vec::new();
    let mut next = Some(format!(
        "{}/v1.0/servicePrincipals?$top=2",
        graph.app.aad.base
    ));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let page = graph
            .get(url.strip_prefix(&graph.app.aad.base).unwrap())
            .await
            .body;
        seen.extend(ids(&page).iter().map(|id| id.to_string()));
        next = page["@odata.nextLink"].as_str().map(str::to_string);
        pages += 1;
        assert!(pages <= 5, "too many pages");
    }

    // The operator, the managed identity, the three new ones and Microsoft's four first-party
    // principals.
    assert_eq!(want.len(), 9);
    assert_eq!(seen, want);
    assert_eq!(pages, 5);
}

#[tokio::test]
async fn get_by_ids_returns_typed_objects_in_order_and_omits_unknown_ids() {
    let graph = Graph::spawn().await;
    let all_types = [
        "user",
        "group",
        "servicePrincipal",
        "directoryObjectPartnerReference",
    ];

    let reply = graph
        .get_by_ids(
            &json!({"ids": [graph.mi("id"), UNKNOWN_ID, OPERATOR_OBJECT_ID], "types": all_types}),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", graph.app.aad.base)
    );
    assert_eq!(
        ids(&reply.body),
        [graph.mi("id").as_str(), OPERATOR_OBJECT_ID]
    );
    for item in reply.body["value"].as_array().unwrap() {
        assert_eq!(item["@odata.type"], "#microsoft.graph.servicePrincipal");
    }
    assert_eq!(
        reply.body["value"][0]["servicePrincipalNames"][0],
        graph.mi("appId")
    );
    assert_eq!(reply.body["value"][1]["displayName"], "mimic-operator");
}

#[tokio::test]
async fn get_by_ids_respects_types() {
    let graph = Graph::spawn().await;
    let cases = [
        (json!(["user", "group"]), 0),
        (json!(["ServicePrincipal"]), 1),
        (json!([]), 1),
    ];
    for (types, count) in cases {
        let reply = graph
            .get_by_ids(&json!({"ids": [graph.mi("id")], "types": types}))
            .await;

        assert_eq!(reply.status, 200, "{types}: {}", reply.body);
        assert_eq!(
            reply.body["value"].as_array().unwrap().len(),
            count,
            "{types}"
        );
    }
}

#[tokio::test]
async fn get_by_ids_with_select_keeps_type_id_and_the_selected_properties() {
    let graph = Graph::spawn().await;
    let request = graph
        .app
        .aad
        .http
        .post(format!(
            "{}/v1.0/directoryObjects/getByIds?$select=displayName",
            graph.app.aad.base
        ))
        .bearer_auth(&graph.token)
        .json(&json!({"ids": [OPERATOR_OBJECT_ID]}));

    let reply = graph.app.aad.send(request).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#directoryObjects(displayName)", graph.app.aad.base),
            "value": [{"@odata.type": "#microsoft.graph.servicePrincipal", "id": OPERATOR_OBJECT_ID, "displayName": "mimic-operator"}],
        })
    );
}

#[tokio::test]
async fn get_by_ids_rejects_bad_bodies_with_graphs_envelope() {
    let graph = Graph::spawn().await;
    let cases = [
        (json!("not an object"), "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."),
        (json!({"ids": []}), "Request_BadRequest", "The 'ids' property is required and must not be empty."),
        (json!({"ids": [OPERATOR_OBJECT_ID, "not-a-guid"]}), "Request_BadRequest", "Invalid GUID specified."),
        (json!({"ids": [OPERATOR_OBJECT_ID], "types": ["robot"]}), "Request_BadRequest", "Invalid value specified for property 'types' of resource 'DirectoryObject': 'robot'."),
    ];
    for (body, code, message) in cases {
        let reply = graph.get_by_ids(&body).await;

        assert_graph_error(&reply, 400, code, message);
    }
}

#[tokio::test]
async fn users_filter_by_user_principal_name_returns_an_empty_list() {
    let graph = Graph::spawn().await;

    let reply = graph
        .get("/v1.0/users?$filter=userPrincipalName%20eq%20%27someone%40mimic.onmicrosoft.com%27")
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"@odata.context": format!("{}/v1.0/$metadata#users", graph.app.aad.base), "value": []})
    );
}

#[tokio::test]
async fn missing_objects_return_404_in_graphs_envelope() {
    let graph = Graph::spawn().await;
    let mi = graph.mi("id");
    let upper = UNKNOWN_ID.to_ascii_uppercase();
    let cases = [
        (format!("/v1.0/servicePrincipals/{UNKNOWN_ID}"), UNKNOWN_ID),
        (format!("/v1.0/servicePrincipals/{upper}"), upper.as_str()),
        (
            format!("/v1.0/servicePrincipals(appId='{UNKNOWN_ID}')"),
            UNKNOWN_ID,
        ),
        (format!("/v1.0/users/{UNKNOWN_ID}"), UNKNOWN_ID),
        (format!("/v1.0/directoryObjects/{UNKNOWN_ID}"), UNKNOWN_ID),
        (format!("/v1.0/users/{mi}"), mi.as_str()),
    ];
    for (path, id) in cases {
        let reply = graph.get(&path).await;

        assert_graph_error(&reply,
            404,
            "Request_ResourceNotFound",
            &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        );
    }
}

#[tokio::test]
async fn client_request_id_is_echoed_in_the_header_and_the_envelope() {
    let graph = Graph::spawn().await;

    let request = graph
        .app
        .aad
        .http
        .get(
            graph
                .app
                .aad
                .url(&format!("/v1.0/servicePrincipals/{UNKNOWN_ID}")),
        )
        .bearer_auth(&graph.token)
        .header("client-request-id", "7c8e6f3a-0000-4000-8000-00000000abcd");
    let reply = graph.app.aad.send(request).await;

    let client_request_id = reply.header("client-request-id");
    assert_eq!(client_request_id, "7c8e6f3a-0000-4000-8000-00000000abcd");
    assert_ne!(reply.header("request-id"), client_request_id);
    assert_eq!(
        reply.body["error"]["innerError"]["client-request-id"],
        client_request_id
    );
}

#[tokio::test]
async fn requests_without_a_valid_graph_token_get_401_invalid_authentication_token() {
    let graph = Graph::spawn().await;
    let arm_token = graph
        .app
        .operator_token("https://management.core.windows.net//.default")
        .await;
    assert_eq!(
        crate::helpers::verify(arm_token.token(), &graph.app.jwks().await, ARM_CORE)
            .unwrap()
            .aud,
        ARM_CORE
    );
    let mut forged = graph.token.clone().into_bytes();
    let index = forged.len() - 20;
    forged[index] = if forged[index] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let cases = [
        (None, "Access token is empty."),
        (Some(""), "Access token is empty."),
        (
            Some("not-a-jwt"),
            "CompactToken parsing failed with error code: 80049217",
        ),
        (
            Some(arm_token.token()),
            "Access token validation failure. Invalid audience.",
        ),
        (Some(forged.as_str()), "Signature is invalid."),
    ];
    for (token, message) in cases {
        let reply = graph.get_with("/v1.0/servicePrincipals", token).await;

        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", message);
    }
}

#[tokio::test]
async fn an_expired_graph_token_gets_401_lifetime_validation_failed() {
    let graph = Graph::spawn().await;
    graph.app.clock.advance(3599 + 301);

    let reply = graph.get("/v1.0/servicePrincipals").await;

    assert_graph_error(
        &reply,
        401,
        "InvalidAuthenticationToken",
        "Lifetime validation failed, the token is expired.",
    );
}

#[tokio::test]
async fn a_managed_identity_reads_the_directory_only_with_a_token_issued_after_a_grant() {
    let graph = Graph::spawn().await;
    let app = &graph.app;
    let key = SigningKey::generate("vm2").unwrap();
    let vm2 = VM.replace("vm1", "vm2");
    let identity = app.create_managed_identity(&key, &vm2).await;
    let client_id = identity["appId"].as_str().unwrap();
    let token = || async {
        let assertion = assertion(&key, client_id, &app.token_url_v1(), app.clock.now(), None);
        let reply = app
            .assertion_token(client_id, &assertion, &graph.resource_id())
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.token().to_string()
    };
    let before = token().await;
    let denied = graph.get_with(&by_name(&vm2), Some(&before)).await;
    assert_graph_error(
        &denied,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    );

    let graph_sp = graph
        .get("/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')")
        .await;
    let graph_sp = graph_sp.body["id"].as_str().unwrap().to_string();
    let granted = app
        .aad
        .post(
            &format!("/v1.0/servicePrincipals/{graph_sp}/appRoleAssignedTo"),
            Some(&graph.token),
            Some(
                json!({"principalId": identity["id"], "resourceId": graph_sp,
                        "appRoleId": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"}),
            ),
        )
        .await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    let still_denied = graph.get_with(&by_name(&vm2), Some(&before)).await;
    let after = token().await;
    let reply = graph.get_with(&by_name(&vm2), Some(&after)).await;

    assert_eq!(still_denied.status, 403, "{}", still_denied.body);
    assert_eq!(
        crate::helpers::jwt_part(&after, 1)["roles"],
        json!(["Application.Read.All"])
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(ids(&reply.body), [identity["id"].as_str().unwrap()]);
}

#[tokio::test]
async fn unknown_segments_and_unsupported_queries_get_400_in_graphs_envelope() {
    let graph = Graph::spawn().await;
    let cases = [
        ("/v1.0/devices", "BadRequest", "Resource not found for the segment 'devices'."),
        ("/v1.0/discovery/keys", "BadRequest", "Resource not found for the segment 'discovery'."),
        (&*format!("/v1.0/servicePrincipals/{OPERATOR_OBJECT_ID}/owners"), "BadRequest", "Resource not found for the segment 'owners'."),
        ("/v1.0/servicePrincipals/not-a-guid", "Request_BadRequest", "Invalid object identifier 'not-a-guid'."),
        ("/v1.0/servicePrincipals?$filter=appId%20eq", "BadRequest", "Invalid filter clause"),
        ("/v1.0/servicePrincipals?$filter=homepage%20eq%20'x'", "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'homepage' of resource 'ServicePrincipal'."),
        ("/v1.0/users?$filter=appId%20eq%20'x'", "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'appId' of resource 'User'."),
        ("/v1.0/servicePrincipals?$orderby=displayName", "Request_UnsupportedQuery", "Sorting not supported for current query."),
        ("/v1.0/groups?$skip=5", "Request_BadRequest", "'$skip' is not supported by the service."),
        ("/v1.0/users?$search=%22displayName:a%22", "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"),
        ("/v1.0/servicePrincipals?$expand=owners", "Request_UnsupportedQuery", "The query parameter '$expand' is not supported."),
        ("/v1.0/servicePrincipals?$skiptoken=bm90LW1pbWlj", "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request."),
        ("/v1.0/servicePrincipals?$top=1000", "Request_UnsupportedQuery", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."),
        ("/v1.0/servicePrincipals?$select=nope", "BadRequest", "Could not find a property named 'nope' on type 'microsoft.graph.servicePrincipal'."),
        ("/v1.0/organization?$top=1", "Request_UnsupportedQuery", "The query parameter '$top' is not supported."),
        ("/v1.0/me", "BadRequest", "/me request is only valid with delegated authentication flow."),
    ];
    for (path, code, message) in cases {
        let reply = graph.get(path).await;

        assert_graph_error(&reply, 400, code, message);
    }
}

#[tokio::test]
async fn wrong_methods_get_405_in_graphs_envelope() {
    let graph = Graph::spawn().await;
    let cases = [
        (reqwest::Method::PUT, "/v1.0/servicePrincipals"),
        (reqwest::Method::DELETE, "/v1.0/applications"),
        (
            reqwest::Method::PUT,
            &*format!("/v1.0/servicePrincipals/{OPERATOR_OBJECT_ID}"),
        ),
        (reqwest::Method::GET, "/v1.0/directoryObjects/getByIds"),
    ];
    for (method, path) in cases {
        let request = graph
            .app
            .aad
            .http
            .request(method, format!("{}{path}", graph.app.aad.base))
            .bearer_auth(&graph.token);

        let reply = graph.app.aad.send(request).await;

        assert_graph_error(
            &reply,
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request uri.",
        );
    }
}

#[tokio::test]
async fn organization_is_the_tenant_with_its_verified_domain() {
    let graph = Graph::spawn().await;

    let reply = graph.get("/v1.0/organization").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#organization", graph.app.aad.base),
            "value": [{
                "id": TENANT, "deletedDateTime": null, "businessPhones": [], "city": null, "country": null,
                "countryLetterCode": null, "displayName": "mimic", "marketingNotificationEmails": [],
                "postalCode": null, "preferredLanguage": null, "state": null, "street": null,
                "technicalNotificationMails": [], "tenantType": "AAD",
                "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true,
                                     "isInitial": true, "name": DOMAIN, "type": "Managed"}],
            }],
        })
    );
}
