//! Token minting vs verification, against a baseline of raw aws-lc-rs: the same header and claims
//! serialised and signed with an `RsaKeyPair` parsed once, so the ratio is what `SigningKey` adds.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use mimic_token::{AccessTokenClaims, Expectations, Jwk, Jwks, SigningKey, Verifier};

fn claims() -> AccessTokenClaims {
    AccessTokenClaims {
        aud: "https://management.azure.com/".into(),
        iss: "https://sts.windows.net/7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e/".into(),
        iat: 1_795_438_800,
        nbf: 1_795_438_800,
        exp: 1_795_525_199,
        aio: "aio".into(),
        appid: "0f1e2d3c-4b5a-4968-8776-655443322110".into(),
        appidacr: "2".into(),
        idp: "https://sts.windows.net/7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e/".into(),
        idtyp: Some("app".into()),
        oid: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d".into(),
        rh: "0.rh.".into(),
        sub: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d".into(),
        tid: "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e".into(),
        uti: "uti".into(),
        ver: "1.0".into(),
        xms_mirid: Some(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
                .into(),
        ),
        xms_az_rid: None,
        xms_cc: None,
        roles: Vec::new(),
    }
}

fn token(c: &mut Criterion) {
    let key = SigningKey::generate("bench").expect("a key");
    let claims = claims();
    let verifier = Verifier::from_jwks(&Jwks {
        keys: vec![Jwk::from_key(&key, None)],
    });
    let expect = Expectations {
        issuers: vec![claims.iss.clone()],
        audiences: vec![claims.aud.clone()],
        leeway: 300,
    };
    let signed = key.sign(&claims).expect("a token");
    let header =
        serde_json::json!({"typ": "JWT", "alg": "RS256", "x5t": key.kid(), "kid": key.kid()});
    let pkcs8: String = key
        .private_key_pem()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&STANDARD.decode(pkcs8).expect("base64"))
        .expect("a PKCS#8 key");
    let rng = aws_lc_rs::rand::SystemRandom::new();

    let mut group = c.benchmark_group("token");
    group.sample_size(20);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(2));
    group.bench_function("mint (SigningKey::sign)", |b| {
        b.iter(|| key.sign(&claims).expect("signed"))
    });
    group.bench_function("verify (Verifier::verify)", |b| {
        b.iter(|| {
            verifier
                .verify::<AccessTokenClaims>(&signed, &expect, claims.iat)
                .expect("verified")
        })
    });
    group.bench_function("baseline (raw aws-lc-rs RsaKeyPair, parsed once)", |b| {
        b.iter(|| {
            let mut message = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).expect("json"));
            message.push('.');
            message.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json")));
            let mut signature = vec![0; pair.public_modulus_len()];
            pair.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &rng,
                message.as_bytes(),
                &mut signature,
            )
            .expect("signed");
            message.push('.');
            message.push_str(&URL_SAFE_NO_PAD.encode(signature));
            message
        })
    });
    group.finish();
}

criterion_group!(benches, token);
criterion_main!(benches);
