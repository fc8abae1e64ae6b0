"""docs/azure-cli.md, run as written: every ```bash block in one shell, each block's output compared
with the document's Output block (scripts/run-tutorial.py), against a fresh `mimic up` of its own so
that the document can use the fixture's names (mimic-rg, vm1, vm2) and fixed ids."""

import os
import pathlib
import subprocess
import sys
import time

from conftest import REPO, client_env
from test_az_support import compat

DOC = REPO / "docs" / "azure-cli.md"
RUNNER = REPO / "scripts" / "run-tutorial.py"


def start_mimic(binary, data_dir, log):
    process = subprocess.Popen(
        [binary, "--data-dir", str(data_dir), "up", "--arm-addr", "127.0.0.1:0", "--aad-addr", "127.0.0.1:0"],
        stdout=log, stderr=subprocess.STDOUT, env=client_env(RUST_LOG="warn"))
    deadline = time.time() + 60
    while not (data_dir / "endpoints.json").exists():
        assert process.poll() is None and time.time() < deadline, f"mimic up did not start; see {log.name}"
        time.sleep(0.1)
    return process


@compat("docs/azure-cli.md as written")
def test_azure_cli_doc_runs_as_written(mimic, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with open(tmp_path / "mimic.log", "w") as log:
        process = start_mimic(mimic.binary, data_dir, log)
        try:
            binary_dir = str(pathlib.Path(mimic.binary).parent)
            env = client_env(MIMIC_DATA_DIR=str(data_dir), PATH=f"{binary_dir}{os.pathsep}{os.environ['PATH']}")
            done = subprocess.run([sys.executable, str(RUNNER), "--timeout", "240", str(DOC)],
                                  capture_output=True, text=True, env=env, timeout=300)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
