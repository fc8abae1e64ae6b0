//! Reading the compute and managed-identity answers: the identities a VM body carries.

use serde_json::Value;

/// `identity.principalId` of a VM body.
pub fn system_principal(vm: &Value) -> String {
    vm["identity"]["principalId"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The keys of `identity.userAssignedIdentities`, sorted.
pub fn user_identity_ids(vm: &Value) -> Vec<String> {
    let mut ids: Vec<String> = vm["identity"]["userAssignedIdentities"]
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    ids.sort();
    ids
}
