-- Graph's permission model (issue 14, item 5): directory role assignments, the tenant's default
-- user permissions, and which one-time seeds a data dir has had. Append-only: never edit an
-- applied migration.

-- Entra roles (Global Administrator, User Administrator, …) held by users and service principals,
-- tenant-wide (directory scope '/'). The role is its template id; the id is Graph's
-- unifiedRoleAssignment id, made from the role and the principal, so one principal holds a role
-- once.
CREATE TABLE directory_role_assignments (
    id                 TEXT NOT NULL PRIMARY KEY,
    principal_id       TEXT NOT NULL COLLATE NOCASE,
    role_template_id   TEXT NOT NULL COLLATE NOCASE,
    directory_scope_id TEXT NOT NULL DEFAULT '/',
    created_date_time  TEXT NOT NULL,
    UNIQUE (principal_id, role_template_id, directory_scope_id)
);
CREATE INDEX directory_role_assignments_role ON directory_role_assignments (role_template_id);

-- The tenant's authorizationPolicy.defaultUserRolePermissions: what every member user may do
-- without a role (Entra's defaults: register applications, create security groups).
CREATE TABLE default_user_role_permissions (
    id                                INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    allowed_to_create_apps            INTEGER NOT NULL,
    allowed_to_create_security_groups INTEGER NOT NULL
);
INSERT INTO default_user_role_permissions (id, allowed_to_create_apps, allowed_to_create_security_groups)
VALUES (1, 1, 1);

-- One-time seeds applied to this directory (e.g. the fixture's permission grants), by name, so a
-- data dir made before they existed gets them once and a revoked grant stays revoked.
CREATE TABLE directory_seeds (
    name              TEXT NOT NULL PRIMARY KEY,
    applied_date_time TEXT NOT NULL
);
