"""Faults on the managed-identity path (`mimic chaos`, docs/reality-modes.md) and what real clients do
with them: azure-identity's ManagedIdentityCredential retrying through IMDS's 410 window and surfacing a
persistent 500, `az login --identity` under IMDS 429s, and ARM following an AAD signing-key rollover
while a client holds tokens of both keys.

IMDS faults are scoped to a fresh VM and cleared afterwards, so the session's other tests never meet
them. The rollover runs against a `mimic up` of its own: every token the session's clients cached
would be refused once the old key is gone.
"""

import json
import re

import pytest

from conftest import start_mimic, stop_mimic
from test_az_support import AZ, as_vm, fails, ok_json
from test_identity_vm import IDENTITY, PRELUDE, RESOURCE, mimic_env, run_python, system_assigned_vm


def compat(*clients, flow):
    def mark(test):
        for client in clients:
            test = pytest.mark.compat(client=client, flow=flow)(test)
        return test
    return mark


def chaos(mimic, *args):
    """`mimic chaos ARGS…`; returns its stdout, asserting success."""
    done = mimic.cli("chaos", *args)
    assert done.returncode == 0, (done.stdout, done.stderr)
    return done.stdout


def add_fault(mimic, *args):
    """`mimic chaos add ARGS…`; returns the fault's number."""
    return int(re.match(r"added #(\d+) ", chaos(mimic, "add", *args)).group(1))


def faults(mimic):
    """The `#N …` lines of `mimic chaos list`."""
    return [line for line in chaos(mimic, "list").splitlines() if line.startswith("#")]


GET_TOKEN = PRELUDE + r'''
from azure.identity import ManagedIdentityCredential
result = outcome(lambda: ManagedIdentityCredential().get_token("https://management.azure.com/.default").token)
result.pop("seconds")
if "ok" in result:
    result["ok"] = claims(result["ok"])["oid"]
print(json.dumps(result))
'''


@compat(IDENTITY, flow="ManagedIdentityCredential retries through IMDS's 410 window (mimic chaos) and gets a token")
def test_identity_credential_retries_through_an_imds_410_window(mimic):
    vm, principal_id = system_assigned_vm(mimic)
    # Azure's 70 s window, ended after two answers so that the client's 2.5-factor backoff (0 s, 5 s)
    # needs one more try rather than 75 s.
    fault = add_fault(mimic, vm, "imds", "410", "--for", "70s", "--count", "2")
    try:
        got = run_python(mimic, GET_TOKEN, vm=vm)
        left = faults(mimic)
    finally:
        chaos(mimic, "clear", str(fault))

    assert got == {"ok": principal_id}, got
    assert not [line for line in left if line.startswith(f"#{fault} ")], left  # both 410s were served


@compat(IDENTITY, flow="ManagedIdentityCredential surfaces a persistent IMDS 500 after its retries (mimic chaos)")
def test_identity_credential_surfaces_a_persistent_imds_500(mimic):
    vm, _ = system_assigned_vm(mimic)
    fault = add_fault(mimic, vm, "imds", "500")
    try:
        got = run_python(mimic, GET_TOKEN, vm=vm, timeout=180)
        struck = [line for line in faults(mimic) if line.startswith(f"#{fault} ")]
    finally:
        chaos(mimic, "clear", str(fault))

    # After its retries azure-identity reports IMDS's error JSON as "unavailable" (wire contract §2.2),
    # which lets DefaultAzureCredential move on to its next credential.
    assert got["type"] == "CredentialUnavailableError", got
    assert "Token request error: (unknown) Failed to retrieve token from the Active directory" in got["message"], got
    # The first try and azure-identity's five retries (retry_total=5), each answered 500.
    assert struck and struck[0].endswith(", 6 hits (mimic chaos)"), struck


