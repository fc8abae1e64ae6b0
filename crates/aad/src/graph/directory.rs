//! The directory as Graph reads it: service principals with their credentials' metadata, the
//! tenant's users and groups. Every lookup by type goes through here.

use std::collections::HashMap;

use super::application_resource::ApplicationResource;
use super::error::{GraphError, RequestBadRequest};
use super::groups::model::GroupResource;
use super::model::{
    DirectoryObject, KeyCredential, PasswordCredential, ServicePrincipalResource, User,
};
use super::query::Filter;
use super::users::model::UserResource;
use crate::applications::model::Application;
use crate::applications::store::ApplicationFilter;
use crate::deleted_objects::Shelf;
use crate::groups::model::{ObjectKind, Reference};
use crate::principals::model::ServicePrincipal;
use crate::principals::store::PrincipalFilter;
use crate::state::AppState;

/// The directory object types `getByIds` accepts, in Graph's spelling.
pub const DIRECTORY_TYPES: [&str; 9] = [
    "user",
    "group",
    "servicePrincipal",
    "application",
    "device",
    "orgContact",
    "directoryRole",
    "administrativeUnit",
    "directoryObjectPartnerReference",
];

/// Most ids one `getByIds` call may ask for.
pub const MAX_IDS: usize = 1000;

/// One page of a collection.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The id the page ended at, when more items follow.
    pub last_id: Option<String>,
}

/// Which object kinds a `getByIds` call searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kinds {
    /// `servicePrincipal`.
    pub service_principals: bool,
    /// `user`.
    pub users: bool,
    /// `group`.
    pub groups: bool,
    /// `application`.
    pub applications: bool,
}

impl Kinds {
    /// Parses `types` (case-insensitive); empty means every type. Types mimic has no objects of
    /// (groups, devices, …) are accepted and simply match nothing.
    pub fn parse(types: &[String]) -> Result<Self, GraphError> {
        if let Some(unknown) = types.iter().find(|t| {
            !DIRECTORY_TYPES
                .iter()
                .any(|known| known.eq_ignore_ascii_case(t))
        }) {
            return Err(GraphError::RequestBadRequest(
                RequestBadRequest::InvalidType(unknown.clone()),
            ));
        }
        let wants =
            |name: &str| types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(name));
        Ok(Self {
            service_principals: wants("servicePrincipal"),
            users: wants("user"),
            groups: wants("group"),
            applications: wants("application"),
        })
    }

    /// Every kind mimic has.
    pub const ALL: Self = Self {
        service_principals: true,
        users: true,
        groups: true,
        applications: true,
    };
}

/// Graph's read view of AAD's store.
pub struct Directory<'a> {
    state: &'a AppState,
}

impl<'a> Directory<'a> {
    /// The directory of `state`'s tenant.
    pub fn new(state: &'a AppState) -> Self {
        Self { state }
    }

    /// One page of the service principals `filter` selects, after `after`.
    pub async fn service_principals(
        &self,
        filter: &PrincipalFilter,
        after: Option<&str>,
        top: u32,
    ) -> Result<Page<ServicePrincipalResource>, GraphError> {
        let mut principals = self.state.store.search(filter, after, top + 1).await?;
        let more = principals.len() > top as usize;
        principals.truncate(top as usize);
        let last_id = more
            .then(|| principals.last().map(|p| p.id.clone()))
            .flatten();
        Ok(Page {
            items: self.resources(principals).await?,
            last_id,
        })
    }

    /// The service principal with this object id.
    pub async fn service_principal(
        &self,
        id: &str,
    ) -> Result<Option<ServicePrincipalResource>, GraphError> {
        let principal = self.state.store.get(id).await?;
        Ok(self.resources(principal.into_iter().collect()).await?.pop())
    }

    /// The service principal with this client id.
    pub async fn service_principal_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<ServicePrincipalResource>, GraphError> {
        let principal = self.state.store.by_app_id(app_id).await?;
        Ok(self.resources(principal.into_iter().collect()).await?.pop())
    }

    /// The live users `filter` selects, ordered by id (a tenant has hundreds at most: filtered
    /// in memory).
    pub async fn users(&self, filter: Option<&Filter>) -> Result<Vec<UserResource>, GraphError> {
        let users = self.state.users.all().await?;
        Ok(users
            .into_iter()
            .map(|user| UserResource::new(user, &self.state.tenant))
            .filter(|user| filter.is_none_or(|f| f.clauses.iter().all(|c| user.matches(c))))
            .collect())
    }

