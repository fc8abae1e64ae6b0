//! Terraform's azurerm provider, replayed from its source (issue 18): Terraform cannot be installed
//! here, so each test sends the request sequence the provider (hashicorp/terraform-provider-azurerm)
//! and its SDK (hashicorp/go-azure-sdk, go-azure-helpers) send, step by step, against a whole
//! in-process `mimic up`, and asserts what the provider's code requires of each answer. Every step
//! names the source file it comes from (the stored commit where one was read at a known commit).
//!
//! These are derived from source, not recorded from a Terraform run.
#![allow(clippy::unwrap_used)]

use mimic_testkit::{Reply, TestMimic};
use serde_json::{json, Value};

/// What go-azure-sdk's `client.Client` adds to every Resource Manager request
/// (sdk/client/client.go): the content type and a correlation id; the User-Agent names Terraform.
const USER_AGENT: &str = "HashiCorp Terraform/1.9.0 (+https://www.terraform.io) terraform-provider-azurerm/4.0.0 pid-222c6c49-1b0a-5959-a213-6608f9eb8820";

/// A provider after init: the cloud it read, its tokens and an HTTP client that trusts mimic's CA.
struct Provider {
    app: TestMimic,
    /// `metadata_host` (`ARM_METADATA_HOSTNAME`): ARM's `host:port`.
    metadata_host: String,
    /// The `?api-version=2022-09-01` document.
    cloud: Value,
    /// The Resource Manager token.
    arm_token: String,
    /// `subscription_id`.
    subscription_id: String,
    /// `suffixes.keyVaultDns`.
    key_vault_dns: String,
}

impl Provider {
    /// `GET`/`PUT`/`DELETE` on Resource Manager as the go-azure-sdk client sends them.
    async fn arm(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let base = self.cloud["resourceManager"].as_str().unwrap();
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .app
            .http
            .request(method, url)
            .bearer_auth(&self.arm_token)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("User-Agent", USER_AGENT)
            .header(
                "x-ms-correlation-request-id",
                uuid::Uuid::new_v4().to_string(),
            );
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        Reply::read(request.send().await.unwrap()).await
    }

    fn subscription(&self) -> String {
        format!("/subscriptions/{}", self.subscription_id)
    }

    fn group(&self, name: &str) -> String {
        format!("{}/resourceGroups/{name}", self.subscription())
    }

    /// A client that reaches `host` (a vault's name under `keyVaultDns`) at ARM's listener, as
    /// DNS would in a set-up that resolves `*.{keyVaultDns}` (docs/terraform.md).
    fn vault_client(&self, host: &str) -> reqwest::Client {
        let port: u16 = self
            .metadata_host
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let ca = std::fs::read_to_string(self.app.data_dir().join("ca.pem")).unwrap();
        mimic_web::client_builder(Some(&ca))
            .unwrap()
            .no_proxy()
            .resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
            .build()
            .unwrap()
    }
}

/// A client-credentials token (go-azure-sdk sdk/auth/client_secret_authorizer.go, stored commit
/// 220057398891a5c0fd67cffcef8c37aeb060c241: `scope` is `environments.Scope(api)`, i.e.
/// `{resource identifier}/.default`, sdk/environments/scopes.go; the token URL is
/// `{loginEndpoint}/{tenant}/oauth2/v2.0/token`, sdk/auth/client_credentials.go `tokenEndpoint`).
async fn client_secret_token(app: &TestMimic, cloud: &Value, resource: &str) -> Value {
    let login = cloud["authentication"]["loginEndpoint"].as_str().unwrap();
    let url = format!("{login}/{}/oauth2/v2.0/token", app.endpoints.tenant_id);
    let operator = app.endpoints_file().operator;
    let scope = format!("{resource}/.default");
    let form = [
        ("client_id", operator.client_id.as_str()),
        ("client_secret", operator.client_secret.as_str()),
        ("grant_type", "client_credentials"),
        ("scope", scope.as_str()),
    ];
    let reply = Reply::read(
        app.http
            .post(url)
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200, "token for {scope}: {}", reply.text);
    // clientCredentialsToken reads access_token, token_type and expires_in (number or string).
    assert!(reply.body["access_token"].is_string(), "{}", reply.text);
    assert!(
        reply.body["expires_in"].is_number() || reply.body["expires_in"].is_string(),
        "{}",
        reply.text
    );
    reply.body
}

