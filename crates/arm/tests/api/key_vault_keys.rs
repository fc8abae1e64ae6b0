//! Key Vault's data plane, keys (issue 16 item 2), over real HTTPS to ARM's listener with the
//! vault's `Host`: RSA and EC keys whose responses carry public parts only, sign/verify checked
//! independently from the returned JSON Web Key, encrypt/decrypt and wrap/unwrap round trips,
//! import, versions and rotation, key_ops, disabled and expired keys, RBAC (Crypto Officer,
//! Crypto User, Secrets User) and access policies, soft delete/recover/purge, backup/restore, and
//! bad input that gets `BadParameter` and changes nothing.

use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_2048_8192_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use mimic_testkit::fixture::TENANT;
use mimic_testkit::{Reply, TestArm};

use crate::key_vault_support::{create_vault, kv_path, kv_url, port, vault_id, vault_token};

const CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
const CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

/// The private members of a JSON Web Key: none may appear in any response.
const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

/// A new principal with `role` on the vault, and its Key Vault token.
async fn principal_with(app: &TestArm, vault: &str, role: &str) -> String {
    let (principal, _) = app.new_principal(&format!("{vault}-{role}")).await;
    app.grant(&vault_id(vault), role, &principal.object_id)
        .await;
    vault_token(app, &principal.app_id, &principal.secret).await
}

/// A data-plane request to `vault` at `path`, api-version [`KV`]; no answer may carry a private
/// key member.
async fn kv(
    app: &TestArm,
    method: &str,
    vault: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Reply {
    let reply = kv_url(app, method, vault, &kv_path(app, path), Some(token), body).await;
    assert_no_private_members(&reply);
    reply
}

/// No response carries a private key member, wherever it is.
fn assert_no_private_members(reply: &Reply) {
    fn walk(value: &Value, text: &str) {
        match value {
            Value::Object(map) => {
                for (name, inner) in map {
                    assert!(
                        !(PRIVATE_MEMBERS.contains(&name.as_str()) && inner.is_string()),
                        "private member {name} in {text}"
                    );
                    walk(inner, text);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, text)),
            _ => {}
        }
    }
    walk(&reply.body, &reply.text);
}

fn error(reply: &Reply) -> (u16, &str, &str) {
    (
        reply.status,
        reply.body["error"]["code"].as_str().unwrap_or_default(),
        reply.body["error"]["innererror"]["code"]
            .as_str()
            .unwrap_or_default(),
    )
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.as_str().unwrap().trim_end_matches('='))
        .unwrap()
}

fn sha256(message: &[u8]) -> Vec<u8> {
    digest(&SHA256, message).as_ref().to_vec()
}

