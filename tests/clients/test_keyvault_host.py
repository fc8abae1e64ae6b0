"""Key Vault secrets from the host, as docs/key-vault.md tells a user to set it up (issue 16, "Host mode
as documented, with each SDK's documented option").

On the host a vault is `https://{vault}.vault.mimic.test:{ARM port}/`. Nothing resolves those names
but a hosts entry, so each client here runs exactly as the documentation says: `mimic hosts --write`
maintains the vaults' block in a hosts file, and the client runs where that file is `/etc/hosts` — a
nested mount namespace (inside the suite's loopback-only network namespace) with a private copy of
the machine's hosts file bind-mounted over it. The real /etc/hosts is never touched.

az is configured as the other "by hand" az tests configure it (its own config dir, `az cloud register`
by endpoint discovery) plus the documented `--suffix-keyvault-dns .vault.mimic.test:{port}`: az builds
a vault's URL as `https://{name}{suffix}`, so the port rides on the suffix and `--vault-name` works.
az's Key Vault clients already skip the challenge-resource check (`verify_challenge_resource=False`).
The Python SDK gets the documented `verify_challenge_resource=False`: Key Vault's challenge names
`https://vault.azure.net`, and the SDK otherwise refuses a vault whose host is not under that domain.
Node's and Rust's clients get their own documented options (`disableChallengeResourceVerification: true`,
`SecretClientOptions { verify_challenge_resource: Some(false), .. }`) and a ClientSecretCredential
pointed at mimic's AAD; they are the sandbox tests' programs (tests/clients/node/kv_secret.cjs,
tests/clients/rust/src/kv_secret.rs) in their host mode. Each SDK's test without its option asserts
the SDK's own refusal.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import uuid
from importlib.metadata import version
from urllib.parse import urlparse

import pytest

from conftest import client_env
from test_az_support import AZ, describe, fails, ok, ok_json, op
from test_keyvault_sandbox import (NODE_CLIENT, RUST_CLIENT, assert_forbidden_by_rbac, grant_secrets_user,
                                   rbac_vault_with_secret)

SECRETS = f"azure-keyvault-secrets {version('azure-keyvault-secrets')}"
IDENTITY = f"azure-identity {version('azure-identity')}"
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
KEY_VAULT_API_VERSION = "2023-07-01"
HOST_FLOW = "host mode (mimic hosts --write, vault.mimic.test:{port})"


def az_compat(flow):
    return pytest.mark.compat(client=AZ, flow=f"{HOST_FLOW}: {flow}")


def sdk_compat(client, flow):
    return pytest.mark.compat(client=client, flow=f"{HOST_FLOW}: {flow}")


def vault_name():
    return "kh-" + uuid.uuid4().hex[:12]


def arm_port(mimic):
    return urlparse(mimic.arm_url).port


def vault_url(mimic, name):
    return f"https://{name}.vault.mimic.test:{arm_port(mimic)}/"


def create_vault(mimic, rbac=True, policies=()):
    """A vault made over ARM REST (setup, not under test); returns its ARM body."""
    name = vault_name()
    body = {"location": "eastus", "properties": {
        "tenantId": mimic.tenant, "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": rbac, "accessPolicies": list(policies)}}
    path = f"{mimic.group_id()}/providers/Microsoft.KeyVault/vaults/{name}?api-version={KEY_VAULT_API_VERSION}"
    reply = mimic.arm("PUT", path, body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def operator_policy(mimic):
    return {"tenantId": mimic.tenant, "objectId": mimic.operator["object_id"],
            "permissions": {"secrets": ["all"]}}


class Host:
    """Runs commands on "the host" as docs/key-vault.md sets it up: a private copy of /etc/hosts whose
    mimic block `mimic hosts --write` keeps current, bind-mounted over /etc/hosts in a nested mount
    namespace for each command."""

    def __init__(self, mimic, tmp_path):
        self.mimic = mimic
        self.hosts = tmp_path / "hosts"
        shutil.copy("/etc/hosts", self.hosts)

    def refresh(self):
        """The documented step: `mimic hosts --write FILE` (FILE being /etc/hosts for a user)."""
        done = self.mimic.cli("hosts", "--write", str(self.hosts))
        assert done.returncode == 0, describe(done)

    def run(self, *command, env, timeout=300):
        self.refresh()
        mount = 'mount --bind "$0" /etc/hosts && exec "$@"'
        return subprocess.run(["unshare", "--mount", "--", "sh", "-c", mount, str(self.hosts), *command],
                              capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def host(mimic, tmp_path):
    return Host(mimic, tmp_path)


class Az:
    """The real az with a config dir of its own: mimic's cloud registered by endpoint discovery with the
    documented Key Vault suffix (port included), signed in as `client_id`."""

    def __init__(self, mimic, host, config_dir, client_id, secret, allow_no_subscriptions=False):
        self.host = host
        self.env = client_env(AZURE_CONFIG_DIR=str(config_dir), REQUESTS_CA_BUNDLE=mimic.ca,
                              AZURE_CORE_INSTANCE_DISCOVERY="false", AZURE_CORE_COLLECT_TELEMETRY="false",
                              AZURE_CORE_USE_MSAL_HTTP_CACHE="false")
        suffix = f".vault.mimic.test:{arm_port(mimic)}"
        ok(self.plain("cloud", "register", "-n", "MimicHost", "--endpoint-resource-manager", mimic.arm_url,
                      "--suffix-keyvault-dns", suffix))
        ok(self.plain("cloud", "set", "-n", "MimicHost"))
        extra = ["--allow-no-subscriptions"] if allow_no_subscriptions else []
        ok(self.plain("login", "--service-principal", "-u", client_id, "-p", secret, "--tenant", mimic.tenant,
                      *extra, "-o", "none"))

    def plain(self, *args):
        """az on this machine's own /etc/hosts (no vault name needed)."""
        return subprocess.run(["az", *args], capture_output=True, text=True, timeout=300, env=self.env)

    def __call__(self, *args):
        """az on the host set up as documented (the vaults' hosts entries in place)."""
        return self.host.run("az", *args, env=self.env)

    def json(self, *args):
        return ok_json(self(*args, "-o", "json"))


