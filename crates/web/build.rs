//! Records the git commit mimic is built from (`MIMIC_GIT_COMMIT`), or "unknown" when git or the
//! repository is absent (a Docker build context without `.git`, a source tarball).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MIMIC_GIT_COMMIT");
    let commit = std::env::var("MIMIC_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=MIMIC_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves. Only files that exist are named: cargo treats a missing one as
    // always changed, which would rebuild every crate above this one on every build.
    let watched = [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--symbolic-full-name", "HEAD"])
            .and_then(|reference| git(&["rev-parse", "--git-path", &reference])),
        git(&["rev-parse", "--git-path", "packed-refs"]),
    ];
    for path in watched.into_iter().flatten() {
        if Path::new(&path).exists() {
            let absolute = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone().into());
            println!("cargo:rerun-if-changed={}", absolute.display());
        }
    }
}
