//! Key Vault keys (issue 16 item 2, "keys"): create, import, get, list, versions, update,
//! rotate ([this module](self)); delete/recover/purge and backup/restore ([`lifecycle`]);
//! sign/verify, encrypt/decrypt, wrapKey/unwrapKey ([`operations`]). [`crypto`] is the
//! cryptography: key material, Key Vault's public JSON Web Key, import of a private JSON Web Key,
//! and the operations under Key Vault's algorithm names.
//!
//! Requests go through the data plane's [`Vault`] extractor (token, api-version, vault) and
//! [`access::authorize`] with each operation's RBAC data action and access-policy permission, at
//! the key's scope `{vault id}/keys/{name}`. Private key material never leaves mimic: it is
//! stored ([`store::Material`]) and sealed into backups, and every response carries the public
//! JSON Web Key only.
//!
//! As in Azure: a new create or import of an existing name adds a version; `-HSM` key types need
//! a premium vault; a deleted name cannot be created again until it is recovered or purged (409
//! `ObjectIsDeletedButRecoverable`); a disabled key is still readable (its public key) but
//! refuses the private-key operations ([`operations`]). Not modelled: release policies and
//! exportable keys, and reading a rotation policy, answer 400 `BadParameter` saying so; the other
//! paths of rotation policies, release, attestation and secure wrap answer 404 or 405.

pub mod crypto;
pub mod lifecycle;
pub mod model;
pub mod operations;
pub mod store;

use actix_web::{web, HttpRequest, HttpResponse};

use super::data_plane::access::{self, Kind, Permission};
use super::data_plane::secrets::{check_name, recovery};
use super::data_plane::{page, KvError, Vault};
use crypto::{CryptoError, JsonWebKeyCurveName, JsonWebKeyType, KeyMaterial};
use model::{
    Attributes, AttributesIn, CreateParameters, ImportParameters, KeyBundle, KeyItem, List,
    UpdateParameters,
};
use store::{Material, Properties, Version};

const fn keys(data_action: &'static str, policy: &'static str) -> Permission {
    Permission {
        data_action,
        kind: Kind::Keys,
        policy,
    }
}

const GET: Permission = keys("Microsoft.KeyVault/vaults/keys/read", "get");
const LIST: Permission = keys("Microsoft.KeyVault/vaults/keys/read", "list");
const CREATE: Permission = keys("Microsoft.KeyVault/vaults/keys/create/action", "create");
const IMPORT: Permission = keys("Microsoft.KeyVault/vaults/keys/import/action", "import");
const UPDATE: Permission = keys("Microsoft.KeyVault/vaults/keys/update/action", "update");
const ROTATE: Permission = keys("Microsoft.KeyVault/vaults/keys/rotate/action", "rotate");

/// The operations a key may list in `key_ops` (`JsonWebKeyOperation`), in Key Vault's spelling.
pub const KEY_OPERATIONS: [&str; 8] = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "wrapKey",
    "unwrapKey",
    "import",
    "export",
];

/// Routes of `/keys` and `/deletedkeys`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/keys")
                .get(list)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/keys/{name}")
                .put(import)
                .get(get_latest)
                .patch(update_latest)
                .delete(lifecycle::delete)
                .post(lifecycle::restore)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/keys/{name}/")
                .get(get_latest)
                .patch(update_latest)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/keys/{name}/{tail}")
                .get(get_version)
                .patch(update_version)
                .post(post_action)
                .default_service(web::to(method_not_allowed)),
        )
        // The SDKs' CryptographyClient, given a key id without a version, sends an empty one.
        .service(
            web::resource("/keys/{name}//{operation}")
                .post(operations::operate_latest)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/keys/{name}/{version}/{operation}")
                .post(operations::operate)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/deletedkeys")
                .get(lifecycle::list_deleted)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/deletedkeys/{name}")
                .get(lifecycle::get_deleted)
                .delete(lifecycle::purge)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/deletedkeys/{name}/recover")
                .post(lifecycle::recover)
                .default_service(web::to(method_not_allowed)),
        );
}

