//! The federated token exchange through an app registration's federated identity credentials:
//! client credentials (v1 and v2) whose `client_assertion` is a token of mimic's own issuer, of an
//! imported issuer, or of a loopback OIDC issuer mimic fetches — and Entra's error, with no token,
//! for each way the assertion does not match (issuer, audience, subject, time, key, signature,
//! unreachable metadata, a deleted credential).

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_testkit::fixture::JWT_BEARER;
use mimic_testkit::Reply;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::graph_applications::{text, Graph};
use crate::helpers::jwt_part;

const AUDIENCE: &str = "api://AzureADTokenExchange";
const SUBJECT: &str = "repo:contoso/app:ref:refs/heads/main";
const ARM: &str = "https://management.azure.com/";

/// An app registration with a service principal, and mimic's local issuer `ci`.
struct Setup {
    graph: Graph,
    app_id: String,
    object_id: String,
    principal_id: String,
    issuer: String,
}

impl Setup {
    async fn new() -> Self {
        let graph = Graph::spawn().await;
        let application = graph
            .create_application(json!({"displayName": "deployer"}))
            .await;
        let app_id = text(&application, "appId");
        let principal = graph.create_service_principal(&app_id).await;
        let created = graph
            .app
            .aad
            .internal("PUT", "/internal/issuers/ci", None)
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        Self {
            app_id,
            object_id: text(&application, "id"),
            principal_id: text(&principal, "id"),
            issuer: text(&created.body, "issuer"),
            graph,
        }
    }