@pytest.fixture
def operator_az(mimic, host, tmp_path):
    operator = mimic.operator
    return Az(mimic, host, tmp_path / "az-operator", operator["client_id"], operator["client_secret"])


def test_mimic_hosts_write_makes_the_vault_names_resolve_to_arms_listener(mimic, host):
    vault = create_vault(mimic)["name"]
    resolve = ("import json, socket, sys; "
               "print(json.dumps(sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[1], 443)})))")

    done = host.run(sys.executable, "-c", resolve, f"{vault}.vault.mimic.test", env=client_env())

    assert json.loads(ok(done)) == ["127.0.0.1"]
    text = host.hosts.read_text()
    assert f"{vault}.vault.mimic.test" in text.split("# mimic key vaults begin\n", 1)[1], text
    # Outside the nested namespace nothing changed: the name does not resolve on this machine.
    plain = subprocess.run([sys.executable, "-c", resolve, f"{vault}.vault.mimic.test"], capture_output=True,
                           text=True, env=client_env())
    assert plain.returncode != 0 and "gaierror" in plain.stderr, describe(plain)


@az_compat("az keyvault secret set/show/list/list-versions/set-attributes (disabled → 403 SecretDisabled), "
           "bad name → BadParameter")
def test_az_secret_set_show_list_versions_and_a_disabled_secret(mimic, operator_az):
    vault = create_vault(mimic)
    name = vault["name"]
    assert vault["properties"]["vaultUri"] == vault_url(mimic, name)
    # RBAC vault: the operator (Owner) holds no data action until it has a Key Vault data role.
    denied = operator_az("keyvault", "secret", "set", "--vault-name", name, "-n", "app-secret", "--value", "one")
    fails(denied, 1, "(Forbidden)", "ForbiddenByRbac")
    mimic.grant(mimic.operator["object_id"], scope=vault["id"], role=SECRETS_OFFICER)

    first = operator_az.json("keyvault", "secret", "set", "--vault-name", name, "-n", "app-secret",
                             "--value", "one", "--content-type", "text/plain", "--tags", "env=host")
    second = operator_az.json("keyvault", "secret", "set", "--vault-name", name, "-n", "app-secret",
                              "--value", "two")
    shown = operator_az.json("keyvault", "secret", "show", "--vault-name", name, "-n", "app-secret")
    listed = operator_az.json("keyvault", "secret", "list", "--vault-name", name)
    versions = operator_az.json("keyvault", "secret", "list-versions", "--vault-name", name, "-n", "app-secret")
    by_id = operator_az.json("keyvault", "secret", "show", "--id", first["id"])

    base = f"{vault_url(mimic, name)}secrets/app-secret/"
    assert first["id"].startswith(base) and second["id"].startswith(base), (first, second)
    # az adds a `file-encoding` tag of its own to every secret it sets.
    assert (first["contentType"], first["tags"]) == ("text/plain", {"env": "host", "file-encoding": "utf-8"}), first
    assert (shown["id"], shown["value"]) == (second["id"], "two"), shown
    assert [s["id"] for s in listed] == [f"{vault_url(mimic, name)}secrets/app-secret"], listed
    assert "value" not in listed[0], listed
    assert sorted(v["id"] for v in versions) == sorted([first["id"], second["id"]]), versions
    assert by_id["value"] == "one", by_id

    disabled = operator_az.json("keyvault", "secret", "set-attributes", "--vault-name", name, "-n", "app-secret",
                                "--enabled", "false")
    assert disabled["attributes"]["enabled"] is False, disabled
    fails(operator_az("keyvault", "secret", "show", "--vault-name", name, "-n", "app-secret"), 1,
          "(Forbidden) Operation get is not allowed on a disabled secret.", "SecretDisabled")

    bad = operator_az("keyvault", "secret", "set", "--vault-name", name, "-n", "bad_name!", "--value", "x")
    fails(bad, 1, "(BadParameter)")
    names = [s["id"].rsplit("/", 1)[1] for s in operator_az.json("keyvault", "secret", "list", "--vault-name", name)]
    assert names == ["app-secret"], names


