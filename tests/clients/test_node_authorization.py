"""@azure/arm-authorization (Node) as the operator, unmodified: role definitions (list by name, get,
custom role create/list/delete) and role assignments (create, get, list, delete) — issue 12's Node
client check. The program is tests/clients/node/authorization.cjs (packages installed by
scripts/clients.sh into MIMIC_NODE_PATH)."""

import json
import os
import pathlib
import subprocess

import pytest

from conftest import READER, client_env
from test_az_support import compat, create_identity_rest

HERE = pathlib.Path(__file__).resolve().parent
PROGRAM = HERE / "node" / "authorization.cjs"
_LOCK = json.loads((HERE / "node" / "package-lock.json").read_text())["packages"]
CLIENT = (f"@azure/arm-authorization {_LOCK['node_modules/@azure/arm-authorization']['version']} + "
          f"@azure/identity {_LOCK['node_modules/@azure/identity']['version']}")


@compat(f"{CLIENT}: role definitions list/get/createOrUpdate/delete, role assignments create/get/listForScope/delete")
def test_node_authorization_client_manages_roles_and_assignments(mimic):
    modules = os.environ.get("MIMIC_NODE_PATH")
    if not modules or not pathlib.Path(modules).is_dir():
        pytest.fail("MIMIC_NODE_PATH is not set to an installed node_modules: run through scripts/clients.sh")
    principal = create_identity_rest(mimic)["properties"]["principalId"]
    done = subprocess.run(
        ["node", str(PROGRAM), mimic.aad_url, mimic.tenant, mimic.operator["client_id"],
         mimic.operator["client_secret"], mimic.arm_url, mimic.subscription, mimic.group, principal],
        capture_output=True, text=True, timeout=120,
        env=client_env(NODE_PATH=modules, NODE_EXTRA_CA_CERTS=mimic.ca))
    lines = done.stdout.strip().splitlines()
    assert lines and done.returncode == 0, (done.stdout, done.stderr[-4000:])
    result = json.loads(lines[-1])

    reader_id = f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    assert result["readers"] == [{"id": reader_id, "name": READER, "roleName": "Reader",
                                  "roleType": "BuiltInRole"}], result
    assert result["reader"] == {"id": reader_id, "actions": ["*/read"]}, result
    custom = result["custom"]
    assert custom["roleType"] == "CustomRole" and custom["roleName"].startswith("Node Group Reader"), result
    assert custom["id"] == (f"/subscriptions/{mimic.subscription}/providers/Microsoft.Authorization/"
                            f"roleDefinitions/{custom['name']}"), result
    assert custom["name"] in result["customs"], result
    assignment = result["assignment"]
    assert (assignment["scope"], assignment["roleDefinitionId"], assignment["principalId"]) == (
        mimic.group_id(), custom["id"], principal), result
    assert result["got"] == assignment["id"], result
    assert result["listed"] == [assignment["id"].rsplit("/", 1)[1]], result
    assert result["deleteAssigned"] == {"code": "RoleDefinitionHasAssignments", "status": 409}, result
    assert result["removed"] == assignment["id"].rsplit("/", 1)[1], result
    assert result["deleted"] == custom["name"], result
    assert result["gone"]["status"] == 404, result
