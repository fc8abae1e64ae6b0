//! App registrations (Graph's `applications`): the model and its store. Graph serves them
//! (`crate::graph::applications`); the token endpoint authenticates clients with the credentials
//! they hold and resolves a requested resource to them (`crate::token`).
//!
//! Where credentials live: as in Entra, an application created through Graph holds its secrets and
//! certificates itself; its service principal may hold more (`servicePrincipals/{id}/addPassword`),
//! and a client may authenticate with either. Principals without an application (the fixture's
//! operator, managed identities) keep theirs on the service principal, as before.

pub mod model;
pub mod store;
