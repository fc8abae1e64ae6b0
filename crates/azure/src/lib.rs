//! mimic-azure.
