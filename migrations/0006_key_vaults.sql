-- Key vaults (issue 16 item 1): `Microsoft.KeyVault/vaults`, live and soft-deleted. Vault names are
-- global (one DNS name each, `{name}.{keyVaultDns}`) across subscriptions and across soft-deleted
-- vaults, so `name_key` is unique on its own. A soft-deleted vault keeps its row (deleted_time set)
-- until it is purged or its retention ends; it outlives its resource group, so there is no foreign
-- key to the group. Append-only: never edit an applied migration.

-- `properties` is a JSON object in the spec's camelCase (tenantId, sku, accessPolicies,
-- enableRbacAuthorization, …; not vaultUri or provisioningState, which are derived).
CREATE TABLE key_vaults (
    id                   INTEGER PRIMARY KEY,
    name_key             TEXT NOT NULL UNIQUE,
    subscription_key     TEXT NOT NULL,
    group_key            TEXT NOT NULL,
    subscription_id      TEXT NOT NULL,
    resource_group       TEXT NOT NULL,
    name                 TEXT NOT NULL,
    location             TEXT NOT NULL,
    tags                 TEXT NOT NULL,
    properties           TEXT NOT NULL,
    created_time         INTEGER NOT NULL,
    changed_time         INTEGER NOT NULL,
    deleted_time         INTEGER,
    scheduled_purge_time INTEGER
);

CREATE INDEX key_vaults_by_group ON key_vaults (subscription_key, group_key);
