//! The authorization index: each principal's role assignments by scope, and the custom role
//! definitions, held in memory so a decision costs a few hash lookups whatever the number of
//! assignments (issue #13: "ARM decides from memory").
//!
//! The same structure answers the gate's tenant check (each subscription's tenant) and the
//! existence of resource groups (every scope below a group, and the group GET itself).
//!
//! Validity is a generation counter: every committed change to role assignments, custom role
//! definitions, subscriptions or resource groups, and every snapshot restore, calls [`changed`] *after* its commit; a lookup reads
//! the generation *before* it loads from SQLite and tags what it loaded with it. So an entry is
//! never used after a change it may have missed: a write acknowledged to its client has already
//! bumped the generation, and any later request reloads. The counter is process-wide (several ARM
//! instances in one test process only cause extra reloads); the entries are per [`Index`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::SqlitePool;

use crate::resource_groups::model::ResourceGroup;
use crate::role_assignments::model::RoleAssignment;
use crate::role_definitions::model::RoleDefinition;
use crate::subscriptions::model::Subscription;
use crate::ArmError;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Marks every cached entry stale: call after committing a change to role assignments, custom
/// role definitions, subscriptions or resource groups (and after replacing the database).
pub fn changed() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// Per principal: how often its own role assignments changed. A role-assignment write touches one
/// principal, so it retires that principal's entry only (the operator making grants keeps its own
/// entry); bulk changes use [`changed`].
static PRINCIPAL_VERSIONS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

/// Marks `principal_id`'s cached assignments stale: call after committing a write to one of its
/// role assignments.
pub fn changed_principal(principal_id: &str) {
    let mut versions = lock(&PRINCIPAL_VERSIONS);
    let versions = versions.get_or_insert_with(HashMap::new);
    if versions.len() >= CAPACITY {
        // Forgetting versions could make an old entry look current again: retire every entry.
        versions.clear();
        changed();
    }
    *versions.entry(principal_id.to_lowercase()).or_default() += 1;
}

fn principal_version(key: &str) -> u64 {
    lock(&PRINCIPAL_VERSIONS)
        .as_ref()
        .and_then(|versions| versions.get(key).copied())
        .unwrap_or(0)
}

/// Most principals (or custom roles) kept; beyond it the map starts over (a bound, not an LRU:
/// a reload is one indexed read).
const CAPACITY: usize = 16_384;

/// One principal's assignments, by lower-cased scope (each held once: the scope map holds
/// positions in `all`).
#[derive(Debug, Default)]
pub struct Assignments {
    by_scope: HashMap<String, Vec<usize>>,
    all: Vec<RoleAssignment>,
}

impl Assignments {
    /// Indexes `all` by scope.
    pub fn new(all: Vec<RoleAssignment>) -> Self {
        let mut by_scope: HashMap<String, Vec<usize>> = HashMap::new();
        for (position, assignment) in all.iter().enumerate() {
            let key = assignment.scope_key().trim_end_matches('/').to_string();
            by_scope.entry(key).or_default().push(position);
        }
        Self { by_scope, all }
    }

    /// The assignments at `scope_key` or above it (tenant root → … → the scope itself): one hash
    /// lookup per enclosing scope.
    pub fn applying_to<'a>(
        &'a self,
        scope_key: &'a str,
    ) -> impl Iterator<Item = &'a RoleAssignment> {
        let scope_key = scope_key.trim_end_matches('/');
        let prefixes = scope_key
            .match_indices('/')
            .map(|(at, _)| &scope_key[..at])
            .chain(std::iter::once(scope_key));
        prefixes
            .filter_map(|prefix| self.by_scope.get(prefix))
            .flatten()
            .map(|position| &self.all[*position])
    }

    /// Every assignment of the principal.
    pub fn all(&self) -> &[RoleAssignment] {
        &self.all
    }
}

