//! `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`: shapes per
//! api-version, Azure's validation, the 20 limit, concurrency, and the write-through to AAD (whose
//! copy, read over its internal API, always equals ARM's).

use serde_json::{json, Value};

use mimic_testkit::fixture::identity_id;
use mimic_testkit::{Client, Reply, TestArm};

const FLEXIBLE: &str = "2025-01-31-preview";
const OLD: &str = "2023-01-31";
const ISSUER: &str = "https://oidc.example.test/tenant/issuer";
const AUDIENCE: &str = "api://AzureADTokenExchange";

fn credential_path(identity: &str, name: &str, version: &str) -> String {
    format!(
        "{}/federatedIdentityCredentials/{name}?api-version={version}",
        identity_id(identity)
    )
}

fn list_path(identity: &str, version: &str) -> String {
    format!(
        "{}/federatedIdentityCredentials?api-version={version}",
        identity_id(identity)
    )
}

fn subject_body(subject: &str) -> Value {
    json!({"properties": {"issuer": ISSUER, "subject": subject, "audiences": [AUDIENCE]}})
}

async fn put(app: &TestArm, token: &str, identity: &str, name: &str, body: Value) -> Reply {
    let path = credential_path(identity, name, FLEXIBLE);
    app.arm.put(&path, Some(token), body).await
}

/// ARM's set (list at the flexible version) in AAD's entry shape, sorted by name.
async fn arm_set(app: &TestArm, token: &str, identity: &str) -> Vec<Value> {
    let reply = app
        .arm
        .get(&list_path(identity, FLEXIBLE), Some(token))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut set: Vec<Value> = reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|credential| {
            let mut entry = credential["properties"].clone();
            entry["name"] = credential["name"].clone();
            entry
        })
        .collect();
    set.sort_by_key(|entry| entry["name"].as_str().unwrap().to_lowercase());
    set
}

/// AAD's copy for a principal (internal API), sorted by name; `None` when AAD has no principal.
async fn aad_set(aad: &Client, principal_id: &str) -> Option<Vec<Value>> {
    let path = format!("/internal/servicePrincipals/{principal_id}/federatedIdentityCredentials");
    let reply = aad.internal("GET", &path, None).await;
    if reply.status == 404 {
        return None;
    }
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut set = reply.body["value"].as_array().unwrap().clone();
    set.sort_by_key(|entry| entry["name"].as_str().unwrap().to_lowercase());
    Some(set)
}

async fn assert_aad_equals_arm(app: &TestArm, token: &str, identity: &str, principal_id: &str) {
    let arm = arm_set(app, token, identity).await;
    let aad = aad_set(&app.aad, principal_id)
        .await
        .expect("AAD has the principal");
    assert_eq!(aad, arm, "AAD's copy differs from ARM's");
}

