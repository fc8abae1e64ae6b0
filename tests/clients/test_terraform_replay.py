"""Terraform's azurerm provider, replayed from source (issue 18).

Terraform and its providers cannot be installed here (no registry this machine reaches serves them),
so `crates/mimic/tests/terraform_replay.rs` replays the request sequences the provider sends —
read from hashicorp/terraform-provider-azurerm and hashicorp/go-azure-sdk, each step citing its
source file — against a whole `mimic up`, and asserts what the provider's code requires of each
answer. This module runs that binary (built by scripts/clients.sh, path in MIMIC_TF_REPLAY) one
sequence at a time, so that each sequence is a row of docs/compatibility.md's "Terraform azurerm
(replayed from source)" section, which says plainly that it is derived from source.
"""

import os
import subprocess

import pytest

TERRAFORM = "Terraform azurerm (replayed from source)"

REPLAYS = [
    ("init::client_secret_init_reads_the_cloud_gets_tokens_and_passes_the_registration_check",
     "provider init with a client secret (metadata_host): metadata 2022-09-01 and 2020-06-01, Graph and ARM "
     "tokens, registration check"),
    ("init::an_unregistered_namespace_is_registered_and_polled_to_registered",
     "provider registration: an unregistered namespace registered and polled to Registered"),
    ("init::registering_an_unknown_namespace_gets_arms_error",
     "provider registration: an unknown namespace gets ARM's error"),
    ("init::msi_endpoint_token_requests_get_tokens_arm_accepts",
     "Go SDK managed identity token through msi_endpoint (use_msi)"),
    ("resource_group::create_read_delete", "azurerm_resource_group create → read → delete"),
    ("user_assigned_identity::create_read_delete", "azurerm_user_assigned_identity create → read → delete"),
    ("federated_identity_credential::create_read_delete",
     "azurerm_federated_identity_credential create → read → delete"),
    ("role_assignment::create_read_delete",
     "azurerm_role_assignment create → read → delete (with the provider's repeated-GET waits)"),
    ("key_vault::create_read_delete",
     "azurerm_key_vault create → read → delete (10 unauthenticated GETs of vaultUri, challenge first)"),
    ("key_vault_secret::create_read_delete", "azurerm_key_vault_secret create → read → delete"),
]


@pytest.mark.parametrize("replay", [pytest.param(name, id=name.replace("::", "-"),
                                                 marks=pytest.mark.compat(client=TERRAFORM, flow=flow))
                                    for name, flow in REPLAYS])
def test_replayed_sequence(replay):
    binary = os.environ.get("MIMIC_TF_REPLAY")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("MIMIC_TF_REPLAY does not name the built terraform_replay test: run through scripts/clients.sh")
    done = subprocess.run([binary, "--exact", replay, "--test-threads=1"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "test result: ok. 1 passed" in done.stdout, done.stdout[-4000:]
