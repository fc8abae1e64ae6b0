"""az as a VM (`mimic vm exec VM -- az …`): `az login --identity` in all its forms, seeds 004 and 001 end
to end, and the error paths of issue 3 item 5e (wire contract §2.2, §5.11, §6.1, §6.2).

The operator's half of each flow runs through `mimic az …`.
"""

import json
import time

import jwt
import pytest

from test_az_support import (ARM_AUDIENCE, as_vm, claims, compat, create_identity_rest, fails, ok, ok_json, op,
                             token_keys, unique, vm_body, vm_json)

NO_SUBSCRIPTIONS = ("No access was configured for the managed identity, hence no subscriptions were found. "
                    "If this is expected, use '--allow-no-subscriptions' to have tenant level access.")
GROUP_READ = "Microsoft.Resources/subscriptions/resourceGroups/read"


def create_vm_in(mimic, group, name=None, identity=None):
    """A VM in `group` over REST (setup, not under test); it gets its own IMDS like every VM."""
    name = name or unique("vm")
    body = {"location": "eastus", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"},
                                                 "storageProfile": {"osDisk": {"osType": "Linux"}}}}
    if identity:
        body["identity"] = identity
    reply = mimic.arm("PUT", f"{mimic.vm_id(name, group)}?api-version=2024-11-01", body)
    assert reply.status_code in (200, 201), reply.text
    return name


def rest_get(mimic, vm, url, token):
    """`az rest` as the VM with a bearer token it already holds (the seed's curl step)."""
    # The JSON form: az tries `KEY=VALUE` as a Python literal first (a stray SyntaxWarning for some tokens).
    return as_vm(mimic, vm, "rest", "--method", "get", "--url", url, "--headers",
                 json.dumps({"Authorization": f"Bearer {token}"}))


def login_account(accounts):
    """The one account `az login` printed."""
    assert len(accounts) == 1, accounts
    return accounts[0]


# --- seed 004 ------------------------------------------------------------------------------------------

ASSIGNEE_FORMS = {
    "object-id": lambda identity: ["--assignee-object-id", identity["principalId"],
                                   "--assignee-principal-type", "ServicePrincipal"],
    "principal-id": lambda identity: ["--assignee", identity["principalId"]],  # the seed's own form
    "app-id": lambda identity: ["--assignee", identity["clientId"]],
}


@pytest.mark.parametrize("assignee", list(ASSIGNEE_FORMS))
@compat("seed 004 end to end")
def test_seed_004_user_assigned_identity_end_to_end(mimic, assignee):
    group = unique("rg")
    op(mimic, "group", "create", "-n", group, "-l", "eastus")
    vm = create_vm_in(mimic, group)
    name = unique("uami")

    # Operator: create the identity and assign it to the VM (by name, or by full id as the seed does).
    identity = op(mimic, "identity", "create", "-g", group, "-n", name)
    by = name if assignee == "object-id" else identity["id"]
    assigned = op(mimic, "vm", "identity", "assign", "-g", group, "-n", vm, "--identities", by)
    assert assigned == {"systemAssignedIdentity": "", "userAssignedIdentities": {
        identity["id"]: {"clientId": identity["clientId"], "principalId": identity["principalId"]}}}

    # VM, before the grant: no subscription visible; tenant-level login works and the token is refused.
    fails(as_vm(mimic, vm, "login", "--identity", "--client-id", identity["clientId"]), 1, NO_SUBSCRIPTIONS)
    tenant_level = login_account(vm_json(mimic, vm, "login", "--identity", "--client-id", identity["clientId"],
                                         "--allow-no-subscriptions"))
    assert (tenant_level["id"], tenant_level["name"]) == (mimic.tenant, "N/A(tenant level account)")
    token = ok(as_vm(mimic, vm, "account", "get-access-token", "--query", "accessToken", "-o", "tsv")).strip()
    payload = claims(token)
    assert (payload["oid"], payload["appid"], payload["aud"], payload["tid"], payload["xms_mirid"]) == (
        identity["principalId"], identity["clientId"], ARM_AUDIENCE, mimic.tenant, identity["id"])
    group_url = f"{mimic.arm_url}/subscriptions/{mimic.subscription}/resourceGroups/{group}?api-version=2016-09-01"
    fails(rest_get(mimic, vm, group_url, token), 1, "Forbidden(", '"code":"AuthorizationFailed"',
          f"does not have authorization to perform action '{GROUP_READ}' over scope '{mimic.group_id(group)}'")

    # Operator: grant Reader on the group (the seed writes `resourcegroups` in lower case).
    scope = f"/subscriptions/{mimic.subscription}/resourcegroups/{group}"
    granted = op(mimic, "role", "assignment", "create", *ASSIGNEE_FORMS[assignee](identity), "--role", "Reader",
                 "--scope", scope)
    assert (granted["principalId"], granted["principalType"], granted["scope"]) == (
        identity["principalId"], "ServicePrincipal", mimic.group_id(group))

    # VM, after: the same token now reads the group; az login sees the subscription; az group show works.
    shown = ok_json(rest_get(mimic, vm, group_url, token))
    assert (shown["id"], shown["name"], shown["location"], shown["properties"]) == (
        mimic.group_id(group), group, "eastus", {"provisioningState": "Succeeded"})
    account = login_account(vm_json(mimic, vm, "login", "--identity", "--client-id", identity["clientId"]))
    assert (account["id"], account["user"]) == (mimic.subscription, {
        "assignedIdentityInfo": f"MSIClient-{identity['clientId']}", "name": "userAssignedIdentity",
        "type": "servicePrincipal"})
    assert vm_json(mimic, vm, "group", "show", "-n", group)["id"] == mimic.group_id(group)
    # Reader on this group only: another group is 403, shown by az as AuthorizationFailed.
    fails(as_vm(mimic, vm, "group", "show", "-n", mimic.group), 1,
          f"ERROR: (AuthorizationFailed) The client '{identity['clientId']}' with object id "
          f"'{identity['principalId']}' does not have authorization to perform action '{GROUP_READ}' over scope "
          f"'{mimic.group_id()}' or the scope is invalid.")
    op(mimic, "group", "delete", "-n", group, "--yes", "--no-wait")


