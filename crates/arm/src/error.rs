//! [`ArmError`]: every error ARM answers, one variant per ARM error code, rendered in ARM's
//! envelope `{"error":{"code","message"}}`. Status and code come from exhaustive matches, so a
//! new variant forces a decision (add both arms when you add a variant; never use `_ =>`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use mimic_azure::{ErrorResponse, ResourceId};

/// Every ARM error mimic returns. One variant per ARM error code, named exactly like the code.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// No `api-version` query parameter.
    #[error("The api-version query parameter (?api-version=) is required for all requests.")]
    MissingApiVersionParameter,
    /// An `api-version` that is not a valid version string, or that ARM's own type (resource
    /// groups, subscriptions, …) does not publish.
    #[error("The api-version '{version}' is invalid. The supported versions are '{supported}'.")]
    InvalidApiVersionParameter {
        /// The version as sent.
        version: String,
        /// The type's versions, newest first, comma-separated.
        supported: String,
    },
    /// An `api-version` a provider's resource type does not publish.
    #[error("No registered resource provider found for location '{location}' and API version '{version}' for type '{resource_type}'. The supported api-versions are '{supported}'.{}", locations_sentence(.locations))]
    NoRegisteredProviderFound {
        /// The request's location (or `global`).
        location: String,
        /// The version as sent.
        version: String,
        /// The type below its namespace, e.g. `userAssignedIdentities`.
        resource_type: String,
        /// The type's versions, oldest first, `, `-separated.
        supported: String,
        /// The type's locations, `, `-separated (empty for a global type).
        locations: String,
    },
    /// A missing or unparseable `Authorization` header; the message says which.
    #[error("{0}")]
    AuthenticationFailed(&'static str),
    /// A token that is not a valid JWT, has a bad signature or an unknown issuer.
    #[error("The access token is invalid.")]
    InvalidAuthenticationToken,
    /// A token whose `exp` (plus leeway) has passed. Both times are formatted as ARM does.
    #[error(
        "The access token expiry UTC time '{expiry}' is earlier than current UTC time '{now}'."
    )]
    ExpiredAuthenticationToken {
        /// The token's expiry, e.g. `11/23/2026 1:00:00 PM`.
        expiry: String,
        /// The current time in the same format.
        now: String,
    },
    /// A token for another audience.
    #[error("The access token has been obtained for wrong audience or resource '{0}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.")]
    InvalidAuthenticationTokenAudience(String),
    /// A token from a tenant other than the subscription's.
    #[error("The access token is from the wrong issuer 'https://sts.windows.net/{token_tenant}/'. It must match the tenant 'https://sts.windows.net/{tenant}/' associated with this subscription. Please use the authority (URL) '{authority}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.")]
    InvalidAuthenticationTokenTenant {
        /// The token's `tid`.
        token_tenant: String,
        /// The subscription's tenant.
        tenant: String,
        /// The AAD authority to use instead.
        authority: String,
    },
    /// RBAC denied the action.
    #[error("The client '{client}' with object id '{object_id}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.")]
    AuthorizationFailed {
        /// The caller's application id.
        client: String,
        /// The caller's object id.
        object_id: String,
        /// The ARM action, e.g. `Microsoft.Resources/subscriptions/resourceGroups/read`.
        action: String,
        /// The scope the action was attempted on.
        scope: String,
    },
    /// A subscription id that is not a GUID.
    #[error("The provided subscription identifier '{0}' is malformed or invalid.")]
    InvalidSubscriptionId(String),
    /// An unknown subscription.
    #[error("The subscription '{0}' could not be found.")]
    SubscriptionNotFound(String),
    /// An unknown resource group.
    #[error("Resource group '{0}' could not be found.")]
    ResourceGroupNotFound(String),
    /// An invalid resource group name; the message (built by `resource_groups::model`) says why.
    #[error("{0}")]
    InvalidResourceGroup(String),
    /// A PUT of an existing group with another location.
    #[error("Invalid resource group location '{requested}'. The Resource group already exists in location '{existing}'.")]
    InvalidResourceGroupLocation {
        /// The location in the request.
        requested: String,
        /// The group's location.
        existing: String,
    },
    /// A PUT without `location` where ARM requires one.
    #[error("The location property is required for this definition.")]
    LocationRequired,
    /// An unknown resource (tracked resources of any type).
    #[error("The Resource '{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", .0.type_and_name(), .0.resource_group())]
    ResourceNotFound(ResourceId),
    /// A request body that is not valid JSON or does not fit the model.
    #[error("The request content was invalid and could not be deserialized: '{0}'.")]
    InvalidRequestContent(String),
    /// An unknown resource provider namespace.
    #[error("The resource namespace '{0}' is invalid.")]
    InvalidResourceNamespace(String),
    /// A known namespace with an unknown resource type.
    #[error("The resource type '{resource_type}' could not be found in the namespace '{namespace}' for api version '{api_version}'.")]
    InvalidResourceType {
        /// The type path as requested.
        resource_type: String,
        /// The provider namespace (canonical case).
        namespace: String,
        /// The requested api-version.
        api_version: String,
    },
    /// A known path with a method ARM does not serve there.
    #[error("The requested resource does not support http method '{method}'.")]
    MethodNotAllowed {
        /// The HTTP method.
        method: String,
    },
    /// A path that does not name anything ARM knows.
    #[error("The requested path '{0}' was not found.")]
    NotFound(String),
    /// The portal's token inspector on an ARM that knows no VM IMDS endpoints (`mimic arm` alone).
    #[error("The token inspector needs `mimic up`: this ARM runs without the VMs' IMDS endpoints, so it cannot ask a VM's IMDS for a token. Start mimic with `mimic up`, or use `mimic vm exec`.")]
    TokenInspectorUnavailable,
    /// The same principal already has the same role at the same scope.
    #[error("The role assignment already exists.")]
    RoleAssignmentExists,
    /// A role assignment name that is not a GUID.
    #[error("The role assignment ID '{0}' is not valid. The role assignment ID must be a GUID.")]
    InvalidRoleAssignmentId(String),
    /// An unknown role assignment.
    #[error("The role assignment '{0}' is not found.")]
    RoleAssignmentNotFound(String),
    /// An unknown deny assignment (mimic's wording; the code is ARM's, as Azure SDK callers test
    /// for it, e.g. Azure/ARO-HCP's deny-assignment syncer).
    #[error("The deny assignment '{0}' is not found.")]
    DenyAssignmentNotFound(String),
    /// A role grants the action, but a deny assignment refuses it. Wording as ARM answers
    /// (`DenyAssignmentAuthorizationFailed` reported by AKS node-resource-group lockdown and
    /// managed-application users).
    #[error("The client '{client}' with object id '{object_id}' has permission to perform action '{action}' on scope '{scope}'; however, the access is denied because of the deny assignment with name '{deny_assignment_name}' and Id '{deny_assignment_id}' at scope '{deny_assignment_scope}'.")]
    DenyAssignmentAuthorizationFailed {
        /// The caller's application id.
        client: String,
        /// The caller's object id.
        object_id: String,
        /// The denied action.
        action: String,
        /// The scope the action was attempted on.
        scope: String,
        /// `denyAssignmentName`.
        deny_assignment_name: String,
        /// The deny assignment's GUID.
        deny_assignment_id: String,
        /// The deny assignment's scope.
        deny_assignment_scope: String,
    },
    /// A PUT that would change the principal, role or scope of an existing assignment.
    #[error("Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")]
    RoleAssignmentUpdateNotPermitted,
    /// The principal is not in the directory.
    #[error("Principal {principal_id} does not exist in the directory {tenant_id}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")]
    PrincipalNotFound {
        /// The principal id as given.
        principal_id: String,
        /// The tenant searched.
        tenant_id: String,
    },
    /// A role assignment whose `principalType` is not the directory's type of its principal.
    /// Azure's text, its misspelling, the space before the comma and the id without hyphens
    /// included, as deployments recorded it (Azure/modern-web-app-pattern-dotnet#129, azd's
    /// validation guide; the Authorization team in hashicorp/terraform-provider-azurerm#4168:
    /// the service "fails the call if … the principal type in AAD doesn't match what the request
    /// specified").
    #[error("The PrincipalId '{principal_id}' has type '{actual}' , which is different from specified PrinciaplType '{given}'.")]
    UnmatchedPrincipalType {
        /// The principal's GUID without hyphens, as ARM writes it here.
        principal_id: String,
        /// The directory's type.
        actual: String,
        /// The type the request gave.
        given: String,
    },
    /// An unknown role definition.
    #[error("The specified role definition with ID '{id}' does not exist.")]
    RoleDefinitionDoesNotExist {
        /// The GUID as given.
        id: String,
        /// `true` when the definition itself was requested (404), `false` when a request body
        /// referred to it (400).
        requested: bool,
    },
    /// Another role definition in the tenant (custom or built-in) has this roleName. Code and
    /// text as ARM answered in Azure/ARO-RP#1346 and hashicorp/terraform-provider-azurerm#10728.
    #[error("A role definition cannot be updated with a name that already exists.")]
    RoleDefinitionWithSameNameExists,
    /// DELETE of a custom role that role assignments still use. Code and text from
    /// <https://learn.microsoft.com/azure/role-based-access-control/troubleshooting> ("Unable to
    /// delete a custom role"); the status (409) is mimic's reading of it.
    #[error("There are existing role assignments referencing role")]
    RoleDefinitionHasAssignments,
    /// A custom role's `assignableScopes` missing, the root, malformed or outside the request's
    /// scope. The code is mimic's (no recorded ARM answer found); the message says which.
    #[error("{0}")]
    InvalidAssignableScopes(String),
    /// A custom role's action that is not a well-formed action pattern. Code and text as ARM
    /// answers for an action no provider registers (quoted in public Terraform configs).
    #[error("'{0}' does not match any of the actions supported by the providers.")]
    InvalidActionOrNotAction(String),
    /// A PUT or DELETE of a built-in role, which Azure never lets a tenant change. The code and
    /// text are mimic's (no recorded ARM answer found).
    #[error("The role definition '{0}' is a built-in role and cannot be modified or deleted.")]
    BuiltInRoleCannotBeModified(String),
    /// The internal API was called without the right key.
    #[error("The internal API key is missing or wrong.")]
    InvalidInternalKey,
    /// A request parameter Compute or MSI rejects; the message and target say which.
    #[error("{message}")]
    InvalidParameter {
        /// Azure's message for this parameter.
        message: String,
        /// The parameter, e.g. `vmName`.
        target: String,
    },
    /// The caller may write the resource but not use a linked resource (e.g. attach a UAMI).
    #[error("The client '{client}' with object id '{object_id}' has permission to perform action '{action}' on scope '{scope}'; however, it does not have permission to perform action '{linked_action}' on the linked scope(s) '{linked_scopes}' or the linked scope(s) are invalid.")]
    LinkedAuthorizationFailed {
        /// The caller's application id.
        client: String,
        /// The caller's object id.
        object_id: String,
        /// The permitted action on the resource.
        action: String,
        /// The resource written.
        scope: String,
        /// The missing action on the linked resources.
        linked_action: String,
        /// The linked resources, comma-separated.
        linked_scopes: String,
    },
    /// A VM write referenced a user-assigned identity that does not exist.
    #[error("Identity operation for resource '{resource_id}' failed with error 'Failed to perform resource identity operation. Status: 'BadRequest'. Response: '{{\"error\":{{\"code\":\"BadRequest\",\"message\":\"Resource '{identity_id}' was not found.\"}}}}'.'.")]
    FailedIdentityOperation {
        /// The resource whose identity was being changed.
        resource_id: String,
        /// The identity that was not found.
        identity_id: String,
    },
    /// A user-assigned identity (3-128 characters) or federated identity credential (3-120,
    /// the spec's `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$`) name outside the MSI naming rule.
    #[error("Resource name '{name}' is invalid. The name can be between 3 and {max_length} characters long. It must begin with a letter or a number, and may contain letters, numbers, hyphens and underscores.")]
    InvalidResourceName {
        /// The name as sent.
        name: String,
        /// The rule's longest name.
        max_length: usize,
    },
    /// The MSI provider's generic refusal of a request body; the message says why. Texts Azure
    /// is known to give: "The request format was unexpected. Federated Identity Credential must
    /// specify 'issuer', 'subject' and 'audience'." (zioproto/istio-aks-example#6) and "Issuer
    /// and subject combination already exists for this Managed Identity." (Azure/bicep-types-az
    /// #2029, which quotes no code: 400 `BadRequest` is mimic's reading). The others are mimic's
    /// (see `federated_identity_credentials::model`).
    #[error("{0}")]
    BadRequest(String),
    /// A federated identity credential without exactly one audience. Code and text as az 2.74+
    /// users quote it (kubernetes-sigs/secrets-store-csi-driver#1840).
    #[error("Federated identity credentials must have exactly 1 audience.")]
    InvalidFederatedIdentityCredentialsAudienceLength,
    /// A federated identity credential write while another of the same identity is in flight.
    /// Code and text as Azure answers (Azure/bicep-registry-modules#1447,
    /// kubernetes-sigs/cluster-api-provider-azure#5397); the id is lower-case, as Azure writes it.
    #[error("Too many Federated Identity Credentials are written concurrently for the managed identity '{0}'. Concurrent Federated Identity Credentials writes under the same managed identity are not supported.")]
    ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity(String),
    /// A PUT that would move an existing resource to another location.
    #[error("The resource '{name}' already exists in location '{existing}' in resource group '{resource_group}'. A resource with the same name cannot be created in location '{requested}'. Please select a new resource name.")]
    InvalidResourceLocation {
        /// The resource's name.
        name: String,
        /// Its resource group.
        resource_group: String,
        /// Its current location.
        existing: String,
        /// The location requested.
        requested: String,
    },
    /// A location the subscription does not offer, on a PUT of a resource type that takes one.
    /// Text as reported in Azure/azure-rest-api-specs#8347.
    #[error("The provided location '{location}' is not available for resource type '{resource_type}'. List of available regions for the resource type is '{available}'.")]
    LocationNotAvailableForResourceType {
        /// The location as the client sent it.
        location: String,
        /// The resource type, e.g. `Microsoft.Compute/virtualMachines`.
        resource_type: String,
        /// The available location names, comma-separated.
        available: String,
    },
    /// A location the subscription does not offer, on a resource-group PUT. Text as reported
    /// in microsoft/vscode-azureresourcegroups#33.
    #[error("The provided location '{location}' is not available for resource group. List of available regions is '{available}'.")]
    LocationNotAvailableForResourceGroup {
        /// The location as the client sent it.
        location: String,
        /// The available location names, comma-separated.
        available: String,
    },
    /// A linked resource id (e.g. a key of `identity.userAssignedIdentities`) that is not a
    /// fully qualified resource id; ARM decides this before it authorizes the linked scope.
    /// Text as reported in Azure/azure-cli#25401.
    #[error("Property id '{0}' at path '' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'.")]
    LinkedInvalidPropertyId(String),
    /// A PUT or PATCH body whose `Content-Type` is not JSON. Text as Azure/ARO-RP's front end
    /// and Chaos Studio's troubleshooting page give it.
    #[error(
        "The content media type '{0}' is not supported. Only 'application/json' is supported."
    )]
    UnsupportedMediaType(String),
    /// A generic-resource `$filter` ARM cannot evaluate.
    #[error("Invalid $filter '{0}' specified in the query string.")]
    InvalidFilterInQueryString(String),
    /// A key vault name outside Key Vault's rule (3-24 letters, digits and hyphens, starting with
    /// a letter, ending with a letter or digit, no consecutive hyphens). Code and text as Azure
    /// answers (OfficeDev/microsoft-teams-apps-newemployeeonboarding#28, 2021).
    #[error("The vault name '{0}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742")]
    VaultNameNotValid(String),
    /// A key vault name another vault (live elsewhere, or soft-deleted in another subscription)
    /// holds. Code and text as Azure answers (Esri/arcgis-gitops#174, 2025).
    #[error("The vault name '{0}' is already in use. Vault names are globally unique so it is possible that the name is already taken. If you are sure that the vault name was not taken then it is possible that a vault with the same name was recently deleted but not purged after being placed in a recoverable state. If the vault is in a recoverable state then the vault will need to be purged before reusing the name. For more information about VaultAlreadyExists, soft delete and purging a vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.")]
    VaultAlreadyExists(String),
    /// Key Vault's conflict; the message says which (a PUT of a name soft-deleted in the same
    /// subscription: text as Azure answers, Azure/azure-cli#29115).
    #[error("{0}")]
    ConflictError(String),
    /// An operation Key Vault refuses in the resource's state; the message names it (purging a
    /// vault with purge protection: "Operation 'DeletedVaultPurge' is not allowed.", code as
    /// Azure answered in 2024, Azure/azure-sdk-tools#9329; the status, 400, is mimic's reading).
    #[error("{0}")]
    InvalidOperation(String),
    /// No soft-deleted vault of that name in that location (code ARM's `ResourceNotFound`; the
    /// text is mimic's, no recorded Azure answer found).
    #[error("The Resource 'Microsoft.KeyVault/deletedVaults/{name}' in location '{location}' was not found.")]
    DeletedVaultNotFound {
        /// The vault name as requested.
        name: String,
        /// The location as requested.
        location: String,
    },
    /// A write to a VM whose deletion is in progress (Compute's text, e.g.
    /// Azure/azure-sdk-for-python#2702: "Operation 'Update VM' is not allowed on VM 'x' since the
    /// VM is marked for deletion. …").
    #[error("Operation '{operation}' is not allowed on VM '{vm}' since the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).")]
    OperationNotAllowed { operation: &'static str, vm: String },
    /// A write in (or to) a resource group whose deletion is in progress (ARM's text, as az prints it).
    #[error(
        "The resource group '{0}' is in deprovisioning state and cannot perform this operation."
    )]
    ResourceGroupBeingDeleted(String),
    /// `If-Match` names another etag than the resource's (Compute's text, as seen for VM scale sets
    /// in kubernetes-sigs/cloud-provider-azure#9728).
    #[error("Etag provided in if-match header {given} does not match etag {current} of resource.")]
    PreconditionFailed { given: String, current: String },
    /// `If-None-Match: *` on a resource that exists. Compute's exact text is unverified.
    #[error("The resource '{0}' already exists and 'If-None-Match: *' was specified.")]
    ResourceExistsPreconditionFailed(String),
    /// A status or result URL of an operation ARM does not know (never gave out, or forgot).
    /// Compute's text for an unknown entity; unverified for operations.
    #[error("The entity was not found in this Azure location.")]
    OperationNotFound,
    /// Anything unexpected; logged in full, answered generically.
    #[error("Encountered internal server error.")]
    Internal(#[from] anyhow::Error),
}

