//! Graph `applications/{id}/federatedIdentityCredentials` over HTTPS: create, list, get (by id,
//! name and the `(name='…')` key), update, upsert, delete — Graph's shape, and Graph's error for
//! each refused write with nothing changed: missing and invalid properties, a taken name, a taken
//! issuer and subject, the 20-credential limit, unknown applications and credentials. Graph's
//! permissions for them, and a deleted application's credentials coming back with it on restore.

use mimic_testkit::fixture::DOMAIN;
use mimic_testkit::Reply;
use serde_json::{json, Value};

use crate::graph_applications::{text, Graph};
use crate::graph_permissions::{APPLICATION_READ_WRITE_OWNED_BY, PASSWORD};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const AUDIENCE: &str = "api://AzureADTokenExchange";
const APPLICATION_READ_ALL: &str = "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30";
const RESOURCE: &str = "FederatedIdentityCredential";

fn body(name: &str, subject: &str) -> Value {
    json!({"name": name, "issuer": ISSUER, "subject": subject,
           "description": "deploys", "audiences": [AUDIENCE]})
}

fn assert_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.code(), code, "{}", reply.body);
    assert_eq!(reply.message(), message, "{}", reply.body);
}

fn invalid(property: &str) -> String {
    format!("Invalid value specified for property '{property}' of resource '{RESOURCE}'.")
}

fn required(property: &str) -> String {
    format!("A value is required for property '{property}' of resource '{RESOURCE}'.")
}

impl Graph {
    /// A new application's object id.
    async fn application(&self, name: &str) -> String {
        text(
            &self.create_application(json!({"displayName": name})).await,
            "id",
        )
    }

    async fn create_credential(&self, application: &str, body: Value) -> Reply {
        self.post(&credentials(application), body).await
    }

