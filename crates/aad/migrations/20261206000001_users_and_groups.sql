-- Users managed through Microsoft Graph, and security groups with their members and owners
-- (issue 14, items 1 and 2). Append-only: never edit an applied migration.

-- What Graph's user writes need: sign-in may be blocked (`accountEnabled`), the password may have
-- to change at the next sign-in, and a deleted user waits in `directory/deletedItems` for 30 days
-- (`deleted_date_time` set) until it is restored or permanently deleted. A deleted user's
-- `user_principal_name` is its object id (no dashes) followed by the original name, as Entra
-- renames it, so a new user may take the name; `deleted_user_principal_name` keeps the original
-- for a restore.
ALTER TABLE users ADD COLUMN account_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN mail_nickname TEXT;
ALTER TABLE users ADD COLUMN given_name TEXT;
ALTER TABLE users ADD COLUMN surname TEXT;
ALTER TABLE users ADD COLUMN job_title TEXT;
ALTER TABLE users ADD COLUMN force_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN deleted_date_time TEXT;
ALTER TABLE users ADD COLUMN deleted_user_principal_name TEXT;

-- Security groups. Entra deletes security groups permanently (only Microsoft 365 groups are
-- soft-deleted), so a group row is the live group.
CREATE TABLE groups (
    id                TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    display_name      TEXT NOT NULL,
    mail_nickname     TEXT NOT NULL,
    description       TEXT,
    security_enabled  INTEGER NOT NULL,
    mail_enabled      INTEGER NOT NULL,
    created_date_time TEXT NOT NULL
);

-- Direct members and owners. A member is a user, a service principal or a group
-- (`member_type`: Graph's type name); the member may live in another table, so there is no
-- foreign key to it: deleting a principal deletes its rows here in the same transaction. A
-- soft-deleted user keeps its rows (Entra restores memberships with the user) but every read
-- leaves it out.
CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE COLLATE NOCASE,
    member_id   TEXT NOT NULL COLLATE NOCASE,
    member_type TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (member_id);

CREATE TABLE group_owners (
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE COLLATE NOCASE,
    owner_id   TEXT NOT NULL COLLATE NOCASE,
    owner_type TEXT NOT NULL,
    PRIMARY KEY (group_id, owner_id)
);
CREATE INDEX group_owners_owner ON group_owners (owner_id);

-- One number that grows with every change to who is (transitively) in which group: ARM caches a
-- principal's groups under it (GET /internal/principals/{id}/groups).
CREATE TABLE membership_generation (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO membership_generation (id, generation) VALUES (1, 1);
