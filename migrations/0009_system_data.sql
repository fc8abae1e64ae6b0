-- ARM's `systemData` of tracked resources (issue 17): who created and who last modified each
-- resource group, virtual machine, user-assigned identity and key vault, and when, as ARM hands
-- them to resource providers (`x-ms-arm-resource-system-data`). Keyed by the resource id in lower
-- case; a delete removes the resource's row and those of everything under it. Append-only: never
-- edit an applied migration.

CREATE TABLE system_data (
    resource_key          TEXT PRIMARY KEY,
    created_by            TEXT,
    created_by_type       TEXT,
    created_at            INTEGER,
    last_modified_by      TEXT NOT NULL,
    last_modified_by_type TEXT NOT NULL,
    last_modified_at      INTEGER NOT NULL
);
