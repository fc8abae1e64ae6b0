//! The other managed-identity sources on every VM's listener (wire contract §2.1): App Service,
//! Azure ML, Cloud Shell, the VM extension and Azure Arc — each with its own request shape,
//! authentication and body, all minting tokens for the same VM identities as IMDS.

use mimic_imds::flavors::{
    identity_header, msi_secret, APP_SERVICE_PATH, ARC_PATH, AZURE_ML_PATH, LOCAL_TOKEN_PATH,
};
use serde_json::{json, Value};

use mimic_testkit::fixture::ARM_RESOURCE;
use mimic_testkit::imds::{Identity, Imds, World};
use mimic_testkit::Reply;

pub const RESOURCE_QUERY: &str = "resource=https%3A%2F%2Fmanagement.azure.com%2F";

/// A world with VM `vm1` (system-assigned + id1) and its listener; Arc keys in a temp dir.
pub async fn vm1() -> (World, String, Imds) {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1"), Identity::user(1)]);
    let mut settings = world.settings(&vm);
    settings.arc_key_dir = arc_key_dir(&world);
    let imds = Imds::start(settings).await;
    (world, vm, imds)
}

/// The error envelope a token route answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"error":"<code>","error_description":"<text>"}`: IMDS, the VM extension, Arc.
    Imds,
    /// `{"statusCode":N,"message":"<text>","correlationId":"…"}`: App Service, Azure ML.
    AppService,
    /// `{"error":{"code":"<code>","message":"<text>"}}`: Cloud Shell.
    CloudShell,
}

/// One valid token request through one route of the listener.
#[derive(Debug, Clone)]
pub struct TokenRoute {
    pub name: &'static str,
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: &'static str,
    pub shape: Shape,
}

