"""The real link-local address (issue 4, item 3): `mimic vm exec VM --netns -- CMD…` runs CMD in a new
network namespace (nested in the suite's own) that has only loopback, where 169.254.169.254:80 and
127.0.0.1:50342 serve that VM's IMDS and ARM/AAD answer at their usual addresses. Nothing is
configured: no AZURE_POD_IDENTITY_AUTHORITY_HOST, no other identity variable. The seeds' curl lines
run verbatim, only ever inside such a namespace.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version

import pytest

from conftest import client_env
from test_az_support import AZ, READER, claims, create_identity_rest, describe, ok, unique

FLOW = "no configuration: 169.254.169.254 inside mimic vm exec --netns"
IDENTITY = f"azure-identity {version('azure-identity')}"
NAMESPACE_FAILURE = 125

# Seed 004, step "get an access token" — for the system-assigned identity (no client_id) and as the seed
# writes it for a user-assigned one.
SEED_004_SYSTEM = ('curl -s -H Metadata:true "http://169.254.169.254/metadata/identity/oauth2/token'
                   '?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"')
SEED_004_USER = ('curl -H Metadata:true "http://169.254.169.254/metadata/identity/oauth2/token'
                 '?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com/&client_id={client_id}"')
# Seeds 001/003: the deprecated VM-extension endpoint.
EXTENSION = 'curl -H Metadata:true "http://localhost:50342/oauth2/token?resource=https://management.azure.com/"'


def netns(mimic, vm, *command, env=None, timeout=300):
    """`mimic vm exec VM --netns -- COMMAND…`."""
    return mimic.cli("vm", "exec", vm, "--netns", "--", *command, env=env, timeout=timeout)


def netns_shell(mimic, vm, line):
    """A shell line, verbatim, inside the VM's namespace."""
    return netns(mimic, vm, "sh", "-c", line)


def vm_with_system_identity(mimic):
    name = mimic.create_vm(identity={"type": "SystemAssigned"})
    reply = mimic.arm("GET", f"{mimic.vm_id(name)}?api-version=2024-11-01")
    return name, reply.json()["identity"]["principalId"]


def token_claims(done):
    body = json.loads(ok(done))
    return claims(body["access_token"])


@pytest.mark.compat(client="curl", flow=FLOW)
def test_seed_004_curl_system_assigned_gets_the_vms_token(mimic):
    vm, principal = vm_with_system_identity(mimic)
    payload = token_claims(netns_shell(mimic, vm, SEED_004_SYSTEM))
    assert (payload["xms_mirid"], payload["oid"], payload["tid"]) == (mimic.vm_id(vm), principal, mimic.tenant)
    assert payload["aud"] == "https://management.azure.com/"


@pytest.mark.compat(client="curl", flow=FLOW)
def test_seed_004_curl_user_assigned_with_client_id_gets_the_identitys_token(mimic):
    identity = create_identity_rest(mimic, unique("uami"))
    vm = mimic.create_vm(identity={"type": "UserAssigned", "userAssignedIdentities": {identity["id"]: {}}})
    line = SEED_004_USER.format(client_id=identity["properties"]["clientId"])
    payload = token_claims(netns_shell(mimic, vm, line))
    assert (payload["xms_mirid"], payload["appid"]) == (identity["id"], identity["properties"]["clientId"])


@pytest.mark.compat(client="curl", flow=FLOW)
def test_two_vms_each_namespace_serves_only_its_own_vm(mimic):
    first, _ = vm_with_system_identity(mimic)
    second, _ = vm_with_system_identity(mimic)
    assert token_claims(netns_shell(mimic, first, SEED_004_SYSTEM))["xms_mirid"] == mimic.vm_id(first)
    assert token_claims(netns_shell(mimic, second, SEED_004_SYSTEM))["xms_mirid"] == mimic.vm_id(second)
    # Each namespace has only loopback: no link but lo, no route.
    links = ok(netns(mimic, second, "ip", "-o", "link")).splitlines()
    assert [line.split(":")[1].strip() for line in links] == ["lo"]
    assert ok(netns(mimic, second, "ip", "route", "show")) == ""


