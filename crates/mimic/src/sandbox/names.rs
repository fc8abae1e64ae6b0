//! Azure's public names inside the sandbox (docs/hostnames.md): the hosts file that binds each
//! name to a loopback address of its own — and each live vault's `{vault}.vault.azure.net` to
//! ARM's, whose listener serves Key Vault's data plane by `Host` — the HTTPS listeners there, and
//! the check, before the command runs, that every name resolves to exactly that address.
//!
//! One address per service rather than one for all: the relay then needs no TLS parsing (no SNI
//! peek) to know where a connection goes — `127.0.0.2:443` is ARM, `127.0.0.3:443` is AAD — and ARM
//! and AAD terminate TLS themselves with the data dir's server certificate, which names Azure's
//! hosts ([`mimic_web::hostnames::all`]). The whole of 127.0.0.0/8 is local on `lo`.

use mimic_web::hostnames::{ARM_HOST, GRAPH_HOST, KEY_VAULT_WILDCARD, LOGIN_HOSTS};

/// The port clients use for `https://` URLs without one.
pub const HTTPS_PORT: u16 = 443;

/// Which of mimic's services answers a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// ARM (its unix socket `arm.sock`).
    Arm,
    /// AAD, which also serves Microsoft Graph (`aad.sock`).
    Aad,
}

impl Service {
    /// The socket's file name in the sandbox's socket directory.
    pub fn socket(self) -> &'static str {
        match self {
            Service::Arm => "arm.sock",
            Service::Aad => "aad.sock",
        }
    }
}

/// Names that resolve to one loopback address, and the service that listens there on port 443.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The loopback address.
    pub ip: &'static str,
    /// The service behind it.
    pub service: Service,
    /// The names.
    pub names: Vec<String>,
}

/// ARM's address inside the sandbox: `management.azure.com` and every vault's name.
pub const ARM_ADDRESS: &str = "127.0.0.2";

/// Every fixed public name the sandbox serves. Key Vault's `{vault}.vault.azure.net` names are
/// not here: they change while the command runs ([`vault_binding`], [`hosts_file`]).
pub fn bindings() -> Vec<Binding> {
    let names = |names: &[&str]| names.iter().map(ToString::to_string).collect();
    vec![
        Binding {
            ip: ARM_ADDRESS,
            service: Service::Arm,
            names: names(&[ARM_HOST]),
        },
        Binding {
            ip: "127.0.0.3",
            service: Service::Aad,
            names: names(LOGIN_HOSTS),
        },
        Binding {
            ip: "127.0.0.4",
            service: Service::Aad,
            names: names(&[GRAPH_HOST]),
        },
    ]
}

/// Key Vault's public DNS suffix, `vault.azure.net`.
pub fn vault_suffix() -> &'static str {
    KEY_VAULT_WILDCARD.trim_start_matches("*.")
}

/// Whether `name` is a name a vault can have, hence a single DNS label (ARM enforces Key Vault's
/// rules; this keeps anything else — a space, a `#` — out of the hosts file whatever ARM said).
fn is_vault_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
}

/// `{vault}.vault.azure.net` for each of `vaults` that is a valid label, lower-cased, on ARM's
/// address (ARM's listener serves the data plane by `Host`; the relay needs no listener more).
pub fn vault_binding(vaults: &[String]) -> Binding {
    let mut names: Vec<String> = vaults
        .iter()
        .filter(|name| is_vault_label(name))
        .map(|name| format!("{}.{}", name.to_ascii_lowercase(), vault_suffix()))
        .collect();
    names.sort();
    names.dedup();
    Binding {
        ip: ARM_ADDRESS,
        service: Service::Arm,
        names,
    }
}

/// The sandbox's `/etc/hosts`: the host's own lines (localhost and the machine's names), except
/// any that name one of ours or any `*.vault.azure.net`, then one line per binding, then one line
/// per vault of `vaults` ([`vault_binding`]). `localhost` is added if the host's file lacks it.
pub fn hosts_file(original: &str, bindings: &[Binding], vaults: &Binding) -> String {
    let vault_suffix = format!(".{}", vault_suffix());
    let ours = |name: &str| {
        let name = name.to_ascii_lowercase();
        name.ends_with(&vault_suffix)
            || bindings.iter().any(|binding| {
                binding
                    .names
                    .iter()
                    .any(|ours| ours.eq_ignore_ascii_case(&name))
            })
    };
    let mut text = String::new();
    let mut has_localhost = false;
    for line in original.lines() {
        let content = line.split('#').next().unwrap_or_default();
        let mut words = content.split_whitespace();
        let names: Vec<&str> = words.by_ref().skip(1).collect();
        if names.iter().any(|name| ours(name)) {
            continue;
        }
        has_localhost |= names.contains(&"localhost");
        text.push_str(line);
        text.push('\n');
    }
    if !has_localhost {
        text.push_str("127.0.0.1 localhost\n::1 localhost\n");
    }
    text.push_str("# mimic sandbox: Azure's public names (docs/hostnames.md)\n");
    for binding in bindings {
        text.push_str(&format!("{} {}\n", binding.ip, binding.names.join(" ")));
    }
    text.push_str("# mimic sandbox: the live key vaults, kept current while the command runs\n");
    for name in &vaults.names {
        text.push_str(&format!("{} {name}\n", vaults.ip));
    }
    text
}