impl TokenRoute {
    /// Sends the request, with `extra` headers.
    pub async fn send(&self, imds: &Imds, extra: &[(&'static str, &str)]) -> Reply {
        let mut headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        headers.extend_from_slice(extra);
        imds.client
            .raw(self.method, &self.path, &headers, self.body)
            .await
    }

    /// Asserts `answer` is this route's error `code`/`text` with `status`, in its envelope.
    pub fn assert_error(&self, answer: &Reply, status: u16, code: &str, text: &str) {
        let name = self.name;
        assert_eq!(answer.status, status, "{name}: {}", answer.text);
        let body = answer.json();
        match self.shape {
            Shape::Imds => assert_eq!(
                body,
                json!({"error": code, "error_description": text}),
                "{name}"
            ),
            Shape::AppService => {
                assert_eq!(body["statusCode"], status, "{name}: {body}");
                assert_eq!(body["message"], text, "{name}: {body}");
                assert!(body["correlationId"].is_string(), "{name}: {body}");
            }
            Shape::CloudShell => assert_eq!(
                body,
                json!({"error": {"code": code, "message": text}}),
                "{name}"
            ),
        }
    }
}

/// Every managed-identity token route of VM `vm`'s listener, each with the authentication its
/// source requires (Arc's first request, which earns the challenge).
pub fn token_routes(world: &World, vm: &str) -> Vec<TokenRoute> {
    let metadata = || vec![("Metadata", "true".to_string())];
    vec![
        TokenRoute {
            name: "IMDS",
            method: "GET",
            path: format!(
                "/metadata/identity/oauth2/token?api-version=2018-02-01&{RESOURCE_QUERY}"
            ),
            headers: metadata(),
            body: "",
            shape: Shape::Imds,
        },
        TokenRoute {
            name: "App Service",
            method: "GET",
            path: format!("{APP_SERVICE_PATH}?api-version=2019-08-01&{RESOURCE_QUERY}"),
            headers: vec![("X-IDENTITY-HEADER", identity_header(&world.key, vm))],
            body: "",
            shape: Shape::AppService,
        },
        TokenRoute {
            name: "Azure ML",
            method: "GET",
            path: format!("{AZURE_ML_PATH}?api-version=2017-09-01&{RESOURCE_QUERY}"),
            headers: vec![("secret", msi_secret(&world.key, vm))],
            body: "",
            shape: Shape::AppService,
        },
        TokenRoute {
            name: "Cloud Shell",
            method: "POST",
            path: LOCAL_TOKEN_PATH.to_string(),
            headers: vec![
                ("Metadata", "true".to_string()),
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_string(),
                ),
            ],
            body: RESOURCE_QUERY,
            shape: Shape::CloudShell,
        },
        TokenRoute {
            name: "VM extension",
            method: "GET",
            path: format!("{LOCAL_TOKEN_PATH}?{RESOURCE_QUERY}"),
            headers: metadata(),
            body: "",
            shape: Shape::Imds,
        },
        TokenRoute {
            name: "Arc",
            method: "GET",
            path: format!("{ARC_PATH}?api-version=2020-06-01&{RESOURCE_QUERY}"),
            headers: metadata(),
            body: "",
            shape: Shape::Imds,
        },
    ]
}

/// The Arc key directory of [`vm1`]'s listener.
pub fn arc_key_dir(world: &World) -> std::path::PathBuf {
    world.dir.path().join("azcmagent").join("tokens")
}

/// The files in `dir` (none if it does not exist).
pub fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

fn keys_of(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

async fn post_form(imds: &Imds, path: &str, form: &str, metadata: bool) -> Reply {
    let mut request = imds
        .client
        .http
        .post(imds.client.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string());
    if metadata {
        request = request.header("Metadata", "true");
    }
    imds.client.send(request).await
}

#[tokio::test]
async fn app_service_token_with_identity_header_returns_expires_on_and_client_id() {
    let (world, vm, imds) = vm1().await;
    let secret = identity_header(&world.key, &vm);
    let path = format!("{APP_SERVICE_PATH}?api-version=2019-08-01&{RESOURCE_QUERY}");

    let answer = imds
        .client
        .raw("GET", &path, &[("X-IDENTITY-HEADER", &secret)], "")
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(
        keys_of(&body),
        [
            "access_token",
            "client_id",
            "expires_on",
            "resource",
            "token_type"
        ]
    );
    assert_eq!(
        body["client_id"],
        Identity::system("vm1").client_id.as_str()
    );
    assert_eq!(body["resource"], ARM_RESOURCE);
    assert_eq!(body["token_type"], "Bearer");
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    assert!((expires_on - (world.clock.now() + 86399)).abs() <= 2);
}

#[tokio::test]
async fn app_service_token_selects_by_each_app_service_selector() {
    let (world, vm, imds) = vm1().await;
    let secret = identity_header(&world.key, &vm);
    let user = Identity::user(1);
    let selectors = [
        format!("client_id={}", user.client_id),
        format!("object_id={}", user.principal_id),
        format!("principal_id={}", user.principal_id),
        format!("mi_res_id={}", user.resource_id),
    ];
    for selector in selectors {
        let path = format!("{APP_SERVICE_PATH}?api-version=2019-08-01&{RESOURCE_QUERY}&{selector}");
        let answer = imds
            .client
            .raw("GET", &path, &[("X-IDENTITY-HEADER", &secret)], "")
            .await;
        assert_eq!(answer.status, 200, "{selector}: {}", answer.text);
        assert_eq!(
            answer.json()["client_id"],
            user.client_id.as_str(),
            "{selector}"
        );
    }
}

#[tokio::test]
async fn app_service_token_without_a_valid_identity_header_is_400() {
    let (world, _vm, imds) = vm1().await;
    let other_vm = identity_header(&world.key, &mimic_testkit::fixture::vm_id("vm2"));
    let path = format!("{APP_SERVICE_PATH}?api-version=2019-08-01&{RESOURCE_QUERY}");
    for headers in [vec![], vec![("X-IDENTITY-HEADER", other_vm.as_str())]] {
        let answer = imds.client.raw("GET", &path, &headers, "").await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        let body = answer.json();
        assert_eq!(body["statusCode"], 400);
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("X-IDENTITY-HEADER"));
    }
    assert!(world.aad.issued().is_empty());
}

#[tokio::test]
async fn app_service_token_for_an_unassigned_identity_is_400_unable_to_load() {
    let (world, vm, imds) = vm1().await;
    let secret = identity_header(&world.key, &vm);
    let path = format!(
        "{APP_SERVICE_PATH}?api-version=2019-08-01&{RESOURCE_QUERY}&client_id={}",
        Identity::user(2).client_id
    );

    let answer = imds
        .client
        .raw("GET", &path, &[("X-IDENTITY-HEADER", &secret)], "")
        .await;

    assert_eq!(answer.status, 400);
    let body = answer.json();
    assert_eq!(
        body["message"],
        "Unable to load the proper Managed Identity."
    );
    assert!(body["correlationId"].is_string());
}

#[tokio::test]
async fn app_service_token_with_another_api_version_or_method_is_refused() {
    let (world, vm, imds) = vm1().await;
    let secret = identity_header(&world.key, &vm);
    let path = format!("{APP_SERVICE_PATH}?api-version=2017-09-01&{RESOURCE_QUERY}");
    let answer = imds
        .client
        .raw("GET", &path, &[("X-IDENTITY-HEADER", &secret)], "")
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(answer.json()["message"]
        .as_str()
        .unwrap()
        .contains("2019-08-01"));

    let answer = imds
        .client
        .raw(
            "POST",
            APP_SERVICE_PATH,
            &[("X-IDENTITY-HEADER", &secret)],
            "",
        )
        .await;
    assert_eq!(answer.status, 405, "{}", answer.text);
    assert_eq!(answer.json()["statusCode"], 405);
}

#[tokio::test]
async fn azure_ml_token_with_secret_and_clientid_returns_expires_on() {
    let (world, vm, imds) = vm1().await;
    let secret = msi_secret(&world.key, &vm);
    let user = Identity::user(1);
    let path = format!(
        "{AZURE_ML_PATH}?api-version=2017-09-01&{RESOURCE_QUERY}&clientid={}",
        user.client_id
    );

    let answer = imds
        .client
        .raw("GET", &path, &[("secret", &secret)], "")
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["client_id"], user.client_id.as_str());
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    assert!(expires_on > world.clock.now());

