"""Issue 14 item 6 through real az: a role assignment to a group applies to its members. The
operator makes a security group, puts a user-assigned identity in it and grants the group Reader on a
resource group (`az role assignment create --assignee <group>`); the VM holding the identity reads the
group only while the identity is a member. A user made with `az ad user create`, signed in with
`az login -u`, reads through a grant to a group it is in through another group, and its ARM token
lists both groups (item 4's `groups` claim)."""

from test_az_support import as_vm, claims, compat, fails, ok, ok_json, op, unique
from test_az_user_login import aad_on_443, user_az  # noqa: F401  (fixtures)

DOMAIN = "mimic.onmicrosoft.com"
PASSWORD = "Nested-Pass-1!"

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


@compat("az ad user create; az ad group member add (user → inner group → outer group); az login -u as the user; "
        "az role assignment create --assignee <outer group> Reader: 403 then 200; the ARM token's groups claim "
        "names both groups, its wids the default member role")
def test_a_user_in_a_nested_group_reads_through_the_outer_groups_grant(mimic, user_az):  # noqa: F811
    seen, hidden = unique("rg"), unique("rg")
    for name in (seen, hidden):
        op(mimic, "group", "create", "-n", name, "-l", "eastus")
    name = unique("user")
    upn = f"{name}@{DOMAIN}"
    user = op(mimic, "ad", "user", "create", "--display-name", name, "--user-principal-name", upn,
              "--password", PASSWORD)
    outer = op(mimic, "ad", "group", "create", "--display-name", unique("outer"), "--mail-nickname", unique("outer"))
    inner = op(mimic, "ad", "group", "create", "--display-name", unique("inner"), "--mail-nickname", unique("inner"))
    op(mimic, "ad", "group", "member", "add", "--group", outer["id"], "--member-id", inner["id"])
    op(mimic, "ad", "group", "member", "add", "--group", inner["id"], "--member-id", user["id"])
    op(mimic, "role", "assignment", "create", "--assignee", outer["id"], "--role", "Reader",
       "--scope", mimic.group_id(seen))

    accounts = ok_json(user_az("login", "-u", upn, "-p", PASSWORD, "-o", "json"))
    assert [a["id"] for a in accounts] == [mimic.subscription], accounts
    token = claims(ok_json(user_az("account", "get-access-token", "-o", "json"))["accessToken"])
    assert sorted(token["groups"]) == sorted([outer["id"], inner["id"]]), token
    assert token["wids"] == ["b79fbf4d-3ef9-4689-8143-76b194e85509"], token
    assert ok_json(user_az("group", "show", "-n", seen, "-o", "json"))["name"] == seen
    fails(user_az("group", "show", "-n", hidden), 1, "(AuthorizationFailed)",
          f"does not have authorization to perform action '{GROUP_READ}'")

    op(mimic, "role", "assignment", "create", "--assignee", outer["id"], "--role", "Reader",
       "--scope", mimic.group_id(hidden))
    assert ok_json(user_az("group", "show", "-n", hidden, "-o", "json"))["name"] == hidden
    for name in (seen, hidden):
        op(mimic, "group", "delete", "-n", name, "--yes", "--no-wait")
