"""Issue 14 item 6 through real az: a role assignment to a group applies to its members. The
operator makes a security group, puts a user-assigned identity in it and grants the group Reader on a
resource group (`az role assignment create --assignee <group>`); the VM holding the identity reads the
group only while the identity is a member."""

from test_az_support import as_vm, compat, fails, ok, ok_json, op, unique

GROUP_READ = "Microsoft.Resources/subscriptions/resourceGroups/read"


@compat("az role assignment create --assignee <group object id> (principalType Group); "
        "a member identity reads, a removed one is refused; az role assignment list --assignee <member> --include-groups")
def test_a_group_grant_reaches_a_member_identity_until_it_leaves(mimic):
    group = unique("rg")
    op(mimic, "group", "create", "-n", group, "-l", "eastus")
    vm = unique("vm")
    body = {"location": "eastus", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"},
                                                 "storageProfile": {"osDisk": {"osType": "Linux"}}}}
    assert mimic.arm("PUT", f"{mimic.vm_id(vm, group)}?api-version=2024-11-01", body).status_code in (200, 201)
    identity = op(mimic, "identity", "create", "-g", group, "-n", unique("uami"))
    op(mimic, "vm", "identity", "assign", "-g", group, "-n", vm, "--identities", identity["id"])
    readers = op(mimic, "ad", "group", "create", "--display-name", unique("readers"),
                 "--mail-nickname", unique("readers"))
    op(mimic, "ad", "group", "member", "add", "--group", readers["id"], "--member-id", identity["principalId"])

    granted = op(mimic, "role", "assignment", "create", "--assignee", readers["id"], "--role", "Reader",
                 "--scope", mimic.group_id(group))
    assert (granted["principalId"], granted["principalType"]) == (readers["id"], "Group"), granted

    # The identity's token reads the group through the group's grant.
    login = ["login", "--identity", "--client-id", identity["clientId"]]
    ok(as_vm(mimic, vm, *login))
    shown = ok_json(as_vm(mimic, vm, "group", "show", "-n", group, "-o", "json"))
    assert shown["id"] == mimic.group_id(group), shown
    listed = op(mimic, "role", "assignment", "list", "--assignee", identity["principalId"], "--all",
                "--include-groups")
    assert [a["principalId"] for a in listed] == [readers["id"]], listed

    # Out of the group: the same VM is refused at once.
    op(mimic, "ad", "group", "member", "remove", "--group", readers["id"], "--member-id", identity["principalId"])
    fails(as_vm(mimic, vm, "group", "show", "-n", group), 1, "(AuthorizationFailed)",
          f"does not have authorization to perform action '{GROUP_READ}'")
    op(mimic, "group", "delete", "-n", group, "--yes", "--no-wait")