    /// The application's credentials as listed.
    async fn credentials(&self, application: &str) -> Value {
        let reply = self.get(&credentials(application)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["value"].clone()
    }
}

fn credentials(application: &str) -> String {
    format!("/v1.0/applications/{application}/federatedIdentityCredentials")
}

#[tokio::test]
async fn create_returns_201_with_graphs_shape_and_every_read_finds_it() {
    let graph = Graph::spawn().await;
    let app = graph.application("federated").await;
    let root = format!("{}/v1.0", graph.app.aad.base);

    let created = graph
        .create_credential(
            &app,
            body("github-main", "repo:contoso/app:ref:refs/heads/main"),
        )
        .await;

    assert_eq!(created.status, 201, "{}", created.body);
    let id = text(&created.body, "id");
    assert_eq!(
        created.body,
        json!({
            "@odata.context": format!("{root}/$metadata#applications('{app}')/federatedIdentityCredentials/$entity"),
            "id": id, "name": "github-main", "issuer": ISSUER,
            "subject": "repo:contoso/app:ref:refs/heads/main", "description": "deploys",
            "audiences": [AUDIENCE],
        })
    );
    assert_eq!(
        created.headers["location"],
        format!("{root}/applications/{app}/federatedIdentityCredentials/{id}").as_str()
    );
    let listed = graph.get(&credentials(&app)).await;
    assert_eq!(
        listed.body["@odata.context"],
        format!("{root}/$metadata#applications('{app}')/federatedIdentityCredentials").as_str()
    );
    let mut expected = created.body.clone();
    expected.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(listed.body["value"], json!([expected]));
    for key in [
        format!("/{id}"),
        "/github-main".to_string(),
        "/GitHub-Main".to_string(),
        "(name='github-main')".to_string(),
    ] {
        let path = format!("{}{key}", credentials(&app));
        let one = graph.get(&path).await;
        assert_eq!(one.status, 200, "{path}: {}", one.body);
        assert_eq!(one.body, created.body, "{path}");
    }
    let selected = graph
        .get(&format!("{}/{id}?$select=name,subject", credentials(&app)))
        .await;
    assert_eq!(
        selected.body,
        json!({
            "@odata.context": format!("{root}/$metadata#applications('{app}')/federatedIdentityCredentials(name,subject)/$entity"),
            "id": id, "name": "github-main", "subject": "repo:contoso/app:ref:refs/heads/main",
        })
    );
}

#[tokio::test]
async fn list_filters_on_name_and_subject_and_refuses_other_properties() {
    let graph = Graph::spawn().await;
    let app = graph.application("filtered").await;
    for (name, subject) in [("one", "s-1"), ("two", "s-2")] {
        assert_eq!(
            graph
                .create_credential(&app, body(name, subject))
                .await
                .status,
            201
        );
    }

    let by_name = graph
        .get(&format!("{}?$filter=name%20eq%20'two'", credentials(&app)))
        .await;
    let by_subject = graph
        .get(&format!(
            "{}?$filter=subject%20eq%20's-1'",
            credentials(&app)
        ))
        .await;
    let by_description = graph
        .get(&format!(
            "{}?$filter=description%20eq%20'x'",
            credentials(&app)
        ))
        .await;

    assert_eq!(by_name.body["value"][0]["name"], "two", "{}", by_name.body);
    assert_eq!(by_name.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(by_subject.body["value"][0]["name"], "one");
    assert_eq!(by_subject.body["value"].as_array().unwrap().len(), 1);
    assert_error(
        &by_description,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'description' of resource 'FederatedIdentityCredential'.",
    );
}

#[tokio::test]
async fn update_changes_the_credential_by_id_or_name_and_keeps_its_name() {
    let graph = Graph::spawn().await;
    let app = graph.application("updated").await;
    let created = graph.create_credential(&app, body("k8s", "sa-1")).await;
    let id = text(&created.body, "id");

    let by_id = graph
        .patch(
            &format!("{}/{id}", credentials(&app)),
            json!({"name": "k8s", "subject": "sa-2", "description": null}),
        )
        .await;
    let by_name = graph
        .patch(
            &format!("{}/k8s", credentials(&app)),
            json!({"issuer": "https://oidc.example/cluster"}),
        )
        .await;

    assert_eq!(by_id.status, 204, "{}", by_id.body);
    assert_eq!(by_id.text, "");
    assert_eq!(by_name.status, 204, "{}", by_name.body);
    let shown = graph.get(&format!("{}/{id}", credentials(&app))).await;
    assert_eq!(shown.body["subject"], "sa-2");
    assert_eq!(shown.body["description"], Value::Null);
    assert_eq!(shown.body["issuer"], "https://oidc.example/cluster");
    assert_eq!(shown.body["name"], "k8s");
}

#[tokio::test]
async fn upsert_creates_only_with_create_if_missing_and_updates_otherwise() {
    let graph = Graph::spawn().await;
    let app = graph.application("upserted").await;
    let path = format!("{}(name='pipeline')", credentials(&app));
    let fields =
        json!({"issuer": ISSUER, "subject": "repo:a/b:environment:prod", "audiences": [AUDIENCE]});
    let authorization = format!("Bearer {}", graph.token);
    let upsert = |prefer: &'static str| {
        let headers = [
            ("authorization", authorization.clone()),
            ("content-type", "application/json".to_string()),
            ("prefer", prefer.to_string()),
        ];
        let aad = &graph.app.aad;
        let path = path.clone();
        let fields = fields.to_string();
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            aad.raw("PATCH", &path, &headers, &fields).await
        }
    };

    let plain = upsert("return=minimal").await;
    let created = upsert("create-if-missing").await;
    let again = upsert("create-if-missing").await;

