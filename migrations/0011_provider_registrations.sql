-- Resource-provider registration of a subscription (`Providers_Register`/`Providers_Unregister`).
-- Every namespace mimic serves starts `Registered`; a row records a change from that. Append-only:
-- never edit an applied migration.

-- `subscription_id` lower case; `namespace` in its canonical case (`Microsoft.KeyVault`);
-- `state` `Registered` or `NotRegistered`.
CREATE TABLE provider_registrations (
    subscription_id TEXT NOT NULL,
    namespace       TEXT NOT NULL,
    state           TEXT NOT NULL,
    PRIMARY KEY (subscription_id, namespace)
);
