"""az by hand (no `mimic az`): cloud registration by endpoint discovery, service-principal sign-in and
tokens — the steps docs/azure-cli.md gives for users who configure az themselves (wire contract §5.2,
§6.2–§6.4)."""

import subprocess

import pytest

from conftest import client_env
from test_az_support import ARM_AUDIENCE, claims, compat, fails, ok, ok_json, token_keys


@pytest.fixture
def by_hand(mimic, tmp_path):
    """Runs the real az with a config dir of this test's own and only the CA trusted."""
    env = client_env(AZURE_CONFIG_DIR=str(tmp_path / "azure"), REQUESTS_CA_BUNDLE=mimic.ca)

    def run(*args, extra=None):
        return subprocess.run(["az", *args], capture_output=True, text=True, timeout=300,
                              env={**env, **(extra or {})})
    return run


def register(mimic, by_hand, name):
    ok(by_hand("config", "set", "core.instance_discovery=false", "core.collect_telemetry=false"))
    ok(by_hand("cloud", "register", "-n", name, "--endpoint-resource-manager", mimic.arm_url))
    ok(by_hand("cloud", "set", "-n", name))


@compat("cloud register by endpoint discovery")
def test_cloud_register_discovers_every_endpoint_az_needs(mimic, by_hand):
    register(mimic, by_hand, "MimicByHand")
    cloud = ok_json(by_hand("cloud", "show", "-o", "json"))
    assert cloud["name"] == "MimicByHand" and cloud["isActive"] is True
    endpoints = cloud["endpoints"]
    assert endpoints["resourceManager"] == mimic.arm_url
    assert endpoints["activeDirectory"] == mimic.aad_url
    assert endpoints["activeDirectoryResourceId"] == ARM_AUDIENCE
    assert endpoints["management"] == ARM_AUDIENCE
    # Graph: base URL and token audience are both this value; the Graph subset is served at {aad}/v1.0/…
    assert endpoints["microsoftGraphResourceId"] == mimic.aad_url + "/"
    assert endpoints["activeDirectoryGraphResourceId"] == mimic.aad_url + "/"


@compat("cloud metadata array form (ARM_CLOUD_METADATA_URL)")
def test_cloud_metadata_url_lists_the_mimic_cloud(mimic, by_hand):
    metadata = {"ARM_CLOUD_METADATA_URL": f"{mimic.arm_url}/metadata/endpoints?api-version=2019-05-01",
                "SSL_CERT_FILE": mimic.ca}
    clouds = ok_json(by_hand("cloud", "list", "-o", "json", extra=metadata))
    assert [c["name"] for c in clouds] == ["Mimic"], clouds
    assert clouds[0]["endpoints"]["activeDirectory"] == mimic.aad_url


@compat("az login --service-principal")
def test_service_principal_login_tokens_and_a_read(mimic, by_hand):
    register(mimic, by_hand, "MimicByHand")
    operator = mimic.operator
    wrong = by_hand("login", "--service-principal", "-u", operator["client_id"], "-p", "not-the-secret",
                    "--tenant", mimic.tenant)
    fails(wrong, 1, "ERROR: AADSTS7000215: Invalid client secret provided.")

    accounts = ok_json(by_hand("login", "--service-principal", "-u", operator["client_id"],
                               "-p", operator["client_secret"], "--tenant", mimic.tenant, "-o", "json"))
    assert accounts == [{
        "cloudName": "MimicByHand", "homeTenantId": mimic.tenant, "id": mimic.subscription, "isDefault": True,
        "managedByTenants": [], "name": accounts[0]["name"], "state": "Enabled", "tenantId": mimic.tenant,
        "user": {"name": operator["client_id"], "type": "servicePrincipal"}}]

    arm = ok_json(by_hand("account", "get-access-token", "-o", "json"))
    assert set(arm) == token_keys() and arm["tokenType"] == "Bearer"
    assert (arm["subscription"], arm["tenant"]) == (mimic.subscription, mimic.tenant)
    token = claims(arm["accessToken"])
    assert (token["aud"], token["appid"], token["oid"], token["tid"]) == (
        ARM_AUDIENCE, operator["client_id"], operator["object_id"], mimic.tenant)
    # az computes expires_on as its own clock + expires_in (an integer from AAD).
    assert abs(arm["expires_on"] - token["exp"]) <= 5

    graph = ok_json(by_hand("account", "get-access-token", "--resource-type", "ms-graph", "-o", "json"))
    assert claims(graph["accessToken"])["aud"] == mimic.aad_url + "/"

    group = ok_json(by_hand("group", "show", "-n", mimic.group, "-o", "json"))
    assert group["id"] == mimic.group_id()