/// The claims of a JWT (unverified: the provider only reads them).
fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Provider init with `metadata_host` and a client secret, through the provider registration
/// check; returns the configured provider.
async fn init_with_client_secret() -> Provider {
    let app = TestMimic::start().await;
    let metadata_host = app.endpoints.arm.trim_start_matches("https://").to_string();

    // 1. internal/provider/provider.go: `environments.FromEndpoint(ctx, "https://{metadata_host}")`
    //    → go-azure-sdk sdk/internal/metadata/client.go (stored commit ed3ba327f737832295eb236f44ca6f563076c41d):
    //    `GET {endpoint}/metadata/endpoints?api-version=2022-09-01`, 200 required, one object.
    let url = format!("https://{metadata_host}/metadata/endpoints?api-version=2022-09-01");
    let reply = Reply::read(app.http.get(url).send().await.unwrap()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let cloud = reply.json();
    assert!(cloud.is_object(), "2022-09-01 is one object: {cloud}");
    // sdk/environments/from_endpoint.go (stored commit 71b61cb4d191362de504b14a5d24abdb8d37d599):
    // `name`, `resourceManager` and `microsoftGraphResourceId` are required.
    for field in ["name", "resourceManager", "microsoftGraphResourceId"] {
        assert!(
            !cloud[field].as_str().unwrap_or_default().is_empty(),
            "{field}: {cloud}"
        );
    }
    // sdk/environments/endpoint_refresh.go `updateFromMetaData`: Storage needs `suffixes.storage`,
    // Key Vault `suffixes.keyVaultDns`, Attestation `suffixes.attestationEndpoint` and
    // `attestationResourceId`. internal/clients/builder.go builds all three authorizers at init
    // ("unable to build authorizer for Storage API" otherwise).
    for suffix in ["storage", "keyVaultDns", "attestationEndpoint"] {
        assert!(
            !cloud["suffixes"][suffix]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "suffixes.{suffix}: {cloud}"
        );
    }
    assert!(cloud["attestationResourceId"].is_string(), "{cloud}");
    let key_vault_dns = cloud["suffixes"]["keyVaultDns"]
        .as_str()
        .unwrap()
        .to_string();

    // 2. internal/clients/builder.go: `authentication.IsEnvironmentAzureStack(ctx, metadataHost, name)`
    //    and `AzureEnvironmentByNameFromEndpoint` → go-azure-helpers authentication/environment.go
    //    `getSupportedEnvironments`: `?api-version=2020-06-01`, decoded as an ARRAY; the entry
    //    named like the environment must say identityProvider AAD and tenant common (else "Azure
    //    Stack" and init stops), and carry at least one audience.
    let url = format!("https://{metadata_host}/metadata/endpoints?api-version=2020-06-01");
    let clouds = Reply::read(app.http.get(url).send().await.unwrap())
        .await
        .json();
    let entry = clouds
        .as_array()
        .expect("2020-06-01 is an array")
        .iter()
        .find(|entry| entry["name"] == cloud["name"])
        .expect("the environment by name")
        .clone();
    assert_eq!(entry["authentication"]["identityProvider"], "AAD");
    assert_eq!(entry["authentication"]["tenant"], "common");
    assert!(entry["authentication"]["audiences"][0].is_string());

    // 3. internal/clients/auth.go `NewResourceManagerAccount`: a Microsoft Graph token
    //    (`{microsoftGraphResourceId}/.default`) whose claims name the caller (appid, oid, tid).
    let graph = cloud["microsoftGraphResourceId"].as_str().unwrap();
    let graph_token = client_secret_token(&app, &cloud, graph).await;
    let graph_claims = claims(graph_token["access_token"].as_str().unwrap());
    let operator = app.endpoints_file().operator;
    assert_eq!(graph_claims["appid"], operator.client_id.as_str());
    assert!(graph_claims["oid"].is_string() && graph_claims["tid"].is_string());

    // 4. The Resource Manager authorizer: `{resourceManager}/.default` — with the document's
    //    trailing slash, `https://127.0.0.1:PORT//.default`, so the token's audience is ARM's own
    //    URL, which ARM must accept (else 401 InvalidAuthenticationTokenAudience everywhere).
    let arm = cloud["resourceManager"].as_str().unwrap();
    let arm_token = client_secret_token(&app, &cloud, arm).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(claims(&arm_token)["aud"], arm);

    let provider = Provider {
        subscription_id: app.endpoints.subscription_id.clone(),
        app,
        metadata_host,
        cloud,
        arm_token,
        key_vault_dns,
    };

    // 5. internal/resourceproviders/registration.go (stored commit 3ae1e3a3e0896577d942cd2e44f60386eb77c26d)
    //    `EnsureRegistered` → cache.go `populateCache`: `Providers_List` at 2022-09-01
    //    (go-azure-sdk resource-manager/resources/2022-09-01/providers method_list.go: 200 only);
    //    requiring_registration.go: a required namespace (case-sensitive, required.go) that is
    //    listed and not `Registered` is registered; one not listed is only warned about.
    ensure_registered(&provider).await;
    provider
}

/// The namespaces of resourceproviders.Required() this replay's plan uses (case-sensitive).
const REQUIRED: &[&str] = &[
    "Microsoft.Authorization",
    "Microsoft.KeyVault",
    "Microsoft.ManagedIdentity",
    "Microsoft.Resources",
];

/// `EnsureRegistered`: list; register what is listed but not `Registered`, then poll
/// `Providers_Get` until `Registered` (custompollers/resource_provider_register_poller.go, stored
/// commit 2c66de0f6390c3f46281527463686c950922f00f; every 10 s in the provider).
async fn ensure_registered(provider: &Provider) -> Vec<String> {
    let path = format!(
        "{}/providers?api-version=2022-09-01",
        provider.subscription()
    );
    let list = provider.arm("GET", &path, None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let mut registered = Vec::new();
    for namespace in REQUIRED {
        let listed = list.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["namespace"] == *namespace)
            .unwrap_or_else(|| panic!("{namespace} is listed in its exact case: {}", list.text))
            .clone();
        if listed["registrationState"] == "Registered" {
            continue;
        }
        let register = format!(
            "{}/providers/{namespace}/register?api-version=2022-09-01",
            provider.subscription()
        );
        let answer = provider.arm("POST", &register, Some(json!({}))).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let get = format!(
            "{}/providers/{namespace}?api-version=2022-09-01",
            provider.subscription()
        );
        let polled = provider.arm("GET", &get, None).await;
        assert_eq!(polled.status, 200, "{}", polled.text);
        assert_eq!(polled.body["registrationState"], "Registered");
        registered.push(namespace.to_string());
    }
    registered
}

mod init {
    use super::*;

    #[tokio::test]
    async fn client_secret_init_reads_the_cloud_gets_tokens_and_passes_the_registration_check() {
        let provider = init_with_client_secret().await;
        // A second init finds everything registered: nothing to register.
        assert!(ensure_registered(&provider).await.is_empty());
    }

    #[tokio::test]
    async fn an_unregistered_namespace_is_registered_and_polled_to_registered() {
        let provider = init_with_client_secret().await;
        let unregister = format!(
            "{}/providers/Microsoft.KeyVault/unregister?api-version=2022-09-01",
            provider.subscription()
        );
        let answer = provider.arm("POST", &unregister, None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.body["registrationState"], "Unregistering");

        assert_eq!(
            ensure_registered(&provider).await,
            vec!["Microsoft.KeyVault".to_string()]
        );
    }

    #[tokio::test]
    async fn registering_an_unknown_namespace_gets_arms_error() {
        let provider = init_with_client_secret().await;
        let register = format!(
            "{}/providers/Microsoft.Nope/register?api-version=2022-09-01",
            provider.subscription()
        );
        let answer = provider.arm("POST", &register, None).await;
        assert_eq!(answer.status, 404, "{}", answer.text);
        assert_eq!(answer.code(), "InvalidResourceNamespace");
    }

    /// `use_msi` with `msi_endpoint`: go-azure-sdk sdk/auth/managed_identity_authorizer.go (stored
    /// commit 09f7185472ae5bf4074c1791d1be25a009029efd): `GET {msi_endpoint}?api-version=2018-02-01
    /// &resource={environments.Resource(api)}` with `Metadata: true`; 2xx required; reads
    /// access_token, token_type and expires_in (string or number).
    #[tokio::test]
    async fn msi_endpoint_token_requests_get_tokens_arm_accepts() {
        let provider = init_with_client_secret().await;
        let app = &provider.app;
        let vm = format!(
            "{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/vm1",
            provider.subscription(),
            app.endpoints.resource_group
        );
        let enabled = provider
            .arm(
                "PATCH",
                &format!("{vm}?api-version=2024-11-01"),
                Some(json!({"identity": {"type": "SystemAssigned"}})),
            )
            .await;
        assert_eq!(enabled.status, 200, "{}", enabled.text);
        let msi_endpoint = format!("{}/metadata/identity/oauth2/token", app.imds("vm1"));
        let resource = provider.cloud["resourceManager"].as_str().unwrap();
        let query = [("api-version", "2018-02-01"), ("resource", resource)];
        let reply = Reply::read(
            app.http
                .get(&msi_endpoint)
                .query(&query)
                .header("Metadata", "true")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["token_type"], "Bearer");
        assert!(reply.body["expires_in"].is_string(), "{}", reply.text);
        let token = reply.body["access_token"].as_str().unwrap();
        assert_eq!(claims(token)["aud"], resource);
        // ARM accepts it: the VM's identity can list providers (an authenticated read).
        let list = provider
            .app
            .http
            .get(format!(
                "{}{}/providers?api-version=2022-09-01",
                resource.trim_end_matches('/'),
                provider.subscription()
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), 200);
    }
}

mod resource_group {
    use super::*;

    /// internal/services/resource/resource_group_resource.go with go-azure-sdk
    /// resource-manager/resources/2023-07-01/resourcegroups.
    #[tokio::test]
    async fn create_read_delete() {
        let provider = init_with_client_secret().await;
        let path = format!("{}?api-version=2023-07-01", provider.group("tf-rg"));
        // Create: the import check, a GET that must be 404 (tf.ImportAsExistsError otherwise).
        let missing = provider.arm("GET", &path, None).await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        assert_eq!(missing.code(), "ResourceGroupNotFound");
        let body = json!({"location": "westeurope", "tags": {"env": "tf"}});
        let created = provider.arm("PUT", &path, Some(body)).await;
        assert!(matches!(created.status, 200 | 201), "{}", created.text);
        // Read: id, name, location and tags are what the provider flattens.
        let read = provider.arm("GET", &path, None).await;
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(read.body["name"], "tf-rg");
        assert_eq!(read.body["location"], "westeurope");
        assert_eq!(read.body["tags"]["env"], "tf");
        // Delete: `prevent_deletion_if_contains_resources` (default on) lists the group's
        // resources first (2022-09-01); then DeleteThenPoll: 200, or 202 with a polling header.
        let resources = provider
            .arm(
                "GET",
                &format!(
                    "{}/resources?api-version=2022-09-01",
                    provider.group("tf-rg")
                ),
                None,
            )
            .await;
        assert_eq!(resources.status, 200, "{}", resources.text);
        assert_eq!(resources.body["value"], json!([]));
        let deleted = provider.arm("DELETE", &path, None).await;
        assert_lro_or_done(&provider, &deleted).await;
        let gone = provider.arm("GET", &path, None).await;
        assert_eq!(gone.status, 404, "{}", gone.text);
    }
}

/// go-azure-sdk sdk/client/resourcemanager/poller.go (stored commit
/// 29a094f7a38369e24329208a8bd2388d88b1b77e) `PollerFromResponse`: a 201/202 needs a polling
/// URI (`Azure-AsyncOperation` or `Location`); 200/204 to a DELETE is done. When there is a
/// polling URI this follows it (bounded) until it stops answering 202.
async fn assert_lro_or_done(provider: &Provider, reply: &Reply) {
    match reply.status {
        200 | 204 => {}
        201 | 202 => {
            let uri = [
                reply.header("azure-asyncoperation"),
                reply.header("location"),
            ]
            .into_iter()
            .find(|uri| !uri.is_empty())
            .unwrap_or_else(|| panic!("a {} without a polling URI", reply.status))
            .to_string();
            for _ in 0..600 {
                let polled = Reply::read(
                    provider
                        .app
                        .http
                        .get(&uri)
                        .bearer_auth(&provider.arm_token)
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                let running = polled.status == 202
                    || matches!(
                        polled.body["status"].as_str(),
                        Some("InProgress" | "Accepted" | "Running")
                    );
                if !running {
                    assert!(polled.status < 300, "{}", polled.text);
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("{uri} never finished");
        }
        other => panic!("unexpected {other}: {}", reply.text),
    }
}

/// A group for the resources below.
async fn group(provider: &Provider, name: &str) {
    let path = format!("{}?api-version=2023-07-01", provider.group(name));
    let created = provider
        .arm("PUT", &path, Some(json!({"location": "westeurope"})))
        .await;
    assert!(matches!(created.status, 200 | 201), "{}", created.text);
}

mod user_assigned_identity {
    use super::*;

    /// internal/services/managedidentity/user_assigned_identity_resource.go with go-azure-sdk
    /// resource-manager/managedidentity/2023-01-31/managedidentities.
    #[tokio::test]
    async fn create_read_delete() {
        let provider = init_with_client_secret().await;
        group(&provider, "tf-uai").await;
        let path = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/tf-id?api-version=2023-01-31",
            provider.group("tf-uai")
        );
        let missing = provider.arm("GET", &path, None).await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        let created = provider
            .arm(
                "PUT",
                &path,
                Some(json!({"location": "westeurope", "tags": {}})),
            )
            .await;
        assert!(matches!(created.status, 200 | 201), "{}", created.text);
        // Read: the provider sets client_id, principal_id and tenant_id from properties.
        let read = provider.arm("GET", &path, None).await;
        assert_eq!(read.status, 200, "{}", read.text);
        for field in ["clientId", "principalId", "tenantId"] {
            assert!(
                read.body["properties"][field].is_string(),
                "{field}: {}",
                read.text
            );
        }
        let deleted = provider.arm("DELETE", &path, None).await;
        assert!(matches!(deleted.status, 200 | 204), "{}", deleted.text);
        let gone = provider.arm("GET", &path, None).await;
        assert_eq!(gone.status, 404, "{}", gone.text);
    }
}

mod federated_identity_credential {
    use super::*;

    /// internal/services/managedidentity/federated_identity_credential_resource.go with
    /// go-azure-sdk resource-manager/managedidentity/2023-01-31/managedidentities
    /// (`FederatedIdentityCredentials*`).
    #[tokio::test]
    async fn create_read_delete() {
        let provider = init_with_client_secret().await;
        group(&provider, "tf-fic").await;
        let identity = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/tf-fic-id",
            provider.group("tf-fic")
        );
        let created = provider
            .arm(
                "PUT",
                &format!("{identity}?api-version=2023-01-31"),
                Some(json!({"location": "westeurope"})),
            )
            .await;
        assert!(matches!(created.status, 200 | 201), "{}", created.text);
        let path =
            format!("{identity}/federatedIdentityCredentials/tf-cred?api-version=2023-01-31");
        let missing = provider.arm("GET", &path, None).await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        let body = json!({"properties": {
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/app:ref:refs/heads/main",
            "audiences": ["api://AzureADTokenExchange"]}});
        let put = provider.arm("PUT", &path, Some(body)).await;
        assert!(matches!(put.status, 200 | 201), "{}", put.text);
        let read = provider.arm("GET", &path, None).await;
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(
            read.body["properties"]["issuer"],
            "https://token.actions.githubusercontent.com"
        );
        assert_eq!(
            read.body["properties"]["audiences"],
            json!(["api://AzureADTokenExchange"])
        );
        let deleted = provider.arm("DELETE", &path, None).await;
        assert!(matches!(deleted.status, 200 | 204), "{}", deleted.text);
        let gone = provider.arm("GET", &path, None).await;
        assert_eq!(gone.status, 404, "{}", gone.text);
    }
}

mod role_assignment {
    use super::*;

    /// internal/services/authorization/role_assignment_resource.go with go-azure-sdk
    /// resource-manager/authorization/2022-04-01/roleassignments: `role_definition_name` is
    /// looked up by `$filter=roleName eq '…'`; the create is retried on 400 `PrincipalNotFound`
    /// (replication delay); after the PUT and after the DELETE the provider polls GET until it sees
    /// the same answer several times in a row (200, then 404).
    #[tokio::test]
    async fn create_read_delete() {
        let provider = init_with_client_secret().await;
        group(&provider, "tf-ra").await;
        let identity = provider
            .arm(
                "PUT",
                &format!(
                    "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/tf-ra-id?api-version=2023-01-31",
                    provider.group("tf-ra")
                ),
                Some(json!({"location": "westeurope"})),
            )
            .await;
        let principal = identity.body["properties"]["principalId"]
            .as_str()
            .unwrap()
            .to_string();
        let scope = provider.group("tf-ra");
        let definitions = provider
            .arm(
                "GET",
                &format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'Reader'&api-version=2022-04-01"),
                None,
            )
            .await;
        assert_eq!(definitions.status, 200, "{}", definitions.text);
        let definition = definitions.body["value"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let name = uuid::Uuid::new_v4();
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"
        );
        let missing = provider.arm("GET", &path, None).await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        let body =
            json!({"properties": {"roleDefinitionId": definition, "principalId": principal}});
        let created = provider.arm("PUT", &path, Some(body)).await;
        assert_eq!(created.status, 201, "{}", created.text);
        for _ in 0..5 {
            let seen = provider.arm("GET", &path, None).await;
            assert_eq!(seen.status, 200, "{}", seen.text);
            assert_eq!(seen.body["properties"]["principalId"], principal.as_str());
        }
        let deleted = provider.arm("DELETE", &path, None).await;
        assert!(matches!(deleted.status, 200 | 204), "{}", deleted.text);
        for _ in 0..5 {
            let gone = provider.arm("GET", &path, None).await;
            assert_eq!(gone.status, 404, "{}", gone.text);
        }
    }
}

mod key_vault {
    use super::*;

    /// The data-plane api-version azurerm's Key Vault client sends.
    pub const DATA_PLANE: &str = "7.4";

    /// A vault as azurerm creates it (internal/services/keyvault/key_vault_resource.go, stored
    /// commit cbbab265a2a655e79b38441520a28e5c2de2d72c; go-azure-sdk keyvault/2023-02-01/vaults).
    pub async fn create(provider: &Provider, group_name: &str, name: &str) -> String {
        group(provider, group_name).await;
        let path = format!(
            "{}/providers/Microsoft.KeyVault/vaults/{name}?api-version=2023-02-01",
            provider.group(group_name)
        );
        // The import check: 404.
        let missing = provider.arm("GET", &path, None).await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        // "before creating check to see if the key vault exists in the soft delete state":
        // Vaults_GetDeleted must be 404 (or 403) for a fresh name.
        let deleted = provider
            .arm(
                "GET",
                &format!(
                    "{}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/{name}?api-version=2023-02-01",
                    provider.subscription()
                ),
                None,
            )
            .await;
        assert_eq!(deleted.status, 404, "{}", deleted.text);
        let operator = provider.app.endpoints_file().operator;
        let body = json!({"location": "westeurope", "properties": {
            "tenantId": provider.app.endpoints.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": [{"tenantId": provider.app.endpoints.tenant_id,
                "objectId": operator.object_id,
                "permissions": {"secrets": ["Get", "List", "Set", "Delete", "Purge", "Recover"]}}],
            "enabledForDeployment": false, "enabledForDiskEncryption": false,
            "enabledForTemplateDeployment": false, "enableRbacAuthorization": false,
            "enableSoftDelete": true}, "tags": {}});
        let created = provider.arm("PUT", &path, Some(body)).await;
        assert!(matches!(created.status, 200 | 201), "{}", created.text);
        // go-azure-sdk poller.go: a 200/201 JSON answer without a polling URI is polled by
        // provisioningState (poller_provisioning_state.go: GET the resource at the same
        // api-version until `properties.provisioningState` is Succeeded).
        assert!(created.header("azure-asyncoperation").is_empty());
        let polled = provider.arm("GET", &path, None).await;
        assert_eq!(polled.status, 200, "{}", polled.text);
        assert_eq!(polled.body["properties"]["provisioningState"], "Succeeded");
        // `read.Properties.VaultURI` is required; then `keyVaultRefreshFunc(vaultUri)`: a plain
        // `GET {vaultUri}` (no token) until ANY HTTP answer comes 10 times in a row
        // (ContinuousTargetOccurence 10, after a 30 s Delay, every 10 s).
        let vault_uri = polled.body["properties"]["vaultUri"]
            .as_str()
            .unwrap()
            .to_string();
        assert_vault_uri_parses(provider, &vault_uri, name);
        let client = provider.vault_client(&format!("{name}.{}", provider.key_vault_dns));
        for _ in 0..10 {
            let answer = client.get(&vault_uri).send().await.unwrap();
            assert_eq!(answer.status(), 401);
        }
        vault_uri
    }

    /// internal/services/keyvault/client/helpers.go (stored commit
    /// b99f385cb101435fc045973b8e4ea1336970a87f) `parseNameFromBaseUrl`: the host split on `.`
    /// has at least three segments, the second `vault`, the first the vault's name (a `:port`
    /// rides on the last segment and is kept by url.Parse's Host, so it passes).
    fn assert_vault_uri_parses(provider: &Provider, vault_uri: &str, name: &str) {
        let url = reqwest::Url::parse(vault_uri).unwrap();
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap()),
            None => url.host_str().unwrap().to_string(),
        };
        let segments: Vec<&str> = host.split('.').collect();
        assert!(segments.len() >= 3 && segments[1] == "vault", "{host}");
        assert_eq!(segments[0], name);
        assert!(
            host.starts_with(&format!("{name}.{}", provider.key_vault_dns)),
            "{host}"
        );
        assert!(vault_uri.ends_with('/'), "{vault_uri}");
    }

    /// A Key Vault token as the provider's Key Vault authorizer asks for it:
    /// `https://{keyVaultDns}/.default` (go-azure-sdk sdk/environments/endpoint_refresh.go:
    /// "Key Vault resource ID is missing in metadata, so make a best-effort guess from the domain
    /// suffix").
    pub async fn token(provider: &Provider) -> String {
        let resource = format!("https://{}", provider.key_vault_dns);
        let issued = client_secret_token(&provider.app, &provider.cloud, &resource).await;
        let token = issued["access_token"].as_str().unwrap().to_string();
        assert_eq!(claims(&token)["aud"], resource.as_str());
        token
    }

    /// A data-plane request as autorest's BearerAuthorizerCallback sends it (go-azure-sdk
    /// sdk/auth/autorest/auth.go, stored commit 0e03759741615725bdf845511926e93075882f71): first
    /// without a token, which must get 401 with the `WWW-Authenticate` challenge; then again
    /// with the Key Vault token (the callback ignores the challenge's resource).
    pub async fn data_plane(
        client: &reqwest::Client,
        method: &str,
        url: &str,
        body: Option<Value>,
        token: &str,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let build = |bearer: Option<&str>| {
            let mut request = client
                .request(method.clone(), url)
                .header("Content-Type", "application/json; charset=utf-8");
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            if let Some(body) = &body {
                request = request.body(body.to_string());
            }
            request
        };
        let challenge = Reply::read(build(None).send().await.unwrap()).await;
        assert_eq!(challenge.status, 401, "{url}: {}", challenge.text);
        let header = challenge.header("www-authenticate");
        assert!(
            header.starts_with("Bearer authorization=\"") && header.contains("resource=\""),
            "{header}"
        );
        Reply::read(build(Some(token)).send().await.unwrap()).await
    }

    #[tokio::test]
    async fn create_read_delete() {
        let provider = init_with_client_secret().await;
        let vault_uri = create(&provider, "tf-kv", "tf-kv-1").await;
        let path = format!(
            "{}/providers/Microsoft.KeyVault/vaults/tf-kv-1?api-version=2023-02-01",
            provider.group("tf-kv")
        );
        // Read: GET the vault, then `GetCertificateContacts`: 404 (no contacts) or 403 are
        // accepted; anything else fails the read.
        let read = provider.arm("GET", &path, None).await;
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(
            read.body["properties"]["tenantId"],
            provider.app.endpoints.tenant_id.as_str()
        );
        let token = token(&provider).await;
        let client = provider.vault_client(&format!("tf-kv-1.{}", provider.key_vault_dns));
        let contacts = data_plane(
            &client,
            "GET",
            &format!("{vault_uri}certificates/contacts?api-version={DATA_PLANE}"),
            None,
            &token,
        )
        .await;
        assert!(matches!(contacts.status, 403 | 404), "{}", contacts.text);
        // Delete: GET (location and soft-delete settings), DELETE (404 tolerated). With
        // `purge_soft_delete_on_destroy = false` the provider stops here.
        let deleted = provider.arm("DELETE", &path, None).await;
        assert!(matches!(deleted.status, 200 | 204), "{}", deleted.text);
        let gone = provider.arm("GET", &path, None).await;
        assert_eq!(gone.status, 404, "{}", gone.text);
        // The soft-deleted vault is what a later create finds by Vaults_GetDeleted.
        let deleted_vault = format!(
            "{}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/tf-kv-1",
            provider.subscription()
        );
        let soft = provider
            .arm(
                "GET",
                &format!("{deleted_vault}?api-version=2023-02-01"),
                None,
            )
            .await;
        assert_eq!(soft.status, 200, "{}", soft.text);
        purge(&provider, &deleted_vault).await;
        // The vault is gone for good and its name is free.
        let purged = provider
            .arm(
                "GET",
                &format!("{deleted_vault}?api-version=2023-02-01"),
                None,
            )
            .await;
        assert_eq!(purged.status, 404, "{}", purged.text);
    }

    /// The purge of the default `purge_soft_delete_on_destroy = true` (soft delete on, no purge
    /// protection): key_vault_resource.go `resourceKeyVaultDelete` (stored commit
    /// cbbab265a2a655e79b38441520a28e5c2de2d72c: `client.PurgeDeleted(ctx, name, location)` then
    /// `future.WaitForCompletionRef`; 4.x: `PurgeDeletedThenPoll` of go-azure-sdk
    /// resource-manager/keyvault/…/vaults/method_purgedeleted.go, stored commit
    /// a2239d13651c6cabfe81eb465a136af5970aa45f): `POST {deletedVaultId}/purge`, no body,
    /// expecting 200 or 202. Then sdk/client/resourcemanager/poller.go `PollerFromResponse`
    /// (stored commit 29a094f7a38369e24329208a8bd2388d88b1b77e): only a 201/202 with a polling
    /// URI is polled as a long-running operation — a 200 would be polled by `provisioningState`
    /// on the purged (404) deleted vault, which fails. poller_lro.go `Poll`: GET the URI's path and
    /// query; 202 is in progress; 200 with `Content-Length: 0` is done ("returns a 200 OK with no
    /// Body"); anything else must be JSON with `status` or `properties.provisioningState`.
    async fn purge(provider: &Provider, deleted_vault: &str) {
        let started = provider
            .arm(
                "POST",
                &format!("{deleted_vault}/purge?api-version=2023-02-01"),
                None,
            )
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
        let location = started.header("location").to_string();
        assert!(started.header("azure-asyncoperation").is_empty());
        assert!(
            location
                .contains("/providers/Microsoft.KeyVault/locations/westeurope/operationResults/"),
            "{location}"
        );
        // poller_lro.go: the URI must be absolute; `Retry-After` sets the first wait.
        let url = reqwest::Url::parse(&location).unwrap();
        assert_eq!(started.header("retry-after"), "1");
        let base =
            reqwest::Url::parse(provider.cloud["resourceManager"].as_str().unwrap()).unwrap();
        assert_eq!(url.host_str(), base.host_str(), "{location}");
        for _ in 0..600 {
            let polled = provider
                .arm(
                    "GET",
                    &format!("{}?{}", url.path(), url.query().unwrap_or_default()),
                    None,
                )
                .await;
            match polled.status {
                202 => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                200 if polled.header("content-length") == "0" => return,
                200 | 201 | 204 => {
                    assert!(
                        polled.content_type().contains("application/json"),
                        "{}",
                        polled.text
                    );
                    let status = [
                        &polled.body["status"],
                        &polled.body["properties"]["provisioningState"],
                    ];
                    assert!(status.iter().any(|s| *s == "Succeeded"), "{}", polled.text);
                    return;
                }
                other => panic!("unexpected {other}: {}", polled.text),
            }
        }
        panic!("{location} never finished");
    }
}