fn principal_of(identity: &Value) -> String {
    identity["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn crud_answers_azures_shapes_and_aad_follows_every_write() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-crud").await);
    let id = format!("{}/federatedIdentityCredentials", identity_id("fic-crud"));

    let created = put(
        &app,
        &token,
        "fic-crud",
        "gh-main",
        subject_body("repo:o/r:ref:refs/heads/main"),
    )
    .await;
    let again = put(
        &app,
        &token,
        "fic-crud",
        "GH-MAIN",
        subject_body("repo:o/r:ref:refs/heads/main"),
    )
    .await;

    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body,
        json!({
            "id": format!("{id}/gh-main"),
            "name": "gh-main",
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            "properties": {"issuer": ISSUER, "subject": "repo:o/r:ref:refs/heads/main",
                "audiences": [AUDIENCE]},
        })
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, created.body);
    assert_aad_equals_arm(&app, &token, "fic-crud", &principal).await;

    let expression = json!({"value": "claims['sub'] matches 'repo:o/r:*'", "languageVersion": 1});
    let flexible = put(
        &app,
        &token,
        "fic-crud",
        "flex",
        json!({"properties": {
        "issuer": ISSUER, "audiences": [AUDIENCE], "claimsMatchingExpression": expression}}),
    )
    .await;
    assert_eq!(flexible.status, 201, "{}", flexible.text);
    assert_eq!(
        flexible.body["properties"]["claimsMatchingExpression"],
        expression
    );
    assert!(flexible.body["properties"].get("subject").is_none());
    assert_aad_equals_arm(&app, &token, "fic-crud", &principal).await;

    // An older version has no claimsMatchingExpression: it shows what its model has.
    let old = app
        .arm
        .get(&credential_path("fic-crud", "flex", OLD), Some(&token))
        .await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert_eq!(
        old.body["properties"],
        json!({"issuer": ISSUER, "audiences": [AUDIENCE]})
    );
    let old_put = app
        .arm
        .put(
            &credential_path("fic-crud", "old", OLD),
            Some(&token),
            subject_body("old-subject"),
        )
        .await;
    assert_eq!(old_put.status, 201, "{}", old_put.text);
    let listed = app.arm.get(&list_path("fic-crud", OLD), Some(&token)).await;
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|credential| credential["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gh-main", "flex", "old"]);
    assert!(listed.body.get("nextLink").is_none());

    // An update replaces the properties; AAD follows.
    let updated = put(
        &app,
        &token,
        "fic-crud",
        "gh-main",
        subject_body("repo:o/r:environment:prod"),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(
        updated.body["properties"]["subject"],
        "repo:o/r:environment:prod"
    );
    assert_aad_equals_arm(&app, &token, "fic-crud", &principal).await;

    let deleted = app
        .arm
        .delete(
            &credential_path("fic-crud", "Gh-Main", FLEXIBLE),
            Some(&token),
        )
        .await;
    let deleted_again = app
        .arm
        .delete(
            &credential_path("fic-crud", "gh-main", FLEXIBLE),
            Some(&token),
        )
        .await;
    let gone = app
        .arm
        .get(
            &credential_path("fic-crud", "gh-main", FLEXIBLE),
            Some(&token),
        )
        .await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted_again.status, 204, "{}", deleted_again.text);
    assert_eq!(gone.status, 404, "{}", gone.text);
    assert_eq!(gone.code(), "ResourceNotFound");
    assert_aad_equals_arm(&app, &token, "fic-crud", &principal).await;
    assert_eq!(arm_set(&app, &token, "fic-crud").await.len(), 2);
}

#[tokio::test]
async fn list_pages_with_top_and_skiptoken() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "fic-pages").await;
    for index in 0..3 {
        let reply = put(
            &app,
            &token,
            "fic-pages",
            &format!("fic{index}"),
            subject_body(&format!("s{index}")),
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }

    let first = app
        .arm
        .get(
            &format!("{}&$top=2", list_path("fic-pages", FLEXIBLE)),
            Some(&token),
        )
        .await;
    let next = first.body["nextLink"].as_str().unwrap().to_string();
    let next = next.strip_prefix(&app.arm.base).unwrap();
    let second = app.arm.get(next, Some(&token)).await;

    assert_eq!(
        first.body["value"].as_array().unwrap().len(),
        2,
        "{}",
        first.text
    );
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["value"][0]["name"], "fic2");
    assert!(second.body.get("nextLink").is_none());
}

