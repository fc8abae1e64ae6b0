"""Long-running operations through real clients (issue 17 item 3): VM create/update/delete and
resource-group delete answer as Azure's do (201/200/202, `Azure-AsyncOperation`/`Location`,
`Retry-After: 1`), and the pollers of the Python SDKs, az and the Node SDK follow them to the end —
with mimic's default (the first poll says Succeeded) and with operations that stay in progress
(`mimic up --async-operation-seconds 3`, a second mimic started here).

Nothing here measures time: the in-progress runs only check that every poller ended and what it
saw on the way.
"""

import json
import os
import pathlib
import subprocess

import pytest

from conftest import client_env, start_mimic, stop_mimic
from test_az_support import fails, ok, op, unique
from test_identity_vm import COMPUTE, PRELUDE, RESOURCE, compat, run_python

HERE = pathlib.Path(__file__).resolve().parent
IN_PROGRESS = 3


@pytest.fixture(scope="module")
def slow_mimic(tmp_path_factory):
    """A second `mimic up` whose long-running operations stay in progress for IN_PROGRESS seconds."""
    running = start_mimic(tmp_path_factory.mktemp("mimic-slow"), "--async-operation-seconds", str(IN_PROGRESS))
    yield running
    stop_mimic(running)


# The operator's SDK clients, recording every response the pipeline sees (initial answers and polls).
SDK = PRELUDE + r'''
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource import ResourceManagementClient

SEEN = []

class Recorder(SansIOHTTPPolicy):
    def on_response(self, request, response):
        reply = response.http_response
        body = None
        if "/operations/" in request.http_request.url or "/operationresults/" in request.http_request.url:
            try:
                body = reply.json().get("status")
            except Exception:
                body = None
        SEEN.append({"method": request.http_request.method, "status": reply.status_code,
                     "poll": "/operations/" in request.http_request.url
                             or "/operationresults/" in request.http_request.url,
                     "op_status": body,
                     "async_operation": bool(reply.headers.get("Azure-AsyncOperation")),
                     "location": bool(reply.headers.get("Location")),
                     "retry_after": reply.headers.get("Retry-After")})

credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
compute = ComputeManagementClient(credential, SUBSCRIPTION, base_url=ARM, per_call_policies=[Recorder()])
resources = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM, per_call_policies=[Recorder()])

def take():
    seen = list(SEEN)
    SEEN.clear()
    return seen
'''

LIFECYCLE = SDK + r'''
result = {}
group = A["group"]
resources.resource_groups.create_or_update(group, {"location": "eastus"})
take()
body = {"location": "eastus", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"},
        "storageProfile": {"osDisk": {"osType": "Linux"}}, "osProfile": {"computerName": "lro", "adminUsername": "azureuser"}}}
poller = compute.virtual_machines.begin_create_or_update(group, "lro-vm", body)
vm = poller.result()
result["create"] = {"status": poller.status(), "provisioning_state": vm.provisioning_state, "seen": take()}
shown = compute.virtual_machines.get(group, "lro-vm", expand="instanceView")
result["instance_view"] = [s.code for s in shown.instance_view.statuses]
take()

poller = compute.virtual_machines.begin_delete(group, "lro-vm")
poller.result()
result["delete"] = {"status": poller.status(), "seen": take()}
result["vm_after"] = outcome(lambda: compute.virtual_machines.get(group, "lro-vm").name)
take()

poller = resources.resource_groups.begin_delete(group)
poller.result()
result["group_delete"] = {"status": poller.status(), "seen": take()}
result["group_after"] = outcome(lambda: resources.resource_groups.get(group).name)
print(json.dumps(result))
'''


def run_lifecycle(mimic):
    return run_python(mimic, LIFECYCLE, args={"group": unique("lro")}, timeout=300)


def check_lifecycle(done):
    create = done["create"]
    assert (create["status"], create["provisioning_state"]) == ("Succeeded", "Succeeded"), done
    initial = create["seen"][0]
    assert (initial["method"], initial["status"], initial["async_operation"], initial["retry_after"]) == (
        "PUT", 201, True, "1"), done
    assert create["seen"][-1]["method"] == "GET" and create["seen"][-1]["status"] == 200, done
    assert done["instance_view"] == ["ProvisioningState/succeeded", "PowerState/running"], done

    delete = done["delete"]
    assert delete["status"] == "Succeeded", done
    initial = delete["seen"][0]
    assert (initial["method"], initial["status"], initial["async_operation"], initial["location"]) == (
        "DELETE", 202, True, True), done
    assert done["vm_after"]["type"] == "ResourceNotFoundError", done

    group_delete = done["group_delete"]
    assert group_delete["status"] == "Succeeded", done
    initial = group_delete["seen"][0]
    assert (initial["method"], initial["status"], initial["async_operation"], initial["location"]) == (
        "DELETE", 202, False, True), done
    assert group_delete["seen"][-1]["status"] == 200, done
    assert done["group_after"]["type"] == "ResourceNotFoundError", done


@compat(COMPUTE, flow="operator: virtual_machines.begin_create_or_update/begin_delete poll to the end; "
                      "get(expand=instanceView)")
@compat(RESOURCE, flow="operator: resource_groups.begin_delete(…).result() polls Location to the end")
def test_sdk_pollers_complete_the_long_running_operations(mimic):
    done = run_lifecycle(mimic)

    check_lifecycle(done)
    # With no time in progress, the first poll of each operation is final.
    for step in ("create", "delete"):
        polls = [seen for seen in done[step]["seen"] if seen["poll"]]
        assert [poll["op_status"] for poll in polls] == ["Succeeded"], done


