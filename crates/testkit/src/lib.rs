//! mimic-testkit.
