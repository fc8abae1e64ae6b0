//! Azure locations.

/// ARM's location normal form: lower-case, no whitespace (`East US` → `eastus`).
pub fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_location_lowercases_and_drops_whitespace() {
        assert_eq!(normalize_location("East US"), "eastus");
        assert_eq!(normalize_location("West\tEurope "), "westeurope");
        assert_eq!(normalize_location("eastus2"), "eastus2");
    }
}
