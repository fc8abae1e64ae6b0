//! Trust inside the sandbox: the files clients read their roots from, each covered (bind mount)
//! by the combined bundle (the system's roots and mimic's CA, [`crate::trust`]), so that clients
//! trust mimic's certificate for Azure's names with no variable and no option: the system bundle
//! (OpenSSL, curl, Go, rustls-native-certs) and certifi's `cacert.pem` of each Python on PATH and
//! of az's own interpreter (requests, hence az and the Python SDKs, read certifi's file, not the
//! system's). Node keeps its compiled-in roots: `NODE_EXTRA_CA_CERTS` adds mimic's CA.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The files to cover with the combined bundle: the system bundle, then each certifi bundle
/// found, each once.
pub fn targets() -> Vec<PathBuf> {
    let mut targets: Vec<PathBuf> = crate::trust::system_roots().into_iter().collect();
    for python in interpreters() {
        if let Some(bundle) = certifi_of(&python) {
            if !targets.contains(&bundle) {
                targets.push(bundle);
            }
        }
    }
    targets
}

/// `python3` and `python` on PATH, and the interpreter of the `az` on PATH (pip installs it as a
/// script whose `#!` line names its venv's Python).
fn interpreters() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ["python3", "python"]
        .iter()
        .filter_map(|name| on_path(name))
        .collect();
    let az = on_path("az")
        .and_then(|az| std::fs::read(az).ok())
        .and_then(|bytes| shebang_python(&String::from_utf8_lossy(&bytes[..bytes.len().min(256)])));
    found.extend(az);
    found.dedup();
    found
}

/// The first executable file `name` in PATH's directories.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The interpreter of a `#!/…/python3` first line (`#!/usr/bin/env python3` is the PATH's,
/// already listed; a bash wrapper is not Python).
pub fn shebang_python(head: &str) -> Option<PathBuf> {
    let line = head.lines().next()?.strip_prefix("#!")?.trim();
    let program = line.split_whitespace().next()?;
    let name = Path::new(program).file_name()?.to_string_lossy();
    name.starts_with("python").then(|| PathBuf::from(program))
}

/// certifi's bundle as `python` sees it (`certifi.where()`), if it has certifi. Bounded: a Python
/// that does not answer within ten seconds is skipped.
fn certifi_of(python: &Path) -> Option<PathBuf> {
    let mut child = std::process::Command::new(python)
        .args(["-c", "import certifi; print(certifi.where())"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok()?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    (output.status.success() && path.is_file()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_python_reads_a_venv_interpreter_only() {
        let cases = [
            (
                "#!/opt/az/bin/python3\nimport sys\n",
                Some("/opt/az/bin/python3"),
            ),
            ("#!/usr/bin/python3.11 -I\n", Some("/usr/bin/python3.11")),
            ("#!/usr/bin/env bash\n", None),
            ("#!/usr/bin/env python3\n", None),
            ("ELF…", None),
        ];
        for (head, want) in cases {
            assert_eq!(shebang_python(head), want.map(PathBuf::from), "{head:?}");
        }
    }
}