# --- seed 001 ------------------------------------------------------------------------------------------

SEED_001 = """
az login --identity

spID=$(az resource list -n {vm} --query [*].identity.principalId --out tsv)
echo The managed identity for Azure resources service principal ID is $spID
"""


@compat("seed 001: az login --identity, az resource list")
def test_seed_001_sign_in_and_read_the_principal_id(mimic):
    vm = mimic.create_vm()
    system = op(mimic, "vm", "identity", "assign", "-g", mimic.group, "-n", vm)["systemAssignedIdentity"]
    # "the VM's managed identity must be given at least Reader access at the appropriate scope (the VM or higher)"
    op(mimic, "role", "assignment", "create", "--assignee-object-id", system, "--assignee-principal-type",
       "ServicePrincipal", "--role", "Reader", "--scope", mimic.vm_id(vm))
    done = mimic.vm_exec(vm, "bash", "-ec", SEED_001.format(vm=vm))
    out = ok(done)
    assert out.rstrip().endswith(f"The managed identity for Azure resources service principal ID is {system}"), out
    accounts = json.loads(out[:out.rindex("The managed identity")])
    assert accounts[0]["user"] == {"assignedIdentityInfo": "MSI", "name": "systemAssignedIdentity",
                                   "type": "servicePrincipal"}
    assert accounts[0]["id"] == mimic.subscription


# --- az login --identity -----------------------------------------------------------------------------


@compat("az login --identity (plain, --client-id, --object-id, --resource-id)")
def test_login_identity_selects_the_identity_asked_for(mimic):
    one, two = create_identity_rest(mimic), create_identity_rest(mimic)
    vm = mimic.create_vm(identity={"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {
        one["id"]: {}, two["id"]: {}}})
    system = vm_body(mimic, vm)["identity"]["principalId"]
    for principal in (system, one["properties"]["principalId"], two["properties"]["principalId"]):
        mimic.grant(principal, scope=mimic.vm_id(vm))

    cases = [
        ([], "systemAssignedIdentity", "MSI", system),
        (["--client-id", one["properties"]["clientId"]], "userAssignedIdentity",
         f"MSIClient-{one['properties']['clientId']}", one["properties"]["principalId"]),
        (["--object-id", two["properties"]["principalId"]], "userAssignedIdentity",
         f"MSIObject-{two['properties']['principalId']}", two["properties"]["principalId"]),
        (["--resource-id", one["id"]], "userAssignedIdentity", f"MSIResource-{one['id']}",
         one["properties"]["principalId"]),
    ]
    for selector, user, info, principal in cases:
        account = login_account(vm_json(mimic, vm, "login", "--identity", *selector))
        assert account["user"] == {"assignedIdentityInfo": info, "name": user, "type": "servicePrincipal"}, selector
        assert (account["id"], account["tenantId"], account["environmentName"]) == (
            mimic.subscription, mimic.tenant, "Mimic")
        token = vm_json(mimic, vm, "account", "get-access-token")
        assert set(token) == token_keys() and token["subscription"] == mimic.subscription
        assert claims(token["accessToken"])["oid"] == principal, selector


