//! `VirtualMachineInstanceView`: a VM's run-time state, from `GET …/virtualMachines/{vm}/instanceView`
//! and `GET …/virtualMachines/{vm}?$expand=instanceView` (`properties.instanceView`). Shape from
//! Compute's `VirtualMachine_Get_InstanceView` example (2024-11-01): `computerName`, `osName`,
//! `vmAgent`, and `statuses` with a `ProvisioningState/…` and a `PowerState/…` entry. Ansible's
//! azure_rm_virtualmachine reads the power state from the `PowerState/` code on every call.
//!
//! A VM here has no guest: it runs from its creation to its deletion, so the power state is
//! `running` once provisioned (`starting` while it is being created).

use serde::Serialize;

use super::model::VirtualMachine;
use crate::async_operations::OperationKind;

/// The instance view.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    pub os_name: String,
    pub vm_agent: VmAgent,
    pub hyper_v_generation: &'static str,
    pub statuses: Vec<InstanceViewStatus>,
}

/// `vmAgent`: the guest agent's report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmAgent {
    pub vm_agent_version: &'static str,
    pub statuses: Vec<InstanceViewStatus>,
}

/// One `InstanceViewStatus`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceViewStatus {
    pub code: String,
    pub level: &'static str,
    pub display_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// The instance view of `vm` while `pending` runs on it (`None`: nothing runs).
pub fn instance_view(vm: &VirtualMachine, pending: Option<OperationKind>) -> InstanceView {
    let time = Some(mimic_azure::time::compute_timestamp(vm.changed_time));
    let (provisioning, provisioning_display) = match pending {
        None => ("succeeded", "Provisioning succeeded"),
        Some(OperationKind::Create) => ("creating", "Creating"),
        Some(OperationKind::Update) => ("updating", "Updating"),
        Some(OperationKind::Delete) => ("deleting", "Deleting"),
    };
    let (power, power_display) = match pending {
        Some(OperationKind::Create) => ("starting", "VM starting"),
        _ => ("running", "VM running"),
    };
    InstanceView {
        computer_name: vm.profile.computer_name().map(str::to_string),
        os_name: os_name(vm),
        vm_agent: VmAgent {
            vm_agent_version: "2.13.1.1",
            statuses: vec![InstanceViewStatus {
                code: "ProvisioningState/succeeded".into(),
                level: "Info",
                display_status: "Ready",
                message: Some("GuestAgent is running and accepting new configurations."),
                time: time.clone(),
            }],
        },
        hyper_v_generation: "V2",
        statuses: vec![
            InstanceViewStatus {
                code: format!("ProvisioningState/{provisioning}"),
                level: "Info",
                display_status: provisioning_display,
                message: None,
                time,
            },
            InstanceViewStatus {
                code: format!("PowerState/{power}"),
                level: "Info",
                display_status: power_display,
                message: None,
                time: None,
            },
        ],
    }
}

/// The guest OS name the agent would report: the distribution an image names, else the OS type.
fn os_name(vm: &VirtualMachine) -> String {
    let offer = vm
        .profile
        .storage_profile
        .as_ref()
        .and_then(|storage| storage.image_reference.as_ref())
        .and_then(|image| image.offer.as_deref())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let known = [
        "ubuntu",
        "debian",
        "rhel",
        "centos",
        "sles",
        "almalinux",
        "rocky",
    ];
    if let Some(distribution) = known.iter().find(|name| offer.contains(*name)) {
        return distribution.to_string();
    }
    match vm.profile.os_type().eq_ignore_ascii_case("Windows") {
        true => "Windows Server".to_string(),
        false => "Linux".to_string(),
    }
}
