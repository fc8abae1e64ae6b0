"""The crates.io `azure_identity` ManagedIdentityCredential (Rust), as a VM, against mimic.

The program is tests/clients/rust (its own Cargo project, built by scripts/clients.sh before the
network namespace; MIMIC_RUST_CLIENT names the binary). It gets an ARM token from the credential and
GETs the resource group through an azure_core pipeline (BearerTokenAuthorizationPolicy; TLS trusts
SSL_CERT_FILE, which `mimic vm exec` sets to mimic's CA).

azure_identity 1.0.0's VM (IMDS) source has http://169.254.169.254 hard-coded and reads no override
(not AZURE_POD_IDENTITY_AUTHORITY_HOST, which `mimic vm exec` sets for az, Python and Node). The only
managed-identity endpoint it lets a user configure is the App Service one, IDENTITY_ENDPOINT +
IDENTITY_HEADER: GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…[&client_id=…] with
`Metadata: true` and `X-IDENTITY-HEADER` — the same request its IMDS source sends (also 2019-08-01),
plus that header. So the program runs under `mimic vm exec VM -- env IDENTITY_ENDPOINT=<the VM's
IMDS>/metadata/identity/oauth2/token IDENTITY_HEADER=… mi-arm …` (`vm exec` itself clears both
variables, so they are set inside it). The IMDS source itself cannot be exercised without the
169.254.169.254 address, which this suite never uses.
"""

import json
import os
import pathlib
import tomllib

import pytest

from test_node import system_assigned_vm, user_assigned_vm

HERE = pathlib.Path(__file__).resolve().parent
_LOCK = tomllib.loads((HERE / "rust" / "Cargo.lock").read_text())["package"]
AZURE_IDENTITY = next(p["version"] for p in _LOCK if p["name"] == "azure_identity")
CLIENT = f"azure_identity {AZURE_IDENTITY} (Rust)"


def run_as_vm(mimic, vm, client_id=None):
    """Runs mi-arm as VM with the App Service variables naming the VM's IMDS; returns its JSON result."""
    binary = os.environ.get("MIMIC_RUST_CLIENT")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MIMIC_RUST_CLIENT does not name the built Rust client: run through scripts/clients.sh")
    endpoint = f"{mimic.imds_url(vm)}/metadata/identity/oauth2/token"
    args = [mimic.arm_url, mimic.subscription, mimic.group] + ([client_id] if client_id else [])
    done = mimic.vm_exec(vm, "env", f"IDENTITY_ENDPOINT={endpoint}", "IDENTITY_HEADER=mimic", binary, *args,
                         timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines, f"no output (exit {done.returncode}): {done.stderr}"
    result = json.loads(lines[-1])
    assert "token_error" not in result and "arm_error" not in result, (json.dumps(result), done.stderr[-6000:])
    return result


def assert_forbidden_then_allowed(mimic, vm, principal, client_id):
    before = run_as_vm(mimic, vm, client_id)
    # The credential strips "/.default": the token is for https://management.azure.com.
    assert before["token"]["oid"] == principal, before
    assert before["token"]["aud"] == "https://management.azure.com", before
    assert before["token"]["tid"] == mimic.tenant, before
    if client_id:
        assert before["token"]["appid"] == client_id, before
    assert before["status"] == 403, before
    assert before["error_code"] == "AuthorizationFailed", before
    assert principal in before["message"], before

    mimic.grant(principal)

    after = run_as_vm(mimic, vm, client_id)
    assert after["status"] == 200, after
    assert after["group"] == {"id": mimic.group_id(), "name": mimic.group}, after


@pytest.mark.compat(client=CLIENT, flow="managed identity token (IDENTITY_ENDPOINT) → ARM 403 → grant → 200")
def test_rust_system_assigned_reads_group_only_after_grant(mimic):
    assert_forbidden_then_allowed(mimic, *system_assigned_vm(mimic))


@pytest.mark.compat(client=CLIENT,
                    flow="user-assigned managed identity (client id, IDENTITY_ENDPOINT) token → ARM 403 → grant → 200")
def test_rust_user_assigned_by_client_id_reads_group_only_after_grant(mimic):
    assert_forbidden_then_allowed(mimic, *user_assigned_vm(mimic))
