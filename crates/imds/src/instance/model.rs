//! The instance metadata document, built from the VM as ARM's GET returns it. In IMDS's JSON
//! every primitive is a string and missing values are `""` (IMDS doc, "Data format"). Shapes follow
//! imds.json 2023-07-01 `Instance`; values mimic does not model are empty or Azure's defaults.

use serde_json::{json, Value};

/// The `/metadata/instance` document of `vm` (ARM JSON) whose ARM id is `vm_id`, as
/// `api_version` shows it: fields introduced after that version are absent, as in Azure.
pub(crate) fn instance(vm: &Value, vm_id: &str, api_version: &str) -> Value {
    let mut document = json!({"compute": compute(vm, vm_id), "network": network(vm, vm_id)});
    for (path, introduced) in INTRODUCED {
        if api_version < *introduced {
            remove(&mut document, path);
        }
    }
    document
}

/// The api-version that introduced each field, from the IMDS doc's "Version introduced" columns
/// (instance-metadata-service.md, "Instance metadata"). Fields not listed exist since 2017-04-02,
/// the first version of `/metadata/instance`. `*` stands for every element of an array.
/// api-versions are ISO dates, so they compare as strings.
const INTRODUCED: &[(&str, &str)] = &[
    ("compute/placementGroupId", "2017-08-01"),
    ("compute/resourceGroupName", "2017-08-01"),
    ("compute/subscriptionId", "2017-08-01"),
    ("compute/tags", "2017-08-01"),
    ("compute/vmScaleSetName", "2017-12-01"),
    ("compute/zone", "2017-12-01"),
    ("compute/plan", "2018-04-02"),
    ("compute/publicKeys", "2018-04-02"),
    ("compute/azEnvironment", "2018-10-01"),
    ("compute/provider", "2018-10-01"),
    ("compute/customData", "2019-02-01"),
    ("compute/resourceId", "2019-03-11"),
    ("compute/storageProfile", "2019-06-01"),
    ("compute/tagsList", "2019-06-04"),
    ("compute/isHostCompatibilityLayerVm", "2020-06-01"),
    ("compute/securityProfile", "2020-06-01"),
    ("compute/osProfile", "2020-07-15"),
    ("compute/licenseType", "2020-09-01"),
    (
        "compute/osProfile/disablePasswordAuthentication",
        "2020-10-01",
    ),
    ("compute/evictionPolicy", "2020-12-01"),
    ("compute/priority", "2020-12-01"),
    ("compute/userData", "2021-01-01"),
    ("compute/storageProfile/resourceDisk", "2021-02-01"),
    ("compute/extendedLocation", "2021-03-01"),
    ("compute/virtualMachineScaleSet", "2021-03-01"),
    (
        "compute/storageProfile/dataDisks/*/bytesPerSecondThrottle",
        "2021-05-01",
    ),
    (
        "compute/storageProfile/dataDisks/*/diskCapacityBytes",
        "2021-05-01",
    ),
    (
        "compute/storageProfile/dataDisks/*/isSharedDisk",
        "2021-05-01",
    ),
    (
        "compute/storageProfile/dataDisks/*/isUltraDisk",
        "2021-05-01",
    ),
    (
        "compute/storageProfile/dataDisks/*/opsPerSecondThrottle",
        "2021-05-01",
    ),
    ("compute/platformSubFaultDomain", "2021-10-01"),
    ("compute/additionalCapabilities", "2021-11-01"),
    ("compute/securityProfile/encryptionAtHost", "2021-11-01"),
    ("compute/host", "2021-11-15"),
    ("compute/hostGroup", "2021-11-15"),
    ("compute/securityProfile/securityType", "2021-12-13"),
    // In neither the doc's table nor imds.json 2023-07-01: assumed to come with a later version.
    ("compute/physicalZone", "2023-11-15"),
];

