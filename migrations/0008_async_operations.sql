-- Long-running operations (issue 17 item 3): one row per asynchronous operation ARM acknowledged
-- (a VM PUT, PATCH or DELETE, a resource-group DELETE), so a client that polls its status after a
-- restart gets the answer it would have got before. An operation is `InProgress` until
-- `due_time`, then `Succeeded` (or `Failed`, with the error). Times are seconds since the epoch.
-- Append-only: never edit an applied migration.
CREATE TABLE async_operations (
    -- The id in the status URL (Compute's operation id; Resources' operationresults token).
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    -- `Microsoft.Compute/virtualMachines`, `Microsoft.Resources/resourceGroups`, …
    resource_type   TEXT NOT NULL,
    -- The canonical id of the resource the operation changes, and its lower-cased lookup key.
    resource_id     TEXT NOT NULL,
    resource_key    TEXT NOT NULL,
    location        TEXT NOT NULL,
    -- `create`, `update` or `delete`.
    kind            TEXT NOT NULL,
    -- `InProgress`, `Succeeded` or `Failed` (Azure's operation status values).
    status          TEXT NOT NULL,
    start_time      INTEGER NOT NULL,
    due_time        INTEGER NOT NULL,
    end_time        INTEGER,
    error_code      TEXT,
    error_message   TEXT
);

CREATE INDEX async_operations_pending ON async_operations (status, due_time);
CREATE INDEX async_operations_by_resource ON async_operations (resource_key, status);
