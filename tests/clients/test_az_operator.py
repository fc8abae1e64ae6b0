"""The operator's az commands of issue 3 item 3, through `mimic az …` (wire contract §5.4–§5.9, §6.5).

Each test makes its own groups, identities and VMs (unique names), so the tests are independent of
each other and of the order they run in.
"""

from test_az_support import (READER, compat, create_identity_rest, fails, ok, op, unique, vm_body)

GROUP_KEYS = {"id", "location", "managedBy", "name", "properties", "tags", "type"}
IDENTITY_KEYS = {"clientId", "id", "isolationScope", "location", "name", "principalId", "resourceGroup", "systemData",
                 "tags", "tenantId", "type"}
ASSIGNMENT_KEYS = {"condition", "conditionVersion", "createdBy", "createdOn", "delegatedManagedIdentityResourceId",
                   "description", "id", "name", "principalId", "principalType", "resourceGroup", "roleDefinitionId",
                   "scope", "type", "updatedBy", "updatedOn"}


def new_group(mimic):
    group = unique("rg")
    op(mimic, "group", "create", "-n", group, "-l", "eastus")
    return group


@compat("az group create/show/list/delete")
def test_group_create_show_list_delete(mimic):
    name = unique("rg")
    created = op(mimic, "group", "create", "-n", name, "-l", "eastus", "--tags", "team=mimic")
    assert set(created) == GROUP_KEYS, created
    assert created == {"id": mimic.group_id(name), "location": "eastus", "managedBy": None, "name": name,
                       "properties": {"provisioningState": "Succeeded"}, "tags": {"team": "mimic"},
                       "type": "Microsoft.Resources/resourceGroups"}
    assert op(mimic, "group", "show", "-n", name.upper()) == created  # names are case-insensitive
    listed = op(mimic, "group", "list")
    assert created in listed and {g["name"] for g in listed} >= {name, mimic.group}

    assert op(mimic, "group", "delete", "-n", name, "--yes") is None
    fails(mimic.az("group", "show", "-n", name), 3,
          f"ERROR: (ResourceGroupNotFound) Resource group '{name}' could not be found.")


@compat("az identity create/show/list/delete")
def test_identity_create_show_list_delete(mimic):
    group = new_group(mimic)
    name = unique("id")
    created = op(mimic, "identity", "create", "-g", group, "-n", name)
    assert set(created) == IDENTITY_KEYS, created
    expected_id = f"{mimic.group_id(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    assert (created["id"], created["name"], created["resourceGroup"], created["location"], created["tenantId"],
            created["type"], created["tags"]) == (
        expected_id, name, group, "eastus", mimic.tenant, "Microsoft.ManagedIdentity/userAssignedIdentities", {})
    assert created["clientId"] != created["principalId"]

    assert op(mimic, "identity", "show", "-g", group, "-n", name) == created
    assert op(mimic, "identity", "show", "--ids", expected_id) == created
    assert op(mimic, "identity", "list", "-g", group) == [created]
    assert created in op(mimic, "identity", "list")

    assert op(mimic, "identity", "delete", "-g", group, "-n", name) is None
    fails(mimic.az("identity", "show", "-g", group, "-n", name), 3,
          f"ERROR: (ResourceNotFound) The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/{name}' "
          f"under resource group '{group}' was not found.")
    assert op(mimic, "identity", "list", "-g", group) == []
    op(mimic, "group", "delete", "-n", group, "--yes", "--no-wait")


@compat("az vm show")
def test_vm_show(mimic):
    vm = mimic.create_vm()
    shown = op(mimic, "vm", "show", "-g", mimic.group, "-n", vm)
    assert (shown["id"], shown["name"], shown["resourceGroup"], shown["location"], shown["type"],
            shown["provisioningState"]) == (
        mimic.vm_id(vm), vm, mimic.group, "eastus", "Microsoft.Compute/virtualMachines", "Succeeded")
    assert "identity" not in shown or shown["identity"] is None, shown
    assert shown["vmId"] and shown["storageProfile"]["osDisk"]["osType"] == "Linux"
    fails(mimic.az("vm", "show", "-g", mimic.group, "-n", vm + "x"), 3,
          f"(ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachines/{vm}x' under resource group "
          f"'{mimic.group}' was not found.")