/// Removes the node at `path` (see [`INTRODUCED`]) wherever it exists.
fn remove(node: &mut Value, path: &str) {
    match path.split_once('/') {
        None => {
            if let Value::Object(map) = node {
                map.remove(path);
            }
        }
        Some(("*", rest)) => {
            if let Value::Array(items) = node {
                items.iter_mut().for_each(|item| remove(item, rest));
            }
        }
        Some((key, rest)) => {
            if let Some(child) = node.get_mut(key) {
                remove(child, rest);
            }
        }
    }
}

fn compute(vm: &Value, vm_id: &str) -> Value {
    let properties = &vm["properties"];
    let image = &properties["storageProfile"]["imageReference"];
    json!({
        "additionalCapabilities": {"hibernationEnabled": text(properties, "/additionalCapabilities/hibernationEnabled", "false")},
        "azEnvironment": "AzurePublicCloud",
        "customData": "",
        "evictionPolicy": text(properties, "/evictionPolicy", ""),
        "extendedLocation": {"name": text(vm, "/extendedLocation/name", ""), "type": text(vm, "/extendedLocation/type", "")},
        "host": {"id": text(properties, "/host/id", "")},
        "hostGroup": {"id": text(properties, "/hostGroup/id", "")},
        "isHostCompatibilityLayerVm": "false",
        "licenseType": text(properties, "/licenseType", ""),
        "location": text(vm, "/location", ""),
        "name": text(vm, "/name", ""),
        "offer": text(image, "/offer", ""),
        "osProfile": os_profile(properties),
        "osType": os_type(properties),
        "physicalZone": "",
        "placementGroupId": "",
        "plan": {
            "name": text(vm, "/plan/name", ""),
            "product": text(vm, "/plan/product", ""),
            "publisher": text(vm, "/plan/publisher", ""),
        },
        "platformFaultDomain": text(properties, "/platformFaultDomain", "0"),
        "platformSubFaultDomain": "",
        "platformUpdateDomain": "0",
        "priority": text(properties, "/priority", ""),
        "provider": "Microsoft.Compute",
        "publicKeys": public_keys(properties),
        "publisher": text(image, "/publisher", ""),
        "resourceGroupName": id_segment(vm_id, "resourceGroups"),
        "resourceId": vm_id,
        "securityProfile": security_profile(properties),
        "sku": text(image, "/sku", ""),
        "storageProfile": storage_profile(properties),
        "subscriptionId": id_segment(vm_id, "subscriptions"),
        "tags": tags(vm),
        "tagsList": tags_list(vm),
        "userData": text(properties, "/userData", ""),
        "version": text(image, "/exactVersion", &text(image, "/version", "")),
        "virtualMachineScaleSet": {"id": text(properties, "/virtualMachineScaleSet/id", "")},
        "vmId": text(properties, "/vmId", ""),
        "vmScaleSetName": "",
        "vmSize": text(properties, "/hardwareProfile/vmSize", ""),
        "zone": text(vm, "/zones/0", ""),
    })
}

fn os_type(properties: &Value) -> String {
    let from_disk = text(properties, "/storageProfile/osDisk/osType", "");
    match from_disk.is_empty() {
        true => text(properties, "/osType", ""),
        false => from_disk,
    }
}

fn os_profile(properties: &Value) -> Value {
    let profile = &properties["osProfile"];
    json!({
        "adminUsername": text(profile, "/adminUsername", ""),
        "computerName": text(profile, "/computerName", ""),
        // Present for Linux VMs only, as in Azure.
        "disablePasswordAuthentication": text(profile, "/linuxConfiguration/disablePasswordAuthentication", ""),
    })
}

fn public_keys(properties: &Value) -> Value {
    let keys = properties
        .pointer("/osProfile/linuxConfiguration/ssh/publicKeys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .map(|key| json!({"keyData": text(key, "/keyData", ""), "path": text(key, "/path", "")}))
                .collect()
        })
        .unwrap_or_default();
    Value::Array(keys)
}