fn locations_sentence(locations: &str) -> String {
    match locations.is_empty() {
        true => String::new(),
        false => format!(" The supported locations are '{locations}'."),
    }
}

impl ArmError {
    /// The ARM error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingApiVersionParameter => "MissingApiVersionParameter",
            Self::InvalidApiVersionParameter { .. } => "InvalidApiVersionParameter",
            Self::NoRegisteredProviderFound { .. } => "NoRegisteredProviderFound",
            Self::AuthenticationFailed(_) => "AuthenticationFailed",
            Self::InvalidAuthenticationToken => "InvalidAuthenticationToken",
            Self::ExpiredAuthenticationToken { .. } => "ExpiredAuthenticationToken",
            Self::InvalidAuthenticationTokenAudience(_) => "InvalidAuthenticationTokenAudience",
            Self::InvalidAuthenticationTokenTenant { .. } => "InvalidAuthenticationTokenTenant",
            Self::AuthorizationFailed { .. } => "AuthorizationFailed",
            Self::InvalidSubscriptionId(_) => "InvalidSubscriptionId",
            Self::SubscriptionNotFound(_) => "SubscriptionNotFound",
            Self::ResourceGroupNotFound(_) => "ResourceGroupNotFound",
            Self::InvalidResourceGroup(_) => "InvalidResourceGroup",
            Self::InvalidResourceGroupLocation { .. } => "InvalidResourceGroupLocation",
            Self::LocationRequired => "LocationRequired",
            Self::ResourceNotFound(_) => "ResourceNotFound",
            Self::InvalidRequestContent(_) => "InvalidRequestContent",
            Self::InvalidResourceNamespace(_) => "InvalidResourceNamespace",
            Self::InvalidResourceType { .. } => "InvalidResourceType",
            Self::MethodNotAllowed { .. } => "MethodNotAllowed",
            Self::NotFound(_) | Self::TokenInspectorUnavailable => "NotFound",
            Self::RoleAssignmentExists => "RoleAssignmentExists",
            Self::InvalidRoleAssignmentId(_) => "InvalidRoleAssignmentId",
            Self::RoleAssignmentNotFound(_) => "RoleAssignmentNotFound",
            Self::DenyAssignmentNotFound(_) => "DenyAssignmentNotFound",
            Self::DenyAssignmentAuthorizationFailed { .. } => "DenyAssignmentAuthorizationFailed",
            Self::RoleAssignmentUpdateNotPermitted => "RoleAssignmentUpdateNotPermitted",
            Self::PrincipalNotFound { .. } => "PrincipalNotFound",
            Self::UnmatchedPrincipalType { .. } => "UnmatchedPrincipalType",
            Self::RoleDefinitionDoesNotExist { .. } => "RoleDefinitionDoesNotExist",
            Self::RoleDefinitionWithSameNameExists => "RoleDefinitionWithSameNameExists",
            Self::RoleDefinitionHasAssignments => "RoleDefinitionHasAssignments",
            Self::InvalidAssignableScopes(_) => "InvalidAssignableScopes",
            Self::InvalidActionOrNotAction(_) => "InvalidActionOrNotAction",
            Self::BuiltInRoleCannotBeModified(_) => "BuiltInRoleCannotBeModified",
            Self::InvalidInternalKey => "InvalidInternalKey",
            Self::InvalidParameter { .. } => "InvalidParameter",
            Self::LinkedAuthorizationFailed { .. } => "LinkedAuthorizationFailed",
            Self::FailedIdentityOperation { .. } => "FailedIdentityOperation",
            Self::InvalidResourceName { .. } => "InvalidResourceName",
            Self::BadRequest(_) => "BadRequest",
            Self::InvalidFederatedIdentityCredentialsAudienceLength => {
                "InvalidFederatedIdentityCredentialsAudienceLength"
            }
            Self::ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity(_) => {
                "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
            }
            Self::InvalidResourceLocation { .. } => "InvalidResourceLocation",
            Self::InvalidFilterInQueryString(_) => "InvalidFilterInQueryString",
            Self::LocationNotAvailableForResourceType { .. } => {
                "LocationNotAvailableForResourceType"
            }
            Self::LocationNotAvailableForResourceGroup { .. } => {
                "LocationNotAvailableForResourceGroup"
            }
            Self::LinkedInvalidPropertyId(_) => "LinkedInvalidPropertyId",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaType",
            Self::VaultNameNotValid(_) => "VaultNameNotValid",
            Self::VaultAlreadyExists(_) => "VaultAlreadyExists",
            Self::ConflictError(_) => "ConflictError",
            Self::InvalidOperation(_) => "InvalidOperation",
            Self::DeletedVaultNotFound { .. } => "ResourceNotFound",
            Self::OperationNotAllowed { .. } => "OperationNotAllowed",
            Self::ResourceGroupBeingDeleted(_) => "ResourceGroupBeingDeleted",
            Self::PreconditionFailed { .. } | Self::ResourceExistsPreconditionFailed(_) => {
                "PreconditionFailed"
            }
            Self::OperationNotFound => "NotFound",
            Self::Internal(_) => "InternalServerError",
        }
    }

    /// Why a 401 or 403 refused the request, in words for the operator's log (`None` otherwise).
    pub fn refusal(&self) -> Option<String> {
        match self {
            Self::AuthorizationFailed {
                object_id,
                action,
                scope,
                ..
            } => Some(format!(
                "no role assignment of {object_id} grants {action} at {scope}"
            )),
            Self::LinkedAuthorizationFailed {
                object_id,
                linked_action,
                linked_scopes,
                ..
            } => Some(format!(
                "no role assignment of {object_id} grants {linked_action} at {linked_scopes}"
            )),
            Self::DenyAssignmentAuthorizationFailed {
                object_id,
                action,
                scope,
                deny_assignment_id,
                ..
            } => Some(format!(
                "deny assignment {deny_assignment_id} denies {action} to {object_id} at {scope}"
            )),
            Self::InvalidInternalKey => Some("no valid internal key".to_string()),
            _ if self.status_code() == StatusCode::UNAUTHORIZED => Some(self.to_string()),
            _ => None,
        }
    }

    /// Whether this is an authentication failure (401), which carries a `WWW-Authenticate` challenge.
    pub fn is_authentication_failure(&self) -> bool {
        self.status_code() == StatusCode::UNAUTHORIZED && !matches!(self, Self::InvalidInternalKey)
    }
}

