"""@azure/identity ManagedIdentityCredential + @azure/arm-resources, as a VM, against mimic.

The program is tests/clients/node/mi_arm.cjs, run with the machine's node under `mimic vm exec`
(AZURE_POD_IDENTITY_AUTHORITY_HOST = the VM's IMDS, NODE_EXTRA_CA_CERTS = mimic's CA). Its packages
are installed by scripts/clients.sh (npm ci from package-lock.json, before the network namespace) into
a cache directory that MIMIC_NODE_PATH names; node finds them through NODE_PATH.
"""

import json
import os
import pathlib
import uuid

import pytest

from conftest import client_env

HERE = pathlib.Path(__file__).resolve().parent
PROGRAM = HERE / "node" / "mi_arm.cjs"
_LOCK = json.loads((HERE / "node" / "package-lock.json").read_text())["packages"]
IDENTITY = _LOCK["node_modules/@azure/identity"]["version"]
ARM_RESOURCES = _LOCK["node_modules/@azure/arm-resources"]["version"]
CLIENT = f"@azure/identity {IDENTITY} + @azure/arm-resources {ARM_RESOURCES}"


def run_as_vm(mimic, vm, client_id=None):
    """Runs mi_arm.cjs as VM; returns its JSON result."""
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")
    args = [mimic.arm_url, mimic.subscription, mimic.group] + ([client_id] if client_id else [])
    done = mimic.vm_exec(vm, "node", str(PROGRAM), *args, env=client_env(NODE_PATH=modules), timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr}"
    result = json.loads(lines[-1])
    assert "token_error" not in result and "arm_error" not in result, (json.dumps(result), done.stderr[-6000:])
    return result


def system_assigned_vm(mimic):
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    shown = mimic.arm("GET", f"{mimic.vm_id(vm)}?api-version=2024-11-01")
    return vm, shown.json()["identity"]["principalId"], None


def user_assigned_vm(mimic):
    name = f"id-{uuid.uuid4().hex[:8]}"
    created = mimic.arm("PUT", f"{mimic.identity_id(name)}?api-version=2024-11-30", {"location": "eastus"})
    assert created.status_code in (200, 201), created.text
    identity = created.json()["properties"]
    vm = mimic.create_vm(identity={"type": "UserAssigned",
                                   "userAssignedIdentities": {mimic.identity_id(name): {}}})
    return vm, identity["principalId"], identity["clientId"]


def assert_forbidden_then_allowed(mimic, vm, principal, client_id):
    before = run_as_vm(mimic, vm, client_id)
    assert before["token"] == {"oid": principal, "aud": "https://management.azure.com",
                               "tid": mimic.tenant, "appid": before["token"]["appid"]}, before
    assert before["status"] == 403, before
    assert before["error_code"] == "AuthorizationFailed", before
    assert principal in before["message"], before
    if client_id:
        assert before["token"]["appid"] == client_id, before

    mimic.grant(principal)

    after = run_as_vm(mimic, vm, client_id)
    assert after["status"] == 200, after
    assert after["group"] == {"id": mimic.group_id(), "name": mimic.group}, after


@pytest.mark.compat(client=CLIENT, flow="managed identity token → ARM 403 → grant → 200")
def test_node_system_assigned_reads_group_only_after_grant(mimic):
    assert_forbidden_then_allowed(mimic, *system_assigned_vm(mimic))


@pytest.mark.compat(client=CLIENT, flow="user-assigned managed identity (client id) token → ARM 403 → grant → 200")
def test_node_user_assigned_by_client_id_reads_group_only_after_grant(mimic):
    assert_forbidden_then_allowed(mimic, *user_assigned_vm(mimic))
