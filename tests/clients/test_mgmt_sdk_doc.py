"""docs/sdk.md runs as written (issue 3: "the commands in docs/sdk.md, run as written, work").

The document is read with the tutorial runner's rules (scripts/run-tutorial.py: every ```bash block
is a step, all steps run in one bash with `set -euo pipefail`, the first ```text/```json block after
a step is its expected output, `<…>` is a placeholder, `<!-- tutorial-runner: skip -->` skips a
step) plus one: a ```python block right after `<!-- sdk-doc: file NAME -->` is saved as NAME in the
steps' working directory before the steps run, so the bash steps run the document's Python exactly.

The steps run inside the suite's loopback-only namespace against the session's mimic, with `mimic`
and this venv's `python` on PATH and MIMIC_DATA_DIR set — the setup the document asks for. Set
SDK_DOC_PRINT=1 to print every step's actual output (to write or refresh the document).
"""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import uuid

from conftest import REPO, client_env
from test_identity_vm import AUTHORIZATION, COMPUTE, IDENTITY, MSAL, MSI, RESOURCE, compat

DOC = REPO / "docs" / "sdk.md"
FILE_MARKER = re.compile(r"^<!-- sdk-doc: file (\S+) -->$")


def _tutorial_runner():
    spec = importlib.util.spec_from_file_location("run_tutorial", REPO / "scripts" / "run-tutorial.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


runner = _tutorial_runner()


def python_files(text):
    """{file name: source} for every python block right after an `sdk-doc: file` marker."""
    lines = text.splitlines()
    files = {}
    for block in runner.parse_blocks(text):
        before = [line.strip() for line in lines[:block.line - 1] if line.strip()]
        marker = FILE_MARKER.match(before[-1]) if before else None
        if marker:
            assert block.lang == "python", f"line {block.line}: the sdk-doc file marker precedes a {block.lang} block"
            files[marker.group(1)] = block.body + "\n"
        else:
            assert block.lang != "python", f"line {block.line}: a python block without `<!-- sdk-doc: file … -->`"
    return files


def run_steps(steps, work, env, timeout=240):
    """The tutorial runner's run_steps, in `work` (where the document's Python files are)."""
    marker = f"@@sdk-doc-step-{uuid.uuid4().hex}@@"
    script = ["set -euo pipefail"]
    for n, step in enumerate(steps):
        script += [f"printf '\\n%s %d\\n' '{marker}' {n}", step.block.body]
    script.append(f"printf '\\n%s end\\n' '{marker}'")
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    parts = re.split(rf"\n?{re.escape(marker)} (\d+|end)\n", done.stdout)
    started = 0
    for ident, output in zip(parts[1::2], parts[2::2]):
        if ident == "end":
            break
        steps[int(ident)].actual = output
        started = int(ident) + 1
    return done.returncode, done.stderr, started


def run_doc(mimic, tmp_path, doc, timeout=240):
    """Runs `doc` as written in `tmp_path` (its Python files saved there first) against `mimic`, and
    asserts every step ran with its expected output."""
    text = doc.read_text()
    for name, source in python_files(text).items():
        (tmp_path / name).write_text(source)
    steps = runner.steps_of(runner.parse_blocks(text))
    assert steps, f"{doc.name} has no bash steps"
    env = client_env(MIMIC_DATA_DIR=str(mimic.data_dir))
    env["PATH"] = os.pathsep.join([str(pathlib.Path(mimic.binary).parent), str(pathlib.Path(sys.executable).parent),
                                   env.get("PATH", "")])

    code, stderr, started = run_steps(steps, tmp_path, env, timeout=timeout)

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


@compat(IDENTITY, flow="docs/sdk.md runs as written")
@compat(MSAL, flow="docs/sdk.md runs as written")
@compat(RESOURCE, COMPUTE, MSI, AUTHORIZATION, flow="docs/sdk.md runs as written")
def test_mgmt_sdk_doc_runs_as_written(mimic, tmp_path):
    run_doc(mimic, tmp_path, DOC)