@compat(COMPUTE, flow="operator: begin_create_or_update/begin_delete with operations in progress for 3 s "
                      "(InProgress polls, Retry-After: 1)")
@compat(RESOURCE, flow="operator: resource_groups.begin_delete with the deletion in progress for 3 s (202 polls)")
def test_sdk_pollers_wait_through_operations_in_progress(slow_mimic):
    done = run_lifecycle(slow_mimic)

    check_lifecycle(done)
    for step in ("create", "delete"):
        statuses = [seen["op_status"] for seen in done[step]["seen"] if seen["poll"]]
        assert statuses[-1] == "Succeeded" and set(statuses[:-1]) <= {"InProgress"}, done
        assert all(seen["retry_after"] == "1" for seen in done[step]["seen"]
                   if seen["poll"] and seen["op_status"] == "InProgress"), done
    group_polls = [seen["status"] for seen in done["group_delete"]["seen"] if seen["poll"]]
    assert group_polls[-1] == 200 and set(group_polls[:-1]) <= {202}, done


@compat("az 2.91.0", flow="az vm update --no-wait, then az vm wait --updated; az vm get-instance-view; "
                          "az group delete (operations in progress for 3 s)")
def test_az_no_wait_then_wait_completes(slow_mimic):
    group = unique("rg")
    op(slow_mimic, "group", "create", "-n", group, "-l", "eastus")
    body = {"location": "eastus", "tags": {"stage": "new"},
            "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"},
                           "storageProfile": {"osDisk": {"osType": "Linux", "createOption": "FromImage"}}}}
    created = slow_mimic.arm("PUT", f"{slow_mimic.vm_id('waited', group)}?api-version=2024-11-01", body)
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating", \
        created.text
    ok(slow_mimic.az("vm", "wait", "-g", group, "-n", "waited", "--created", "--interval", "1"))

    assert ok(slow_mimic.az("vm", "update", "-g", group, "-n", "waited", "--set", "tags.stage=test",
                            "--no-wait")).strip() == ""
    ok(slow_mimic.az("vm", "wait", "-g", group, "-n", "waited", "--updated", "--interval", "1"))
    shown = op(slow_mimic, "vm", "show", "-g", group, "-n", "waited")
    assert (shown["provisioningState"], shown["tags"]) == ("Succeeded", {"stage": "test"}), shown
    view = op(slow_mimic, "vm", "get-instance-view", "-g", group, "-n", "waited")
    assert [s["code"] for s in view["instanceView"]["statuses"]] == [
        "ProvisioningState/succeeded", "PowerState/running"], view

    op(slow_mimic, "group", "delete", "-n", group, "--yes")
    fails(slow_mimic.az("group", "show", "-n", group), 3, "ResourceGroupNotFound")


@compat("az 2.91.0", flow="az group delete --no-wait, then az group wait --deleted (deletion in progress for 3 s)")
def test_az_group_delete_no_wait_then_wait_deleted(slow_mimic):
    group = unique("rg")
    op(slow_mimic, "group", "create", "-n", group, "-l", "eastus")

    op(slow_mimic, "group", "delete", "-n", group, "--yes", "--no-wait")
    shown = slow_mimic.arm("GET", f"{slow_mimic.group_id(group)}?api-version=2024-11-01")
    ok(slow_mimic.az("group", "wait", "-n", group, "--deleted", "--interval", "1"))

    # While the deletion runs the group says so (a machine slower than IN_PROGRESS seconds between
    # the two calls would already see it gone).
    assert (shown.status_code == 200 and shown.json()["properties"]["provisioningState"] == "Deleting") \
        or shown.status_code == 404, shown.text
    fails(slow_mimic.az("group", "show", "-n", group), 3, "ResourceGroupNotFound")


NODE = HERE / "node" / "lro.cjs"
_LOCK = json.loads((HERE / "node" / "package-lock.json").read_text())["packages"]
NODE_CLIENT = (f"@azure/arm-resources {_LOCK['node_modules/@azure/arm-resources']['version']} + "
               f"@azure/identity {_LOCK['node_modules/@azure/identity']['version']}")


@compat(NODE_CLIENT, flow="resourceGroups.beginDeleteAndWait polls ARM's Location to the end "
                          "(deletion in progress for 3 s)")
def test_node_poller_completes_a_group_deletion(slow_mimic):
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")
    group = unique("rg")
    op(slow_mimic, "group", "create", "-n", group, "-l", "eastus")

    done = subprocess.run(
        ["node", str(NODE), slow_mimic.aad_url, slow_mimic.tenant, slow_mimic.operator["client_id"],
         slow_mimic.operator["client_secret"], slow_mimic.arm_url, slow_mimic.subscription, group],
        capture_output=True, text=True, timeout=120,
        env=client_env(NODE_PATH=modules, NODE_EXTRA_CA_CERTS=slow_mimic.ca))
    lines = done.stdout.strip().splitlines()
    assert lines and done.returncode == 0, (done.stdout, done.stderr[-4000:])
    result = json.loads(lines[-1])

    assert result["deleted"] is True, result
    assert result["after"] == {"status": 404, "code": "ResourceGroupNotFound"}, result
