"""ARM's wire as real clients read it (issue 17 item 3): `systemData` in the management SDK's models and
in az's output, the headers every ARM answer carries, and the network interface a VM names.

The Ansible inventory plugin (`batch_fetch`, `POST /batch`) is not pinned in requirements.txt: its exact
exchange is replayed by the ARM API tests (crates/arm/tests/api/batch.rs).
"""

from test_az_support import compat as az_compat, op, unique
from test_identity_vm import MSI, PRELUDE, RESOURCE, compat, run_python

SYSTEM_DATA = PRELUDE + r'''
from azure.identity import ClientSecretCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity
from azure.mgmt.resource import ResourceManagementClient

credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
msi = ManagedServiceIdentityClient(credential, SUBSCRIPTION, base_url=ARM)
identity = msi.user_assigned_identities.create_or_update(GROUP, A["name"], Identity(location="eastus"))
read = msi.user_assigned_identities.get(GROUP, A["name"])
data = read.system_data
result = {"created_by": data.created_by, "created_by_type": data.created_by_type,
          "created_at": data.created_at.isoformat(), "last_modified_by_type": data.last_modified_by_type,
          "on_create": identity.system_data.created_by}

headers = {}
resources = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM)
resources.resource_groups.get(GROUP, headers={"x-ms-correlation-request-id": A["correlation"]},
                              raw_response_hook=lambda response: headers.update(response.http_response.headers))
result["headers"] = {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-ms-")}
print(json.dumps(result))
'''


@compat(MSI, flow="user_assigned_identities.create_or_update/get: systemData read into the model "
                  "(created_by, created_by_type, created_at)")
@compat(RESOURCE, flow="resource_groups.get: ARM's x-ms-correlation-request-id (echoed), "
                       "x-ms-routing-request-id and x-ms-ratelimit-remaining-subscription-reads")
def test_management_sdk_reads_system_data_and_arm_headers(mimic):
    correlation = unique("correlation")
    result = run_python(mimic, SYSTEM_DATA, args={"name": unique("sd"), "correlation": correlation})
    operator = mimic.operator["client_id"]
    assert result["created_by"] == operator, result
    assert result["on_create"] == operator, result
    assert result["created_by_type"] == "Application", result
    assert result["last_modified_by_type"] == "Application", result
    assert result["created_at"].startswith("20"), result
    headers = result["headers"]
    assert headers["x-ms-correlation-request-id"] == correlation, headers
    assert headers["x-ms-routing-request-id"].endswith(f":{correlation}"), headers
    assert int(headers["x-ms-ratelimit-remaining-subscription-reads"]) < 250, headers
    assert headers["x-ms-request-id"], headers


@az_compat("identity create / show: systemData (createdBy the operator's client id, createdByType Application)")
def test_az_identity_shows_system_data(mimic):
    name = unique("sd")
    created = op(mimic, "identity", "create", "-g", mimic.group, "-n", name, "-l", "eastus")
    shown = op(mimic, "identity", "show", "-g", mimic.group, "-n", name)
    for body in (created, shown):
        data = body["systemData"]
        assert data["createdBy"] == mimic.operator["client_id"], body
        assert data["createdByType"] == "Application", body
        assert data["lastModifiedByType"] == "Application", body


@az_compat("network nic show --ids (the NIC a VM's networkProfile names): privateIpAddress as IMDS reports it")
def test_az_network_nic_show_reads_the_nic_a_vm_names(mimic):
    vm = mimic.create_vm()
    body = mimic.arm("GET", f"{mimic.vm_id(vm)}?api-version=2024-11-01").json()
    nic_id = body["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    nic = op(mimic, "network", "nic", "show", "--ids", nic_id)
    assert nic["virtualMachine"]["id"].lower() == mimic.vm_id(vm).lower(), nic
    address = nic["ipConfigurations"][0]["privateIPAddress"]
    # What IMDS tells the VM about its own interface.
    import requests
    imds = requests.get(f"{mimic.imds_url(vm)}/metadata/instance/network/interface/0/ipv4/ipAddress/0/"
                        "privateIpAddress?api-version=2021-02-01&format=text",
                        headers={"Metadata": "true"}, timeout=30)
    assert imds.status_code == 200, imds.text
    assert address == imds.text.strip(), (nic, imds.text)