/// The version segment of a `kid`.
fn version_of(kid: &Value) -> String {
    kid.as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn rsa_and_ec_keys_show_public_parts_and_signatures_verify_from_the_public_key() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-keys", true, "standard", json!([])).await;
    let token = principal_with(&app, "kv-keys", CRYPTO_OFFICER).await;
    let base = format!("https://kv-keys.vault.mimic.test:{}", port(&app));
    let message = b"the message mimic signs";

    let rsa = kv(
        &app,
        "POST",
        "kv-keys",
        "/keys/Signer/create",
        &token,
        Some(json!({"kty": "RSA", "key_size": 2048, "tags": {"env": "test"}})),
    )
    .await;
    assert_eq!(rsa.status, 200, "{}", rsa.text);
    let kid = rsa.body["key"]["kid"].as_str().unwrap().to_string();
    assert!(kid.starts_with(&format!("{base}/keys/Signer/")), "{kid}");
    assert_eq!(version_of(&rsa.body["key"]["kid"]).len(), 32);
    assert_eq!(rsa.body["key"]["kty"], "RSA");
    assert_eq!(
        rsa.body["key"]["key_ops"],
        json!([
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey"
        ])
    );
    assert_eq!(rsa.body["key"]["e"], "AQAB");
    assert_eq!(unb64(&rsa.body["key"]["n"]).len(), 256);
    assert_eq!(rsa.body["attributes"]["enabled"], true);
    assert_eq!(
        rsa.body["attributes"]["recoveryLevel"],
        "Recoverable+Purgeable"
    );
    assert_eq!(rsa.body["tags"]["env"], "test");
    let got = kv(&app, "GET", "kv-keys", "/keys/signer", &token, None).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["key"], rsa.body["key"]);

    // Sign a digest in the vault (the latest version through the empty version segment, as the
    // SDKs send it), verify it there and, independently, with the public key alone.
    let signed = kv(
        &app,
        "POST",
        "kv-keys",
        "/keys/signer//sign",
        &token,
        Some(json!({"alg": "RS256", "value": b64(&sha256(message))})),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    assert_eq!(signed.body["kid"], kid.as_str());
    let signature = unb64(&signed.body["value"]);
    RsaPublicKeyComponents {
        n: unb64(&rsa.body["key"]["n"]),
        e: unb64(&rsa.body["key"]["e"]),
    }
    .verify(&RSA_PKCS1_2048_8192_SHA256, message, &signature)
    .expect("the vault's signature verifies with the public JWK");
    let version = version_of(&rsa.body["key"]["kid"]);
    let verify = |signature: Vec<u8>| {
        let (app, token, version) = (&app, &token, &version);
        async move {
            kv(
                app,
                "POST",
                "kv-keys",
                &format!("/keys/signer/{version}/verify"),
                token,
                Some(json!({"alg": "RS256", "digest": b64(&sha256(message)), "value": b64(&signature)})),
            )
            .await
        }
    };
    let verified = verify(signature.clone()).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body, json!({"value": true}));
    let mut tampered = signature;
    tampered[10] ^= 0x01;
    assert_eq!(verify(tampered).await.body, json!({"value": false}));

    // EC P-256: fixed-length coordinates, ES256 signatures r || s.
    let ec = kv(
        &app,
        "POST",
        "kv-keys",
        "/keys/ec-signer/create",
        &token,
        Some(json!({"kty": "EC", "crv": "P-256"})),
    )
    .await;
    assert_eq!(ec.status, 200, "{}", ec.text);
    assert_eq!(ec.body["key"]["kty"], "EC");
    assert_eq!(ec.body["key"]["crv"], "P-256");
    assert_eq!(ec.body["key"]["key_ops"], json!(["sign", "verify"]));
    let mut point = vec![0x04];
    point.extend(unb64(&ec.body["key"]["x"]));
    point.extend(unb64(&ec.body["key"]["y"]));
    assert_eq!(point.len(), 65);
    let signed = kv(
        &app,
        "POST",
        "kv-keys",
        &format!(
            "/keys/ec-signer/{}/sign",
            version_of(&ec.body["key"]["kid"])
        ),
        &token,
        Some(json!({"alg": "ES256", "value": b64(&sha256(message))})),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    let signature = unb64(&signed.body["value"]);
    assert_eq!(signature.len(), 64);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(message, &signature)
        .expect("the ES256 signature verifies with the public JWK");
    // An RSA algorithm on an EC key: BadParameter naming the key.
    let reply = kv(
        &app,
        "POST",
        "kv-keys",
        "/keys/ec-signer//sign",
        &token,
        Some(json!({"alg": "RS256", "value": b64(&sha256(message))})),
    )
    .await;
    assert_eq!(error(&reply), (400, "BadParameter", ""), "{}", reply.text);

    let list = kv(&app, "GET", "kv-keys", "/keys", &token, None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let kids: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        [
            format!("{base}/keys/ec-signer"),
            format!("{base}/keys/Signer")
        ]
    );
    assert!(list.body["value"][0].get("key").is_none());
}

