"""The other managed-identity sources (issue 4 item 2) with azure-identity and msal, as a VM.

Each snippet runs under `mimic vm exec VM --flavor F -- python …`: the VM's persona with the
environment of App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER), Cloud Shell (MSI_ENDPOINT), Azure
ML (MSI_ENDPOINT + MSI_SECRET) or Azure Arc (IDENTITY_ENDPOINT + IMDS_ENDPOINT), and nothing else —
no AZURE_POD_IDENTITY_AUTHORITY_HOST, so a client falling back to IMDS would fail (the suite runs
in a loopback-only namespace). The token is checked (its JWT payload decoded) and sent to ARM:
AuthorizationFailed before a grant, 200 after. Wire contract §2.1 says which client supports which
source: msal's ManagedIdentityClient has no Cloud Shell source (MSI_ENDPOINT alone is ignored), and
azure-identity refuses a user-assigned identity for Cloud Shell; those cells are absent.

Azure Arc: the clients only read the challenge's key file from /var/opt/azcmagent/tokens, so mimic
writes its key files there (the suite runs as root).
"""

import base64
import json
import os
import shlex
import subprocess
import sys
import time

import pytest

from conftest import client_env
from test_identity_vm import (IDENTITY, MSAL, PRELUDE, assert_mi_claims, create_identity, mimic_env)
from test_identity_vm import system_assigned_vm as system_assigned_vm_created
from test_msal_managed_identity import ARM_READ

# What each flavor is called in the compatibility table.
SOURCES = {
    "appservice": "App Service source (IDENTITY_ENDPOINT + IDENTITY_HEADER)",
    "cloudshell": "Cloud Shell source (MSI_ENDPOINT)",
    "azureml": "Azure ML source (MSI_ENDPOINT + MSI_SECRET)",
    "arc": "Azure Arc source (IDENTITY_ENDPOINT + IMDS_ENDPOINT, key-file challenge)",
}
# The class azure-identity's ManagedIdentityCredential picks for each flavor.
IDENTITY_CLASSES = {"appservice": "AppServiceCredential", "cloudshell": "CloudShellCredential",
                    "azureml": "AzureMLCredential", "arc": "AzureArcCredential"}
# msal's get_managed_identity_source() for each flavor.
MSAL_SOURCES = {"appservice": "APP_SERVICE", "azureml": "MACHINE_LEARNING", "arc": "AZURE_ARC"}

IDENTITY_SNIPPET = PRELUDE + ARM_READ + r'''
from azure.identity import ManagedIdentityCredential
credential = ManagedIdentityCredential(client_id=A["client_id"]) if A.get("client_id") else ManagedIdentityCredential()
source = type(credential._credential).__name__
try:
    token = credential.get_token("https://management.azure.com/.default").token
except Exception as error:
    print(json.dumps({"source": source, "error": f"{type(error).__name__}: {error}"}))
    sys.exit(0)
print(json.dumps({"source": source, "claims": claims(token), "arm": arm_read(token)}))
'''

MSAL_SNIPPET = PRELUDE + ARM_READ + r'''
import msal, requests
from msal import managed_identity
found = managed_identity.get_managed_identity_source()
source = next(name for name in ["APP_SERVICE", "MACHINE_LEARNING", "AZURE_ARC", "CLOUD_SHELL", "SERVICE_FABRIC",
                                "DEFAULT_TO_VM"] if getattr(managed_identity, name) is found)
identity = (msal.UserAssignedManagedIdentity(client_id=A["client_id"]) if A.get("client_id")
            else msal.SystemAssignedManagedIdentity())
client = msal.ManagedIdentityClient(identity, http_client=requests.Session())
result = client.acquire_token_for_client(resource="https://management.azure.com")
if "access_token" not in result:
    print(json.dumps({"source": source, "error": result}))
    sys.exit(0)
print(json.dumps({"source": source, "expires_in": result["expires_in"], "claims": claims(result["access_token"]),
                  "arm": arm_read(result["access_token"])}))
'''


def run_flavor(mimic, vm, flavor, code, args=None):
    """`mimic vm exec VM --flavor F -- python -c CODE`; returns the JSON object it printed last."""
    env = client_env(**mimic_env(mimic), SNIPPET_ARGS=json.dumps(args or {}))
    done = mimic.cli("vm", "exec", vm, "--flavor", flavor, "--", sys.executable, "-c", code, env=env,
                     timeout=120)
    return last_json(done)


def last_json(done):
    lines = done.stdout.strip().splitlines()
    assert lines, f"snippet printed nothing (exit {done.returncode}):\n{done.stderr[-6000:]}"
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        pytest.fail(f"not JSON (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")