    assert_error(
        &plain,
        404,
        "Request_ResourceNotFound",
        "Resource 'pipeline' does not exist or one of its queried reference-property objects are not present.",
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "pipeline");
    assert_eq!(again.status, 204, "{}", again.body);
    assert_eq!(graph.credentials(&app).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn delete_by_id_or_name_answers_204_and_the_credential_is_gone() {
    let graph = Graph::spawn().await;
    let app = graph.application("deleting").await;
    let first = graph.create_credential(&app, body("first", "s-1")).await;
    graph.create_credential(&app, body("second", "s-2")).await;
    graph.create_credential(&app, body("third", "s-3")).await;

    let by_id = graph
        .delete(&format!(
            "{}/{}",
            credentials(&app),
            text(&first.body, "id")
        ))
        .await;
    let by_name = graph.delete(&format!("{}/second", credentials(&app))).await;
    let by_key = graph
        .delete(&format!("{}(name='third')", credentials(&app)))
        .await;
    let again = graph.delete(&format!("{}/second", credentials(&app))).await;

    assert_eq!(by_id.status, 204, "{}", by_id.body);
    assert_eq!(by_name.status, 204, "{}", by_name.body);
    assert_eq!(by_key.status, 204, "{}", by_key.body);
    assert_error(
        &again,
        404,
        "Request_ResourceNotFound",
        "Resource 'second' does not exist or one of its queried reference-property objects are not present.",
    );
    assert_eq!(graph.credentials(&app).await, json!([]));
}

#[tokio::test]
async fn each_invalid_create_is_refused_with_graphs_error_and_stores_nothing() {
    let graph = Graph::spawn().await;
    let app = graph.application("strict").await;
    let long = "x".repeat(601);
    let with = |field: &str, value: Value| {
        let mut body = body("valid-name", "subject");
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = body("valid-name", "subject");
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (without("name"), 400, "Request_BadRequest", required("name")),
        (without("issuer"), 400, "Request_BadRequest", required("issuer")),
        (without("subject"), 400, "Request_BadRequest", required("subject")),
        (without("audiences"), 400, "Request_BadRequest", required("audiences")),
        (with("name", json!("ab")), 400, "Request_BadRequest", invalid("name")),
        (with("name", json!("x".repeat(121))), 400, "Request_BadRequest", invalid("name")),
        (with("name", json!("has space")), 400, "Request_BadRequest", invalid("name")),
        (with("name", json!("-leading")), 400, "Request_BadRequest", invalid("name")),
        (with("issuer", json!("not a url")), 400, "Request_BadRequest", invalid("issuer")),
        (with("subject", json!(long)), 400, "Request_BadRequest", invalid("subject")),
        (with("audiences", json!([])), 400, "Request_BadRequest", invalid("audiences")),
        (with("audiences", json!(["a", "b"])), 400, "Request_BadRequest", invalid("audiences")),
        (with("audiences", json!([long])), 400, "Request_BadRequest", invalid("audiences")),
        (with("description", json!(long)), 400, "Request_BadRequest", invalid("description")),
        (
            with("audiences", json!(AUDIENCE)),
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.".to_string(),
        ),
        (
            with("nope", json!(1)),
            400,
            "BadRequest",
            "The property 'nope' does not exist on type 'microsoft.graph.federatedIdentityCredential'. Make sure to only use property names that are defined by the type or mark the type as open type.".to_string(),
        ),
        (
            with("claimsMatchingExpression", json!(null)),
            400,
            "BadRequest",
            "The property 'claimsMatchingExpression' does not exist on type 'microsoft.graph.federatedIdentityCredential'. Make sure to only use property names that are defined by the type or mark the type as open type.".to_string(),
        ),
    ];

    for (request, status, code, message) in cases {
        let reply = graph.create_credential(&app, request.clone()).await;
        assert_eq!(reply.status, status, "{request}: {}", reply.body);
        assert_eq!(reply.code(), code, "{request}");
        assert_eq!(reply.message(), message, "{request}");
    }
    assert_eq!(graph.credentials(&app).await, json!([]));
}

#[tokio::test]
async fn a_taken_name_or_issuer_and_subject_is_refused_and_changes_nothing() {
    let graph = Graph::spawn().await;
    let app = graph.application("unique").await;
    let other = graph.application("elsewhere").await;
    let first = graph
        .create_credential(&app, body("main", "repo:a/b:ref:refs/heads/main"))
        .await;
    let second = graph
        .create_credential(&app, body("prs", "repo:a/b:pull_request"))
        .await;
    let before = graph.credentials(&app).await;

    let same_name = graph
        .create_credential(&app, body("MAIN", "repo:a/b:environment:x"))
        .await;
    let same_pair = graph
        .create_credential(&app, body("copy", "repo:a/b:ref:refs/heads/main"))
        .await;
    let update_to_pair = graph
        .patch(
            &format!("{}/{}", credentials(&app), text(&second.body, "id")),
            json!({"subject": "repo:a/b:ref:refs/heads/main"}),
        )
        .await;
    let rename = graph
        .patch(
            &format!("{}/{}", credentials(&app), text(&first.body, "id")),
            json!({"name": "renamed"}),
        )
        .await;
    // Another application may hold the same name and the same issuer and subject.
    let elsewhere = graph
        .create_credential(&other, body("main", "repo:a/b:ref:refs/heads/main"))
        .await;

    assert_error(
        &same_name,
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "FederatedIdentityCredential with name MAIN already exists.",
    );
    let pair = format!(
        "The combination of issuer and subject must be unique for the application. Issuer {ISSUER} and Subject: repo:a/b:ref:refs/heads/main already exist. paramName: FederatedIdentityCredential.Subject, paramValue: repo:a/b:ref:refs/heads/main, objectType: Microsoft.Online.DirectoryServices.Application"
    );
    assert_error(
        &same_pair,
        400,
        "InvalidFederatedIdentityCredentialValue",
        &pair,
    );
    assert_error(
        &update_to_pair,
        400,
        "InvalidFederatedIdentityCredentialValue",
        &pair,
    );
    assert_error(&rename, 400, "Request_BadRequest", &invalid("name"));
    assert_eq!(graph.credentials(&app).await, before);
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.body);
}

#[tokio::test]
async fn the_twenty_first_credential_is_refused_and_twenty_stay() {
    let graph = Graph::spawn().await;
    let app = graph.application("crowded").await;
    for n in 0..20 {
        let reply = graph
            .create_credential(&app, body(&format!("fic-{n:02}"), &format!("s-{n}")))
            .await;
        assert_eq!(reply.status, 201, "{n}: {}", reply.body);
    }

    let refused = graph.create_credential(&app, body("fic-20", "s-20")).await;

    assert_error(
        &refused,
        403,
        "Directory_ResourceSizeExceeded",
        "The size of the object has exceeded its limit. Please reduce the number of values and retry your request.",
    );
    let listed = graph.credentials(&app).await;
    assert_eq!(listed.as_array().unwrap().len(), 20);
    assert!(
        graph
            .get(&format!("{}/fic-20", credentials(&app)))
            .await
            .status
            == 404
    );
    // Paging by `$top` walks all twenty.
    let first = graph.get(&format!("{}?$top=15", credentials(&app))).await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 15);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    let rest = graph
        .get(next.trim_start_matches(graph.app.aad.base.as_str()))
        .await;
    assert_eq!(
        rest.body["value"].as_array().unwrap().len(),
        5,
        "{}",
        rest.body
    );
}

