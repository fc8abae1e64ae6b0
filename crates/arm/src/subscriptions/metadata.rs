//! The cloud metadata document, `GET /metadata/endpoints` (no authentication): what `az cloud
//! register`, Terraform's azurerm (hashicorp/go-azure-sdk) and go-azure-helpers read to learn a
//! cloud's endpoints.
//!
//! Two shapes, chosen by `api-version` as Azure chooses them:
//! - `2022-09-01` and newer, or no version: one object, the cloud the host serves
//!   (go-azure-sdk `sdk/internal/metadata/client.go` asks `?api-version=2022-09-01` and decodes
//!   one object; az `cloud register` likewise);
//! - older dated versions (`2019-05-01`, `2020-06-01`): an array of clouds (go-azure-helpers
//!   `authentication/environment.go`, `getSupportedEnvironments`, asks `2020-06-01` and decodes an
//!   array, which azurerm's client builder calls as `IsEnvironmentAzureStack`; az's
//!   `ARM_CLOUD_METADATA_URL` uses `2019-05-01`).
//!
//! The Go SDK needs every field below: `name`, `resourceManager` and `microsoftGraphResourceId`
//! or `FromEndpoint` fails; `suffixes.storage` or azurerm cannot build its Storage authorizer
//! ("unable to build authorizer for Storage API"); `suffixes.keyVaultDns` names Key Vault's token
//! audience (`https://{keyVaultDns}`); `attestationEndpoint` + `attestationResourceId` for the
//! Attestation authorizer azurerm builds at init. The shape and Azure's public values are those
//! go-azure-sdk's own test records (`sdk/internal/metadata/client_test.go`, `metadata20220901`).

use serde_json::{json, Value};

/// The mimic cloud's DNS suffixes for services mimic does not serve: every one under `.mimic.test`
/// (`.test` is reserved, so no name resolves by accident), present so SDKs that insist on a
/// suffix can build their clients. Nothing answers at these names (docs/terraform.md).
const MIMIC_SUFFIXES: &[(&str, &str)] = &[
    ("azureDataLakeStoreFileSystem", "datalakestore.mimic.test"),
    ("acrLoginServer", "azurecr.mimic.test"),
    ("sqlServerHostname", "database.mimic.test"),
    (
        "azureDataLakeAnalyticsCatalogAndJob",
        "datalakeanalytics.mimic.test",
    ),
    ("storage", "storage.mimic.test"),
    ("azureFrontDoorEndpointSuffix", "azurefd.mimic.test"),
    ("storageSyncEndpointSuffix", "afs.mimic.test"),
    ("mhsmDns", "managedhsm.mimic.test"),
    ("mysqlServerEndpoint", "mysql.mimic.test"),
    ("postgresqlServerEndpoint", "postgres.mimic.test"),
    ("mariadbServerEndpoint", "mariadb.mimic.test"),
    ("synapseAnalytics", "synapse.mimic.test"),
    ("attestationEndpoint", "attest.mimic.test"),
];

/// Azure's public cloud suffixes (the Go SDK's record of `management.azure.com`'s answer).
const AZURE_SUFFIXES: &[(&str, &str)] = &[
    ("azureDataLakeStoreFileSystem", "azuredatalakestore.net"),
    ("acrLoginServer", "azurecr.io"),
    ("sqlServerHostname", "database.windows.net"),
    (
        "azureDataLakeAnalyticsCatalogAndJob",
        "azuredatalakeanalytics.net",
    ),
    ("storage", "core.windows.net"),
    ("azureFrontDoorEndpointSuffix", "azurefd.net"),
    ("storageSyncEndpointSuffix", "afs.azure.net"),
    ("mhsmDns", "managedhsm.azure.net"),
    ("mysqlServerEndpoint", "mysql.database.azure.com"),
    ("postgresqlServerEndpoint", "postgres.database.azure.com"),
    ("mariadbServerEndpoint", "mariadb.database.azure.com"),
    ("synapseAnalytics", "dev.azuresynapse.net"),
    ("attestationEndpoint", "attest.azure.net"),
];

/// Where a client reached ARM, which decides the names the document gives.
pub struct Cloud {
    /// `AzureCloud` by Azure's names, `Mimic` by mimic's.
    pub name: &'static str,
    /// AAD's base URL, no trailing slash.
    pub login: String,
    /// ARM's base URL with a trailing slash.
    pub resource_manager: String,
    /// Graph's resource id with a trailing slash.
    pub graph: String,
    /// `suffixes.keyVaultDns`.
    pub key_vault_dns: String,
    /// Whether the client came by Azure's public names (the sandbox).
    pub public: bool,
}