fn security_profile(properties: &Value) -> Value {
    let profile = &properties["securityProfile"];
    json!({
        "encryptionAtHost": text(profile, "/encryptionAtHost", "false"),
        "secureBootEnabled": text(profile, "/uefiSettings/secureBootEnabled", "false"),
        "securityType": text(profile, "/securityType", ""),
        "virtualTpmEnabled": text(profile, "/uefiSettings/vTpmEnabled", "false"),
    })
}

fn storage_profile(properties: &Value) -> Value {
    let storage = &properties["storageProfile"];
    let image = &storage["imageReference"];
    let data_disks: Vec<Value> = storage["dataDisks"]
        .as_array()
        .map(|disks| disks.iter().map(data_disk).collect())
        .unwrap_or_default();
    let mut os_disk = disk(&storage["osDisk"]);
    if let Value::Object(fields) = &mut os_disk {
        fields.remove("lun");
        fields.insert("osType".into(), os_type(properties).into());
        fields.insert(
            "diffDiskSettings".into(),
            json!({"option": text(&storage["osDisk"], "/diffDiskSettings/option", "")}),
        );
        fields.insert(
            "encryptionSettings".into(),
            json!({"enabled": text(&storage["osDisk"], "/encryptionSettings/enabled", "false")}),
        );
    }
    json!({
        "dataDisks": data_disks,
        "imageReference": {
            "id": text(image, "/id", ""),
            "offer": text(image, "/offer", ""),
            "publisher": text(image, "/publisher", ""),
            "sku": text(image, "/sku", ""),
            "version": text(image, "/version", ""),
        },
        "osDisk": os_disk,
        "resourceDisk": {"size": ""},
    })
}

fn disk(disk: &Value) -> Value {
    json!({
        "caching": text(disk, "/caching", ""),
        "createOption": text(disk, "/createOption", ""),
        "diskSizeGB": text(disk, "/diskSizeGB", ""),
        "image": {"uri": text(disk, "/image/uri", "")},
        "lun": text(disk, "/lun", ""),
        "managedDisk": {
            "id": text(disk, "/managedDisk/id", ""),
            "storageAccountType": text(disk, "/managedDisk/storageAccountType", ""),
        },
        "name": text(disk, "/name", ""),
        "vhd": {"uri": text(disk, "/vhd/uri", "")},
        "writeAcceleratorEnabled": text(disk, "/writeAcceleratorEnabled", "false"),
    })
}

/// A data disk: [`disk`] plus the fields IMDS fills for Ultra Disks only ("" for other disks,
/// as the IMDS doc says; mimic knows no throttles, so those stay "" for Ultra Disks too).
fn data_disk(disk_json: &Value) -> Value {
    let mut data_disk = disk(disk_json);
    let ultra = text(disk_json, "/managedDisk/storageAccountType", "") == "UltraSSD_LRS";
    let ultra_only = |value: String| match ultra {
        true => value,
        false => String::new(),
    };
    let capacity = disk_json
        .pointer("/diskSizeGB")
        .and_then(Value::as_u64)
        .map(|gb| (gb << 30).to_string())
        .unwrap_or_default();
    if let Value::Object(fields) = &mut data_disk {
        fields.insert("bytesPerSecondThrottle".into(), "".into());
        fields.insert("diskCapacityBytes".into(), ultra_only(capacity).into());
        fields.insert("isSharedDisk".into(), ultra_only("false".into()).into());
        fields.insert("isUltraDisk".into(), ultra.to_string().into());
        fields.insert("opsPerSecondThrottle".into(), "".into());
    }
    data_disk
}

