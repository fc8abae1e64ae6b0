"""Issue 17 items 3 and 5 through real clients: the activity log as `az monitor activity-log list`,
`az role assignment list-changelogs` and azure-mgmt-monitor read it, and ARM lists paged with
`nextLink` (1 200 role assignments listed completely by az and azure-mgmt-authorization; 61
subscriptions, ARM's 50 a page, found by `az login` and azure-mgmt-resource).

azure-mgmt-monitor is the version az 2.91.0 pins (installed with it), so it needs no line of its own
in requirements.txt.
"""

import concurrent.futures
import json
import uuid
from importlib.metadata import version

import pytest

from conftest import REPO, start_mimic, stop_mimic
from test_az_support import AZ, op, unique
from test_identity_vm import AUTHORIZATION, PRELUDE, RESOURCE, compat, run_python

MONITOR = f"azure-mgmt-monitor {version('azure-mgmt-monitor')}"
GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"


@compat(AZ, flow="az monitor activity-log list --resource-group / --caller / --correlation-id")
def test_az_monitor_activity_log_lists_a_groups_writes(mimic):
    group = unique("activity-rg")
    op(mimic, "group", "create", "-n", group, "-l", "eastus")

    events = op(mimic, "monitor", "activity-log", "list", "--resource-group", group)

    assert sorted(e["status"]["value"] for e in events) == ["Started", "Succeeded"], events
    for event in events:
        assert event["operationName"]["value"] == GROUP_WRITE, event
        assert event["caller"] == mimic.operator["object_id"], event
        assert event["resourceGroupName"] == group, event
        assert event["category"]["value"] == "Administrative", event
        assert event["httpRequest"]["method"] == "PUT", event
    correlation = events[0]["correlationId"]
    by_correlation = op(mimic, "monitor", "activity-log", "list", "--correlation-id", correlation)
    assert {e["eventDataId"] for e in events} <= {e["eventDataId"] for e in by_correlation}, by_correlation
    by_caller = op(mimic, "monitor", "activity-log", "list", "--caller", mimic.operator["object_id"],
                   "--max-events", "500")
    assert {e["eventDataId"] for e in events} <= {e["eventDataId"] for e in by_caller}


@compat(AZ, flow="az role assignment list-changelogs (Granted and Revoked, from the activity log)")
def test_az_role_assignment_list_changelogs_shows_grants_and_revocations(mimic):
    created = mimic.arm("PUT", f"{mimic.identity_id(unique('id'))}?api-version=2024-11-30", {"location": "eastus"})
    assert created.status_code == 201, created.text
    principal = created.json()["properties"]["principalId"]
    assignment = op(mimic, "role", "assignment", "create", "--assignee-object-id", principal,
                    "--assignee-principal-type", "ServicePrincipal", "--role", "Reader",
                    "--scope", mimic.group_id())
    op(mimic, "role", "assignment", "delete", "--ids", assignment["id"])

    logs = op(mimic, "role", "assignment", "list-changelogs")

    ours = sorted((e for e in logs if e["principalId"] == principal), key=lambda e: e["action"])
    assert [e["action"] for e in ours] == ["Granted", "Revoked"], logs
    for entry in ours:
        assert entry["roleName"] == "Reader", entry
        assert entry["roleDefinitionId"] == "acdd72a7-3385-48ef-bd42-f606fba81ae7", entry
        assert entry["scope"].lower() == mimic.group_id().lower(), entry
        assert (entry["scopeName"], entry["scopeType"]) == (mimic.group, "Resource group"), entry
        assert entry["caller"] == mimic.operator["object_id"], entry
        assert entry["principalName"], entry


MONITOR_LIST = PRELUDE + r'''
from azure.identity import ClientSecretCredential
from azure.mgmt.monitor import MonitorManagementClient

credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
monitor = MonitorManagementClient(credential, SUBSCRIPTION, base_url=ARM)
group_filter = f"eventTimestamp ge '2000-01-01T00:00:00Z' and resourceGroupName eq '{A['group']}'"
events = list(monitor.activity_logs.list(filter=group_filter))
everything = list(monitor.activity_logs.list(filter="eventTimestamp ge '2000-01-01T00:00:00Z'",
                                             select="eventDataId,status"))
print(json.dumps({
    "events": [{"status": e.status.value, "operation": e.operation_name.value, "caller": e.caller,
                "sub_status": e.sub_status.value, "level": e.level, "resource_id": e.resource_id}
               for e in events],
    "all": len(everything), "distinct": len({e.event_data_id for e in everything}),
}))
'''


@compat(MONITOR, flow="operator: activity_logs.list(filter=…, select=…), every page")
def test_mgmt_monitor_lists_the_activity_log(mimic):
    group = unique("monitor-rg")
    ok = mimic.arm("PUT", f"{mimic.group_id(group)}?api-version=2024-11-01", {"location": "eastus"})
    assert ok.status_code == 201, ok.text
    stranger = mimic.arm("PUT", f"{mimic.group_id(group)}?api-version=2024-11-01", {"location": 7})
    assert stranger.status_code == 400, stranger.text

    done = run_python(mimic, MONITOR_LIST, args={"group": group})

    statuses = [(e["status"], e["sub_status"]) for e in done["events"]]
    assert statuses == [("Failed", "BadRequest"), ("Started", ""), ("Succeeded", "Created"), ("Started", "")], done
    assert all(e["operation"] == GROUP_WRITE for e in done["events"]), done
    assert done["all"] == done["distinct"] >= 4, done


