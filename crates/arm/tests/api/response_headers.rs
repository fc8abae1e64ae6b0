//! The headers every ARM response carries: correlation, request and routing ids, and the
//! rate-limit counters (issue 17).

use mimic_testkit::fixture::{group_id, GROUP, GROUP_VERSION, READER};
use mimic_testkit::{Reply, TestArm};

const CORRELATION: &str = "x-ms-correlation-request-id";

/// `GET path` with a correlation id of the client's.
async fn get_correlated(
    app: &TestArm,
    path: &str,
    token: Option<&str>,
    correlation: &str,
) -> Reply {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![(CORRELATION, correlation)];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer.as_str()));
    }
    app.arm.raw("GET", path, &headers, "").await
}

/// Asserts the ids every ARM answer carries, the correlation id being `correlation`.
fn assert_ids(reply: &Reply, correlation: &str, what: &str) {
    assert_eq!(
        reply.header(CORRELATION),
        correlation,
        "{what}: {:?}",
        reply.headers
    );
    let request_id = reply.header("x-ms-request-id");
    assert!(
        uuid::Uuid::parse_str(request_id).is_ok(),
        "{what}: request id {request_id:?}"
    );
    let routing = reply.header("x-ms-routing-request-id");
    let parts: Vec<&str> = routing.splitn(3, ':').collect();
    assert_eq!(parts.len(), 3, "{what}: routing id {routing:?}");
    assert!(
        !parts[0].is_empty() && parts[0].chars().all(|c| c.is_ascii_uppercase()),
        "{what}: {routing}"
    );
    assert_eq!(parts[1].len(), 16, "{what}: yyyyMMddTHHmmssZ in {routing}");
    assert!(
        parts[1].ends_with('Z') && parts[1].as_bytes()[8] == b'T',
        "{what}: {routing}"
    );
    assert_eq!(parts[2], correlation, "{what}: {routing}");
}

#[tokio::test]
async fn every_arm_answer_echoes_the_correlation_id_with_request_and_routing_ids() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let cases: [(&str, String, Option<&str>, u16); 5] = [
        (
            "success",
            format!("{}?api-version={GROUP_VERSION}", group_id(GROUP)),
            Some(&token),
            200,
        ),
        (
            "ARM error",
            format!("{}?api-version={GROUP_VERSION}", group_id("no-such-group")),
            Some(&token),
            404,
        ),
        (
            "no token",
            format!("{}?api-version={GROUP_VERSION}", group_id(GROUP)),
            None,
            401,
        ),
        (
            "unknown route",
            "/no/such/route?api-version=2021-04-01".to_string(),
            Some(&token),
            404,
        ),
        ("missing api-version", group_id(GROUP), Some(&token), 400),
    ];
    for (what, path, token, status) in cases {
        let correlation = format!("corr-{}", uuid::Uuid::new_v4());
        let reply = get_correlated(&app, &path, token, &correlation).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text);
        assert_ids(&reply, &correlation, what);
    }
}

#[tokio::test]
async fn a_request_without_a_correlation_id_gets_a_new_guid() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?api-version={GROUP_VERSION}", group_id(GROUP));
    let first = app.arm.get(&path, Some(&token)).await;
    let second = app.arm.get(&path, Some(&token)).await;
    let (a, b) = (first.header(CORRELATION), second.header(CORRELATION));
    assert!(uuid::Uuid::parse_str(a).is_ok(), "{a:?}");
    assert_ne!(a, b);
    assert_ids(&first, a, "without a correlation id");
}

#[tokio::test]
async fn counters_report_reads_writes_and_deletes_and_401s_carry_none() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reads = "x-ms-ratelimit-remaining-subscription-reads";
    let path = format!("{}?api-version={GROUP_VERSION}", group_id(GROUP));

    let read = app.arm.get(&path, Some(&token)).await;
    assert_eq!(read.header(reads), "249", "{:?}", read.headers);
    assert_eq!(
        read.header("x-ms-ratelimit-remaining-subscription-global-reads"),
        "3749"
    );
    assert_eq!(
        read.header("x-ms-ratelimit-remaining-subscription-writes"),
        ""
    );

    let put = app
        .put_group(&token, "counted", serde_json::json!({"location": "eastus"}))
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(
        put.header("x-ms-ratelimit-remaining-subscription-writes"),
        "199"
    );
    assert_eq!(
        put.header("x-ms-ratelimit-remaining-subscription-global-writes"),
        "2999"
    );
    assert_eq!(put.header(reads), "");
    let delete_path = format!("{}?api-version={GROUP_VERSION}", group_id("counted"));
    let delete = app.arm.delete(&delete_path, Some(&token)).await;
    assert!(delete.status < 300, "{}", delete.text);
    assert_eq!(
        delete.header("x-ms-ratelimit-remaining-subscription-deletes"),
        "199"
    );

    // Outside a subscription the tenant's counters answer.
    let tenant = app
        .arm
        .get("/subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(tenant.status, 200, "{}", tenant.text);
    assert_eq!(
        tenant.header("x-ms-ratelimit-remaining-tenant-reads"),
        "249"
    );
    assert_eq!(tenant.header(reads), "");

    let refused = app.arm.get(&path, None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header(reads), "");
}

#[tokio::test]
async fn reads_count_down_within_a_second_and_refill_as_the_clock_moves() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reads = "x-ms-ratelimit-remaining-subscription-reads";
    let path = format!("{}?api-version={GROUP_VERSION}", group_id(GROUP));
    let remaining = |reply: &Reply| -> i64 { reply.header(reads).parse().unwrap() };
    // The bucket refills 25 a second on whole seconds of the shared clock: two reads in the same
    // second differ by one. A pair that straddles a second boundary refills instead, so try a few
    // pairs (each takes milliseconds); one must land inside a second.
    let mut saw_countdown = false;
    for _ in 0..20 {
        let first = remaining(&app.arm.get(&path, Some(&token)).await);
        let second = remaining(&app.arm.get(&path, Some(&token)).await);
        if second == first - 1 {
            saw_countdown = true;
            break;
        }
    }
    assert!(
        saw_countdown,
        "two reads in one second should count down by one"
    );
    // Another principal has its own bucket.
    let (principal, other) = app.new_principal("counter-reader").await;
    app.grant(&group_id(GROUP), READER, &principal.object_id)
        .await;
    let theirs = app.arm.get(&path, Some(&other)).await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(remaining(&theirs), 249);
    // Ten seconds refill the bucket whatever was taken.
    app.clock.advance(10);
    assert_eq!(remaining(&app.arm.get(&path, Some(&token)).await), 249);
}

#[tokio::test]
async fn the_data_plane_internal_api_and_health_check_are_not_arm() {
    let app = TestArm::spawn().await;
    let health = app.arm.get("/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.header(CORRELATION), "");
    assert_eq!(health.header("x-ms-routing-request-id"), "");
    let internal = app.host_get("/internal/vms").await;
    assert_eq!(internal.status, 200, "{}", internal.text);
    assert_eq!(internal.header(CORRELATION), "");
    // Key Vault's data plane: a request whose Host names a vault.
    let vault = app
        .arm
        .raw(
            "GET",
            "/secrets?api-version=7.5",
            &[("host", "nosuchvault.vault.mimic.test")],
            "",
        )
        .await;
    assert_eq!(
        vault.header("x-ms-routing-request-id"),
        "",
        "{:?}",
        vault.headers
    );
}