/// A role definition: built-in (embedded, `'static`) or custom (from SQLite).
#[derive(Debug, Clone)]
pub enum Role {
    BuiltIn(&'static RoleDefinition),
    Custom(Arc<RoleDefinition>),
}

impl std::ops::Deref for Role {
    type Target = RoleDefinition;

    fn deref(&self) -> &RoleDefinition {
        match self {
            Self::BuiltIn(role) => role,
            Self::Custom(role) => role,
        }
    }
}

struct Tagged<T, G = u64> {
    generation: G,
    value: T,
}

/// A principal's assignments, tagged with the generation and its own version.
type PrincipalEntry = Tagged<Arc<Assignments>, (u64, u64)>;

/// The in-memory index of one ARM.
#[derive(Default)]
pub struct Index {
    /// Tagged with the generation and the principal's own version ([`changed_principal`]).
    principals: Mutex<HashMap<String, PrincipalEntry>>,
    custom_roles: Mutex<HashMap<String, Tagged<Option<Arc<RoleDefinition>>>>>,
    subscriptions: Mutex<HashMap<String, Tagged<Option<Arc<Subscription>>>>>,
    groups: Mutex<HashMap<String, Tagged<Option<Arc<ResourceGroup>>>>>,
    memberships: Mutex<HashMap<String, Tagged<Arc<[String]>>>>,
    /// Loads of principals' assignments, one at a time per stripe ([`stripe`]).
    loading: Stripes,
}

/// [`STRIPES`] async locks.
struct Stripes([tokio::sync::Mutex<()>; STRIPES]);

impl Default for Stripes {
    fn default() -> Self {
        Self(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

/// How many principals' loads may run at once (different principals rarely share a stripe).
const STRIPES: usize = 64;

/// The stripe of `key` in [`Index::loading`].
fn stripe(key: &str) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key) as usize % STRIPES
}

impl Index {
    /// The role assignments of `principal_id`, current as of this call.
    pub async fn assignments(
        &self,
        db: &SqlitePool,
        principal_id: &str,
    ) -> Result<Arc<Assignments>, ArmError> {
        let key = principal_id.to_lowercase();
        // Both read before the load (a change in between leaves the entry tagged older than it is).
        let now = (generation(), principal_version(&key));
        if let Some(found) = lock(&self.principals).get(&key) {
            if found.generation == now {
                return Ok(found.value.clone());
            }
        }
        // One load per principal at a time: after a change, the requests in flight for one
        // principal wait for the first one's load instead of each loading (and holding) a copy.
        let _loading = self.loading.0[stripe(&key)].lock().await;
        if let Some(found) = lock(&self.principals).get(&key) {
            if found.generation == now {
                return Ok(found.value.clone());
            }
        }
        let loaded = crate::role_assignments::store::list_for_principal(db, &key).await?;
        let value = Arc::new(Assignments::new(loaded));
        insert(&self.principals, key, now, value.clone());
        Ok(value)
    }

