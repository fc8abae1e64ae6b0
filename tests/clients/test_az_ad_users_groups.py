"""Issue 14 items 1 and 2 through the real, unmodified az: `az ad user …` and `az ad group …`
against mimic's Microsoft Graph as the operator (`mimic az …`), and a user made that way signing in
with `az login -u … -p …` (ROPC, as in test_az_user_login.py)."""

from test_az_support import compat, fails, ok_json, op, unique
from test_az_user_login import aad_on_443, user_az  # noqa: F401  (fixtures)

DOMAIN = "mimic.onmicrosoft.com"
PASSWORD = "Graph-Pass-1!"


def create_user(mimic, *extra):
    name = unique("user")
    upn = f"{name}@{DOMAIN}"
    user = op(mimic, "ad", "user", "create", "--display-name", name, "--user-principal-name", upn,
              "--password", PASSWORD, *extra)
    return upn, user


@compat("az ad user create/show/list/update/delete")
def test_user_create_show_list_update_delete(mimic):
    upn, created = create_user(mimic)
    assert created["userPrincipalName"] == upn, created
    user_id = created["id"]

    shown = op(mimic, "ad", "user", "show", "--id", upn)
    assert (shown["id"], shown["displayName"]) == (user_id, upn.split("@")[0]), shown
    assert [u["id"] for u in op(mimic, "ad", "user", "list", "--upn", upn)] == [user_id]
    listed = op(mimic, "ad", "user", "list", "--display-name", upn.split("@")[0])
    assert [u["userPrincipalName"] for u in listed] == [upn], listed

    assert op(mimic, "ad", "user", "update", "--id", user_id, "--display-name", "Renamed",
              "--account-enabled", "false") is None
    assert op(mimic, "ad", "user", "show", "--id", user_id)["displayName"] == "Renamed"

    assert op(mimic, "ad", "user", "delete", "--id", upn) is None
    # az exits 3 for a missing resource, as against Azure.
    fails(mimic.az("ad", "user", "show", "--id", user_id), 3,
          f"Resource '{user_id}' does not exist or one of its queried reference-property objects are not present.")


@compat("az ad user create: Entra's errors (unverified domain, weak password, duplicate name)")
def test_user_create_refuses_what_entra_refuses(mimic):
    name = unique("bad")
    cases = [
        (f"{name}@contoso.com", PASSWORD, "The domain portion of the userPrincipalName property is invalid."),
        (f"{name}@{DOMAIN}", "password", "The specified password does not comply with password complexity"),
    ]
    for upn, password, message in cases:
        done = mimic.az("ad", "user", "create", "--display-name", name, "--user-principal-name", upn,
                        "--password", password)
        fails(done, 1, message)
    upn, _ = create_user(mimic)
    fails(mimic.az("ad", "user", "create", "--display-name", "again", "--user-principal-name", upn,
                   "--password", PASSWORD), 1,
          "Another object with the same value for property userPrincipalName already exists.")
    assert op(mimic, "ad", "user", "list", "--upn", f"{name}@{DOMAIN}") == []


@compat("az ad user create, then az login -u USER -p PASSWORD as that user; disabled and must-change refused")
def test_a_created_user_logs_in_with_its_password(mimic, user_az):  # noqa: F811
    upn, user = create_user(mimic)

    accounts = ok_json(user_az("login", "-u", upn, "-p", PASSWORD, "--allow-no-subscriptions", "-o", "json"))

    assert [a["user"] for a in accounts] == [{"name": upn, "type": "user"}], accounts
    token = ok_json(user_az("account", "get-access-token", "-o", "json"))
    assert token["accessToken"]
    op(mimic, "ad", "user", "update", "--id", user["id"], "--account-enabled", "false")
    fails(user_az("login", "-u", upn, "-p", PASSWORD, "--allow-no-subscriptions"), 1, "AADSTS50057")

    must_change, _ = create_user(mimic, "--force-change-password-next-sign-in")
    fails(user_az("login", "-u", must_change, "-p", PASSWORD, "--allow-no-subscriptions"), 1, "AADSTS50055")


@compat("az ad group create/show/list/delete, member add/list/check/remove, owner add/list/remove, "
        "get-member-groups (user and group), nested groups")
def test_group_lifecycle_members_owners_and_nesting(mimic):
    outer_name, inner_name = unique("outer"), unique("inner")
    outer = op(mimic, "ad", "group", "create", "--display-name", outer_name, "--mail-nickname", outer_name)
    inner = op(mimic, "ad", "group", "create", "--display-name", inner_name, "--mail-nickname", inner_name)
    assert (outer["securityEnabled"], outer["mailEnabled"]) == (True, False), outer
    again = op(mimic, "ad", "group", "create", "--display-name", outer_name, "--mail-nickname", outer_name)
    assert again["id"] == outer["id"], "az finds the existing group instead of making a second"

    assert op(mimic, "ad", "group", "show", "--group", outer_name)["id"] == outer["id"]
    assert [g["id"] for g in op(mimic, "ad", "group", "list", "--display-name", outer_name)] == [outer["id"]]

    upn, user = create_user(mimic)
    operator = op(mimic, "ad", "sp", "show", "--id", mimic.operator["client_id"])
    for member in (user["id"], operator["id"]):
        assert op(mimic, "ad", "group", "member", "add", "--group", inner_name, "--member-id", member) is None
    assert op(mimic, "ad", "group", "member", "add", "--group", outer["id"], "--member-id", inner["id"]) is None
    fails(mimic.az("ad", "group", "member", "add", "--group", inner["id"], "--member-id", user["id"]), 1,
          "One or more added object references already exist for the following modified properties: 'members'.")

    members = op(mimic, "ad", "group", "member", "list", "--group", inner["id"])
    assert sorted(m["id"] for m in members) == sorted([user["id"], operator["id"]]), members
    assert {m["@odata.type"] for m in members} == {"#microsoft.graph.user", "#microsoft.graph.servicePrincipal"}
    assert op(mimic, "ad", "group", "member", "check", "--group", outer["id"], "--member-id", user["id"]) \
        == {"value": True}
    user_groups = op(mimic, "ad", "user", "get-member-groups", "--id", upn)
    assert sorted(g["id"] for g in user_groups) == sorted([outer["id"], inner["id"]]), user_groups
    assert {g["displayName"] for g in user_groups} == {outer_name, inner_name}
    assert op(mimic, "ad", "group", "get-member-groups", "--group", inner["id"]) == [outer["id"]]

    assert op(mimic, "ad", "group", "owner", "add", "--group", outer["id"], "--owner-object-id", user["id"]) is None
    assert [o["id"] for o in op(mimic, "ad", "group", "owner", "list", "--group", outer["id"])] == [user["id"]]
    assert op(mimic, "ad", "group", "owner", "remove", "--group", outer["id"], "--owner-object-id", user["id"]) \
        is None
    assert op(mimic, "ad", "group", "owner", "list", "--group", outer["id"]) == []

    assert op(mimic, "ad", "group", "member", "remove", "--group", inner["id"], "--member-id", user["id"]) is None
    assert op(mimic, "ad", "group", "member", "check", "--group", outer["id"], "--member-id", user["id"]) \
        == {"value": False}

    for group in (outer, inner):
        assert op(mimic, "ad", "group", "delete", "--group", group["id"]) is None
    fails(mimic.az("ad", "group", "show", "--group", outer["id"]), 3, "does not exist")
    assert op(mimic, "ad", "group", "list", "--display-name", outer_name) == []