@compat("az login --identity --allow-no-subscriptions; az account get-access-token (ARM, ms-graph)")
def test_login_identity_without_any_assignment_sees_no_subscription(mimic):
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    system = vm_body(mimic, vm)["identity"]["principalId"]
    fails(as_vm(mimic, vm, "login", "--identity"), 1, f"ERROR: {NO_SUBSCRIPTIONS}")

    accounts = vm_json(mimic, vm, "login", "--identity", "--allow-no-subscriptions")
    assert accounts == [{"environmentName": "Mimic", "id": mimic.tenant, "isDefault": True,
                         "name": "N/A(tenant level account)", "state": "Enabled", "tenantId": mimic.tenant,
                         "user": {"assignedIdentityInfo": "MSI", "name": "systemAssignedIdentity",
                                  "type": "servicePrincipal"}}]
    arm = vm_json(mimic, vm, "account", "get-access-token")
    assert set(arm) == token_keys() and (arm["subscription"], arm["tenant"]) == (mimic.tenant, mimic.tenant)
    assert (claims(arm["accessToken"])["aud"], claims(arm["accessToken"])["oid"]) == (ARM_AUDIENCE, system)
    assert abs(arm["expires_on"] - (time.time() + 86399)) < 120  # IMDS: a managed identity token lives ~24 h
    graph = vm_json(mimic, vm, "account", "get-access-token", "--resource-type", "ms-graph")
    assert claims(graph["accessToken"])["aud"] == mimic.aad_url + "/"


# --- error paths (issue 3 item 5e) ---------------------------------------------------------------------


@compat("error: VM without identity (az login --identity)")
def test_login_identity_on_a_vm_without_identity_prints_imds_error(mimic):
    vm = mimic.create_vm()
    stderr = fails(as_vm(mimic, vm, "login", "--identity"), 1, "ERROR: Identity not found")
    assert "JSONDecodeError" not in stderr
    # An identity that exists but is not this VM's is not found either.
    other = create_identity_rest(mimic)
    fails(as_vm(mimic, vm, "login", "--identity", "--client-id", other["properties"]["clientId"]), 1,
          "ERROR: Identity not found")


@compat("error: several user-assigned identities, none chosen")
def test_login_identity_with_two_user_assigned_and_no_selector(mimic):
    one, two = create_identity_rest(mimic), create_identity_rest(mimic)
    vm = mimic.create_vm(identity={"type": "UserAssigned", "userAssignedIdentities": {one["id"]: {}, two["id"]: {}}})
    fails(as_vm(mimic, vm, "login", "--identity"), 1,
          "ERROR: Multiple user assigned identities exist, please specify the clientId / resourceId of the identity "
          "in the token request")


def expired_copy(mimic, token):
    """The same token as AAD would have issued two days ago: AAD's own key, exp in the past."""
    key = (mimic.data_dir / "aad" / "signing-key.pem").read_text()
    header = jwt.get_unverified_header(token)
    payload = claims(token)
    shift = 2 * 86400
    for claim in ("iat", "nbf", "exp"):
        payload[claim] -= shift
    return jwt.encode(payload, key, algorithm="RS256",
                      headers={k: v for k, v in header.items() if k in ("kid", "x5t", "typ")})


@compat("error: 401 wrong audience / expired / bad signature")
def test_arm_answers_401_codes_for_bad_tokens(mimic):
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    mimic.grant(vm_body(mimic, vm)["identity"]["principalId"])
    ok(as_vm(mimic, vm, "login", "--identity"))
    url = f"{mimic.arm_url}/subscriptions/{mimic.subscription}/resourceGroups/{mimic.group}?api-version=2016-09-01"

    storage = ok(as_vm(mimic, vm, "account", "get-access-token", "--resource", "https://storage.azure.com",
                       "--query", "accessToken", "-o", "tsv")).strip()
    assert claims(storage)["aud"] == "https://storage.azure.com"
    fails(rest_get(mimic, vm, url, storage), 1, "Unauthorized(",
          '"code":"InvalidAuthenticationTokenAudience"',
          "The access token has been obtained for wrong audience or resource 'https://storage.azure.com'.")

    token = ok(as_vm(mimic, vm, "account", "get-access-token", "--query", "accessToken", "-o", "tsv")).strip()
    assert ok_json(rest_get(mimic, vm, url, token))["name"] == mimic.group
    fails(rest_get(mimic, vm, url, expired_copy(mimic, token)), 1, "Unauthorized(",
          '"code":"ExpiredAuthenticationToken"')
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-6]}AAAAAA"
    fails(rest_get(mimic, vm, url, tampered), 1, "Unauthorized(", '"code":"InvalidAuthenticationToken"')


@compat("error: 403 AuthorizationFailed")
def test_reader_on_the_vm_only_is_refused_the_group(mimic):
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    body = vm_body(mimic, vm)["identity"]
    mimic.grant(body["principalId"], scope=mimic.vm_id(vm))
    ok(as_vm(mimic, vm, "login", "--identity"))
    assert vm_json(mimic, vm, "vm", "show", "-g", mimic.group, "-n", vm)["identity"]["principalId"] == \
        body["principalId"]
    stderr = fails(as_vm(mimic, vm, "group", "show", "-n", mimic.group), 1,
                   "ERROR: (AuthorizationFailed) The client ", f"with object id '{body['principalId']}' does not "
                   f"have authorization to perform action '{GROUP_READ}' over scope '{mimic.group_id()}'",
                   "Code: AuthorizationFailed")
    assert "Message: The client" in stderr
