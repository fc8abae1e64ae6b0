"""Issue 12 items 1 and 2 through `mimic az …`: built-in roles by name, and the custom role lifecycle."""

import json

from test_az_support import compat, create_identity_rest, fails, op, unique

BUILT_INS = {
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Managed Identity Operator": "f1a07417-d97a-45cb-824c-7a7467783830",
}


@compat("az role assignment create --role <built-in name> (Storage Blob Data Contributor, Key Vault Secrets User, "
        "AcrPull, Managed Identity Operator)")
def test_role_assignment_create_by_built_in_role_name(mimic):
    identity = create_identity_rest(mimic)["properties"]
    scope = mimic.group_id()
    for name, guid in BUILT_INS.items():
        created = op(mimic, "role", "assignment", "create", "--assignee-object-id", identity["principalId"],
                     "--assignee-principal-type", "ServicePrincipal", "--role", name, "--scope", scope)
        assert created["roleDefinitionId"] == (
            f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"), created
    listed = op(mimic, "role", "assignment", "list", "--assignee", identity["principalId"], "--all")
    assert {a["roleDefinitionName"] for a in listed} == set(BUILT_INS), listed


@compat("az role definition create/update/list --custom-role-only/delete; assign a custom role")
def test_custom_role_create_update_list_assign_delete(mimic, tmp_path):
    subscription = f"/subscriptions/{mimic.subscription}"
    name = unique("Group Keeper")
    definition = {
        "Name": name,
        "Description": "Reads and writes groups",
        "Actions": ["Microsoft.Resources/subscriptions/resourceGroups/*"],
        "NotActions": ["Microsoft.Resources/subscriptions/resourceGroups/delete"],
        "DataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        "NotDataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"],
        "AssignableScopes": [subscription],
    }
    role_file = tmp_path / "role.json"
    role_file.write_text(json.dumps(definition))

    created = op(mimic, "role", "definition", "create", "--role-definition", f"@{role_file}")
    assert (created["roleName"], created["roleType"], created["assignableScopes"]) == (
        name, "CustomRole", [subscription]), created
    assert created["permissions"] == [{
        "actions": definition["Actions"], "notActions": definition["NotActions"],
        "dataActions": definition["DataActions"], "notDataActions": definition["NotDataActions"],
        "condition": None, "conditionVersion": None}], created

    custom = op(mimic, "role", "definition", "list", "--custom-role-only")
    assert [r["name"] for r in custom] == [created["name"]], custom

    definition["Description"] = "Keeps groups"
    role_file.write_text(json.dumps(definition))
    updated = op(mimic, "role", "definition", "update", "--role-definition", f"@{role_file}")
    assert (updated["name"], updated["description"]) == (created["name"], "Keeps groups"), updated

    identity = create_identity_rest(mimic)["properties"]
    assignment = op(mimic, "role", "assignment", "create", "--assignee-object-id", identity["principalId"],
                    "--assignee-principal-type", "ServicePrincipal", "--role", name, "--scope", mimic.group_id())
    assert assignment["roleDefinitionId"] == created["id"], assignment

    fails(mimic.az("role", "definition", "delete", "--name", name), 1, "RoleDefinitionHasAssignments")
    assert [r["name"] for r in op(mimic, "role", "definition", "list", "--custom-role-only")] == [created["name"]]

    assert op(mimic, "role", "assignment", "delete", "--ids", assignment["id"]) is None
    assert op(mimic, "role", "definition", "delete", "--name", name) is None
    assert op(mimic, "role", "definition", "list", "--custom-role-only") == []


@compat("az role assignment list/delete with the assignment of a deleted identity (orphaned, as Azure keeps it)")
def test_role_assignment_of_a_deleted_identity_stays_listed_until_deleted(mimic):
    name = unique("orphan")
    identity = create_identity_rest(mimic, name)["properties"]
    scope = mimic.group_id()
    created = op(mimic, "role", "assignment", "create", "--assignee-object-id", identity["principalId"],
                 "--assignee-principal-type", "ServicePrincipal", "--role", "Reader", "--scope", scope)
    op(mimic, "identity", "delete", "-g", mimic.group, "-n", name)

    listed = op(mimic, "role", "assignment", "list", "--scope", scope)
    orphans = [a for a in listed if a["principalId"] == identity["principalId"]]
    assert [(a["id"], a["roleDefinitionName"], a["principalName"]) for a in orphans] == [
        (created["id"], "Reader", "")], listed

    op(mimic, "role", "assignment", "delete", "--ids", created["id"])
    listed = op(mimic, "role", "assignment", "list", "--scope", scope)
    assert identity["principalId"] not in [a["principalId"] for a in listed], listed


@compat("az role assignment create/list/delete --assignee <group> (a group from az ad group create; principalType Group)")
def test_role_assignment_for_a_group(mimic):
    name = unique("readers")
    group = op(mimic, "ad", "group", "create", "--display-name", name, "--mail-nickname", name)
    scope = mimic.group_id()

    created = op(mimic, "role", "assignment", "create", "--assignee", group["id"], "--role", "Reader",
                 "--scope", scope)

    assert (created["principalId"], created["principalType"]) == (group["id"], "Group"), created
    listed = op(mimic, "role", "assignment", "list", "--assignee", group["id"], "--scope", scope)
    assert [(a["id"], a["principalName"], a["roleDefinitionName"]) for a in listed] == [
        (created["id"], name, "Reader")], listed
    assert op(mimic, "role", "assignment", "delete", "--ids", created["id"]) is None
    assert op(mimic, "role", "assignment", "list", "--assignee", group["id"], "--scope", scope) == []
    assert op(mimic, "ad", "group", "delete", "--group", group["id"]) is None
