//! The network identity Azure gives a VM's primary network interface, as mimic derives it: a
//! private address in `10.0.0.0/24` and a MAC address, both stable functions of the VM's `vmId`
//! (or, without one, its ARM id), so that IMDS's instance metadata and ARM's
//! `Microsoft.Network/networkInterfaces` agree without storing anything.

/// The primary interface of a VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryInterface {
    /// E.g. `10.0.0.87`: Azure keeps `.0`–`.3` and `.255` of a subnet, hosts get `.4`–`.254`.
    pub private_ip_address: String,
    /// Twelve upper-case hex digits, as IMDS prints it (`6045BD1A2B3C`); 60:45:BD is one of the
    /// Microsoft OUIs Azure NICs carry.
    pub mac_address: String,
    /// The subnet's first address (`10.0.0.0`).
    pub subnet_address: &'static str,
    /// The subnet's prefix length (`24`).
    pub subnet_prefix: &'static str,
}

impl PrimaryInterface {
    /// The interface of the VM with this `vmId` (empty if unknown) and ARM id.
    pub fn of_vm(vm_id: &str, resource_id: &str) -> Self {
        let seed = match vm_id.is_empty() {
            true => resource_id.to_ascii_lowercase(),
            false => vm_id.to_ascii_lowercase(),
        };
        let hash = stable_hash(seed.as_bytes());
        Self {
            private_ip_address: format!("10.0.0.{}", 4 + hash % 251),
            mac_address: format!("6045BD{:06X}", (hash >> 16) & 0xFF_FFFF),
            subnet_address: "10.0.0.0",
            subnet_prefix: "24",
        }
    }

    /// The MAC address as ARM writes it (`60-45-BD-1A-2B-3C`).
    pub fn mac_address_dashed(&self) -> String {
        self.mac_address
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// FNV-1a with murmur3's finaliser, so that ids differing in one character differ everywhere;
/// stable across builds and platforms.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let hash = (hash ^ (hash >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let hash = (hash ^ (hash >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interface_is_stable_per_vm_and_differs_between_vms() {
        let first = PrimaryInterface::of_vm("5E1D2C3B-4A59-4687-9765-A4B3C2D1E0F9", "/x");
        assert_eq!(
            first,
            PrimaryInterface::of_vm("5e1d2c3b-4a59-4687-9765-a4b3c2d1e0f9", "/y")
        );
        let other = PrimaryInterface::of_vm("6f2e3d4c-5b6a-4798-8a76-b5c4d3e2f1a0", "/x");
        assert_ne!(first, other);
        let host: u64 = first.private_ip_address[7..].parse().unwrap();
        assert!((4..=254).contains(&host));
        assert_eq!(first.mac_address.len(), 12);
        assert_eq!(first.mac_address_dashed().len(), 17);
        assert_eq!(&first.mac_address_dashed()[..8], "60-45-BD");
        let by_id = PrimaryInterface::of_vm("", "/SUBSCRIPTIONS/S/x");
        assert_eq!(by_id, PrimaryInterface::of_vm("", "/subscriptions/s/X"));
    }
}
