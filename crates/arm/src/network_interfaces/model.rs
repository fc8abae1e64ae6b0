//! The wire shape of `Microsoft.Network/networkInterfaces` (`NetworkInterface`, Network
//! 2024-05-01: learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get), and how a
//! VM's interfaces are derived from its row.
//!
//! A VM's interfaces are the ids its `networkProfile.networkInterfaces` names; a VM created
//! without a network profile has one, `{vm}VMNic` in the VM's group, as `az vm create` names the
//! NIC it makes ([`VmNic::of_vm`], and the VM's response shows that reference). The first
//! interface carries the address and MAC IMDS reports for the VM
//! ([`mimic_azure::network::PrimaryInterface`]); further ones get addresses of their own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::virtual_machines::model::{
    NetworkInterfaceReference, NetworkProfile, VirtualMachine, VirtualMachineProfile,
};
use mimic_azure::network::PrimaryInterface;
use mimic_azure::ResourceId;

/// The ARM resource type.
pub const RESOURCE_TYPE: &str = "Microsoft.Network/networkInterfaces";

/// One interface of a VM: where it lives, what it is called, and its network identity.
#[derive(Debug, Clone)]
pub struct VmNic {
    /// The NIC's ARM id as the VM names it.
    pub id: ResourceId,
    /// Its position in the VM's list (0 is the primary unless a reference says otherwise).
    pub index: usize,
    /// Whether it is the VM's primary interface.
    pub primary: bool,
    /// The VM's canonical id.
    pub vm_id: String,
    /// The VM's location.
    pub location: String,
    /// The address and MAC.
    pub interface: PrimaryInterface,
}

/// The reference a VM without a network profile shows: `{group}/providers/Microsoft.Network/networkInterfaces/{vm}VMNic`.
pub fn default_nic_id(vm: &VirtualMachine) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{RESOURCE_TYPE}/{}VMNic",
        vm.subscription_id, vm.resource_group, vm.name
    )
}

/// The VM's profile as responses show it: the stored one, with the default interface reference
/// when it names none.
pub fn profile_with_nics(vm: &VirtualMachine) -> VirtualMachineProfile {
    let mut profile = vm.profile.clone();
    let named = profile
        .network_profile
        .as_ref()
        .and_then(|network| network.network_interfaces.as_ref())
        .is_some_and(|nics| nics.iter().any(|nic| nic.id.is_some()));
    if !named {
        profile.network_profile = Some(NetworkProfile {
            network_interfaces: Some(vec![NetworkInterfaceReference {
                id: Some(default_nic_id(vm)),
                properties: None,
            }]),
        });
    }
    profile
}

impl VmNic {
    /// The interfaces of a VM, in its profile's order (references that are not NIC ids skipped).
    pub fn of_vm(vm: &VirtualMachine) -> Vec<Self> {
        let profile = profile_with_nics(vm);
        let references = profile
            .network_profile
            .and_then(|network| network.network_interfaces)
            .unwrap_or_default();
        let explicit_primary = references.iter().position(|reference| {
            reference
                .properties
                .as_ref()
                .and_then(|properties| properties.primary)
                .unwrap_or(false)
        });
        let primary_index = explicit_primary.unwrap_or(0);
        let first = PrimaryInterface::of_vm(&vm.vm_id, &vm.id());
        references
            .iter()
            .enumerate()
            .filter_map(|(index, reference)| {
                let id = ResourceId::parse(reference.id.as_deref()?).ok()?;
                let is_nic = id.segments().len() == 1
                    && id
                        .resource_type()
                        .to_string()
                        .eq_ignore_ascii_case(RESOURCE_TYPE);
                is_nic.then(|| Self {
                    id,
                    index,
                    primary: index == primary_index,
                    vm_id: vm.id(),
                    location: vm.location.clone(),
                    interface: match index == primary_index {
                        true => first.clone(),
                        false => {
                            PrimaryInterface::of_vm(&format!("{}/nic{index}", vm.vm_id), &vm.id())
                        }
                    },
                })
            })
            .collect()
    }

