"""Azure's own hostnames inside the sandbox (issue 16, item 3; docs/hostnames.md).

`mimic vm exec VM --netns` and `mimic workload exec --netns` run the command in a network and mount
namespace (nested in the suite's own loopback-only one) whose /etc/hosts binds management.azure.com,
login.microsoftonline.com (and its aliases) and graph.microsoft.com to loopback addresses where mimic
answers over HTTPS, with mimic's CA in the system bundle and certifi's. The clients below are given
nothing: no `az cloud register`, no base_url, no authority host, no CA variable (the tests even unset
the ones the sandbox sets, to show the bundles alone carry the trust). Every request stays inside the
namespace: the names resolve to 127.0.0.x there and there is no route off loopback.
"""

import json
import sys
import uuid

import pytest

from test_az_support import AZ, READER, claims, ok
from test_identity_vm import IDENTITY, RESOURCE
from test_netns import netns, vm_with_system_identity
from test_workload_identity import last_json, new_identity

FLOW = "Azure's hostnames inside the sandbox (--netns): no cloud registration, no base_url"
NAMES = {
    "management.azure.com": "127.0.0.2",
    "login.microsoftonline.com": "127.0.0.3",
    "login.windows.net": "127.0.0.3",
    "login.microsoft.com": "127.0.0.3",
    "sts.windows.net": "127.0.0.3",
    "graph.microsoft.com": "127.0.0.4",
}
# The CA variables the sandbox sets, removed so that only the bind-mounted bundles carry the trust.
NO_CA_VARIABLES = ["env", "-u", "SSL_CERT_FILE", "-u", "REQUESTS_CA_BUNDLE", "-u", "CURL_CA_BUNDLE"]

RESOLVE = r'''
import json, socket, sys
print(json.dumps({name: sorted({a[4][0] for a in socket.getaddrinfo(name, 443)}) for name in sys.argv[1:]}))
'''

# DefaultAzureCredential + ResourceManagementClient exactly as the quickstarts write them.
ARM_READER = r'''
import json, sys
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.mgmt.resource import ResourceManagementClient
subscription, group = sys.argv[1:3]
client = ResourceManagementClient(DefaultAzureCredential(), subscription)
try:
    found = client.resource_groups.get(group)
    print(json.dumps({"status": 200, "id": found.id}))
except HttpResponseError as error:
    print(json.dumps({"status": error.status_code, "code": error.error.code if error.error else None}))
'''

WORKLOAD_READER = r'''
import base64, json, os, sys
from azure.core.exceptions import HttpResponseError
from azure.identity import WorkloadIdentityCredential
from azure.mgmt.resource import ResourceManagementClient
subscription, group = sys.argv[1:3]
credential = WorkloadIdentityCredential()
token = credential.get_token("https://management.azure.com/.default").token
payload = token.split(".")[1]
result = {"authority": os.environ.get("AZURE_AUTHORITY_HOST"),
          "claims": json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))}
try:
    result.update(status=200, id=ResourceManagementClient(credential, subscription).resource_groups.get(group).id)
except HttpResponseError as error:
    result.update(status=error.status_code, code=error.error.code if error.error else None)
print(json.dumps(result))
'''

GRAPH_READER = r'''
import json, urllib.request
from azure.identity import ManagedIdentityCredential
token = ManagedIdentityCredential().get_token("https://graph.microsoft.com/.default").token
request = urllib.request.Request("https://graph.microsoft.com/v1.0/servicePrincipals?$top=1",
                                 headers={"Authorization": f"Bearer {token}"})
try:
    with urllib.request.urlopen(request) as reply:
        print(json.dumps({"status": reply.status, "body": json.load(reply)}))
except urllib.error.HTTPError as error:
    print(json.dumps({"status": error.code, "body": json.load(error)}))
'''


def in_sandbox(mimic, vm, *command):
    return netns(mimic, vm, *NO_CA_VARIABLES, *command)


