//! Unit tests of Key Vault key cryptography. Independent checks build aws-lc-rs public keys from
//! the exported public JSON Web Key only (n/e → DER, 0x04‖x‖y), never from mimic's key pair.

use super::*;
use aws_lc_rs::digest;
use aws_lc_rs::rsa::{PublicEncryptingKey, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256};
use base64::Engine as _;

use JsonWebKeyCurveName as Curve;
use JsonWebKeyEncryptionAlgorithm as Enc;
use JsonWebKeySignatureAlgorithm as Alg;

const KID: &str = "https://vault1.vault.azure.net/keys/key1/0123456789abcdef0123456789abcdef";

fn rsa() -> KeyMaterial {
    KeyMaterial::generate(JsonWebKeyType::Rsa, None, None, None).expect("RSA key")
}

fn ec(curve: Curve) -> KeyMaterial {
    KeyMaterial::generate(JsonWebKeyType::Ec, None, Some(curve), None).expect("EC key")
}

/// A key that can use `algorithm`.
fn key_for(algorithm: Alg, rsa_key: &KeyMaterial) -> Option<KeyMaterial> {
    algorithm.curve().map(ec).or_else(|| {
        let stored = rsa_key.to_stored().expect("stored");
        KeyMaterial::from_stored(&stored).ok()
    })
}

fn digest_for(algorithm: Alg, message: &[u8]) -> Vec<u8> {
    digest::digest(algorithm.digest_algorithm(), message)
        .as_ref()
        .to_vec()
}

fn decode(value: Option<&String>) -> Vec<u8> {
    base64url_decode(value.expect("member present")).expect("base64url")
}

fn ops() -> Vec<String> {
    vec!["sign".to_owned(), "verify".to_owned()]
}

// A minimal DER writer and reader, for test fixtures only.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        length @ 0..=0x7f => out.push(length as u8),
        length @ 0x80..=0xff => out.extend([0x81, length as u8]),
        length => out.extend([0x82, (length >> 8) as u8, length as u8]),
    }
    out.extend_from_slice(content);
    out
}

fn der_integer(value: &[u8]) -> Vec<u8> {
    let mut content = Vec::new();
    if value[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(value);
    tlv(0x02, &content)
}

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_public_key_der(jwk: &JsonWebKey) -> Vec<u8> {
    let mut content = der_integer(&decode(jwk.n.as_ref()));
    content.extend(der_integer(&decode(jwk.e.as_ref())));
    tlv(0x30, &content)
}

fn ec_point(jwk: &JsonWebKey) -> Vec<u8> {
    let mut point = vec![0x04];
    point.extend(decode(jwk.x.as_ref()));
    point.extend(decode(jwk.y.as_ref()));
    point
}

/// Reads the DER element at the start of `input`: (content, rest).
fn der_read(input: &[u8]) -> (&[u8], &[u8]) {
    let (length, header) = match input[1] {
        short @ 0..=0x7f => (usize::from(short), 2),
        0x81 => (usize::from(input[2]), 3),
        0x82 => ((usize::from(input[2]) << 8) | usize::from(input[3]), 4),
        other => panic!("unexpected DER length form {other:#x}"),
    };
    (&input[header..header + length], &input[header + length..])
}

/// The elements of the key structure inside a stored key's PKCS#8 `PrivateKeyInfo`.
fn private_key_fields(key: &KeyMaterial) -> Vec<Vec<u8>> {
    let stored = key.to_stored().expect("stored");
    let (info, _) = der_read(&stored[3..]);
    let (_version, rest) = der_read(info);
    let (_algorithm, rest) = der_read(rest);
    let (octets, _) = der_read(rest);
    let (mut rest, _) = der_read(octets);
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let (value, next) = der_read(rest);
        fields.push(value.to_vec());
        rest = next;
    }
    fields
}

/// The private JSON Web Key `az keyvault key import` would send for this RSA key.
fn rsa_private_jwk(key: &KeyMaterial) -> ImportJsonWebKey {
    // RSAPrivateKey: version, n, e, d, p, q, dp, dq, qi.
    let fields = private_key_fields(key);
    let member = |index: usize| Some(base64url_encode(strip_leading_zeros(&fields[index])));
    ImportJsonWebKey {
        kty: Some("RSA".to_owned()),
        n: member(1),
        e: member(2),
        d: member(3),
        p: member(4),
        q: member(5),
        dp: member(6),
        dq: member(7),
        qi: member(8),
        ..ImportJsonWebKey::default()
    }
}