/// The problems with how the names resolve here: each must resolve, through the system resolver
/// (glibc's `getaddrinfo`, as clients resolve), to its binding's address and nothing else. A
/// resolver that bypasses `/etc/hosts` (nscd, a hosts line in nsswitch.conf without `files`)
/// shows up here, before any client sends a request.
pub async fn check_resolution(bindings: &[Binding]) -> Vec<String> {
    let mut problems = Vec::new();
    for binding in bindings {
        for name in &binding.names {
            let found: Vec<String> =
                match tokio::net::lookup_host((name.as_str(), HTTPS_PORT)).await {
                    Ok(addresses) => addresses.map(|address| address.ip().to_string()).collect(),
                    Err(error) => {
                        problems.push(format!("{name} does not resolve: {error}"));
                        continue;
                    }
                };
            if found.is_empty() || found.iter().any(|ip| ip != binding.ip) {
                problems.push(format!(
                    "{name} resolves to {} instead of {} alone",
                    found.join(", "),
                    binding.ip
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_keeps_the_hosts_lines_and_replaces_ours() {
        let original = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.5 box\n\
                        20.1.2.3 management.azure.com # someone's pin\n";
        let text = hosts_file(original, &bindings(), &vault_binding(&[]));
        assert_eq!(
            text,
            "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.5 box\n\
             # mimic sandbox: Azure's public names (docs/hostnames.md)\n\
             127.0.0.2 management.azure.com\n\
             127.0.0.3 login.microsoftonline.com login.windows.net login.microsoft.com sts.windows.net\n\
             127.0.0.4 graph.microsoft.com\n\
             # mimic sandbox: the live key vaults, kept current while the command runs\n"
        );
    }

    #[test]
    fn hosts_file_adds_localhost_when_the_host_has_none() {
        let text = hosts_file("", &bindings(), &vault_binding(&[]));
        assert!(
            text.starts_with("127.0.0.1 localhost\n::1 localhost\n"),
            "{text}"
        );
    }

    #[test]
    fn bindings_give_each_address_one_service_and_every_name_once() {
        let bindings = bindings();
        let mut names: Vec<&String> = bindings.iter().flat_map(|b| &b.names).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(count, mimic_web::hostnames::all().len());
        for binding in &bindings {
            let ip: std::net::Ipv4Addr = binding.ip.parse().unwrap();
            assert!(
                ip.is_loopback() && binding.ip != "127.0.0.1",
                "{}",
                binding.ip
            );
        }
    }

    #[test]
    fn hosts_file_binds_each_vault_to_arms_address_and_drops_the_hosts_vault_pins() {
        let original = "127.0.0.1 localhost\n20.1.2.3 pinned.vault.azure.net\n\
                        20.1.2.4 other.VAULT.azure.net box2\n";
        let vaults = ["kv-b", "KV-A", "kv-b"].map(String::from);
        let text = hosts_file(original, &bindings(), &vault_binding(&vaults));
        assert!(!text.contains("20.1.2."), "{text}");
        assert!(
            text.ends_with(
                "# mimic sandbox: the live key vaults, kept current while the command runs\n\
                 127.0.0.2 kv-a.vault.azure.net\n\
                 127.0.0.2 kv-b.vault.azure.net\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn vault_binding_keeps_only_names_that_are_one_dns_label() {
        let vaults = [
            "kv1",
            "kv 2 evil.example",
            "kv#3",
            "",
            "kv\n127.0.0.9 management.azure.com",
            "a.b",
            "Kv-4",
        ]
        .map(String::from);
        assert_eq!(
            vault_binding(&vaults).names,
            ["kv-4.vault.azure.net", "kv1.vault.azure.net"]
        );
    }
}
