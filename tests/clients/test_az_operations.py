"""Issue 12 items 5 and 7 through the real az: the providers' operation lists, an identity's
associated resources, and api-versions refused as ARM refuses them."""

from test_az_support import compat, create_identity_rest, fails, op, unique


@compat("az identity list-operations")
def test_identity_list_operations(mimic):
    listed = op(mimic, "identity", "list-operations")
    names = {operation["name"] for operation in listed}
    assert {
        "Microsoft.ManagedIdentity/userAssignedIdentities/read",
        "Microsoft.ManagedIdentity/userAssignedIdentities/write",
        "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
        "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    } <= names, names
    assert all(name.startswith("Microsoft.ManagedIdentity/") for name in names), names


@compat("az provider operation list / show --namespace")
def test_provider_operation_list_and_show(mimic):
    providers = op(mimic, "provider", "operation", "list")
    assert {p["name"] for p in providers} >= {"Microsoft.Compute", "Microsoft.ManagedIdentity",
                                             "Microsoft.Authorization", "Microsoft.Resources"}, providers
    shown = op(mimic, "provider", "operation", "show", "--namespace", "Microsoft.Authorization")
    assert shown["id"] == "/providers/Microsoft.Authorization/providerOperations/Microsoft.Authorization", shown
    actions = {o["name"] for t in shown["resourceTypes"] for o in t["operations"]}
    assert "Microsoft.Authorization/roleAssignments/write" in actions, actions
    assert "Microsoft.Authorization/roleDefinitions/write" in actions, actions


@compat("az identity list-resources (listAssociatedResources, 2022-01-31-preview)")
def test_identity_list_resources(mimic):
    identity = create_identity_rest(mimic)
    vm = mimic.create_vm(identity={"type": "UserAssigned", "userAssignedIdentities": {identity["id"]: {}}})
    listed = op(mimic, "identity", "list-resources", "-g", mimic.group, "-n", identity["name"])
    assert [(r["id"], r["resourceGroup"]) for r in listed] == [(mimic.vm_id(vm), mimic.group)], listed
    lonely = create_identity_rest(mimic)
    assert op(mimic, "identity", "list-resources", "-g", mimic.group, "-n", lonely["name"]) == []


@compat("error: az resource show --api-version <unpublished> → NoRegisteredProviderFound (400)")
def test_unpublished_api_version_is_refused_with_the_supported_list(mimic):
    identity = create_identity_rest(mimic, name=unique("id"))
    done = mimic.az("resource", "show", "--ids", identity["id"], "--api-version", "2099-01-01")
    fails(done, 1, "(NoRegisteredProviderFound) No registered resource provider found for location 'eastus' "
                   "and API version '2099-01-01' for type 'userAssignedIdentities'. The supported api-versions "
                   "are '2015-08-31-preview, 2018-11-30,")
    shown = op(mimic, "resource", "show", "--ids", identity["id"], "--api-version", "2023-01-31")
    assert shown["id"] == identity["id"], shown