@az_compat("az keyvault secret delete/list-deleted/recover/purge")
def test_az_secret_soft_delete_recover_and_purge(mimic, operator_az):
    vault = create_vault(mimic)
    name = vault["name"]
    mimic.grant(mimic.operator["object_id"], scope=vault["id"], role=SECRETS_OFFICER)
    operator_az.json("keyvault", "secret", "set", "--vault-name", name, "-n", "db-password", "--value", "s3cret")

    deleted = operator_az.json("keyvault", "secret", "delete", "--vault-name", name, "-n", "db-password")
    assert deleted["recoveryId"] == f"{vault_url(mimic, name)}deletedsecrets/db-password", deleted
    listed = operator_az.json("keyvault", "secret", "list-deleted", "--vault-name", name)
    assert [d["recoveryId"] for d in listed] == [deleted["recoveryId"]], listed
    # az exits 3 for a resource that is not there.
    fails(operator_az("keyvault", "secret", "show", "--vault-name", name, "-n", "db-password"), 3,
          "(SecretNotFound)")
    fails(operator_az("keyvault", "secret", "set", "--vault-name", name, "-n", "db-password", "--value", "x"), 1,
          "(Conflict)", "ObjectIsDeletedButRecoverable")

    recovered = operator_az.json("keyvault", "secret", "recover", "--vault-name", name, "-n", "db-password")
    assert recovered["id"].startswith(f"{vault_url(mimic, name)}secrets/db-password/"), recovered
    assert operator_az.json("keyvault", "secret", "show", "--vault-name", name, "-n", "db-password")["value"] == "s3cret"
    assert operator_az.json("keyvault", "secret", "list-deleted", "--vault-name", name) == []

    operator_az.json("keyvault", "secret", "delete", "--vault-name", name, "-n", "db-password")
    ok(operator_az("keyvault", "secret", "purge", "--vault-name", name, "-n", "db-password"))
    assert operator_az.json("keyvault", "secret", "list-deleted", "--vault-name", name) == []
    again = operator_az.json("keyvault", "secret", "set", "--vault-name", name, "-n", "db-password", "--value", "new")
    assert again["value"] == "new", again


@az_compat("access-policy vault: az keyvault set-policy --secret-permissions get → the principal reads; "
           "delete-policy → 403 AccessDenied")