def uami(identity):
    return {"clientId": identity["properties"]["clientId"], "principalId": identity["properties"]["principalId"]}


@compat("az vm identity assign/remove/show (system and user-assigned, by name and by id)")
def test_vm_identity_assign_remove_show_system_and_user_assigned(mimic):
    """Every PATCH body of wire contract §5.7 in turn, each checked in az's output and in ARM's state."""
    vm = mimic.create_vm()
    one, two = create_identity_rest(mimic), create_identity_rest(mimic)
    one_id, two_id = mimic.identity_id(one["name"]), mimic.identity_id(two["name"])
    g = ["-g", mimic.group, "-n", vm]

    assert op(mimic, "vm", "identity", "show", *g) is None
    # {"identity":{"type":"SystemAssigned"}}
    assigned = op(mimic, "vm", "identity", "assign", *g)
    system = assigned["systemAssignedIdentity"]
    assert system and assigned == {"systemAssignedIdentity": system, "userAssignedIdentities": {}}
    assert op(mimic, "vm", "identity", "show", *g) == {"principalId": system, "tenantId": mimic.tenant,
                                                       "type": "SystemAssigned"}
    # by name, on a VM with SA: {"userAssignedIdentities":{id1:{}},"type":"SystemAssigned,UserAssigned"}
    assigned = op(mimic, "vm", "identity", "assign", *g, "--identities", one["name"])
    assert assigned == {"systemAssignedIdentity": system, "userAssignedIdentities": {one_id: uami(one)}}
    # by full id: the existing UAMI is re-sent with the new one
    assigned = op(mimic, "vm", "identity", "assign", *g, "--identities", two_id)
    assert assigned == {"systemAssignedIdentity": system,
                        "userAssignedIdentities": {one_id: uami(one), two_id: uami(two)}}
    shown = op(mimic, "vm", "identity", "show", *g)
    assert shown["type"] == "SystemAssigned, UserAssigned" and shown["principalId"] == system, shown
    # {"userAssignedIdentities":{".../ID1":null},...}: the user's casing, removed case-insensitively
    removed = op(mimic, "vm", "identity", "remove", *g, "--identities", one["name"].upper())
    assert removed == {"principalId": system, "tenantId": mimic.tenant, "type": "SystemAssigned, UserAssigned",
                       "userAssignedIdentities": {two_id: uami(two)}}
    # --identities [system] keeping the UAMI: {"userAssignedIdentities":null,"type":"UserAssigned"}
    removed = op(mimic, "vm", "identity", "remove", *g, "--identities", "[system]")
    assert removed == {"type": "UserAssigned", "userAssignedIdentities": {two_id: uami(two)}}
    assert "principalId" not in vm_body(mimic, vm)["identity"]
    # the last identity: {"userAssignedIdentities":null,"type":"None"}
    assert op(mimic, "vm", "identity", "remove", *g, "--identities", two_id) is None
    assert op(mimic, "vm", "identity", "show", *g) is None
    assert vm_body(mimic, vm).get("identity", {"type": "None"})["type"] == "None"


@compat("az vm identity assign/remove/show (system and user-assigned, by name and by id)")
def test_vm_identity_user_assigned_only_then_system_kept_stable(mimic):
    vm = mimic.create_vm()
    one, two = create_identity_rest(mimic), create_identity_rest(mimic)
    one_id, two_id = mimic.identity_id(one["name"]), mimic.identity_id(two["name"])
    g = ["-g", mimic.group, "-n", vm]
    # two at once on a VM without SA (one by name, one by id): {"type":"UserAssigned"}
    assigned = op(mimic, "vm", "identity", "assign", *g, "--identities", one["name"], two_id)
    assert assigned == {"systemAssignedIdentity": "",
                        "userAssignedIdentities": {one_id: uami(one), two_id: uami(two)}}
    # then SA on top: the UAMIs stay
    system = op(mimic, "vm", "identity", "assign", *g, "--identities", "[system]")["systemAssignedIdentity"]
    assert system
    shown = op(mimic, "vm", "identity", "show", *g)
    assert shown == {"principalId": system, "tenantId": mimic.tenant, "type": "SystemAssigned, UserAssigned",
                     "userAssignedIdentities": {one_id: uami(one), two_id: uami(two)}}
    # removing both UAMIs by id keeps SA and its principal: {"type":"SystemAssigned","userAssignedIdentities":null}
    op(mimic, "vm", "identity", "remove", *g, "--identities", one_id.lower())
    removed = op(mimic, "vm", "identity", "remove", *g, "--identities", two["name"])
    assert removed == {"principalId": system, "tenantId": mimic.tenant, "type": "SystemAssigned"}
    # the bare form removes the system identity
    assert op(mimic, "vm", "identity", "remove", *g) is None
    assert op(mimic, "vm", "show", *g).get("identity") is None


