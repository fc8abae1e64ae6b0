//! The HTTP method of a declared operation (ARM's and Graph's operation tables).

use actix_web::http::Method;

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    Head,
    Put,
    Patch,
    Post,
    Delete,
}

impl Verb {
    /// The method as actix names it.
    pub fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Head => Method::HEAD,
            Self::Put => Method::PUT,
            Self::Patch => Method::PATCH,
            Self::Post => Method::POST,
            Self::Delete => Method::DELETE,
        }
    }

    /// `GET`, `PUT`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

/// Registers a table of operations: one actix resource per path, in the order paths first appear
/// (actix matches the first route that fits), holding the route of every operation on that path.
/// `resource` makes the path's resource (with the service's 405 for other methods); `route`
/// makes one operation's route. ARM's and Graph's operation tables both register through it.
pub fn register_by_path<T: 'static>(
    cfg: &mut actix_web::web::ServiceConfig,
    operations: &[&'static T],
    path: fn(&T) -> &'static str,
    resource: impl Fn(&'static str) -> actix_web::Resource,
    route: impl Fn(&'static T) -> actix_web::Route,
) {
    let mut paths: Vec<&'static str> = Vec::new();
    for operation in operations {
        if !paths.contains(&path(operation)) {
            paths.push(path(operation));
        }
    }
    for each in paths {
        let mut registered = resource(each);
        for operation in operations
            .iter()
            .filter(|operation| path(operation) == each)
        {
            registered = registered.route(route(operation));
        }
        cfg.service(registered);
    }
}