    let system = imds
        .client
        .raw(
            "GET",
            &format!("{AZURE_ML_PATH}?api-version=2017-09-01&{RESOURCE_QUERY}"),
            &[("secret", &secret)],
            "",
        )
        .await;
    assert_eq!(
        system.json()["client_id"],
        Identity::system("vm1").client_id.as_str()
    );
}

#[tokio::test]
async fn azure_ml_token_with_a_wrong_secret_is_400() {
    let (world, vm, imds) = vm1().await;
    let path = format!("{AZURE_ML_PATH}?api-version=2017-09-01&{RESOURCE_QUERY}");
    // The App Service secret is not Azure ML's.
    let wrong = identity_header(&world.key, &vm);

    let answer = imds
        .client
        .raw("GET", &path, &[("secret", &wrong)], "")
        .await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["message"], "Invalid secret token header");
}

#[tokio::test]
async fn cloud_shell_post_form_returns_the_imds_body() {
    let (_world, _vm, imds) = vm1().await;

    let answer = post_form(
        &imds,
        LOCAL_TOKEN_PATH,
        "resource=https%3A%2F%2Fmanagement.azure.com%2F",
        true,
    )
    .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(
        keys_of(&body),
        [
            "access_token",
            "client_id",
            "expires_in",
            "expires_on",
            "ext_expires_in",
            "not_before",
            "resource",
            "token_type"
        ]
    );
    assert_eq!(body["resource"], ARM_RESOURCE);
    assert_eq!(
        body["client_id"],
        Identity::system("vm1").client_id.as_str()
    );
}

