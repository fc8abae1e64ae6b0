//! The namespace checks, pure functions over what `ip` reports: a sandbox refuses to run its
//! command unless the namespace is loopback-only (and, for a VM, serves 169.254.169.254 on `lo`).

use super::LINK_LOCAL;

/// What `ip` reports about a namespace; the input of [`check_ready`].
#[derive(Debug, Clone, Default)]
pub struct NamespaceState {
    /// `ip -o link`.
    pub links: String,
    /// `ip -o addr`.
    pub addrs: String,
    /// `ip route show table all` followed by `ip -6 route show table all`.
    pub routes: String,
    /// `ip route get 169.254.169.254`.
    pub route_to_link_local: String,
}

/// The problems that make a namespace unsafe before anything is changed in it: a link other than
/// `lo`, or a route that is not on `lo` or goes through a gateway. Empty when it is loopback-only.
pub fn check_loopback_only(links: &str, routes: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for name in link_names(links) {
        if name != "lo" {
            problems.push(format!(
                "the namespace has a network link '{name}' (only 'lo' is allowed)"
            ));
        }
    }
    for route in routes
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
    {
        let words: Vec<&str> = route.split_whitespace().collect();
        let device = words
            .windows(2)
            .find(|pair| pair[0] == "dev")
            .map(|pair| pair[1]);
        let off_loopback = words.first() == Some(&"default")
            || words.iter().any(|word| matches!(*word, "via" | "nexthop"))
            || device != Some("lo");
        if off_loopback {
            problems.push(format!("the namespace has a route off loopback: '{route}'"));
        }
    }
    problems
}

/// The problems that stop CMD from running once the namespace is set up: everything
/// [`check_loopback_only`] refuses, plus 169.254.169.254 not bound on `lo` or not routed locally.
/// Empty when the namespace is safe to use.
pub fn check_ready(state: &NamespaceState) -> Vec<String> {
    let mut problems = check_loopback_only(&state.links, &state.routes);
    let bound_on_lo = state.addrs.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.len() >= 4
            && words[1] == "lo"
            && words[2] == "inet"
            && words[3] == format!("{LINK_LOCAL}/32")
    });
    if !bound_on_lo {
        problems.push(format!(
            "{LINK_LOCAL}/32 is not bound on the namespace's loopback"
        ));
    }
    let local_route = format!("local {LINK_LOCAL} dev lo ");
    let routed_locally = state
        .route_to_link_local
        .lines()
        .next()
        .is_some_and(|line| format!("{} ", line.trim_end()).starts_with(&local_route));
    if !routed_locally {
        problems.push(format!(
            "{LINK_LOCAL} is not routed to the namespace's loopback: '{}'",
            state.route_to_link_local.trim()
        ));
    }
    problems
}

/// The interface names of `ip -o link` (`eth0@if5` → `eth0`).
fn link_names(links: &str) -> Vec<&str> {
    links
        .lines()
        .filter_map(|line| line.split(':').nth(1))
        .map(|name| name.trim().split('@').next().unwrap_or_default())
        .filter(|name| !name.is_empty())
        .collect()
}