mod key_vault_secret {
    use super::key_vault::{data_plane, DATA_PLANE};
    use super::*;

    /// internal/services/keyvault/key_vault_secret_resource.go (stored commit
    /// 5902d0a173c5d5c084246015f9fdc94f76f1958d): existence check (404), SetSecret, GetSecret ""
    /// whose `id` parse.ParseNestedItemID reads as `{vault}/secrets/{name}/{version}`; the read
    /// maps the base URL back to the vault; delete is DeleteSecret then GetSecret until 404.
    #[tokio::test]
    async fn create_read_delete() {
        let provider = init_with_client_secret().await;
        let vault_uri = key_vault::create(&provider, "tf-kvs", "tf-kvs-1").await;
        let token = key_vault::token(&provider).await;
        let client = provider.vault_client(&format!("tf-kvs-1.{}", provider.key_vault_dns));
        let secret = format!("{vault_uri}secrets/db-password");
        let missing = data_plane(
            &client,
            "GET",
            &format!("{secret}/?api-version={DATA_PLANE}"),
            None,
            &token,
        )
        .await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        let set = data_plane(
            &client,
            "PUT",
            &format!("{secret}?api-version={DATA_PLANE}"),
            Some(json!({"value": "s3cret", "contentType": "", "tags": {}, "attributes": {}})),
            &token,
        )
        .await;
        assert_eq!(set.status, 200, "{}", set.text);
        let read = data_plane(
            &client,
            "GET",
            &format!("{secret}/?api-version={DATA_PLANE}"),
            None,
            &token,
        )
        .await;
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(read.body["value"], "s3cret");
        let id = reqwest::Url::parse(read.body["id"].as_str().unwrap()).unwrap();
        let segments: Vec<&str> = id.path().trim_matches('/').split('/').collect();
        assert_eq!(segments.len(), 3, "{id}");
        assert_eq!(&segments[..2], ["secrets", "db-password"]);
        assert!(!segments[2].is_empty());
        // KeyVaultIDFromBaseUrl → populate_cache.go: the subscription's vaults by the generic
        // resource list, filtered to Microsoft.KeyVault/vaults.
        let vaults = provider
            .arm(
                "GET",
                &format!(
                    "{}/resources?$filter=resourceType%20eq%20'Microsoft.KeyVault/vaults'&api-version=2022-09-01",
                    provider.subscription()
                ),
                None,
            )
            .await;
        assert_eq!(vaults.status, 200, "{}", vaults.text);
        assert!(
            vaults.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .any(|vault| vault["name"] == "tf-kvs-1"),
            "{}",
            vaults.text
        );
        let deleted = data_plane(
            &client,
            "DELETE",
            &format!("{secret}?api-version={DATA_PLANE}"),
            None,
            &token,
        )
        .await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        let gone = data_plane(
            &client,
            "GET",
            &format!("{secret}/?api-version={DATA_PLANE}"),
            None,
            &token,
        )
        .await;
        assert_eq!(gone.status, 404, "{}", gone.text);
    }
}
