"""az signed in as a user: `az login -u USER -p PASSWORD` (ROPC through MSAL's public client, the
Azure CLI app id) against mimic's fixture users, with a config dir of the test's own. The admin has
Owner on the subscription (a User role assignment in the fixture); the learner has no role, so az
behaves as against Azure for a user without subscriptions. See docs/users-and-sign-in.md."""

import subprocess

import pytest
import requests

from conftest import client_env
from test_az_support import ARM_AUDIENCE, claims, describe, fails, ok, ok_json

ADMIN = "admin@mimic.onmicrosoft.com"
ADMIN_PASSWORD = "Mimic-Admin-1!"
ADMIN_ID = "ad000000-0000-4000-8000-00000000a001"
LEARNER = "learner@mimic.onmicrosoft.com"
LEARNER_PASSWORD = "Mimic-Learner-1!"

ROPC = pytest.mark.compat(client="az 2.91.0", flow="az login -u USER -p PASSWORD (ROPC)")


@pytest.fixture(scope="module")
def aad_on_443(mimic):
    """MSAL drops the authority's port for user realm discovery (msal/authority.py ›
    `user_realm_discovery` uses the host name only), so `az login -u` asks
    https://127.0.0.1:443/common/userrealm/… . `mimic up` therefore also serves AAD on 127.0.0.1:443
    (`--aad-userrealm-addr`, best effort); inside the suite's namespace it can always bind it."""
    reply = requests.get(f"https://127.0.0.1/common/userrealm/{ADMIN}?api-version=1.0", verify=mimic.ca, timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.json()["account_type"] == "Managed", reply.text


@pytest.fixture
def user_az(mimic, tmp_path, aad_on_443):
    """The real az with a fresh config dir, the CA trusted, and the mimic cloud registered and set."""
    env = client_env(AZURE_CONFIG_DIR=str(tmp_path / "azure"), REQUESTS_CA_BUNDLE=mimic.ca,
                     SSL_CERT_FILE=mimic.ca, AZURE_CORE_INSTANCE_DISCOVERY="false",
                     AZURE_CORE_COLLECT_TELEMETRY="false", AZURE_CORE_USE_MSAL_HTTP_CACHE="false")

    def run(*args):
        return subprocess.run(["az", *args], capture_output=True, text=True, timeout=300, env=env)
    ok(run("cloud", "register", "-n", "Mimic", "--endpoint-resource-manager", mimic.arm_url))
    ok(run("cloud", "set", "-n", "Mimic"))
    return run


@ROPC
def test_admin_logs_in_with_a_password_and_reads_the_group(mimic, user_az):
    accounts = ok_json(user_az("login", "-u", ADMIN, "-p", ADMIN_PASSWORD, "-o", "json"))
    assert [a["id"] for a in accounts] == [mimic.subscription], accounts

    account = ok_json(user_az("account", "show", "-o", "json"))
    assert account["user"] == {"name": ADMIN, "type": "user"}, account
    assert account["tenantId"] == mimic.tenant
    group = ok_json(user_az("group", "show", "-n", mimic.group, "-o", "json"))
    assert group["name"] == mimic.group
    token = ok_json(user_az("account", "get-access-token", "-o", "json"))
    payload = claims(token["accessToken"])
    assert payload["aud"] == ARM_AUDIENCE and payload["oid"] == ADMIN_ID, payload
    assert payload["upn"] == ADMIN and payload["idtyp"] == "user", payload


@ROPC
def test_learner_without_roles_gets_no_subscriptions_unless_allowed(mimic, user_az):
    done = user_az("login", "-u", LEARNER, "-p", LEARNER_PASSWORD)
    fails(done, 1, f"No subscriptions found for {LEARNER}.")

    accounts = ok_json(user_az("login", "-u", LEARNER, "-p", LEARNER_PASSWORD,
                               "--allow-no-subscriptions", "-o", "json"))
    assert [a["tenantId"] for a in accounts] == [mimic.tenant], accounts
    assert accounts[0]["user"] == {"name": LEARNER, "type": "user"}, accounts
    denied = user_az("group", "show", "-n", mimic.group)
    assert denied.returncode != 0, describe(denied)


@ROPC
def test_wrong_password_fails_with_aadsts50126(mimic, user_az):
    done = user_az("login", "-u", ADMIN, "-p", "not-the-password")
    fails(done, 1, "AADSTS50126")