#[tokio::test]
async fn encrypt_decrypt_and_wrap_unwrap_round_trip_with_every_rsa_algorithm() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-enc", true, "standard", json!([])).await;
    let token = principal_with(&app, "kv-enc", CRYPTO_OFFICER).await;
    let created = kv(
        &app,
        "POST",
        "kv-enc",
        "/keys/kek/create",
        &token,
        Some(json!({"kty": "RSA", "key_size": 3072})),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(unb64(&created.body["key"]["n"]).len(), 384);
    let version = version_of(&created.body["key"]["kid"]);
    let data = b"a 32-byte data encryption key!!!";
    for (forward, backward) in [("encrypt", "decrypt"), ("wrapkey", "unwrapkey")] {
        for alg in ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] {
            let sealed = kv(
                &app,
                "POST",
                "kv-enc",
                &format!("/keys/kek/{version}/{forward}"),
                &token,
                Some(json!({"alg": alg, "value": b64(data)})),
            )
            .await;
            assert_eq!(sealed.status, 200, "{forward} {alg}: {}", sealed.text);
            let ciphertext = unb64(&sealed.body["value"]);
            assert_eq!(ciphertext.len(), 384);
            assert_ne!(ciphertext, data);
            let opened = kv(
                &app,
                "POST",
                "kv-enc",
                &format!("/keys/kek/{version}/{backward}"),
                &token,
                Some(json!({"alg": alg, "value": b64(&ciphertext)})),
            )
            .await;
            assert_eq!(opened.status, 200, "{backward} {alg}: {}", opened.text);
            assert_eq!(unb64(&opened.body["value"]), data, "{backward} {alg}");
        }
    }
    // Ciphertext opened with the other OAEP algorithm: Key Vault's padding error.
    let sealed = kv(
        &app,
        "POST",
        "kv-enc",
        "/keys/kek//encrypt",
        &token,
        Some(json!({"alg": "RSA-OAEP-256", "value": b64(data)})),
    )
    .await;
    let reply = kv(
        &app,
        "POST",
        "kv-enc",
        "/keys/kek//decrypt",
        &token,
        Some(json!({"alg": "RSA-OAEP", "value": sealed.body["value"]})),
    )
    .await;
    assert_eq!(error(&reply), (400, "BadParameter", ""), "{}", reply.text);
    assert_eq!(
        reply.body["error"]["message"],
        "Error occurred while decoding OAEP padding."
    );
}

