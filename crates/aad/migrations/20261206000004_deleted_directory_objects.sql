-- Soft delete of applications and service principals, and the directory-role assignments of
-- deleted principals (issue 14, items 1, 3 and 5). Append-only: never edit an applied migration.

-- Every application and service principal in `directory/deletedItems`, with when it was deleted.
-- (Deleted users stay in `users`, marked by `deleted_date_time`.)
CREATE TABLE deleted_directory_objects (
    id                TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    object_type       TEXT NOT NULL,
    deleted_date_time TEXT NOT NULL
);

-- A deleted object's rows are moved out of the live tables into these copies (same columns, same
-- order), so nothing that reads the live directory — sign-in, `invalid_resource`, lists, `$filter`,
-- permission checks — sees a deleted object, and a restore moves them back. A deleted
-- application's identifierUris are therefore free while it waits (see docs/graph.md). A column
-- added to a live table must be added to its copy in the same migration (a test compares them).
CREATE TABLE deleted_applications AS SELECT * FROM applications WHERE 0;
CREATE TABLE deleted_application_identifier_uris AS SELECT * FROM application_identifier_uris WHERE 0;
CREATE TABLE deleted_application_password_credentials AS SELECT * FROM application_password_credentials WHERE 0;
CREATE TABLE deleted_application_key_credentials AS SELECT * FROM application_key_credentials WHERE 0;
CREATE TABLE deleted_application_owners AS SELECT * FROM application_owners WHERE 0;
CREATE TABLE deleted_service_principals AS SELECT * FROM service_principals WHERE 0;
CREATE TABLE deleted_password_credentials AS SELECT * FROM password_credentials WHERE 0;
CREATE TABLE deleted_key_credentials AS SELECT * FROM key_credentials WHERE 0;
CREATE TABLE deleted_app_role_assignments AS SELECT * FROM app_role_assignments WHERE 0;
CREATE TABLE deleted_group_members AS SELECT * FROM group_members WHERE 0;
CREATE TABLE deleted_group_owners AS SELECT * FROM group_owners WHERE 0;
CREATE TABLE deleted_directory_role_assignments AS SELECT * FROM directory_role_assignments WHERE 0;

