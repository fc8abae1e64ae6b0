//! [`TestArm`]'s helpers: tokens and principals from AAD, then one helper per ARM operation the
//! tests use. Helpers that assert success say so; the others return the [`Reply`].

use mimic_token::{AccessTokenClaims, SigningKey};
use serde_json::{json, Value};

use crate::fixture::{
    group_id, identity_id, vm_id, MSI_VERSION, OPERATOR_APP_ID, OPERATOR_OBJECT_ID,
    OPERATOR_SECRET, RA_VERSION, SUBSCRIPTION, TENANT, VM_READ_VERSION, VM_WRITE_VERSION,
};
use crate::{Reply, TestArm};

/// A service principal with a secret.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Its object id (what role assignments name).
    pub object_id: String,
    /// Its application (client) id.
    pub app_id: String,
    /// Its client secret.
    pub secret: String,
}

/// Tokens and principals.
impl TestArm {
    /// An access token by client credentials for `https://management.azure.com/.default`.
    pub async fn token(&self, app_id: &str, secret: &str) -> String {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", app_id),
            ("client_secret", secret),
            ("scope", crate::fixture::ARM_SCOPE),
        ];
        let reply = self
            .aad
            .form(&format!("/{TENANT}/oauth2/v2.0/token"), &form)
            .await;
        assert_eq!(reply.status, 200, "token: {}", reply.text);
        reply.token().to_string()
    }

    /// The fixture operator's token (Owner on the subscription).
    pub async fn operator_token(&self) -> String {
        self.token(OPERATOR_APP_ID, OPERATOR_SECRET).await
    }

    /// A new plain service principal with a secret (AAD internal API), and its token.
    pub async fn new_principal(&self, name: &str) -> (Principal, String) {
        let secret = format!("secret-{}", uuid::Uuid::new_v4());
        let body = json!({"displayName": name, "servicePrincipalType": "Application",
            "passwordCredentials": [{"secretText": secret}]});
        let created = self
            .aad
            .internal("POST", "/internal/servicePrincipals", Some(body))
            .await;
        assert_eq!(created.status, 201, "create principal: {}", created.text);
        let principal = Principal {
            object_id: created.body["id"].as_str().expect("an id").to_string(),
            app_id: created.body["appId"]
                .as_str()
                .expect("an appId")
                .to_string(),
            secret,
        };
        let token = self.token(&principal.app_id, &principal.secret).await;
        (principal, token)
    }

    /// Whether AAD knows a service principal (AAD internal API).
    pub async fn aad_has_principal(&self, object_id: &str) -> bool {
        let path = format!("/internal/servicePrincipals/{object_id}");
        match self.aad.internal("GET", &path, None).await.status {
            200 => true,
            404 => false,
            other => panic!("AAD internal GET answered {other}"),
        }
    }

    /// A service principal as AAD stores it (AAD internal API).
    pub async fn aad_principal(&self, object_id: &str) -> Value {
        let path = format!("/internal/servicePrincipals/{object_id}");
        let reply = self.aad.internal("GET", &path, None).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body
    }

    /// The AAD signing key (to mint tokens with chosen claims).
    pub fn signing_key(&self) -> SigningKey {
        Self::harness_signing_key()
    }

    /// The signing key every harness AAD uses, before any harness exists.
    pub fn harness_signing_key() -> SigningKey {
        let (key_pem, cert_pem) = crate::arm::signing_key_pems();
        SigningKey::from_pem(key_pem, cert_pem).expect("the harness's signing key")
    }

    /// Claims of a valid operator token, to be altered by tests.
    pub fn operator_claims(&self) -> AccessTokenClaims {
        let now = self.clock.now();
        AccessTokenClaims {
            aud: "https://management.azure.com".into(),
            iss: format!("https://sts.windows.net/{TENANT}/"),
            iat: now,
            nbf: now,
            exp: now + 3599,
            aio: String::new(),
            appid: OPERATOR_APP_ID.into(),
            appidacr: "1".into(),
            idp: format!("https://sts.windows.net/{TENANT}/"),
            idtyp: Some("app".into()),
            oid: OPERATOR_OBJECT_ID.into(),
            rh: String::new(),
            sub: OPERATOR_OBJECT_ID.into(),
            tid: TENANT.into(),
            uti: uuid::Uuid::new_v4().to_string(),
            ver: "1.0".into(),
            xms_mirid: None,
            xms_az_rid: None,
            xms_cc: None,
            roles: Vec::new(),
        }
    }

    /// Signs claims with AAD's key.
    pub fn mint(&self, claims: &AccessTokenClaims) -> String {
        self.signing_key().sign(claims).expect("signing the claims")
    }
}

/// Resource groups and role assignments.
impl TestArm {
    /// PUTs a resource group in the fixture subscription.
    pub async fn put_group(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!(
            "{}?api-version={}",
            group_id(name),
            crate::fixture::GROUP_VERSION
        );
        self.arm.put(&path, Some(token), body).await
    }