async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, KvError> {
    Vault::authenticate_only(&request).await?;
    Err(KvError::MethodNotAllowed(request.method().to_string()))
}

/// 404 `KeyNotFound` for `name` (or `name/version`), in Key Vault's words.
pub fn not_found(name: &str) -> KvError {
    KvError::NotFound {
        code: "KeyNotFound",
        message: format!(
            "A key with (name/id) {name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    }
}

/// `keys/{name}`: the object an operation names, for its scope.
pub fn object(name: &str) -> String {
    format!("keys/{name}")
}

/// A key error as Key Vault answers it: 400 `BadParameter` naming the key version `kid`, or an
/// internal error (whose text never holds key material).
pub fn crypto_error(error: CryptoError, kid: &str) -> KvError {
    match error.is_bad_parameter() {
        true => KvError::BadParameter(error.message_for(kid)),
        false => KvError::Internal(anyhow::anyhow!("key {kid}: {error}")),
    }
}

/// The id of a version, `{vault}/keys/{name}/{version}`.
pub fn kid(vault: &Vault, version: &Version) -> String {
    format!(
        "{}/keys/{}/{}",
        vault.base_url, version.name, version.version
    )
}

fn attributes(vault: &Vault, version: &Version) -> Attributes {
    let (level, days) = recovery(vault);
    Attributes {
        enabled: version.enabled,
        nbf: version.nbf,
        exp: version.exp,
        created: version.created,
        updated: version.updated,
        recoverable_days: days,
        recovery_level: level,
        exportable: version.properties.exportable,
    }
}

fn tags(version: &Version) -> Option<model::Tags> {
    (!version.tags.is_empty()).then(|| version.tags.clone())
}

/// The version's private key, read from its stored form.
pub fn material(vault: &Vault, version: &Version) -> Result<KeyMaterial, KvError> {
    KeyMaterial::from_stored(&version.material.0)
        .map_err(|error| crypto_error(error, &kid(vault, version)))
}

/// The `KeyBundle` of a version: its public key, attributes and tags.
pub fn bundle(vault: &Vault, version: &Version) -> Result<KeyBundle, KvError> {
    let kid = kid(vault, version);
    let key = material(vault, version)?.public_jwk(&kid, &version.key_ops);
    Ok(KeyBundle {
        key,
        attributes: attributes(vault, version),
        tags: tags(version),
    })
}

/// The `KeyItem` of a version: `kid` with the version, or without it (lists of keys).
pub fn item(vault: &Vault, version: &Version, with_version: bool) -> KeyItem {
    let kid = match with_version {
        true => kid(vault, version),
        false => format!("{}/keys/{}", vault.base_url, version.name),
    };
    KeyItem {
        kid,
        attributes: attributes(vault, version),
        tags: tags(version),
    }
}

/// The live versions of `name`, or 404 when it has none or is deleted.
pub async fn live_versions(vault: &Vault, name: &str) -> Result<Vec<Version>, KvError> {
    let db = &vault.state.db;
    if store::deletion(db, vault.record.key, name).await?.is_some() {
        return Err(not_found(name));
    }
    let versions = store::versions(db, vault.record.key, name).await?;
    match versions.is_empty() {
        true => Err(not_found(name)),
        false => Ok(versions),
    }
}

/// The version `version` of `versions` (the latest for `None` or empty), or 404.
pub fn select(versions: &[Version], name: &str, version: Option<&str>) -> Result<Version, KvError> {
    let found = match version {
        None | Some("") => versions.last(),
        Some(wanted) => versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(wanted)),
    };
    found
        .cloned()
        .ok_or_else(|| not_found(&format!("{name}/{}", version.unwrap_or(""))))
}

/// `key_ops` as sent: each one of [`KEY_OPERATIONS`] (any case; kept in Key Vault's spelling),
/// without repeats.
fn check_key_ops(key_ops: &[String]) -> Result<Vec<String>, KvError> {
    let mut checked: Vec<String> = Vec::new();
    for op in key_ops {
        let known = KEY_OPERATIONS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(op))
            .ok_or_else(|| KvError::BadParameter(format!("Invalid key operation: {op}")))?;
        if !checked.iter().any(|seen| seen == known) {
            checked.push((*known).to_string());
        }
    }
    Ok(checked)
}

