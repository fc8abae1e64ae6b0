"""docs/workload-identity.md runs as written (issue 15: "docs/workload-identity.md walks a pod-style
and a CI-style example as runnable steps executed by the test suite").

Read and run with test_mgmt_sdk_doc's rules (the tutorial runner's steps and expected outputs, plus
`<!-- sdk-doc: file NAME -->` Python files), inside the suite's loopback-only namespace against the
session's mimic, with `mimic`, `az` and this venv's `python` on PATH and MIMIC_DATA_DIR set.
"""

import os
import pathlib
import sys

from conftest import REPO, client_env
from test_az_support import compat as az_compat
from test_identity_vm import IDENTITY, RESOURCE, compat
from test_mgmt_sdk_doc import python_files, run_steps, runner

DOC = REPO / "docs" / "workload-identity.md"


@compat(IDENTITY, RESOURCE, flow="docs/workload-identity.md runs as written")
@az_compat("docs/workload-identity.md runs as written (az identity federated-credential, az login --federated-token)")
def test_workload_identity_doc_runs_as_written(mimic, tmp_path):
    text = DOC.read_text()
    for name, source in python_files(text).items():
        (tmp_path / name).write_text(source)
    steps = runner.steps_of(runner.parse_blocks(text))
    assert steps, "docs/workload-identity.md has no bash steps"
    env = client_env(MIMIC_DATA_DIR=str(mimic.data_dir))
    env["PATH"] = os.pathsep.join([str(pathlib.Path(mimic.binary).parent), str(pathlib.Path(sys.executable).parent),
                                   env.get("PATH", "")])
    code, stderr, started = run_steps(steps, tmp_path, env, timeout=600)
    if os.environ.get("SDK_DOC_PRINT"):
        for n, step in enumerate(steps[:started], start=1):
            print(runner.describe(step, n, len(steps)), "--- output ---", step.actual.rstrip("\n"), sep="\n")
    failures = []
    for n, step in enumerate(steps[:started], start=1):
        diff = runner.compare(step)
        if diff is not None:
            failures.append(f"{runner.describe(step, n, len(steps))}\n--- mismatch: {diff} ---\n--- expected ---\n"
                            f"{step.expected.body if step.expected else '(no output)'}\n--- actual ---\n{step.actual}")
    assert code == 0, f"bash exited {code} in step {started}/{len(steps)}:\n{stderr[-6000:]}\n" + "\n".join(failures)
    assert started == len(steps), f"only {started} of {len(steps)} steps ran"
    assert not failures, "\n\n".join(failures)
