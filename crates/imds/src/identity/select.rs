//! Which of the VM's identities a token request means (wire contract §2.2, §2.5): an explicit
//! selector must match an identity currently assigned to this VM; without one, the
//! system-assigned identity, else the only user-assigned one.

use crate::error::IdentityError;
use crate::host_api::{HostIdentity, IdentityKind};

/// The identity a token request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    /// No selector.
    Default,
    /// `client_id`: the identity's client (application) id.
    ClientId(String),
    /// `object_id`: the identity's principal (object) id.
    ObjectId(String),
    /// `msi_res_id` (or `mi_res_id`): a user-assigned identity's ARM id.
    ResourceId(String),
}

/// Picks the identity `selector` names among `identities`. Ids compare case-insensitively.
pub(crate) fn identity<'a>(
    identities: &'a [HostIdentity],
    selector: &Selector,
) -> Result<&'a HostIdentity, IdentityError> {
    let found = match selector {
        Selector::Default => return default_identity(identities),
        Selector::ClientId(id) => identities.iter().find(|i| same(&i.client_id, id)),
        Selector::ObjectId(id) => identities.iter().find(|i| same(&i.principal_id, id)),
        // msi_res_id names user-assigned identities; the system-assigned one has no id of its own.
        Selector::ResourceId(id) => identities
            .iter()
            .filter(|i| i.kind == IdentityKind::UserAssigned)
            .find(|i| same(&i.resource_id, id)),
    };
    found.ok_or(IdentityError::IdentityNotFound)
}

fn default_identity(identities: &[HostIdentity]) -> Result<&HostIdentity, IdentityError> {
    if let Some(system) = identities
        .iter()
        .find(|i| i.kind == IdentityKind::SystemAssigned)
    {
        return Ok(system);
    }
    let mut user_assigned = identities
        .iter()
        .filter(|i| i.kind == IdentityKind::UserAssigned);
    match (user_assigned.next(), user_assigned.next()) {
        (Some(only), None) => Ok(only),
        (Some(_), Some(_)) => Err(IdentityError::MultipleUserAssignedIdentities),
        (None, _) => Err(IdentityError::IdentityNotFound),
    }
}

/// Case-insensitive id comparison that ignores a trailing slash (ARM ids).
fn same(known: &str, asked: &str) -> bool {
    known
        .trim_end_matches('/')
        .eq_ignore_ascii_case(asked.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_of(kind: IdentityKind, name: &str) -> HostIdentity {
        HostIdentity {
            kind,
            resource_id: format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"),
            client_id: format!("client-{name}"),
            principal_id: format!("principal-{name}"),
        }
    }

    #[test]
    fn default_prefers_system_then_the_only_user_assigned() {
        let system = identity_of(IdentityKind::SystemAssigned, "vm");
        let one = identity_of(IdentityKind::UserAssigned, "one");
        let two = identity_of(IdentityKind::UserAssigned, "two");
        let pick =
            |list: &[HostIdentity]| identity(list, &Selector::Default).map(|i| i.client_id.clone());
        assert_eq!(pick(&[one.clone(), system]).unwrap(), "client-vm");
        assert_eq!(pick(std::slice::from_ref(&one)).unwrap(), "client-one");
        assert!(matches!(
            pick(&[one, two]),
            Err(IdentityError::MultipleUserAssignedIdentities)
        ));
        assert!(matches!(pick(&[]), Err(IdentityError::IdentityNotFound)));
    }

    #[test]
    fn selectors_match_case_insensitively_among_assigned_identities_only() {
        let list = [
            identity_of(IdentityKind::SystemAssigned, "vm"),
            identity_of(IdentityKind::UserAssigned, "one"),
        ];
        let cases = [
            (Selector::ClientId("CLIENT-ONE".into()), Some("client-one")),
            (Selector::ClientId("client-vm".into()), Some("client-vm")),
            (Selector::ObjectId("Principal-One".into()), Some("client-one")),
            (
                Selector::ResourceId("/SUBSCRIPTIONS/s/resourcegroups/RG/providers/microsoft.managedidentity/userassignedidentities/ONE".into()),
                Some("client-one"),
            ),
            (Selector::ResourceId(list[0].resource_id.replace("userAssignedIdentities/vm", "x")), None),
            (Selector::ClientId("client-other".into()), None),
            (Selector::ClientId(String::new()), None),
        ];
        for (selector, want) in cases {
            let got = identity(&list, &selector)
                .ok()
                .map(|i| i.client_id.as_str());
            assert_eq!(got, want, "{selector:?}");
        }
    }
}
