"""Conformance suite: real Azure clients, unmodified, against a real `mimic up`.

The whole session runs inside a network namespace that has only loopback (scripts/clients.sh makes
it), so a misconfigured client fails at once instead of reaching out. The check below refuses to run
anywhere else.
"""

import json
import os
import pathlib
import subprocess
import time
import uuid

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[2]
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _loopback_only():
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [line.split(":")[1].strip() for line in links.splitlines() if line.strip()]
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout.strip()
    routes6 = subprocess.run(["ip", "-6", "route"], capture_output=True, text=True, check=True).stdout
    non_loopback6 = [line for line in routes6.splitlines() if line.strip() and not line.startswith("::1")]
    return names == ["lo"] and routes == "" and not non_loopback6, names, routes


def pytest_sessionstart(session):
    ok, names, routes = _loopback_only()
    if not ok:
        pytest.exit(
            f"refusing to run: this process is not in a loopback-only network namespace "
            f"(links {names}, routes {routes!r}). Run the suite through scripts/clients.sh.",
            returncode=3,
        )


class Mimic:
    """A running `mimic up` and helpers that speak to it over HTTP or through its CLI."""

    def __init__(self, binary, data_dir, process):
        self.binary = binary
        self.data_dir = pathlib.Path(data_dir)
        self.process = process
        self.endpoints = json.loads((self.data_dir / "endpoints.json").read_text())
        self.ca = self.endpoints["ca_cert"]
        self.arm_url = self.endpoints["arm"]
        self.aad_url = self.endpoints["aad"]
        self.tenant = self.endpoints["tenant_id"]
        self.subscription = self.endpoints["subscription_id"]
        self.group = self.endpoints["resource_group"]
        self.operator = self.endpoints["operator"]

    # --- ids -----------------------------------------------------------------------------------
    def group_id(self, group=None):
        return f"/subscriptions/{self.subscription}/resourceGroups/{group or self.group}"

    def vm_id(self, name, group=None):
        return f"{self.group_id(group)}/providers/Microsoft.Compute/virtualMachines/{name}"

    def identity_id(self, name, group=None):
        return f"{self.group_id(group)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"

    # --- HTTP ----------------------------------------------------------------------------------
    def operator_token(self, scope="https://management.azure.com/.default"):
        reply = requests.post(
            f"{self.aad_url}/{self.tenant}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": self.operator["client_id"],
                  "client_secret": self.operator["client_secret"], "scope": scope},
            verify=self.ca, timeout=30)
        reply.raise_for_status()
        return reply.json()["access_token"]

    def arm(self, method, path, body=None, token=None):
        token = token or self.operator_token()
        return requests.request(method, f"{self.arm_url}{path}", json=body, verify=self.ca, timeout=60,
                                headers={"Authorization": f"Bearer {token}"})

    def create_vm(self, name=None, identity=None):
        """A fresh VM in the fixture group (its own IMDS); returns its name."""
        name = name or f"vm-{uuid.uuid4().hex[:8]}"
        body = {"location": "eastus", "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"},
                                                     "storageProfile": {"osDisk": {"osType": "Linux"}}}}
        if identity:
            body["identity"] = identity
        reply = self.arm("PUT", f"{self.vm_id(name)}?api-version=2024-11-01", body)
        assert reply.status_code in (200, 201), reply.text
        return name

    def grant(self, principal_id, scope=None, role=READER):
        scope = scope or self.group_id()
        definition = f"/subscriptions/{self.subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        body = {"properties": {"roleDefinitionId": definition, "principalId": principal_id,
                               "principalType": "ServicePrincipal"}}
        reply = self.arm("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
                                "?api-version=2022-04-01", body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def imds_url(self, vm):
        # endpoints.json is rewritten when VMs come and go.
        endpoints = json.loads((self.data_dir / "endpoints.json").read_text())
        return next(v["imds"] for v in endpoints["vms"] if v["name"].lower() == vm.lower())

    # --- processes -----------------------------------------------------------------------------
    def cli(self, *args, env=None, timeout=300):
        """Runs `mimic --data-dir D ARGS…`."""
        return subprocess.run([self.binary, "--data-dir", str(self.data_dir), *args], capture_output=True,
                              text=True, timeout=timeout, env=env or client_env())

    def az(self, *args, timeout=300):
        """`mimic az ARGS…`: the real az as the fixture operator."""
        return self.cli("az", *args, timeout=timeout)

    def vm_exec(self, vm, *command, env=None, timeout=300):
        """`mimic vm exec VM -- COMMAND…`: COMMAND as the VM."""
        return self.cli("vm", "exec", vm, "--", *command, env=env, timeout=timeout)

    def python_as_vm(self, vm, code, env=None):
        """Runs a Python snippet (this venv's interpreter) as the VM; returns the completed process."""
        import sys
        return self.vm_exec(vm, sys.executable, "-c", code, env=env)


def client_env(**extra):
    """The environment client processes start from: no identity variables, no proxies."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().endswith("_PROXY") and not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))}
    env.update(extra)
    return env


def start_mimic(data_dir, *flags, env=None):
    """`mimic --data-dir DATA_DIR up` on free loopback ports with FLAGS (and ENV, default the client
    environment), logging to DATA_DIR's name + `.log` beside it; returns once it serves."""
    binary = os.environ.get("MIMIC_BIN") or str(REPO / "target" / "debug" / "mimic")
    data_dir = pathlib.Path(data_dir)
    log = open(data_dir.parent / f"{data_dir.name}.log", "w")
    process = subprocess.Popen(
        [binary, "--data-dir", str(data_dir), "up", "--arm-addr", "127.0.0.1:0", "--aad-addr", "127.0.0.1:0",
         *flags],
        stdout=log, stderr=subprocess.STDOUT, env=env or client_env(RUST_LOG="warn"))
    deadline = time.time() + 60
    while not (data_dir / "endpoints.json").exists():
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            raise RuntimeError(f"mimic up did not start; see {log.name}")
        time.sleep(0.1)
    return Mimic(binary, data_dir, process)


def stop_mimic(running):
    running.process.terminate()
    running.process.wait(timeout=30)


@pytest.fixture(scope="session")
def mimic(tmp_path_factory):
    running = start_mimic(tmp_path_factory.mktemp("mimic-data"))
    yield running
    stop_mimic(running)


# --- docs/compatibility.md, generated from this suite's own results ---------------------------------
_compat_cells = {}      # nodeid -> [(client, flow), …]
_outcomes = {}          # nodeid -> "passed" | "failed" | "skipped"


def pytest_collection_modifyitems(items):
    for item in items:
        cells = [(m.kwargs["client"], m.kwargs["flow"]) for m in item.iter_markers(name="compat")]
        if cells:
            _compat_cells[item.nodeid] = cells


def pytest_runtest_logreport(report):
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped:
        _outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        _outcomes.setdefault(report.nodeid, "passed")


# A sentence under a client's heading, where its rows need one.
CLIENT_NOTES = {
    "Terraform azurerm (replayed from source)":
        "Derived from source, not from running Terraform (it cannot be installed here): each row replays the "
        "request sequence hashicorp/terraform-provider-azurerm and hashicorp/go-azure-sdk send, read from their "
        "source, against `mimic up` (`crates/mimic/tests/terraform_replay.rs`; docs/terraform.md).",
}


def compatibility_markdown():
    """The table of client × flow, each cell from the tests that carry its compat marker."""
    by_client = {}
    for nodeid, cells in _compat_cells.items():
        for client, flow in cells:
            by_client.setdefault(client, {}).setdefault(flow, []).append(_outcomes.get(nodeid, "not run"))
    lines = [
        "# Compatibility",
        "",
        "Generated by the client conformance suite (`tests/clients`) from its own results; do not edit.",
        "Refresh with `MIMIC_COMPAT_OUT=docs/compatibility.md bash scripts/clients.sh`; a full run of",
        "`scripts/clients.sh` fails when this file differs from what the suite produces.",
        "",
        "Every flow runs the real, unmodified client against a real `mimic up`, inside a network",
        "namespace that has only loopback.",
    ]
    for client in sorted(by_client):
        lines += ["", f"## {client}", ""]
        if client in CLIENT_NOTES:
            lines += [CLIENT_NOTES[client], ""]
        lines += ["| flow | result | tests |", "|---|---|---|"]
        for flow in sorted(by_client[client]):
            outcomes = by_client[client][flow]
            passed = outcomes.count("passed")
            result = "✅ passes" if passed == len(outcomes) else f"❌ {len(outcomes) - passed} of {len(outcomes)} fail"
            lines.append(f"| {flow.replace('|', '/')} | {result} | {len(outcomes)} |")
    return "\n".join(lines) + "\n"


def pytest_sessionfinish(session):
    out = os.environ.get("MIMIC_COMPAT_OUT")
    if out and _compat_cells:
        pathlib.Path(out).write_text(compatibility_markdown())