@compat("az role assignment create/list/delete")
def test_role_assignment_create_both_forms_list_and_delete(mimic):
    group = new_group(mimic)
    scope = mimic.group_id(group)
    by_object_id, by_principal, by_app = (create_identity_rest(mimic)["properties"] for _ in range(3))
    reader = f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER}"

    # No Graph: --assignee-object-id with --assignee-principal-type.
    first = op(mimic, "role", "assignment", "create", "--assignee-object-id", by_object_id["principalId"],
               "--assignee-principal-type", "ServicePrincipal", "--role", "Reader", "--scope", scope)
    assert set(first) == ASSIGNMENT_KEYS | {"systemData"}, first  # systemData: az's SDK model, always null
    assert first["createdBy"] is None and first["updatedBy"] == mimic.operator["object_id"]  # as Azure's 201
    assert (first["principalId"], first["principalType"], first["roleDefinitionId"], first["scope"],
            first["resourceGroup"], first["type"]) == (
        by_object_id["principalId"], "ServicePrincipal", reader, scope, group,
        "Microsoft.Authorization/roleAssignments")
    assert first["id"] == f"{scope}/providers/Microsoft.Authorization/roleAssignments/{first['name']}"
    # Through Graph: --assignee <principal id> and --assignee <app (client) id>.
    second = op(mimic, "role", "assignment", "create", "--assignee", by_principal["principalId"],
                "--role", "Reader", "--scope", scope)
    third = op(mimic, "role", "assignment", "create", "--assignee", by_app["clientId"], "--role", "Reader",
               "--scope", scope)
    assert (second["principalId"], second["principalType"]) == (by_principal["principalId"], "ServicePrincipal")
    assert (third["principalId"], third["principalType"]) == (by_app["principalId"], "ServicePrincipal")
    # Again: ARM answers 409 RoleAssignmentExists and az returns the existing assignment.
    again = op(mimic, "role", "assignment", "create", "--assignee", by_app["clientId"], "--role", "Reader",
               "--scope", scope)
    assert again["id"] == third["id"]

    at_scope = op(mimic, "role", "assignment", "list", "--scope", scope)
    assert {a["id"] for a in at_scope} == {first["id"], second["id"], third["id"]}, at_scope
    assert {(a["roleDefinitionName"], a["principalType"]) for a in at_scope} == {("Reader", "ServicePrincipal")}
    names = {a["principalId"]: a["principalName"] for a in at_scope}
    assert names[by_app["principalId"]] == by_app["clientId"]  # servicePrincipalNames[0] of a managed identity
    inherited = op(mimic, "role", "assignment", "list", "--scope", scope, "--include-inherited")
    assert any(a["scope"] == f"/subscriptions/{mimic.subscription}" and a["roleDefinitionName"] == "Owner"
               for a in inherited), inherited

    mine = op(mimic, "role", "assignment", "list", "--assignee", by_app["clientId"], "--all")
    assert [a["id"] for a in mine] == [third["id"]]
    mine = op(mimic, "role", "assignment", "list", "--assignee", by_principal["principalId"], "--all")
    assert [a["id"] for a in mine] == [second["id"]]
    everything = {a["id"] for a in op(mimic, "role", "assignment", "list", "--all")}
    assert {first["id"], second["id"], third["id"]} <= everything

    assert op(mimic, "role", "assignment", "delete", "--ids", first["id"]) is None
    assert op(mimic, "role", "assignment", "delete", "--assignee", by_principal["principalId"], "--role", "Reader",
              "--scope", scope) is None
    assert [a["id"] for a in op(mimic, "role", "assignment", "list", "--scope", scope)] == [third["id"]]
    op(mimic, "group", "delete", "-n", group, "--yes", "--no-wait")


