-- The activity log (issue 17 item 5): one row per event ARM records for a write, as
-- `Microsoft.Insights/eventtypes/management/values` serves it. Each write through the operation
-- table records two events sharing an operationId, `Started` and `Succeeded`/`Failed`, as Azure's
-- Administrative category does. `event` is the whole EventData JSON; the other columns are what
-- `$filter` selects on (compared case-insensitively, as Azure does). Times are seconds since the
-- epoch. Bounded by retention (90 days, as Azure keeps it) and a row cap (crate::activity_log).
-- Append-only: never edit an applied migration.
CREATE TABLE activity_log (
    sequence          INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id   TEXT NOT NULL COLLATE NOCASE,
    event_timestamp   INTEGER NOT NULL,
    resource_group    TEXT NOT NULL COLLATE NOCASE,
    resource_id       TEXT NOT NULL COLLATE NOCASE,
    resource_provider TEXT NOT NULL COLLATE NOCASE,
    correlation_id    TEXT NOT NULL COLLATE NOCASE,
    caller            TEXT NOT NULL COLLATE NOCASE,
    status            TEXT NOT NULL COLLATE NOCASE,
    event             TEXT NOT NULL
);

CREATE INDEX activity_log_by_time ON activity_log (subscription_id, event_timestamp);