def system_and_user_assigned_vm(mimic):
    """A fresh VM with a system-assigned identity and a fresh user-assigned one; returns (vm name,
    identity id, identity properties) — selecting the user-assigned one must be explicit."""
    _, identity_id, properties = create_identity(mimic)
    vm = mimic.create_vm(identity={"type": "SystemAssigned, UserAssigned",
                                   "userAssignedIdentities": {identity_id: {}}})
    listener_url(mimic, vm)
    return vm, identity_id, properties


CURL = "curl"  # the version is the machine's, not a pin: keep the compat table machine-independent


def listener_url(mimic, vm):
    """The VM's IMDS URL, once `mimic up` has rewritten endpoints.json for the new VM."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return mimic.imds_url(vm)
        except StopIteration:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def system_assigned_vm(mimic):
    """test_identity_vm.system_assigned_vm, returning once the VM's listener is in endpoints.json."""
    vm, principal_id = system_assigned_vm_created(mimic)
    listener_url(mimic, vm)
    return vm, principal_id


FORBIDDEN = {"status": 403, "code": "AuthorizationFailed", "id": None}


def assert_system_token_then_grant(mimic, vm, principal_id, flavor, snippet, source):
    before = run_flavor(mimic, vm, flavor, snippet)
    assert before["source"] == source, before
    assert "claims" in before, before
    assert_mi_claims(mimic, before["claims"], vm, principal_id, mirid=mimic.vm_id(vm))
    assert before["arm"] == FORBIDDEN, before
    mimic.grant(principal_id)
    after = run_flavor(mimic, vm, flavor, snippet)
    assert after["arm"] == {"status": 200, "code": None, "id": mimic.group_id()}, after


def assert_user_assigned_token(mimic, flavor, snippet, source):
    vm, identity_id, properties = system_and_user_assigned_vm(mimic)
    done = run_flavor(mimic, vm, flavor, snippet, {"client_id": properties["clientId"]})
    assert done["source"] == source, done
    assert "claims" in done, done
    assert_mi_claims(mimic, done["claims"], vm, properties["principalId"], mirid=identity_id,
                     client_id=properties["clientId"], az_rid=mimic.vm_id(vm))
    assert done["arm"] == FORBIDDEN, done
    mimic.grant(properties["principalId"])
    after = run_flavor(mimic, vm, flavor, snippet, {"client_id": properties["clientId"]})
    assert after["arm"] == {"status": 200, "code": None, "id": mimic.group_id()}, after


def flavor_params(client, flavors, what):
    return [pytest.param(flavor, id=flavor, marks=pytest.mark.compat(
        client=client, flow=f"{SOURCES[flavor]}: {what} → ARM 403 → grant → 200")) for flavor in flavors]


@pytest.mark.parametrize("flavor", flavor_params(IDENTITY, SOURCES, "system-assigned"))
def test_identity_flavor_system_assigned_reads_arm_only_after_grant(mimic, flavor):
    vm, principal_id = system_assigned_vm(mimic)
    assert_system_token_then_grant(mimic, vm, principal_id, flavor, IDENTITY_SNIPPET, IDENTITY_CLASSES[flavor])


@pytest.mark.parametrize("flavor", flavor_params(IDENTITY, ["appservice", "azureml", "arc"],
                                                 "user-assigned (client_id=…)"))
def test_identity_flavor_user_assigned_by_client_id_reads_arm_only_after_grant(mimic, flavor):
    assert_user_assigned_token(mimic, flavor, IDENTITY_SNIPPET, IDENTITY_CLASSES[flavor])


@pytest.mark.parametrize("flavor", flavor_params(MSAL, MSAL_SOURCES, "ManagedIdentityClient(SystemAssigned…)"))
def test_msal_flavor_system_assigned_reads_arm_only_after_grant(mimic, flavor):
    vm, principal_id = system_assigned_vm(mimic)
    assert_system_token_then_grant(mimic, vm, principal_id, flavor, MSAL_SNIPPET, MSAL_SOURCES[flavor])


@pytest.mark.parametrize("flavor", flavor_params(MSAL, MSAL_SOURCES,
                                                 "ManagedIdentityClient(UserAssigned…(client_id=…))"))
def test_msal_flavor_user_assigned_by_client_id_reads_arm_only_after_grant(mimic, flavor):
    assert_user_assigned_token(mimic, flavor, MSAL_SNIPPET, MSAL_SOURCES[flavor])


