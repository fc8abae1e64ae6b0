//! CORS for the portal only. Azure's Key Vault answers no cross-origin requests (its portal calls
//! it through its own back end); mimic's portal is a page on ARM's origin that calls the vault's
//! URI from the browser, so the data plane admits that one origin — ARM's public URL — and no
//! other: a preflight from it gets the methods and headers the portal uses, any other origin gets
//! no CORS headers (the browser then refuses to read the answer, as with Azure).

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::AppState;

/// The middleware (install with `actix_web::middleware::from_fn`).
pub async fn portal<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let allowed = request.app_data::<web::Data<AppState>>().and_then(|state| {
        let origin = request.headers().get(header::ORIGIN)?.to_str().ok()?;
        origin
            .eq_ignore_ascii_case(&state.public_url)
            .then(|| origin.to_string())
    });
    let Some(origin) = allowed else {
        let response = next.call(request).await?;
        return Ok(response.map_body(|_, body| EitherBody::left(body.boxed())));
    };
    let origin = HeaderValue::from_str(&origin).map_err(actix_web::error::ErrorBadRequest)?;
    if request.method() == Method::OPTIONS {
        let response = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, PUT, PATCH, POST, DELETE",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "authorization, content-type",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish();
        return Ok(request.into_response(response).map_into_right_body());
    }
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    Ok(response.map_body(|_, body| EitherBody::left(body.boxed())))
}