#[tokio::test]
async fn an_imported_jwk_keeps_its_public_part_and_signs_as_the_original() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-import", true, "standard", json!([])).await;
    let token = principal_with(&app, "kv-import", CRYPTO_OFFICER).await;
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let d = pair.private_key().as_be_bytes().unwrap();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..]),
        "d": b64(d.as_ref()), "key_ops": ["sign", "verify"]});

    let imported = kv(
        &app,
        "PUT",
        "kv-import",
        "/keys/imported",
        &token,
        Some(json!({"key": jwk, "tags": {"source": "local"}})),
    )
    .await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.body["key"]["x"], jwk["x"]);
    assert_eq!(imported.body["key"]["y"], jwk["y"]);
    assert!(imported.body["key"].get("d").is_none());
    assert!(!imported.text.contains(jwk["d"].as_str().unwrap()));
    let message = b"imported keys sign too";
    let signed = kv(
        &app,
        "POST",
        "kv-import",
        "/keys/imported//sign",
        &token,
        Some(json!({"alg": "ES256", "value": b64(&sha256(message))})),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(message, &unb64(&signed.body["value"]))
        .expect("the vault signs with the imported key");

    // A key whose members do not match, and one without its private part: refused, nothing added.
    let mut wrong = jwk.clone();
    wrong["d"] = json!(b64(&[7u8; 32]));
    let mut public_only = jwk.clone();
    public_only.as_object_mut().unwrap().remove("d");
    for key in [wrong, public_only] {
        let reply = kv(
            &app,
            "PUT",
            "kv-import",
            "/keys/imported",
            &token,
            Some(json!({"key": key})),
        )
        .await;
        assert_eq!(error(&reply), (400, "BadParameter", ""), "{}", reply.text);
    }
    let versions = kv(
        &app,
        "GET",
        "kv-import",
        "/keys/imported/versions",
        &token,
        None,
    )
    .await;
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn versions_rotation_key_ops_disabled_and_expired_keys_follow_key_vault() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-life", true, "standard", json!([])).await;
    let token = principal_with(&app, "kv-life", CRYPTO_OFFICER).await;
    let digest = b64(&sha256(b"m"));
    let sign = |path: String| {
        let (app, token, digest) = (&app, &token, &digest);
        async move {
            kv(
                app,
                "POST",
                "kv-life",
                &path,
                token,
                Some(json!({"alg": "RS256", "value": digest})),
            )
            .await
        }
    };

    let first = kv(
        &app,
        "POST",
        "kv-life",
        "/keys/k/create",
        &token,
        Some(json!({"kty": "RSA", "tags": {"team": "a"}})),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first_version = version_of(&first.body["key"]["kid"]);
    let rotated = kv(&app, "POST", "kv-life", "/keys/k/rotate", &token, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_ne!(version_of(&rotated.body["key"]["kid"]), first_version);
    assert_ne!(rotated.body["key"]["n"], first.body["key"]["n"]);
    assert_eq!(rotated.body["key"]["kty"], "RSA");
    assert_eq!(rotated.body["key"]["key_ops"], first.body["key"]["key_ops"]);
    assert_eq!(rotated.body["tags"], json!({"team": "a"}));
    let versions = kv(
        &app,
        "GET",
        "kv-life",
        "/keys/k/versions?maxresults=1",
        &token,
        None,
    )
    .await;
    assert_eq!(versions.status, 200, "{}", versions.text);
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 1);
    assert!(versions.body["nextLink"].is_string());
    let latest = kv(&app, "GET", "kv-life", "/keys/k/", &token, None).await;
    assert_eq!(latest.body["key"]["kid"], rotated.body["key"]["kid"]);
    let old = kv(
        &app,
        "GET",
        "kv-life",
        &format!("/keys/k/{first_version}"),
        &token,
        None,
    )
    .await;
    assert_eq!(old.body["key"]["n"], first.body["key"]["n"]);
    assert_eq!(
        sign(format!("/keys/k/{first_version}/sign")).await.status,
        200
    );

    // key_ops restrict the operations of a version.
    let updated = kv(
        &app,
        "PATCH",
        "kv-life",
        &format!("/keys/k/{first_version}"),
        &token,
        Some(json!({"key_ops": ["verify"], "tags": {"team": "b"}})),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["key"]["key_ops"], json!(["verify"]));
    assert_eq!(updated.body["tags"], json!({"team": "b"}));
    let reply = sign(format!("/keys/k/{first_version}/sign")).await;
    assert_eq!(
        error(&reply),
        (403, "Forbidden", "KeyOperationForbidden"),
        "{}",
        reply.text
    );
    assert_eq!(
        reply.body["error"]["message"],
        "Operation sign is not permitted on this key."
    );

    // Disabled: readable, no private-key operations, public-key ones still answered.
    let reply = kv(
        &app,
        "PATCH",
        "kv-life",
        "/keys/k",
        &token,
        Some(json!({"attributes": {"enabled": false}})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let got = kv(&app, "GET", "kv-life", "/keys/k", &token, None).await;
    assert_eq!(
        (got.status, &got.body["attributes"]["enabled"]),
        (200, &json!(false))
    );
    let reply = sign("/keys/k//sign".into()).await;
    assert_eq!(
        error(&reply),
        (403, "Forbidden", "KeyDisabled"),
        "{}",
        reply.text
    );
    assert_eq!(
        reply.body["error"]["message"],
        "Operation sign is not allowed on a disabled key."
    );
    let wrapped = kv(
        &app,
        "POST",
        "kv-life",
        "/keys/k//wrapkey",
        &token,
        Some(json!({"alg": "RSA-OAEP-256", "value": b64(&[1u8; 32])})),
    )
    .await;
    assert_eq!(wrapped.status, 200, "{}", wrapped.text);
    let reply = kv(
        &app,
        "POST",
        "kv-life",
        "/keys/k//unwrapkey",
        &token,
        Some(json!({"alg": "RSA-OAEP-256", "value": wrapped.body["value"]})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (403, "Forbidden", "KeyDisabled"),
        "{}",
        reply.text
    );

    // Outside nbf/exp: sign, encrypt and wrapKey refused; decrypt, unwrapKey and verify work.
    for (name, attributes, inner) in [
        ("expired", json!({"exp": 1_000_000_000}), "KeyExpired"),
        ("early", json!({"nbf": 4_000_000_000_i64}), "KeyNotYetValid"),
    ] {
        let created = kv(
            &app,
            "POST",
            "kv-life",
            &format!("/keys/{name}/create"),
            &token,
            Some(json!({"kty": "RSA", "attributes": attributes})),
        )
        .await;
        assert_eq!(created.status, 200, "{}", created.text);
        let reply = sign(format!("/keys/{name}//sign")).await;
        assert_eq!(error(&reply), (403, "Forbidden", inner), "{}", reply.text);
        let reply = kv(
            &app,
            "POST",
            "kv-life",
            &format!("/keys/{name}//encrypt"),
            &token,
            Some(json!({"alg": "RSA-OAEP", "value": b64(b"x")})),
        )
        .await;
        assert_eq!(error(&reply), (403, "Forbidden", inner), "{}", reply.text);
        let reply = kv(
            &app,
            "POST",
            "kv-life",
            &format!("/keys/{name}//verify"),
            &token,
            Some(json!({"alg": "RS256", "digest": digest, "value": b64(&[0u8; 256])})),
        )
        .await;
        assert_eq!(reply.body, json!({"value": false}), "{}", reply.text);
    }
}

#[tokio::test]
async fn rbac_crypto_user_signs_but_cannot_create_and_secrets_roles_do_nothing_on_keys() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-rbac", true, "standard", json!([])).await;
    let officer = principal_with(&app, "kv-rbac", CRYPTO_OFFICER).await;
    let user = principal_with(&app, "kv-rbac", CRYPTO_USER).await;
    let secrets_user = principal_with(&app, "kv-rbac", SECRETS_USER).await;
    let create = json!({"kty": "EC", "crv": "P-256"});
    let sign = json!({"alg": "ES256", "value": b64(&sha256(b"m"))});

    let reply = kv(
        &app,
        "POST",
        "kv-rbac",
        "/keys/k/create",
        &user,
        Some(create.clone()),
    )
    .await;
    assert_eq!(
        error(&reply),
        (403, "Forbidden", "ForbiddenByRbac"),
        "{}",
        reply.text
    );
    let message = reply.body["error"]["message"].as_str().unwrap();
    for part in [
        "Action: 'Microsoft.KeyVault/vaults/keys/create/action'",
        &format!("Resource: '{}/keys/k'", vault_id("kv-rbac").to_lowercase()),
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    let reply = kv(
        &app,
        "POST",
        "kv-rbac",
        "/keys/k/create",
        &officer,
        Some(create),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let reply = kv(
        &app,
        "POST",
        "kv-rbac",
        "/keys/k//sign",
        &user,
        Some(sign.clone()),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-rbac", "/keys/k", &user, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(&app, "DELETE", "kv-rbac", "/keys/k", &user, None).await;
    assert_eq!(error(&reply).1, "Forbidden", "{}", reply.text);

    for (method, path, body) in [
        ("POST", "/keys/k//sign", Some(sign)),
        ("GET", "/keys/k", None),
        ("GET", "/keys", None),
    ] {
        let reply = kv(&app, method, "kv-rbac", path, &secrets_user, body).await;
        assert_eq!(
            error(&reply),
            (403, "Forbidden", "ForbiddenByRbac"),
            "{method} {path}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn an_access_policy_with_sign_only_signs_and_nothing_else() {
    let app = TestArm::spawn().await;
    let (owner, _) = app.new_principal("kv-owner").await;
    let (signer, _) = app.new_principal("kv-signer").await;
    let policy = |object: &str, keys: &[&str]| json!({"tenantId": TENANT, "objectId": object, "permissions": {"keys": keys}});
    create_vault(
        &app,
        "kv-policy",
        false,
        "standard",
        json!([
            policy(&owner.object_id, &["all"]),
            policy(&signer.object_id, &["sign"])
        ]),
    )
    .await;
    let owner_token = vault_token(&app, &owner.app_id, &owner.secret).await;
    let signer_token = vault_token(&app, &signer.app_id, &signer.secret).await;
    let reply = kv(
        &app,
        "POST",
        "kv-policy",
        "/keys/k/create",
        &owner_token,
        Some(json!({"kty": "RSA"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let sign = json!({"alg": "PS256", "value": b64(&sha256(b"m"))});
    let reply = kv(
        &app,
        "POST",
        "kv-policy",
        "/keys/k//sign",
        &signer_token,
        Some(sign),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-policy", "/keys/k", &signer_token, None).await;
    assert_eq!(
        error(&reply),
        (403, "Forbidden", "AccessDenied"),
        "{}",
        reply.text
    );
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not have keys get permission on key vault 'kv-policy;location=eastus'"),
        "{}",
        reply.text
    );
    let reply = kv(
        &app,
        "POST",
        "kv-policy",
        "/keys/k//verify",
        &signer_token,
        Some(json!({"alg": "PS256", "digest": b64(&sha256(b"m")), "value": b64(&[0u8; 256])})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (403, "Forbidden", "AccessDenied"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn keys_soft_delete_recover_purge_back_up_and_restore() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-del", true, "premium", json!([])).await;
    let token = principal_with(&app, "kv-del", CRYPTO_OFFICER).await;
    let base = format!("https://kv-del.vault.mimic.test:{}", port(&app));
    let created = kv(
        &app,
        "POST",
        "kv-del",
        "/keys/Hsm-Key/create",
        &token,
        Some(json!({"kty": "RSA-HSM"})),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.body["key"]["kty"], "RSA-HSM");
    kv(&app, "POST", "kv-del", "/keys/hsm-key/rotate", &token, None).await;

    let deleted = kv(&app, "DELETE", "kv-del", "/keys/hsm-key", &token, None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(
        deleted.body["recoveryId"],
        format!("{base}/deletedkeys/Hsm-Key")
    );
    assert!(deleted.body["key"]["n"].is_string());
    let reply = kv(&app, "GET", "kv-del", "/keys/hsm-key", &token, None).await;
    assert_eq!(error(&reply), (404, "KeyNotFound", ""), "{}", reply.text);
    let reply = kv(
        &app,
        "POST",
        "kv-del",
        "/keys/hsm-key/create",
        &token,
        Some(json!({"kty": "RSA"})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (409, "Conflict", "ObjectIsDeletedButRecoverable"),
        "{}",
        reply.text
    );
    let list = kv(&app, "GET", "kv-del", "/deletedkeys", &token, None).await;
    assert_eq!(list.body["value"][0]["kid"], format!("{base}/keys/Hsm-Key"));
    let one = kv(&app, "GET", "kv-del", "/deletedkeys/hsm-key", &token, None).await;
    assert_eq!(one.status, 200, "{}", one.text);
    let recovered = kv(
        &app,
        "POST",
        "kv-del",
        "/deletedkeys/hsm-key/recover",
        &token,
        None,
    )
    .await;
    assert_eq!(recovered.status, 200, "{}", recovered.text);
    let versions = kv(
        &app,
        "GET",
        "kv-del",
        "/keys/hsm-key/versions",
        &token,
        None,
    )
    .await;
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 2);

    // Backup (opaque, the private key sealed), delete, purge, restore: the same key signs.
    let backup = kv(&app, "POST", "kv-del", "/keys/hsm-key/backup", &token, None).await;
    assert_eq!(backup.status, 200, "{}", backup.text);
    let blob = backup.body["value"].as_str().unwrap().to_string();
    kv(&app, "DELETE", "kv-del", "/keys/hsm-key", &token, None).await;
    let reply = kv(
        &app,
        "DELETE",
        "kv-del",
        "/deletedkeys/hsm-key",
        &token,
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-del", "/deletedkeys/hsm-key", &token, None).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    let restored = kv(
        &app,
        "POST",
        "kv-del",
        "/keys/restore",
        &token,
        Some(json!({"value": blob})),
    )
    .await;
    assert_eq!(restored.status, 200, "{}", restored.text);
    assert_eq!(
        restored.body["key"]["n"],
        versions_latest_n(&app, &token).await
    );
    let reply = kv(
        &app,
        "POST",
        "kv-del",
        "/keys/restore",
        &token,
        Some(json!({"value": blob})),
    )
    .await;
    assert_eq!(error(&reply).0, 409, "{}", reply.text);
    let reply = kv(
        &app,
        "POST",
        "kv-del",
        "/secrets/restore",
        &token,
        Some(json!({"value": blob})),
    )
    .await;
    assert_eq!(
        error(&reply),
        (400, "BadParameter", ""),
        "a key's blob does not restore as a secret: {}",
        reply.text
    );
}

async fn versions_latest_n(app: &TestArm, token: &str) -> Value {
    kv(app, "GET", "kv-del", "/keys/hsm-key", token, None)
        .await
        .body["key"]["n"]
        .clone()
}

#[tokio::test]
async fn bad_input_gets_bad_parameter_and_changes_nothing() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-bad", true, "standard", json!([])).await;
    let token = principal_with(&app, "kv-bad", CRYPTO_OFFICER).await;
    for (path, body) in [
        ("/keys/bad_name/create", json!({"kty": "RSA"})),
        ("/keys/good/create", json!({})),
        ("/keys/good/create", json!({"kty": "DSA"})),
        ("/keys/good/create", json!({"kty": "oct"})),
        ("/keys/good/create", json!({"kty": "RSA-HSM"})),
        ("/keys/good/create", json!({"kty": "RSA", "key_size": 1024})),
        (
            "/keys/good/create",
            json!({"kty": "RSA", "public_exponent": 3}),
        ),
        ("/keys/good/create", json!({"kty": "EC", "crv": "P-192"})),
        (
            "/keys/good/create",
            json!({"kty": "RSA", "key_ops": ["fly"]}),
        ),
        (
            "/keys/good/create",
            json!({"kty": "RSA", "attributes": {"nbf": 20, "exp": 10}}),
        ),
        (
            "/keys/good/create",
            json!({"kty": "RSA", "attributes": {"exportable": true}}),
        ),
        ("/keys/good/create", json!("not an object")),
    ] {
        let reply = kv(&app, "POST", "kv-bad", path, &token, Some(body.clone())).await;
        assert_eq!(
            error(&reply),
            (400, "BadParameter", ""),
            "{path} {body}: {}",
            reply.text
        );
    }
    let reply = kv(
        &app,
        "PUT",
        "kv-bad",
        "/keys/good",
        &token,
        Some(json!({"tags": {}})),
    )
    .await;
    assert_eq!(error(&reply), (400, "BadParameter", ""), "{}", reply.text);
    let reply = kv(&app, "GET", "kv-bad", "/keys", &token, None).await;
    assert_eq!(reply.body["value"], json!([]), "nothing was stored");

    let created = kv(
        &app,
        "POST",
        "kv-bad",
        "/keys/good/create",
        &token,
        Some(json!({"kty": "RSA"})),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    for (operation, body) in [
        ("sign", json!({"alg": "XS256", "value": b64(&[0u8; 32])})),
        ("sign", json!({"alg": "RS256", "value": b64(&[0u8; 31])})),
        ("sign", json!({"alg": "RS256", "value": "not base64url!"})),
        ("sign", json!({"alg": "RS256"})),
        ("sign", json!({"alg": "ES256", "value": b64(&[0u8; 32])})),
        ("encrypt", json!({"alg": "A256GCM", "value": b64(b"x")})),
        (
            "encrypt",
            json!({"alg": "RSA-OAEP", "value": b64(&[0u8; 300])}),
        ),
        (
            "decrypt",
            json!({"alg": "RSA-OAEP", "value": b64(&[1u8; 256])}),
        ),
        ("verify", json!({"alg": "RS256", "value": b64(&[0u8; 256])})),
    ] {
        let reply = kv(
            &app,
            "POST",
            "kv-bad",
            &format!("/keys/good//{operation}"),
            &token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            error(&reply),
            (400, "BadParameter", ""),
            "{operation} {body}: {}",
            reply.text
        );
    }
    let reply = kv(
        &app,
        "PATCH",
        "kv-bad",
        "/keys/good",
        &token,
        Some(json!({"key_ops": ["sign", "teleport"]})),
    )
    .await;
    assert_eq!(error(&reply), (400, "BadParameter", ""), "{}", reply.text);
    let reply = kv(&app, "GET", "kv-bad", "/keys/good", &token, None).await;
    assert_eq!(
        reply.body["key"], created.body["key"],
        "a refused update changes nothing"
    );
    let reply = kv(&app, "GET", "kv-bad", "/keys/missing", &token, None).await;
    assert_eq!(error(&reply), (404, "KeyNotFound", ""), "{}", reply.text);
    let reply = kv(
        &app,
        "POST",
        "kv-bad",
        "/keys/good//release",
        &token,
        Some(json!({})),
    )
    .await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    let reply = kv(&app, "POST", "kv-bad", "/keys", &token, None).await;
    assert_eq!(reply.status, 405, "{}", reply.text);
}

#[tokio::test]
async fn parallel_creates_and_rotations_of_one_key_all_land_as_versions() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-many", true, "standard", json!([])).await;
    let token = principal_with(&app, "kv-many", CRYPTO_OFFICER).await;
    let created = kv(
        &app,
        "POST",
        "kv-many",
        "/keys/shared/create",
        &token,
        Some(json!({"kty": "EC"})),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let replies = futures::future::join_all((0..8).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            match i % 2 {
                0 => {
                    kv(
                        app,
                        "POST",
                        "kv-many",
                        "/keys/shared/create",
                        token,
                        Some(json!({"kty": "EC", "crv": "P-384"})),
                    )
                    .await
                }
                _ => kv(app, "POST", "kv-many", "/keys/shared/rotate", token, None).await,
            }
        }
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let versions = kv(
        &app,
        "GET",
        "kv-many",
        "/keys/shared/versions",
        &token,
        None,
    )
    .await;
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 9);
}