    /// The canonical id: the namespace and type in ARM's casing, names as the VM spells them.
    pub fn canonical_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{RESOURCE_TYPE}/{}",
            self.id.subscription_id(),
            self.id.resource_group(),
            self.id.name()
        )
    }
}

/// `SubResource`.
#[derive(Debug, Clone, Serialize)]
pub struct SubResource {
    pub id: String,
}

/// A NIC as Network returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceResponse {
    pub name: String,
    pub id: String,
    pub etag: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    pub tags: BTreeMap<String, String>,
    pub properties: NetworkInterfaceProperties,
}

/// `properties` of a NIC.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceProperties {
    pub provisioning_state: &'static str,
    pub resource_guid: String,
    pub ip_configurations: Vec<IpConfiguration>,
    pub dns_settings: DnsSettings,
    pub mac_address: String,
    pub enable_accelerated_networking: bool,
    #[serde(rename = "enableIPForwarding")]
    pub enable_ip_forwarding: bool,
    pub primary: bool,
    pub virtual_machine: SubResource,
    pub hosted_workloads: [(); 0],
    pub tap_configurations: [(); 0],
    pub nic_type: &'static str,
}

/// `dnsSettings` of a NIC.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsSettings {
    pub dns_servers: [(); 0],
    pub applied_dns_servers: [(); 0],
}

/// One `ipConfigurations[]` entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpConfiguration {
    pub name: String,
    pub id: String,
    pub etag: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub properties: IpConfigurationProperties,
}

/// `properties` of an IP configuration.
#[derive(Debug, Clone, Serialize)]
pub struct IpConfigurationProperties {
    #[serde(rename = "provisioningState")]
    pub provisioning_state: &'static str,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: String,
    #[serde(rename = "privateIPAllocationMethod")]
    pub private_ip_allocation_method: &'static str,
    pub primary: bool,
    #[serde(rename = "privateIPAddressVersion")]
    pub private_ip_address_version: &'static str,
}

/// A GUID-shaped string derived from `seed` (stable: etags and `resourceGuid` change only when
/// the VM does).
fn derived_guid(seed: &str) -> String {
    let high = mimic_azure::network::stable_hash(seed.as_bytes());
    let low = mimic_azure::network::stable_hash(format!("{seed}#").as_bytes());
    let hex = format!("{high:016x}{low:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl From<&VmNic> for NetworkInterfaceResponse {
    fn from(nic: &VmNic) -> Self {
        let id = nic.canonical_id();
        let name = nic.id.name().to_string();
        let vm_name = nic.vm_id.rsplit('/').next().unwrap_or_default();
        let ip_name = format!("ipconfig{vm_name}");
        let etag = format!("W/\"{}\"", derived_guid(&id.to_lowercase()));
        Self {
            properties: NetworkInterfaceProperties {
                provisioning_state: "Succeeded",
                resource_guid: derived_guid(&format!("{}/guid", id.to_lowercase())),
                ip_configurations: vec![IpConfiguration {
                    id: format!("{id}/ipConfigurations/{ip_name}"),
                    name: ip_name,
                    etag: etag.clone(),
                    kind: "Microsoft.Network/networkInterfaces/ipConfigurations",
                    properties: IpConfigurationProperties {
                        provisioning_state: "Succeeded",
                        private_ip_address: nic.interface.private_ip_address.clone(),
                        private_ip_allocation_method: "Dynamic",
                        primary: true,
                        private_ip_address_version: "IPv4",
                    },
                }],
                dns_settings: DnsSettings {
                    dns_servers: [],
                    applied_dns_servers: [],
                },
                mac_address: nic.interface.mac_address_dashed(),
                enable_accelerated_networking: false,
                enable_ip_forwarding: false,
                primary: nic.primary,
                virtual_machine: SubResource {
                    id: nic.vm_id.clone(),
                },
                hosted_workloads: [],
                tap_configurations: [],
                nic_type: "Standard",
            },
            name,
            id,
            etag,
            kind: RESOURCE_TYPE,
            location: nic.location.clone(),
            tags: BTreeMap::new(),
        }
    }
}
