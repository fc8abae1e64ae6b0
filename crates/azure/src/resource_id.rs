//! ARM resource ids and RBAC scopes.
//!
//! Grammar (keywords and provider namespaces are case-insensitive; names keep their case):
//!
//! ```text
//! scope       = "/" | subscription | group | resource
//! subscription= "/subscriptions/{subscriptionId}"
//! group       = subscription "/resourceGroups/{resourceGroupName}"
//! resource    = group "/providers/{Namespace}/{type}/{name}" ( "/{childType}/{childName}" )*
//! ```
//!
//! Equality and hashing ignore case, as ARM does; `Display` writes the canonical keywords
//! (`subscriptions`, `resourceGroups`, `providers`) and the names as they were given.

use std::hash::{Hash, Hasher};

/// Why a string is not a scope or resource id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The string does not follow the grammar above.
    #[error("'{0}' is not a valid Azure scope")]
    Invalid(String),
}

/// A resource type: a provider namespace and one or more type names (`Microsoft.Compute/virtualMachines`).
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// The provider namespace, e.g. `Microsoft.Compute`.
    pub namespace: String,
    /// The type names from the outermost to the innermost, e.g. `["virtualMachines"]`.
    pub types: Vec<String>,
}

impl std::fmt::Display for ResourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.types.join("/"))
    }
}

impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        self.to_string().eq_ignore_ascii_case(&other.to_string())
    }
}
impl Eq for ResourceType {}

/// The id of a resource inside a resource group, possibly nested:
/// `/subscriptions/{s}/resourceGroups/{g}/providers/{Namespace}/{type}/{name}[/{type}/{name}…]`.
#[derive(Debug, Clone)]
pub struct ResourceId {
    subscription_id: String,
    resource_group: String,
    namespace: String,
    /// `(type, name)` pairs, outermost first; never empty.
    segments: Vec<(String, String)>,
}

impl ResourceId {
    /// A top-level resource id.
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        namespace: impl Into<String>,
        resource_type: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
            namespace: namespace.into(),
            segments: vec![(resource_type.into(), name.into())],
        }
    }

    /// A child resource of this one (`…/{type}/{name}` appended).
    pub fn child(&self, resource_type: impl Into<String>, name: impl Into<String>) -> Self {
        let mut child = self.clone();
        child.segments.push((resource_type.into(), name.into()));
        child
    }

    /// Parses a resource id (see the module grammar).
    pub fn parse(id: &str) -> Result<Self, ScopeError> {
        match Scope::parse(id)? {
            Scope::Resource(resource) => Ok(resource),
            Scope::Tenant | Scope::Subscription { .. } | Scope::ResourceGroup { .. } => {
                Err(ScopeError::Invalid(id.to_string()))
            }
        }
    }

    /// The subscription id as given.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }
    /// The resource group name as given.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }
    /// The provider namespace as given, e.g. `Microsoft.Compute`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The innermost resource name.
    pub fn name(&self) -> &str {
        self.segments
            .last()
            .map(|(_, name)| name.as_str())
            .unwrap_or_default()
    }
    /// The `(type, name)` pairs, outermost first.
    pub fn segments(&self) -> &[(String, String)] {
        &self.segments
    }
    /// The full resource type, e.g. `Microsoft.Compute/virtualMachines`.
    pub fn resource_type(&self) -> ResourceType {
        ResourceType {
            namespace: self.namespace.clone(),
            types: self.segments.iter().map(|(t, _)| t.clone()).collect(),
        }
    }
    /// `Namespace/type/name[/type/name…]`, as ARM's `ResourceNotFound` message names a resource.
    pub fn type_and_name(&self) -> String {
        let mut out = self.namespace.clone();
        for (resource_type, name) in &self.segments {
            out.push('/');
            out.push_str(resource_type);
            out.push('/');
            out.push_str(name);
        }
        out
    }
    /// The parent resource for a nested resource, `None` for a top-level one.
    pub fn parent(&self) -> Option<Self> {
        if self.segments.len() < 2 {
            return None;
        }
        let mut parent = self.clone();
        parent.segments.pop();
        Some(parent)
    }
    /// The lower-cased id, for lookups.
    pub fn key(&self) -> String {
        self.to_string().to_lowercase()
    }
}