#[tokio::test]
async fn cloud_shell_post_without_metadata_or_resource_is_400_in_cloud_shell_shape() {
    let (_world, _vm, imds) = vm1().await;
    let answer = post_form(&imds, LOCAL_TOKEN_PATH, "resource=https://x/", false).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({"error": {"code": "invalid_request", "message": "Required metadata header not specified"}})
    );

    let answer = post_form(&imds, LOCAL_TOKEN_PATH, "", true).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["error"]["message"],
        "Required audience parameter not specified"
    );
}

#[tokio::test]
async fn vm_extension_get_returns_the_imds_body_and_imds_errors() {
    let (_world, _vm, imds) = vm1().await;
    let path = format!("{LOCAL_TOKEN_PATH}?{RESOURCE_QUERY}");

    let answer = imds.get(&path).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["resource"], ARM_RESOURCE);
    assert!(answer.json()["expires_in"].is_string());

    let user = imds
        .get(&format!("{path}&client_id={}", Identity::user(1).client_id))
        .await;
    assert_eq!(
        user.json()["client_id"],
        Identity::user(1).client_id.as_str()
    );

    let answer = imds.client.raw("GET", &path, &[], "").await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({"error": "invalid_request", "error_description": "Required metadata header not specified"})
    );
    let answer = imds
        .client
        .raw("DELETE", &path, &[("Metadata", "true")], "")
        .await;
    assert_eq!(answer.status, 405);
}

#[tokio::test]
async fn arc_token_without_authorization_is_401_with_a_key_file_realm() {
    let (world, _vm, imds) = vm1().await;
    let path = format!("{ARC_PATH}?api-version=2020-06-01&{RESOURCE_QUERY}");
    let client = mimic_web::client_builder(None)
        .unwrap()
        .no_proxy()
        .build()
        .unwrap();

    let response = client
        .get(format!("{}{path}", imds.url()))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    let realm = challenge.strip_prefix("Basic realm=").unwrap();
    let key_file = std::path::Path::new(realm);
    assert_eq!(
        key_file.parent().unwrap(),
        world.dir.path().join("azcmagent").join("tokens")
    );
    assert_eq!(key_file.extension().unwrap(), "key");
    let metadata = std::fs::metadata(key_file).unwrap();
    assert!(metadata.len() > 0 && metadata.len() <= 4096);
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()) & 0o777,
        0o600
    );
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string() && body["error_description"].is_string());
}

#[tokio::test]
async fn arc_key_files_are_deleted_when_the_listener_stops() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let mut settings = world.settings(&vm);
    let dir = world.dir.path().join("tokens");
    settings.arc_key_dir = dir.clone();
    let app = mimic_imds::Application::build(settings).await.unwrap();
    let handle = app.handle();
    let imds = Imds::at(format!("http://127.0.0.1:{}", app.port()));
    let server = tokio::spawn(app.run_until_stopped());
    let path = format!("{ARC_PATH}?api-version=2020-06-01&{RESOURCE_QUERY}");

    let challenge = imds
        .client
        .raw("GET", &path, &[("Metadata", "true")], "")
        .await;
    assert_eq!(challenge.status, 401);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    handle.stop(true).await;
    server.await.unwrap().unwrap();

    // The workers drop the app state as they wind down, just after the server stops.
    let mut left = usize::MAX;
    for _ in 0..50 {
        left = std::fs::read_dir(&dir).unwrap().count();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0);
}