@pytest.mark.compat(client="curl", flow=FLOW)
def test_curl_metadata_instance_on_the_link_local_address_is_the_vms(mimic):
    vm, _ = vm_with_system_identity(mimic)
    done = netns_shell(mimic, vm, 'curl -s -H Metadata:true '
                                  '"http://169.254.169.254/metadata/instance/compute/name?api-version=2021-02-01&format=text"')
    assert ok(done) == vm


def test_netns_command_sees_no_identity_variables(mimic):
    vm, _ = vm_with_system_identity(mimic)
    env = client_env(AZURE_POD_IDENTITY_AUTHORITY_HOST="http://127.0.0.1:1", IDENTITY_ENDPOINT="http://x",
                     MSI_ENDPOINT="http://x", AZURE_CLIENT_ID="x")
    seen = ok(netns(mimic, vm, "env", env=env))
    names = {line.split("=", 1)[0] for line in seen.splitlines()}
    assert not names & {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "AZURE_CLIENT_ID"}
    assert {"REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "AZURE_CONFIG_DIR"} <= names


@pytest.mark.compat(client=AZ, flow=FLOW)
def test_az_login_identity_with_nothing_configured(mimic):
    vm, principal = vm_with_system_identity(mimic)
    mimic.grant(principal, scope=f"/subscriptions/{mimic.subscription}", role=READER)
    accounts = json.loads(ok(netns(mimic, vm, "az", "login", "--identity", "-o", "json")))
    assert [(a["id"], a["user"]["name"], a["user"]["type"]) for a in accounts] == [
        (mimic.subscription, "systemAssignedIdentity", "servicePrincipal")]
    account = json.loads(ok(netns(mimic, vm, "az", "account", "show", "-o", "json")))
    assert (account["id"], account["tenantId"]) == (mimic.subscription, mimic.tenant)
    # The token az holds is the VM's, fetched from 169.254.169.254 in a fresh namespace.
    token = ok(netns(mimic, vm, "az", "account", "get-access-token", "--query", "accessToken", "-o", "tsv"))
    assert claims(token.strip())["xms_mirid"] == mimic.vm_id(vm)
    shown = json.loads(ok(netns(mimic, vm, "az", "group", "show", "-n", mimic.group, "-o", "json")))
    assert shown["id"] == mimic.group_id()


MANAGED_IDENTITY_CREDENTIAL = r'''
import base64, json
from azure.identity import ManagedIdentityCredential
token = ManagedIdentityCredential().get_token("https://management.azure.com/.default").token
payload = token.split(".")[1]
print(json.dumps(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))))
'''


@pytest.mark.compat(client=IDENTITY, flow=FLOW)
def test_azure_identity_managed_identity_credential_with_no_variables(mimic):
    vm, principal = vm_with_system_identity(mimic)
    payload = json.loads(ok(netns(mimic, vm, sys.executable, "-c", MANAGED_IDENTITY_CREDENTIAL)))
    assert (payload["xms_mirid"], payload["oid"]) == (mimic.vm_id(vm), principal)


def test_netns_without_privileges_fails_before_the_command_runs(mimic):
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    with tempfile.TemporaryDirectory() as scratch:
        os.chmod(scratch, 0o777)
        marker = os.path.join(scratch, "cmd-ran")
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", mimic.binary,
             "--data-dir", str(mimic.data_dir), "vm", "exec", "vm1", "--netns", "--", "touch", marker],
            capture_output=True, text=True, timeout=60, env=client_env())
        assert done.returncode == NAMESPACE_FAILURE, describe(done)
        assert "mimic: cannot create a network namespace" in done.stderr, describe(done)
        assert "never runs the command on the host network" in done.stderr, describe(done)
        assert not os.path.exists(marker)


@pytest.mark.compat(client="curl", flow=FLOW)
def test_vm_extension_curl_on_localhost_50342_gets_the_vms_token(mimic):
    vm, principal = vm_with_system_identity(mimic)
    payload = token_claims(netns_shell(mimic, vm, EXTENSION))
    assert (payload["xms_mirid"], payload["oid"]) == (mimic.vm_id(vm), principal)
