//! The Compute catalog mimic publishes: the marketplace images behind az's image aliases (one
//! version each) and a handful of VM sizes. Shapes follow Compute's `VirtualMachineImageResource`,
//! `VirtualMachineImage` and `VirtualMachineSize`
//! (<https://learn.microsoft.com/rest/api/compute/virtual-machine-images>,
//! <https://learn.microsoft.com/rest/api/compute/virtual-machine-sizes/list>).

use serde::Serialize;

/// One marketplace image: the publisher/offer/sku triple of an az alias.
#[derive(Debug, Clone, Copy)]
pub struct CatalogImage {
    pub publisher: &'static str,
    pub offer: &'static str,
    pub sku: &'static str,
    pub os: &'static str,
    pub architecture: &'static str,
    pub generation: &'static str,
}

const fn image(
    publisher: &'static str,
    offer: &'static str,
    sku: &'static str,
    os: &'static str,
    architecture: &'static str,
    generation: &'static str,
) -> CatalogImage {
    CatalogImage {
        publisher,
        offer,
        sku,
        os,
        architecture,
        generation,
    }
}

/// The images of az's alias list (`az vm image list` without `--all`), Linux then Windows.
pub const IMAGES: &[CatalogImage] = &[
    image(
        "microsoftazurelinux",
        "azurelinux-4",
        "4",
        "Linux",
        "x64",
        "V2",
    ),
    image(
        "microsoftazurelinux",
        "azurelinux-4",
        "4-arm64",
        "Linux",
        "Arm64",
        "V2",
    ),
    image(
        "microsoftazurelinux",
        "azurelinux-4",
        "4-gen1",
        "Linux",
        "x64",
        "V1",
    ),
    image("OpenLogic", "CentOS", "8_5-gen2", "Linux", "x64", "V2"),
    image(
        "Debian",
        "debian-11",
        "11-backports-gen2",
        "Linux",
        "x64",
        "V2",
    ),
    image(
        "kinvolk",
        "flatcar-container-linux-free",
        "stable-gen2",
        "Linux",
        "x64",
        "V2",
    ),
    image("SUSE", "openSUSE-leap-15-4", "gen2", "Linux", "x64", "V2"),
    image("RedHat", "RHEL", "8-lvm-gen2", "Linux", "x64", "V2"),
    image("SUSE", "sles-15-sp3", "gen2", "Linux", "x64", "V2"),
    image(
        "Canonical",
        "0001-com-ubuntu-server-jammy",
        "22_04-lts-gen2",
        "Linux",
        "x64",
        "V2",
    ),
    image(
        "Canonical",
        "ubuntu-24_04-lts",
        "server",
        "Linux",
        "x64",
        "V2",
    ),
    image(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2022-datacenter-g2",
        "Windows",
        "x64",
        "V2",
    ),
    image(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2022-datacenter-azure-edition-core",
        "Windows",
        "x64",
        "V2",
    ),
    image(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2019-datacenter-gensecond",
        "Windows",
        "x64",
        "V2",
    ),
    image(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2016-datacenter-gensecond",
        "Windows",
        "x64",
        "V2",
    ),
    image(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2012-R2-Datacenter",
        "Windows",
        "x64",
        "V1",
    ),
    image(
        "MicrosoftWindowsServer",
        "WindowsServer",
        "2012-Datacenter",
        "Windows",
        "x64",
        "V1",
    ),
];

/// The one version mimic publishes of every image.
pub const IMAGE_VERSION: &str = "1.0.0";

/// The image with this publisher, offer and sku (case-insensitive, as Compute matches them).
pub fn find_image(publisher: &str, offer: &str, sku: &str) -> Option<&'static CatalogImage> {
    IMAGES.iter().find(|image| {
        image.publisher.eq_ignore_ascii_case(publisher)
            && image.offer.eq_ignore_ascii_case(offer)
            && image.sku.eq_ignore_ascii_case(sku)
    })
}