fn check_attributes(attributes: &AttributesIn) -> Result<(), KvError> {
    if let (Some(nbf), Some(exp)) = (attributes.nbf, attributes.exp) {
        if nbf > exp {
            return Err(KvError::BadParameter(
                "The 'nbf' attribute must be before the 'exp' attribute.".into(),
            ));
        }
    }
    Ok(())
}

/// Release policies and exportable keys need Secure Key Release, which mimic does not model.
fn check_release(
    release_policy: Option<&serde_json::Value>,
    attributes: &AttributesIn,
) -> Result<(), KvError> {
    if release_policy.is_some_and(|policy| !policy.is_null()) {
        return Err(KvError::BadParameter(
            "Key release policies are not supported by mimic.".into(),
        ));
    }
    if attributes.exportable == Some(true) {
        return Err(KvError::BadParameter(
            "Exportable keys must have release policy".into(),
        ));
    }
    Ok(())
}

/// `-HSM` key types are for premium vaults only.
fn check_hsm(vault: &Vault, kty: JsonWebKeyType) -> Result<(), KvError> {
    let premium = vault
        .record
        .settings
        .sku
        .name
        .eq_ignore_ascii_case("premium");
    match kty.is_hsm() && !premium {
        true => Err(KvError::BadParameter(
            "Hardware key operation not allowed on standard vault".into(),
        )),
        false => Ok(()),
    }
}

fn now(vault: &Vault) -> i64 {
    vault.state.clock.now()
}

fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Stores a new version of `version.name` (which must not be deleted), keeping the name's case
/// from its first version.
async fn add_version(vault: &Vault, version: Version) -> Result<Version, KvError> {
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, &version.name)
        .await?
        .is_some()
    {
        return Err(KvError::Conflict {
            message: format!("Key {} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.", version.name),
            inner: Some("ObjectIsDeletedButRecoverable"),
        });
    }
    let existing = store::versions(&mut *tx, vault.record.key, &version.name).await?;
    let version = Version {
        name: existing
            .first()
            .map_or(version.name.clone(), |first| first.name.clone()),
        ..version
    };
    store::insert(&mut tx, vault.record.key, &version).await?;
    tx.commit().await?;
    Ok(version)
}

/// Makes key material off the request threads (RSA 4096-bit generation takes a while).
async fn generate(
    kty: JsonWebKeyType,
    key_size: Option<u32>,
    crv: Option<JsonWebKeyCurveName>,
    public_exponent: Option<u32>,
) -> Result<Result<KeyMaterial, CryptoError>, KvError> {
    web::block(move || KeyMaterial::generate(kty, key_size, crv, public_exponent))
        .await
        .map_err(|error| KvError::Internal(anyhow::anyhow!("key generation: {error}")))
}

