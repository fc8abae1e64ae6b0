"""Issue 15 item 2 through the real az: `az ad app federated-credential create/list/show/update/delete`
on an app registration — Graph's `applications/{id}/federatedIdentityCredentials`, by the credential's
id and by its name — and Graph's errors for a taken name and a taken issuer and subject."""

import json

from test_az_support import compat, fails, ok, op, unique

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"


def parameters(name, subject, description="deploys"):
    return json.dumps({"name": name, "issuer": ISSUER, "subject": subject,
                       "description": description, "audiences": [AUDIENCE]})


@compat("az ad app federated-credential create/list/show/update/delete")
def test_federated_credential_create_list_show_update_delete(mimic):
    app = op(mimic, "ad", "app", "create", "--display-name", unique("federated"))
    app_id = app["appId"]

    created = op(mimic, "ad", "app", "federated-credential", "create", "--id", app_id,
                 "--parameters", parameters("github-main", "repo:contoso/app:ref:refs/heads/main"))
    assert {k: created[k] for k in ("name", "issuer", "subject", "description", "audiences")} == {
        "name": "github-main", "issuer": ISSUER, "subject": "repo:contoso/app:ref:refs/heads/main",
        "description": "deploys", "audiences": [AUDIENCE]}, created
    assert created["id"], created

    listed = op(mimic, "ad", "app", "federated-credential", "list", "--id", app["id"])
    assert [c["id"] for c in listed] == [created["id"]], listed
    by_id = op(mimic, "ad", "app", "federated-credential", "show", "--id", app_id,
               "--federated-credential-id", created["id"])
    by_name = op(mimic, "ad", "app", "federated-credential", "show", "--id", app_id,
                 "--federated-credential-id", "github-main")
    assert by_id == by_name and by_id["name"] == "github-main", (by_id, by_name)

    # Update by id (az sends the whole body again; the name may be repeated, not changed).
    assert ok(mimic.az("ad", "app", "federated-credential", "update", "--id", app_id,
                       "--federated-credential-id", created["id"], "--parameters",
                       parameters("github-main", "repo:contoso/app:environment:prod", "updated"))) == ""
    shown = op(mimic, "ad", "app", "federated-credential", "show", "--id", app_id,
               "--federated-credential-id", "github-main")
    assert (shown["subject"], shown["description"]) == ("repo:contoso/app:environment:prod", "updated"), shown

    # Graph's errors, as az prints them, and nothing changed.
    fails(mimic.az("ad", "app", "federated-credential", "create", "--id", app_id, "--parameters",
                   parameters("github-main", "repo:contoso/app:pull_request")),
          1, "FederatedIdentityCredential with name github-main already exists.")
    fails(mimic.az("ad", "app", "federated-credential", "create", "--id", app_id, "--parameters",
                   parameters("copy", "repo:contoso/app:environment:prod")),
          1, "The combination of issuer and subject must be unique for the application.")
    assert len(op(mimic, "ad", "app", "federated-credential", "list", "--id", app_id)) == 1

    assert ok(mimic.az("ad", "app", "federated-credential", "delete", "--id", app_id,
                       "--federated-credential-id", "github-main")) == ""
    assert op(mimic, "ad", "app", "federated-credential", "list", "--id", app_id) == []
    fails(mimic.az("ad", "app", "federated-credential", "show", "--id", app_id,
                   "--federated-credential-id", "github-main"), 1, "does not exist")
    assert ok(mimic.az("ad", "app", "delete", "--id", app_id)) == ""
