"""@azure/identity ManagedIdentityCredential through the other managed-identity sources, as a VM.

The program is tests/clients/node/mi_flavor_arm.cjs (mi_arm.cjs's flow, refusing to run without a
loopback source in the environment), run under `mimic vm exec VM --flavor F` — App Service, Cloud Shell, Azure ML
or Azure Arc variables and no AZURE_POD_IDENTITY_AUTHORITY_HOST. @azure/identity 4.13 hands these
sources to msal-node's ManagedIdentityApplication. msal-node refuses a user-assigned identity for
Cloud Shell, and supports only client ids for Azure ML; those cells are absent.
"""

import json
import os
import pathlib

import pytest

from conftest import client_env
from test_flavors_python import SOURCES, listener_url
from test_node import CLIENT, HERE
from test_node import system_assigned_vm as system_assigned_vm_created
from test_node import user_assigned_vm as user_assigned_vm_created

PROGRAM = HERE / "node" / "mi_flavor_arm.cjs"


def run_as_vm(mimic, vm, flavor, client_id=None):
    """Runs mi_arm.cjs as VM with `--flavor`; returns its JSON result."""
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")
    args = [mimic.arm_url, mimic.subscription, mimic.group] + ([client_id] if client_id else [])
    done = mimic.cli("vm", "exec", vm, "--flavor", flavor, "--", "node", str(PROGRAM), *args,
                     env=client_env(NODE_PATH=modules), timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr}"
    result = json.loads(lines[-1])
    assert "token_error" not in result and "arm_error" not in result, (json.dumps(result), done.stderr[-6000:])
    assert result["source"] == flavor, result
    return result


def assert_forbidden_then_allowed(mimic, flavor, vm, principal, client_id):
    before = run_as_vm(mimic, vm, flavor, client_id)
    assert before["token"]["oid"] == principal, before
    assert before["token"]["aud"] == "https://management.azure.com", before
    assert before["token"]["tid"] == mimic.tenant, before
    if client_id:
        assert before["token"]["appid"] == client_id, before
    assert before["status"] == 403 and before["error_code"] == "AuthorizationFailed", before
    mimic.grant(principal)
    after = run_as_vm(mimic, vm, flavor, client_id)
    assert after["status"] == 200, after
    assert after["group"] == {"id": mimic.group_id(), "name": mimic.group}, after


def system_assigned_vm(mimic):
    created = system_assigned_vm_created(mimic)
    listener_url(mimic, created[0])
    return created


def user_assigned_vm(mimic):
    created = user_assigned_vm_created(mimic)
    listener_url(mimic, created[0])
    return created


def params(flavors, what):
    return [pytest.param(flavor, id=flavor, marks=pytest.mark.compat(
        client=CLIENT, flow=f"{SOURCES[flavor]}: {what} → ARM 403 → grant → 200")) for flavor in flavors]


@pytest.mark.parametrize("flavor", params(SOURCES, "system-assigned"))
def test_node_flavor_system_assigned_reads_group_only_after_grant(mimic, flavor):
    assert_forbidden_then_allowed(mimic, flavor, *system_assigned_vm(mimic))


@pytest.mark.parametrize("flavor", params(["appservice", "azureml", "arc"], "user-assigned (clientId)"))
def test_node_flavor_user_assigned_by_client_id_reads_group_only_after_grant(mimic, flavor):
    assert_forbidden_then_allowed(mimic, flavor, *user_assigned_vm(mimic))