def test_az_access_policy_grants_then_revokes_a_service_principals_read(mimic, host, operator_az, tmp_path):
    vault = create_vault(mimic, rbac=False, policies=[operator_policy(mimic)])
    name = vault["name"]
    operator_az.json("keyvault", "secret", "set", "--vault-name", name, "-n", "api-key", "--value", "k-123")
    principal = op(mimic, "ad", "sp", "create-for-rbac", "--display-name", f"kv-reader-{uuid.uuid4().hex[:6]}")
    object_id = op(mimic, "ad", "sp", "show", "--id", principal["appId"])["id"]
    reader = Az(mimic, host, tmp_path / "az-reader", principal["appId"], principal["password"],
                allow_no_subscriptions=True)

    def read():
        return reader("keyvault", "secret", "show", "--vault-name", name, "-n", "api-key", "-o", "json")

    fails(read(), 1, "(Forbidden)", "AccessDenied")
    granted = operator_az.json("keyvault", "set-policy", "--name", name, "--object-id", object_id,
                               "--secret-permissions", "get")
    assert object_id in [p["objectId"] for p in granted["properties"]["accessPolicies"]], granted
    assert json.loads(ok(read()))["value"] == "k-123"
    # `get` alone: listing is still refused.
    fails(reader("keyvault", "secret", "list", "--vault-name", name), 1, "(Forbidden)", "AccessDenied")

    operator_az.json("keyvault", "delete-policy", "--name", name, "--object-id", object_id)
    fails(read(), 1, "(Forbidden)", "AccessDenied")


# --- azure-keyvault-secrets ------------------------------------------------------------------------

PRELUDE = r'''
import json, os, sys
from azure.keyvault.secrets import SecretClient

def outcome(call):
    try:
        return {"ok": call()}
    except Exception as error:
        failure = {"type": type(error).__name__, "message": str(error)}
        if getattr(error, "status_code", None) is not None:
            failure["status"] = error.status_code
        if getattr(error, "error", None) is not None:
            failure["code"] = error.error.code
        return failure

def secret_credential():
    from azure.identity import ClientSecretCredential
    return ClientSecretCredential(os.environ["MIMIC_TENANT"], os.environ["MIMIC_CLIENT_ID"],
                                  os.environ["MIMIC_CLIENT_SECRET"], authority=os.environ["MIMIC_AAD"],
                                  disable_instance_discovery=True)
'''

# The documented host setup: ClientSecretCredential with mimic's authority, and the client's
# verify_challenge_resource=False.
LIFECYCLE = PRELUDE + r'''
client = SecretClient(os.environ["VAULT_URL"], secret_credential(), verify_challenge_resource=False)
name = sys.argv[1]
result = {}
first = client.set_secret(name, "one", content_type="text/plain", tags={"env": "host"})
second = client.set_secret(name, "two")
result["id"] = second.id
result["get"] = client.get_secret(name).value
result["first"] = client.get_secret(name, first.properties.version).value
result["content_type"] = client.get_secret(name, first.properties.version).properties.content_type
result["versions"] = sorted(p.version for p in client.list_properties_of_secret_versions(name))
result["expected_versions"] = sorted([first.properties.version, second.properties.version])
result["listed"] = [p.name for p in client.list_properties_of_secrets()]
backup = client.backup_secret(name)

deleted = client.begin_delete_secret(name).result()
result["deleted"] = {"name": deleted.name, "recovery_id": deleted.recovery_id}
result["deleted_listed"] = [d.name for d in client.list_deleted_secrets()]
result["get_deleted"] = outcome(lambda: client.get_secret(name).value)
client.begin_recover_deleted_secret(name).result()
result["recovered"] = client.get_secret(name).value

client.begin_delete_secret(name).wait()
client.purge_deleted_secret(name)
result["after_purge"] = [d.name for d in client.list_deleted_secrets()]
restored = client.restore_secret_backup(backup)
result["restored"] = {"name": restored.name, "value": client.get_secret(name).value,
                      "versions": sorted(p.version for p in client.list_properties_of_secret_versions(name))}
result["bad_name"] = outcome(lambda: client.set_secret("bad_name!", "x").id)
print(json.dumps(result))
'''

CLI_CREDENTIAL = PRELUDE + r'''
from azure.identity import AzureCliCredential
client = SecretClient(os.environ["VAULT_URL"], AzureCliCredential(), verify_challenge_resource=False)
print(json.dumps(outcome(lambda: client.get_secret(sys.argv[1]).value)))
'''

WITHOUT_OPTION = PRELUDE + r'''
client = SecretClient(os.environ["VAULT_URL"], secret_credential())
print(json.dumps(outcome(lambda: client.get_secret(sys.argv[1]).value)))
'''


def mimic_env(mimic, **extra):
    """A client's environment after `eval "$(mimic env)"` (the operator's credentials unless `extra`
    names others), plus `extra`."""
    return client_env(**{"MIMIC_AAD": mimic.aad_url, "MIMIC_TENANT": mimic.tenant,
                         "MIMIC_CLIENT_ID": mimic.operator["client_id"],
                         "MIMIC_CLIENT_SECRET": mimic.operator["client_secret"], **extra})


