//! mimic-aad.
