"""Propagation delays with the real az (docs/reality-modes.md, "Propagation delays").

Azure's directory replicates a new principal to the replica ARM checks role assignments against
(and to Graph's readers) only after a while: a script that creates an identity and assigns it a
role at once fails — az's own "Cannot find user or service principal in graph database" for
`--assignee`, ARM's `PrincipalNotFound` for `--assignee-object-id` alone — unless it names the
principal type (`--assignee-object-id …
--assignee-principal-type ServicePrincipal`), which ARM takes as "not replicated yet" and accepts
(learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Role assignments for new
principal fail"). `mimic wait --settled` waits for the delay deterministically instead of a sleep.
"""

import pytest

from test_az_support import compat, fails, ok, op, unique

# Long enough that az's calls surely fall within it; the test then shortens it to a few seconds
# (`mimic settings set` re-times what the delay holds back) and waits with `mimic wait --settled`.
DELAY = "10m"


@pytest.fixture
def principal_delay(mimic):
    """`principal-propagation` on for the test (`mimic settings set`), off again after it."""
    done = mimic.cli("settings", "set", "principal-propagation", DELAY)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"principal-propagation = {DELAY}\n"
    yield
    mimic.cli("settings", "set", "principal-propagation", "off")


@compat("propagation delay: role assignment to a new identity (PrincipalNotFound, principal type, mimic wait --settled)")
def test_a_new_identity_is_principal_not_found_until_settled_unless_the_type_is_given(mimic, principal_delay):
    identity = op(mimic, "identity", "create", "-g", mimic.group, "-n", unique("fresh"))
    principal = identity["principalId"]
    scope = mimic.group_id()

    # az resolves --assignee through Graph first, which does not find the principal yet either.
    fails(mimic.az("role", "assignment", "create", "--assignee", principal, "--role", "Reader", "--scope", scope), 1,
          f"ERROR: Cannot find user or service principal in graph database for '{principal}'.")
    # Without a type az sends none (Graph could not tell it), and ARM's directory check refuses.
    fails(mimic.az("role", "assignment", "create", "--assignee-object-id", principal, "--role", "Reader",
                   "--scope", scope), 1,
          f"ERROR: (PrincipalNotFound) Principal {principal} does not exist in the directory {mimic.tenant}.",
          "this error might be related to a replication delay")
    typed = op(mimic, "role", "assignment", "create", "--assignee-object-id", principal,
               "--assignee-principal-type", "ServicePrincipal", "--role", "Contributor", "--scope", scope)
    assert typed["principalId"] == principal and typed["principalType"] == "ServicePrincipal"

    pending = mimic.cli("wait", "--settled", "--timeout", "0s")
    assert pending.returncode == 1 and f"principal {principal} in " in pending.stderr, pending.stderr
    shortened = mimic.cli("settings", "set", "principal-propagation", "3s")
    assert shortened.returncode == 0, shortened.stderr
    waited = mimic.cli("wait", "--settled", "--timeout", "1m")
    assert waited.returncode == 0 and waited.stdout == "settled\n", waited.stderr

    granted = op(mimic, "role", "assignment", "create", "--assignee", principal, "--role", "Reader", "--scope", scope)
    assert granted["principalId"] == principal and granted["principalType"] == "ServicePrincipal"
    listed = op(mimic, "role", "assignment", "list", "--assignee", principal, "--scope", scope)
    assert sorted(a["roleDefinitionName"] for a in listed) == ["Contributor", "Reader"]
    ok(mimic.az("identity", "delete", "--ids", identity["id"]))
