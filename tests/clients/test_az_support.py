"""Helpers shared by the Azure CLI tests (test_az_*.py). No tests here.

Every helper runs the real, unmodified `az` 2.91.0 either as the operator (`mimic az …`), as a VM
(`mimic vm exec VM -- az …`) or, for the "by hand" flows, directly with a config dir of the test's own.
"""

import base64
import json
import uuid

import pytest

AZ = "az 2.91.0"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ARM_AUDIENCE = "https://management.core.windows.net/"


def compat(flow):
    """The compatibility-table marker for an az flow."""
    return pytest.mark.compat(client=AZ, flow=flow)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def describe(done):
    return f"exit {done.returncode}\n--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"


def ok(done):
    """Asserts the az process succeeded without a traceback; returns its stdout."""
    assert done.returncode == 0, describe(done)
    assert "Traceback" not in done.stderr, describe(done)
    return done.stdout


def ok_json(done):
    """Asserts success; returns the JSON az printed (None when az printed nothing)."""
    out = ok(done).strip()
    return json.loads(out) if out else None


def fails(done, code, *texts):
    """Asserts az failed with exit `code`, no traceback, and every text in its stderr; returns stderr."""
    assert done.returncode == code, describe(done)
    assert "Traceback" not in done.stderr, describe(done)
    for text in texts:
        assert text in done.stderr, describe(done)
    return done.stderr


def op(mimic, *args):
    """`mimic az ARGS… -o json` → parsed JSON (or None)."""
    return ok_json(mimic.az(*args, "-o", "json"))


def as_vm(mimic, vm, *args):
    """`mimic vm exec VM -- az ARGS…` (completed process)."""
    return mimic.vm_exec(vm, "az", *args)


def vm_json(mimic, vm, *args):
    return ok_json(as_vm(mimic, vm, *args, "-o", "json"))


def claims(token):
    """The JWT's payload (no signature check: az does not check it either)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def token_keys():
    """What `az account get-access-token` prints (wire contract §6.2)."""
    return {"accessToken", "expiresOn", "expires_on", "subscription", "tenant", "tokenType"}


def create_identity_rest(mimic, name=None, group=None):
    """A user-assigned identity made over REST (setup only, not under test); returns its ARM body."""
    name = name or unique("id")
    reply = mimic.arm("PUT", f"{mimic.identity_id(name, group)}?api-version=2024-11-30", {"location": "eastus"})
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def vm_body(mimic, vm, group=None):
    reply = mimic.arm("GET", f"{mimic.vm_id(vm, group)}?api-version=2024-11-01")
    assert reply.status_code == 200, reply.text
    return reply.json()