/// The challenge, then the retry with the key file's contents, as clients do.
async fn arc_token(imds: &Imds, query: &str) -> (String, Reply) {
    let path = format!("{ARC_PATH}?api-version=2020-06-01&{RESOURCE_QUERY}{query}");
    let client = mimic_web::client_builder(None)
        .unwrap()
        .no_proxy()
        .build()
        .unwrap();
    let challenge = client
        .get(format!("{}{path}", imds.url()))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    let header = challenge.headers()["www-authenticate"].to_str().unwrap();
    let realm = header.split('=').nth(1).unwrap().to_string();
    let secret = std::fs::read_to_string(&realm).unwrap();
    let answer = imds
        .client
        .raw(
            "GET",
            &path,
            &[
                ("Metadata", "true"),
                ("Authorization", &format!("Basic {secret}")),
            ],
            "",
        )
        .await;
    (realm, answer)
}

#[tokio::test]
async fn arc_token_with_the_key_file_contents_returns_the_imds_body_once() {
    let (_world, _vm, imds) = vm1().await;

    let (realm, answer) = arc_token(&imds, "").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(
        body["client_id"],
        Identity::system("vm1").client_id.as_str()
    );
    assert!(body["expires_in"].is_string());
    assert!(
        !std::path::Path::new(&realm).exists(),
        "a used key file is deleted"
    );
    // Replaying the used key only earns a new challenge.
    let path = format!("{ARC_PATH}?api-version=2020-06-01&{RESOURCE_QUERY}");
    let replay = imds
        .client
        .raw(
            "GET",
            &path,
            &[("Metadata", "true"), ("Authorization", "Basic 0123")],
            "",
        )
        .await;
    assert_eq!(replay.status, 401);
}

#[tokio::test]
async fn arc_token_for_a_user_assigned_identity_echoes_the_selector() {
    let (_world, _vm, imds) = vm1().await;
    let user = Identity::user(1);
    let cases = [
        ("client_id", user.client_id.clone()),
        ("object_id", user.principal_id.clone()),
        ("msi_res_id", user.resource_id.clone()),
    ];
    for (name, value) in cases {
        let (_, answer) = arc_token(&imds, &format!("&{name}={value}")).await;
        assert_eq!(answer.status, 200, "{name}: {}", answer.text);
        let body = answer.json();
        assert_eq!(body[name], value.as_str(), "{name}");
        assert_eq!(body["client_id"], user.client_id.as_str(), "{name}");
    }
}

#[tokio::test]
async fn flavors_share_imds_identities_and_token_cache() {
    let (world, vm, imds) = vm1().await;
    let secret = identity_header(&world.key, &vm);

    let from_imds = imds.token("").await.json();
    let from_app_service = imds
        .client
        .raw(
            "GET",
            &format!("{APP_SERVICE_PATH}?api-version=2019-08-01&{RESOURCE_QUERY}"),
            &[("X-IDENTITY-HEADER", &secret)],
            "",
        )
        .await
        .json();
    let from_extension = imds
        .get(&format!("{LOCAL_TOKEN_PATH}?{RESOURCE_QUERY}"))
        .await
        .json();

    assert_eq!(from_app_service["access_token"], from_imds["access_token"]);
    assert_eq!(from_extension["access_token"], from_imds["access_token"]);
    assert_eq!(world.aad.issued().len(), 1);
}

#[tokio::test]
async fn every_token_route_with_x_forwarded_for_is_refused_in_its_envelope_and_issues_nothing() {
    let (world, vm, imds) = vm1().await;
    let routes = token_routes(&world, &vm);

    for route in &routes {
        let answer = route
            .send(&imds, &[("X-Forwarded-For", "203.0.113.7")])
            .await;
        route.assert_error(
            &answer,
            400,
            "invalid_request",
            "Request should not contain X-Forwarded-For header",
        );
    }

    assert!(world.aad.issued().is_empty(), "a token was issued");
    assert_eq!(
        files_in(&arc_key_dir(&world)),
        0,
        "Arc wrote a challenge key"
    );
    // The same requests without the header are served (Arc's with its challenge).
    for route in &routes {
        let answer = route.send(&imds, &[]).await;
        let want = if route.name == "Arc" { 401 } else { 200 };
        assert_eq!(answer.status, want, "{}: {}", route.name, answer.text);
    }
}
