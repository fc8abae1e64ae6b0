"""Workload identity federation with real clients: a user-assigned identity and no VM at all.

`mimic workload exec --identity ID --subject SUB [--create-fic] -- CMD` runs CMD as the AKS
workload-identity webhook sets a pod up: AZURE_CLIENT_ID (the identity's), AZURE_TENANT_ID,
AZURE_FEDERATED_TOKEN_FILE (a token of mimic's local OIDC issuer `default`, `{aad}/issuers/default`)
and AZURE_AUTHORITY_HOST (mimic's AAD), with mimic's CA trusted. `--create-fic` first creates the
identity's federated identity credential for that issuer and subject through ARM, as the operator.
Each client exchanges the file's token at AAD for an ARM token of the identity, reads the resource
group (403), the operator grants Reader, and it reads it again (200).

The SDK credentials get `disable_instance_discovery` (msal would otherwise ask login.microsoftonline.com
to validate a non-Microsoft authority host, as for any private cloud: wire contract §1 item 2).
"""

import json
import os
import pathlib
import sys
import uuid

import pytest

from conftest import client_env
from test_az_support import compat as az_compat
from test_identity_vm import IDENTITY, MSAL, RESOURCE, compat
from test_rust import CLIENT as RUST

HERE = pathlib.Path(__file__).resolve().parent
AUDIENCE = "api://AzureADTokenExchange"
MSI_API = "2023-01-31"

_NODE_LOCK = json.loads((HERE / "node" / "package-lock.json").read_text())["packages"]
NODE = (f"@azure/identity {_NODE_LOCK['node_modules/@azure/identity']['version']} + "
        f"@azure/arm-resources {_NODE_LOCK['node_modules/@azure/arm-resources']['version']}")

PYTHON_READER = """
import json, sys
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import DefaultAzureCredential, WorkloadIdentityCredential
from azure.mgmt.resource import ResourceManagementClient
arm, subscription, group, kind = sys.argv[1:5]
Credential = WorkloadIdentityCredential if kind == "workload" else DefaultAzureCredential
credential = Credential(disable_instance_discovery=True)
try:
    token = credential.get_token("https://management.azure.com/.default").token
except ClientAuthenticationError as error:
    print(json.dumps({"token_error": str(error)}))
    sys.exit(0)
import base64
payload = token.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
result = {"token": {k: claims.get(k) for k in ("oid", "aud", "tid", "appid", "xms_mirid", "xms_az_rid")}}
client = ResourceManagementClient(credential, subscription, base_url=arm,
                                  credential_scopes=["https://management.azure.com/.default"])
try:
    found = client.resource_groups.get(group)
    result.update(status=200, group={"id": found.id, "name": found.name})
except HttpResponseError as error:
    result.update(status=error.status_code, error_code=error.error.code if error.error else None,
                  message=error.message)
print(json.dumps(result))
"""

MSAL_ASSERTION = """
import json, os, sys
import msal
app = msal.ConfidentialClientApplication(
    os.environ["AZURE_CLIENT_ID"],
    authority=os.environ["AZURE_AUTHORITY_HOST"].rstrip("/") + "/" + os.environ["AZURE_TENANT_ID"],
    client_credential={"client_assertion": open(os.environ["AZURE_FEDERATED_TOKEN_FILE"]).read()},
    instance_discovery=False)
print(json.dumps(app.acquire_token_for_client(scopes=["https://management.azure.com/.default"])))
"""


def new_identity(mimic):
    name = f"wi-{uuid.uuid4().hex[:8]}"
    created = mimic.arm("PUT", f"{mimic.identity_id(name)}?api-version={MSI_API}", {"location": "eastus"})
    assert created.status_code == 201, created.text
    return name, created.json()["properties"]


def workload_exec(mimic, name, subject, *command, create_fic=False, extra=(), env=None):
    args = ["workload", "exec", "--identity", name, "--subject", subject, *extra]
    if create_fic:
        args.append("--create-fic")
    return mimic.cli(*args, "--", *command, env=env, timeout=180)


def last_json(done):
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr[-4000:]}"
    return json.loads(lines[-1])


def python_reads(mimic, name, subject, kind, create_fic=False):
    done = workload_exec(mimic, name, subject, sys.executable, "-c", PYTHON_READER,
                         mimic.arm_url, mimic.subscription, mimic.group, kind, create_fic=create_fic)
    result = last_json(done)
    assert done.returncode == 0, done.stderr[-4000:]
    return result


