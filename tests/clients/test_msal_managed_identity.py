"""msal's ManagedIdentityClient on a VM, against mimic (issue 3, items 5d and 5e).

Each snippet runs under `mimic vm exec VM -- python …`: msal finds the VM's IMDS through
AZURE_POD_IDENTITY_AUTHORITY_HOST (wire contract §2.1). The token msal returns is checked (its JWT
payload decoded) and then sent to ARM with requests (which trusts REQUESTS_CA_BUNDLE = mimic's CA):
AuthorizationFailed before a grant, 200 after.
"""

import pytest

from test_identity_vm import (MSAL, PRELUDE, assert_mi_claims, compat, run_python, system_assigned_vm,
                              user_assigned_vm)

ARM_READ = r'''
import requests

def arm_read(token):
    """GET the fixture group with the token: (status, error code or the group's id)."""
    reply = requests.get(f"{ARM}/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}?api-version=2024-11-01",
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
    body = reply.json()
    return {"status": reply.status_code, "code": body.get("error", {}).get("code"), "id": body.get("id")}
'''

MANAGED_IDENTITY_CLIENT = PRELUDE + ARM_READ + r'''
import msal
client = msal.ManagedIdentityClient(IDENTITY, http_client=requests.Session())
started = time.monotonic()
result = client.acquire_token_for_client(resource="https://management.azure.com")
seconds = time.monotonic() - started
if "access_token" in result:
    print(json.dumps({"result": {k: v for k, v in result.items() if k != "access_token"},
                      "claims": claims(result["access_token"]), "arm": arm_read(result["access_token"])}))
else:
    print(json.dumps({"result": result, "seconds": seconds}))
'''


def acquire(mimic, vm, identity, args=None):
    return run_python(mimic, MANAGED_IDENTITY_CLIENT.replace("IDENTITY", identity, 1), vm=vm, args=args)


def assert_token_result(done):
    assert done["result"]["token_type"] == "Bearer", done
    assert isinstance(done["result"]["expires_in"], int) and done["result"]["expires_in"] > 3600, done
    assert done["result"]["token_source"] == "identity_provider", done


@compat(MSAL, flow="ManagedIdentityClient(SystemAssignedManagedIdentity()) → ARM 403 → grant → 200")
def test_msal_system_assigned_token_reads_arm_only_after_grant(mimic):
    vm, principal_id = system_assigned_vm(mimic)

    before = acquire(mimic, vm, "msal.SystemAssignedManagedIdentity()")
    assignment_made = mimic.grant(principal_id)
    after = acquire(mimic, vm, "msal.SystemAssignedManagedIdentity()")

    assert_token_result(before)
    assert_mi_claims(mimic, before["claims"], vm, principal_id, mirid=mimic.vm_id(vm))
    assert before["arm"] == {"status": 403, "code": "AuthorizationFailed", "id": None}, before
    assert assignment_made and after["arm"] == {"status": 200, "code": None, "id": mimic.group_id()}, after


def selector(expression, flow, id):
    return pytest.param(expression, id=id, marks=pytest.mark.compat(
        client=MSAL, flow=f"ManagedIdentityClient(UserAssignedManagedIdentity({flow})) → ARM 403 → grant → 200"))


@pytest.mark.parametrize("identity", [
    selector("msal.UserAssignedManagedIdentity(client_id=A['identity']['clientId'])", "client_id=…", "client_id"),
    selector("msal.UserAssignedManagedIdentity(object_id=A['identity']['principalId'])", "object_id=…", "object_id"),
    selector("msal.UserAssignedManagedIdentity(resource_id=A['identity_id'])", "resource_id=…", "resource_id"),
])
def test_msal_user_assigned_token_reads_arm_only_after_grant(mimic, identity):
    vm, identity_id, properties = user_assigned_vm(mimic)
    args = {"identity": properties, "identity_id": identity_id}

    before = acquire(mimic, vm, identity, args)
    mimic.grant(properties["principalId"])
    after = acquire(mimic, vm, identity, args)

    assert_token_result(before)
    assert_mi_claims(mimic, before["claims"], vm, properties["principalId"], mirid=identity_id,
                     client_id=properties["clientId"], az_rid=mimic.vm_id(vm))
    assert before["arm"] == {"status": 403, "code": "AuthorizationFailed", "id": None}, before
    assert after["arm"] == {"status": 200, "code": None, "id": mimic.group_id()}, after


@compat(MSAL, flow="error: VM without an identity → result dict with error invalid_request")
def test_msal_vm_without_identity_returns_the_imds_error(mimic):
    vm = mimic.create_vm()

    done = acquire(mimic, vm, "msal.SystemAssignedManagedIdentity()")

    assert done["result"] == {"error": "invalid_request", "error_description": "Identity not found"}, done
    assert done["seconds"] < 2, done


@compat(MSAL, flow="error: user-assigned client id not on this VM → result dict with error invalid_request")
def test_msal_unassigned_client_id_returns_the_imds_error(mimic):
    vm, _, _ = user_assigned_vm(mimic)

    done = acquire(mimic, vm, "msal.UserAssignedManagedIdentity(client_id=A['other'])",
                   {"other": "00000000-0000-0000-0000-000000000001"})

    assert done["result"] == {"error": "invalid_request", "error_description": "Identity not found"}, done
