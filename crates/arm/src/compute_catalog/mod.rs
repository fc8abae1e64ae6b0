//! What `az vm create` asks Compute before it builds its deployment: the marketplace image
//! behind an alias (`VirtualMachineImages_List` / `_Get`) and the location's VM sizes
//! (`VirtualMachineSizes_List`). The catalog is static ([`model`]); nothing is stored.

pub mod model;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::ApiVersion;
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::{scope, AppState, ArmError};

const IMAGE_READ: &str =
    "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read";
const SIZE_READ: &str = "Microsoft.Compute/locations/vmSizes/read";
const IMAGE_TYPE: &str = "Microsoft.Compute/locations/publishers";

const SKU_PATH: &str = "/subscriptions/{subscription_id}/providers/microsoft.compute/locations/{location}/publishers/{publisher}/artifacttypes/vmimage/offers/{offer}/skus/{sku}/versions";

/// `Microsoft.Compute/locations/publishers` (the marketplace image catalogue).
pub const PUBLISHERS: ResourceType = ResourceType {
    namespace: "Microsoft.Compute",
    name: "locations/publishers",
    display_name: "Virtual Machine Image Publishers",
    regional: false,
    versions: crate::virtual_machines::VERSIONS,
};

/// `Microsoft.Compute/locations/vmSizes`.
pub const VM_SIZES: ResourceType = ResourceType {
    namespace: "Microsoft.Compute",
    name: "locations/vmSizes",
    display_name: "Virtual Machine Sizes",
    regional: false,
    versions: crate::virtual_machines::VERSIONS,
};

/// The catalogue operations (`vmimage` is a name segment, registered as az and the SDKs spell it).
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "VirtualMachineImages_List",
        verb: Verb::Get,
        path: SKU_PATH,
        resource_type: &PUBLISHERS,
        versions: &[],
        authorization: Authorization::Action(IMAGE_READ, ScopeRule::Subscription),
        handler: |route| route.to(list_versions),
        summary: "List an image sku's versions",
    },
    Operation {
        id: "VirtualMachineImages_Get",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.compute/locations/{location}/publishers/{publisher}/artifacttypes/vmimage/offers/{offer}/skus/{sku}/versions/{version}",
        resource_type: &PUBLISHERS,
        versions: &[],
        authorization: Authorization::Action(IMAGE_READ, ScopeRule::Subscription),
        handler: |route| route.to(get_version),
        summary: "Get an image version",
    },
    Operation {
        id: "VirtualMachineSizes_List",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.compute/locations/{location}/vmsizes",
        resource_type: &VM_SIZES,
        versions: &[],
        authorization: Authorization::Action(SIZE_READ, ScopeRule::Subscription),
        handler: |route| route.to(list_sizes),
        summary: "List a location's virtual machine sizes",
    },
];

/// The path of one image sku's versions.
#[derive(Debug, Deserialize)]
pub struct SkuPath {
    subscription_id: String,
    location: String,
    publisher: String,
    offer: String,
    sku: String,
}

/// The path of one image version.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    subscription_id: String,
    location: String,
    publisher: String,
    offer: String,
    sku: String,
    version: String,
}

/// `$expand` of the versions list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "$expand")]
    expand: Option<String>,
}

/// Checks the subscription and the location; returns the location's canonical name.
async fn located(
    state: &AppState,
    subscription_id: &str,
    location: &str,
) -> Result<&'static str, ArmError> {
    scope::require_subscription(state, subscription_id).await?;
    scope::require_location(location, IMAGE_TYPE)
}

/// The catalog image at `path`, or 404 `NotFound`. (Compute's message for this is
/// "Artifact: VMImage was not found."; mimic's `NotFound` names the path instead.)
fn find(
    (publisher, offer, sku): (&str, &str, &str),
    request_path: &str,
) -> Result<&'static model::CatalogImage, ArmError> {
    model::find_image(publisher, offer, sku)
        .ok_or_else(|| ArmError::NotFound(request_path.to_string()))
}

/// `VirtualMachineImages_List`: the sku's one version (a bare JSON array, as Compute answers).
pub async fn list_versions(
    state: web::Data<AppState>,
    _version: ApiVersion,
    request: actix_web::HttpRequest,
    path: web::Path<SkuPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let location = located(&state, &path.subscription_id, &path.location).await?;
    let image = find((&path.publisher, &path.offer, &path.sku), request.path())?;
    let expand = query
        .expand
        .as_deref()
        .is_some_and(|expand| expand.eq_ignore_ascii_case("properties"));
    Ok(HttpResponse::Ok().json([image.version(&path.subscription_id, location, expand)]))
}

/// `VirtualMachineImages_Get`.
pub async fn get_version(
    state: web::Data<AppState>,
    _version: ApiVersion,
    request: actix_web::HttpRequest,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ArmError> {
    let location = located(&state, &path.subscription_id, &path.location).await?;
    let image = find((&path.publisher, &path.offer, &path.sku), request.path())?;
    let wanted = &path.version;
    if !(wanted.eq_ignore_ascii_case(model::IMAGE_VERSION) || wanted.eq_ignore_ascii_case("latest"))
    {
        return Err(ArmError::NotFound(request.path().to_string()));
    }
    Ok(HttpResponse::Ok().json(image.version(&path.subscription_id, location, true)))
}

/// The path of a location's VM sizes.
#[derive(Debug, Deserialize)]
pub struct SizesPath {
    subscription_id: String,
    location: String,
}

/// `VirtualMachineSizes_List`.
pub async fn list_sizes(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<SizesPath>,
) -> Result<HttpResponse, ArmError> {
    located(&state, &path.subscription_id, &path.location).await?;
    Ok(HttpResponse::Ok().json(model::Listing {
        value: model::SIZES,
    }))
}
