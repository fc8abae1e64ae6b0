//! Key vaults (`Microsoft.KeyVault/vaults`): wire shapes, the domain record and Key Vault's rules.
//! See <https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults> and the spec
//! (`specification/keyvault/resource-manager/Microsoft.KeyVault/KeyVault/stable/2026-02-01`).

use serde::{Deserialize, Serialize};

use crate::ArmError;
use mimic_azure::time::arm_timestamp;
use mimic_azure::Tags;

/// The ARM resource type.
pub const RESOURCE_TYPE: &str = "Microsoft.KeyVault/vaults";
/// The type of a soft-deleted vault.
pub const DELETED_TYPE: &str = "Microsoft.KeyVault/deletedVaults";
/// The type of an access-policy update's answer.
pub const ACCESS_POLICY_TYPE: &str = "Microsoft.KeyVault/vaults/accessPolicies";

/// The softDeleteRetentionInDays default and bounds ("It accepts >=7 and <=90").
pub const DEFAULT_RETENTION_DAYS: i64 = 90;
const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 7..=90;

/// At most this many access policies per vault (Key Vault's documented service limit).
pub const MAX_ACCESS_POLICIES: usize = 1024;

/// The first api-version whose vault creation defaults `enableRbacAuthorization` to true.
/// "When you create a new key vault with API version 2026-02-01 or later, the default access
/// control model is Azure RBAC (enableRbacAuthorization = true). This default applies only to
/// create operations." (<https://learn.microsoft.com/azure/key-vault/general/access-control-default>;
/// the spec's own description still says false.)
pub const RBAC_DEFAULT_FROM: &str = "2026-02-01";

/// Whether a vault created at `version` without `enableRbacAuthorization` gets RBAC.
pub fn rbac_by_default(version: &str) -> bool {
    &version[..version.len().min(10)] >= RBAC_DEFAULT_FROM
}

/// Key Vault's name rule: 3-24 letters, digits and hyphens; a letter first; a letter or digit
/// last; no consecutive hyphens.
pub fn is_valid_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !name.contains("--")
}

/// `VaultNameNotValid` unless `name` follows the rule.
pub fn check_name(name: &str) -> Result<(), ArmError> {
    match is_valid_name(name) {
        true => Ok(()),
        false => Err(ArmError::VaultNameNotValid(name.to_string())),
    }
}

/// `sku` of a vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sku {
    pub family: String,
    pub name: String,
}

/// The permissions of an access policy, as sent (Key Vault compares them ignoring case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Vec<String>>,
}

impl Permissions {
    fn lists_mut(&mut self) -> [&mut Option<Vec<String>>; 4] {
        [
            &mut self.keys,
            &mut self.secrets,
            &mut self.certificates,
            &mut self.storage,
        ]
    }

    /// Adds `other`'s permissions to these (each once, ignoring case).
    pub fn merge(&mut self, mut other: Permissions) {
        for (mine, theirs) in self.lists_mut().into_iter().zip(other.lists_mut()) {
            let Some(theirs) = theirs.take() else {
                continue;
            };
            let list = mine.get_or_insert_with(Vec::new);
            for permission in theirs {
                if !list.iter().any(|p| p.eq_ignore_ascii_case(&permission)) {
                    list.push(permission);
                }
            }
        }
    }
}

/// One access policy (`AccessPolicyEntry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyEntry {
    pub tenant_id: String,
    pub object_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    pub permissions: Permissions,
}

impl AccessPolicyEntry {
    /// Whether both name the same identity (tenant, object and application, ignoring case).
    pub fn same_identity(&self, other: &AccessPolicyEntry) -> bool {
        let application = |entry: &AccessPolicyEntry| {
            entry
                .application_id
                .clone()
                .unwrap_or_default()
                .to_lowercase()
        };
        self.tenant_id.eq_ignore_ascii_case(&other.tenant_id)
            && self.object_id.eq_ignore_ascii_case(&other.object_id)
            && application(self) == application(other)
    }
}

/// An access policy as a request sends it (everything optional, so that a gap gets Key Vault's
/// answer rather than a deserialization error).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyRequest {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

