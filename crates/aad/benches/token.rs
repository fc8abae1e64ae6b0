//! Token minting vs verification, and the `jsonwebtoken` baseline that re-parses the PEM key on
//! every signature (what `SigningKey` avoids by keeping a parsed `ring` key pair).

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
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.kid().to_string());

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
    group.bench_function(
        "baseline (jsonwebtoken::encode + EncodingKey::from_rsa_pem)",
        |b| {
            b.iter(|| {
                let encoding =
                    jsonwebtoken::EncodingKey::from_rsa_pem(key.private_key_pem().as_bytes())
                        .expect("a pem key");
                jsonwebtoken::encode(&header, &claims, &encoding).expect("encoded")
            })
        },
    );
    group.finish();
}

criterion_group!(benches, token);
criterion_main!(benches);