    /// The role definition named `guid`: a built-in from the embedded catalogue, else a custom
    /// role from SQLite (cached like the assignments).
    pub async fn role(&self, db: &SqlitePool, guid: &str) -> Result<Option<Role>, ArmError> {
        if let Some(built_in) = crate::role_definitions::model::find(guid) {
            return Ok(Some(Role::BuiltIn(built_in)));
        }
        let key = guid.to_lowercase();
        let now = generation();
        if let Some(found) = lock(&self.custom_roles).get(&key) {
            if found.generation == now {
                return Ok(found.value.clone().map(Role::Custom));
            }
        }
        let value = crate::role_definitions::store::find(db, &key)
            .await?
            .map(Arc::new);
        insert(&self.custom_roles, key, now, value.clone());
        Ok(value.map(Role::Custom))
    }
}

impl Index {
    /// The subscription with this id (any case), if it exists.
    pub async fn subscription(
        &self,
        db: &SqlitePool,
        subscription_id: &str,
    ) -> Result<Option<Arc<Subscription>>, ArmError> {
        let key = subscription_id.to_lowercase();
        let now = generation();
        if let Some(found) = lock(&self.subscriptions).get(&key) {
            if found.generation == now {
                return Ok(found.value.clone());
            }
        }
        let value = crate::subscriptions::store::find(db, &key)
            .await?
            .map(Arc::new);
        insert(&self.subscriptions, key, now, value.clone());
        Ok(value)
    }
}

impl Index {
    /// The resource group `name` of the subscription `subscription_id` (any case), if it exists.
    pub async fn resource_group(
        &self,
        db: &SqlitePool,
        subscription_id: &str,
        name: &str,
    ) -> Result<Option<Arc<ResourceGroup>>, ArmError> {
        let key = format!("{}/{}", subscription_id, name).to_lowercase();
        let now = generation();
        if let Some(found) = lock(&self.groups).get(&key) {
            if found.generation == now {
                return Ok(found.value.clone());
            }
        }
        let value = crate::resource_groups::store::find(db, subscription_id, name)
            .await?
            .map(Arc::new);
        insert(&self.groups, key, now, value.clone());
        Ok(value)
    }
}

impl Index {
    /// A principal's transitive groups as cached under the directory's membership counter
    /// `changes` (see `Settings::membership_changes`), if they were read at that count.
    pub fn memberships(&self, principal_id: &str, changes: u64) -> Option<Arc<[String]>> {
        let map = lock(&self.memberships);
        let found = map.get(&principal_id.to_lowercase())?;
        (found.generation == changes).then(|| found.value.clone())
    }

    /// Keeps a principal's groups, read after the counter showed `changes`.
    pub fn keep_memberships(&self, principal_id: &str, changes: u64, groups: Arc<[String]>) {
        insert(
            &self.memberships,
            principal_id.to_lowercase(),
            changes,
            groups,
        );
    }
}

fn lock<T>(map: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    map.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn insert<T, G>(map: &Mutex<HashMap<String, Tagged<T, G>>>, key: String, generation: G, value: T) {
    let mut map = lock(map);
    if map.len() >= CAPACITY {
        map.clear();
    }
    map.insert(key, Tagged { generation, value });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(name: &str, scope: &str) -> RoleAssignment {
        RoleAssignment {
            name: name.into(),
            scope: scope.into(),
            role_definition: "r".into(),
            principal_id: "p".into(),
            principal_type: "User".into(),
            description: None,
            condition: None,
            condition_version: None,
            created_on: String::new(),
            updated_on: String::new(),
            created_by: None,
            updated_by: None,
        }
    }

    #[test]
    fn applying_to_finds_the_scope_and_its_ancestors_only() {
        let index = Assignments::new(vec![
            assignment("root", "/"),
            assignment("sub", "/subscriptions/S"),
            assignment("group", "/subscriptions/s/resourceGroups/G"),
            assignment("other", "/subscriptions/s/resourceGroups/G2"),
            assignment(
                "vm",
                "/subscriptions/s/resourcegroups/g/providers/x/vms/VM1",
            ),
        ]);
        let names = |scope: &str| -> Vec<String> {
            let mut names: Vec<String> = index.applying_to(scope).map(|a| a.name.clone()).collect();
            names.sort();
            names
        };
        assert_eq!(
            names("/subscriptions/s/resourcegroups/g/providers/x/vms/vm1"),
            ["group", "root", "sub", "vm"]
        );
        assert_eq!(
            names("/subscriptions/s/resourcegroups/g"),
            ["group", "root", "sub"]
        );
        assert_eq!(
            names("/subscriptions/s/resourcegroups/g2/"),
            ["other", "root", "sub"]
        );
        assert_eq!(names("/subscriptions/t"), ["root"]);
        assert_eq!(names("/"), ["root"]);
    }
}