/// What mimic stores of a vault's properties (the spec's `VaultProperties` without the derived
/// `vaultUri` and `provisioningState`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultSettings {
    pub tenant_id: String,
    pub sku: Sku,
    pub access_policies: Vec<AccessPolicyEntry>,
    pub enabled_for_deployment: bool,
    pub enabled_for_disk_encryption: bool,
    pub enabled_for_template_deployment: bool,
    pub enable_soft_delete: bool,
    pub soft_delete_retention_in_days: i64,
    pub enable_rbac_authorization: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_purge_protection: Option<bool>,
    /// Kept and shown as sent; mimic does not filter traffic by network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acls: Option<serde_json::Value>,
    pub public_network_access: String,
}

/// A stored vault, live or soft-deleted.
#[derive(Debug, Clone)]
pub struct Vault {
    /// Store key.
    pub key: i64,
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Tags,
    pub settings: VaultSettings,
    /// Seconds since the epoch.
    pub created_time: i64,
    pub changed_time: i64,
    /// Set while the vault is soft-deleted.
    pub deleted_time: Option<i64>,
    pub scheduled_purge_time: Option<i64>,
}

impl Vault {
    /// The vault's ARM id.
    pub fn id(&self) -> String {
        vault_id(&self.subscription_id, &self.resource_group, &self.name)
    }

    /// The id of the vault as a deleted vault.
    pub fn deleted_id(&self) -> String {
        format!(
            "/subscriptions/{}/providers/Microsoft.KeyVault/locations/{}/deletedVaults/{}",
            self.subscription_id, self.location, self.name
        )
    }
}

/// The ARM id of a vault.
pub fn vault_id(subscription_id: &str, resource_group: &str, name: &str) -> String {
    format!("/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.KeyVault/vaults/{name}")
}

// ---------------------------------------------------------------- requests

/// The body of `Vaults_CreateOrUpdate` (PUT).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultCreateRequest {
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default)]
    pub properties: Option<VaultRequestProperties>,
}

/// The body of `Vaults_Update` (PATCH).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultPatchRequest {
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default)]
    pub properties: Option<VaultRequestProperties>,
}

/// `properties` of a PUT or PATCH (`vaultUri`, `provisioningState` and other read-only fields a
/// client echoes back from a GET are ignored, as Key Vault ignores them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultRequestProperties {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub sku: Option<Sku>,
    #[serde(default)]
    pub access_policies: Option<Vec<AccessPolicyRequest>>,
    #[serde(default)]
    pub enabled_for_deployment: Option<bool>,
    #[serde(default)]
    pub enabled_for_disk_encryption: Option<bool>,
    #[serde(default)]
    pub enabled_for_template_deployment: Option<bool>,
    #[serde(default)]
    pub enable_soft_delete: Option<bool>,
    #[serde(default)]
    pub enable_rbac_authorization: Option<bool>,
    #[serde(default)]
    pub soft_delete_retention_in_days: Option<i64>,
    #[serde(default)]
    pub create_mode: Option<String>,
    #[serde(default)]
    pub enable_purge_protection: Option<bool>,
    #[serde(default)]
    pub network_acls: Option<serde_json::Value>,
    #[serde(default)]
    pub public_network_access: Option<String>,
}

impl VaultRequestProperties {
    /// Whether `createMode` is `recover` (any case).
    pub fn is_recover(&self) -> bool {
        self.create_mode
            .as_deref()
            .is_some_and(|mode| mode.eq_ignore_ascii_case("recover"))
    }
}

/// The body of `Vaults_UpdateAccessPolicy`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccessPolicyUpdateRequest {
    #[serde(default)]
    pub properties: Option<AccessPolicyUpdateProperties>,
}

/// `properties` of an access-policy update.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyUpdateProperties {
    #[serde(default)]
    pub access_policies: Option<Vec<AccessPolicyRequest>>,
}

/// `{operationKind}` of `Vaults_UpdateAccessPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessPolicyUpdateKind {
    Add,
    Replace,
    Remove,
}