@pytest.mark.compat(client=IDENTITY, flow="`eval \"$(mimic vm env VM --flavor appservice)\"` in a shell → token")
def test_vm_env_flavor_lines_make_a_shell_use_that_source(mimic):
    vm, principal_id = system_assigned_vm(mimic)
    printed = mimic.cli("vm", "env", vm, "--flavor", "appservice")
    assert printed.returncode == 0, printed.stderr
    exported = dict(line.removeprefix("export ").split("=", 1) for line in printed.stdout.splitlines()
                    if line.startswith("export "))
    # The identity source's variables, and the CA bundle every `mimic vm env` exports (docs/sdk.md).
    tls = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"}
    assert set(exported) == {"IDENTITY_ENDPOINT", "IDENTITY_HEADER"} | tls, printed.stdout
    unset = next(line for line in printed.stdout.splitlines() if line.startswith("unset ")).split()[1:]
    assert "AZURE_POD_IDENTITY_AUTHORITY_HOST" in unset and "MSI_ENDPOINT" in unset, printed.stdout
    # The secret is stable: printed twice, the same.
    assert mimic.cli("vm", "env", vm, "--flavor", "appservice").stdout == printed.stdout

    # `mimic env` exports REQUESTS_CA_BUNDLE (the combined bundle) itself now.
    env = client_env(**{**mimic_env(mimic), "REQUESTS_CA_BUNDLE": mimic_env(mimic)["MIMIC_CA"]},
                     AZURE_POD_IDENTITY_AUTHORITY_HOST="http://127.0.0.1:9", SNIPPET_ARGS="{}")
    script = f'eval "$({shlex.join([mimic.binary, "--data-dir", str(mimic.data_dir), "vm", "env", vm, "--flavor", "appservice"])})" && ' \
             f'exec {shlex.quote(sys.executable)} -c {shlex.quote(IDENTITY_SNIPPET)}'
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    result = last_json(done)
    assert result["source"] == "AppServiceCredential", result
    assert result["claims"]["oid"] == principal_id, result


def test_vm_env_with_an_unknown_flavor_fails_and_lists_the_flavors(mimic):
    vm, _ = system_assigned_vm(mimic)
    printed = mimic.cli("vm", "env", vm, "--flavor", "lambda")
    assert printed.returncode != 0
    for flavor in ["imds", "appservice", "cloudshell", "azureml", "arc"]:
        assert flavor in printed.stderr, printed.stderr


@pytest.mark.compat(client=CURL, flow="VM extension endpoint: GET /oauth2/token?resource=… (Metadata: true)")
def test_vm_extension_endpoint_answers_curl_like_imds(mimic):
    vm, principal_id = system_assigned_vm(mimic)
    url = f"{listener_url(mimic, vm)}/oauth2/token?resource=https%3A%2F%2Fmanagement.azure.com%2F"
    done = subprocess.run(["curl", "-sS", "-H", "Metadata: true", url], capture_output=True, text=True,
                          timeout=60, env=client_env())
    body = json.loads(done.stdout)
    assert body["resource"] == "https://management.azure.com/", body
    assert int(body["expires_in"]) > 3600, body
    payload = body["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["oid"] == principal_id, claims
    refused = subprocess.run(["curl", "-sS", url], capture_output=True, text=True, timeout=60, env=client_env())
    assert json.loads(refused.stdout) == {"error": "invalid_request",
                                          "error_description": "Required metadata header not specified"}


def test_arc_key_files_are_written_to_azcmagent_tokens_and_used_once(mimic):
    vm, _ = system_assigned_vm(mimic)
    url = f"{listener_url(mimic, vm)}/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://management.azure.com"
    challenge = subprocess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", "-H", "Metadata: true", url],
                               capture_output=True, text=True, timeout=60, env=client_env())
    header = next(line for line in challenge.stdout.splitlines() if line.lower().startswith("www-authenticate:"))
    realm = header.split("=", 1)[1].strip()
    assert realm.startswith("/var/opt/azcmagent/tokens/") and realm.endswith(".key"), header
    with open(realm) as file:
        secret = file.read()
    done = subprocess.run(["curl", "-sS", "-H", "Metadata: true", "-H", f"Authorization: Basic {secret}", url],
                          capture_output=True, text=True, timeout=60, env=client_env())
    assert "access_token" in json.loads(done.stdout), done.stdout
    assert not os.path.exists(realm)
    again = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Metadata: true",
                            "-H", f"Authorization: Basic {secret}", url],
                           capture_output=True, text=True, timeout=60, env=client_env())
    assert again.stdout == "401"