impl ArmError {
    /// The ARM error envelope of this error (with `target` where ARM names one).
    pub fn envelope(&self) -> ErrorResponse {
        let mut envelope = ErrorResponse::new(self.code(), self.to_string());
        if let Self::InvalidParameter { target, .. } = self {
            envelope.error.target = Some(target.clone());
        }
        envelope
    }
}

/// `AuthenticationFailed` message for a request without `Authorization`.
pub const AUTHORIZATION_HEADER_MISSING: &str =
    "Authentication failed. The 'Authorization' header is missing.";
/// `AuthenticationFailed` message for an `Authorization` header that is not `Bearer <token>`.
pub const AUTHORIZATION_HEADER_INVALID: &str =
    "Authentication failed. The 'Authorization' header is not in a valid format.";

impl ResponseError for ArmError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingApiVersionParameter
            | Self::InvalidApiVersionParameter { .. }
            | Self::NoRegisteredProviderFound { .. }
            | Self::InvalidSubscriptionId(_)
            | Self::InvalidResourceGroup(_)
            | Self::LocationRequired
            | Self::InvalidRequestContent(_)
            | Self::InvalidResourceNamespace(_)
            | Self::InvalidRoleAssignmentId(_)
            // Azure answers 400: deployments report it as `BadRequest`, see
            // https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
            | Self::RoleAssignmentUpdateNotPermitted
            | Self::PrincipalNotFound { .. }
            | Self::UnmatchedPrincipalType { .. }
            | Self::RoleDefinitionDoesNotExist {
                requested: false, ..
            }
            | Self::InvalidParameter { .. }
            | Self::InvalidAssignableScopes(_)
            | Self::InvalidActionOrNotAction(_)
            | Self::BuiltInRoleCannotBeModified(_)
            | Self::FailedIdentityOperation { .. }
            | Self::InvalidResourceName { .. }
            | Self::BadRequest(_)
            | Self::InvalidFederatedIdentityCredentialsAudienceLength
            | Self::InvalidFilterInQueryString(_)
            | Self::LocationNotAvailableForResourceType { .. }
            | Self::LocationNotAvailableForResourceGroup { .. }
            | Self::LinkedInvalidPropertyId(_)
            | Self::VaultNameNotValid(_)
            | Self::InvalidOperation(_) => StatusCode::BAD_REQUEST,
            Self::AuthenticationFailed(_)
            | Self::InvalidAuthenticationToken
            | Self::ExpiredAuthenticationToken { .. }
            | Self::InvalidAuthenticationTokenAudience(_)
            | Self::InvalidAuthenticationTokenTenant { .. }
            | Self::InvalidInternalKey => StatusCode::UNAUTHORIZED,
            Self::AuthorizationFailed { .. }
            | Self::LinkedAuthorizationFailed { .. }
            | Self::DenyAssignmentAuthorizationFailed { .. } => StatusCode::FORBIDDEN,
            Self::SubscriptionNotFound(_)
            | Self::ResourceGroupNotFound(_)
            | Self::ResourceNotFound(_)
            | Self::InvalidResourceType { .. }
            | Self::NotFound(_)
            | Self::TokenInspectorUnavailable
            | Self::RoleAssignmentNotFound(_)
            | Self::DenyAssignmentNotFound(_)
            | Self::DeletedVaultNotFound { .. }
            | Self::OperationNotFound
            | Self::RoleDefinitionDoesNotExist {
                requested: true, ..
            } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RoleAssignmentExists
            | Self::RoleDefinitionWithSameNameExists
            | Self::RoleDefinitionHasAssignments
            | Self::InvalidResourceLocation { .. }
            | Self::InvalidResourceGroupLocation { .. }
            | Self::ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity(_)
            | Self::VaultAlreadyExists(_)
            | Self::ConflictError(_)
            | Self::OperationNotAllowed { .. }
            | Self::ResourceGroupBeingDeleted(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } | Self::ResourceExistsPreconditionFailed(_) => {
                StatusCode::PRECONDITION_FAILED
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error = ?error, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code())
            .content_type("application/json; charset=utf-8")
            .json(self.envelope());
        if let Some(reason) = self.refusal() {
            // For the request log line only (mimic_web::telemetry); the body above is unchanged.
            response
                .extensions_mut()
                .insert(mimic_web::telemetry::Refusal(reason));
        }
        response
    }
}