def assert_identity_token(mimic, result, name, identity):
    assert "token_error" not in result, result
    token = result["token"]
    assert token["oid"] == identity["principalId"], result
    assert token["appid"] == identity["clientId"], result
    assert token["tid"] == mimic.tenant, result
    assert token["aud"] == "https://management.azure.com", result
    # The identity's token, with its resource id and no VM: nothing asked for it from a VM.
    assert token["xms_mirid"].lower() == mimic.identity_id(name).lower(), result
    assert token["xms_az_rid"] is None, result


@compat(IDENTITY, flow="WorkloadIdentityCredential (mimic workload exec, user-assigned identity, no VM) → ARM 403 → grant → 200")
@compat(RESOURCE, flow="ResourceManagementClient with a workload identity → 403 → grant → 200")
def test_workload_identity_credential_reads_only_after_a_grant(mimic):
    name, identity = new_identity(mimic)
    subject = "system:serviceaccount:default:app"
    before = python_reads(mimic, name, subject, "workload", create_fic=True)
    assert_identity_token(mimic, before, name, identity)
    assert before["status"] == 403 and before["error_code"] == "AuthorizationFailed", before
    assert identity["principalId"] in before["message"], before
    mimic.grant(identity["principalId"])
    after = python_reads(mimic, name, subject, "workload")
    assert after["status"] == 200, after
    assert after["group"] == {"id": mimic.group_id(), "name": mimic.group}, after


@compat(IDENTITY, flow="DefaultAzureCredential picks the workload identity from the pod's environment")
def test_default_azure_credential_uses_the_workload_identity(mimic):
    name, identity = new_identity(mimic)
    subject = "repo:contoso/app:ref:refs/heads/main"
    before = python_reads(mimic, name, subject, "default", create_fic=True)
    assert_identity_token(mimic, before, name, identity)
    assert before["status"] == 403, before
    mimic.grant(identity["principalId"])
    assert python_reads(mimic, name, subject, "default")["status"] == 200


@compat(MSAL, flow="ConfidentialClientApplication with client_assertion = a federated token (workload identity)")
def test_msal_exchanges_the_federated_token_as_a_client_assertion(mimic):
    name, identity = new_identity(mimic)
    done = workload_exec(mimic, name, "ci-job", sys.executable, "-c", MSAL_ASSERTION, create_fic=True)
    result = last_json(done)
    assert "access_token" in result, result
    payload = result["access_token"].split(".")[1]
    import base64
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["oid"] == identity["principalId"], claims
    assert claims["appid"] == identity["clientId"], claims


@pytest.mark.compat(client=NODE, flow="WorkloadIdentityCredential (mimic workload exec) → ARM 403 → grant → 200")
def test_node_workload_identity_credential_reads_only_after_a_grant(mimic):
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")
    name, identity = new_identity(mimic)
    program = str(HERE / "node" / "wi_arm.cjs")
    args = [mimic.arm_url, mimic.subscription, mimic.group]

    def run(create_fic=False):
        done = workload_exec(mimic, name, "system:serviceaccount:web:frontend", "node", program, *args,
                             create_fic=create_fic, env=client_env(NODE_PATH=modules))
        result = last_json(done)
        assert "token_error" not in result and "arm_error" not in result, (result, done.stderr[-4000:])
        return result

    before = run(create_fic=True)
    assert before["token"]["oid"] == identity["principalId"], before
    assert before["token"]["xms_mirid"].lower() == mimic.identity_id(name).lower(), before
    assert before["status"] == 403 and before["error_code"] == "AuthorizationFailed", before
    mimic.grant(identity["principalId"])
    after = run()
    assert after["status"] == 200, after


@pytest.mark.compat(client=RUST, flow="WorkloadIdentityCredential (mimic workload exec) → ARM 403 → grant → 200")
def test_rust_workload_identity_credential_reads_only_after_a_grant(mimic):
    binary = os.environ.get("MIMIC_RUST_CLIENT")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MIMIC_RUST_CLIENT does not name the built Rust client: run through scripts/clients.sh")
    name, identity = new_identity(mimic)

    def run(create_fic=False):
        done = workload_exec(mimic, name, "spiffe://cluster/ns/default/sa/app", binary, "--workload",
                             mimic.arm_url, mimic.subscription, mimic.group, create_fic=create_fic)
        result = last_json(done)
        assert "token_error" not in result and "arm_error" not in result, (result, done.stderr[-4000:])
        return result

    before = run(create_fic=True)
    assert before["token"]["oid"] == identity["principalId"], before
    assert before["status"] == 403, before
    mimic.grant(identity["principalId"])
    assert run()["status"] == 200


