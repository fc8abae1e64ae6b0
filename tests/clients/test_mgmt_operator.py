"""The Python management SDKs as the operator, with azure-identity's ClientSecretCredential (issue 3,
item 5c): seed 004 (user-assigned identity → VM → Reader on the group → the VM reads the group) done
with azure-mgmt-msi, azure-mgmt-compute and azure-mgmt-authorization instead of az.

The operator's snippets run as a separate Python process with the variables `mimic env` prints and
REQUESTS_CA_BUNDLE = mimic's CA; the credential gets the documented `authority` and
`disable_instance_discovery=True`; the clients get `base_url` = mimic's ARM.
"""

import uuid

import certifi

from conftest import READER
from test_identity_vm import AUTHORIZATION, COMPUTE, IDENTITY, MSAL, MSI, PRELUDE, RESOURCE, compat, run_python

OPERATOR_CLIENTS = r'''
import uuid
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient

credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
msi = ManagedServiceIdentityClient(credential, SUBSCRIPTION, base_url=ARM)
compute = ComputeManagementClient(credential, SUBSCRIPTION, base_url=ARM)
authorization = AuthorizationManagementClient(credential, SUBSCRIPTION, base_url=ARM)
group_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
'''

SEED_004 = PRELUDE + OPERATOR_CLIENTS + r'''
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters, RoleAssignmentProperties
from azure.mgmt.compute.models import UserAssignedIdentitiesValue, VirtualMachineIdentity, VirtualMachineUpdate
from azure.mgmt.msi.models import Identity

result = {}
identity = msi.user_assigned_identities.create_or_update(GROUP, A["identity"], Identity(location="eastus"))
result["identity"] = {"id": identity.id, "client_id": identity.client_id, "principal_id": identity.principal_id,
                      "tenant_id": identity.tenant_id, "type": identity.type}

poller = compute.virtual_machines.begin_update(GROUP, A["vm"], VirtualMachineUpdate(
    identity=VirtualMachineIdentity(type="UserAssigned",
                                    user_assigned_identities={identity.id: UserAssignedIdentitiesValue()})))
# A long-running operation (Azure-AsyncOperation): the poller follows it to the end.
vm = poller.result()
result["poller_status"] = poller.status()
result["provisioning_state"] = vm.provisioning_state
result["vm_identity"] = {"type": vm.identity.type, "principal_id": vm.identity.principal_id,
                         "user_assigned": {k: {"principal_id": v.principal_id, "client_id": v.client_id}
                                           for k, v in vm.identity.user_assigned_identities.items()}}

readers = list(authorization.role_definitions.list(group_id, filter="roleName eq 'Reader'"))
result["role_definitions"] = [{"id": d.id, "name": d.name, "role_name": d.role_name, "type": d.role_type}
                              for d in readers]

name = str(uuid.uuid4())
parameters = RoleAssignmentCreateParameters(properties=RoleAssignmentProperties(
    role_definition_id=readers[0].id, principal_id=identity.principal_id, principal_type="ServicePrincipal"))
created = authorization.role_assignments.create(group_id, name, parameters)
result["assignment"] = {"id": created.id, "name": created.name, "scope": created.scope,
                        "role_definition_id": created.role_definition_id, "principal_id": created.principal_id,
                        "principal_type": created.principal_type}
result["again"] = outcome(lambda: authorization.role_assignments.create(group_id, str(uuid.uuid4()), parameters).id)
print(json.dumps(result))
'''

# As the VM afterwards: the identity the operator assigned reads the group.
VM_READS_GROUP = PRELUDE + r'''
from azure.identity import ManagedIdentityCredential
from azure.mgmt.resource import ResourceManagementClient
credential = ManagedIdentityCredential(client_id=A["client_id"])
resources = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM)
print(json.dumps(outcome(lambda: resources.resource_groups.get(GROUP).id)))
'''


