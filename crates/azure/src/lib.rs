//! Azure vocabulary shared by the mimic services: ARM resource ids and scopes, api-versions, and
//! the ARM error envelope. Parse, don't validate: once a value is one of these types, code trusts it.

pub mod api_version;
pub mod error;
pub mod resource_id;

pub use api_version::ApiVersion;
pub use error::{ErrorDetail, ErrorResponse};
pub use resource_id::{ResourceId, ResourceType, Scope, ScopeError};