impl AccessPolicyUpdateKind {
    /// Parses `add`, `replace` or `remove` (any case). Text: mimic's.
    pub fn parse(kind: &str) -> Result<Self, ArmError> {
        match kind.to_ascii_lowercase().as_str() {
            "add" => Ok(Self::Add),
            "replace" => Ok(Self::Replace),
            "remove" => Ok(Self::Remove),
            _ => Err(ArmError::BadRequest(format!(
                "The access policy operation kind '{kind}' is invalid. The allowed values are 'add', 'replace' and 'remove'."
            ))),
        }
    }

    /// `add`, `replace` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Replace => "replace",
            Self::Remove => "remove",
        }
    }
}

/// Applies an access-policy update: `add` merges each entry's permissions into the policy of the
/// same identity (or appends it), `replace` sets them, `remove` drops that identity's policy.
pub fn apply_policy_update(
    policies: &mut Vec<AccessPolicyEntry>,
    kind: AccessPolicyUpdateKind,
    entries: Vec<AccessPolicyEntry>,
) {
    for entry in entries {
        let position = policies.iter().position(|p| p.same_identity(&entry));
        match (kind, position) {
            (AccessPolicyUpdateKind::Add, Some(index)) => {
                policies[index].permissions.merge(entry.permissions);
            }
            (AccessPolicyUpdateKind::Replace, Some(index)) => policies[index] = entry,
            (AccessPolicyUpdateKind::Add | AccessPolicyUpdateKind::Replace, None) => {
                policies.push(entry);
            }
            (AccessPolicyUpdateKind::Remove, Some(index)) => {
                policies.remove(index);
            }
            (AccessPolicyUpdateKind::Remove, None) => {}
        }
    }
}

// ---------------------------------------------------------------- rules

// Texts: mimic's unless noted (no recorded Azure answer found).
fn bad(message: impl Into<String>) -> ArmError {
    ArmError::BadRequest(message.into())
}

fn missing(property: &str) -> ArmError {
    bad(format!(
        "The parameter '{property}' is required and was not provided."
    ))
}

/// Azure's text for `enablePurgeProtection: false` (Azure/azure-cli#29115).
pub const PURGE_PROTECTION_FALSE: &str = "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.";

fn check_guid(value: &str, property: &str) -> Result<String, ArmError> {
    uuid::Uuid::parse_str(value)
        .map(|guid| guid.to_string())
        .map_err(|_| {
            bad(format!(
                "The value '{value}' of parameter '{property}' is not a valid GUID."
            ))
        })
}

fn check_sku(sku: &Sku) -> Result<Sku, ArmError> {
    let name = match sku.name.to_ascii_lowercase().as_str() {
        "standard" => "standard",
        "premium" => "premium",
        _ => {
            return Err(bad(format!(
                "The SKU name '{}' is invalid. The allowed values are 'standard' and 'premium'.",
                sku.name
            )))
        }
    };
    if !sku.family.eq_ignore_ascii_case("A") {
        return Err(bad(format!(
            "The SKU family '{}' is invalid. The allowed value is 'A'.",
            sku.family
        )));
    }
    Ok(Sku {
        family: "A".to_string(),
        name: name.to_string(),
    })
}