/// `CreateKey` (`POST /keys/{name}/create`): a new key, or a new version of the name.
async fn create(vault: &Vault, name: &str, body: &[u8]) -> Result<HttpResponse, KvError> {
    check_name(name)?;
    access::authorize(vault, CREATE, Some(&object(name))).await?;
    let params: CreateParameters = vault.body(body)?;
    let bad = |error: CryptoError| crypto_error(error, name);
    let kty = JsonWebKeyType::parse(params.kty.as_deref().unwrap_or_default()).map_err(bad)?;
    check_hsm(vault, kty)?;
    let crv = match (kty.is_rsa(), params.crv.as_deref()) {
        (false, Some(crv)) => Some(JsonWebKeyCurveName::parse(crv).map_err(bad)?),
        _ => None,
    };
    let key_ops = match &params.key_ops {
        Some(ops) => check_key_ops(ops)?,
        None => kty
            .default_key_ops()
            .iter()
            .map(|op| op.to_string())
            .collect(),
    };
    let attributes = params.attributes.clone().unwrap_or_default();
    check_attributes(&attributes)?;
    check_release(params.release_policy.as_ref(), &attributes)?;
    let material = generate(kty, params.key_size, crv, params.public_exponent)
        .await?
        .map_err(bad)?;
    let now = now(vault);
    let version = Version {
        name: name.to_string(),
        version: new_version_id(),
        kty,
        key_ops,
        material: Material(material.to_stored().map_err(bad)?),
        properties: Properties {
            exportable: attributes.exportable,
        },
        tags: params.tags.unwrap_or_default(),
        enabled: attributes.enabled.unwrap_or(true),
        nbf: attributes.nbf,
        exp: attributes.exp,
        created: now,
        updated: now,
    };
    let version = add_version(vault, version).await?;
    Ok(HttpResponse::Ok().json(bundle(vault, &version)?))
}

/// `ImportKey` (`PUT /keys/{name}`): a private JSON Web Key becomes a new version.
async fn import(
    vault: Vault,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, IMPORT, Some(&object(&name))).await?;
    let params: ImportParameters = vault.body(&body)?;
    let jwk = params
        .key
        .ok_or_else(|| KvError::BadParameter("The parameter 'key' is required.".into()))?;
    let bad = |error: CryptoError| crypto_error(error, &name);
    let material = KeyMaterial::import(&jwk, params.hsm.unwrap_or(false)).map_err(bad)?;
    check_hsm(&vault, material.kty())?;
    let key_ops = match &jwk.key_ops {
        Some(ops) => check_key_ops(ops)?,
        None => material
            .kty()
            .default_key_ops()
            .iter()
            .map(|op| op.to_string())
            .collect(),
    };
    let attributes = params.attributes.clone().unwrap_or_default();
    check_attributes(&attributes)?;
    check_release(params.release_policy.as_ref(), &attributes)?;
    let now = now(&vault);
    let version = Version {
        name: name.clone(),
        version: new_version_id(),
        kty: material.kty(),
        key_ops,
        material: Material(material.to_stored().map_err(bad)?),
        properties: Properties {
            exportable: attributes.exportable,
        },
        tags: params.tags.unwrap_or_default(),
        enabled: attributes.enabled.unwrap_or(true),
        nbf: attributes.nbf,
        exp: attributes.exp,
        created: now,
        updated: now,
    };
    let version = add_version(&vault, version).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &version)?))
}

/// `RotateKey` (`POST /keys/{name}/rotate`): a new version like the latest (type, size or
/// curve, key_ops, tags), enabled, without dates.
async fn rotate(vault: &Vault, name: &str) -> Result<HttpResponse, KvError> {
    check_name(name)?;
    access::authorize(vault, ROTATE, Some(&object(name))).await?;
    let latest = select(&live_versions(vault, name).await?, name, None)?;
    let current = material(vault, &latest)?;
    let bad = |error: CryptoError| crypto_error(error, name);
    let fresh = generate(latest.kty, current.key_size(), current.curve(), None)
        .await?
        .map_err(bad)?;
    let now = now(vault);
    let version = Version {
        version: new_version_id(),
        material: Material(fresh.to_stored().map_err(bad)?),
        enabled: true,
        nbf: None,
        exp: None,
        created: now,
        updated: now,
        ..latest
    };
    let version = add_version(vault, version).await?;
    Ok(HttpResponse::Ok().json(bundle(vault, &version)?))
}

