//! Resource tags.

use std::collections::BTreeMap;

/// A tracked resource's (or resource group's) tags: name → value, in name order as ARM lists them.
pub type Tags = BTreeMap<String, String>;