/// The private JSON Web Key for this EC key.
fn ec_private_jwk(key: &KeyMaterial) -> ImportJsonWebKey {
    // ECPrivateKey: version, privateKey OCTET STRING, ...
    let d = private_key_fields(key).swap_remove(1);
    let public = key.public_jwk(KID, &ops());
    ImportJsonWebKey {
        kty: Some("EC".to_owned()),
        crv: public.crv.map(|curve| curve.as_str().to_owned()),
        x: public.x,
        y: public.y,
        d: Some(base64url_encode(&d)),
        ..ImportJsonWebKey::default()
    }
}

#[test]
fn sign_then_verify_round_trips_for_every_algorithm() {
    let rsa_key = rsa();
    for algorithm in Alg::ALL {
        let key = key_for(algorithm, &rsa_key).expect("key");
        let digest = digest_for(algorithm, b"hello, vault");

        let signature = key.sign(algorithm, &digest).expect("signature");

        assert_eq!(
            key.verify(algorithm, &digest, &signature),
            Ok(true),
            "{algorithm}"
        );
        let other = digest_for(algorithm, b"hello, vault!");
        assert_eq!(
            key.verify(algorithm, &other, &signature),
            Ok(false),
            "{algorithm}"
        );
        let mut tampered = signature.clone();
        tampered[0] ^= 1;
        assert_eq!(
            key.verify(algorithm, &digest, &tampered),
            Ok(false),
            "{algorithm}"
        );
        assert_eq!(
            key.verify(algorithm, &digest, b""),
            Ok(false),
            "{algorithm}"
        );
    }
}

#[test]
fn sign_makes_signatures_the_public_jwk_alone_verifies() {
    let rsa_key = rsa();
    for algorithm in Alg::ALL {
        let key = key_for(algorithm, &rsa_key).expect("key");
        let digest = digest_for(algorithm, b"message");
        let signature = key.sign(algorithm, &digest).expect("signature");
        let jwk = key.public_jwk(KID, &ops());
        let (verification, public_key): (&'static dyn VerificationAlgorithm, Vec<u8>) =
            match algorithm.curve() {
                None => (
                    algorithm.rsa_verification().expect("RSA"),
                    rsa_public_key_der(&jwk),
                ),
                Some(curve) => (curve.verification(), ec_point(&jwk)),
            };
        let public_key = UnparsedPublicKey::new(verification, public_key);
        let imported = |bytes: &[u8]| {
            Digest::import_less_safe(bytes, algorithm.digest_algorithm()).expect("digest")
        };

        let verified = public_key.verify_digest(&imported(&digest), &signature);
        let changed = digest_for(algorithm, b"messagf");
        let forged = public_key.verify_digest(&imported(&changed), &signature);

        assert!(verified.is_ok(), "{algorithm} does not verify");
        assert!(forged.is_err(), "{algorithm} verifies a changed digest");
    }
}

#[test]
fn ecdsa_signatures_are_fixed_length_r_and_s() {
    for (curve, length) in [
        (Curve::P256, 64),
        (Curve::P384, 96),
        (Curve::P521, 132),
        (Curve::P256K, 64),
    ] {
        let algorithm = curve.signature_algorithm();
        let key = ec(curve);

        let signature = key.sign(algorithm, &digest_for(algorithm, b"m"));

        assert_eq!(signature.map(|s| s.len()), Ok(length), "{curve}");
    }
}

#[test]
fn encrypt_then_decrypt_round_trips_for_every_algorithm() {
    let key = rsa();
    for algorithm in [Enc::RsaOaep, Enc::RsaOaep256, Enc::Rsa1_5] {
        let plaintext = b"a data encryption key, 32 bytes".to_vec();

        let ciphertext = key.encrypt(algorithm, &plaintext).expect("ciphertext");
        let wrapped = key.wrap_key(algorithm, &plaintext).expect("wrapped");

        assert_eq!(ciphertext.len(), 256, "{algorithm}");
        assert_ne!(ciphertext, wrapped, "{algorithm} padding is randomised");
        assert_eq!(key.decrypt(algorithm, &ciphertext), Ok(plaintext.clone()));
        assert_eq!(key.unwrap_key(algorithm, &wrapped), Ok(plaintext));
    }
}

#[test]
fn decrypt_opens_ciphertext_made_with_the_public_jwk() {
    let key = rsa();
    let jwk = key.public_jwk(KID, &ops());
    let (n, e) = (decode(jwk.n.as_ref()), decode(jwk.e.as_ref()));
    let public_key = || -> PublicEncryptingKey {
        PublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        }
        .try_into()
        .expect("public key from n and e")
    };
    let plaintext = b"wrapped by someone holding only the public key";
    for (algorithm, oaep) in [
        (Enc::RsaOaep, &OAEP_SHA1_MGF1SHA1),
        (Enc::RsaOaep256, &OAEP_SHA256_MGF1SHA256),
    ] {
        let encrypting = OaepPublicEncryptingKey::new(public_key()).expect("OAEP key");
        let mut out = vec![0; encrypting.ciphertext_size()];
        let ciphertext = encrypting
            .encrypt(oaep, plaintext, &mut out, None)
            .expect("encrypted");

        assert_eq!(key.decrypt(algorithm, ciphertext), Ok(plaintext.to_vec()));
    }
    let encrypting = Pkcs1PublicEncryptingKey::new(public_key()).expect("PKCS1 key");
    let mut out = vec![0; encrypting.ciphertext_size()];
    let ciphertext = encrypting.encrypt(plaintext, &mut out).expect("encrypted");
    assert_eq!(key.decrypt(Enc::Rsa1_5, ciphertext), Ok(plaintext.to_vec()));
}

