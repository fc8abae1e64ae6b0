"""Issue 15 item 1 through `mimic az …`: `az identity federated-credential create/list/show/update/
delete` on a user-assigned identity, unmodified, with AAD's copy following each write."""

import requests

from test_az_support import compat, create_identity_rest, fails, op, unique

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"


def aad_copy(mimic, principal_id):
    """AAD's copy of a managed identity's credentials (AAD internal API), by name."""
    key = (mimic.data_dir / "internal.key").read_text().strip()
    reply = requests.get(
        f"{mimic.aad_url}/internal/servicePrincipals/{principal_id}/federatedIdentityCredentials",
        headers={"x-mimic-internal-key": key}, verify=mimic.ca, timeout=30)
    assert reply.status_code == 200, reply.text
    return {entry["name"]: entry for entry in reply.json()["value"]}


def fic(mimic, verb, identity, *args):
    return op(mimic, "identity", "federated-credential", verb, "--identity-name", identity,
              "--resource-group", mimic.group, *args)


@compat("az identity federated-credential create/list/show/update/delete (written through to AAD)")
def test_federated_credential_lifecycle(mimic):
    identity = unique("fic")
    principal_id = create_identity_rest(mimic, identity)["properties"]["principalId"]

    created = fic(mimic, "create", identity, "--name", "gh-main", "--issuer", ISSUER,
                  "--subject", "repo:o/r:ref:refs/heads/main", "--audiences", AUDIENCE)
    assert (created["name"], created["issuer"], created["subject"], created["audiences"]) == (
        "gh-main", ISSUER, "repo:o/r:ref:refs/heads/main", [AUDIENCE]), created
    assert created["id"] == f"{mimic.identity_id(identity)}/federatedIdentityCredentials/gh-main", created
    assert created["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    assert aad_copy(mimic, principal_id)["gh-main"]["subject"] == "repo:o/r:ref:refs/heads/main"

    shown = fic(mimic, "show", identity, "--name", "gh-main")
    assert shown["id"] == created["id"], shown
    listed = fic(mimic, "list", identity)
    assert [c["name"] for c in listed] == ["gh-main"], listed

    updated = fic(mimic, "update", identity, "--name", "gh-main", "--subject", "repo:o/r:environment:prod")
    assert (updated["subject"], updated["issuer"]) == ("repo:o/r:environment:prod", ISSUER), updated
    assert aad_copy(mimic, principal_id)["gh-main"]["subject"] == "repo:o/r:environment:prod"

    assert fic(mimic, "delete", identity, "--name", "gh-main", "--yes") is None
    assert fic(mimic, "list", identity) == []
    assert aad_copy(mimic, principal_id) == {}


@compat("az identity federated-credential create with an issuer and subject the identity already trusts "
        "(Azure's BadRequest)")
def test_federated_credential_duplicate_issuer_and_subject_is_refused(mimic):
    identity = unique("fic-dup")
    principal_id = create_identity_rest(mimic, identity)["properties"]["principalId"]
    fic(mimic, "create", identity, "--name", "first", "--issuer", ISSUER, "--subject", "s", "--audiences", AUDIENCE)

    done = mimic.az("identity", "federated-credential", "create", "--identity-name", identity,
                    "--resource-group", mimic.group, "--name", "second", "--issuer", ISSUER,
                    "--subject", "s", "--audiences", AUDIENCE)

    fails(done, 1, "BadRequest", "Issuer and subject combination already exists for this Managed Identity.")
    assert [c["name"] for c in fic(mimic, "list", identity)] == ["first"]
    assert set(aad_copy(mimic, principal_id)) == {"first"}
