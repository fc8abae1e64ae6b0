"""The operator's sandbox (`mimic exec -- CMD`, issue 18 item 4): real, unmodified clients as the
operator with nothing configured.

`mimic exec` runs CMD in the sandbox a VM gets (a network and mount namespace with only loopback;
Azure's public names — management.azure.com, login.microsoftonline.com, graph.microsoft.com,
{vault}.vault.azure.net — reach mimic; its CA trusted), with the fixture operator's service principal
in `ARM_*` (Terraform's azurerm provider) and `AZURE_*` (the SDKs' EnvironmentCredential), and az
signed in to `AzureCloud`. The tests register no cloud, pass no endpoint, no authority, no CA option
(they even unset the CA variables, so the bind-mounted bundles alone carry the trust) — what runs here
runs against Azure unchanged.
"""

import json
import sys
import uuid
from importlib.metadata import version

import pytest

from test_az_support import AZ, ok
from test_netns_hostnames import NO_CA_VARIABLES

SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
FLOW_AZ = ("operator's sandbox (mimic exec), nothing configured: az signed in to AzureCloud; group, identity, "
           "role assignment, RBAC key vault and secret")
FLOW_SDK = ("operator's sandbox (mimic exec), nothing configured: DefaultAzureCredential from AZURE_* "
            "against management.azure.com")
SDK_CLIENT = (f"azure-mgmt-resource {version('azure-mgmt-resource')} + azure-mgmt-msi {version('azure-mgmt-msi')} + "
              f"azure-identity {version('azure-identity')}")


def operator(mimic, *command):
    """`mimic exec -- COMMAND…` without the CA variables."""
    return mimic.cli("exec", "--", *NO_CA_VARIABLES, *command)


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.mark.compat(client=AZ, flow=FLOW_AZ)
def test_az_in_the_operators_sandbox_is_the_operator_in_azure_cloud_and_changes_mimic(mimic):
    def az(*args):
        return json.loads(ok(operator(mimic, "az", *args, "-o", "json")) or "null")

    account = az("account", "show")
    assert (account["environmentName"], account["id"], account["tenantId"]) == (
        "AzureCloud", mimic.subscription, mimic.tenant), account
    assert account["user"] == {"name": mimic.operator["client_id"], "type": "servicePrincipal"}, account

    group, identity, vault = unique("rg-op-"), unique("id-op-"), unique("kvop")
    created = az("group", "create", "-n", group, "-l", "eastus")
    assert created["properties"]["provisioningState"] == "Succeeded", created
    made = az("identity", "create", "-g", group, "-n", identity)
    group_id = f"/subscriptions/{mimic.subscription}/resourceGroups/{group}"
    assignment = az("role", "assignment", "create", "--assignee-object-id", made["principalId"],
                    "--assignee-principal-type", "ServicePrincipal", "--role", "Reader", "--scope", group_id)
    assert assignment["principalId"] == made["principalId"], assignment

    kv = az("keyvault", "create", "-g", group, "-n", vault, "-l", "eastus", "--enable-rbac-authorization", "true")
    assert kv["properties"]["vaultUri"] == f"https://{vault}.vault.azure.net/", kv
    # --assignee by client id: az finds the operator's service principal through graph.microsoft.com.
    az("role", "assignment", "create", "--assignee", mimic.operator["client_id"], "--role", SECRETS_OFFICER,
       "--scope", kv["id"])
    value = unique("s3cret-")
    az("keyvault", "secret", "set", "--vault-name", vault, "-n", "db-password", "--value", value)
    shown = az("keyvault", "secret", "show", "--vault-name", vault, "-n", "db-password")
    assert shown["value"] == value, shown

    # What the operator did inside is mimic's state outside.
    outside = mimic.arm("GET", f"{group_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{identity}"
                               "?api-version=2023-01-31")
    assert outside.status_code == 200 and outside.json()["properties"]["principalId"] == made["principalId"]


SDK_SCRIPT = r'''
import json, os, sys
from azure.identity import DefaultAzureCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource import ResourceManagementClient
group, identity = sys.argv[1:3]
credential = DefaultAzureCredential()
subscription = os.environ["AZURE_SUBSCRIPTION_ID"]
resources = ResourceManagementClient(credential, subscription)
resources.resource_groups.create_or_update(group, {"location": "eastus"})
made = ManagedServiceIdentityClient(credential, subscription).user_assigned_identities.create_or_update(
    group, identity, {"location": "eastus"})
print(json.dumps({"groups": [g.name for g in resources.resource_groups.list()],
                  "principal": made.principal_id,
                  "credential": type(credential._successful_credential).__name__}))
'''


@pytest.mark.compat(client=SDK_CLIENT, flow=FLOW_SDK)
def test_python_sdks_with_default_azure_credential_in_the_operators_sandbox(mimic):
    group, identity = unique("rg-sdk-"), unique("id-sdk-")
    done = operator(mimic, sys.executable, "-c", SDK_SCRIPT, group, identity)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert group in result["groups"], result
    assert result["credential"] == "EnvironmentCredential", result
    outside = mimic.arm("GET", f"/subscriptions/{mimic.subscription}/resourceGroups/{group}/providers/"
                               f"Microsoft.ManagedIdentity/userAssignedIdentities/{identity}?api-version=2023-01-31")
    assert outside.status_code == 200 and outside.json()["properties"]["principalId"] == result["principal"]
