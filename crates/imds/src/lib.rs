//! mimic-imds.
