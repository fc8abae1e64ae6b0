//! Azure vocabulary shared by the mimic services: ARM resource ids and scopes, api-versions, the
//! ARM error envelope, tags, time formats, location names and a VM's derived network identity. Parse, don't validate: once a value is one of these types, code trusts it.

pub mod api_version;
pub mod error;
pub mod location;
pub mod network;
pub mod resource_id;
pub mod tags;
pub mod time;

pub use api_version::ApiVersion;
pub use error::{ErrorDetail, ErrorResponse};
pub use location::normalize_location;
pub use resource_id::{ResourceId, ResourceType, Scope, ScopeError};
pub use tags::Tags;