#[tokio::test]
async fn unknown_applications_and_credentials_answer_graphs_errors() {
    let graph = Graph::spawn().await;
    let app = graph.application("known").await;
    let missing_app = "11111111-2222-3333-4444-555555555555";
    let not_found = |key: &str| {
        format!("Resource '{key}' does not exist or one of its queried reference-property objects are not present.")
    };

    let list = graph.get(&credentials(missing_app)).await;
    let create = graph
        .create_credential(missing_app, body("orphan", "s"))
        .await;
    let not_a_guid = graph.get(&credentials("not-a-guid")).await;
    let get = graph.get(&format!("{}/nothing", credentials(&app))).await;
    let patch = graph
        .patch(
            &format!("{}/nothing", credentials(&app)),
            json!({"subject": "s"}),
        )
        .await;
    let delete = graph
        .delete(&format!("{}/nothing", credentials(&app)))
        .await;

    assert_error(
        &list,
        404,
        "Request_ResourceNotFound",
        &not_found(missing_app),
    );
    assert_error(
        &create,
        404,
        "Request_ResourceNotFound",
        &not_found(missing_app),
    );
    assert_error(
        &not_a_guid,
        400,
        "Request_BadRequest",
        "Invalid object identifier 'not-a-guid'.",
    );
    for reply in [get, patch, delete] {
        assert_error(
            &reply,
            404,
            "Request_ResourceNotFound",
            &not_found("nothing"),
        );
    }
}

#[tokio::test]
async fn beta_shows_and_takes_claims_matching_expression() {
    let graph = Graph::spawn().await;
    let app = graph.application("flexible").await;
    let expression =
        json!({"value": "claims['sub'] matches 'repo:contoso/*'", "languageVersion": 1});

    let flexible = graph
        .post(
            &format!("/beta/applications/{app}/federatedIdentityCredentials"),
            json!({"name": "flexible", "issuer": ISSUER, "audiences": [AUDIENCE],
                   "claimsMatchingExpression": expression}),
        )
        .await;
    let both = graph
        .post(
            &format!("/beta/applications/{app}/federatedIdentityCredentials"),
            json!({"name": "both", "issuer": ISSUER, "subject": "s", "audiences": [AUDIENCE],
                   "claimsMatchingExpression": expression}),
        )
        .await;
    let plain = graph.create_credential(&app, body("plain", "s")).await;
    let beta_plain = graph
        .get(&format!(
            "/beta/applications/{app}/federatedIdentityCredentials/plain"
        ))
        .await;

    assert_eq!(flexible.status, 201, "{}", flexible.body);
    assert_eq!(flexible.body["claimsMatchingExpression"], expression);
    assert_eq!(flexible.body["subject"], Value::Null);
    assert_error(
        &both,
        400,
        "Request_BadRequest",
        &invalid("claimsMatchingExpression"),
    );
    assert!(plain.body.get("claimsMatchingExpression").is_none());
    assert_eq!(beta_plain.body["claimsMatchingExpression"], Value::Null);
    assert!(beta_plain
        .body
        .as_object()
        .unwrap()
        .contains_key("claimsMatchingExpression"));
}

