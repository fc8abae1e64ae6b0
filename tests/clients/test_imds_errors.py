"""IMDS's edge behaviour through the real `mimic up`, with curl as the IMDS doc's examples use it
(issue 4, item 1): the error table of wire contract §2.2, bypass_cache, the instance metadata of
§2.4 by api-version, and the per-VM rate limits (20 tokens/s and 5 concurrent; 5/s elsewhere).
docs/imds.md describes each answer checked here.
"""

import json
import math
import subprocess
import threading
import time

import pytest
import requests

CURL = "curl"  # the version is the machine's, not a pin: keep the compat table machine-independent
TOKEN = "/metadata/identity/oauth2/token"
GOOD = "?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
NEWEST = ["2025-04-07", "2024-07-17", "2024-03-15"]


def compat(flow):
    return pytest.mark.compat(client=CURL, flow=flow)


def curl(url, *args):
    """curl as the IMDS doc runs it; returns (status, body as JSON or text, content type)."""
    done = subprocess.run(["curl", "-s", "--noproxy", "*", "-w", "\n%{http_code} %{content_type}", *args, url],
                          capture_output=True, text=True, timeout=60, check=True)
    body, _, trailer = done.stdout.rpartition("\n")
    status, _, content_type = trailer.partition(" ")
    try:
        body = json.loads(body)
    except ValueError:
        pass
    return int(status), body, content_type


@pytest.fixture(scope="module")
def vm(mimic):
    """A VM with a system-assigned identity, used only by this module (the limits are per VM)."""
    return mimic.create_vm(identity={"type": "SystemAssigned"})


def invalid_request(description):
    return {"error": "invalid_request", "error_description": description}


ERRORS = [
    ("no Metadata header", TOKEN + GOOD, [], 400, invalid_request("Required metadata header not specified")),
    ("Metadata: false", TOKEN + GOOD, ["-H", "Metadata: false"], 400,
     invalid_request("Required metadata header not specified")),
    ("X-Forwarded-For", TOKEN + GOOD, ["-H", "Metadata: true", "-H", "X-Forwarded-For: 10.0.0.4"], 400,
     invalid_request("Request should not contain X-Forwarded-For header")),
    ("no resource", TOKEN + "?api-version=2018-02-01", ["-H", "Metadata: true"], 400,
     invalid_request("Required audience parameter not specified")),
    ("no api-version", TOKEN + "?resource=https://management.azure.com/", ["-H", "Metadata: true"], 400,
     {"error": "Bad request. api-version was not specified in the request. For more information refer to "
               "aka.ms/azureimds", "newest-versions": NEWEST}),
    ("unsupported api-version", TOKEN + "?api-version=2018-01-01&resource=x", ["-H", "Metadata: true"], 400,
     {"error": "Bad request. api-version is invalid or was not specified in the request. For more information "
               "refer to aka.ms/azureimds", "newest-versions": NEWEST}),
    ("duplicate parameter", TOKEN + GOOD + "&resource=https://storage.azure.com", ["-H", "Metadata: true"], 400,
     invalid_request("Duplicate query parameter 'resource' is not allowed")),
    ("POST", TOKEN + GOOD, ["-X", "POST", "-H", "Metadata: true"], 405,
     {"error": "method_not_allowed", "error_description": "The request method is not supported; only GET is allowed"}),
    ("instance without Metadata", "/metadata/instance?api-version=2021-02-01", [], 400,
     {"error": "Bad request. Required metadata header not specified"}),
    ("instance leaf as JSON", "/metadata/instance/compute/name?api-version=2021-02-01", ["-H", "Metadata: true"],
     400, {"error": "Bad request. Leaf nodes are only supported with format=text"}),
    ("instance PUT", "/metadata/instance?api-version=2021-02-01", ["-X", "PUT", "-H", "Metadata: true"], 405,
     {"error": "Method not allowed"}),
    ("unknown path", "/metadata/nothing?api-version=2021-02-01", ["-H", "Metadata: true"], 404,
     {"error": "Not found"}),
]


@compat("IMDS error table (wire contract §2.2): every error is JSON with Azure's status")
@pytest.mark.parametrize("case,path,args,status,body", ERRORS, ids=[case[0] for case in ERRORS])
def test_imds_errors_answer_json_with_azures_status(mimic, vm, case, path, args, status, body):
    got = curl(mimic.imds_url(vm) + path, *args)

    assert got[:2] == (status, body), got
    assert got[2].startswith("application/json"), got


