//! Subscriptions (`Subscriptions_List`, `Subscriptions_Get`, `Subscriptions_ListLocations`),
//! tenants (`Tenants_List`) and the cloud metadata document (`/metadata/endpoints`).
//!
//! A subscription is visible to a caller that holds a role assignment at the subscription, above
//! it or anywhere inside it; an invisible subscription is answered as not found, as the
//! subscription service does.

pub mod metadata;
pub mod model;
pub mod store;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::extract::Caller;
use crate::operations::{Authorization, Operation, ResourceType, Verb};
use crate::rbac::has_any_assignment_around;
use crate::{AppState, ArmError};
use model::{LocationBody, Subscription, SubscriptionBody, TenantBody};

/// The api-versions of the subscription API (`Microsoft.Resources` subscriptions and tenants).
pub const VERSIONS: &[&str] = &[
    "2022-12-01",
    "2022-01-01",
    "2021-01-01",
    "2020-01-01",
    "2019-11-01",
    "2019-10-01",
    "2019-06-01",
    "2018-06-01",
    "2016-06-01",
    "2015-11-01",
    "2014-04-01",
];

/// `Microsoft.Resources/subscriptions`.
pub const SUBSCRIPTIONS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "subscriptions",
    display_name: "Subscription",
    regional: false,
    versions: VERSIONS,
};

/// `Microsoft.Resources/tenants`.
pub const TENANTS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "tenants",
    display_name: "Tenants",
    regional: false,
    versions: VERSIONS,
};

/// `Microsoft.Resources/subscriptions/locations`.
pub const LOCATIONS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "subscriptions/locations",
    display_name: "Locations",
    regional: false,
    versions: VERSIONS,
};

const READ: &str = "Microsoft.Resources/subscriptions/read";
const VISIBLE: &str = "a subscription is visible to a caller with a role assignment at, above or \
    inside it (404 `SubscriptionNotFound` otherwise)";

/// The subscription API's operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "Tenants_List",
        verb: Verb::Get,
        path: "/tenants",
        resource_type: &TENANTS,
        versions: &[],
        authorization: Authorization::AnyCaller("the tenant the token was issued in"),
        handler: |route| route.to(list_tenants),
        summary: "List the tenants",
    },
    Operation {
        id: "Subscriptions_List",
        verb: Verb::Get,
        path: "/subscriptions",
        resource_type: &SUBSCRIPTIONS,
        versions: &[],
        authorization: Authorization::Filtered(READ, VISIBLE),
        handler: |route| route.to(list),
        summary: "List the subscriptions",
    },
    Operation {
        id: "Subscriptions_Get",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}",
        resource_type: &SUBSCRIPTIONS,
        versions: &[],
        authorization: Authorization::Filtered(READ, VISIBLE),
        handler: |route| route.to(get),
        summary: "Get a subscription",
    },
    Operation {
        id: "Subscriptions_ListLocations",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/locations",
        resource_type: &LOCATIONS,
        versions: &[],
        authorization: Authorization::Filtered(READ, VISIBLE),
        handler: |route| route.to(list_locations),
        summary: "List the subscription's locations",
    },
];

/// `GET /subscriptions`: the subscriptions of the token's tenant the caller can see. A token
/// from another tenant lists none of this tenant's subscriptions, even for a principal that
/// holds roles here: ARM answers for the tenant the token was issued in. Paged as ARM pages it:
/// [`crate::paging::SUBSCRIPTIONS`] a page, by subscription id; `count` is `Total` on a list that
/// fits one page, else `Partial` with the page's length (ARM's answer past 50 subscriptions).
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, ArmError> {
    let mut visible = Vec::new();
    for subscription in store::list(&state.db).await? {
        let same_tenant = subscription.tenant_id.eq_ignore_ascii_case(&caller.tid);
        if same_tenant && is_visible(&state, &caller, &subscription).await? {
            visible.push(SubscriptionBody::from(subscription));
        }
    }
    let page = crate::paging::page_of(
        &state,
        &request,
        visible,
        |subscription| subscription.subscription_id.clone(),
        crate::paging::SUBSCRIPTIONS,
    )?;
    let whole = page.next_link.is_none() && !crate::paging::resumes(&request);
    let count = serde_json::json!({
        "type": if whole { "Total" } else { "Partial" },
        "value": page.value.len(),
    });
    Ok(HttpResponse::Ok().json(SubscriptionPage { page, count }))
}

