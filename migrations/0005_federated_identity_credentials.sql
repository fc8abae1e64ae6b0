-- Federated identity credentials of user-assigned identities (issue 15):
-- `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`. ARM owns them and
-- writes each identity's whole set through to AAD (its service principal's copy, which the token
-- exchange reads). They go with their identity (cascade). Append-only: never edit an applied migration.

-- `audiences` is a JSON array; `claims_matching_expression` a JSON object
-- (`{"value": …, "languageVersion": 1}`) or null, in which case `subject` is set.
CREATE TABLE federated_identity_credentials (
    id                         INTEGER PRIMARY KEY,
    identity                   INTEGER NOT NULL REFERENCES user_assigned_identities (id) ON DELETE CASCADE,
    name_key                   TEXT NOT NULL,
    name                       TEXT NOT NULL,
    issuer                     TEXT NOT NULL,
    subject                    TEXT,
    audiences                  TEXT NOT NULL,
    claims_matching_expression TEXT,
    created_time               INTEGER NOT NULL,
    changed_time               INTEGER NOT NULL,
    UNIQUE (identity, name_key)
);