    /// PUTs a role assignment named `name` at `scope` granting `role` (GUID) to `principal_id`.
    pub async fn put_assignment(
        &self,
        token: &str,
        scope: &str,
        name: &str,
        role: &str,
        principal_id: &str,
    ) -> Reply {
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}"
        );
        let definition = format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        );
        let body = json!({"properties": {"roleDefinitionId": definition,
            "principalId": principal_id, "principalType": "ServicePrincipal"}});
        self.arm.put(&path, Some(token), body).await
    }

    /// Grants `role` at `scope` to `principal_id` as the operator; returns the assignment's name.
    pub async fn grant(&self, scope: &str, role: &str, principal_id: &str) -> String {
        let token = self.operator_token().await;
        let name = uuid::Uuid::new_v4().to_string();
        let reply = self
            .put_assignment(&token, scope, &name, role, principal_id)
            .await;
        assert_eq!(reply.status, 201, "grant: {}", reply.text);
        name
    }
}

/// Virtual machines and user-assigned identities in the fixture group.
impl TestArm {
    /// PUTs a VM.
    pub async fn put_vm(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        self.arm.put(&path, Some(token), body).await
    }

    /// PUTs a minimal VM ([`vm_body`]), asserts it was created and polls the operation to its
    /// end as a client does; returns the VM as a GET then shows it.
    pub async fn create_vm(&self, token: &str, name: &str) -> Value {
        let reply = self.put_vm(token, name, vm_body()).await;
        assert_eq!(reply.status, 201, "create VM {name}: {}", reply.text);
        self.arm
            .assert_operation_succeeds(&reply, Some(token))
            .await;
        let shown = self.get_vm(token, name).await;
        assert_eq!(shown.status, 200, "GET VM {name}: {}", shown.text);
        shown.body
    }

    /// GETs a VM with az's read api-version.
    pub async fn get_vm(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={VM_READ_VERSION}", vm_id(name));
        self.arm.get(&path, Some(token)).await
    }

    /// PATCHes a VM.
    pub async fn patch_vm(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        self.arm.patch(&path, Some(token), body).await
    }

    /// PATCHes a VM's identity block (as az does), asserts success and polls the operation to
    /// its end; returns the VM as a GET then shows it.
    pub async fn patch_identity(&self, token: &str, name: &str, identity: Value) -> Value {
        let reply = self
            .patch_vm(token, name, json!({"identity": identity}))
            .await;
        assert_eq!(reply.status, 200, "PATCH {identity}: {}", reply.text);
        self.arm
            .assert_operation_succeeds(&reply, Some(token))
            .await;
        let shown = self.get_vm(token, name).await;
        assert_eq!(shown.status, 200, "GET VM {name}: {}", shown.text);
        shown.body
    }

    /// DELETEs a VM and, when ARM accepted the deletion (202), polls the operation to its end;
    /// returns the DELETE's reply.
    pub async fn delete_vm(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        let reply = self.arm.delete(&path, Some(token)).await;
        if reply.status == 202 {
            self.arm
                .assert_operation_succeeds(&reply, Some(token))
                .await;
        }
        reply
    }

    /// DELETEs a VM without following the operation.
    pub async fn delete_vm_once(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        self.arm.delete(&path, Some(token)).await
    }

    /// PUTs a user-assigned identity.
    pub async fn put_identity(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version={MSI_VERSION}", identity_id(name));
        self.arm.put(&path, Some(token), body).await
    }

    /// Creates a user-assigned identity in eastus and asserts it was created; returns its body.
    pub async fn create_identity(&self, token: &str, name: &str) -> Value {
        let reply = self
            .put_identity(token, name, json!({"location": "eastus"}))
            .await;
        assert_eq!(reply.status, 201, "create identity {name}: {}", reply.text);
        reply.body
    }

    /// DELETEs a user-assigned identity.
    pub async fn delete_identity(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={MSI_VERSION}", identity_id(name));
        self.arm.delete(&path, Some(token)).await
    }
}

/// ARM's host API (internal key).
impl TestArm {
    /// A GET on ARM's host API (`path` includes any query).
    pub async fn host_get(&self, path: &str) -> Reply {
        self.arm.internal("GET", path, None).await
    }

    /// `GET /internal/vms/identities?id=<vm id>`.
    pub async fn host_identities(&self, vm_id: &str) -> Reply {
        let query = serde_urlencoded::to_string([("id", vm_id)]).expect("a query string");
        self.host_get(&format!("/internal/vms/identities?{query}"))
            .await
    }
}

/// A minimal VM body as a management SDK would send it (with one property ARM must ignore).
pub fn vm_body() -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_B2s"},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
                "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}}
            },
            "osProfile": {"computerName": "web01", "adminUsername": "azureuser", "adminPassword": "never-echoed"},
            "unknownProperty": {"ignored": true}
        }
    })
}
