//! The version mimic reports: `mimic --version`, the `x-mimic-version` response header of every
//! service, `endpoints.json` and `mimic status`.

/// The crate version and the git commit it was built from, e.g. `0.1.0 (df4fbc7)`; the commit is
/// `unknown` when the build had no git repository.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("MIMIC_GIT_COMMIT"),
    ")"
);

/// The git commit alone (`git rev-parse --short HEAD` at build time, or `unknown`).
pub const COMMIT: &str = env!("MIMIC_GIT_COMMIT");

/// The response header that carries [`VERSION`].
pub const VERSION_HEADER: &str = "x-mimic-version";