def python_on_host(mimic, host, code, vault, *args, **extra):
    env = mimic_env(mimic, REQUESTS_CA_BUNDLE=mimic.ca, VAULT_URL=vault_url(mimic, vault), **extra)
    done = host.run(sys.executable, "-c", code, *args, env=env)
    return json.loads(ok(done).strip().splitlines()[-1])


@sdk_compat(SECRETS, "SecretClient(verify_challenge_resource=False): set/get/versions/list, delete and recover "
                     "pollers, purge, backup/restore, bad name → BadParameter")
@sdk_compat(IDENTITY, "ClientSecretCredential (authority, disable_instance_discovery) → Key Vault's challenge")
def test_python_secret_client_lifecycle_with_the_documented_option(mimic, host):
    vault = create_vault(mimic)
    mimic.grant(mimic.operator["object_id"], scope=vault["id"], role=SECRETS_OFFICER)

    result = python_on_host(mimic, host, LIFECYCLE, vault["name"], "app-secret")

    url = vault_url(mimic, vault["name"])
    assert result["id"].startswith(f"{url}secrets/app-secret/"), result
    assert (result["get"], result["first"], result["content_type"]) == ("two", "one", "text/plain"), result
    assert result["versions"] == result["expected_versions"] and len(result["versions"]) == 2, result
    assert result["listed"] == ["app-secret"], result
    assert result["deleted"] == {"name": "app-secret", "recovery_id": f"{url}deletedsecrets/app-secret"}, result
    assert result["deleted_listed"] == ["app-secret"], result
    assert (result["get_deleted"]["status"], result["get_deleted"]["code"]) == (404, "SecretNotFound"), result
    assert result["recovered"] == "two", result
    assert result["after_purge"] == [], result
    assert result["restored"] == {"name": "app-secret", "value": "two", "versions": result["versions"]}, result
    assert (result["bad_name"]["status"], result["bad_name"]["code"]) == (400, "BadParameter"), result


@sdk_compat(IDENTITY, "AzureCliCredential (az signed in to mimic's cloud) → SecretClient get; "
                      "403 ForbiddenByRbac before Key Vault Secrets User")
def test_python_azure_cli_credential_reads_after_secrets_user(mimic, host, operator_az, tmp_path):
    vault = create_vault(mimic)
    mimic.grant(mimic.operator["object_id"], scope=vault["id"], role=SECRETS_OFFICER)
    operator_az.json("keyvault", "secret", "set", "--vault-name", vault["name"], "-n", "cli-read", "--value", "v1")
    principal = op(mimic, "ad", "sp", "create-for-rbac", "--display-name", f"kv-cli-{uuid.uuid4().hex[:6]}")
    object_id = op(mimic, "ad", "sp", "show", "--id", principal["appId"])["id"]
    reader = Az(mimic, host, tmp_path / "az-cli-reader", principal["appId"], principal["password"],
                allow_no_subscriptions=True)
    path = f"{sys.prefix}/bin"

    def read():
        # The az that AzureCliCredential runs sees the environment az was configured with.
        az_env = {key: value for key, value in reader.env.items() if key.startswith("AZURE_")}
        return python_on_host(mimic, host, CLI_CREDENTIAL, vault["name"], "cli-read",
                              PATH=f"{path}:{reader.env.get('PATH', '')}", **az_env)

    before = read()
    assert (before.get("status"), before.get("code")) == (403, "Forbidden"), before
    assert "ForbiddenByRbac" in before["message"], before
    mimic.grant(object_id, scope=vault["id"], role=SECRETS_USER)
    assert read() == {"ok": "v1"}


@sdk_compat(SECRETS, "documented negative: without verify_challenge_resource=False the SDK refuses "
                     "the challenge (ValueError naming the option)")
def test_python_without_the_option_refuses_the_challenge_before_sending_a_token(mimic, host):
    vault = create_vault(mimic)

    result = python_on_host(mimic, host, WITHOUT_OPTION, vault["name"], "anything")

    assert result["type"] == "ValueError", result
    assert result["message"].startswith(
        "The challenge resource 'vault.azure.net' does not match the requested domain. "
        "Pass `verify_challenge_resource=False` to your client's constructor"), result


# --- @azure/keyvault-secrets and azure_security_keyvault_secrets -------------------------------------
# The sandbox tests' programs in their host mode: `PROGRAM --host [--without-option] VAULT_URL NAME`
# with MIMIC_AAD, MIMIC_TENANT, MIMIC_CLIENT_ID and MIMIC_CLIENT_SECRET in the environment.

