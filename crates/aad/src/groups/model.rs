//! Groups and directory-object references: the domain types the store and Graph share.

/// A security group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Object id.
    pub id: String,
    /// `displayName`.
    pub display_name: String,
    /// `mailNickname`.
    pub mail_nickname: String,
    /// `description`.
    pub description: Option<String>,
    /// `securityEnabled` (always true: mimic creates security groups only).
    pub security_enabled: bool,
    /// `mailEnabled` (always false).
    pub mail_enabled: bool,
    /// ISO 8601 UTC.
    pub created_date_time: String,
}

/// The kinds of directory object a group may hold as member or owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `microsoft.graph.user`.
    User,
    /// `microsoft.graph.servicePrincipal` (applications and managed identities).
    ServicePrincipal,
    /// `microsoft.graph.group`.
    Group,
}

impl ObjectKind {
    /// Graph's type name, as stored: `user`, `servicePrincipal`, `group`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ServicePrincipal => "servicePrincipal",
            Self::Group => "group",
        }
    }

    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::User, Self::ServicePrincipal, Self::Group]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// A directory object by id and kind: a member or owner of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Object id (lower case).
    pub id: String,
    /// What it is.
    pub kind: ObjectKind,
}

/// What a Graph `PATCH /groups/{id}` changes; `None` leaves a property as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub display_name: Option<String>,
    pub mail_nickname: Option<String>,
    pub description: Option<Option<String>>,
}

/// The result of adding a member or owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The reference was added.
    Added,
    /// It was already there: nothing changed.
    AlreadyThere,
    /// No such group.
    NoGroup,
}

/// Which relation of a group: `members` or `owners`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `members`.
    Members,
    /// `owners`.
    Owners,
}

impl Relation {
    /// The navigation property's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Owners => "owners",
        }
    }

    /// `(table, id column, type column)`.
    pub(crate) fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Members => ("group_members", "member_id", "member_type"),
            Self::Owners => ("group_owners", "owner_id", "owner_type"),
        }
    }
}

/// The security identifier Entra gives a cloud object: `S-1-12-1-` and the object id's 16 bytes
/// (in .NET's GUID byte order) read as four little-endian 32-bit numbers.
pub fn security_identifier(id: &str) -> Option<String> {
    let guid = uuid::Uuid::parse_str(id).ok()?;
    let bytes = guid.to_bytes_le();
    let parts: Vec<String> = bytes
        .chunks_exact(4)
        .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]).to_string())
        .collect();
    Some(format!("S-1-12-1-{}", parts.join("-")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_identifier_reads_the_guid_as_dotnet_lays_it_out() {
        // 00000001-0002-0003-0405-060708090a0b: Data1 LE = 1, Data2|Data3 = 2 | 3 << 16, ...
        let sid = security_identifier("00000001-0002-0003-0405-060708090a0b").unwrap();
        assert_eq!(sid, "S-1-12-1-1-196610-117835012-185207048");
    }

    #[test]
    fn object_kinds_round_trip_through_their_names() {
        for kind in [
            ObjectKind::User,
            ObjectKind::ServicePrincipal,
            ObjectKind::Group,
        ] {
            assert_eq!(ObjectKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ObjectKind::parse("device"), None);
    }
}
