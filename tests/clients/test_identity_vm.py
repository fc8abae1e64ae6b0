"""azure-identity on a VM, with the Python management SDKs, against mimic (issue 3, item 5c).

Every snippet runs as a separate Python process, the way a user's program would: as the VM through
`mimic vm exec VM -- python …` (AZURE_POD_IDENTITY_AUTHORITY_HOST = the VM's IMDS, REQUESTS_CA_BUNDLE
= mimic's CA), or as the operator with the environment `mimic env` prints plus REQUESTS_CA_BUNDLE.
Both also get the `MIMIC_*` variables of `mimic env`, which the snippets (and docs/sdk.md) read. The
clients are used unmodified, configured only through environment variables and documented kwargs;
the management clients keep their default credential scope (https://management.azure.com/.default).

This module also holds the helpers the other test_identity_*/test_msal_*/test_mgmt_* modules use.
"""

import json
import shlex
import subprocess
import sys
import uuid
from importlib.metadata import version

import pytest

from conftest import client_env

IDENTITY = f"azure-identity {version('azure-identity')}"
MSAL = f"msal {version('msal')}"
RESOURCE = f"azure-mgmt-resource {version('azure-mgmt-resource')}"
COMPUTE = f"azure-mgmt-compute {version('azure-mgmt-compute')}"
MSI = f"azure-mgmt-msi {version('azure-mgmt-msi')}"
AUTHORIZATION = f"azure-mgmt-authorization {version('azure-mgmt-authorization')}"
ARM_AUDIENCE = "https://management.azure.com"

# Shared by every snippet: its arguments, a JWT payload decoder, and a way to report how a call ended.
PRELUDE = r'''
import base64, json, os, sys, time
A = json.loads(os.environ.get("SNIPPET_ARGS", "{}"))
ARM, SUBSCRIPTION, GROUP = os.environ["MIMIC_ARM"], os.environ["MIMIC_SUBSCRIPTION"], os.environ["MIMIC_RG"]

def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

def outcome(call):
    """{"ok": value} or how the call failed, as the client shows it."""
    started = time.monotonic()
    try:
        return {"ok": call(), "seconds": time.monotonic() - started}
    except Exception as error:
        failure = {"type": type(error).__name__, "message": str(error), "seconds": time.monotonic() - started}
        if getattr(error, "status_code", None) is not None:
            failure["status"] = error.status_code
        if getattr(error, "error", None) is not None:
            failure["code"] = error.error.code
        response = getattr(error, "response", None)
        if response is not None:
            failure["www_authenticate"] = response.headers.get("WWW-Authenticate")
        return failure
'''

# The four management-SDK reads of issue 3 item 5c, with the credential `credential`.
MGMT_READS = r'''
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource import ResourceManagementClient

def mgmt_reads(credential, vm):
    group_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
    resources = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM)
    compute = ComputeManagementClient(credential, SUBSCRIPTION, base_url=ARM)
    msi = ManagedServiceIdentityClient(credential, SUBSCRIPTION, base_url=ARM)
    authorization = AuthorizationManagementClient(credential, SUBSCRIPTION, base_url=ARM)
    return {
        "resource_groups.get": outcome(lambda: resources.resource_groups.get(GROUP).id),
        "virtual_machines.get": outcome(lambda: compute.virtual_machines.get(GROUP, vm).id),
        "user_assigned_identities.list_by_resource_group": outcome(
            lambda: [i.id for i in msi.user_assigned_identities.list_by_resource_group(GROUP)]),
        "role_assignments.list_for_scope": outcome(
            lambda: [a.name for a in authorization.role_assignments.list_for_scope(group_id)]),
    }
'''


# --- running snippets ------------------------------------------------------------------------------
def mimic_env(mimic):
    """The variables `mimic env` exports (MIMIC_ARM, MIMIC_CA, …), parsed from its output."""
    printed = mimic.cli("env")
    assert printed.returncode == 0, printed.stderr
    pairs = {}
    for line in printed.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        pairs[name] = shlex.split(value)[0]
    return pairs


