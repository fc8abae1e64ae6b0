//! The key that protects the internal APIs (ARM → AAD service principals, IMDS → ARM host data).
//! It lives in the data dir as `internal.key`; only processes that can read the data dir know it.

use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;

/// The header that carries the internal key.
pub const INTERNAL_KEY_HEADER: &str = "x-mimic-internal-key";

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
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
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
