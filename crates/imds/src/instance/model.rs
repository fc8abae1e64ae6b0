//! The instance metadata document, built from the VM as ARM's GET returns it. In IMDS's JSON
//! every primitive is a string and missing values are `""` (IMDS doc, "Data format"). Shapes follow
//! imds.json 2023-07-01 `Instance`; values mimic does not model are empty or Azure's defaults.

use serde_json::{json, Value};

/// The `/metadata/instance` document of `vm` (ARM JSON) whose ARM id is `vm_id`.
pub(crate) fn instance(vm: &Value, vm_id: &str) -> Value {
    json!({"compute": compute(vm, vm_id), "network": network(vm, vm_id)})
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
        .map(|disks| disks.iter().map(disk).collect())
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

/// One interface with a private address and MAC derived from the VM id, so they are stable.
fn network(vm: &Value, vm_id: &str) -> Value {
    let vm_uuid = text(&vm["properties"], "/vmId", "");
    let seed = match vm_uuid.is_empty() {
        true => vm_id.to_ascii_lowercase(),
        false => vm_uuid.to_ascii_lowercase(),
    };
    let hash = stable_hash(seed.as_bytes());
    // Azure keeps .0-.3 and .255 of a subnet for itself: hosts get .4-.254.
    let host = 4 + hash % 251;
    // 60:45:BD is one of Microsoft's OUIs that Azure NICs carry.
    let mac = format!("6045BD{:06X}", (hash >> 16) & 0xFF_FFFF);
    json!({"interface": [{
        "ipv4": {
            "ipAddress": [{"privateIpAddress": format!("10.0.0.{host}"), "publicIpAddress": ""}],
            "subnet": [{"address": "10.0.0.0", "prefix": "24"}],
        },
        "ipv6": {"ipAddress": []},
        "macAddress": mac,
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

/// FNV-1a with murmur3's finaliser, so that ids differing in one character differ everywhere.
fn stable_hash(bytes: &[u8]) -> u64 {
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
        let document = instance(&json!({"id": ID, "name": "vm1"}), ID);
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
        let document = instance(&vm, ID);
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