#[tokio::test]
async fn bad_input_gets_azures_error_and_changes_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-bad").await);
    let first = put(&app, &token, "fic-bad", "first", subject_body("taken")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let before = arm_set(&app, &token, "fic-bad").await;
    let long = "a".repeat(121);
    let expression = json!({"value": "claims['sub'] matches 'x*'", "languageVersion": 1});
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("ab", subject_body("s"), 400, "InvalidResourceName"),
        ("-abc", subject_body("s"), 400, "InvalidResourceName"),
        ("a.bc", subject_body("s"), 400, "InvalidResourceName"),
        (long.as_str(), subject_body("s"), 400, "InvalidResourceName"),
        ("second", subject_body("taken"), 400, "BadRequest"),
        (
            "second",
            json!({"properties": {"subject": "s", "audiences": [AUDIENCE]}}),
            400,
            "BadRequest",
        ),
        (
            "second",
            json!({"properties": {"issuer": ISSUER, "audiences": [AUDIENCE]}}),
            400,
            "BadRequest",
        ),
        ("second", json!({}), 400, "BadRequest"),
        (
            "second",
            json!({"properties": {"issuer": ISSUER, "subject": "s", "audiences": [AUDIENCE],
            "claimsMatchingExpression": expression}}),
            400,
            "BadRequest",
        ),
        (
            "second",
            json!({"properties": {"issuer": ISSUER, "subject": "s", "audiences": []}}),
            400,
            "InvalidFederatedIdentityCredentialsAudienceLength",
        ),
        (
            "second",
            json!({"properties": {"issuer": ISSUER, "subject": "s", "audiences": ["a", "b"]}}),
            400,
            "InvalidFederatedIdentityCredentialsAudienceLength",
        ),
        (
            "second",
            json!({"properties": {"issuer": "http://issuer.example.test", "subject": "s",
            "audiences": [AUDIENCE]}}),
            400,
            "BadRequest",
        ),
        (
            "second",
            json!({"properties": {"issuer": "not a url", "subject": "s",
            "audiences": [AUDIENCE]}}),
            400,
            "BadRequest",
        ),
        (
            "second",
            json!({"properties": {"issuer": ISSUER, "subject": "s", "audiences": "a"}}),
            400,
            "InvalidRequestContent",
        ),
        // The first credential's own issuer and subject moved onto it again is no duplicate, but an
        // unknown identity is 404.
    ];
    for (name, body, status, code) in cases {
        let reply = put(&app, &token, "fic-bad", name, body.clone()).await;
        assert_eq!(reply.status, status, "{name} {body}: {}", reply.text);
        assert_eq!(reply.code(), code, "{name} {body}");
    }
    let duplicate = put(&app, &token, "fic-bad", "second", subject_body("taken")).await;
    assert_eq!(
        duplicate.message(),
        "Issuer and subject combination already exists for this Managed Identity."
    );
    let no_identity = put(&app, &token, "no-such-identity", "fic", subject_body("s")).await;
    assert_eq!(no_identity.status, 404, "{}", no_identity.text);
    assert_eq!(no_identity.code(), "ResourceNotFound");
    // A loopback http issuer is one mimic trusts.
    let loopback = json!({"properties": {"issuer": "http://127.0.0.1:9/issuer", "subject": "s",
        "audiences": [AUDIENCE]}});
    assert_eq!(
        put(&app, &token, "fic-bad", "loopback", loopback)
            .await
            .status,
        201
    );
    app.arm
        .delete(
            &credential_path("fic-bad", "loopback", FLEXIBLE),
            Some(&token),
        )
        .await;

    assert_eq!(arm_set(&app, &token, "fic-bad").await, before);
    assert_aad_equals_arm(&app, &token, "fic-bad", &principal).await;
}

#[tokio::test]
async fn an_identity_holds_at_most_twenty() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-twenty").await);
    for index in 0..20 {
        let reply = put(
            &app,
            &token,
            "fic-twenty",
            &format!("fic{index:02}"),
            subject_body(&format!("s{index}")),
        )
        .await;
        assert_eq!(reply.status, 201, "{index}: {}", reply.text);
    }

    let refused = put(&app, &token, "fic-twenty", "fic20", subject_body("s20")).await;
    let update = put(&app, &token, "fic-twenty", "fic00", subject_body("changed")).await;

    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.code(), "BadRequest");
    assert_eq!(update.status, 200, "{}", update.text);
    assert_eq!(arm_set(&app, &token, "fic-twenty").await.len(), 20);
    assert_aad_equals_arm(&app, &token, "fic-twenty", &principal).await;
}

#[tokio::test]
async fn deleting_the_identity_deletes_its_credentials_in_arm_and_aad() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-gone").await);
    assert_eq!(
        put(&app, &token, "fic-gone", "fic1", subject_body("s"))
            .await
            .status,
        201
    );

    let deleted = app.delete_identity(&token, "fic-gone").await;
    app.create_identity(&token, "fic-gone").await;
    let after = app
        .arm
        .get(&credential_path("fic-gone", "fic1", FLEXIBLE), Some(&token))
        .await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(after.status, 404, "{}", after.text);
    assert!(arm_set(&app, &token, "fic-gone").await.is_empty());
    assert_eq!(
        aad_set(&app.aad, &principal).await,
        None,
        "the principal went with its credentials"
    );
}