/// `POST /keys/{name}/{create|rotate|backup}`.
async fn post_action(
    vault: Vault,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let (name, action) = path.into_inner();
    match action.as_str() {
        "create" => create(&vault, &name, &body).await,
        "rotate" => rotate(&vault, &name).await,
        "backup" => lifecycle::backup(&vault, &name).await,
        _ => Err(KvError::MethodNotAllowed("POST".into())),
    }
}

async fn get_one(vault: &Vault, name: &str, version: Option<&str>) -> Result<Version, KvError> {
    check_name(name)?;
    access::authorize(vault, GET, Some(&object(name))).await?;
    select(&live_versions(vault, name).await?, name, version)
}

/// `GetKey` without a version: the latest. A disabled key is returned too (its public part).
async fn get_latest(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let found = get_one(&vault, &path, None).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found)?))
}

/// `GetKey` of a version, or `GetKeyVersions` (`/keys/{name}/versions`).
async fn get_version(
    vault: Vault,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, KvError> {
    let (name, tail) = path.into_inner();
    if tail == "rotationpolicy" {
        return Err(KvError::BadParameter(
            "Key rotation policies are not supported by mimic.".into(),
        ));
    }
    if tail == "versions" {
        check_name(&name)?;
        access::authorize(&vault, LIST, Some(&object(&name))).await?;
        let versions = live_versions(&vault, &name).await?;
        let items: Vec<KeyItem> = versions.iter().map(|v| item(&vault, v, true)).collect();
        let page = page(items, &request, &vault)?;
        return Ok(HttpResponse::Ok().json(List {
            value: page.items,
            next_link: page.next,
        }));
    }
    let found = get_one(&vault, &name, Some(&tail)).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found)?))
}

/// `GetKeys`: the latest version of each live key (no key material).
async fn list(vault: Vault, request: HttpRequest) -> Result<HttpResponse, KvError> {
    access::authorize(&vault, LIST, None).await?;
    let latest = store::latest_live(&vault.state.db, vault.record.key).await?;
    let items: Vec<KeyItem> = latest.iter().map(|v| item(&vault, v, false)).collect();
    let page = page(items, &request, &vault)?;
    Ok(HttpResponse::Ok().json(List {
        value: page.items,
        next_link: page.next,
    }))
}

async fn update_one(
    vault: &Vault,
    name: &str,
    version: Option<&str>,
    body: &[u8],
) -> Result<Version, KvError> {
    check_name(name)?;
    access::authorize(vault, UPDATE, Some(&object(name))).await?;
    let params: UpdateParameters = vault.body(body)?;
    let attributes = params.attributes.clone().unwrap_or_default();
    check_attributes(&attributes)?;
    check_release(params.release_policy.as_ref(), &attributes)?;
    let key_ops = params.key_ops.as_deref().map(check_key_ops).transpose()?;
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, name)
        .await?
        .is_some()
    {
        return Err(not_found(name));
    }
    let versions = store::versions(&mut *tx, vault.record.key, name).await?;
    let mut found = select(&versions, name, version)?;
    if let Some(key_ops) = key_ops {
        found.key_ops = key_ops;
    }
    if let Some(tags) = params.tags {
        found.tags = tags;
    }
    if let Some(enabled) = attributes.enabled {
        found.enabled = enabled;
    }
    if attributes.nbf.is_some() {
        found.nbf = attributes.nbf;
    }
    if attributes.exp.is_some() {
        found.exp = attributes.exp;
    }
    if attributes.exportable.is_some() {
        found.properties.exportable = attributes.exportable;
    }
    found.updated = now(vault);
    store::update(&mut tx, vault.record.key, &found).await?;
    tx.commit().await?;
    Ok(found)
}

/// `UpdateKey` of the latest version (`/keys/{name}/` or `/keys/{name}`).
async fn update_latest(
    vault: Vault,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let found = update_one(&vault, &path, None, &body).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found)?))
}

/// `UpdateKey` of a version.
async fn update_version(
    vault: Vault,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let (name, version) = path.into_inner();
    let found = update_one(&vault, &name, Some(&version), &body).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found)?))
}
