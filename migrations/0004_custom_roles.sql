-- Custom role definitions (the 928 built-ins are embedded in the binary, not stored).
-- Same convention as 0001: canonical values as given, lower-cased *_key columns for lookups.

CREATE TABLE role_definitions (
    name_key          TEXT PRIMARY KEY NOT NULL,   -- lower-cased GUID
    name              TEXT NOT NULL,
    role_name_key     TEXT NOT NULL UNIQUE,        -- lower-cased roleName: unique in the tenant
    role_name         TEXT NOT NULL,
    description       TEXT NOT NULL,
    assignable_scopes TEXT NOT NULL,               -- JSON array of scope strings
    permissions       TEXT NOT NULL,               -- JSON array of Permission objects
    created_on        TEXT NOT NULL,               -- RFC 3339
    updated_on        TEXT NOT NULL,
    created_by        TEXT,
    updated_by        TEXT
);