def run_python(mimic, code, vm=None, args=None, extra_env=None, ca_from_env=True, timeout=120):
    """Runs `code` with this venv's Python — as VM (`mimic vm exec VM -- [env K=V…] python -c`) or,
    without vm, as the operator (the `mimic env` variables plus, if ca_from_env, REQUESTS_CA_BUNDLE =
    mimic's CA; otherwise neither REQUESTS_CA_BUNDLE nor CURL_CA_BUNDLE) — and returns the JSON object it printed last. `extra_env` is set inside `vm exec` (which clears
    AZURE_* identity variables such as AZURE_CLIENT_ID)."""
    env = client_env(**mimic_env(mimic), SNIPPET_ARGS=json.dumps(args or {}))
    inner = [f"{k}={v}" for k, v in (extra_env or {}).items()]
    if vm:
        done = mimic.vm_exec(vm, "env", *inner, sys.executable, "-c", code, env=env, timeout=timeout)
    else:
        if ca_from_env:
            env["REQUESTS_CA_BUNDLE"] = env["MIMIC_CA"]
        else:  # a shell that names no CA bundle for requests
            env.pop("REQUESTS_CA_BUNDLE", None)
            env.pop("CURL_CA_BUNDLE", None)
        env.update(extra_env or {})
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                              timeout=timeout)
    lines = done.stdout.strip().splitlines()
    assert lines, f"snippet printed nothing (exit {done.returncode}):\n{done.stderr[-6000:]}"
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        pytest.fail(f"snippet's last line is not JSON (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-6000:]}")


# --- fixtures of the flows -------------------------------------------------------------------------
def create_identity(mimic):
    """A fresh user-assigned identity in the fixture group; returns (name, id, properties)."""
    name = f"id-{uuid.uuid4().hex[:8]}"
    created = mimic.arm("PUT", f"{mimic.identity_id(name)}?api-version=2024-11-30", {"location": "eastus"})
    assert created.status_code in (200, 201), created.text
    return name, created.json()["id"], created.json()["properties"]


def system_assigned_vm(mimic):
    """A fresh VM with a system-assigned identity; returns (vm name, principal id)."""
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    shown = mimic.arm("GET", f"{mimic.vm_id(vm)}?api-version=2024-11-01")
    return vm, shown.json()["identity"]["principalId"]


def user_assigned_vm(mimic):
    """A fresh VM whose only identity is a fresh user-assigned one; returns (vm name, identity id,
    identity properties)."""
    _, identity_id, properties = create_identity(mimic)
    vm = mimic.create_vm(identity={"type": "UserAssigned", "userAssignedIdentities": {identity_id: {}}})
    return vm, identity_id, properties


def assert_mi_claims(mimic, token_claims, vm, principal_id, mirid, client_id=None, az_rid=None):
    """The access token is a v1 managed-identity token for ARM (wire contract §3.5)."""
    assert token_claims["aud"] == ARM_AUDIENCE, token_claims
    assert token_claims["tid"] == mimic.tenant, token_claims
    assert token_claims["iss"] == f"https://sts.windows.net/{mimic.tenant}/", token_claims
    assert token_claims["ver"] == "1.0", token_claims
    assert token_claims["oid"] == token_claims["sub"] == principal_id, token_claims
    assert token_claims["appidacr"] == "2" and token_claims["idtyp"] == "app", token_claims
    assert token_claims["xms_mirid"].lower() == mirid.lower(), token_claims
    assert token_claims.get("xms_az_rid", "").lower() == (az_rid or "").lower(), token_claims
    if client_id:
        assert token_claims["appid"] == client_id, token_claims
    assert token_claims["exp"] - token_claims["iat"] > 3600, token_claims


def assert_all_forbidden(mimic, reads, principal_id):
    for call, result in reads.items():
        assert result.get("status") == 403, (call, result)
        assert result["type"] == "HttpResponseError" and result["code"] == "AuthorizationFailed", (call, result)
        assert f"with object id '{principal_id}'" in result["message"], (call, result)


def assert_all_allowed(mimic, reads, vm, assignment, identity_id=None):
    assert all("ok" in r for r in reads.values()), reads
    assert reads["resource_groups.get"]["ok"] == mimic.group_id(), reads
    assert reads["virtual_machines.get"]["ok"].lower() == mimic.vm_id(vm).lower(), reads
    if identity_id:
        listed = [i.lower() for i in reads["user_assigned_identities.list_by_resource_group"]["ok"]]
        assert identity_id.lower() in listed, reads
    assert assignment["name"] in reads["role_assignments.list_for_scope"]["ok"], reads


