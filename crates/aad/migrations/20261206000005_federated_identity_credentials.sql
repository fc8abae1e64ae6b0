-- Federated identity credentials (issue 15): trust in an external OIDC issuer's tokens for one
-- subject. An application's are written through Graph (`applications/{id}/federatedIdentityCredentials`);
-- a user-assigned managed identity's are ARM's resources, written through to AAD over the internal
-- API and kept here on its service principal: the token exchange reads only this table.
-- Append-only: never edit an applied migration.

-- One owner per row: an application or a (managed-identity) service principal. Names are unique
-- per owner, and so is (issuer, subject), as Entra and ARM require. `audiences` is a JSON array;
-- `claims_matching_expression` a JSON object (`{"value": …, "languageVersion": 1}`) or null.
CREATE TABLE federated_identity_credentials (
    id                         TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    application_id             TEXT COLLATE NOCASE REFERENCES applications (id) ON DELETE CASCADE,
    service_principal_id       TEXT COLLATE NOCASE REFERENCES service_principals (id) ON DELETE CASCADE,
    name                       TEXT NOT NULL COLLATE NOCASE,
    issuer                     TEXT NOT NULL,
    subject                    TEXT,
    audiences                  TEXT NOT NULL,
    description                TEXT,
    claims_matching_expression TEXT,
    created_date_time          TEXT NOT NULL,
    CHECK ((application_id IS NULL) <> (service_principal_id IS NULL))
);

CREATE UNIQUE INDEX federated_identity_credentials_application_name
    ON federated_identity_credentials (application_id, name) WHERE application_id IS NOT NULL;
CREATE UNIQUE INDEX federated_identity_credentials_principal_name
    ON federated_identity_credentials (service_principal_id, name) WHERE service_principal_id IS NOT NULL;
CREATE INDEX federated_identity_credentials_application_issuer
    ON federated_identity_credentials (application_id, issuer);
CREATE INDEX federated_identity_credentials_principal_issuer
    ON federated_identity_credentials (service_principal_id, issuer);

-- A deleted application's credentials wait with it (deleted_objects moves rows both ways).
CREATE TABLE deleted_federated_identity_credentials AS SELECT * FROM federated_identity_credentials WHERE 0;