#[test]
fn public_jwk_of_an_rsa_key_has_key_vaults_members_and_no_private_ones() {
    let key = rsa();
    let key_ops = vec!["encrypt".to_owned(), "wrapKey".to_owned()];

    let json = serde_json::to_value(key.public_jwk(KID, &key_ops)).expect("json");

    let members: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(members, ["e", "key_ops", "kid", "kty", "n"]);
    assert_eq!(json["kid"], KID);
    assert_eq!(json["kty"], "RSA");
    assert_eq!(json["key_ops"], serde_json::json!(["encrypt", "wrapKey"]));
    assert_eq!(json["e"], "AQAB");
    let n = json["n"].as_str().expect("n");
    assert!(!n.contains('='), "no padding");
    assert_eq!(base64url_decode(n).map(|n| n.len()), Some(256));
}

#[test]
fn public_jwk_of_an_ec_key_has_fixed_length_coordinates() {
    for (curve, length) in [
        (Curve::P256, 32),
        (Curve::P384, 48),
        (Curve::P521, 66),
        (Curve::P256K, 32),
    ] {
        let key = KeyMaterial::generate(JsonWebKeyType::EcHsm, None, Some(curve), None);
        let key = key.expect("key");

        let json = serde_json::to_value(key.public_jwk(KID, &ops())).expect("json");

        let members: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            members,
            ["crv", "key_ops", "kid", "kty", "x", "y"],
            "{curve}"
        );
        assert_eq!(json["kty"], "EC-HSM", "{curve}");
        assert_eq!(json["crv"], curve.as_str());
        for coordinate in ["x", "y"] {
            let value = json[coordinate].as_str().expect("coordinate");
            assert_eq!(base64url_decode(value).map(|v| v.len()), Some(length));
        }
    }
}

#[test]
fn generate_defaults_to_rsa_2048_and_p256() {
    let rsa_key = rsa();
    let ec_key = KeyMaterial::generate(JsonWebKeyType::Ec, None, None, None).expect("EC");

    assert_eq!(rsa_key.key_size(), Some(DEFAULT_RSA_KEY_SIZE));
    assert_eq!(rsa_key.curve(), None);
    assert_eq!(ec_key.curve(), Some(Curve::P256));
    assert_eq!(ec_key.key_size(), None);
    assert_eq!(ec_key.kty(), JsonWebKeyType::Ec);
}

