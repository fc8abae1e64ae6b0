"""docs/terraform.md, executed as far as anything in it can run here (issue 18, done-when).

Terraform cannot be installed on this machine, so its `terraform …` lines are the one thing the
document's host-way blocks cannot run. Every other line runs as written, in one bash, against the
suite's `mimic up` (`MIMIC_DATA_DIR`): `eval "$(mimic env)"`, `mimic hosts --write` (to a scratch
file instead of /etc/hosts: the suite never edits the host's files), the `ARM_*` exports, `mimic az vm
identity assign`, `mimic vm list`, `mimic issuer create`, `mimic workload token`. Where the document
hands over to Terraform, a stand-in does with the exported variables alone what the provider does
first (docs/terraform.md, crates/mimic/tests/terraform_replay.rs): read
`https://$ARM_METADATA_HOSTNAME/metadata/endpoints` trusting only `SSL_CERT_FILE` (as Go's
crypto/x509 does), get a token, and call ARM with it.
"""

import os
import pathlib
import re
import subprocess
import sys
import uuid

import pytest

from conftest import REPO, client_env
from test_terraform_replay import TERRAFORM

DOC = REPO / "docs" / "terraform.md"

# What the provider does with the environment first; `python3 STANDIN init|msi|oidc`.
STANDIN = r'''
import json, os, ssl, sys, urllib.parse, urllib.request
context = ssl.create_default_context()          # SSL_CERT_FILE, as Go reads it
import urllib.error
def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), context=context) as reply:
        return json.load(reply)
def post(url, form):
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), context=context) as reply:
        return json.load(reply)
def arm_status(cloud, token):
    url = f"{cloud['resourceManager'].rstrip('/')}/subscriptions/{os.environ['ARM_SUBSCRIPTION_ID']}?api-version=2022-12-01"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}),
                                    context=context) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code
cloud = get(f"https://{os.environ['ARM_METADATA_HOSTNAME']}/metadata/endpoints?api-version=2022-09-01")
scope = cloud["resourceManager"].rstrip("/") + "//.default"
token_url = f"{cloud['authentication']['loginEndpoint'].rstrip('/')}/{os.environ['ARM_TENANT_ID']}/oauth2/v2.0/token"
mode = sys.argv[1]
if mode == "init":
    token = post(token_url, {"grant_type": "client_credentials", "client_id": os.environ["ARM_CLIENT_ID"],
                             "client_secret": os.environ["ARM_CLIENT_SECRET"], "scope": scope})["access_token"]
elif mode == "msi":
    query = urllib.parse.urlencode({"api-version": "2018-02-01", "resource": cloud["resourceManager"]})
    token = get(f"{os.environ['ARM_MSI_ENDPOINT']}?{query}", {"Metadata": "true"})["access_token"]
else:
    assertion = open(os.environ["ARM_OIDC_TOKEN_FILE_PATH"]).read().strip()
    token = post(token_url, {"grant_type": "client_credentials", "client_id": os.environ["ARM_CLIENT_ID"],
                             "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                             "client_assertion": assertion, "scope": scope})["access_token"]
print(f"{mode}: ARM answered {arm_status(cloud, token)}")
'''


def host_way_blocks():
    """The ```sh blocks of the host-way section, in order."""
    text = DOC.read_text()
    section = text[text.index("## The host way"):text.index("## Example")]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def runnable(block, standin_mode):
    """The block as a script: every line as written, but the two that cannot run here."""
    lines = []
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip()
        if command.startswith("mimic up"):
            continue                              # the suite's mimic is already up
        if command == "sudo mimic hosts --write /etc/hosts":
            line = 'mimic hosts --write "$DOC_HOSTS"'
        if command.startswith("terraform "):
            line = f'python3 "$STANDIN" {standin_mode}'
        lines.append(line.replace("<identity client id>", "$IDENTITY_CLIENT_ID"))
    return "\n".join(lines)


def federated_identity(mimic, issuer, subject):
    """A user-assigned identity with a federated credential for `issuer`/`subject`; its client id."""
    name = f"tf-oidc-{uuid.uuid4().hex[:8]}"
    identity = f"{mimic.group_id()}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    made = mimic.arm("PUT", f"{identity}?api-version=2023-01-31", {"location": "eastus"})
    assert made.status_code in (200, 201), made.text
    credential = {"properties": {"issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]}}
    fic = mimic.arm("PUT", f"{identity}/federatedIdentityCredentials/terraform-ci?api-version=2023-01-31", credential)
    assert fic.status_code in (200, 201), fic.text
    principal = made.json()["properties"]["principalId"]
    mimic.grant(principal, scope=mimic.group_id(), role="acdd72a7-3385-48ef-bd42-f606fba81ae7")
    return made.json()["properties"]["clientId"]


@pytest.mark.compat(client=TERRAFORM, flow="docs/terraform.md's host way (metadata_host, use_msi, use_oidc) as written, "
                                          "the terraform lines replaced by a stand-in of the provider's first calls")
def test_terraform_doc_host_way_runs_as_written_but_terraform(mimic, tmp_path):
    blocks = host_way_blocks()
    assert len(blocks) == 3, "the host way, use_msi and use_oidc blocks"
    standin = tmp_path / "standin.py"
    standin.write_text(STANDIN)
    subject = "repo:contoso/app:ref:refs/heads/main"
    assert subject in blocks[2], "the OIDC block's subject"
    client_id = federated_identity(mimic, f"{mimic.aad_url}/issuers/ci", subject)
    script = "set -euo pipefail\n" + "\n".join([
        runnable(blocks[0], "init"),
        # Each later block starts from the first's environment, as a reader's shell would.
        runnable(blocks[1], "msi"),
        'python3 "$STANDIN" msi',
        runnable(blocks[2], "oidc"),
        'python3 "$STANDIN" oidc',
    ])
    binary_dir = str(pathlib.Path(mimic.binary).parent)
    env = client_env(MIMIC_DATA_DIR=str(mimic.data_dir), DOC_HOSTS=str(tmp_path / "hosts"),
                     STANDIN=str(standin), IDENTITY_CLIENT_ID=client_id,
                     PATH=f"{binary_dir}{os.pathsep}{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # ARM takes each token (never 401): the service principal is the subscription's Owner and the
    # federated identity a Reader in it (200); the VM's identity holds what other tests of the suite
    # granted vm1 — a principal without any role there does not see the subscription (404, as ARM).
    answers = [line for line in done.stdout.splitlines() if ": ARM answered " in line]
    assert len(answers) == 3, done.stdout
    init, msi, oidc = answers
    assert init == "init: ARM answered 200", done.stdout
    assert msi in ("msi: ARM answered 200", "msi: ARM answered 404"), done.stdout
    assert oidc == "oidc: ARM answered 200", done.stdout
    assert "mimic" in (tmp_path / "hosts").read_text(), "mimic hosts --write wrote its block"
