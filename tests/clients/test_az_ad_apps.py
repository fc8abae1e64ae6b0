"""Issue 14 item 3 through the real az 2.91.0: `az ad app …`, `az ad sp …` and `az ad sp create-for-rbac`
(plain, `--role … --scopes …`, `--create-cert --years`, `--json-auth`), then `az login --service-principal`
with what create-for-rbac printed — 403 on an ARM read before the role, 200 after it."""

import json
import subprocess
import uuid

import pytest
import requests

from conftest import client_env
from test_az_support import compat, fails, ok, ok_json, op, unique


@pytest.fixture
def fresh_az(mimic, tmp_path):
    """The real az with a config dir of its own (nobody signed in), the mimic cloud registered and set."""
    env = client_env(AZURE_CONFIG_DIR=str(tmp_path / "azure"), REQUESTS_CA_BUNDLE=mimic.ca,
                     SSL_CERT_FILE=mimic.ca, AZURE_CORE_INSTANCE_DISCOVERY="false",
                     AZURE_CORE_COLLECT_TELEMETRY="false", AZURE_CORE_USE_MSAL_HTTP_CACHE="false")

    def run(*args):
        return subprocess.run(["az", *args], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    ok(run("cloud", "register", "-n", "Mimic", "--endpoint-resource-manager", mimic.arm_url))
    ok(run("cloud", "set", "-n", "Mimic"))
    return run


def group_url(mimic):
    return f"{mimic.arm_url}{mimic.group_id()}?api-version=2024-11-01"


@compat("az ad app create/list/show/update/delete")
def test_app_create_list_show_update_delete(mimic):
    name = unique("orders-api")
    uri = f"api://{name}"

    app = op(mimic, "ad", "app", "create", "--display-name", name, "--identifier-uris", uri)
    app_id = app["appId"]

    assert (app["displayName"], app["identifierUris"], app["signInAudience"]) == (
        name, [uri], "AzureADandPersonalMicrosoftAccount"), app
    assert [a["appId"] for a in op(mimic, "ad", "app", "list", "--display-name", name)] == [app_id]
    assert [a["id"] for a in op(mimic, "ad", "app", "list", "--app-id", app_id)] == [app["id"]]
    assert [a["appId"] for a in op(mimic, "ad", "app", "list", "--identifier-uri", uri)] == [app_id]
    assert op(mimic, "ad", "app", "show", "--id", uri)["id"] == app["id"]
    # Creating again with the same name patches the existing application (az's idempotence).
    again = op(mimic, "ad", "app", "create", "--display-name", name, "--identifier-uris", uri)
    assert again["id"] == app["id"], again

    assert ok(mimic.az("ad", "app", "update", "--id", app_id, "--requested-access-token-version", "1")) == ""
    shown = op(mimic, "ad", "app", "show", "--id", app_id)
    assert shown["api"]["requestedAccessTokenVersion"] == 1, shown

    assert ok(mimic.az("ad", "app", "delete", "--id", app_id)) == ""
    fails(mimic.az("ad", "app", "show", "--id", app["id"]), 3, "does not exist")
    assert op(mimic, "ad", "app", "list", "--display-name", name) == []

    # A soft delete: the application waits in Graph's deleted items, and a restore (az has no
    # command for it: az rest) brings it back with its identifier URI.
    deleted_items = f"{mimic.aad_url}/v1.0/directory/deletedItems"
    waiting = op(mimic, "rest", "--method", "GET", "--url", f"{deleted_items}/microsoft.graph.application")
    shown = next(a for a in waiting["value"] if a["id"] == app["id"])
    assert (shown["@odata.type"], shown["appId"]) == ("#microsoft.graph.application", app_id), shown
    assert shown["deletedDateTime"], shown
    restored = op(mimic, "rest", "--method", "POST", "--url", f"{deleted_items}/{app['id']}/restore")
    assert (restored["id"], restored["identifierUris"], restored["deletedDateTime"]) == (app["id"], [uri], None), restored
    assert op(mimic, "ad", "app", "show", "--id", uri)["appId"] == app_id
    assert ok(mimic.az("ad", "app", "delete", "--id", app_id)) == ""


@compat("az ad app credential reset/list/delete (secrets, --append, --create-cert)")
def test_app_credential_reset_list_delete(mimic):
    app = op(mimic, "ad", "app", "create", "--display-name", unique("creds"))
    app_id = app["appId"]

    first = op(mimic, "ad", "app", "credential", "reset", "--id", app_id)
    second = op(mimic, "ad", "app", "credential", "reset", "--id", app_id, "--append", "--display-name", "ci")
    listed = op(mimic, "ad", "app", "credential", "list", "--id", app_id)

    assert set(first) == {"appId", "password", "tenant"} and first["appId"] == app_id, first
    assert first["tenant"] == mimic.tenant
    assert len(second["password"]) == 40 and second["password"] != first["password"]
    assert len(listed) == 2, listed
    assert all(c["secretText"] is None for c in listed), listed
    assert {c["hint"] for c in listed} == {first["password"][:3], second["password"][:3]}
    ci = next(c for c in listed if c["displayName"] == "ci")
    assert ok(mimic.az("ad", "app", "credential", "delete", "--id", app_id, "--key-id", ci["keyId"])) == ""
    assert [c["keyId"] for c in op(mimic, "ad", "app", "credential", "list", "--id", app_id)] != [ci["keyId"]]
    assert len(op(mimic, "ad", "app", "credential", "list", "--id", app_id)) == 1

    cert = op(mimic, "ad", "app", "credential", "reset", "--id", app_id, "--create-cert", "--append")
    keys = op(mimic, "ad", "app", "credential", "list", "--id", app_id, "--cert")
    assert cert["password"] is None and cert["fileWithCertAndPrivateKey"].endswith(".pem"), cert
    assert [(k["type"], k["usage"], k["key"]) for k in keys] == [("AsymmetricX509Cert", "Verify", None)], keys


@compat("az ad sp create/show/list/credential reset/delete")
def test_sp_create_show_list_credential_reset_delete(mimic):
    name = unique("worker")
    app = op(mimic, "ad", "app", "create", "--display-name", name)
    app_id = app["appId"]

    sp = op(mimic, "ad", "sp", "create", "--id", app_id)

    assert (sp["appId"], sp["displayName"], sp["servicePrincipalType"]) == (app_id, name, "Application"), sp
    assert op(mimic, "ad", "sp", "show", "--id", app_id)["id"] == sp["id"]
    assert [s["id"] for s in op(mimic, "ad", "sp", "list", "--display-name", name)] == [sp["id"]]
    fails(mimic.az("ad", "sp", "create", "--id", app_id), 1, "already in use")

    reset = op(mimic, "ad", "sp", "credential", "reset", "--id", app_id)
    token = requests.post(f"{mimic.aad_url}/{mimic.tenant}/oauth2/v2.0/token", verify=mimic.ca, timeout=30, data={
        "grant_type": "client_credentials", "client_id": app_id, "client_secret": reset["password"],
        "scope": "https://management.azure.com/.default"})
    assert token.status_code == 200, token.text

    assert ok(mimic.az("ad", "sp", "delete", "--id", app_id)) == ""
    fails(mimic.az("ad", "sp", "show", "--id", app_id), 3, "does not exist")
    assert op(mimic, "ad", "app", "show", "--id", app_id)["appId"] == app_id
    fails(mimic.az("ad", "sp", "create", "--id", str(uuid.uuid4())), 1, "does not reference a valid application object")


@compat("az ad sp create-for-rbac, az login --service-principal with its output: 403, then --role Reader --scopes <group>: 200")
def test_create_for_rbac_then_login_reads_only_after_the_role(mimic, fresh_az):
    name = unique("ci-deployer")

    plain = op(mimic, "ad", "sp", "create-for-rbac", "--display-name", name)

    assert set(plain) == {"appId", "displayName", "password", "tenant"}, plain
    assert (plain["displayName"], plain["tenant"]) == (name, mimic.tenant), plain
    ok(fresh_az("login", "--service-principal", "-u", plain["appId"], "-p", plain["password"],
                "--tenant", plain["tenant"], "--allow-no-subscriptions", "-o", "json"))
    # Signed in, but no role: the token az holds reads nothing (az rest needs a subscription in the
    # profile, so the read goes through requests with az's own token).
    token = ok_json(fresh_az("account", "get-access-token", "-o", "json"))["accessToken"]
    denied = requests.get(group_url(mimic), headers={"Authorization": f"Bearer {token}"}, verify=mimic.ca,
                          timeout=30)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed", denied.text

    granted = op(mimic, "ad", "sp", "create-for-rbac", "--display-name", name, "--role", "Reader",
                 "--scopes", mimic.group_id())

    assert granted["appId"] == plain["appId"] and granted["password"] != plain["password"], granted
    accounts = ok_json(fresh_az("login", "--service-principal", "-u", granted["appId"], "-p", granted["password"],
                                "--tenant", granted["tenant"], "-o", "json"))
    assert [a["id"] for a in accounts] == [mimic.subscription], accounts
    assert accounts[0]["user"] == {"name": granted["appId"], "type": "servicePrincipal"}, accounts
    group = ok_json(fresh_az("group", "show", "-n", mimic.group, "-o", "json"))
    assert group["name"] == mimic.group, group
    token = ok_json(fresh_az("account", "get-access-token", "-o", "json"))["accessToken"]
    read = requests.get(group_url(mimic), headers={"Authorization": f"Bearer {token}"}, verify=mimic.ca, timeout=30)
    assert read.status_code == 200, read.text
    # The old secret was replaced, as in Azure (asked directly: az would answer from MSAL's cache).
    old = requests.post(f"{mimic.aad_url}/{mimic.tenant}/oauth2/v2.0/token", verify=mimic.ca, timeout=30, data={
        "grant_type": "client_credentials", "client_id": plain["appId"], "client_secret": plain["password"],
        "scope": "https://management.azure.com/.default"})
    assert old.status_code == 401 and "AADSTS7000215" in old.json()["error_description"], old.text
    assignments = op(mimic, "role", "assignment", "list", "--assignee", granted["appId"], "--all")
    assert [(a["roleDefinitionName"], a["scope"].lower()) for a in assignments] == [
        ("Reader", mimic.group_id().lower())], assignments


@compat("az ad sp create-for-rbac --create-cert --years; az login --service-principal --certificate")
def test_create_for_rbac_with_a_certificate_logs_in_with_it(mimic, fresh_az):
    name = unique("cert-deployer")

    created = op(mimic, "ad", "sp", "create-for-rbac", "--display-name", name, "--create-cert", "--years", "2",
                 "--role", "Reader", "--scopes", mimic.group_id())

    assert created["password"] is None and created["fileWithCertAndPrivateKey"].endswith(".pem"), created
    keys = op(mimic, "ad", "app", "credential", "list", "--id", created["appId"], "--cert")
    assert len(keys) == 1 and keys[0]["displayName"] == "CN=CLI-Login", keys
    assert int(keys[0]["endDateTime"][:4]) - int(keys[0]["startDateTime"][:4]) == 2, keys
    accounts = ok_json(fresh_az("login", "--service-principal", "-u", created["appId"], "--certificate",
                                created["fileWithCertAndPrivateKey"], "--tenant", created["tenant"], "-o", "json"))
    assert [a["id"] for a in accounts] == [mimic.subscription], accounts
    assert ok_json(fresh_az("group", "show", "-n", mimic.group, "-o", "json"))["name"] == mimic.group


@compat("az ad sp create-for-rbac --json-auth")
def test_create_for_rbac_json_auth_prints_credentials_that_work(mimic):
    done = mimic.az("ad", "sp", "create-for-rbac", "--display-name", unique("sdk-auth"), "--role", "Reader",
                    "--scopes", mimic.group_id(), "--json-auth")

    auth = json.loads(ok(done))
    assert auth["subscriptionId"] == mimic.subscription and auth["tenantId"] == mimic.tenant, auth
    assert auth["resourceManagerEndpointUrl"].rstrip("/") == mimic.arm_url.rstrip("/"), auth
    token = requests.post(f"{mimic.aad_url}/{mimic.tenant}/oauth2/v2.0/token", verify=mimic.ca, timeout=30, data={
        "grant_type": "client_credentials", "client_id": auth["clientId"], "client_secret": auth["clientSecret"],
        "scope": "https://management.azure.com/.default"}).json()["access_token"]
    assert mimic.arm("GET", f"{mimic.group_id()}?api-version=2024-11-01", token=token).status_code == 200