/// The access policies of a request, checked: each names a GUID object (and application) of the
/// vault's tenant.
pub fn check_policies(
    requested: &[AccessPolicyRequest],
    tenant_id: &str,
) -> Result<Vec<AccessPolicyEntry>, ArmError> {
    if requested.len() > MAX_ACCESS_POLICIES {
        return Err(bad(format!(
            "The number of access policies exceeds the maximum of {MAX_ACCESS_POLICIES}."
        )));
    }
    requested
        .iter()
        .map(|policy| {
            let policy_tenant = policy
                .tenant_id
                .as_deref()
                .ok_or_else(|| missing("accessPolicies.tenantId"))?;
            let object_id = policy
                .object_id
                .as_deref()
                .ok_or_else(|| missing("accessPolicies.objectId"))?;
            let policy_tenant = check_guid(policy_tenant, "accessPolicies.tenantId")?;
            if !policy_tenant.eq_ignore_ascii_case(tenant_id) {
                return Err(bad(format!(
                    "The tenant ID '{policy_tenant}' of an access policy is not the vault's tenant ID '{tenant_id}'. All access policies must use the vault's tenant ID."
                )));
            }
            let application_id = policy
                .application_id
                .as_deref()
                .map(|id| check_guid(id, "accessPolicies.applicationId"))
                .transpose()?;
            Ok(AccessPolicyEntry {
                tenant_id: policy_tenant,
                object_id: check_guid(object_id, "accessPolicies.objectId")?,
                application_id,
                permissions: policy.permissions.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// The settings a PUT asks for, against Key Vault's rules. `current` is the live vault a PUT
/// replaces (its RBAC model is kept unless the request names one, and purge protection cannot be
/// turned off); `subscription_tenant` is the tenant the vault must belong to.
pub fn settings_of_put(
    properties: Option<&VaultRequestProperties>,
    current: Option<&VaultSettings>,
    subscription_tenant: &str,
    version: &str,
) -> Result<VaultSettings, ArmError> {
    let properties = properties.ok_or_else(|| missing("properties"))?;
    let tenant_id = properties
        .tenant_id
        .as_deref()
        .ok_or_else(|| missing("properties.tenantId"))?;
    let tenant_id = check_guid(tenant_id, "properties.tenantId")?;
    if !tenant_id.eq_ignore_ascii_case(subscription_tenant) {
        return Err(bad(format!(
            "The tenant ID '{tenant_id}' is not the tenant '{subscription_tenant}' of the subscription. A vault's tenant ID must be the tenant of its subscription."
        )));
    }
    let sku = check_sku(
        properties
            .sku
            .as_ref()
            .ok_or_else(|| missing("properties.sku"))?,
    )?;
    let access_policies = check_policies(
        properties.access_policies.as_deref().unwrap_or(&[]),
        &tenant_id,
    )?;
    let rbac = properties
        .enable_rbac_authorization
        .unwrap_or(match current {
            Some(current) => current.enable_rbac_authorization,
            None => rbac_by_default(version),
        });
    let settings = VaultSettings {
        tenant_id,
        sku,
        access_policies,
        enabled_for_deployment: properties.enabled_for_deployment.unwrap_or(false),
        enabled_for_disk_encryption: properties.enabled_for_disk_encryption.unwrap_or(false),
        enabled_for_template_deployment: properties
            .enabled_for_template_deployment
            .unwrap_or(false),
        enable_soft_delete: true,
        soft_delete_retention_in_days: properties
            .soft_delete_retention_in_days
            .or(current.map(|c| c.soft_delete_retention_in_days))
            .unwrap_or(DEFAULT_RETENTION_DAYS),
        enable_rbac_authorization: rbac,
        enable_purge_protection: properties
            .enable_purge_protection
            .or(current.and_then(|c| c.enable_purge_protection)),
        network_acls: properties.network_acls.clone(),
        public_network_access: properties
            .public_network_access
            .clone()
            .unwrap_or_else(|| "Enabled".to_string()),
    };
    check_settings(&settings, properties, current)?;
    Ok(settings)
}

/// The settings after a PATCH: every property the request names replaces the current one.
pub fn settings_of_patch(
    properties: Option<&VaultRequestProperties>,
    current: &VaultSettings,
) -> Result<VaultSettings, ArmError> {
    let Some(properties) = properties else {
        return Ok(current.clone());
    };
    let mut settings = current.clone();
    if let Some(tenant_id) = &properties.tenant_id {
        let tenant_id = check_guid(tenant_id, "properties.tenantId")?;
        if !tenant_id.eq_ignore_ascii_case(&current.tenant_id) {
            return Err(bad(format!(
                "The tenant ID '{tenant_id}' is not the tenant '{}' of the subscription. A vault's tenant ID must be the tenant of its subscription.",
                current.tenant_id
            )));
        }
    }
    if let Some(sku) = &properties.sku {
        settings.sku = check_sku(sku)?;
    }
    if let Some(policies) = &properties.access_policies {
        settings.access_policies = check_policies(policies, &current.tenant_id)?;
    }
    let flags = [
        (
            properties.enabled_for_deployment,
            &mut settings.enabled_for_deployment,
        ),
        (
            properties.enabled_for_disk_encryption,
            &mut settings.enabled_for_disk_encryption,
        ),
        (
            properties.enabled_for_template_deployment,
            &mut settings.enabled_for_template_deployment,
        ),
        (
            properties.enable_rbac_authorization,
            &mut settings.enable_rbac_authorization,
        ),
    ];
    for (requested, flag) in flags {
        if let Some(value) = requested {
            *flag = value;
        }
    }
    if let Some(days) = properties.soft_delete_retention_in_days {
        settings.soft_delete_retention_in_days = days;
    }
    if properties.enable_purge_protection.is_some() {
        settings.enable_purge_protection = properties.enable_purge_protection;
    }
    if properties.network_acls.is_some() {
        settings.network_acls = properties.network_acls.clone();
    }
    if let Some(access) = &properties.public_network_access {
        settings.public_network_access = access.clone();
    }
    check_settings(&settings, properties, Some(current))?;
    Ok(settings)
}

fn check_settings(
    settings: &VaultSettings,
    requested: &VaultRequestProperties,
    current: Option<&VaultSettings>,
) -> Result<(), ArmError> {
    if !RETENTION_DAYS.contains(&settings.soft_delete_retention_in_days) {
        return Err(bad(format!(
            "The value '{}' of property 'softDeleteRetentionInDays' is invalid. It must be between 7 and 90.",
            settings.soft_delete_retention_in_days
        )));
    }
    if requested.enable_soft_delete == Some(false) {
        return Err(bad(
            "The property \"enableSoftDelete\" cannot be set to false. Soft delete is always on for key vaults.",
        ));
    }
    if requested.enable_purge_protection == Some(false) {
        return Err(bad(PURGE_PROTECTION_FALSE));
    }
    let retention_changed = current.is_some_and(|current| {
        current.soft_delete_retention_in_days != settings.soft_delete_retention_in_days
    });
    if retention_changed {
        // Key Vault fixes the retention at creation ("cannot be changed once the vault is created").
        return Err(bad(
            "The property \"softDeleteRetentionInDays\" cannot be changed once the vault is created.",
        ));
    }
    if !["enabled", "disabled", "securedbyperimeter"]
        .contains(&settings.public_network_access.to_ascii_lowercase().as_str())
    {
        return Err(bad(format!(
            "The value '{}' of property 'publicNetworkAccess' is invalid. The allowed values are 'Enabled' and 'Disabled'.",
            settings.public_network_access
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- responses

/// A vault as Key Vault returns it.
#[derive(Debug, Clone, Serialize)]
pub struct VaultResponse {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    pub tags: Tags,
    /// From 2021-04-01-preview ([`crate::system_data`]).
    #[serde(rename = "systemData", skip_serializing_if = "Option::is_none")]
    pub system_data: Option<crate::system_data::SystemData>,
    pub properties: VaultResponseProperties,
}

/// `properties` of a vault response: the stored settings with `vaultUri` and `provisioningState`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultResponseProperties {
    #[serde(flatten)]
    pub settings: VaultSettings,
    pub vault_uri: String,
    pub provisioning_state: &'static str,
}

impl VaultResponse {
    /// The vault, its URI under `dns_suffix` (and `port`).
    pub fn of(vault: &Vault, dns_suffix: &str, port: Option<u16>) -> Self {
        Self {
            id: vault.id(),
            name: vault.name.clone(),
            kind: RESOURCE_TYPE,
            location: vault.location.clone(),
            tags: vault.tags.clone(),
            system_data: None,
            properties: VaultResponseProperties {
                settings: vault.settings.clone(),
                vault_uri: vault_uri(&vault.name, dns_suffix, port),
                provisioning_state: "Succeeded",
            },
        }
    }
}

/// `https://{name}.{suffix}[:port]/`, the name lower-case as a host name is.
pub fn vault_uri(name: &str, dns_suffix: &str, port: Option<u16>) -> String {
    let port = port.map(|port| format!(":{port}")).unwrap_or_default();
    format!("https://{}.{dns_suffix}{port}/", name.to_lowercase())
}

/// A soft-deleted vault (`DeletedVault`).
#[derive(Debug, Clone, Serialize)]
pub struct DeletedVaultResponse {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub properties: DeletedVaultProperties,
}

/// `properties` of a deleted vault.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedVaultProperties {
    pub vault_id: String,
    pub location: String,
    pub deletion_date: String,
    pub scheduled_purge_date: String,
    pub tags: Tags,
    pub purge_protection_enabled: bool,
}

impl From<&Vault> for DeletedVaultResponse {
    fn from(vault: &Vault) -> Self {
        Self {
            id: vault.deleted_id(),
            name: vault.name.clone(),
            kind: DELETED_TYPE,
            properties: DeletedVaultProperties {
                vault_id: vault.id(),
                location: vault.location.clone(),
                deletion_date: date(vault.deleted_time.unwrap_or_default()),
                scheduled_purge_date: date(vault.scheduled_purge_time.unwrap_or_default()),
                tags: vault.tags.clone(),
                purge_protection_enabled: vault.settings.enable_purge_protection == Some(true),
            },
        }
    }
}

/// The deleted-vault date format of the spec's examples: `2017-01-01T00:00:59Z`.
fn date(epoch_seconds: i64) -> String {
    let timestamp = arm_timestamp(epoch_seconds);
    match timestamp.split_once('.') {
        Some((seconds, _)) => format!("{seconds}Z"),
        None => timestamp,
    }
}

/// The answer to an access-policy update (`VaultAccessPolicyParameters`).
#[derive(Debug, Clone, Serialize)]
pub struct AccessPolicyUpdateResponse {
    pub id: String,
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    pub properties: AccessPolicyUpdateResponseProperties,
}

/// `properties` of an access-policy update's answer: the policies the request named.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyUpdateResponseProperties {
    pub access_policies: Vec<AccessPolicyEntry>,
}

/// The body of `Vaults_CheckNameAvailability`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckNameRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `CheckNameAvailabilityResult`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckNameResponse {
    pub name_available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_valid_name_follows_key_vaults_rule() {
        for good in ["abc", "my-vault-1", "A1b", &format!("a{}", "b".repeat(23))] {
            assert!(is_valid_name(good), "{good}");
        }
        let long = "a".repeat(25);
        for bad in [
            "ab", "1abc", "-abc", "abc-", "ab--c", "a_bc", "a.bc", "abé", &long,
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn rbac_is_the_default_from_2026_02_01() {
        assert!(!rbac_by_default("2025-05-01"));
        assert!(!rbac_by_default("2024-12-01-preview"));
        assert!(rbac_by_default("2026-02-01"));
        assert!(rbac_by_default("2026-03-01-preview"));
    }

    fn entry(object: &str, secrets: &[&str]) -> AccessPolicyEntry {
        AccessPolicyEntry {
            tenant_id: "t".into(),
            object_id: object.into(),
            application_id: None,
            permissions: Permissions {
                secrets: Some(secrets.iter().map(|s| s.to_string()).collect()),
                ..Permissions::default()
            },
        }
    }

    #[test]
    fn policy_updates_add_replace_and_remove_by_identity() {
        let mut policies = vec![entry("a", &["get"])];
        apply_policy_update(
            &mut policies,
            AccessPolicyUpdateKind::Add,
            vec![entry("A", &["GET", "list"]), entry("b", &["set"])],
        );
        assert_eq!(
            policies,
            vec![entry("a", &["get", "list"]), entry("b", &["set"])]
        );
        apply_policy_update(
            &mut policies,
            AccessPolicyUpdateKind::Replace,
            vec![entry("a", &["delete"])],
        );
        assert_eq!(policies[0], entry("a", &["delete"]));
        apply_policy_update(
            &mut policies,
            AccessPolicyUpdateKind::Remove,
            vec![entry("b", &[])],
        );
        assert_eq!(policies, vec![entry("a", &["delete"])]);
    }

    #[test]
    fn deleted_dates_have_no_fraction() {
        assert_eq!(date(0), "1970-01-01T00:00:00Z");
    }
}