/// Resource ids of services mimic does not serve: Azure's (the Go SDK's record) and mimic's
/// stand-ins under `.mimic.test`.
const RESOURCE_IDS: &[(&str, &str, &str)] = &[
    (
        "media",
        "https://rest.media.azure.net",
        "https://media.mimic.test",
    ),
    (
        "batch",
        "https://batch.core.windows.net/",
        "https://batch.mimic.test/",
    ),
    (
        "activeDirectoryDataLake",
        "https://datalake.azure.net/",
        "https://datalake.mimic.test/",
    ),
    (
        "sqlManagement",
        "https://management.core.windows.net:8443/",
        "https://sqlmanagement.mimic.test/",
    ),
    (
        "appInsightsResourceId",
        "https://api.applicationinsights.io",
        "https://applicationinsights.mimic.test",
    ),
    (
        "appInsightsTelemetryChannelResourceId",
        "https://dc.applicationinsights.azure.com/v2/track",
        "https://dc.applicationinsights.mimic.test/v2/track",
    ),
    (
        "attestationResourceId",
        "https://attest.azure.net",
        "https://attest.mimic.test",
    ),
    (
        "synapseAnalyticsResourceId",
        "https://dev.azuresynapse.net",
        "https://synapse.mimic.test",
    ),
    (
        "logAnalyticsResourceId",
        "https://api.loganalytics.io",
        "https://loganalytics.mimic.test",
    ),
    (
        "ossrDbmsResourceId",
        "https://ossrdbms-aad.database.windows.net",
        "https://ossrdbms-aad.mimic.test",
    ),
];

impl Cloud {
    /// The document for this cloud (the object form).
    pub fn document(&self) -> Value {
        let suffixes = match self.public {
            true => AZURE_SUFFIXES,
            false => MIMIC_SUFFIXES,
        };
        let mut suffix_map = serde_json::Map::new();
        for (key, value) in suffixes {
            suffix_map.insert((*key).to_string(), json!(value));
        }
        suffix_map.insert("keyVaultDns".into(), json!(self.key_vault_dns));
        let arm = &self.resource_manager;
        let mut document = json!({
            "portal": arm,
            "authentication": {
                "loginEndpoint": self.login,
                // az takes the first as its ARM resource; Go-SDK-style clients and Ansible may
                // use this cloud's own resourceManager URL, which ARM accepts too.
                "audiences": ["https://management.core.windows.net/", "https://management.azure.com/", arm],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "graphAudience": self.graph,
            "graph": self.graph,
            "name": self.name,
            "suffixes": suffix_map,
            "resourceManager": arm,
            "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
            "microsoftGraphResourceId": self.graph,
        });
        for (key, azure, mimic) in RESOURCE_IDS {
            let value = match self.public {
                true => azure,
                false => mimic,
            };
            document[*key] = json!(value);
        }
        document
    }
}

/// Whether `api-version` asks for the array of clouds (older dated versions) rather than one
/// object (`2022-09-01` on, or no version).
pub fn wants_array(version: &str) -> bool {
    !version.is_empty() && version < "2022-09-01"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mimic() -> Cloud {
        Cloud {
            name: "Mimic",
            login: "https://127.0.0.1:8444".into(),
            resource_manager: "https://127.0.0.1:8443/".into(),
            graph: "https://127.0.0.1:8444/".into(),
            key_vault_dns: "vault.mimic.test".into(),
            public: false,
        }
    }

    #[test]
    fn the_array_form_is_for_dated_versions_before_2022_09_01() {
        for (version, array) in [
            ("2019-05-01", true),
            ("2020-06-01", true),
            ("2015-01-01", true),
            ("2022-09-01", false),
            ("2023-01-01", false),
            ("", false),
        ] {
            assert_eq!(wants_array(version), array, "{version}");
        }
    }

    #[test]
    fn every_suffix_the_go_sdk_reads_is_present_and_mimics_are_under_mimic_test() {
        let document = mimic().document();
        // go-azure-sdk sdk/internal/metadata/client.go, metaDataResponse20220901.Suffixes.
        for key in [
            "azureDataLakeStoreFileSystem",
            "acrLoginServer",
            "sqlServerHostname",
            "azureDataLakeAnalyticsCatalogAndJob",
            "keyVaultDns",
            "storage",
            "azureFrontDoorEndpointSuffix",
            "storageSyncEndpointSuffix",
            "mhsmDns",
            "mysqlServerEndpoint",
            "postgresqlServerEndpoint",
            "mariadbServerEndpoint",
            "synapseAnalytics",
            "attestationEndpoint",
        ] {
            let value = document["suffixes"][key].as_str().unwrap_or_default();
            assert!(value.ends_with(".mimic.test"), "{key}: {value}");
        }
        assert_eq!(document["suffixes"]["keyVaultDns"], "vault.mimic.test");
        assert_eq!(
            document["attestationResourceId"],
            "https://attest.mimic.test"
        );
    }

    #[test]
    fn by_azures_names_the_suffixes_are_azures() {
        let cloud = Cloud {
            name: "AzureCloud",
            public: true,
            key_vault_dns: "vault.azure.net".into(),
            ..mimic()
        };
        let document = cloud.document();
        assert_eq!(document["suffixes"]["storage"], "core.windows.net");
        assert_eq!(
            document["suffixes"]["sqlServerHostname"],
            "database.windows.net"
        );
        assert_eq!(
            document["attestationResourceId"],
            "https://attest.azure.net"
        );
    }
}
