"""msal's ConfidentialClientApplication against mimic's AAD (issue 3, items 5d and 5e): client
credentials with a secret (the operator) and with a certificate (an app principal registered through
AAD's internal API with a keyCredential), then ARM with the token.

Snippets run as separate Python processes with the `mimic env` variables and REQUESTS_CA_BUNDLE =
mimic's CA (msal's requests session trusts it); the authority is `{MIMIC_AAD}/{MIMIC_TENANT}` with
`instance_discovery=False` (wire contract §1 item 2).
"""

import datetime
import uuid

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from test_identity_vm import ARM_AUDIENCE, MSAL, PRELUDE, compat, run_python
from test_msal_managed_identity import ARM_READ

CONFIDENTIAL_CLIENT = PRELUDE + ARM_READ + r'''
import msal
app = msal.ConfidentialClientApplication(A["client_id"], client_credential=A["credential"],
                                         authority=f"{os.environ['MIMIC_AAD']}/{os.environ['MIMIC_TENANT']}",
                                         instance_discovery=False)
first = app.acquire_token_for_client(scopes=["https://management.azure.com/.default"])
if "access_token" not in first:
    print(json.dumps({"result": first}))
    sys.exit()
second = app.acquire_token_for_client(scopes=["https://management.azure.com/.default"])
print(json.dumps({"result": {k: v for k, v in first.items() if k != "access_token"},
                  "claims": claims(first["access_token"]), "cached": second.get("token_source"),
                  "arm": arm_read(first["access_token"])}))
'''


def acquire(mimic, client_id, credential):
    return run_python(mimic, CONFIDENTIAL_CLIENT, args={"client_id": client_id, "credential": credential})


def assert_app_claims(mimic, claims, app_id, object_id, appidacr):
    """A v1 ARM token for an application principal (wire contract §3.5)."""
    assert claims["aud"] == ARM_AUDIENCE, claims
    assert (claims["appid"], claims["oid"], claims["sub"]) == (app_id, object_id, object_id), claims
    assert claims["appidacr"] == appidacr and claims["idtyp"] == "app", claims
    assert claims["tid"] == mimic.tenant and claims["iss"] == f"https://sts.windows.net/{mimic.tenant}/", claims
    assert claims["ver"] == "1.0" and "xms_mirid" not in claims, claims
    assert claims["exp"] - claims["iat"] == 3599, claims


@compat(MSAL, flow="ConfidentialClientApplication with a client secret → token (cached on repeat) → ARM 200")
def test_msal_confidential_client_with_secret_reads_arm(mimic):
    operator = mimic.operator

    done = acquire(mimic, operator["client_id"], operator["client_secret"])

    assert done["result"]["token_type"] == "Bearer" and done["result"]["expires_in"] == 3599, done
    assert done["result"]["token_source"] == "identity_provider" and done["cached"] == "cache", done
    assert_app_claims(mimic, done["claims"], operator["client_id"], operator["object_id"], appidacr="1")
    assert done["arm"] == {"status": 200, "code": None, "id": mimic.group_id()}, done


@compat(MSAL, flow="error: ConfidentialClientApplication with a wrong secret → result dict with invalid_client")
def test_msal_confidential_client_with_wrong_secret_returns_invalid_client(mimic):
    done = acquire(mimic, mimic.operator["client_id"], "not-the-secret")

    assert done["result"]["error"] == "invalid_client", done
    assert done["result"]["error_codes"] == [7000215], done
    assert done["result"]["error_description"].startswith("AADSTS7000215: Invalid client secret provided."), done


def certificate_principal(mimic):
    """A key pair, a self-signed certificate and an application principal that holds it as its key
    credential (registered through AAD's internal API); returns (principal, key PEM, cert PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"app-{uuid.uuid4().hex[:8]}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    internal_key = (mimic.data_dir / "internal.key").read_text().strip()
    created = requests.post(f"{mimic.aad_url}/internal/servicePrincipals", verify=mimic.ca, timeout=30,
                            headers={"x-mimic-internal-key": internal_key},
                            json={"displayName": name.rfc4514_string(), "servicePrincipalType": "Application",
                                  "keyCredentials": [{"key": certificate_pem}]})
    assert created.status_code == 201, created.text
    return created.json(), key_pem, certificate, certificate_pem


@pytest.mark.parametrize("form", [
    pytest.param("thumbprint", id="sha1_thumbprint", marks=pytest.mark.compat(
        client=MSAL, flow="ConfidentialClientApplication with a certificate (private_key + SHA-1 thumbprint: "
                          "RS256, x5t) → ARM 403 → grant → 200")),
    pytest.param("public_certificate", id="public_certificate", marks=pytest.mark.compat(
        client=MSAL, flow="ConfidentialClientApplication with a certificate (private_key + public_certificate: "
                          "PS256, x5t#S256) → ARM 403 → grant → 200")),
])
def test_msal_confidential_client_with_certificate_reads_arm_only_after_grant(mimic, form):
    principal, key_pem, certificate, certificate_pem = certificate_principal(mimic)
    credential = {"private_key": key_pem}
    if form == "thumbprint":
        credential["thumbprint"] = certificate.fingerprint(hashes.SHA1()).hex().upper()
    else:
        credential["public_certificate"] = certificate_pem

    before = acquire(mimic, principal["appId"], credential)
    mimic.grant(principal["id"])
    after = acquire(mimic, principal["appId"], credential)

    assert "error" not in before["result"], before["result"]["error_description"]
    assert_app_claims(mimic, before["claims"], principal["appId"], principal["id"], appidacr="2")
    assert before["arm"] == {"status": 403, "code": "AuthorizationFailed", "id": None}, before
    assert after["arm"] == {"status": 200, "code": None, "id": mimic.group_id()}, after
