"""Key Vault secrets through real, unmodified clients inside the sandbox (issue 16, items 2–3).

Each test runs its client in `mimic vm exec VM --netns` as a VM with a system-assigned identity and
configures nothing: no `az cloud register`, no vault URL but `https://V.vault.azure.net`, no
`verify_challenge_resource` option, no authority host, no CA variable (for Python, az and Rust the
tests even unset the ones the sandbox sets, so that the bind-mounted bundles alone carry the trust;
Node keeps NODE_EXTRA_CA_CERTS, its only way to trust a CA). Inside, `V.vault.azure.net` resolves to
mimic's ARM listener, which serves Key Vault's data plane by Host (docs/hostnames.md), and the
credentials reach the VM's IMDS at 169.254.169.254 on the namespace's own loopback.

The flow is the one a learner meets in Azure: the vault is an RBAC vault, the VM may not read the
secret (403, `Forbidden` with the inner code `ForbiddenByRbac`, naming the caller and the data action),
the operator — outside the sandbox, as in the portal — grants *Key Vault Secrets User* on the vault,
and the same unchanged command reads the value.
"""

import json
import os
import pathlib
import sys
import tomllib
import uuid
from importlib.metadata import version

import pytest
import requests

from conftest import client_env
from test_az_support import AZ, READER, ok
from test_netns import netns, vm_with_system_identity
from test_netns_hostnames import NO_CA_VARIABLES
from test_node import IDENTITY as NODE_IDENTITY

HERE = pathlib.Path(__file__).resolve().parent
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
FLOW = ("Key Vault secret inside the sandbox (--netns), nothing configured: "
        "403 ForbiddenByRbac → grant Key Vault Secrets User → 200")

PYTHON_CLIENT = (f"azure-keyvault-secrets {version('azure-keyvault-secrets')} + "
                 f"azure-identity {version('azure-identity')}")
_NODE_LOCK = json.loads((HERE / "node" / "package-lock.json").read_text())["packages"]
NODE_CLIENT = (f"@azure/keyvault-secrets {_NODE_LOCK['node_modules/@azure/keyvault-secrets']['version']} + "
               f"@azure/identity {NODE_IDENTITY}")
_RUST_LOCK = {p["name"]: p["version"] for p in tomllib.loads((HERE / "rust" / "Cargo.lock").read_text())["package"]}
RUST_CLIENT = (f"azure_security_keyvault_secrets {_RUST_LOCK['azure_security_keyvault_secrets']} + "
               f"azure_identity {_RUST_LOCK['azure_identity']} (Rust)")

# The README's code: SecretClient + DefaultAzureCredential, no option. The first line is a safety
# net for the hard rule: 169.254.169.254 must be an address of this machine (the sandbox's own).
PYTHON_READER = r'''
import json, socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("169.254.169.254", 0))
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
vault, name = sys.argv[1:3]
client = SecretClient(vault_url=f"https://{vault}.vault.azure.net", credential=DefaultAzureCredential())
try:
    print(json.dumps({"status": 200, "value": client.get_secret(name).value}))
except HttpResponseError as error:
    body = json.loads(error.response.text())
    print(json.dumps({"status": error.status_code, "code": body["error"]["code"],
                      "inner": body["error"]["innererror"]["code"], "message": body["error"]["message"]}))
'''


def vault_id(mimic, name):
    return f"{mimic.group_id()}/providers/Microsoft.KeyVault/vaults/{name}"


def rbac_vault_with_secret(mimic):
    """An RBAC vault holding one secret the operator set (as Key Vault Secrets Officer); returns
    (vault, secret name, value)."""
    vault = f"kv{uuid.uuid4().hex[:12]}"
    body = {"location": "eastus", "properties": {"tenantId": mimic.tenant, "enableRbacAuthorization": True,
                                                 "sku": {"family": "A", "name": "standard"}}}
    created = mimic.arm("PUT", f"{vault_id(mimic, vault)}?api-version=2026-02-01", body)
    assert created.status_code in (200, 201), created.text
    mimic.grant(mimic.operator["object_id"], scope=vault_id(mimic, vault), role=SECRETS_OFFICER)
    # The operator's request goes to ARM's listener on the host; its Host names the vault under
    # mimic's own suffix (outside the sandbox nothing resolves vault.azure.net to mimic).
    port = mimic.arm_url.rsplit(":", 1)[1]
    name, value = "db-password", f"s3cret-{uuid.uuid4().hex[:8]}"
    reply = requests.put(f"{mimic.arm_url}/secrets/{name}?api-version=7.5", json={"value": value},
                         headers={"Host": f"{vault}.vault.mimic.test:{port}",
                                  "Authorization": f"Bearer {mimic.operator_token('https://vault.azure.net/.default')}"},
                         verify=mimic.ca, timeout=30)
    assert reply.status_code == 200, reply.text
    return vault, name, value