def compat(*clients, flow):
    """Marks a test as the compat cell (client, flow) of each of `clients`."""
    def mark(test):
        for client in clients:
            test = pytest.mark.compat(client=client, flow=flow)(test)
        return test
    return mark


MGMT_SDKS = (RESOURCE, COMPUTE, MSI, AUTHORIZATION)


# --- the tests -------------------------------------------------------------------------------------
CREDENTIAL_SNIPPET = PRELUDE + MGMT_READS + r'''
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
credential = CREDENTIAL
token = outcome(lambda: credential.get_token("https://management.azure.com/.default").token)
print(json.dumps({"claims": claims(token["ok"]) if "ok" in token else token,
                  "reads": mgmt_reads(credential, A["vm"])}))
'''

READ_FLOW = "mgmt SDK reads as the VM: AuthorizationFailed → grant Reader → 200"


def forbidden_then_allowed(mimic, vm, credential, principal_id, args, extra_env=None, identity_id=None):
    """Runs the credential snippet as the VM before and after granting Reader on the group: every
    read fails with AuthorizationFailed, then succeeds. Returns the access token's claims."""
    code = CREDENTIAL_SNIPPET.replace("CREDENTIAL", credential, 1)
    args = {"vm": vm, **args}
    before = run_python(mimic, code, vm=vm, args=args, extra_env=extra_env)
    assert "type" not in before["claims"], before["claims"]
    assert_all_forbidden(mimic, before["reads"], principal_id)

    assignment = mimic.grant(principal_id)

    after = run_python(mimic, code, vm=vm, args=args, extra_env=extra_env)
    assert_all_allowed(mimic, after["reads"], vm, assignment, identity_id)
    return before["claims"]


@compat(IDENTITY, flow="ManagedIdentityCredential() system-assigned → ARM 403 → grant → 200")
@compat(*MGMT_SDKS, flow=READ_FLOW)
def test_identity_system_assigned_credential_reads_arm_only_after_grant(mimic):
    vm, principal_id = system_assigned_vm(mimic)

    token_claims = forbidden_then_allowed(mimic, vm, "ManagedIdentityCredential()", principal_id, {})

    assert_mi_claims(mimic, token_claims, vm, principal_id, mirid=mimic.vm_id(vm))


def user_assigned(credential, client_id_variable, flow, id):
    return pytest.param(credential, client_id_variable, id=id,
                        marks=pytest.mark.compat(client=IDENTITY, flow=f"{flow} user-assigned → ARM 403 → grant → 200"))


@compat(*MGMT_SDKS, flow=READ_FLOW)
@pytest.mark.parametrize("credential, client_id_variable", [
    user_assigned("ManagedIdentityCredential(client_id=A['identity']['clientId'])", None,
                  "ManagedIdentityCredential(client_id=…)", "client_id"),
    user_assigned("ManagedIdentityCredential(identity_config={'object_id': A['identity']['principalId']})", None,
                  "ManagedIdentityCredential(identity_config={object_id})", "object_id"),
    user_assigned("ManagedIdentityCredential(identity_config={'resource_id': A['identity_id']})", None,
                  "ManagedIdentityCredential(identity_config={resource_id})", "resource_id"),
    user_assigned("DefaultAzureCredential()", "AZURE_CLIENT_ID",
                  "DefaultAzureCredential() with AZURE_CLIENT_ID", "default_azure_credential"),
])
def test_identity_user_assigned_credential_reads_arm_only_after_grant(mimic, credential, client_id_variable):
    vm, identity_id, identity = user_assigned_vm(mimic)
    extra_env = {client_id_variable: identity["clientId"]} if client_id_variable else None

    token_claims = forbidden_then_allowed(mimic, vm, credential, identity["principalId"],
                                          {"identity_id": identity_id, "identity": identity},
                                          extra_env=extra_env, identity_id=identity_id)

    assert_mi_claims(mimic, token_claims, vm, identity["principalId"], mirid=identity_id,
                     client_id=identity["clientId"], az_rid=mimic.vm_id(vm))