    /// The live user with this id or user principal name.
    pub async fn user(&self, id_or_upn: &str) -> Result<Option<UserResource>, GraphError> {
        let store = &self.state.users;
        let user = match store.get(id_or_upn).await? {
            Some(user) => Some(user),
            None => store.by_upn(id_or_upn).await?,
        };
        Ok(user.map(|user| UserResource::new(user, &self.state.tenant)))
    }

    /// The live users with these ids.
    pub async fn users_by_ids(&self, ids: &[String]) -> Result<Vec<User>, GraphError> {
        let mut users = Vec::new();
        for id in ids {
            if let Some(user) = self.state.users.get(id).await? {
                users.push(User::from(&UserResource::new(user, &self.state.tenant)));
            }
        }
        Ok(users)
    }

    /// The groups `filter` selects, ordered by id.
    pub async fn groups(&self, filter: Option<&Filter>) -> Result<Vec<GroupResource>, GraphError> {
        let groups = self.state.groups.all().await?;
        Ok(groups
            .into_iter()
            .map(GroupResource::from)
            .filter(|group| filter.is_none_or(|f| f.clauses.iter().all(|c| group.matches(c))))
            .collect())
    }

    /// The group with this id.
    pub async fn group(&self, id: &str) -> Result<Option<GroupResource>, GraphError> {
        Ok(self.state.groups.get(id).await?.map(GroupResource::from))
    }

    /// The live object with this id, of any kind.
    pub async fn object(&self, id: &str) -> Result<Option<DirectoryObject>, GraphError> {
        let mut found = self.by_ids(&[id.to_string()], Kinds::ALL).await?;
        Ok(found.pop())
    }

    /// What kind of live object `id` is.
    pub async fn reference(&self, id: &str) -> Result<Option<Reference>, GraphError> {
        let kind = crate::groups::kind_of(self.state, id).await?;
        Ok(kind.map(|kind| Reference {
            id: id.to_ascii_lowercase(),
            kind,
        }))
    }

    /// The objects these references name, in the same order (vanished ones left out).
    pub async fn objects(
        &self,
        references: &[Reference],
    ) -> Result<Vec<DirectoryObject>, GraphError> {
        let ids: Vec<String> = references.iter().map(|r| r.id.clone()).collect();
        let kinds = Kinds {
            service_principals: references
                .iter()
                .any(|r| r.kind == ObjectKind::ServicePrincipal),
            users: references.iter().any(|r| r.kind == ObjectKind::User),
            groups: references.iter().any(|r| r.kind == ObjectKind::Group),
            applications: false,
        };
        self.by_ids(&ids, kinds).await
    }

    /// The objects of `kinds` with these ids, in the order asked; unknown ids are left out.
    pub async fn by_ids(
        &self,
        ids: &[String],
        kinds: Kinds,
    ) -> Result<Vec<DirectoryObject>, GraphError> {
        let mut found: HashMap<String, DirectoryObject> = HashMap::new();
        if kinds.service_principals {
            let principals = self.state.store.by_ids(ids).await?;
            for resource in self.resources(principals).await? {
                found.insert(
                    resource.id.clone(),
                    DirectoryObject::ServicePrincipal(Box::new(resource)),
                );
            }
        }
        if kinds.users {
            for user in self.users_by_ids(ids).await? {
                found.insert(user.id.clone(), DirectoryObject::User(Box::new(user)));
            }
        }
        if kinds.groups {
            for id in ids {
                if let Some(group) = self.group(id).await? {
                    found.insert(group.id.clone(), DirectoryObject::Group(Box::new(group)));
                }
            }
        }
        if kinds.applications {
            for id in ids {
                if let Some(application) = self.application(id).await? {
                    found.insert(
                        application.id.to_ascii_lowercase(),
                        DirectoryObject::Application(Box::new(application)),
                    );
                }
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(&id.to_ascii_lowercase()))
            .collect())
    }

    /// Principals as Graph resources, with their credentials read in two queries.
    async fn resources(
        &self,
        principals: Vec<ServicePrincipal>,
    ) -> Result<Vec<ServicePrincipalResource>, GraphError> {
        self.resources_on(Shelf::Live, principals).await
    }