impl From<sqlx::Error> for ArmError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(anyhow::Error::new(error).context("database error"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_failed_carries_its_reason_for_the_log_only() {
        let error = ArmError::AuthorizationFailed {
            client: "app".into(),
            object_id: "oid".into(),
            action: "Microsoft.Resources/subscriptions/resourceGroups/read".into(),
            scope: "/subscriptions/s/resourceGroups/g".into(),
        };
        let response = error.error_response();
        let reason = response
            .extensions()
            .get::<mimic_web::telemetry::Refusal>()
            .map(|refusal| refusal.0.clone());
        assert_eq!(
            reason.as_deref(),
            Some("no role assignment of oid grants Microsoft.Resources/subscriptions/resourceGroups/read at /subscriptions/s/resourceGroups/g")
        );
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures::executor::block_on(body).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["message"], error.to_string());
        assert!(ArmError::ResourceGroupNotFound("g".into())
            .error_response()
            .extensions()
            .get::<mimic_web::telemetry::Refusal>()
            .is_none());
    }

    #[test]
    fn error_response_renders_the_arm_envelope() {
        let response = ArmError::ResourceGroupNotFound("nope".into()).error_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures::executor::block_on(body).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "ResourceGroupNotFound",
                "message": "Resource group 'nope' could not be found."}})
        );
    }
}
