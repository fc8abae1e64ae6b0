//! A VM's `etag` and the `If-Match` / `If-None-Match` headers of its PUT and PATCH, as Compute's
//! spec declares them (virtualMachine.json since 2023-09-01, Azure/azure-rest-api-specs#26368):
//! `If-Match` names the last-seen etag ("Specify the last-seen ETag value to prevent accidentally
//! overwriting concurrent changes"), `If-None-Match: *` allows a create but refuses to update an
//! existing VM ("Other values will result in error from server as they are not supported").
//!
//! The etag is the quoted write counter (`"1"` after the create, as Compute's `VirtualMachine_Get`
//! example shows it), so it changes on every write.

use actix_web::http::header::{IF_MATCH, IF_NONE_MATCH};
use actix_web::HttpRequest;

use super::model::VirtualMachine;
use crate::ArmError;

/// A VM's etag: its write counter, quoted.
pub fn etag(vm: &VirtualMachine) -> String {
    format!("\"{}\"", vm.version + 1)
}

/// The conditions a write carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    /// `If-Match` as sent.
    pub if_match: Option<String>,
    /// `If-None-Match` as sent.
    pub if_none_match: Option<String>,
}

impl Preconditions {
    /// The conditions of a request's headers.
    pub fn of(request: &HttpRequest) -> Self {
        let header = |name| {
            request
                .headers()
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_string())
        };
        Self {
            if_match: header(IF_MATCH),
            if_none_match: header(IF_NONE_MATCH),
        }
    }

    /// Checks the conditions against the VM as it is now (`None`: there is none). `resource_id`
    /// names it in errors.
    pub fn check(
        &self,
        current: Option<&VirtualMachine>,
        resource_id: &str,
    ) -> Result<(), ArmError> {
        if let Some(value) = &self.if_none_match {
            if value != "*" {
                return Err(ArmError::BadRequest(format!(
                    "The value '{value}' of the If-None-Match header is not supported; only '*' is."
                )));
            }
            if current.is_some() {
                return Err(ArmError::ResourceExistsPreconditionFailed(
                    resource_id.to_string(),
                ));
            }
        }
        let Some(given) = &self.if_match else {
            return Ok(());
        };
        let current_etag = current.map(etag);
        let matches = match (given.as_str(), &current_etag) {
            ("*", Some(_)) => true,
            (given, Some(current)) => given
                .split(',')
                .map(|tag| unquoted(tag.trim()))
                .any(|tag| tag == unquoted(current)),
            (_, None) => false,
        };
        match matches {
            true => Ok(()),
            false => Err(ArmError::PreconditionFailed {
                given: given.clone(),
                current: current_etag.unwrap_or_else(|| "\"\"".to_string()),
            }),
        }
    }
}

/// An entity tag without its weak marker and quotes.
fn unquoted(tag: &str) -> &str {
    tag.trim_start_matches("W/").trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(version: i64) -> VirtualMachine {
        VirtualMachine {
            key: 1,
            subscription_id: "s".into(),
            resource_group: "g".into(),
            name: "vm".into(),
            location: "eastus".into(),
            vm_id: "id".into(),
            tags: Default::default(),
            profile: Default::default(),
            system_identity: None,
            user_identities: Vec::new(),
            created_time: 0,
            changed_time: 0,
            version,
        }
    }

    fn conditions(if_match: Option<&str>, if_none_match: Option<&str>) -> Preconditions {
        Preconditions {
            if_match: if_match.map(str::to_string),
            if_none_match: if_none_match.map(str::to_string),
        }
    }

    #[test]
    fn the_etag_is_the_quoted_write_count() {
        assert_eq!(etag(&vm(0)), "\"1\"");
        assert_eq!(etag(&vm(4)), "\"5\"");
    }

    #[test]
    fn if_match_and_if_none_match_decide_as_compute_declares() {
        /// (what, the request's conditions, the VM there is, the expected answer)
        type Case<'a> = (
            &'a str,
            Preconditions,
            Option<&'a VirtualMachine>,
            Result<(), &'a str>,
        );
        let current = vm(1); // etag "2"
        let cases: [Case; 9] = [
            (
                "no conditions",
                conditions(None, None),
                Some(&current),
                Ok(()),
            ),
            (
                "the current etag",
                conditions(Some("\"2\""), None),
                Some(&current),
                Ok(()),
            ),
            (
                "unquoted",
                conditions(Some("2"), None),
                Some(&current),
                Ok(()),
            ),
            (
                "one of a list",
                conditions(Some("\"1\", \"2\""), None),
                Some(&current),
                Ok(()),
            ),
            (
                "an old etag",
                conditions(Some("\"1\""), None),
                Some(&current),
                Err("PreconditionFailed"),
            ),
            (
                "* on an existing VM",
                conditions(Some("*"), None),
                Some(&current),
                Ok(()),
            ),
            (
                "If-Match on a missing VM",
                conditions(Some("*"), None),
                None,
                Err("PreconditionFailed"),
            ),
            (
                "If-None-Match * on a new VM",
                conditions(None, Some("*")),
                None,
                Ok(()),
            ),
            (
                "If-None-Match * on an existing VM",
                conditions(None, Some("*")),
                Some(&current),
                Err("PreconditionFailed"),
            ),
        ];
        for (case, conditions, current, expected) in cases {
            let got = conditions
                .check(current, "/vm")
                .map_err(|error| error.code());
            assert_eq!(got, expected, "{case}");
        }
        let other = conditions(None, Some("\"2\"")).check(None, "/vm");
        assert_eq!(other.map_err(|error| error.code()), Err("BadRequest"));
    }

    #[test]
    fn a_mismatch_names_both_etags_as_compute_does() {
        let error = conditions(Some("\"2\""), None)
            .check(Some(&vm(2)), "/vm")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Etag provided in if-match header \"2\" does not match etag \"3\" of resource."
        );
    }
}
