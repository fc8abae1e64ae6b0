//! The combined CA bundle: the system's roots plus mimic's CA, written by `mimic up` as
//! `<data dir>/ca-bundle.pem`, so that one `SSL_CERT_FILE`/`REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE`
//! makes curl, Python and Rust clients trust mimic *and* still reach every other host.
//! Node adds `NODE_EXTRA_CA_CERTS` to its own roots, so it gets mimic's CA alone.

use std::path::{Path, PathBuf};

/// The bundle's file name in the data dir.
pub const BUNDLE_FILE: &str = "ca-bundle.pem";

/// Where distributions keep their PEM root bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE,
/// Alpine/macOS), in the order OpenSSL-based tools are usually built to look.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The system's PEM root bundle: the first of the usual files that exists, else `cert.pem` in
/// the directory `openssl version -d` names. `None` when there is none.
pub fn system_roots() -> Option<PathBuf> {
    SYSTEM_BUNDLES
        .iter()
        .map(PathBuf::from)
        // Asked only when no known bundle exists: it starts a process.
        .chain(std::iter::once_with(|| openssl_dir().map(|dir| dir.join("cert.pem"))).flatten())
        .find(|path| path.is_file())
}

/// OPENSSLDIR, from `OPENSSLDIR: "/usr/lib/ssl"` (no `openssl` binary: `None`).
fn openssl_dir() -> Option<PathBuf> {
    let output = std::process::Command::new("openssl")
        .args(["version", "-d"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let dir = text.split_once(':')?.1.trim().trim_matches('"');
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// The bundle's text: `system` roots (if any), then mimic's CA.
pub fn bundle(system: Option<&str>, mimic_ca: &str) -> String {
    let mut text = String::new();
    if let Some(system) = system {
        text.push_str(system.trim_end());
        text.push('\n');
    }
    text.push_str("# mimic's local CA\n");
    text.push_str(mimic_ca.trim_end());
    text.push('\n');
    text
}

/// Writes `<root>/ca-bundle.pem` atomically (public material, 0644) from the system's roots and
/// `mimic_ca`, and returns its path. Without system roots it holds mimic's CA alone, and says so.
pub fn write_bundle(root: &Path, mimic_ca: &str) -> anyhow::Result<PathBuf> {
    let system_path = system_roots();
    let system = system_path
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok());
    if system.is_none() {
        tracing::warn!(
            "no system CA bundle found; {BUNDLE_FILE} holds mimic's CA alone, so clients using it reach only mimic"
        );
    }
    let path = root.join(BUNDLE_FILE);
    mimic_web::files::write_public(&path, &bundle(system.as_deref(), mimic_ca))?;
    Ok(path)
}

/// The TLS variables for a shell whose mimic CA is `ca_cert` (`<data dir>/ca.pem`): the combined
/// bundle beside it when `mimic up` wrote one, else the CA alone (then only mimic is reachable
/// through them).
pub fn tls_env(ca_cert: &Path) -> Vec<(&'static str, String)> {
    let bundle = ca_cert
        .parent()
        .map(|dir| dir.join(BUNDLE_FILE))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| ca_cert.to_path_buf())
        .display()
        .to_string();
    vec![
        ("SSL_CERT_FILE", bundle.clone()),
        ("REQUESTS_CA_BUNDLE", bundle.clone()),
        ("CURL_CA_BUNDLE", bundle),
        ("NODE_EXTRA_CA_CERTS", ca_cert.display().to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_puts_the_system_roots_first_and_mimic_last() {
        let text = bundle(Some("SYSTEM\n\n"), "MIMIC\n");
        assert_eq!(text, "SYSTEM\n# mimic's local CA\nMIMIC\n");
        assert_eq!(bundle(None, "MIMIC"), "# mimic's local CA\nMIMIC\n");
    }

    #[test]
    fn tls_env_falls_back_to_the_ca_without_a_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let names = |env: &[(&str, String)]| -> Vec<String> {
            env.iter().map(|(_, value)| value.clone()).collect()
        };
        let ca_text = ca.display().to_string();
        assert_eq!(names(&tls_env(&ca)), vec![ca_text.clone(); 4]);
        std::fs::write(dir.path().join(BUNDLE_FILE), "x").unwrap();
        let bundle_text = dir.path().join(BUNDLE_FILE).display().to_string();
        assert_eq!(
            names(&tls_env(&ca)),
            [
                bundle_text.clone(),
                bundle_text.clone(),
                bundle_text,
                ca_text
            ]
        );
    }
}