def seed_assignments(mimic, principals, roles):
    """One Reader-like assignment per (principal, role) at the subscription, made over REST with 8
    requests in flight (setup, not under test); returns the names."""
    token = mimic.operator_token()
    subscription = f"/subscriptions/{mimic.subscription}"

    def put(pair):
        principal, role = pair
        name = str(uuid.uuid4())
        body = {"properties": {"roleDefinitionId": f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                               "principalId": principal, "principalType": "ServicePrincipal"}}
        reply = mimic.arm("PUT", f"{subscription}/providers/Microsoft.Authorization/roleAssignments/{name}"
                                 "?api-version=2022-04-01", body, token=token)
        assert reply.status_code == 201, reply.text
        return name

    pairs = [(principal, role) for principal in principals for role in roles]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return set(pool.map(put, pairs))


def role_guids(mimic, count):
    """`count` built-in role GUIDs, following nextLink."""
    url = f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01"
    guids = []
    while url and len(guids) < count:
        page = mimic.arm("GET", url)
        assert page.status_code == 200, page.text
        guids += [r["name"] for r in page.json()["value"] if r["properties"]["type"] == "BuiltInRole"]
        url = page.json().get("nextLink", "").removeprefix(mimic.arm_url) or None
    assert len(guids) >= count, len(guids)
    return guids[:count]


LIST_FOR_SUBSCRIPTION = PRELUDE + r'''
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient

credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
authorization = AuthorizationManagementClient(credential, SUBSCRIPTION, base_url=ARM)
names = [a.name for a in authorization.role_assignments.list_for_subscription()]
print(json.dumps({"names": names}))
'''


@compat(AZ, flow="az role assignment list --all: 1 200 assignments over nextLink pages")
@compat(AUTHORIZATION, flow="operator: role_assignments.list_for_subscription(), 1 200 assignments over nextLink pages")
def test_1200_role_assignments_are_listed_completely(mimic):
    principals = []
    for _ in range(2):
        created = mimic.arm("PUT", f"{mimic.identity_id(unique('paged'))}?api-version=2024-11-30",
                            {"location": "eastus"})
        assert created.status_code == 201, created.text
        principals.append(created.json()["properties"]["principalId"])
    names = seed_assignments(mimic, principals, role_guids(mimic, 600))
    assert len(names) == 1200

    page = mimic.arm("GET", f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/"
                            "roleAssignments?api-version=2022-04-01")
    assert "$skiptoken=" in page.json()["nextLink"], "the first page is not everything"

    listed = op(mimic, "role", "assignment", "list", "--all")
    az_names = [a["name"] for a in listed if a["principalId"] in principals]
    assert sorted(az_names) == sorted(names), (len(az_names), len(names))
    assert len(listed) == len({a["name"] for a in listed}), "no assignment twice"

    done = run_python(mimic, LIST_FOR_SUBSCRIPTION, timeout=300)
    sdk_names = set(done["names"])
    assert names <= sdk_names and len(done["names"]) == len(sdk_names), (len(names & sdk_names), len(done["names"]))


# --- 61 subscriptions, on a mimic of its own --------------------------------------------------------

EXTRA_SUBSCRIPTIONS = [f"5ab5c000-0000-4000-8000-{n:012}" for n in range(60)]


@pytest.fixture(scope="module")
def many_subscriptions(tmp_path_factory):
    """A `mimic up` seeded with the default fixture plus 60 subscriptions the operator reads."""
    fixture = json.loads((REPO / "fixtures" / "default.json").read_text())
    arm = fixture["arm"]
    operator = next(a["principalId"] for a in arm["roleAssignments"] if a.get("principalType") == "ServicePrincipal")
    for n, subscription in enumerate(EXTRA_SUBSCRIPTIONS):
        arm["subscriptions"].append({"subscriptionId": subscription, "displayName": f"paged-{n}",
                                     "tenantId": arm["subscriptions"][0]["tenantId"]})
        arm["roleAssignments"].append({"name": f"5ab5ca00-0000-4000-8000-{n:012}", "scope": f"/subscriptions/{subscription}",
                                       "roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
                                       "principalId": operator, "principalType": "ServicePrincipal"})
    path = tmp_path_factory.mktemp("fixture") / "many-subscriptions.json"
    path.write_text(json.dumps(fixture))
    running = start_mimic(tmp_path_factory.mktemp("mimic-subscriptions"), "--fixture", str(path),
                          "--aad-userrealm-addr", "")
    yield running
    stop_mimic(running)


LIST_SUBSCRIPTIONS = PRELUDE + r'''
from azure.identity import ClientSecretCredential
from azure.mgmt.resource import SubscriptionClient

credential = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                    os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                    disable_instance_discovery=True)
client = SubscriptionClient(credential, base_url=ARM)
print(json.dumps({"ids": [s.subscription_id for s in client.subscriptions.list()]}))
'''


@compat(AZ, flow="az login / az account list: 61 subscriptions over ARM's 50-a-page nextLink")
@compat(RESOURCE, flow="operator: subscriptions.list(), 61 subscriptions over nextLink pages")
def test_61_subscriptions_are_found_across_pages(many_subscriptions):
    mimic = many_subscriptions
    first = mimic.arm("GET", "/subscriptions?api-version=2022-12-01")
    assert first.status_code == 200, first.text
    assert len(first.json()["value"]) == 50 and "$skiptoken=" in first.json()["nextLink"], first.text
    expected = sorted([mimic.subscription, *EXTRA_SUBSCRIPTIONS])

    accounts = op(mimic, "account", "list", "--all")
    assert sorted(a["id"] for a in accounts) == expected, len(accounts)

    done = run_python(mimic, LIST_SUBSCRIPTIONS)
    assert sorted(done["ids"]) == expected, len(done["ids"])
