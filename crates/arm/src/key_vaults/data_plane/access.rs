//! Who may do what in a vault. RBAC vaults (`enableRbacAuthorization`) ask the RBAC evaluator for
//! the operation's data action at the object's scope (`{vault id}/secrets/{name}`), so assignments
//! at the object, vault, group, subscription or root all count, with groups and deny assignments
//! as for ARM. Access-policy vaults look for a policy of the caller's `oid` or of one of its groups
//! (a policy with an `applicationId` — a compound identity — only when the token's `appid` is that
//! application too) that lists the permission or `all`. Denials answer Key Vault's 403s:
//! `ForbiddenByRbac` and `AccessDenied`, with Azure's messages.

use super::{KvError, Vault};
use crate::key_vaults::model::AccessPolicyEntry;
use crate::rbac::{self, Attributes, Decision};
use crate::role_definitions::model::Plane;

/// The object kinds of a vault's permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `secrets`.
    Secrets,
    /// `keys`.
    Keys,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Secrets => "secrets",
            Kind::Keys => "keys",
        }
    }
}

/// What one operation needs: its RBAC data action and its access-policy permission.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// E.g. `Microsoft.KeyVault/vaults/secrets/getSecret/action`.
    pub data_action: &'static str,
    /// The access-policy list it is in.
    pub kind: Kind,
    /// The access-policy permission, e.g. `get`.
    pub policy: &'static str,
}

/// `Ok` when the caller may perform `permission` on the object `object` (`secrets/{name}`,
/// `keys/{name}`) or on the vault itself (`None`: lists).
pub async fn authorize(
    vault: &Vault,
    permission: Permission,
    object: Option<&str>,
) -> Result<(), KvError> {
    let state = &vault.state;
    let caller = &vault.caller;
    let scope = match object {
        Some(object) => format!("{}/{object}", vault.scope()),
        None => vault.scope(),
    };
    let who = format!(
        "appid={};oid={};iss={}",
        caller.appid,
        caller.oid,
        crate::auth::issuer_of(&caller.tid)
    );
    if vault.record.settings.enable_rbac_authorization {
        let decision = rbac::authorize_data(
            state,
            caller,
            permission.data_action,
            &scope,
            &Attributes::none(),
        )
        .await?;
        let (deny_id, reason) = match decision {
            Decision::Allowed => return Ok(()),
            Decision::NotGranted => ("null".to_string(), "null".to_string()),
            Decision::Denied(deny) => (
                format!("'{}'", deny.name()),
                "'DeniedWithDenyAssignment'".to_string(),
            ),
        };
        return Err(KvError::Forbidden {
            message: format!(
                "Caller is not authorized to perform action on resource.\r\n\
                 If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n\
                 Caller: {who}\r\n\
                 Action: '{}'\r\n\
                 Resource: '{}'\r\n\
                 Assignment: (not found)\r\n\
                 DenyAssignmentId: {deny_id}\r\n\
                 DecisionReason: {reason} \r\n\
                 Vault: {}\r\n",
                permission.data_action,
                scope.to_lowercase(),
                vault.display()
            ),
            inner: "ForbiddenByRbac",
        });
    }
    let principals = rbac::principal_and_groups(state, &caller.oid).await;
    let policies = &vault.record.settings.access_policies;
    let names_caller = |policy: &&AccessPolicyEntry| {
        let named = principals
            .iter()
            .any(|id| id.eq_ignore_ascii_case(&policy.object_id));
        let application_matches = match &policy.application_id {
            Some(application) => application.eq_ignore_ascii_case(&caller.appid),
            None => true,
        };
        named && application_matches
    };
    let listed = |policy: &&AccessPolicyEntry| {
        permissions_of(policy, permission.kind)
            .iter()
            .any(|granted| {
                granted.eq_ignore_ascii_case(permission.policy)
                    || granted.eq_ignore_ascii_case("all")
            })
    };
    let granting = policies.iter().filter(names_caller).find(listed);
    record_policy_decision(
        vault,
        permission,
        &scope,
        granting,
        policies.iter().filter(names_caller),
    );
    match granting {
        Some(_) => Ok(()),
        None => Err(KvError::Forbidden {
            message: format!(
                "The user, group or application '{who}' does not have {} {} permission on key vault '{}'. \
                 For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                permission.kind.name(),
                permission.policy,
                vault.display()
            ),
            inner: "AccessDenied",
        }),
    }
}

fn permissions_of(policy: &AccessPolicyEntry, kind: Kind) -> &[String] {
    let list = match kind {
        Kind::Secrets => &policy.permissions.secrets,
        Kind::Keys => &policy.permissions.keys,
    };
    list.as_deref().unwrap_or_default()
}

/// Records an access-policy decision ([`rbac::decisions`]): the policy that granted it, or why
/// none did (the caller's policies and what they list, or that it has none).
fn record_policy_decision<'a>(
    vault: &Vault,
    permission: Permission,
    scope: &str,
    granting: Option<&AccessPolicyEntry>,
    callers: impl Iterator<Item = &'a AccessPolicyEntry>,
) {
    let mut record = rbac::new_record(
        &vault.state,
        &vault.caller,
        Plane::Data,
        permission.data_action,
        scope,
    );
    record.authorization = "accessPolicy".to_string();
    let wanted = format!("{} {}", permission.kind.name(), permission.policy);
    record.reason = match granting {
        Some(policy) => {
            record.decision = rbac::decisions::ALLOWED.to_string();
            format!(
                "the access policy of {} lists {wanted}",
                policy_holder(policy)
            )
        }
        None => {
            let held: Vec<String> = callers
                .map(|policy| {
                    format!(
                        "the access policy of {} lists {} [{}]",
                        policy_holder(policy),
                        permission.kind.name(),
                        permissions_of(policy, permission.kind).join(", ")
                    )
                })
                .collect();
            match held.is_empty() {
                true => format!(
                    "no access policy of this principal or its groups in vault '{}' (the vault uses access policies, not RBAC); one listing {wanted} would grant it",
                    vault.display()
                ),
                false => format!("no access policy lists {wanted}: {}", held.join("; ")),
            }
        }
    };
    vault.state.decisions.push(record);
}

fn policy_holder(policy: &AccessPolicyEntry) -> String {
    match &policy.application_id {
        Some(application) => format!("object {} with application {application}", policy.object_id),
        None => format!("object {}", policy.object_id),
    }
}