/// `"k:v;k2:v2"`.
fn tags(vm: &Value) -> String {
    tag_pairs(vm)
        .into_iter()
        .map(|(name, value)| format!("{name}:{value}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn tags_list(vm: &Value) -> Value {
    tag_pairs(vm)
        .into_iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect()
}

fn tag_pairs(vm: &Value) -> Vec<(String, String)> {
    vm["tags"]
        .as_object()
        .map(|tags| {
            tags.iter()
                .map(|(name, value)| (name.clone(), primitive(value).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// One interface with a private address and MAC derived from the VM id, so they are stable
/// (and equal to what ARM's `Microsoft.Network/networkInterfaces` shows for the VM's NIC).
fn network(vm: &Value, vm_id: &str) -> Value {
    let vm_uuid = text(&vm["properties"], "/vmId", "");
    let interface = mimic_azure::network::PrimaryInterface::of_vm(&vm_uuid, vm_id);
    json!({"interface": [{
        "ipv4": {
            "ipAddress": [{"privateIpAddress": interface.private_ip_address, "publicIpAddress": ""}],
            "subnet": [{"address": interface.subnet_address, "prefix": interface.subnet_prefix}],
        },
        "ipv6": {"ipAddress": []},
        "macAddress": interface.mac_address,
    }]})
}

/// The value at `pointer` as IMDS prints it, or `default`.
fn text(node: &Value, pointer: &str, default: &str) -> String {
    node.pointer(pointer)
        .and_then(primitive)
        .unwrap_or_else(|| default.to_string())
}

fn primitive(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The segment after `key` in an ARM id (`subscriptions`, `resourceGroups`), case-insensitively.
fn id_segment(id: &str, key: &str) -> String {
    let mut segments = id.split('/').filter(|segment| !segment.is_empty());
    while let Some(segment) = segments.next() {
        if segment.eq_ignore_ascii_case(key) {
            return segments.next().unwrap_or_default().to_string();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWEST: &str = "2025-04-07";
    const ID: &str =
        "/subscriptions/sub-1/resourceGroups/Rg-1/providers/Microsoft.Compute/virtualMachines/vm1";

    fn all_leaves_are_strings(value: &Value) -> bool {
        match value {
            Value::String(_) => true,
            Value::Object(map) => map.values().all(all_leaves_are_strings),
            Value::Array(items) => items.iter().all(all_leaves_are_strings),
            _ => false,
        }
    }

    #[test]
    fn instance_of_a_sparse_vm_has_every_field_as_a_string() {
        let document = instance(&json!({"id": ID, "name": "vm1"}), ID, NEWEST);
        assert!(all_leaves_are_strings(&document), "{document}");
        assert_eq!(document["compute"]["offer"], "");
        assert_eq!(document["compute"]["resourceGroupName"], "Rg-1");
        assert_eq!(document["compute"]["subscriptionId"], "sub-1");
        assert_eq!(document["compute"]["tags"], "");
    }

    #[test]
    fn instance_copies_arm_values_and_stringifies_them() {
        let vm = json!({
            "id": ID, "name": "vm1", "location": "eastus", "tags": {"b": "2", "a": "1"},
            "properties": {
                "vmId": "5e1d2c3b-4a59-4687-9765-a4b3c2d1e0f9",
                "hardwareProfile": {"vmSize": "Standard_B1s"},
                "storageProfile": {
                    "imageReference": {"publisher": "Canonical", "offer": "ubuntu", "sku": "22_04-lts", "version": "latest", "exactVersion": "22.04.1"},
                    "osDisk": {"osType": "Linux", "diskSizeGB": 30}
                },
                "osProfile": {"adminUsername": "azureuser", "computerName": "vm1", "linuxConfiguration": {"disablePasswordAuthentication": true}}
            }
        });
        let document = instance(&vm, ID, NEWEST);
        let compute = &document["compute"];
        assert!(all_leaves_are_strings(&document), "{document}");
        assert_eq!(compute["tags"], "a:1;b:2");
        assert_eq!(
            compute["tagsList"],
            json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])
        );
        assert_eq!(
            compute["osProfile"]["disablePasswordAuthentication"],
            "true"
        );
        assert_eq!(compute["storageProfile"]["osDisk"]["diskSizeGB"], "30");
        assert_eq!(compute["version"], "22.04.1");
        assert_eq!(compute["osType"], "Linux");
    }

    fn compute_keys(api_version: &str) -> Vec<String> {
        let document = instance(&json!({"id": ID, "name": "vm1"}), ID, api_version);
        document["compute"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn instance_of_an_old_api_version_lacks_later_fields() {
        let first = [
            "location",
            "name",
            "offer",
            "osType",
            "platformFaultDomain",
            "platformUpdateDomain",
            "publisher",
            "sku",
            "version",
            "vmId",
            "vmSize",
        ];
        assert_eq!(compute_keys("2017-04-02"), first);
        assert_eq!(compute_keys("2017-03-01"), first);
        let with_tags = compute_keys("2017-08-01");
        for key in [
            "tags",
            "subscriptionId",
            "resourceGroupName",
            "placementGroupId",
        ] {
            assert!(with_tags.contains(&key.to_string()), "{key}");
        }
        assert!(!with_tags.contains(&"zone".to_string()));
        assert!(!compute_keys("2019-06-01").contains(&"tagsList".to_string()));
        assert!(compute_keys("2019-06-04").contains(&"tagsList".to_string()));
        assert!(!compute_keys("2020-12-01").contains(&"userData".to_string()));
        assert!(compute_keys("2021-01-01").contains(&"userData".to_string()));
        assert!(!compute_keys("2023-07-01").contains(&"physicalZone".to_string()));
    }

    #[test]
    fn instance_prunes_nested_fields_by_version() {
        let vm = json!({"properties": {"storageProfile": {"dataDisks": [
            {"lun": 0, "diskSizeGB": 4, "managedDisk": {"storageAccountType": "UltraSSD_LRS"}},
            {"lun": 1, "diskSizeGB": 4}
        ]}}});
        let at = |version: &str| instance(&vm, ID, version)["compute"].clone();
        let old = at("2020-06-01");
        assert_eq!(
            old["securityProfile"],
            json!({"secureBootEnabled": "false", "virtualTpmEnabled": "false"})
        );
        assert!(old["storageProfile"].get("resourceDisk").is_none());
        assert!(old["storageProfile"]["dataDisks"][0]
            .get("isUltraDisk")
            .is_none());
        assert!(at("2020-10-01")["osProfile"]
            .get("disablePasswordAuthentication")
            .is_some());
        assert!(at("2020-09-01")["osProfile"]
            .get("disablePasswordAuthentication")
            .is_none());
        let new = at("2023-07-01");
        assert_eq!(new["securityProfile"]["securityType"], "");
        let disks = &new["storageProfile"]["dataDisks"];
        assert_eq!(disks[0]["isUltraDisk"], "true");
        assert_eq!(disks[0]["diskCapacityBytes"], "4294967296");
        assert_eq!(disks[1]["isUltraDisk"], "false");
        assert_eq!(disks[1]["diskCapacityBytes"], "");
        assert_eq!(disks[1]["isSharedDisk"], "");
    }

    #[test]
    fn network_is_derived_deterministically_from_the_vm_id() {
        let vm = json!({"properties": {"vmId": "5e1d2c3b-4a59-4687-9765-a4b3c2d1e0f9"}});
        let first = network(&vm, ID);
        assert_eq!(first, network(&vm, ID));
        let other = network(
            &json!({"properties": {"vmId": "6f2e3d4c-5b6a-4798-8a76-b5c4d3e2f1a0"}}),
            ID,
        );
        assert_ne!(first, other);
        let interface = &first["interface"][0];
        let address = interface["ipv4"]["ipAddress"][0]["privateIpAddress"]
            .as_str()
            .unwrap();
        let host: u64 = address.strip_prefix("10.0.0.").unwrap().parse().unwrap();
        assert!((4..=254).contains(&host));
        let mac = interface["macAddress"].as_str().unwrap();
        assert_eq!(mac.len(), 12);
        assert!(mac
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    }
}