/// The one test that generates 3072- and 4096-bit keys (slow in debug builds).
#[test]
fn generate_makes_rsa_3072_and_4096_bit_keys_that_sign() {
    for size in [3072, 4096] {
        let key = KeyMaterial::generate(JsonWebKeyType::RsaHsm, Some(size), None, Some(65537));
        let key = key.expect("key");
        let digest = digest_for(Alg::Ps512, b"big");

        let signature = key.sign(Alg::Ps512, &digest).expect("signature");

        assert_eq!(key.key_size(), Some(size));
        assert_eq!(key.kty(), JsonWebKeyType::RsaHsm);
        assert_eq!(signature.len() * 8, size as usize);
        assert_eq!(key.verify(Alg::Ps512, &digest, &signature), Ok(true));
    }
}

#[test]
fn generate_refuses_unsupported_sizes_and_exponents() {
    let generate = |size, exponent| {
        KeyMaterial::generate(JsonWebKeyType::Rsa, Some(size), None, exponent).map(|_| ())
    };

    assert_eq!(
        generate(1024, None),
        Err(CryptoError::UnsupportedKeySize(1024))
    );
    assert_eq!(
        generate(2049, None),
        Err(CryptoError::UnsupportedKeySize(2049))
    );
    assert_eq!(
        generate(2048, Some(3)),
        Err(CryptoError::UnsupportedPublicExponent(3))
    );
    assert_eq!(
        CryptoError::UnsupportedKeySize(1024).to_string(),
        "Unsupported key size (1024). Supported sizes are [2048, 3072, 4096]"
    );
}

#[test]
fn import_of_a_private_rsa_jwk_keeps_its_public_part_and_signs_as_the_original() {
    let original = rsa();
    let jwk = rsa_private_jwk(&original);

    let imported = KeyMaterial::import(&jwk, false).expect("imported");

    let public = imported.public_jwk(KID, &ops());
    assert_eq!(public.n, jwk.n);
    assert_eq!(public.e, jwk.e);
    assert_eq!(public, original.public_jwk(KID, &ops()));
    assert_eq!(imported.kty(), JsonWebKeyType::Rsa);
    let digest = digest_for(Alg::Rs256, b"imported");
    let signature = imported.sign(Alg::Rs256, &digest).expect("signature");
    assert_eq!(original.verify(Alg::Rs256, &digest, &signature), Ok(true));
    let ciphertext = original.encrypt(Enc::RsaOaep256, b"k").expect("encrypted");
    assert_eq!(
        imported.decrypt(Enc::RsaOaep256, &ciphertext),
        Ok(b"k".to_vec())
    );
}

#[test]
fn import_of_a_private_ec_jwk_keeps_its_public_part_on_every_curve() {
    for curve in Curve::ALL {
        let original = ec(curve);
        let jwk = ec_private_jwk(&original);

        let imported = KeyMaterial::import(&jwk, false).expect("imported");

        let public = imported.public_jwk(KID, &ops());
        assert_eq!(public.x, jwk.x, "{curve}");
        assert_eq!(public.y, jwk.y, "{curve}");
        assert_eq!(public.crv, Some(curve));
        let algorithm = curve.signature_algorithm();
        let digest = digest_for(algorithm, b"imported");
        let signature = imported.sign(algorithm, &digest).expect("signature");
        assert_eq!(original.verify(algorithm, &digest, &signature), Ok(true));
    }
}

#[test]
fn import_accepts_padded_base64url_and_unpadded_short_ec_values() {
    let original = ec(Curve::P256);
    let mut jwk = ec_private_jwk(&original);
    let d = decode(jwk.d.as_ref());
    // The same scalar with its leading zero bytes dropped, and padded base64url for x.
    jwk.d = Some(base64url_encode(strip_leading_zeros(&d)));
    let x = decode(jwk.x.as_ref());
    jwk.x = Some(base64::engine::general_purpose::URL_SAFE.encode(x));

    let imported = KeyMaterial::import(&jwk, false).expect("imported");

    assert_eq!(
        imported.public_jwk(KID, &ops()),
        original.public_jwk(KID, &ops())
    );
}

#[test]
fn import_makes_an_hsm_key_from_the_hsm_flag_or_an_hsm_kty() {
    let jwk = ec_private_jwk(&ec(Curve::P384));
    let hsm_kty = ImportJsonWebKey {
        kty: Some("EC-HSM".to_owned()),
        ..jwk.clone()
    };

    let flagged = KeyMaterial::import(&jwk, true).expect("imported");
    let typed = KeyMaterial::import(&hsm_kty, false).expect("imported");

    assert_eq!(flagged.kty(), JsonWebKeyType::EcHsm);
    assert_eq!(typed.kty(), JsonWebKeyType::EcHsm);
}

