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
