//! mimic-arm.