#[test]
fn import_refuses_keys_whose_members_do_not_match() {
    let mut rsa_jwk = rsa_private_jwk(&rsa());
    let mut p = decode(rsa_jwk.p.as_ref());
    let last = p.len() - 1;
    p[last] ^= 2;
    rsa_jwk.p = Some(base64url_encode(&p));
    let mut ec_jwk = ec_private_jwk(&ec(Curve::P256));
    ec_jwk.x = ec(Curve::P256).public_jwk(KID, &ops()).x;
    let mut other_key_n = rsa_private_jwk(&rsa());
    other_key_n.n = rsa().public_jwk(KID, &ops()).n;

    let import = |jwk: &ImportJsonWebKey| KeyMaterial::import(jwk, false).map(|_| ());

    assert_eq!(import(&rsa_jwk), Err(CryptoError::InconsistentKey("RSA")));
    assert_eq!(import(&ec_jwk), Err(CryptoError::InconsistentKey("EC")));
    assert_eq!(
        import(&other_key_n),
        Err(CryptoError::InconsistentKey("RSA"))
    );
}

#[test]
fn import_refuses_unsupported_sizes_curves_types_and_missing_members() {
    let rsa_jwk = rsa_private_jwk(&rsa());
    let ec_jwk = ec_private_jwk(&ec(Curve::P256));
    let cases: Vec<(&str, ImportJsonWebKey, CryptoError)> = vec![
        (
            "1024-bit modulus",
            ImportJsonWebKey {
                n: Some(base64url_encode(&[0xc5; 128])),
                ..rsa_jwk.clone()
            },
            CryptoError::UnsupportedKeySize(1024),
        ),
        (
            "missing dq",
            ImportJsonWebKey {
                dq: None,
                ..rsa_jwk.clone()
            },
            CryptoError::MissingKeyMember {
                kty: "RSA",
                member: "dq",
            },
        ),
        (
            "d not base64url",
            ImportJsonWebKey {
                d: Some("not base64!".to_owned()),
                ..rsa_jwk.clone()
            },
            CryptoError::InvalidKeyMember("d"),
        ),
        (
            "P-192",
            ImportJsonWebKey {
                crv: Some("P-192".to_owned()),
                ..ec_jwk.clone()
            },
            CryptoError::UnsupportedCurve("P-192".to_owned()),
        ),
        (
            "missing crv",
            ImportJsonWebKey {
                crv: None,
                ..ec_jwk.clone()
            },
            CryptoError::MissingKeyMember {
                kty: "EC",
                member: "crv",
            },
        ),
        (
            "x too long",
            ImportJsonWebKey {
                x: Some(base64url_encode(&[1; 33])),
                ..ec_jwk.clone()
            },
            CryptoError::InvalidKeyMember("x"),
        ),
        (
            "oct",
            ImportJsonWebKey {
                kty: Some("oct".to_owned()),
                k: Some("AAAA".to_owned()),
                ..ImportJsonWebKey::default()
            },
            CryptoError::UnsupportedKeyType("oct".to_owned()),
        ),
        (
            "no kty",
            ImportJsonWebKey {
                kty: None,
                ..rsa_jwk.clone()
            },
            CryptoError::InvalidProperty("kty"),
        ),
        (
            "BYOK blob",
            ImportJsonWebKey {
                kty: Some("RSA-HSM".to_owned()),
                key_hsm: Some("AAAA".to_owned()),
                ..ImportJsonWebKey::default()
            },
            CryptoError::ByokNotSupported,
        ),
    ];
    for (case, jwk, expected) in cases {
        let result = KeyMaterial::import(&jwk, false).map(|_| ());

        assert_eq!(result, Err(expected.clone()), "{case}");
        assert!(expected.is_bad_parameter(), "{case}");
    }
}

#[test]
fn sign_refuses_a_digest_of_the_wrong_length_with_key_vaults_message() {
    let key = ec(Curve::P256);

    let error = key.sign(Alg::Es256, &[0; 44]).expect_err("refused");

    assert_eq!(
        error.to_string(),
        "Invalid length of 'value': 44 bytes. ES256 requires 32 bytes, encoded with base64url."
    );
    let rsa_key = rsa();
    let sha256 = digest_for(Alg::Rs256, b"m");
    assert_eq!(
        rsa_key.verify(Alg::Rs512, &sha256, &[0; 256]),
        Err(CryptoError::DigestLength {
            member: "digest",
            actual: 32,
            algorithm: Alg::Rs512,
            expected: 64,
        })
    );
}