@compat("az role definition list --name Reader")
def test_role_definition_list_reader(mimic):
    listed = op(mimic, "role", "definition", "list", "--name", "Reader")
    assert len(listed) == 1, listed
    reader = listed[0]
    assert (reader["id"], reader["name"], reader["roleName"], reader["roleType"], reader["type"],
            reader["assignableScopes"]) == (
        f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER}", READER,
        "Reader", "BuiltInRole", "Microsoft.Authorization/roleDefinitions", ["/"])
    assert [p["actions"] for p in reader["permissions"]] == [["*/read"]]
    assert reader["description"] == "View all resources, but does not allow you to make any changes."
    assert op(mimic, "role", "definition", "list", "--name", "No Such Role") == []


@compat("az resource list / az resource show --ids")
def test_resource_show_by_id_and_list_by_name(mimic):
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    principal = vm_body(mimic, vm)["identity"]["principalId"]
    shown = op(mimic, "resource", "show", "--ids", mimic.vm_id(vm))
    assert (shown["id"], shown["name"], shown["type"], shown["location"], shown["resourceGroup"]) == (
        mimic.vm_id(vm), vm, "Microsoft.Compute/virtualMachines", "eastus", mimic.group)
    assert (shown["identity"]["type"], shown["identity"]["principalId"]) == ("SystemAssigned", principal)
    assert shown["properties"]["provisioningState"] == "Succeeded"

    listed = op(mimic, "resource", "list", "-n", vm)
    assert [r["id"] for r in listed] == [mimic.vm_id(vm)]
    out = ok(mimic.az("resource", "list", "-n", vm, "--query", "[*].identity.principalId", "-o", "tsv"))
    assert out.split() == [principal]
    fails(mimic.az("resource", "show", "--ids", mimic.vm_id(vm) + "x"), 3, "(ResourceNotFound)")


@compat("mimic az (operator sign-in kept, renewed after az logout)")
def test_mimic_az_signs_the_operator_in_again_after_logout(mimic):
    assert op(mimic, "account", "show")["user"] == {"name": mimic.operator["client_id"], "type": "servicePrincipal"}
    ok(mimic.az("logout"))
    assert op(mimic, "account", "show")["user"] == {"name": mimic.operator["client_id"], "type": "servicePrincipal"}


@compat("errors: unknown principal, unknown role, unknown identity, principal type not the directory's")
def test_role_and_identity_errors_as_az_shows_them(mimic):
    nobody = "11111111-2222-3333-4444-555555555555"
    scope = mimic.group_id()
    fails(mimic.az("role", "assignment", "create", "--assignee", nobody, "--role", "Reader", "--scope", scope), 1,
          f"ERROR: Cannot find user or service principal in graph database for '{nobody}'.")
    # With principalType ServicePrincipal ARM creates the assignment whatever the directory says
    # (replication delay, docs/reality-modes.md); a User it cannot find is PrincipalNotFound.
    fails(mimic.az("role", "assignment", "create", "--assignee-object-id", nobody, "--assignee-principal-type",
                   "User", "--role", "Reader", "--scope", scope), 1,
          f"ERROR: (PrincipalNotFound) Principal {nobody} does not exist in the directory {mimic.tenant}.")
    # A principal the directory has, given as another type: ARM's UnmatchedPrincipalType, in its words.
    identity = create_identity_rest(mimic)["properties"]["principalId"]
    fails(mimic.az("role", "assignment", "create", "--assignee-object-id", identity, "--assignee-principal-type",
                   "User", "--role", "Reader", "--scope", scope), 1,
          f"ERROR: (UnmatchedPrincipalType) The PrincipalId '{identity.replace('-', '')}' has type 'ServicePrincipal' , "
          "which is different from specified PrinciaplType 'User'.")
    fails(mimic.az("role", "assignment", "create", "--assignee-object-id", nobody, "--assignee-principal-type",
                   "ServicePrincipal", "--role", "No Such Role", "--scope", scope), 1,
          "ERROR: Role 'No Such Role' doesn't exist.")
    vm = mimic.create_vm()
    missing = mimic.identity_id("no-such-identity")
    fails(mimic.az("vm", "identity", "assign", "-g", mimic.group, "-n", vm, "--identities", "no-such-identity"), 1,
          "ERROR: (FailedIdentityOperation) Identity operation for resource", f"Resource '{missing}' was not found.")
    assert vm_body(mimic, vm).get("identity") is None
