"""Error paths as azure-identity and the management SDKs show them (issue 3, item 5e): a VM without an
identity, an identity without a role, a token for the wrong audience, an expired or forged token.

Expired and forged tokens are made the way a real one goes bad: the operator's real access token,
re-signed (RS256, same header) with the AAD signing key from the data dir (expired) or with a fresh
key (forged), handed to the SDK through a static TokenCredential — Python's standard library plus
`cryptography`, which azure-identity already depends on.
"""

import pytest

from test_identity_vm import (IDENTITY, PRELUDE, RESOURCE, compat, create_identity, run_python, system_assigned_vm,
                              user_assigned_vm)

MANAGED_IDENTITY = PRELUDE + r'''
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.resource import ResourceManagementClient
credential = CREDENTIAL
resources = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM, **A.get("client_kwargs", {}))
print(json.dumps({"get_token": outcome(lambda: credential.get_token("https://management.azure.com/.default").token),
                  "resource_groups.get": outcome(lambda: resources.resource_groups.get(GROUP).id)}))
'''


def as_vm(mimic, vm, credential, args=None, extra_env=None):
    return run_python(mimic, MANAGED_IDENTITY.replace("CREDENTIAL", credential, 1), vm=vm, args=args,
                      extra_env=extra_env)


@pytest.fixture(scope="module")
def vm_without_identity(mimic):
    return mimic.create_vm()


@compat(IDENTITY, flow="error: VM without an identity → CredentialUnavailableError 'Identity not found', no retry")
@compat(RESOURCE, flow="error: VM without an identity → the credential's CredentialUnavailableError")
def test_identity_vm_without_identity_is_credential_unavailable_at_once(mimic, vm_without_identity):
    done = as_vm(mimic, vm_without_identity, "ManagedIdentityCredential()")

    for call in ("get_token", "resource_groups.get"):
        failure = done[call]
        assert failure["type"] == "CredentialUnavailableError", (call, failure)
        assert failure["message"] == ("ManagedIdentityCredential authentication unavailable, no response from the "
                                      "IMDS endpoint. Token request error: (invalid_request) Identity not found"), failure
        assert failure["seconds"] < 2, failure  # 400 is not retried (wire contract §1 item 13)


@compat(IDENTITY, flow="error: user-assigned client_id not on the VM → CredentialUnavailableError 'Identity not found'")
def test_identity_unassigned_client_id_is_credential_unavailable(mimic):
    vm, _, _ = user_assigned_vm(mimic)

    done = as_vm(mimic, vm, "ManagedIdentityCredential(client_id='00000000-0000-0000-0000-000000000001')")

    assert done["get_token"]["type"] == "CredentialUnavailableError", done
    assert done["get_token"]["message"].endswith("(invalid_request) Identity not found"), done


@compat(IDENTITY, flow="error: two user-assigned identities and no selector → CredentialUnavailableError "
                       "'Multiple user assigned identities exist…'")
def test_identity_two_user_assigned_identities_without_selector_is_credential_unavailable(mimic):
    identities = {create_identity(mimic)[1]: {} for _ in range(2)}
    vm = mimic.create_vm(identity={"type": "UserAssigned", "userAssignedIdentities": identities})

    done = as_vm(mimic, vm, "ManagedIdentityCredential()")

    assert done["get_token"]["type"] == "CredentialUnavailableError", done
    assert done["get_token"]["message"].endswith(
        "(invalid_request) Multiple user assigned identities exist, please specify the clientId / resourceId of "
        "the identity in the token request"), done


@compat(IDENTITY, flow="error: DefaultAzureCredential on a VM without an identity → every credential tried, "
                       "fails fast in the loopback-only namespace")
def test_identity_default_credential_without_identity_tries_the_chain_and_fails_fast(mimic, vm_without_identity):
    done = as_vm(mimic, vm_without_identity, "DefaultAzureCredential()")

    failure = done["get_token"]
    assert failure["type"] == "ClientAuthenticationError", failure
    assert failure["message"].startswith("DefaultAzureCredential failed to retrieve a token"), failure
    assert ("ManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from the "
            "IMDS endpoint. Token request error: (invalid_request) Identity not found") in failure["message"], failure
    # The chain moved on past managed identity to the developer credentials (az is installed here,
    # but this VM persona is not logged in).
    assert "AzureCliCredential: Please run 'az login' to set up an account" in failure["message"], failure
    assert failure["seconds"] < 15, failure


