"""Issue 16 item 1 through `mimic az …`: the Key Vault control plane with the real, unmodified az
(azure-mgmt-keyvault 14.0.1, api-version 2026-02-01): create/show/list/update, access policies,
soft delete, list-deleted, recover and purge."""

import uuid
from urllib.parse import urlparse

from test_az_support import compat, fails, op, unique

OPERATOR_OBJECT_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def vault_name():
    # 3-24 characters, a letter first: `kv-` and 12 hex digits.
    return unique("kv").replace("-", "")[:2] + "-" + uuid.uuid4().hex[:12]


def deleted_names(mimic):
    return [v["name"] for v in op(mimic, "keyvault", "list-deleted", "--resource-type", "vault")]


@compat("az keyvault create/show/list/update --enable-rbac-authorization/set-policy/delete-policy")
def test_keyvault_create_show_list_update_and_access_policies(mimic):
    name = vault_name()
    group = "mimic-rg"

    created = op(mimic, "keyvault", "create", "--name", name, "--resource-group", group)
    properties = created["properties"]
    assert (created["name"], created["type"], created["location"]) == (name, "Microsoft.KeyVault/vaults", "eastus")
    assert properties["enableRbacAuthorization"] is True, created
    assert properties["accessPolicies"] == [], created
    # The data plane is on ARM's listener: the vault URI carries ARM's port.
    port = urlparse(mimic.arm_url).port
    assert properties["vaultUri"] == f"https://{name}.vault.mimic.test:{port}/", created
    assert (properties["softDeleteRetentionInDays"], properties["enableSoftDelete"]) == (90, True), created

    shown = op(mimic, "keyvault", "show", "--name", name)
    assert shown["id"] == created["id"], shown
    listed = op(mimic, "keyvault", "list", "--resource-group", group)
    assert name in [v["name"] for v in listed], listed
    everywhere = op(mimic, "keyvault", "list")
    assert created["id"] in [v["id"] for v in everywhere], everywhere

    updated = op(mimic, "keyvault", "update", "--name", name, "--enable-rbac-authorization", "false")
    assert updated["properties"]["enableRbacAuthorization"] is False, updated

    object_id = str(uuid.uuid4())
    policy = op(mimic, "keyvault", "set-policy", "--name", name, "--object-id", object_id,
                "--secret-permissions", "get", "list")
    entries = [p for p in policy["properties"]["accessPolicies"] if p["objectId"] == object_id]
    assert len(entries) == 1 and sorted(entries[0]["permissions"]["secrets"]) == ["get", "list"], policy
    assert entries[0]["tenantId"] == mimic.tenant, policy

    removed = op(mimic, "keyvault", "delete-policy", "--name", name, "--object-id", object_id)
    assert object_id not in [p["objectId"] for p in removed["properties"]["accessPolicies"]], removed
    assert op(mimic, "keyvault", "show", "--name", name)["properties"]["accessPolicies"] == []


@compat("az keyvault create --enable-rbac-authorization false (operator policy via Graph), delete/list-deleted/recover/purge")
def test_keyvault_soft_delete_recover_and_purge(mimic):
    name = vault_name()
    # An access-policy vault: az asks Graph for the signed-in operator's object id and grants it
    # every permission.
    created = op(mimic, "keyvault", "create", "--name", name, "--resource-group", "mimic-rg",
                 "--retention-days", "7", "--enable-rbac-authorization", "false")
    policies = created["properties"]["accessPolicies"]
    assert [p["objectId"] for p in policies] == [OPERATOR_OBJECT_ID], created
    assert policies[0]["permissions"]["secrets"] == ["all"], created

    op(mimic, "keyvault", "delete", "--name", name)
    assert name in deleted_names(mimic)
    fails(mimic.az("keyvault", "create", "--name", name, "--resource-group", "mimic-rg"), 1,
          "A vault with the same name already exists in deleted state")

    recovered = op(mimic, "keyvault", "recover", "--name", name)
    assert recovered["properties"]["softDeleteRetentionInDays"] == 7, recovered
    assert name not in deleted_names(mimic)
    assert op(mimic, "keyvault", "show", "--name", name)["name"] == name

    op(mimic, "keyvault", "delete", "--name", name)
    op(mimic, "keyvault", "purge", "--name", name)
    assert name not in deleted_names(mimic)
    again = op(mimic, "keyvault", "create", "--name", name, "--resource-group", "mimic-rg")
    assert again["name"] == name, again