def node_on_host(mimic, host, *args, **env):
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")
    program = pathlib.Path(__file__).resolve().parent / "node" / "kv_secret.cjs"
    return host.run("node", str(program), "--host", *args,
                    env=mimic_env(mimic, NODE_PATH=modules, NODE_EXTRA_CA_CERTS=mimic.ca, **env))


def rust_on_host(mimic, host, *args, **env):
    binary = os.environ.get("MIMIC_RUST_KV_SECRET")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MIMIC_RUST_KV_SECRET does not name the built kv-secret: run through scripts/clients.sh")
    # SSL_CERT_FILE: the probe's TLS trusts the platform roots (docs/sdk.md).
    return host.run(binary, "--host", *args, env=mimic_env(mimic, SSL_CERT_FILE=mimic.ca, **env))


def result_of(done, exit_code=0):
    lines = done.stdout.strip().splitlines()
    assert done.returncode == exit_code and lines, describe(done)
    return json.loads(lines[-1])


def reader_reads_after_secrets_user(mimic, host, run):
    """A service principal reads an RBAC vault's secret through `run(host, VAULT_URL, NAME, **env)`:
    403 ForbiddenByRbac, then Key Vault Secrets User on the vault, then the value."""
    vault, name, value = rbac_vault_with_secret(mimic)
    principal = op(mimic, "ad", "sp", "create-for-rbac", "--display-name", f"kv-host-{uuid.uuid4().hex[:6]}")
    object_id = op(mimic, "ad", "sp", "show", "--id", principal["appId"])["id"]

    def read():
        done = run(mimic, host, vault_url(mimic, vault), name, MIMIC_CLIENT_ID=principal["appId"],
                   MIMIC_CLIENT_SECRET=principal["password"])
        return result_of(done)

    assert_forbidden_by_rbac(mimic, read(), object_id, vault)
    grant_secrets_user(mimic, object_id, vault)
    assert read() == {"status": 200, "value": value}


@sdk_compat(NODE_CLIENT, "SecretClient({disableChallengeResourceVerification: true}) + ClientSecretCredential "
                         "(authorityHost, disableInstanceDiscovery): 403 ForbiddenByRbac → grant Key Vault "
                         "Secrets User → 200")
def test_node_secret_client_reads_with_the_documented_option(mimic, host):
    reader_reads_after_secrets_user(mimic, host, node_on_host)


@sdk_compat(NODE_CLIENT, "documented negative: without disableChallengeResourceVerification the SDK refuses "
                         "the challenge (Error naming the option)")
def test_node_without_the_option_refuses_the_challenge(mimic, host):
    vault = create_vault(mimic)["name"]

    result = result_of(node_on_host(mimic, host, "--without-option", vault_url(mimic, vault), "anything"), 1)

    assert result == {"client_error": (
        "Error: The challenge resource 'vault.azure.net' does not match the requested domain. Set "
        "disableChallengeResourceVerification to true in your client options to disable. See "
        "https://aka.ms/azsdk/blog/vault-uri for more information.")}, result


@sdk_compat(RUST_CLIENT, "SecretClientOptions { verify_challenge_resource: Some(false) } + "
                         "ClientSecretCredential (custom cloud's authority_host): 403 ForbiddenByRbac → "
                         "grant Key Vault Secrets User → 200")
def test_rust_secret_client_reads_with_the_documented_option(mimic, host):
    reader_reads_after_secrets_user(mimic, host, rust_on_host)


@sdk_compat(RUST_CLIENT, "documented negative: without verify_challenge_resource: Some(false) the SDK refuses "
                         "the challenge (error naming the option)")
def test_rust_without_the_option_refuses_the_challenge(mimic, host):
    vault = create_vault(mimic)["name"]

    result = result_of(rust_on_host(mimic, host, "--without-option", vault_url(mimic, vault), "anything"), 1)

    # azure_core's retry policy wraps the challenge policy's error; the trailing backtick is the crate's.
    assert result == {"client_error": (
        "non-transport error occurred which will not be retried: challenge resource "
        f"'https://vault.azure.net/.default' doesn't match the requested domain '{vault}.vault.mimic.test'. "
        "Set verify_challenge_resource in client options to disable this validation if necessary. "
        "See https://aka.ms/azsdk/blog/vault-uri for more information`")}, result