def test_names_resolve_to_mimics_loopback_addresses_inside_the_sandbox(mimic):
    vm, _ = vm_with_system_identity(mimic)
    resolved = json.loads(ok(in_sandbox(mimic, vm, sys.executable, "-c", RESOLVE, *NAMES)))
    assert resolved == {name: [ip] for name, ip in NAMES.items()}
    # Still nothing but loopback: no link but lo, no route.
    assert ok(netns(mimic, vm, "ip", "route", "show")) == ""
    # curl with no --cacert trusts mimic's certificate for the public name (system bundle).
    done = in_sandbox(mimic, vm, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}",
                      "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")
    assert ok(done) == "200 0"


@pytest.mark.compat(client=AZ, flow=FLOW)
def test_az_login_identity_then_group_list_against_management_azure_com(mimic):
    vm, principal = vm_with_system_identity(mimic)
    mimic.grant(principal, scope=f"/subscriptions/{mimic.subscription}", role=READER)
    # The VM's sandbox config dir is fresh (a new VM) and has no cloud registered: AzureCloud.
    assert ok(in_sandbox(mimic, vm, "az", "cloud", "show", "--query", "name", "-o", "tsv")).strip() == "AzureCloud"
    accounts = json.loads(ok(in_sandbox(mimic, vm, "az", "login", "--identity", "-o", "json")))
    assert [(a["id"], a["environmentName"]) for a in accounts] == [(mimic.subscription, "AzureCloud")]
    groups = json.loads(ok(in_sandbox(mimic, vm, "az", "group", "list", "-o", "json")))
    assert mimic.group_id() in [group["id"] for group in groups]
    token = ok(in_sandbox(mimic, vm, "az", "account", "get-access-token", "--query", "accessToken", "-o", "tsv"))
    assert claims(token.strip())["xms_mirid"] == mimic.vm_id(vm)


@pytest.mark.compat(client=IDENTITY, flow=FLOW)
@pytest.mark.compat(client=RESOURCE, flow=FLOW)
def test_default_azure_credential_and_resource_client_without_base_url_403_then_200(mimic):
    vm, principal = vm_with_system_identity(mimic)
    read = [sys.executable, "-c", ARM_READER, mimic.subscription, mimic.group]
    before = json.loads(ok(in_sandbox(mimic, vm, *read)).splitlines()[-1])
    assert before == {"status": 403, "code": "AuthorizationFailed"}
    mimic.grant(principal, scope=mimic.group_id(), role=READER)
    after = json.loads(ok(in_sandbox(mimic, vm, *read)).splitlines()[-1])
    assert after == {"status": 200, "id": mimic.group_id()}


@pytest.mark.compat(client=IDENTITY, flow=FLOW)
def test_graph_microsoft_com_answers_the_vms_token_with_graphs_envelope(mimic):
    vm, _ = vm_with_system_identity(mimic)
    result = json.loads(ok(in_sandbox(mimic, vm, sys.executable, "-c", GRAPH_READER)).splitlines()[-1])
    # A managed identity holds no Graph permission: Graph's own 403, from graph.microsoft.com.
    assert result["status"] == 403, result
    assert result["body"]["error"]["code"] == "Authorization_RequestDenied", result


@pytest.mark.compat(client=IDENTITY, flow=FLOW + " (mimic workload exec --netns, default authority host)")
def test_workload_identity_credential_in_the_sandbox_uses_the_real_authority_host(mimic):
    name, identity = new_identity(mimic)
    subject = f"system:serviceaccount:default:{uuid.uuid4().hex[:6]}"

    def run(*extra):
        done = mimic.cli("workload", "exec", "--netns", "--identity", name, "--subject", subject, *extra, "--",
                         *NO_CA_VARIABLES, sys.executable, "-c", WORKLOAD_READER, mimic.subscription, mimic.group,
                         timeout=180)
        assert done.returncode == 0, done.stderr[-4000:]
        return last_json(done)

    before = run("--create-fic")
    assert before["authority"] == "https://login.microsoftonline.com/", before
    assert before["claims"]["oid"] == identity["principalId"], before
    assert before["claims"]["iss"] == f"https://sts.windows.net/{mimic.tenant}/", before
    assert (before["status"], before["code"]) == (403, "AuthorizationFailed"), before
    mimic.grant(identity["principalId"])
    after = run()
    assert (after["status"], after["id"]) == (200, mimic.group_id()), after