#[tokio::test]
async fn permissions_follow_graphs_tables_for_apps_and_owners() {
    let graph = Graph::spawn().await;
    let others = graph.application("not-mine").await;
    graph.create_credential(&others, body("theirs", "s")).await;
    let (reader_id, reader_sp, reader_secret) = graph.role_less_app("reader").await;
    graph
        .grant_graph_role(&reader_sp, APPLICATION_READ_ALL)
        .await;
    let reader = graph.app_graph_token(&reader_id, &reader_secret).await;
    let (owner_id, owner_sp, owner_secret) = graph.role_less_app("owner").await;
    graph
        .grant_graph_role(&owner_sp, APPLICATION_READ_WRITE_OWNED_BY)
        .await;
    let owner = graph.app_graph_token(&owner_id, &owner_secret).await;
    let mine = graph
        .call(
            "POST",
            "/v1.0/applications",
            &owner,
            Some(json!({"displayName": "mine"})),
        )
        .await;
    let mine = text(&mine.body, "id");

    let read_list = graph
        .call("GET", &credentials(&others), &reader, None)
        .await;
    let read_one = graph
        .call(
            "GET",
            &format!("{}/theirs", credentials(&others)),
            &reader,
            None,
        )
        .await;
    let read_create = graph
        .call(
            "POST",
            &credentials(&others),
            &reader,
            Some(body("nope", "n")),
        )
        .await;
    let owned_create = graph
        .call("POST", &credentials(&mine), &owner, Some(body("mine", "m")))
        .await;
    let other_create = graph
        .call(
            "POST",
            &credentials(&others),
            &owner,
            Some(body("taken", "t")),
        )
        .await;

    assert_eq!(read_list.status, 200, "{}", read_list.body);
    // Graph's table for a single credential names only the ReadWrite permissions.
    assert_eq!(read_one.status, 403, "{}", read_one.body);
    assert_eq!(read_create.status, 403, "{}", read_create.body);
    assert_eq!(owned_create.status, 201, "{}", owned_create.body);
    assert_eq!(other_create.status, 403, "{}", other_create.body);
    assert_eq!(
        other_create.code(),
        "Authorization_RequestDenied",
        "{}",
        other_create.body
    );

    // A member user manages the credentials of the applications it owns, and no others.
    graph.member("dev").await;
    let user = graph
        .user_graph_token(&format!("dev@{DOMAIN}"), PASSWORD)
        .await;
    let own = graph
        .call(
            "POST",
            "/v1.0/applications",
            &user,
            Some(json!({"displayName": "devs"})),
        )
        .await;
    let own_create = graph
        .call(
            "POST",
            &credentials(&text(&own.body, "id")),
            &user,
            Some(body("dev", "d")),
        )
        .await;
    let foreign = graph
        .call(
            "DELETE",
            &format!("{}/theirs", credentials(&others)),
            &user,
            None,
        )
        .await;
    assert_eq!(own_create.status, 201, "{}", own_create.body);
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert_eq!(
        graph.credentials(&others).await.as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_deleted_applications_credentials_come_back_with_it_on_restore() {
    let graph = Graph::spawn().await;
    let app = graph.application("recycled").await;
    graph.create_credential(&app, body("kept", "s-1")).await;
    graph
        .create_credential(&app, body("also-kept", "s-2"))
        .await;
    let before = graph.credentials(&app).await;

    let deleted = graph.delete(&format!("/v1.0/applications/{app}")).await;
    let while_deleted = graph.get(&credentials(&app)).await;
    let restored = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{app}/restore"),
            json!({}),
        )
        .await;

    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(while_deleted.status, 404, "{}", while_deleted.body);
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(graph.credentials(&app).await, before);
    assert_eq!(before.as_array().unwrap().len(), 2);
}