@compat(AZ, flow="az login --identity under IMDS 429s (mimic chaos): fails with IMDS's error, then signs in")
def test_az_login_identity_fails_under_429s_and_signs_in_once_they_pass(mimic):
    vm, principal_id = system_assigned_vm(mimic)
    fault = add_fault(mimic, vm, "imds", "429", "--count", "2")
    try:
        # az sends one IMDS request per login and does not retry (wire contract §2.2).
        first = as_vm(mimic, vm, "login", "--identity", "--allow-no-subscriptions", "-o", "json")
        second = as_vm(mimic, vm, "login", "--identity", "--allow-no-subscriptions", "-o", "json")
        third = as_vm(mimic, vm, "login", "--identity", "--allow-no-subscriptions", "-o", "json")
        left = faults(mimic)
    finally:
        chaos(mimic, "clear", str(fault))

    fails(first, 1, "ERROR: Too many requests")
    fails(second, 1, "ERROR: Too many requests")
    accounts = ok_json(third)
    assert accounts[0]["user"] == {"assignedIdentityInfo": "MSI", "name": "systemAssignedIdentity",
                                   "type": "servicePrincipal"}, accounts
    assert not [line for line in left if line.startswith(f"#{fault} ")], left


# --- signing-key rollover, on a mimic of its own ----------------------------------------------------

@pytest.fixture(scope="module")
def own_mimic(tmp_path_factory):
    running = start_mimic(tmp_path_factory.mktemp("mimic-rollover"), "--aad-userrealm-addr", "")
    yield running
    stop_mimic(running)


READ_WITH = PRELUDE + r'''
from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential
from azure.mgmt.resource import ResourceManagementClient

class Held:
    """A credential that hands out a token obtained earlier (a client mid-run)."""
    def __init__(self, token):
        self.token = token
    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.token, int(time.time()) + 3000)

def read(credential):
    client = ResourceManagementClient(credential, SUBSCRIPTION, base_url=ARM)
    return outcome(lambda: client.resource_groups.get(GROUP).id)

fresh = ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                               os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                               disable_instance_discovery=True)
new = fresh.get_token("https://management.azure.com/.default").token
old = A.get("old") or new
result = {"token": new, "new": read(Held(new)), "old": read(Held(old))}
# With A["until_refused"], keep reading with the old token until ARM refuses it (bounded).
deadline = time.monotonic() + 60
while A.get("until_refused") and "ok" in result["old"] and time.monotonic() < deadline:
    time.sleep(0.5)
    result["old"] = read(Held(old))
for name in ("new", "old"):
    result[name].pop("seconds", None)
print(json.dumps(result))
'''


def kid(token):
    header = token.split(".")[0]
    return json.loads(__import__("base64").urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


@compat(IDENTITY, RESOURCE, flow="signing-key rollover mid-run: old and new tokens accepted in the grace period, "
                                 "the old one refused with 401 after it")
def test_rollover_mid_run_arm_accepts_both_keys_in_the_grace_period_then_refuses_the_old(own_mimic):
    mimic = own_mimic
    env = mimic_env(mimic)
    assert {"MIMIC_TENANT", "MIMIC_CLIENT_ID", "MIMIC_CLIENT_SECRET", "MIMIC_AAD"} <= set(env), env
    before = run_python(mimic, READ_WITH)
    old = before["token"]

    rolled = chaos(mimic, "rollover", "--grace", "4s")
    during = run_python(mimic, READ_WITH, args={"old": old})
    after = run_python(mimic, READ_WITH, args={"old": old, "until_refused": True})

    assert before["new"] == {"ok": mimic.group_id()}, before
    assert rolled.startswith(f"AAD signs with kid {kid(during['token'])}; kid {kid(old)} stays in the JWKS"), rolled
    assert kid(during["token"]) != kid(old)
    assert during["new"] == {"ok": mimic.group_id()}, during
    assert during["old"] == {"ok": mimic.group_id()}, during
    assert after["new"] == {"ok": mimic.group_id()}, after
    refused = after["old"]
    assert refused.get("status") == 401 and refused.get("code") == "InvalidAuthenticationToken", refused