@az_compat("az login --service-principal --federated-token, then az group show (403 → grant → 200)")
def test_az_login_with_a_federated_token(mimic):
    name, identity = new_identity(mimic)
    script = ('az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID" '
              '--federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions -o none '
              f'&& az group show -n {mimic.group} -o json')
    before = workload_exec(mimic, name, "ci-az", "bash", "-c", script, create_fic=True)
    assert before.returncode != 0, before.stdout
    assert "AuthorizationFailed" in before.stderr, before.stderr[-4000:]
    mimic.grant(identity["principalId"])
    after = workload_exec(mimic, name, "ci-az", "bash", "-c", script)
    assert after.returncode == 0, after.stderr[-4000:]
    assert json.loads(after.stdout)["name"] == mimic.group


REFUSALS = """
import json, sys
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import WorkloadIdentityCredential
answers = {}
for case, path in json.loads(sys.argv[1]).items():
    credential = WorkloadIdentityCredential(token_file_path=path, disable_instance_discovery=True)
    try:
        credential.get_token("https://management.azure.com/.default")
        answers[case] = "token"
    except ClientAuthenticationError as error:
        answers[case] = str(error)
print(json.dumps(answers))
"""


def expired_token(mimic, tmp_path, subject):
    """A token of an imported issuer (the test holds its key) that expired ten minutes ago."""
    import time
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()

    def b64(n):
        import base64
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig",
                                          "n": b64(numbers.n), "e": b64(numbers.e)}]}))
    issuer = "https://kubernetes.default.svc.cluster.local"
    done = mimic.cli("issuer", "import", "cluster", "--issuer", issuer, "--jwks", str(jwks))
    assert done.returncode == 0, done.stderr
    now = int(time.time())
    token = jwt.encode({"iss": issuer, "sub": subject, "aud": [AUDIENCE], "iat": now - 1200,
                        "nbf": now - 1200, "exp": now - 600}, key, algorithm="RS256", headers={"kid": "k1"})
    return issuer, token


@compat(IDENTITY, flow="WorkloadIdentityCredential refused with Entra's AADSTS error for each mismatched federated token")
def test_each_mismatched_federated_token_gets_entras_error_and_no_token(mimic, tmp_path):
    name, identity = new_identity(mimic)
    subject = "system:serviceaccount:default:app"
    for issuer in ("wi-a", "wi-other", "wi-rot"):
        assert mimic.cli("issuer", "create", issuer).returncode == 0
    urls = json.loads((mimic.data_dir / "endpoints.json").read_text())["issuers"]
    cluster, expired = expired_token(mimic, tmp_path, subject)
    fic_path = f"{mimic.identity_id(name)}/federatedIdentityCredentials/{{}}?api-version={MSI_API}"
    for fic, issuer in (("fic-a", urls["wi-a"]), ("fic-rot", urls["wi-rot"]), ("fic-cluster", cluster)):
        body = {"properties": {"issuer": issuer, "subject": subject, "audiences": [AUDIENCE]}}
        assert mimic.arm("PUT", fic_path.format(fic), body).status_code == 201

    def token(case, issuer, subject=subject, audience=AUDIENCE):
        path = tmp_path / case
        done = mimic.cli("workload", "token", "--issuer", issuer, "--subject", subject, "--audience", audience,
                         "--out", str(path))
        assert done.returncode == 0, done.stderr
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        return str(path)

    files = {
        "subject": token("subject", "wi-a", subject="system:serviceaccount:default:other"),
        "audience": token("audience", "wi-a", audience="api://other"),
        "issuer": token("issuer", "wi-other"),
        "rotated": token("rotated", "wi-rot"),
        "deleted": token("deleted", "wi-a"),
    }
    (tmp_path / "expired").write_text(expired)
    files["expired"] = str(tmp_path / "expired")
    for _ in range(2):
        assert mimic.cli("issuer", "rotate", "wi-rot").returncode == 0

    def refusals(cases):
        done = workload_exec(mimic, name, subject, sys.executable, "-c", REFUSALS, json.dumps(cases))
        assert done.returncode == 0, done.stderr[-4000:]
        return last_json(done)

    deleted_case = {"deleted": files.pop("deleted")}
    answers = refusals(files)
    expected = {"subject": "AADSTS700213", "audience": "AADSTS700212", "issuer": "AADSTS700211",
                "rotated": "AADSTS7000272", "expired": "AADSTS700024"}
    for case, code in expected.items():
        assert code in answers[case], (case, answers[case])
    # The credential deleted: a token that matched it is refused at once.
    assert mimic.arm("DELETE", fic_path.format("fic-a")).status_code == 200
    assert "AADSTS700211" in refusals(deleted_case)["deleted"]
    # The identity deleted: its client id is unknown to Entra.
    assert mimic.arm("DELETE", f"{mimic.identity_id(name)}?api-version={MSI_API}").status_code == 200
    done = workload_exec(mimic, name, subject, "true")
    assert done.returncode != 0 and "ResourceNotFound" in done.stderr, done.stderr