#[test]
fn sign_refuses_an_algorithm_for_another_curve_naming_the_key() {
    let key = ec(Curve::P256);
    let digest = digest_for(Alg::Es384, b"m");

    let error = key.sign(Alg::Es384, &digest).expect_err("refused");

    assert_eq!(
        error,
        CryptoError::IncompatibleCurve {
            curve: Curve::P256,
            algorithm: Alg::Es384,
            required: Curve::P384,
        }
    );
    assert_eq!(
        error.message_for(KID),
        format!("Key and signing algorithm are incompatible. Key {KID} uses curve 'P-256', and algorithm 'ES384' can only be used with curve 'P-384'.")
    );
    let signature = key.sign(Alg::Es256, &digest_for(Alg::Es256, b"m"));
    let k1 = ec(Curve::P256K);
    assert!(matches!(
        k1.verify(
            Alg::Es256,
            &digest_for(Alg::Es256, b"m"),
            &signature.expect("signed")
        ),
        Err(CryptoError::IncompatibleCurve { .. })
    ));
}

#[test]
fn operations_refuse_algorithms_of_the_other_key_family() {
    let rsa_key = rsa();
    let ec_key = ec(Curve::P256);

    let es_on_rsa = rsa_key.sign(Alg::Es256, &digest_for(Alg::Es256, b"m"));
    let rs_on_ec = ec_key.sign(Alg::Rs256, &digest_for(Alg::Rs256, b"m"));
    let encrypt_on_ec = ec_key.encrypt(Enc::RsaOaep, b"m");
    let unwrap_on_ec = ec_key.unwrap_key(Enc::RsaOaep256, &[0; 256]);

    let incompatible = |kty, algorithm, required| {
        Err(CryptoError::IncompatibleKeyType {
            kty,
            algorithm,
            required,
        })
    };
    assert_eq!(es_on_rsa, incompatible(JsonWebKeyType::Rsa, "ES256", "EC"));
    assert_eq!(rs_on_ec, incompatible(JsonWebKeyType::Ec, "RS256", "RSA"));
    assert_eq!(
        encrypt_on_ec,
        incompatible(JsonWebKeyType::Ec, "RSA-OAEP", "RSA")
    );
    assert_eq!(
        unwrap_on_ec,
        incompatible(JsonWebKeyType::Ec, "RSA-OAEP-256", "RSA")
    );
}

#[test]
fn decrypt_of_garbage_fails_with_padding_errors() {
    let key = rsa();
    let garbage = vec![0x5a; 256];

    let pkcs1 = key.decrypt(Enc::Rsa1_5, &garbage);
    let oaep = key.decrypt(Enc::RsaOaep, &garbage);
    let short = key.unwrap_key(Enc::RsaOaep256, b"short");

    assert_eq!(pkcs1, Err(CryptoError::Pkcs1Decoding));
    assert_eq!(oaep, Err(CryptoError::OaepDecoding));
    assert_eq!(short, Err(CryptoError::OaepDecoding));
    assert_eq!(
        CryptoError::OaepDecoding.to_string(),
        "Error occurred while decoding OAEP padding."
    );
}

#[test]
fn encrypt_refuses_plaintext_longer_than_the_key_takes() {
    let key = rsa();

    let oaep = key.encrypt(Enc::RsaOaep256, &[1; 191]);
    let pkcs1 = key.encrypt(Enc::Rsa1_5, &[1; 246]);

    // 256 − 2·32 − 2 = 190 bytes for OAEP with SHA-256; 256 − 11 = 245 for PKCS#1 v1.5.
    assert_eq!(
        oaep,
        Err(CryptoError::PlaintextTooLong {
            actual: 191,
            algorithm: Enc::RsaOaep256,
            max: 190,
        })
    );
    assert_eq!(
        pkcs1,
        Err(CryptoError::PlaintextTooLong {
            actual: 246,
            algorithm: Enc::Rsa1_5,
            max: 245,
        })
    );
    assert!(key.encrypt(Enc::RsaOaep256, &[1; 190]).is_ok());
}