def grant_secrets_user(mimic, principal, vault):
    mimic.grant(principal, scope=vault_id(mimic, vault), role=SECRETS_USER)


def last_json(done):
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr[-4000:]}"
    return json.loads(lines[-1])


def assert_forbidden_by_rbac(mimic, result, principal, vault):
    assert (result["status"], result["code"], result["inner"]) == (403, "Forbidden", "ForbiddenByRbac"), result
    assert f"oid={principal}" in result["message"], result
    assert GET_SECRET in result["message"], result
    assert vault_id(mimic, vault).lower() in result["message"].lower(), result


def read_403_grant_read_200(mimic, run):
    """The flow every SDK test follows; `run(vm, vault, name)` returns the client's JSON result."""
    vault, name, value = rbac_vault_with_secret(mimic)
    vm, principal = vm_with_system_identity(mimic)
    assert_forbidden_by_rbac(mimic, run(vm, vault, name), principal, vault)
    grant_secrets_user(mimic, principal, vault)
    assert run(vm, vault, name) == {"status": 200, "value": value}


@pytest.mark.compat(client=AZ, flow=FLOW)
@pytest.mark.compat(client=AZ, flow="az group list against management.azure.com inside the sandbox (no cloud registered)")
def test_az_keyvault_secret_show_in_the_sandbox_forbidden_by_rbac_then_allowed(mimic):
    vault, name, value = rbac_vault_with_secret(mimic)
    vm, principal = vm_with_system_identity(mimic)
    mimic.grant(principal, scope=mimic.group_id(), role=READER)

    def az(*args):
        return netns(mimic, vm, *NO_CA_VARIABLES, "az", *args)

    ok(az("login", "--identity", "-o", "none"))
    groups = json.loads(ok(az("group", "list", "-o", "json")))
    assert mimic.group_id() in [group["id"] for group in groups]
    show = ("keyvault", "secret", "show", "--vault-name", vault, "-n", name, "-o", "json")
    denied = az(*show)
    assert denied.returncode != 0, denied.stdout
    assert "ForbiddenByRbac" in denied.stderr, denied.stderr[-4000:]
    assert "Traceback" not in denied.stderr, denied.stderr[-4000:]

    grant_secrets_user(mimic, principal, vault)

    shown = json.loads(ok(az(*show)))
    assert shown["value"] == value, shown
    assert shown["id"].startswith(f"https://{vault}.vault.azure.net/secrets/{name}/"), shown


@pytest.mark.compat(client=PYTHON_CLIENT, flow=FLOW)
def test_python_secret_client_with_default_azure_credential_in_the_sandbox(mimic):
    def run(vm, vault, name):
        done = netns(mimic, vm, *NO_CA_VARIABLES, sys.executable, "-c", PYTHON_READER, vault, name)
        assert done.returncode == 0, done.stderr[-4000:]
        return last_json(done)

    read_403_grant_read_200(mimic, run)


@pytest.mark.compat(client=NODE_CLIENT, flow=FLOW)
def test_node_secret_client_with_default_azure_credential_in_the_sandbox(mimic):
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")

    def run(vm, vault, name):
        done = netns(mimic, vm, "node", str(HERE / "node" / "kv_secret.cjs"), vault, name,
                     env=client_env(NODE_PATH=modules))
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
        return last_json(done)

    read_403_grant_read_200(mimic, run)


@pytest.mark.compat(client=RUST_CLIENT, flow=FLOW)
def test_rust_secret_client_with_managed_identity_credential_in_the_sandbox(mimic):
    binary = os.environ.get("MIMIC_RUST_KV_SECRET")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MIMIC_RUST_KV_SECRET does not name the built kv-secret: run through scripts/clients.sh")

    def run(vm, vault, name):
        done = netns(mimic, vm, *NO_CA_VARIABLES, binary, vault, name)
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-4000:])
        return last_json(done)

    read_403_grant_read_200(mimic, run)