    /// Principals on `shelf` (live or deleted) as Graph resources.
    pub async fn resources_on(
        &self,
        shelf: Shelf,
        principals: Vec<ServicePrincipal>,
    ) -> Result<Vec<ServicePrincipalResource>, GraphError> {
        let ids: Vec<String> = principals.iter().map(|p| p.id.clone()).collect();
        let store = &self.state.store;
        let mut keys: HashMap<String, Vec<KeyCredential>> = HashMap::new();
        for record in store.key_credentials_on(shelf, &ids).await? {
            if let Some(credential) = KeyCredential::from_record(&record) {
                keys.entry(record.principal_id)
                    .or_default()
                    .push(credential);
            }
        }
        let passwords = store.password_credentials_on(shelf, &ids).await?;
        let mut applications: HashMap<String, Application> = HashMap::new();
        for principal in &principals {
            if let Some(application) = self.state.applications.by_app_id(&principal.app_id).await? {
                applications.insert(principal.app_id.to_ascii_lowercase(), application);
            }
        }
        let urls = crate::first_party::MimicUrls::of(self.state);
        Ok(principals
            .into_iter()
            .map(|principal| {
                let first_party = crate::first_party::FirstParty::by_app_id(&principal.app_id);
                let secrets = passwords
                    .iter()
                    .filter(|record| record.principal_id == principal.id)
                    .map(|record| {
                        PasswordCredential::from_record(record, &principal.created_date_time)
                    })
                    .collect();
                let certificates = keys.remove(&principal.id).unwrap_or_default();
                let application = applications.get(&principal.app_id.to_ascii_lowercase());
                let resource = ServicePrincipalResource::new(
                    principal,
                    &self.state.tenant,
                    application,
                    certificates,
                    secrets,
                );
                match first_party {
                    Some(entry) => resource.first_party(entry, &urls),
                    None => resource,
                }
            })
            .collect())
    }

    /// One page of the applications `filter` selects, after `after`.
    pub async fn applications(
        &self,
        filter: &ApplicationFilter,
        after: Option<&str>,
        top: u32,
    ) -> Result<Page<ApplicationResource>, GraphError> {
        let mut applications = self
            .state
            .applications
            .search(filter, after, top + 1)
            .await?;
        let more = applications.len() > top as usize;
        applications.truncate(top as usize);
        let last_id = more
            .then(|| applications.last().map(|a| a.id.clone()))
            .flatten();
        let mut items = Vec::with_capacity(applications.len());
        for application in applications {
            items.push(self.application_resource(application).await?);
        }
        Ok(Page { items, last_id })
    }

    /// The application with this object id, as Graph shows it.
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationResource>, GraphError> {
        match self.state.applications.get(id).await? {
            Some(application) => Ok(Some(self.application_resource(application).await?)),
            None => Ok(None),
        }
    }

    /// An application with its credentials' metadata.
    pub async fn application_resource(
        &self,
        application: Application,
    ) -> Result<ApplicationResource, GraphError> {
        self.application_resource_on(Shelf::Live, application).await
    }

    /// An application on `shelf` (live or deleted) with its credentials' metadata.
    pub async fn application_resource_on(
        &self,
        shelf: Shelf,
        application: Application,
    ) -> Result<ApplicationResource, GraphError> {
        let store = &self.state.applications;
        let keys = store
            .keys_on(shelf, &application.id)
            .await?
            .iter()
            .filter_map(KeyCredential::from_metadata)
            .collect();
        let passwords = store
            .passwords_on(shelf, &application.id)
            .await?
            .iter()
            .map(PasswordCredential::from_metadata)
            .collect();
        Ok(ApplicationResource::new(
            application,
            &self.state.tenant.domain,
            keys,
            passwords,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_graphs_type_names_in_any_case() {
        let kinds = Kinds::parse(&["ServicePrincipal".into(), "group".into()]).unwrap();
        assert_eq!(
            kinds,
            Kinds {
                service_principals: true,
                users: false,
                groups: true,
                applications: false,
            }
        );
        assert_eq!(Kinds::parse(&[]).unwrap(), Kinds::ALL);
        assert_eq!(
            Kinds::parse(&["robot".into()]).unwrap_err().code(),
            "Request_BadRequest"
        );
    }
}