#[test]
fn from_stored_reads_what_to_stored_wrote() {
    let mut keys = vec![
        rsa(),
        KeyMaterial::generate(JsonWebKeyType::RsaHsm, None, None, None).expect("key"),
    ];
    keys.extend(Curve::ALL.map(ec));
    keys.push(
        KeyMaterial::generate(JsonWebKeyType::EcHsm, None, Some(Curve::P521), None).expect("key"),
    );
    for key in keys {
        let stored = key.to_stored().expect("stored");

        let restored = KeyMaterial::from_stored(&stored).expect("restored");

        assert_eq!(restored.kty(), key.kty());
        assert_eq!(
            restored.public_jwk(KID, &ops()),
            key.public_jwk(KID, &ops())
        );
        assert_eq!(restored.to_stored(), Ok(stored));
        let algorithm = key.curve().map_or(Alg::Ps256, Curve::signature_algorithm);
        let digest = digest_for(algorithm, b"stored");
        let signature = restored.sign(algorithm, &digest).expect("signature");
        assert_eq!(key.verify(algorithm, &digest, &signature), Ok(true));
    }
}

#[test]
fn from_stored_refuses_damaged_input() {
    let stored = ec(Curve::P384).to_stored().expect("stored");
    let mut wrong_version = stored.clone();
    wrong_version[0] = 9;
    let mut wrong_curve = stored.clone();
    wrong_curve[2] = 1;
    let mut rsa_with_curve = rsa().to_stored().expect("stored");
    rsa_with_curve[2] = 1;

    for damaged in [
        &[][..],
        &stored[..2],
        &wrong_version,
        &wrong_curve,
        &rsa_with_curve,
        &stored[..stored.len() - 1],
    ] {
        let result = KeyMaterial::from_stored(damaged).map(|_| ());

        assert_eq!(result, Err(CryptoError::StoredKeyInvalid));
    }
    assert!(!CryptoError::StoredKeyInvalid.is_bad_parameter());
}

#[test]
fn names_parse_as_key_vault_spells_them() {
    for algorithm in Alg::ALL {
        assert_eq!(Alg::parse(algorithm.as_str()), Ok(algorithm));
        let json = serde_json::to_value(algorithm).expect("json");
        assert_eq!(json, algorithm.as_str());
    }
    for algorithm in [Enc::RsaOaep, Enc::RsaOaep256, Enc::Rsa1_5] {
        assert_eq!(Enc::parse(algorithm.as_str()), Ok(algorithm));
    }
    for curve in Curve::ALL {
        assert_eq!(Curve::parse(curve.as_str()), Ok(curve));
    }
    for kty in ["RSA", "RSA-HSM", "EC", "EC-HSM"] {
        assert_eq!(
            JsonWebKeyType::parse(kty).map(JsonWebKeyType::as_str),
            Ok(kty)
        );
    }
    let unsupported = |name: &str| CryptoError::UnsupportedAlgorithm(name.to_owned());
    assert_eq!(Alg::parse("RSNULL"), Err(unsupported("RSNULL")));
    assert_eq!(Enc::parse("A256GCM"), Err(unsupported("A256GCM")));
    assert_eq!(
        Alg::parse("rs256"),
        Err(CryptoError::InvalidProperty("alg"))
    );
    assert_eq!(Enc::parse(""), Err(CryptoError::InvalidProperty("alg")));
    assert_eq!(
        CryptoError::InvalidProperty("alg").to_string(),
        "Property alg has invalid value"
    );
}

#[test]
fn default_key_ops_are_key_vaults() {
    assert_eq!(JsonWebKeyType::RsaHsm.default_key_ops().len(), 6);
    assert_eq!(JsonWebKeyType::Ec.default_key_ops(), ["sign", "verify"]);
}

#[test]
fn debug_output_never_shows_private_members() {
    let key = rsa();
    let jwk = rsa_private_jwk(&key);
    let d = jwk.d.clone().expect("d");

    let printed = format!("{key:?} {jwk:?}");

    assert!(!printed.contains(&d));
    assert!(!printed.contains(jwk.p.as_deref().expect("p")));
    assert!(printed.contains("RSA"));
}

#[test]
fn key_material_can_be_shared_between_request_threads() {
    fn shareable<T: Send + Sync>() {}

    shareable::<KeyMaterial>();
}
