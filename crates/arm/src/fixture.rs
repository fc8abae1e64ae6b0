//! Seeds an empty database from the `arm` section of `fixtures/default.json`: subscriptions,
//! resource groups, user-assigned identities (each with its principal in AAD, as a PUT makes it:
//! AAD must be reachable), role assignments (a bare role GUID is stored as the canonical
//! definition), then virtual machines through the compute module. Applied only while no
//! subscription exists. `denyAssignments` is not seeded here: it is read at every start into
//! `AppState` ([`crate::deny_assignments::model::from_fixture`]). The schema is documented in
//! `docs/fixtures.md`.

use anyhow::Context;
use serde::Deserialize;

use crate::resource_groups::model::{ResourceGroup, Tags};
use crate::role_assignments::model::{role_definition_guid, RoleAssignment};
use crate::subscriptions::model::Subscription;
use crate::AppState;
use mimic_azure::normalize_location;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fixture {
    #[serde(default)]
    subscriptions: Vec<FixtureSubscription>,
    #[serde(default)]
    resource_groups: Vec<FixtureGroup>,
    #[serde(default)]
    user_assigned_identities: Vec<FixtureIdentity>,
    #[serde(default)]
    role_assignments: Vec<FixtureAssignment>,
    #[serde(default)]
    virtual_machines: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureIdentity {
    subscription_id: String,
    resource_group: String,
    name: String,
    location: String,
    #[serde(default)]
    tags: Option<Tags>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureSubscription {
    subscription_id: String,
    display_name: String,
    tenant_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureGroup {
    subscription_id: String,
    name: String,
    location: String,
    #[serde(default)]
    tags: Option<Tags>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureAssignment {
    name: String,
    scope: String,
    role_definition_id: String,
    principal_id: String,
    principal_type: Option<String>,
}

/// Applies the fixture if there is one and the database has no subscription yet.
pub async fn apply(state: &AppState) -> anyhow::Result<()> {
    let Some(fixture) = state.settings.fixture.clone() else {
        return Ok(());
    };
    if crate::subscriptions::store::count(&state.db).await? > 0 {
        return Ok(());
    }
    let fixture: Fixture = serde_json::from_value(fixture).context("reading the ARM fixture")?;
    let now = state.clock.now();
    for subscription in &fixture.subscriptions {
        crate::subscriptions::store::upsert(&state.db, &subscription_of(state, subscription))
            .await?;
    }
    for group in fixture.resource_groups {
        crate::resource_groups::store::upsert(&state.db, &group_of(group, now)).await?;
    }
    for identity in fixture.user_assigned_identities {
        create_identity(state, identity).await?;
    }
    for assignment in fixture.role_assignments {
        crate::role_assignments::store::insert(&state.db, &assignment_of(assignment, now)).await?;
    }
    crate::rbac::index::changed();
    crate::virtual_machines::seed(state, &fixture.virtual_machines).await?;
    Ok(())
}

/// Creates an identity exactly as its PUT would (principal included).
async fn create_identity(state: &AppState, identity: FixtureIdentity) -> anyhow::Result<()> {
    let key = crate::user_assigned_identities::store::IdentityKey {
        subscription_id: identity.subscription_id,
        resource_group: identity.resource_group,
        name: identity.name,
    };
    let body = crate::user_assigned_identities::model::IdentityCreateRequest {
        location: Some(identity.location),
        tags: identity.tags,
        properties: None,
    };
    crate::user_assigned_identities::writes::write_identity(state, &key, &body)
        .await
        .map_err(|error| anyhow::anyhow!("creating the identity '{}': {error}", key.name))?;
    Ok(())
}

fn subscription_of(state: &AppState, subscription: &FixtureSubscription) -> Subscription {
    Subscription {
        subscription_id: subscription.subscription_id.clone(),
        display_name: subscription.display_name.clone(),
        tenant_id: subscription
            .tenant_id
            .clone()
            .unwrap_or_else(|| state.settings.tenant_id.clone()),
        state: "Enabled".to_string(),
        tags: None,
    }
}

fn group_of(group: FixtureGroup, now: i64) -> ResourceGroup {
    ResourceGroup {
        subscription_id: group.subscription_id,
        name: group.name,
        location: normalize_location(&group.location),
        managed_by: None,
        tags: group.tags,
        created_time: now,
        changed_time: now,
    }
}

fn assignment_of(assignment: FixtureAssignment, now: i64) -> RoleAssignment {
    let timestamp = mimic_azure::time::arm_timestamp(now);
    RoleAssignment {
        name: assignment.name,
        scope: assignment.scope,
        role_definition: role_definition_guid(&assignment.role_definition_id).to_lowercase(),
        principal_id: assignment.principal_id.to_lowercase(),
        principal_type: assignment
            .principal_type
            .unwrap_or_else(|| "ServicePrincipal".to_string()),
        description: None,
        condition: None,
        condition_version: None,
        created_on: timestamp.clone(),
        updated_on: timestamp,
        created_by: None,
        updated_by: None,
    }
}