@compat(IDENTITY, flow="ClientSecretCredential (authority, disable_instance_discovery) as the operator")
@compat(MSI, flow="operator: user_assigned_identities.create_or_update (2024-11-30)")
@compat(COMPUTE, flow="operator: virtual_machines.begin_update with a user-assigned identity (polls Azure-AsyncOperation)")
@compat(AUTHORIZATION, flow="operator: role_definitions.list with $filter, role_assignments.create (409 on repeat)")
@compat(RESOURCE, flow="seed 004 with the SDKs: the VM reads the group after the operator's grant")
def test_mgmt_operator_seed_004_with_the_sdks(mimic):
    vm = mimic.create_vm()
    identity_name = f"id-{uuid.uuid4().hex[:8]}"

    done = run_python(mimic, SEED_004, args={"identity": identity_name, "vm": vm})

    identity = done["identity"]
    assert identity["id"].lower() == mimic.identity_id(identity_name).lower(), done
    assert identity["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities", done
    assert identity["tenant_id"] == mimic.tenant and identity["client_id"] and identity["principal_id"], done
    assert (done["poller_status"], done["provisioning_state"]) == ("Succeeded", "Succeeded"), done
    assert done["vm_identity"]["type"] == "UserAssigned" and done["vm_identity"]["principal_id"] is None, done
    assert {k.lower(): v for k, v in done["vm_identity"]["user_assigned"].items()} == {
        identity["id"].lower(): {"principal_id": identity["principal_id"], "client_id": identity["client_id"]}}, done
    reader_id = f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    assert done["role_definitions"] == [{"id": reader_id, "name": READER, "role_name": "Reader",
                                         "type": "BuiltInRole"}], done
    assignment = done["assignment"]
    assert assignment["scope"] == mimic.group_id(), done
    assert assignment["id"] == f"{mimic.group_id()}/providers/Microsoft.Authorization/roleAssignments/{assignment['name']}"
    assert (assignment["role_definition_id"], assignment["principal_id"], assignment["principal_type"]) == (
        reader_id, identity["principal_id"], "ServicePrincipal"), done
    assert done["again"].get("status") == 409 and done["again"]["code"] == "RoleAssignmentExists", done

    read = run_python(mimic, VM_READS_GROUP, vm=vm, args={"client_id": identity["client_id"]})

    assert read.get("ok") == mimic.group_id(), read


CONNECTION_VERIFY = PRELUDE + r'''
from azure.identity import ClientSecretCredential
from azure.mgmt.resource import ResourceManagementClient
ca = os.environ["MIMIC_CA"]
credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True, connection_verify=ca)
trusting = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM, connection_verify=ca)
default = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM, retry_total=0)
import msal

def msal_token():
    app = msal.ConfidentialClientApplication(
        os.environ["MIMIC_CLIENT_ID"], client_credential=os.environ["MIMIC_CLIENT_SECRET"],
        authority=f"{os.environ['MIMIC_AAD']}/{os.environ['MIMIC_TENANT']}", instance_discovery=False, verify=ca)
    return app.acquire_token_for_client(scopes=["https://management.azure.com/.default"])["token_type"]

print(json.dumps({"trusting": outcome(lambda: trusting.resource_groups.get(GROUP).id),
                  "default": outcome(lambda: default.resource_groups.get(GROUP).id),
                  "msal": outcome(msal_token)}))
'''


@compat(IDENTITY, RESOURCE, flow="connection_verify=<CA> instead of REQUESTS_CA_BUNDLE")
@compat(MSAL, flow="ConfidentialClientApplication(verify=<CA>) instead of REQUESTS_CA_BUNDLE")
def test_mgmt_operator_connection_verify_trusts_the_ca_without_requests_ca_bundle(mimic):
    done = run_python(mimic, CONNECTION_VERIFY, ca_from_env=False)

    assert done["trusting"].get("ok") == mimic.group_id(), done
    assert done["default"]["type"] == "ServiceRequestError", done  # certifi does not know mimic's CA
    assert "CERTIFICATE_VERIFY_FAILED" in done["default"]["message"], done
    assert done["msal"].get("ok") == "Bearer", done

    # docs/sdk.md's caveat: a REQUESTS_CA_BUNDLE naming another bundle overrides msal's verify=
    # (requests' session-level setting), not azure-core's connection_verify= (sent per request).
    other_bundle = run_python(mimic, CONNECTION_VERIFY, ca_from_env=False,
                              extra_env={"REQUESTS_CA_BUNDLE": certifi.where()})

    assert other_bundle["trusting"].get("ok") == mimic.group_id(), other_bundle
    assert "CERTIFICATE_VERIFY_FAILED" in other_bundle["msal"]["message"], other_bundle


ROLE_LIFECYCLE = PRELUDE + OPERATOR_CLIENTS + r'''
from azure.mgmt.authorization.models import (Permission, RoleAssignmentCreateParameters,
                                             RoleAssignmentProperties, RoleDefinition)

result = {}
subscription_scope = f"/subscriptions/{SUBSCRIPTION}"
reader = authorization.role_definitions.get(group_id, "acdd72a7-3385-48ef-bd42-f606fba81ae7")
result["reader"] = {"id": reader.id, "role_name": reader.role_name,
                    "actions": reader.permissions[0].actions}
role_id = str(uuid.uuid4())
custom = authorization.role_definitions.create_or_update(subscription_scope, role_id, RoleDefinition(
    role_name=f"Python Group Reader {role_id[:8]}", description="Reads resource groups", role_type="CustomRole",
    permissions=[Permission(actions=["Microsoft.Resources/subscriptions/resourceGroups/read"], not_actions=[])],
    assignable_scopes=[subscription_scope]))
result["custom"] = {"id": custom.id, "name": custom.name, "role_type": custom.role_type}
result["customs"] = [d.name for d in authorization.role_definitions.list(subscription_scope,
                                                                         filter="type eq 'CustomRole'")]
name = str(uuid.uuid4())
created = authorization.role_assignments.create(group_id, name, RoleAssignmentCreateParameters(
    properties=RoleAssignmentProperties(role_definition_id=custom.id, principal_id=A["principal"],
                                        principal_type="ServicePrincipal")))
result["assignment"] = {"id": created.id, "role_definition_id": created.role_definition_id}
result["got"] = authorization.role_assignments.get(group_id, name).id
result["listed"] = [a.name for a in authorization.role_assignments.list_for_scope(
    group_id, filter=f"principalId eq '{A['principal']}'")]
result["delete_assigned"] = outcome(lambda: authorization.role_definitions.delete(subscription_scope, role_id).name)
result["removed"] = authorization.role_assignments.delete(group_id, name).name
result["deleted"] = authorization.role_definitions.delete(subscription_scope, role_id).name
result["gone"] = outcome(lambda: authorization.role_definitions.get(subscription_scope, role_id).name)
print(json.dumps(result))
'''


@compat(AUTHORIZATION, flow="operator: role_definitions get/create_or_update/list/delete (custom role), "
                            "role_assignments create/get/list_for_scope/delete")
def test_mgmt_authorization_manages_custom_roles_and_assignments(mimic):
    created = mimic.arm("PUT", f"{mimic.identity_id(f'id-{uuid.uuid4().hex[:8]}')}?api-version=2024-11-30",
                        {"location": "eastus"})
    assert created.status_code == 201, created.text
    principal = created.json()["properties"]["principalId"]

    done = run_python(mimic, ROLE_LIFECYCLE, args={"principal": principal})

    reader_id = f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    assert done["reader"] == {"id": reader_id, "role_name": "Reader", "actions": ["*/read"]}, done
    custom = done["custom"]
    assert custom["role_type"] == "CustomRole" and custom["name"] in done["customs"], done
    assert done["assignment"]["role_definition_id"] == custom["id"], done
    assert done["got"] == done["assignment"]["id"], done
    name = done["assignment"]["id"].rsplit("/", 1)[1]
    assert done["listed"] == [name], done
    assert done["delete_assigned"].get("status") == 409, done
    assert done["delete_assigned"]["code"] == "RoleDefinitionHasAssignments", done
    assert (done["removed"], done["deleted"]) == (name, custom["name"]), done
    assert done["gone"].get("status") == 404, done


PERMISSIONS = PRELUDE + OPERATOR_CLIENTS + r'''
def blocks(pages):
    return [{"actions": p.actions, "not_actions": p.not_actions, "data_actions": p.data_actions,
             "not_data_actions": p.not_data_actions} for p in pages]

result = {}
result["group"] = blocks(authorization.permissions.list_for_resource_group(GROUP))
result["identity"] = blocks(authorization.permissions.list_for_resource(
    GROUP, "Microsoft.ManagedIdentity", "", "userAssignedIdentities", A["identity"]))
print(json.dumps(result))
'''


@compat(AUTHORIZATION, flow="operator: permissions list_for_resource_group/list_for_resource (Owner: *)")
def test_mgmt_authorization_lists_the_operators_permissions(mimic):
    name = f"id-{uuid.uuid4().hex[:8]}"
    created = mimic.arm("PUT", f"{mimic.identity_id(name)}?api-version=2024-11-30", {"location": "eastus"})
    assert created.status_code == 201, created.text

    done = run_python(mimic, PERMISSIONS, args={"identity": name})

    owner = [{"actions": ["*"], "not_actions": [], "data_actions": [], "not_data_actions": []}]
    assert done == {"group": owner, "identity": owner}, done