@compat("curl token request of the IMDS doc; bypass_cache=true gets a fresh token")
def test_imds_token_is_cached_until_bypass_cache(mimic, vm):
    url = mimic.imds_url(vm) + TOKEN + GOOD

    first = curl(url, "-H", "Metadata: true")
    again = curl(url, "-H", "Metadata: true")
    fresh = curl(url + "&bypass_cache=true", "-H", "Metadata: true")

    assert first[0] == again[0] == fresh[0] == 200, (first, again, fresh)
    assert again[1]["access_token"] == first[1]["access_token"]
    assert fresh[1]["access_token"] != first[1]["access_token"]
    assert {key: type(value) for key, value in fresh[1].items()} == {
        key: str for key in ("access_token", "client_id", "expires_in", "expires_on", "ext_expires_in",
                             "not_before", "resource", "token_type")}
    assert 86000 < int(fresh[1]["expires_in"]) <= 86399, fresh  # managed-identity tokens live ~24 h


@compat("curl instance metadata by api-version: compute and network, format=text, tags and tagsList")
def test_imds_instance_metadata_follows_the_api_version(mimic):
    vm = mimic.create_vm()
    body = {"location": "eastus", "tags": {"team": "id", "env": "test"},
            "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"},
                           "storageProfile": {"osDisk": {"osType": "Linux"}}}}
    assert mimic.arm("PUT", f"{mimic.vm_id(vm)}?api-version=2024-11-01", body).status_code == 200
    base = mimic.imds_url(vm)
    paths = {
        "versions": "/metadata/versions",
        "old": "/metadata/instance/compute?api-version=2017-04-02",
        "tags": "/metadata/instance/compute/tags?api-version=2017-08-01&format=text",
        "tags_list": "/metadata/instance/compute/tagsList?api-version=2019-06-04",
        "no_tags_list": "/metadata/instance/compute/tagsList?api-version=2019-06-01",
        "name": "/metadata/instance/compute/name?api-version=2023-07-01&format=text",
        "interface": "/metadata/instance/network/interface/0?api-version=2023-07-01",
        "info": "/metadata/identity/info?api-version=2018-02-01",
    }
    got = {}
    for key, path in paths.items():
        got[key] = curl(base + path, "-H", "Metadata: true")
        time.sleep(0.25)  # IMDS serves 5 metadata requests per second and VM

    assert "2023-07-01" in got["versions"][1]["apiVersions"], got
    old = got["old"]
    assert old[0] == 200 and "tagsList" not in old[1] and "resourceId" not in old[1], old
    assert old[1]["name"] == vm and old[1]["vmSize"] == "Standard_B1s", old
    assert got["tags"][:2] == (200, "env:test;team:id"), got
    assert got["tags_list"][:2] == (200, [{"name": "env", "value": "test"}, {"name": "team", "value": "id"}]), got
    assert got["no_tags_list"][:2] == (404, {"error": "Not found"}), got
    assert got["name"][:2] == (200, vm) and got["name"][2].startswith("text/plain"), got
    interface = got["interface"]
    assert interface[0] == 200 and interface[1]["ipv4"]["ipAddress"][0]["privateIpAddress"].startswith("10."), got
    assert got["info"][:2] == (200, {"tenantId": mimic.tenant}), got


def _get_all(url, count, headers):
    """`count` GETs at once, each on its own connection; returns their status codes and bodies."""
    answers = [None] * count
    start = threading.Barrier(count)

    def get(index):
        session = requests.Session()
        session.trust_env = False
        start.wait()
        reply = session.get(url, headers=headers, timeout=30)
        answers[index] = (reply.status_code, reply.json())

    threads = [threading.Thread(target=get, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@compat("IMDS rate limits: a burst over 5 concurrent / 20 per second token requests gets 429 too_many_requests")
def test_imds_token_burst_is_throttled_with_429(mimic):
    vm = mimic.create_vm(identity={"type": "SystemAssigned"})
    url = mimic.imds_url(vm) + TOKEN + GOOD
    assert curl(url, "-H", "Metadata: true")[0] == 200  # the token is cached from here on
    time.sleep(1.1)

    started = time.monotonic()
    answers = _get_all(url, 30, {"Metadata": "true"})
    elapsed = time.monotonic() - started

    statuses = sorted(status for status, _ in answers)
    assert 200 in statuses and 429 in statuses, statuses
    # A second's worth (20) up front, plus what the bucket refilled while the burst lasted.
    assert statuses.count(200) <= 20 + math.ceil(elapsed * 20), (elapsed, statuses)
    throttled = next(body for status, body in answers if status == 429)
    assert throttled == {"error": "too_many_requests", "error_description": "Too many requests"}, throttled
    time.sleep(1.1)
    assert curl(url, "-H", "Metadata: true")[0] == 200


@compat("IMDS rate limits: instance metadata over 5 per second gets 429")
def test_imds_instance_burst_is_throttled_with_429(mimic):
    vm = mimic.create_vm()
    url = mimic.imds_url(vm) + "/metadata/instance?api-version=2021-02-01"

    answers = _get_all(url, 12, {"Metadata": "true"})

    statuses = sorted(status for status, _ in answers)
    assert 5 <= statuses.count(200) <= 7 and 429 in statuses, statuses
    assert next(body for status, body in answers if status == 429) == {"error": "Too many requests"}