    async fn add_credential(&self, name: &str, issuer: &str, subject: &str) -> Value {
        let reply = self
            .graph
            .post(
                &format!("/v1.0/applications/{}/federatedIdentityCredentials", self.object_id),
                json!({"name": name, "issuer": issuer, "subject": subject, "audiences": [AUDIENCE]}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }

    /// A token of the local issuer `issuer`.
    async fn mint(&self, issuer: &str, subject: &str, audience: &str, lifetime: i64) -> String {
        let reply = self
            .graph
            .app
            .aad
            .internal(
                "POST",
                &format!("/internal/issuers/{issuer}/token"),
                Some(json!({"subject": subject, "audience": audience, "lifetime": lifetime})),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        text(&reply.body, "token")
    }

    async fn exchange(&self, assertion: &str) -> Reply {
        self.graph
            .app
            .token_v2(&[
                ("grant_type", "client_credentials"),
                ("client_id", &self.app_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
                ("scope", &format!("{ARM}.default")),
            ])
            .await
    }
}

fn assert_refused(reply: &Reply, status: u16, error: &str, aadsts: i64, text: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["error"], error, "{}", reply.body);
    assert_eq!(reply.aadsts(), aadsts, "{}", reply.body);
    let description = reply.body["error_description"].as_str().unwrap();
    assert!(description.contains(text), "{description}");
    assert!(reply.body.get("access_token").is_none());
}

#[tokio::test]
async fn a_token_of_a_trusted_issuer_subject_and_audience_is_exchanged_on_v1_and_v2() {
    let s = Setup::new().await;
    s.add_credential("github", &s.issuer, SUBJECT).await;
    let assertion = s.mint("ci", SUBJECT, AUDIENCE, 600).await;

    let v2 = s.exchange(&assertion).await;
    assert_eq!(v2.status, 200, "{}", v2.body);
    let claims = jwt_part(v2.token(), 1);
    assert_eq!(claims["appid"], s.app_id.as_str());
    assert_eq!(claims["oid"], s.principal_id.as_str());
    assert_eq!(claims["aud"], ARM.trim_end_matches('/'));
    assert_eq!(claims["appidacr"], "2");
    assert!(claims.get("xms_mirid").is_none());

    let v1 = s
        .graph
        .app
        .token_v1(&[
            ("grant_type", "client_credentials"),
            ("client_id", &s.app_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("resource", ARM),
        ])
        .await;
    assert_eq!(v1.status, 200, "{}", v1.body);
    assert_eq!(jwt_part(v1.token(), 1)["oid"], s.principal_id.as_str());
}

#[tokio::test]
async fn each_mismatch_gets_entras_error_and_no_token() {
    let s = Setup::new().await;
    s.add_credential("github", &s.issuer, SUBJECT).await;

    let wrong_subject = s
        .mint("ci", "repo:contoso/app:pull_request", AUDIENCE, 600)
        .await;
    assert_refused(
        &s.exchange(&wrong_subject).await,
        401,
        "invalid_client",
        700213,
        "presented assertion subject 'repo:contoso/app:pull_request'",
    );
    let wrong_audience = s.mint("ci", SUBJECT, "api://other", 600).await;
    assert_refused(
        &s.exchange(&wrong_audience).await,
        401,
        "invalid_client",
        700212,
        "presented assertion audience 'api://other'",
    );
    let neither = s.mint("ci", "someone-else", "api://other", 600).await;
    assert_refused(
        &s.exchange(&neither).await,
        400,
        "invalid_request",
        70021,
        &format!(
            "Assertion Issuer: '{}'. Assertion Subject: 'someone-else'",
            s.issuer
        ),
    );
    // Another issuer of mimic's that no credential names.
    s.graph
        .app
        .aad
        .internal("PUT", "/internal/issuers/other", None)
        .await;
    let other_issuer = s.mint("other", SUBJECT, AUDIENCE, 600).await;
    assert_refused(
        &s.exchange(&other_issuer).await,
        401,
        "invalid_client",
        700211,
        "presented assertion issuer 'https://",
    );
    // The signature of another payload under the same key.
    let good = s.mint("ci", SUBJECT, AUDIENCE, 600).await;
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims = jwt_part(&good, 1);
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 1);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_refused(
        &s.exchange(&forged).await,
        401,
        "invalid_client",
        700027,
        "signature",
    );
}

#[tokio::test]
async fn an_expired_token_and_one_whose_key_was_rotated_out_are_refused() {
    let s = Setup::new().await;
    s.add_credential("github", &s.issuer, SUBJECT).await;
    let short = s.mint("ci", SUBJECT, AUDIENCE, 60).await;
    let old_key = s.mint("ci", SUBJECT, AUDIENCE, 3600).await;
    assert_eq!(s.exchange(&short).await.status, 200);
    // Past expiry and the five minutes of clock skew Entra allows.
    s.graph.app.clock.advance(60 + 301);
    assert_refused(
        &s.exchange(&short).await,
        401,
        "invalid_client",
        700024,
        "not within its valid time range",
    );
    // One rotation keeps the old key published; a second one drops it.
    for _ in 0..2 {
        let rotated = s
            .graph
            .app
            .aad
            .internal("POST", "/internal/issuers/ci/rotate", None)
            .await;
        assert_eq!(rotated.status, 200);
    }
    let kid = jwt_part(&old_key, 0)["kid"].as_str().unwrap().to_string();
    assert_refused(
        &s.exchange(&old_key).await,
        401,
        "invalid_client",
        7000272,
        &format!("identifier {kid} used to sign the federated credential could not be found"),
    );
}

#[tokio::test]
async fn deleting_the_credential_stops_the_exchange_at_once() {
    let s = Setup::new().await;
    let credential = s.add_credential("github", &s.issuer, SUBJECT).await;
    let assertion = s.mint("ci", SUBJECT, AUDIENCE, 600).await;
    assert_eq!(s.exchange(&assertion).await.status, 200);
    let deleted = s
        .graph
        .delete(&format!(
            "/v1.0/applications/{}/federatedIdentityCredentials/{}",
            s.object_id,
            text(&credential, "id")
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_refused(
        &s.exchange(&assertion).await,
        401,
        "invalid_client",
        700211,
        "issuer",
    );
}

#[tokio::test]
async fn a_claims_matching_expression_accepts_the_subjects_it_matches() {
    let s = Setup::new().await;
    let reply = s
        .graph
        .post(
            &format!(
                "/beta/applications/{}/federatedIdentityCredentials",
                s.object_id
            ),
            json!({"name": "branches", "issuer": s.issuer, "audiences": [AUDIENCE],
                   "claimsMatchingExpression": {
                       "value": "claims['sub'] matches 'repo:contoso/app:ref:refs/heads/*'",
                       "languageVersion": 1}}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let branch = s
        .mint(
            "ci",
            "repo:contoso/app:ref:refs/heads/release",
            AUDIENCE,
            600,
        )
        .await;
    assert_eq!(s.exchange(&branch).await.status, 200);
    let pull = s
        .mint("ci", "repo:contoso/app:pull_request", AUDIENCE, 600)
        .await;
    assert_refused(
        &s.exchange(&pull).await,
        401,
        "invalid_client",
        700213,
        "subject",
    );
}

#[tokio::test]
async fn an_imported_issuers_tokens_verify_with_the_jwks_the_operator_gave() {
    let s = Setup::new().await;
    let cluster = "https://kubernetes.default.svc.cluster.local";
    let key = mimic_token::SigningKey::generate("cluster").unwrap();
    let jwks = serde_json::to_value(mimic_token::Jwks {
        keys: vec![mimic_token::Jwk::from_key(&key, None)],
    })
    .unwrap();
    let imported = s
        .graph
        .app
        .aad
        .internal(
            "PUT",
            "/internal/issuers/kind",
            Some(json!({"issuer": cluster, "jwks": jwks})),
        )
        .await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    let subject = "system:serviceaccount:default:app";
    s.add_credential("kind", cluster, subject).await;
    let now = s.graph.app.clock.now();
    let claims =
        json!({"iss": cluster, "sub": subject, "aud": [AUDIENCE], "iat": now, "exp": now + 600});
    let header = json!({"alg": "RS256", "kid": key.kid()});
    let token = key.sign_with_header(&header, &claims).unwrap();
    assert_eq!(s.exchange(&token).await.status, 200);
    // Valid for a day and an hour: still accepted; a second longer: Entra's AADSTS70023.
    for (extra, accepted) in [(0, true), (1, false)] {
        let exp = now + 25 * 3600 + extra;
        let claims =
            json!({"iss": cluster, "sub": subject, "aud": [AUDIENCE], "iat": now, "exp": exp});
        let reply = s
            .exchange(&key.sign_with_header(&header, &claims).unwrap())
            .await;
        match accepted {
            true => assert_eq!(reply.status, 200, "{}", reply.body),
            false => assert_refused(
                &reply,
                400,
                "invalid_request",
                70023,
                &format!("less than or equal to 1.01:00:00. Token issued at {now}. Token expires on {exp}."),
            ),
        }
    }
}

/// A loopback OIDC issuer over plain HTTP, signing ES256: its discovery and JWKS documents.
async fn serve_issuer(jwks: Value) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (issuer, counter) = (base.clone(), hits.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buffer = vec![0u8; 4096];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buffer[..read]).to_string();
            let body = if request.starts_with("GET /.well-known/openid-configuration ") {
                json!({"issuer": issuer, "jwks_uri": format!("{issuer}/keys")}).to_string()
            } else if request.starts_with("GET /keys ") {
                jwks.to_string()
            } else {
                String::new()
            };
            let status = if body.is_empty() {
                "404 Not Found"
            } else {
                "200 OK"
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    (base, hits)
}

#[tokio::test]
async fn a_loopback_issuers_metadata_is_fetched_once_and_an_unreachable_one_gets_50166() {
    let s = Setup::new().await;
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])}]});
    let (issuer, hits) = serve_issuer(jwks).await;
    s.add_credential("local-ci", &issuer, SUBJECT).await;
    let sign = |exp: i64| {
        let now = s.graph.app.clock.now();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": "ec1"}).to_string()),
            URL_SAFE_NO_PAD.encode(
                json!({"iss": issuer, "sub": SUBJECT, "aud": AUDIENCE, "iat": now, "exp": now + exp})
                    .to_string()
            )
        );
        let signature = pair.sign(&rng, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    };
    assert_eq!(s.exchange(&sign(600)).await.status, 200);
    assert_eq!(s.exchange(&sign(601)).await.status, 200);
    // Discovery and JWKS once: the second exchange found its kid in the cache.
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);

    // A loopback issuer nobody serves, and one off this machine: mimic fetches neither.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for unreachable in [
        closed.as_str(),
        "https://token.actions.githubusercontent.com",
    ] {
        s.add_credential(&format!("x{}", unreachable.len()), unreachable, SUBJECT)
            .await;
        let now = s.graph.app.clock.now();
        let token = mimic_token::SigningKey::generate("x")
            .unwrap()
            .sign(&json!({"iss": unreachable, "sub": SUBJECT, "aud": AUDIENCE, "exp": now + 600}))
            .unwrap();
        assert_refused(
            &s.exchange(&token).await,
            400,
            "invalid_request",
            50166,
            "Request to External OIDC endpoint failed.",
        );
    }
}
