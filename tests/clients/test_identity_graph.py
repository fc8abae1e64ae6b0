"""The "call Microsoft Graph from a managed identity" tutorial against mimic (issue 14, item 5):
a VM's system-assigned identity asks IMDS for a Graph token with azure-identity and lists users →
403 Authorization_RequestDenied; the operator grants the identity Microsoft Graph's `User.Read.All`
app role with az (the admin-consent step: `POST /servicePrincipals/{graph}/appRoleAssignedTo`);
the token IMDS cached before the grant still has no `roles` (as in Azure, until it expires);
a fresh one (`bypass_cache=true`) carries `roles: ["User.Read.All"]` → 200. `mimic explain
--last-denied` names the permission the first 403 lacked (docs/rbac.md).
See https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-assign-app-role-managed-identity
and docs/graph.md."""

import json

from test_az_support import op
from test_identity_vm import IDENTITY, PRELUDE, compat, run_python, system_assigned_vm

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

# As the VM: a Graph token from IMDS (azure-identity, or IMDS directly with bypass_cache=true), then
# GET {mimic's Graph}/v1.0/users with it. Graph's base URL is AAD's (MIMIC_AAD); the token is asked
# for Azure's name of Graph, as the tutorial's code does.
LIST_USERS = PRELUDE + r'''
import requests
from azure.identity import ManagedIdentityCredential

def token():
    if A.get("fresh"):
        reply = requests.get(os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"].rstrip("/") + "/metadata/identity/oauth2/token",
                             params={"api-version": "2018-02-01", "resource": "https://graph.microsoft.com",
                                     "bypass_cache": "true"},
                             headers={"Metadata": "true"}, timeout=30)
        reply.raise_for_status()
        return reply.json()["access_token"]
    return ManagedIdentityCredential().get_token("https://graph.microsoft.com/.default").token

jwt = token()
reply = requests.get(os.environ["MIMIC_AAD"] + "/v1.0/users", headers={"Authorization": f"Bearer {jwt}"}, timeout=30)
print(json.dumps({"status": reply.status_code, "body": reply.json(), "claims": claims(jwt)}))
'''


@compat(IDENTITY, flow="managed identity → Graph GET /users 403 → app role User.Read.All granted (az) → fresh token → 200")
def test_managed_identity_reads_users_from_graph_after_the_app_role_grant(mimic):
    vm, principal_id = system_assigned_vm(mimic)

    before = run_python(mimic, LIST_USERS, vm=vm)
    assert before["status"] == 403, before
    assert before["body"]["error"]["code"] == "Authorization_RequestDenied", before
    assert before["body"]["error"]["message"] == "Insufficient privileges to complete the operation.", before
    assert "roles" not in before["claims"] and before["claims"]["oid"] == principal_id, before["claims"]

    # Why: Graph's 403 says nothing more; `mimic explain` names the permission the token lacked.
    explained = mimic.cli("explain", "--last-denied", "--principal", principal_id)
    assert explained.returncode == 0, explained
    assert "was denied 'List users' (GET /v1.0/users) on Graph: the token carries no application permission" \
        in explained.stdout, explained.stdout
    assert "application permissions that would grant it: User.Read.All, User.ReadWrite.All" in explained.stdout, \
        explained.stdout

    # The tutorial's grant, as the operator: find Graph's principal and its User.Read.All app role.
    graph = op(mimic, "ad", "sp", "show", "--id", GRAPH_APP_ID)
    role_id = next(r["id"] for r in graph["appRoles"] if r["value"] == "User.Read.All")
    body = json.dumps({"principalId": principal_id, "resourceId": graph["id"], "appRoleId": role_id})
    granted = op(mimic, "rest", "--method", "POST", "--body", body,
                 "--url", f"{mimic.aad_url}/v1.0/servicePrincipals/{graph['id']}/appRoleAssignedTo")
    assert (granted["principalId"], granted["resourceDisplayName"]) == (principal_id, "Microsoft Graph"), granted

    cached = run_python(mimic, LIST_USERS, vm=vm)
    assert cached["status"] == 403 and "roles" not in cached["claims"], cached

    fresh = run_python(mimic, LIST_USERS, vm=vm, args={"fresh": True})
    assert fresh["claims"]["roles"] == ["User.Read.All"], fresh["claims"]
    assert fresh["status"] == 200, fresh
    assert "admin@mimic.onmicrosoft.com" in [u["userPrincipalName"] for u in fresh["body"]["value"]], fresh

    # IMDS now caches the new token: azure-identity in a new process gets it too.
    after = run_python(mimic, LIST_USERS, vm=vm)
    assert after["status"] == 200 and after["claims"]["roles"] == ["User.Read.All"], after