/// `VirtualMachineImageResource` (list items) and `VirtualMachineImage` (GET): the same shape,
/// with `properties` only when asked for (`$expand=properties`) or on GET.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineImage {
    pub name: String,
    pub location: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<ImageProperties>,
}

/// `VirtualMachineImageProperties`, the part clients read.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageProperties {
    pub os_disk_image: OsDiskImage,
    pub data_disk_images: Vec<serde_json::Value>,
    pub hyper_v_generation: &'static str,
    pub architecture: &'static str,
    pub features: Vec<ImageFeature>,
    pub image_deprecation_status: ImageDeprecationStatus,
}

/// `OSDiskImage`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OsDiskImage {
    pub operating_system: &'static str,
}

/// `VirtualMachineImageFeature`.
#[derive(Debug, Serialize)]
pub struct ImageFeature {
    pub name: &'static str,
    pub value: &'static str,
}

/// `ImageDeprecationStatus`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDeprecationStatus {
    pub image_state: &'static str,
}

impl CatalogImage {
    /// The image's one version as Compute renders it (ids in Compute's PascalCase).
    pub fn version(
        &self,
        subscription_id: &str,
        location: &str,
        with_properties: bool,
    ) -> VirtualMachineImage {
        let id = format!(
            "/Subscriptions/{subscription_id}/Providers/Microsoft.Compute/Locations/{location}/Publishers/{}/ArtifactTypes/VMImage/Offers/{}/Skus/{}/Versions/{IMAGE_VERSION}",
            self.publisher, self.offer, self.sku
        );
        VirtualMachineImage {
            name: IMAGE_VERSION.to_string(),
            location: location.to_string(),
            id,
            properties: with_properties.then(|| self.properties()),
        }
    }

    fn properties(&self) -> ImageProperties {
        let mut features = vec![ImageFeature {
            name: "IsAcceleratedNetworkSupported",
            value: "True",
        }];
        if self.generation == "V2" {
            features.push(ImageFeature {
                name: "SecurityType",
                value: "TrustedLaunchSupported",
            });
        }
        ImageProperties {
            os_disk_image: OsDiskImage {
                operating_system: self.os,
            },
            data_disk_images: Vec::new(),
            hyper_v_generation: self.generation,
            architecture: self.architecture,
            features,
            image_deprecation_status: ImageDeprecationStatus {
                image_state: "Active",
            },
        }
    }
}

/// `VirtualMachineSize`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineSize {
    pub name: &'static str,
    pub number_of_cores: u32,
    #[serde(rename = "osDiskSizeInMB")]
    pub os_disk_size_in_mb: u32,
    #[serde(rename = "resourceDiskSizeInMB")]
    pub resource_disk_size_in_mb: u32,
    #[serde(rename = "memoryInMB")]
    pub memory_in_mb: u32,
    pub max_data_disk_count: u32,
}

const fn size(
    name: &'static str,
    cores: u32,
    memory: u32,
    temp: u32,
    disks: u32,
) -> VirtualMachineSize {
    VirtualMachineSize {
        name,
        number_of_cores: cores,
        os_disk_size_in_mb: 1_047_552,
        resource_disk_size_in_mb: temp,
        memory_in_mb: memory,
        max_data_disk_count: disks,
    }
}

/// The sizes mimic lists in every location (Azure's figures for them).
pub const SIZES: &[VirtualMachineSize] = &[
    size("Standard_B1s", 1, 1024, 4096, 2),
    size("Standard_B1ms", 1, 2048, 4096, 2),
    size("Standard_B2s", 2, 4096, 8192, 4),
    size("Standard_B2ms", 2, 8192, 16384, 4),
    size("Standard_D2s_v3", 2, 8192, 16384, 4),
    size("Standard_D4s_v3", 4, 16384, 32768, 8),
    size("Standard_D2s_v5", 2, 8192, 0, 4),
    size("Standard_D4s_v5", 4, 16384, 0, 8),
];

/// `{"value": [...]}`.
#[derive(Debug, Serialize)]
pub struct Listing<T: Serialize> {
    pub value: T,
}
