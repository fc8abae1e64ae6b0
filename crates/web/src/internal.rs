//! The key that protects the internal APIs (ARM → AAD service principals, IMDS → ARM host data).
//! It lives in the data dir as `internal.key`; only processes that can read the data dir know it.

use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;

/// The header that carries the internal key.
pub const INTERNAL_KEY_HEADER: &str = "x-mimic-internal-key";

/// The host-API watch (ARM's `host_watch`, IMDS's `identity::watch`): both sides derive the
/// lease from these, and the invariant — a watcher stops trusting its memory before ARM stops
/// waiting for it — needs them to agree.
pub mod watch {
    use std::time::Duration;

    /// The longest ARM holds a watch poll, and the wait a watcher asks for.
    pub const MAX_WAIT: Duration = Duration::from_secs(10);
    /// How long after its wait a watcher still counts as live (ARM) and trusts its memory (IMDS).
    pub const GRACE: Duration = Duration::from_secs(2);
    /// The header a watcher names itself with.
    pub const WATCHER_HEADER: &str = "x-mimic-watcher";
}

/// A shared secret; `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct InternalKey(String);

impl std::fmt::Debug for InternalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalKey(<redacted>)")
    }
}

impl InternalKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        // AWS-LC's RAND_bytes aborts the process rather than return failure.
        aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC randomness");
        Self(hex::encode(bytes))
    }
    /// Reads the key file, creating it first if missing.
    pub fn ensure(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            crate::pki::write_private(path, &Self::generate().0)?;
        }
        let key =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Self(key.trim().to_string()))
    }
    /// The secret, to send in [`INTERNAL_KEY_HEADER`].
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether a request carries this key (constant-time comparison).
    pub fn matches(&self, request: &actix_web::HttpRequest) -> bool {
        let Some(given) = request.headers().get(INTERNAL_KEY_HEADER) else {
            return false;
        };
        let (given, expected) = (given.as_bytes(), self.0.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Which peers may call the internal API at all (the key is checked as well). A refused peer gets
/// the same 401 as a wrong key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InternalPeers {
    /// Only loopback peers (`127.0.0.0/8`, `::1`, `::ffff:127.x.x.x`): the default, so a
    /// listener opened to the network (`--listen 0.0.0.0`) does not open the internal API too.
    #[default]
    Loopback,
    /// Any peer (`--internal-api-on-network`): services in separate containers call each other.
    Network,
    /// No peer at all: an internal API nobody can reach (tests of the peer rule use it).
    Nobody,
}

impl InternalPeers {
    /// `--internal-api-on-network` → [`InternalPeers::Network`], else [`InternalPeers::Loopback`].
    pub fn from_flag(on_network: bool) -> Self {
        match on_network {
            true => Self::Network,
            false => Self::Loopback,
        }
    }

    /// Whether a request from `peer` may reach the internal API (`None`: the peer is unknown).
    pub fn admits(self, peer: Option<IpAddr>) -> bool {
        match (self, peer) {
            (Self::Network, _) => true,
            (Self::Nobody, _) | (Self::Loopback, None) => false,
            (Self::Loopback, Some(ip)) => ip.to_canonical().is_loopback(),
        }
    }
}

/// The one decision for an internal-API request: its peer is admitted and it carries the key.
pub fn internal_request_allowed(
    key: &InternalKey,
    peers: InternalPeers,
    request: &actix_web::HttpRequest,
) -> bool {
    let peer = request.peer_addr().map(|addr| addr.ip());
    peers.admits(peer) && key.matches(request)
}

#[cfg(test)]
mod tests {
    use super::InternalPeers;

    #[test]
    fn loopback_peers_only_by_default_any_with_network_none_with_nobody() {
        let peers = [
            "127.0.0.1",
            "::1",
            "10.0.0.5",
            "0.0.0.0",
            "127.0.0.2",
            "::ffff:127.0.0.1",
        ];
        let peers: Vec<_> = peers.iter().map(|ip| Some(ip.parse().unwrap())).collect();
        let admitted = |rule: InternalPeers| -> Vec<bool> {
            peers
                .iter()
                .chain([&None])
                .map(|peer| rule.admits(*peer))
                .collect()
        };
        assert_eq!(InternalPeers::default(), InternalPeers::Loopback);
        assert_eq!(
            admitted(InternalPeers::Loopback),
            [true, true, false, false, true, true, false]
        );
        assert_eq!(admitted(InternalPeers::Network), [true; 7]);
        assert_eq!(admitted(InternalPeers::Nobody), [false; 7]);
        assert_eq!(InternalPeers::from_flag(true), InternalPeers::Network);
        assert_eq!(InternalPeers::from_flag(false), InternalPeers::Loopback);
    }
}

/// Whether `path` (as the client sent it) names the internal API: its first segment, after
/// percent-decoding (repeatedly, so no encoding layer hides it), dropping empty and `.` segments
/// and resolving `..`, is `internal` in any case.
pub fn is_internal_path(path: &str) -> bool {
    // Every request of ARM and AAD passes here: a plain path (no escape, no dot segment, no empty
    // segment) is decided from its first segment without allocating.
    if !path.contains(['%', '\\']) && !path.contains("/.") && !path.contains("//") {
        let first = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        return first.trim().eq_ignore_ascii_case("internal");
    }
    let mut decoded = path.to_string();
    for _ in 0..4 {
        if first_segment_is_internal(&decoded) {
            return true;
        }
        let next = percent_decode(&decoded);
        if next == decoded {
            break;
        }
        decoded = next;
    }
    first_segment_is_internal(&decoded)
}

fn first_segment_is_internal(path: &str) -> bool {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    segments
        .first()
        .is_some_and(|first| first.trim().eq_ignore_ascii_case("internal"))
}

/// `%XX` → byte; invalid escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod path_tests {
    use super::is_internal_path;

    #[test]
    fn is_internal_path_sees_through_case_encoding_and_dot_segments() {
        let internal = [
            "/internal",
            "/internal/vms",
            "/Internal/vms/identities",
            "/INTERNAL/vms",
            "/%69nternal/vms",
            "/%2569nternal/vms",
            "/%49NTERNAL/vms",
            "//internal/vms",
            "/./internal/vms",
            "/internal/../internal/vms",
            "/x/../internal/vms",
            "/internal/",
            "/internal%2Fvms",
        ];
        for path in internal {
            assert!(is_internal_path(path), "{path} must be internal");
        }
        for path in ["/subscriptions/internal", "/internalx/vms", "/healthz", "/"] {
            assert!(!is_internal_path(path), "{path} is not internal");
        }
    }
}