@compat(IDENTITY, flow="error: identity without a role → HttpResponseError AuthorizationFailed (403)")
@compat(RESOURCE, flow="error: 403 → HttpResponseError with error.code AuthorizationFailed")
def test_identity_without_role_gets_authorization_failed(mimic):
    vm, principal_id = system_assigned_vm(mimic)

    done = as_vm(mimic, vm, "ManagedIdentityCredential()")

    failure = done["resource_groups.get"]
    assert (failure["type"], failure["status"], failure["code"]) == ("HttpResponseError", 403, "AuthorizationFailed")
    assert (f"with object id '{principal_id}' does not have authorization to perform action "
            f"'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '{mimic.group_id()}' or the scope "
            "is invalid.") in failure["message"], failure
    assert failure["seconds"] < 5, failure  # 403 is not retried


@compat(IDENTITY, flow="error: token for the wrong audience → 401 InvalidAuthenticationTokenAudience")
@compat(RESOURCE, flow="error: credential_scopes for storage → ClientAuthenticationError "
                       "InvalidAuthenticationTokenAudience (401)")
def test_identity_token_for_the_wrong_audience_gets_invalid_audience(mimic):
    vm, principal_id = system_assigned_vm(mimic)
    mimic.grant(principal_id)

    done = as_vm(mimic, vm, "ManagedIdentityCredential()",
                 {"client_kwargs": {"credential_scopes": ["https://storage.azure.com/.default"]}})

    failure = done["resource_groups.get"]
    assert (failure["type"], failure["status"], failure["code"]) == (
        "ClientAuthenticationError", 401, "InvalidAuthenticationTokenAudience"), failure
    assert "https://storage.azure.com" in failure["message"], failure
    assert 'error="invalid_token"' in failure["www_authenticate"], failure


BAD_TOKEN = PRELUDE + r'''
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential
from azure.mgmt.resource import ResourceManagementClient

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def part(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

class StaticToken:
    """A TokenCredential that always returns the same token."""
    def __init__(self, token, expires_on):
        self.token, self.expires_on = token, expires_on
    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, self.expires_on)

real = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                              os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                              disable_instance_discovery=True).get_token("https://management.azure.com/.default")
header, payload, _ = real.token.split(".")
payload = part(payload)
if A["kind"] == "expired":
    now = int(time.time())
    payload.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    with open(A["signing_key"], "rb") as pem:
        key = serialization.load_pem_private_key(pem.read(), password=None)
else:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
signed = f"{header}.{b64(json.dumps(payload).encode())}"
token = f"{signed}.{b64(key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256()))}"
resources = ResourceManagementClient(StaticToken(token, payload["exp"]), SUBSCRIPTION, base_url=ARM)
print(json.dumps({"resource_groups.get": outcome(lambda: resources.resource_groups.get(GROUP).id)}))
'''


@pytest.mark.parametrize("kind, code, message", [
    pytest.param("expired", "ExpiredAuthenticationToken", "The access token expiry UTC time '", id="expired",
                 marks=pytest.mark.compat(client=RESOURCE, flow="error: expired token → ClientAuthenticationError "
                                                                "ExpiredAuthenticationToken (401)")),
    pytest.param("forged", "InvalidAuthenticationToken", "", id="forged",
                 marks=pytest.mark.compat(client=RESOURCE, flow="error: token signed by another key → "
                                                                "ClientAuthenticationError InvalidAuthenticationToken (401)")),
])
def test_mgmt_bad_token_gets_the_401_code(mimic, kind, code, message):
    done = run_python(mimic, BAD_TOKEN, args={"kind": kind, "signing_key": str(mimic.data_dir / "aad" / "signing-key.pem")})

    failure = done["resource_groups.get"]
    assert (failure["type"], failure["status"], failure["code"]) == ("ClientAuthenticationError", 401, code), failure
    assert f"({code}) {message}" in failure["message"], failure
    assert 'error="invalid_token"' in failure["www_authenticate"], failure


WRONG_SECRET = PRELUDE + r'''
from azure.identity import ClientSecretCredential
credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"], "not-the-secret",
                                    authority=os.environ["MIMIC_AAD"], disable_instance_discovery=True)
print(json.dumps(outcome(lambda: credential.get_token("https://management.azure.com/.default").token)))
'''


@compat(IDENTITY, flow="error: ClientSecretCredential with a wrong secret → ClientAuthenticationError AADSTS7000215")
def test_identity_client_secret_credential_with_wrong_secret_fails_with_aadsts7000215(mimic):
    failure = run_python(mimic, WRONG_SECRET)

    assert failure["type"] == "ClientAuthenticationError", failure
    assert "AADSTS7000215: Invalid client secret provided." in failure["message"], failure