#[tokio::test]
async fn concurrent_writes_under_one_identity_answer_201_or_409_and_end_consistent() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-race").await);
    let others: Vec<String> = (0..4).map(|index| format!("fic-other{index}")).collect();
    for other in &others {
        app.create_identity(&token, other).await;
    }

    let names: Vec<String> = (0..12).map(|index| format!("fic{index}")).collect();
    let same = names.iter().enumerate().map(|(index, name)| {
        put(
            &app,
            &token,
            "fic-race",
            name,
            subject_body(&format!("s{index}")),
        )
    });
    let different = others
        .iter()
        .map(|other| put(&app, &token, other, "fic", subject_body("s")));
    let (same, different) = tokio::join!(
        futures::future::join_all(same),
        futures::future::join_all(different)
    );

    let mut written = Vec::new();
    for (index, reply) in same.iter().enumerate() {
        match reply.status {
            201 => written.push(format!("fic{index}")),
            409 => {
                assert_eq!(
                    reply.code(),
                    "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
                );
                assert!(
                    reply
                        .message()
                        .contains("/userassignedidentities/fic-race'"),
                    "{}",
                    reply.message()
                );
            }
            other => panic!("fic{index}: {other} {}", reply.text),
        }
    }
    assert!(!written.is_empty());
    let names: Vec<String> = arm_set(&app, &token, "fic-race")
        .await
        .iter()
        .map(|entry| entry["name"].as_str().unwrap().to_string())
        .collect();
    written.sort();
    let mut names_sorted = names.clone();
    names_sorted.sort();
    assert_eq!(
        names_sorted, written,
        "ARM holds exactly the writes that answered 201"
    );
    assert_aad_equals_arm(&app, &token, "fic-race", &principal).await;
    for (other, reply) in others.iter().zip(&different) {
        assert_eq!(reply.status, 201, "{other}: {}", reply.text);
    }
    // A retry after the race is an idempotent 200.
    let retry = put(
        &app,
        &token,
        "fic-race",
        &written[0],
        subject_body(&written[0].replace("fic", "s")),
    )
    .await;
    assert_eq!(retry.status, 200, "{}", retry.text);
}

#[tokio::test]
async fn a_restart_pushes_arms_sets_so_aad_converges_after_a_crash() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-crash").await);
    let empty = principal_of(&app.create_identity(&token, "fic-crash-empty").await);
    assert_eq!(
        put(&app, &token, "fic-crash", "in-arm", subject_body("s"))
            .await
            .status,
        201
    );
    // What a crash between ARM's commit and the push leaves (AAD lacks `in-arm`), plus a
    // credential only AAD holds: AAD must never keep trusting it.
    let stray = json!({"value": [{"name": "only-in-aad", "issuer": ISSUER, "subject": "x",
        "audiences": [AUDIENCE]}]});
    for id in [&principal, &empty] {
        let path = format!("/internal/servicePrincipals/{id}/federatedIdentityCredentials");
        let reply = app.aad.internal("PUT", &path, Some(stray.clone())).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    app.start_another_arm().await;

    assert_aad_equals_arm(&app, &token, "fic-crash", &principal).await;
    assert_eq!(aad_set(&app.aad, &empty).await, Some(Vec::new()));
}

/// The read ARM's push at start diffs against: every managed identity's set in one request, by
/// principal id, principals without credentials absent; behind the internal key.
#[tokio::test]
async fn aad_lists_every_managed_identitys_set_in_one_read() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let principal = principal_of(&app.create_identity(&token, "fic-all").await);
    let empty = principal_of(&app.create_identity(&token, "fic-all-empty").await);
    assert_eq!(
        put(&app, &token, "fic-all", "listed", subject_body("s"))
            .await
            .status,
        201
    );

    let all = app
        .aad
        .internal("GET", "/internal/federatedIdentityCredentials", None)
        .await;
    let keyless = app
        .aad
        .get("/internal/federatedIdentityCredentials", Some(&token))
        .await;

    assert_eq!(all.status, 200, "{}", all.text);
    let value = all.body["value"].as_object().unwrap();
    assert_eq!(
        value[&principal],
        json!([{"name": "listed", "issuer": ISSUER, "subject": "s", "audiences": [AUDIENCE]}])
    );
    assert!(!value.contains_key(&empty), "{value:?}");
    assert_eq!(keyless.status, 401, "{}", keyless.text);
}

#[tokio::test]
async fn aads_internal_api_takes_only_managed_identities_and_the_key() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (application, _) = app.new_principal("fic-app").await;
    let path = format!(
        "/internal/servicePrincipals/{}/federatedIdentityCredentials",
        application.object_id
    );
    let set = json!({"value": []});

    let not_managed = app.aad.internal("PUT", &path, Some(set.clone())).await;
    let unknown = app
        .aad
        .internal("GET", "/internal/servicePrincipals/00000000-0000-0000-0000-000000000000/federatedIdentityCredentials", None)
        .await;
    let keyless = app.aad.get(&path, Some(&token)).await;

    assert_eq!(not_managed.status, 400, "{}", not_managed.text);
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(keyless.status, 401, "{}", keyless.text);
}
