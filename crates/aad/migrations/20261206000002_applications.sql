-- App registrations (Graph `applications`), their credentials and owners; service principals
-- created from them; app-role assignments. Append-only: never edit an applied migration.

-- The properties Graph lets a client write (api, appRoles, web, …) are one JSON document: Graph
-- reads and writes them whole. What mimic searches or keeps unique has columns of its own.
CREATE TABLE applications (
    id                TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    app_id            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name      TEXT NOT NULL,
    created_date_time TEXT NOT NULL,
    properties        TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX applications_display_name ON applications (display_name COLLATE NOCASE);

-- identifierUris are unique across the tenant's applications (the primary key says so).
CREATE TABLE application_identifier_uris (
    uri            TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL
);

CREATE INDEX application_identifier_uris_application ON application_identifier_uris (application_id);

-- An application's client secrets: never stored, only a PBKDF2-HMAC-SHA256 hash with a random salt.
CREATE TABLE application_password_credentials (
    key_id            TEXT NOT NULL PRIMARY KEY,
    application_id    TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    display_name      TEXT,
    hint              TEXT,
    start_date_time   TEXT NOT NULL,
    end_date_time     TEXT NOT NULL,
    salt              BLOB NOT NULL,
    iterations        INTEGER NOT NULL,
    hash              BLOB NOT NULL
);

CREATE INDEX application_password_credentials_application ON application_password_credentials (application_id);

-- An application's certificates (public): x5t and x5t#S256 select among them.
CREATE TABLE application_key_credentials (
    key_id          TEXT NOT NULL PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    display_name    TEXT,
    start_date_time TEXT NOT NULL,
    end_date_time   TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    x5t             TEXT NOT NULL,
    x5t_s256        TEXT NOT NULL
);

CREATE INDEX application_key_credentials_application ON application_key_credentials (application_id);

-- Owners: users or service principals (object ids; owners are not deleted with their owner object).
CREATE TABLE application_owners (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    owner_id       TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (application_id, owner_id)
);

-- Service principals: what Graph lets a client write (accountEnabled, tags, notes, …), as JSON.
ALTER TABLE service_principals ADD COLUMN properties TEXT NOT NULL DEFAULT '{}';

-- Secrets added through Graph (addPassword) carry Graph's metadata; fixture secrets leave it null.
ALTER TABLE password_credentials ADD COLUMN display_name TEXT;
ALTER TABLE password_credentials ADD COLUMN hint TEXT;
ALTER TABLE password_credentials ADD COLUMN start_date_time TEXT;
ALTER TABLE password_credentials ADD COLUMN end_date_time TEXT;

-- App roles of a resource service principal granted to a principal (Graph `appRoleAssignments`).
-- Tokens' `roles` claim is a lookup by (principal, resource): the index below.
CREATE TABLE app_role_assignments (
    id                     TEXT NOT NULL PRIMARY KEY,
    principal_id           TEXT NOT NULL COLLATE NOCASE,
    principal_type         TEXT NOT NULL,
    principal_display_name TEXT NOT NULL,
    resource_id            TEXT NOT NULL COLLATE NOCASE REFERENCES service_principals (id) ON DELETE CASCADE,
    app_role_id            TEXT NOT NULL COLLATE NOCASE,
    created_date_time      TEXT NOT NULL,
    UNIQUE (principal_id, resource_id, app_role_id)
);

CREATE INDEX app_role_assignments_resource ON app_role_assignments (resource_id);
