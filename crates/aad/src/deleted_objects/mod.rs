//! `directory/deletedItems` for applications and service principals: soft delete, restore and
//! permanent delete, and what happens to a deleted principal's links (credentials, owners, app-role
//! assignments, group memberships, directory-role assignments).
//!
//! A deleted object's rows move out of the live tables into copies of them (`deleted_…`, same
//! columns) and [`store::DeletedObjects`] records when it was deleted. Nothing that reads the live
//! directory — client authentication, a token's resource lookup (`invalid_resource`), Graph's lists
//! and `$filter`, permission checks — can see a deleted object, and a restore moves its rows back.
//! Users are soft-deleted in place (`users.deleted_date_time`); only their directory-role
//! assignments move aside ([`store::USER`]).
//!
//! What Entra does, and mimic with it:
//! - deleting an application deletes its service principal too; restoring the application does not
//!   restore the service principal (Graph: "You must call this API to explicitly restore the
//!   deleted service principal");
//! - a restored object comes back with its credentials, owners, app-role assignments (held, and
//!   granted on its app roles), group memberships and ownerships, and directory roles — each link
//!   whose other end still exists;
//! - a deleted application's `identifierUris` are free while it waits (another application may take
//!   one; restoring it then answers Graph's `ObjectConflict`);
//! - managed identities' service principals are never soft-deleted (Graph refuses to delete them;
//!   ARM deletes them for good through the internal API).

pub mod store;

/// Where an object's rows are: the live tables, or their `deleted_…` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shelf {
    Live,
    Deleted,
}

impl Shelf {
    /// The table `name` on this shelf.
    pub fn table(self, name: &str) -> String {
        match self {
            Self::Live => name.to_string(),
            Self::Deleted => format!("deleted_{name}"),
        }
    }
}

/// Graph's type name of a deleted application.
pub const APPLICATION: &str = "microsoft.graph.application";
/// Graph's type name of a deleted service principal.
pub const SERVICE_PRINCIPAL: &str = "microsoft.graph.servicePrincipal";
