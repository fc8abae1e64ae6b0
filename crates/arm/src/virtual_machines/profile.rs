//! The VM properties mimic stores and echoes: hardware, storage, OS and network profiles, with
//! the defaults Compute fills in on create. Secrets (`adminPassword`, `customData`) are never
//! modelled, so they are never stored or echoed.

use serde::{Deserialize, Serialize};

/// The VM properties mimic models; everything else in a request is ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineProfile {
    /// `properties.hardwareProfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_profile: Option<HardwareProfile>,
    /// `properties.storageProfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_profile: Option<StorageProfile>,
    /// `properties.osProfile` (secrets such as `adminPassword` and `customData` are never kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_profile: Option<OsProfile>,
    /// `properties.networkProfile`, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_profile: Option<NetworkProfile>,
}

/// `hardwareProfile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HardwareProfile {
    /// The VM size, e.g. `Standard_B1s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
}

/// `storageProfile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorageProfile {
    /// The marketplace image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_reference: Option<ImageReference>,
    /// The OS disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk: Option<OsDisk>,
    /// Data disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_disks: Option<Vec<DataDisk>>,
}

/// `imageReference`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImageReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `osDisk`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OsDisk {
    /// `Linux` or `Windows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caching: Option<String>,
    #[serde(
        default,
        rename = "diskSizeGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_size_gb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_disk: Option<ManagedDisk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_option: Option<String>,
}

/// `dataDisks[]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DataDisk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lun: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_option: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caching: Option<String>,
    #[serde(
        default,
        rename = "diskSizeGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_size_gb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_disk: Option<ManagedDisk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_option: Option<String>,
}

/// `managedDisk`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDisk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `osProfile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OsProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_configuration: Option<LinuxConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_configuration: Option<WindowsConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_extension_operations: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_guest_provision_signal: Option<bool>,
}

/// `linuxConfiguration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LinuxConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_password_authentication: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<SshConfiguration>,
    #[serde(
        default,
        rename = "provisionVMAgent",
        skip_serializing_if = "Option::is_none"
    )]
    pub provision_vm_agent: Option<bool>,
}

/// `ssh`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SshConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_keys: Option<Vec<SshPublicKey>>,
}

/// `ssh.publicKeys[]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SshPublicKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_data: Option<String>,
}

/// `windowsConfiguration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WindowsConfiguration {
    #[serde(
        default,
        rename = "provisionVMAgent",
        skip_serializing_if = "Option::is_none"
    )]
    pub provision_vm_agent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_automatic_updates: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// `networkProfile`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interfaces: Option<Vec<NetworkInterfaceReference>>,
}

/// `networkInterfaces[]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<NetworkInterfaceReferenceProperties>,
}

/// `networkInterfaces[].properties`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceReferenceProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_option: Option<String>,
}

/// The default size when a request names none.
pub const DEFAULT_VM_SIZE: &str = "Standard_B1s";

impl VirtualMachineProfile {
    /// Fills what Compute fills in on create: size, OS type, computer name, agent settings.
    pub fn with_defaults(mut self, vm_name: &str) -> Self {
        let hardware = self.hardware_profile.get_or_insert_with(Default::default);
        hardware
            .vm_size
            .get_or_insert_with(|| DEFAULT_VM_SIZE.to_string());
        let windows = self
            .os_profile
            .as_ref()
            .is_some_and(|os| os.windows_configuration.is_some());
        let storage = self.storage_profile.get_or_insert_with(Default::default);
        let os_disk = storage.os_disk.get_or_insert_with(Default::default);
        let os_type = os_disk
            .os_type
            .get_or_insert_with(|| if windows { "Windows" } else { "Linux" }.to_string());
        let is_linux = !os_type.eq_ignore_ascii_case("Windows");
        storage.data_disks.get_or_insert_with(Vec::new);
        let os = self.os_profile.get_or_insert_with(Default::default);
        os.computer_name.get_or_insert_with(|| vm_name.to_string());
        os.secrets.get_or_insert_with(Vec::new);
        os.allow_extension_operations.get_or_insert(true);
        os.require_guest_provision_signal.get_or_insert(true);
        if is_linux {
            let linux = os.linux_configuration.get_or_insert_with(Default::default);
            linux.disable_password_authentication.get_or_insert(false);
            linux.provision_vm_agent.get_or_insert(true);
        } else {
            let windows = os
                .windows_configuration
                .get_or_insert_with(Default::default);
            windows.provision_vm_agent.get_or_insert(true);
            windows.enable_automatic_updates.get_or_insert(true);
        }
        self
    }

    /// The VM size.
    pub fn vm_size(&self) -> &str {
        self.hardware_profile
            .as_ref()
            .and_then(|h| h.vm_size.as_deref())
            .unwrap_or(DEFAULT_VM_SIZE)
    }

    /// `Linux` or `Windows`.
    pub fn os_type(&self) -> &str {
        self.storage_profile
            .as_ref()
            .and_then(|s| s.os_disk.as_ref())
            .and_then(|d| d.os_type.as_deref())
            .unwrap_or("Linux")
    }

    /// The guest's computer name, if any.
    pub fn computer_name(&self) -> Option<&str> {
        self.os_profile
            .as_ref()
            .and_then(|os| os.computer_name.as_deref())
    }
}
