"""docs/workload-identity.md runs as written (issue 15: "docs/workload-identity.md walks a pod-style
and a CI-style example as runnable steps executed by the test suite").

Read and run with test_mgmt_sdk_doc's rules (the tutorial runner's steps and expected outputs, plus
`<!-- sdk-doc: file NAME -->` Python files), inside the suite's loopback-only namespace against the
session's mimic, with `mimic`, `az` and this venv's `python` on PATH and MIMIC_DATA_DIR set.
"""

from conftest import REPO
from test_az_support import compat as az_compat
from test_identity_vm import IDENTITY, RESOURCE, compat
from test_mgmt_sdk_doc import run_doc

DOC = REPO / "docs" / "workload-identity.md"


@compat(IDENTITY, RESOURCE, flow="docs/workload-identity.md runs as written")
@az_compat("docs/workload-identity.md runs as written (az identity federated-credential, az login --federated-token)")
def test_workload_identity_doc_runs_as_written(mimic, tmp_path):
    run_doc(mimic, tmp_path, DOC, timeout=600)