/// `SubscriptionListResult`: a page and its `count`.
#[derive(serde::Serialize)]
struct SubscriptionPage {
    #[serde(flatten)]
    page: crate::paging::Page<SubscriptionBody>,
    count: serde_json::Value,
}

/// `GET /subscriptions/{subscription_id}`.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let subscription = visible_subscription(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(SubscriptionBody::from(subscription)))
}

/// `GET /subscriptions/{subscription_id}/locations`.
pub async fn list_locations(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let subscription = visible_subscription(&state, &caller, &path).await?;
    let locations = LocationBody::all(&subscription.subscription_id);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "value": locations })))
}

/// `GET /tenants`: the home tenant, for a token issued in it; a token from another tenant lists
/// no tenant of this directory. Paged ([`crate::paging`]) by tenant id.
pub async fn list_tenants(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, ArmError> {
    let home = &state.settings.tenant_id;
    let tenants: Vec<TenantBody> = match home.eq_ignore_ascii_case(&caller.tid) {
        true => vec![TenantBody::home(home, "mimic", "mimic.onmicrosoft.com")],
        false => Vec::new(),
    };
    let page = crate::paging::page(&state, &request, tenants, |tenant| tenant.tenant_id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /metadata/endpoints` (no authentication): the cloud description ([`metadata`]); dated
/// versions before `2022-09-01` get the array form, newer ones (or none) a single object.
pub async fn metadata_endpoints(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
) -> HttpResponse {
    // A client that reached ARM as management.azure.com (the sandbox) sees the public cloud's names.
    let public =
        mimic_web::hostnames::request_public_base(&request, &[mimic_web::hostnames::ARM_HOST]);
    let key_vault_dns = crate::key_vaults::vault_dns(&state, &request).0;
    let cloud = match public {
        Some(arm) => metadata::Cloud {
            name: "AzureCloud",
            login: format!("https://{}", mimic_web::hostnames::LOGIN_HOSTS[0]),
            resource_manager: format!("{arm}/"),
            graph: format!("https://{}/", mimic_web::hostnames::GRAPH_HOST),
            key_vault_dns,
            public: true,
        },
        None => {
            let aad = state.settings.aad_url.trim_end_matches('/').to_string();
            metadata::Cloud {
                name: "Mimic",
                graph: format!("{aad}/"),
                login: aad,
                resource_manager: format!("{}/", state.public_url),
                key_vault_dns,
                public: false,
            }
        }
    };
    let document = cloud.document();
    let version = crate::extract::ApiVersion::from_query(request.query_string())
        .map(|version| version.0)
        .unwrap_or_default();
    match metadata::wants_array(&version) {
        true => HttpResponse::Ok().json(serde_json::json!([document])),
        false => HttpResponse::Ok().json(document),
    }
}

async fn is_visible(
    state: &AppState,
    caller: &Caller,
    subscription: &Subscription,
) -> Result<bool, ArmError> {
    let scope = format!("/subscriptions/{}", subscription.subscription_id);
    has_any_assignment_around(state, &caller.oid, &scope).await
}

async fn visible_subscription(
    state: &AppState,
    caller: &Caller,
    subscription_id: &str,
) -> Result<Subscription, ArmError> {
    let subscription = store::find(&state.db, subscription_id).await?;
    match subscription {
        Some(subscription) if is_visible(state, caller, &subscription).await? => Ok(subscription),
        Some(_) | None => Err(ArmError::SubscriptionNotFound(subscription_id.to_string())),
    }
}