impl std::fmt::Display for ResourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}/providers/{}",
            self.subscription_id, self.resource_group, self.namespace
        )?;
        for (resource_type, name) in &self.segments {
            write!(f, "/{resource_type}/{name}")?;
        }
        Ok(())
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for ResourceId {}
impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl std::str::FromStr for ResourceId {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Where a role assignment applies: the tenant root, a subscription, a resource group or a resource.
#[derive(Debug, Clone)]
pub enum Scope {
    /// `/`.
    Tenant,
    /// `/subscriptions/{subscription_id}`.
    Subscription {
        /// The subscription id.
        subscription_id: String,
    },
    /// `/subscriptions/{subscription_id}/resourceGroups/{resource_group}`.
    ResourceGroup {
        /// The subscription id.
        subscription_id: String,
        /// The resource group name.
        resource_group: String,
    },
    /// A resource in a resource group.
    Resource(ResourceId),
}

impl Scope {
    /// Parses a scope (see the module grammar). A trailing `/` is ignored; the empty string and
    /// `/` are the tenant root.
    pub fn parse(scope: &str) -> Result<Self, ScopeError> {
        let invalid = || ScopeError::Invalid(scope.to_string());
        let trimmed = scope.strip_suffix('/').unwrap_or(scope);
        if trimmed.is_empty() {
            return Ok(Self::Tenant);
        }
        let rest = trimmed.strip_prefix('/').ok_or_else(invalid)?;
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.iter().any(|part| part.is_empty()) {
            return Err(invalid());
        }
        let keyword = |index: usize, word: &str| {
            parts
                .get(index)
                .is_some_and(|part| part.eq_ignore_ascii_case(word))
        };
        if !keyword(0, "subscriptions") || parts.len() < 2 {
            return Err(invalid());
        }
        let subscription_id = parts[1].to_string();
        if parts.len() == 2 {
            return Ok(Self::Subscription { subscription_id });
        }
        if !keyword(2, "resourceGroups") || parts.len() < 4 {
            return Err(invalid());
        }
        let resource_group = parts[3].to_string();
        if parts.len() == 4 {
            return Ok(Self::ResourceGroup {
                subscription_id,
                resource_group,
            });
        }
        // providers/{Namespace} then at least one (type, name) pair, pairs only.
        if !keyword(4, "providers") || parts.len() < 8 || parts.len() % 2 == 1 {
            return Err(invalid());
        }
        let segments: Vec<(String, String)> = parts[6..]
            .chunks(2)
            .map(|pair| (pair[0].to_string(), pair[1].to_string()))
            .collect();
        if segments
            .iter()
            .any(|(resource_type, _)| resource_type.eq_ignore_ascii_case("providers"))
        {
            return Err(invalid());
        }
        Ok(Self::Resource(ResourceId {
            subscription_id,
            resource_group,
            namespace: parts[5].to_string(),
            segments,
        }))
    }

    /// The subscription this scope is in, if any.
    pub fn subscription_id(&self) -> Option<&str> {
        match self {
            Self::Tenant => None,
            Self::Subscription { subscription_id } => Some(subscription_id),
            Self::ResourceGroup {
                subscription_id, ..
            } => Some(subscription_id),
            Self::Resource(id) => Some(id.subscription_id()),
        }
    }

    /// The resource group this scope is in, if any.
    pub fn resource_group(&self) -> Option<&str> {
        match self {
            Self::Tenant | Self::Subscription { .. } => None,
            Self::ResourceGroup { resource_group, .. } => Some(resource_group),
            Self::Resource(id) => Some(id.resource_group()),
        }
    }

    /// The enclosing scope: resource → parent resource or group → subscription → tenant → `None`.
    pub fn parent(&self) -> Option<Self> {
        match self {
            Self::Tenant => None,
            Self::Subscription { .. } => Some(Self::Tenant),
            Self::ResourceGroup {
                subscription_id, ..
            } => Some(Self::Subscription {
                subscription_id: subscription_id.clone(),
            }),
            Self::Resource(id) => Some(match id.parent() {
                Some(parent) => Self::Resource(parent),
                None => Self::ResourceGroup {
                    subscription_id: id.subscription_id.clone(),
                    resource_group: id.resource_group.clone(),
                },
            }),
        }
    }

    /// This scope and every enclosing one, the tenant root first.
    pub fn lineage(&self) -> Vec<Self> {
        let mut lineage = vec![self.clone()];
        while let Some(parent) = lineage.last().and_then(Self::parent) {
            lineage.push(parent);
        }
        lineage.reverse();
        lineage
    }

    /// Whether `self` is `other` or lies inside it (case-insensitive).
    pub fn is_within(&self, other: &Self) -> bool {
        let (inner, outer) = (self.key(), other.key());
        outer == "/" || inner == outer || inner.starts_with(&format!("{outer}/"))
    }

    /// The lower-cased scope string, for lookups and prefix comparisons.
    pub fn key(&self) -> String {
        self.to_string().to_lowercase()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tenant => f.write_str("/"),
            Self::Subscription { subscription_id } => write!(f, "/subscriptions/{subscription_id}"),
            Self::ResourceGroup {
                subscription_id,
                resource_group,
            } => write!(
                f,
                "/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            ),
            Self::Resource(id) => id.fmt(f),
        }
    }
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Scope {}
impl Hash for Scope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl From<ResourceId> for Scope {
    fn from(id: ResourceId) -> Self {
        Self::Resource(id)
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7";

    #[test]
    fn parse_reads_each_scope_level_case_insensitively() {
        let cases = [
            ("/", "/"),
            ("", "/"),
            (&format!("/SUBSCRIPTIONS/{SUB}/") as &str, &format!("/subscriptions/{SUB}") as &str),
            (
                &format!("/subscriptions/{SUB}/resourcegroups/My-RG"),
                &format!("/subscriptions/{SUB}/resourceGroups/My-RG"),
            ),
            (
                &format!("/subscriptions/{SUB}/resourceGroups/rg/PROVIDERS/Microsoft.Compute/virtualMachines/VM1"),
                &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/VM1"),
            ),
            (
                &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/extensions/ext"),
                &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/extensions/ext"),
            ),
        ];
        for (input, canonical) in cases {
            let scope = Scope::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(scope.to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn parse_rejects_malformed_scopes() {
        for bad in [
            "subscriptions/x",
            "/subscriptions",
            "/foo/x",
            "/subscriptions/x/resourceGroups",
            "/subscriptions/x/resourceGroups/rg/providers/NS",
            "/subscriptions/x/resourceGroups/rg/providers/NS/type",
            "/subscriptions/x/resourceGroups/rg/providers/NS/type/name/child",
            "/subscriptions/x/resourceGroups/rg/providers/NS/type/name/providers/X",
            "/subscriptions/x/resourceGroups/rg/notproviders/NS/type/name",
            "/subscriptions//resourceGroups/rg",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lineage_lists_every_ancestor_from_the_root() {
        let scope = Scope::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/NS/t/n/c/m"
        ))
        .unwrap();
        let lineage: Vec<String> = scope.lineage().iter().map(ToString::to_string).collect();
        assert_eq!(
            lineage,
            vec![
                "/".to_string(),
                format!("/subscriptions/{SUB}"),
                format!("/subscriptions/{SUB}/resourceGroups/rg"),
                format!("/subscriptions/{SUB}/resourceGroups/rg/providers/NS/t/n"),
                format!("/subscriptions/{SUB}/resourceGroups/rg/providers/NS/t/n/c/m"),
            ]
        );
    }

    #[test]
    fn is_within_compares_whole_segments_ignoring_case() {
        let group = Scope::parse(&format!("/subscriptions/{SUB}/resourceGroups/rg")).unwrap();
        let other = Scope::parse(&format!("/subscriptions/{SUB}/resourceGroups/rg2")).unwrap();
        let vm = Scope::parse(&format!(
            "/subscriptions/{SUB}/RESOURCEGROUPS/RG/providers/NS/t/n"
        ))
        .unwrap();
        assert!(vm.is_within(&group));
        assert!(group.is_within(&group));
        assert!(!other.is_within(&group));
        assert!(!group.is_within(&vm));
        assert!(group.is_within(&Scope::Tenant));
    }

    #[test]
    fn resource_id_accessors_name_the_parts() {
        let id = ResourceId::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
        ))
        .unwrap();
        assert_eq!(id.subscription_id(), SUB);
        assert_eq!(id.resource_group(), "rg");
        assert_eq!(id.name(), "vm1");
        assert_eq!(
            id.resource_type().to_string(),
            "Microsoft.Compute/virtualMachines"
        );
        assert_eq!(id.type_and_name(), "Microsoft.Compute/virtualMachines/vm1");
        assert_eq!(
            id,
            ResourceId::new(SUB, "RG", "microsoft.compute", "VIRTUALMACHINES", "VM1")
        );
        assert!(ResourceId::parse(&format!("/subscriptions/{SUB}")).is_err());
    }
}
