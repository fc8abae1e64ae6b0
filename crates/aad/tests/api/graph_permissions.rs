//! Graph's permission model over HTTPS: 403 `Authorization_RequestDenied` (and nothing changed) for
//! a caller without the permission an operation declares — every write of the operation table,
//! with a role-less app token — application permissions granted as app roles of Microsoft Graph
//! (reaching the next token as `roles`), directory roles for users, Entra's default user
//! permissions; and AAD's side: `invalid_resource` for a resource that exists nowhere, the
//! first-party principals by every name, the `roles` claim.

use mimic_aad::graph::operations::{self, Access};
use mimic_testkit::fixture::{ADMIN_ID, ADMIN_PASSWORD, ADMIN_UPN, AZURE_CLI, DOMAIN, TENANT};
use mimic_testkit::{Reply, TestAad};
use serde_json::{json, Value};

use crate::graph_applications::{text, Graph};
use crate::helpers::jwt_part;

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
const USER_READ_ALL: &str = "df021288-bdef-4463-88db-98f22de89214";
const USER_READ_WRITE_ALL: &str = "741f803b-c850-494e-b5df-cde7c675a1ca";
pub(crate) const APPLICATION_READ_WRITE_OWNED_BY: &str = "18a4783c-866b-4cc7-a460-3d5e5662c884";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub(crate) const PASSWORD: &str = "Perm-Test-Pass-1!";

fn assert_denied(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 403, "{what}: {}", reply.body);
    assert_eq!(reply.code(), "Authorization_RequestDenied", "{what}");
    assert_eq!(
        reply.message(),
        "Insufficient privileges to complete the operation.",
        "{what}"
    );
}

impl Graph {
    /// Microsoft Graph's service principal in this tenant.
    pub(crate) async fn graph_principal(&self) -> String {
        let reply = self
            .get(&format!("/v1.0/servicePrincipals(appId='{GRAPH_APP_ID}')"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        text(&reply.body, "id")
    }

    /// Grants Graph's app role `role` to `principal` (the operator's admin consent); the
    /// assignment's id.
    pub(crate) async fn grant_graph_role(&self, principal: &str, role: &str) -> String {
        let graph_sp = self.graph_principal().await;
        let reply = self
            .post(
                &format!("/v1.0/servicePrincipals/{graph_sp}/appRoleAssignedTo"),
                json!({"principalId": principal, "resourceId": graph_sp, "appRoleId": role}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        text(&reply.body, "id")
    }

    /// A new application with a service principal and a secret, granted nothing:
    /// `(app id, service principal id, secret)`.
    pub(crate) async fn role_less_app(&self, name: &str) -> (String, String, String) {
        let app = self.create_application(json!({"displayName": name})).await;
        let principal = self.create_service_principal(&text(&app, "appId")).await;
        let secret = self.add_password("applications", &text(&app, "id")).await;
        (
            text(&app, "appId"),
            text(&principal, "id"),
            text(&secret, "secretText"),
        )
    }

    /// A Graph token for an app, by its secret (v2, `{graph}/.default`).
    pub(crate) async fn app_graph_token(&self, app_id: &str, secret: &str) -> String {
        let reply = self
            .secret_token(app_id, secret, &format!("{}//.default", self.app.aad.base))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.token().to_string()
    }

    /// A Graph token for a user, by ROPC through the Azure CLI's client id.
    pub(crate) async fn user_graph_token(&self, upn: &str, password: &str) -> String {
        let scope = format!(
            "{}//.default offline_access openid profile",
            self.app.aad.base
        );
        let reply = self
            .app
            .aad
            .form(
                &format!("/{TENANT}/oauth2/v2.0/token"),
                &[
                    ("client_id", AZURE_CLI),
                    ("grant_type", "password"),
                    ("username", upn),
                    ("password", password),
                    ("scope", &scope),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.token().to_string()
    }

    /// Creates a member user through Graph; its object id.
    pub(crate) async fn member(&self, name: &str) -> String {
        let reply = self
            .post(
                "/v1.0/users",
                json!({"accountEnabled": true, "displayName": name, "mailNickname": name,
                       "userPrincipalName": format!("{name}@{DOMAIN}"),
                       "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": false}}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        text(&reply.body, "id")
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let aad = &self.app.aad;
        match method {
            "GET" => aad.get(path, Some(token)).await,
            "POST" => aad.post(path, Some(token), body).await,
            "PATCH" => {
                aad.patch(path, Some(token), body.unwrap_or(json!({})))
                    .await
            }
            "DELETE" => aad.delete(path, Some(token)).await,
            other => panic!("no {other}"),
        }
    }
}

/// The objects every write of the table addresses.
struct Objects {
    user: String,
    deleted_user: String,
    group: String,
    application: String,
    app_id: String,
    service_principal: String,
    bare_app_id: String,
    password_key: String,
    assignment: String,
    role_assignment: String,
    graph_sp: String,
    credential: String,
}

async fn objects(graph: &Graph) -> Objects {
    let user = graph.member("target-user").await;
    let deleted_user = graph.member("deleted-user").await;
    assert_eq!(
        graph
            .delete(&format!("/v1.0/users/{deleted_user}"))
            .await
            .status,
        204
    );
    let group = graph.app_group().await;
    graph.add_ref("groups", &group, "members", &user).await;
    graph.add_ref("groups", &group, "owners", ADMIN_ID).await;
    let app = graph
        .create_application(json!({"displayName": "target-app"}))
        .await;
    graph
        .add_ref("applications", &text(&app, "id"), "owners", ADMIN_ID)
        .await;
    let principal = graph.create_service_principal(&text(&app, "appId")).await;
    let password = graph.add_password("applications", &text(&app, "id")).await;
    let bare = graph
        .create_application(json!({"displayName": "bare-app"}))
        .await;
    let credential = graph
        .post(
            &format!(
                "/v1.0/applications/{}/federatedIdentityCredentials",
                text(&app, "id")
            ),
            json!({"name": "target-fic", "issuer": "https://issuer.example",
                   "subject": "target", "audiences": ["api://AzureADTokenExchange"]}),
        )
        .await;
    assert_eq!(credential.status, 201, "{}", credential.body);
    let assignment = graph
        .grant_graph_role(&text(&principal, "id"), USER_READ_ALL)
        .await;
    let roles = graph
        .get(&format!(
            "/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20'{ADMIN_ID}'"
        ))
        .await;
    assert_eq!(roles.status, 200, "{}", roles.body);
    Objects {
        user,
        deleted_user,
        group,
        application: text(&app, "id"),
        app_id: text(&app, "appId"),
        service_principal: text(&principal, "id"),
        bare_app_id: text(&bare, "appId"),
        password_key: text(&password, "keyId"),
        assignment,
        role_assignment: text(&roles.body["value"][0], "id"),
        graph_sp: graph.graph_principal().await,
        credential: text(&credential.body, "id"),
    }
}

impl Graph {
    async fn app_group(&self) -> String {
        let reply = self
            .post(
                "/v1.0/groups",
                json!({"displayName": "target-group", "mailNickname": "target-group",
                       "mailEnabled": false, "securityEnabled": true}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        text(&reply.body, "id")
    }

    async fn add_ref(&self, set: &str, id: &str, relation: &str, object: &str) {
        let reply = self
            .post(
                &format!("/v1.0/{set}/{id}/{relation}/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{object}")}),
            )
            .await;
        assert_eq!(reply.status, 204, "{}", reply.body);
    }

    /// What the directory holds, as the operator reads it: every collection a write could change.
    async fn snapshot(&self, objects: &Objects) -> Vec<Value> {
        let mut paths = vec![
            "/v1.0/users".to_string(),
            "/v1.0/groups".to_string(),
            "/v1.0/applications".to_string(),
            "/v1.0/servicePrincipals".to_string(),
            "/v1.0/directory/deletedItems/microsoft.graph.user".to_string(),
            "/v1.0/roleManagement/directory/roleAssignments".to_string(),
            format!("/v1.0/groups/{}/members", objects.group),
            format!("/v1.0/groups/{}/owners", objects.group),
            format!("/v1.0/applications/{}/owners", objects.application),
            format!(
                "/v1.0/applications/{}/federatedIdentityCredentials",
                objects.application
            ),
            format!(
                "/v1.0/servicePrincipals/{}/appRoleAssignedTo",
                objects.graph_sp
            ),
        ];
        paths.dedup();
        let mut values = Vec::new();
        for path in paths {
            let reply = self.get(&path).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            values.push(reply.body["value"].clone());
        }
        values
    }
}

/// The operation's path with its keys filled in, and a body that would succeed with the
/// permission.
fn request(verb: &str, template: &str, objects: &Objects) -> (String, Option<Value>) {
    let first = template
        .trim_start_matches('/')
        .split(['/', '('])
        .next()
        .unwrap();
    let id = match first {
        "applications" => &objects.application,
        "servicePrincipals" => &objects.service_principal,
        "users" => &objects.user,
        "groups" => &objects.group,
        "directory" => &objects.deleted_user,
        "roleManagement" => &objects.role_assignment,
        other => panic!("no object for {other} ({template})"),
    };
    let path = template
        .replace("{app_id}", &objects.app_id)
        .replace("{assignment_id}", &objects.assignment)
        .replace("{owner_id}", ADMIN_ID)
        .replace("{member_id}", &objects.user)
        .replace("{credential}", &objects.credential)
        .replace("{name}", "target-fic")
        .replace("{id}", id);
    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", objects.user)});
    let body = match (verb, template) {
        ("POST", "/users") => {
            json!({"accountEnabled": true, "displayName": "denied", "mailNickname": "denied",
            "userPrincipalName": format!("denied@{DOMAIN}"), "passwordProfile": {"password": PASSWORD}})
        }
        ("POST", "/groups") => {
            json!({"displayName": "denied", "mailNickname": "denied", "mailEnabled": false, "securityEnabled": true})
        }
        ("POST", "/applications") => json!({"displayName": "denied"}),
        ("POST", "/servicePrincipals") => json!({"appId": objects.bare_app_id}),
        ("POST", "/roleManagement/directory/roleAssignments") => {
            json!({"principalId": objects.user,
            "roleDefinitionId": GLOBAL_ADMINISTRATOR, "directoryScopeId": "/"})
        }
        ("POST", path) if path.ends_with("/$ref") => reference,
        ("POST", path) if path.ends_with("/addPassword") => {
            json!({"passwordCredential": {"displayName": "x"}})
        }
        ("POST", path) if path.ends_with("/removePassword") => {
            json!({"keyId": objects.password_key})
        }
        ("POST", path) if path.contains("/appRoleAssign") => {
            json!({"principalId": objects.service_principal,
            "resourceId": objects.graph_sp, "appRoleId": USER_READ_WRITE_ALL})
        }
        ("POST", path) if path.ends_with("/federatedIdentityCredentials") => {
            json!({"name": "denied", "issuer": "https://issuer.example", "subject": "denied",
            "audiences": ["api://AzureADTokenExchange"]})
        }
        ("PATCH", path) if path.contains("/federatedIdentityCredentials") => {
            json!({"subject": "renamed"})
        }
        ("PATCH", _) => json!({"displayName": "renamed"}),
        _ => json!({}),
    };
    (path, Some(body))
}

#[tokio::test]
async fn every_write_of_the_table_is_denied_to_a_role_less_app_and_changes_nothing() {
    let graph = Graph::spawn().await;
    let objects = objects(&graph).await;
    let (app_id, _, secret) = graph.role_less_app("nobody").await;
    let token = graph.app_graph_token(&app_id, &secret).await;
    let before = graph.snapshot(&objects).await;
    let mut checked = 0;

    for operation in operations::all() {
        if !matches!(operation.access, Access::Write { .. }) {
            continue;
        }
        let verb = operation.verb.as_str();
        let (path, body) = request(verb, operation.path, &objects);
        let reply = graph
            .call(verb, &format!("/v1.0{path}"), &token, body)
            .await;
        assert_denied(&reply, &format!("{} ({verb} {path})", operation.name));
        checked += 1;
    }

    assert!(checked >= 30, "only {checked} writes in the table");
    assert_eq!(graph.snapshot(&objects).await, before);
}

#[tokio::test]
async fn every_read_of_the_table_is_denied_to_a_role_less_app() {
    let graph = Graph::spawn().await;
    let (app_id, _, secret) = graph.role_less_app("nobody").await;
    let token = graph.app_graph_token(&app_id, &secret).await;

    for path in [
        "/v1.0/users",
        "/v1.0/groups",
        "/v1.0/applications",
        "/v1.0/servicePrincipals",
        "/v1.0/organization",
        "/v1.0/directoryRoles",
        &format!("/v1.0/directoryObjects/{ADMIN_ID}"),
    ] {
        let reply = graph.call("GET", path, &token, None).await;
        assert_denied(&reply, path);
    }
}

#[tokio::test]
async fn an_app_permission_reaches_the_next_token_and_allows_exactly_its_operations() {
    let graph = Graph::spawn().await;
    let (app_id, principal, secret) = graph.role_less_app("reader").await;
    let new_user = json!({"accountEnabled": true, "displayName": "made", "mailNickname": "made",
        "userPrincipalName": format!("made@{DOMAIN}"), "passwordProfile": {"password": PASSWORD}});

    graph.grant_graph_role(&principal, USER_READ_ALL).await;
    let reader = graph.app_graph_token(&app_id, &secret).await;
    let listed = graph.call("GET", "/v1.0/users", &reader, None).await;
    let created = graph
        .call("POST", "/v1.0/users", &reader, Some(new_user.clone()))
        .await;
    let groups = graph.call("GET", "/v1.0/groups", &reader, None).await;

    assert_eq!(jwt_part(&reader, 1)["roles"], json!(["User.Read.All"]));
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_denied(&created, "User.Read.All creating a user");
    assert_denied(&groups, "User.Read.All listing groups");

    graph
        .grant_graph_role(&principal, USER_READ_WRITE_ALL)
        .await;
    let writer = graph.app_graph_token(&app_id, &secret).await;
    let created = graph
        .call("POST", "/v1.0/users", &writer, Some(new_user))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let mut roles: Vec<String> =
        serde_json::from_value(jwt_part(&writer, 1)["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, ["User.Read.All", "User.ReadWrite.All"]);
}

#[tokio::test]
async fn an_app_with_owned_by_changes_only_the_applications_it_owns() {
    let graph = Graph::spawn().await;
    let (app_id, principal, secret) = graph.role_less_app("owner-app").await;
    graph
        .grant_graph_role(&principal, APPLICATION_READ_WRITE_OWNED_BY)
        .await;
    let token = graph.app_graph_token(&app_id, &secret).await;
    let others = graph
        .create_application(json!({"displayName": "not-mine"}))
        .await;

    let mine = graph
        .call(
            "POST",
            "/v1.0/applications",
            &token,
            Some(json!({"displayName": "mine"})),
        )
        .await;
    assert_eq!(mine.status, 201, "{}", mine.body);
    let owners = graph
        .get(&format!(
            "/v1.0/applications/{}/owners",
            text(&mine.body, "id")
        ))
        .await;
    let patch_mine = graph
        .call(
            "PATCH",
            &format!("/v1.0/applications/{}", text(&mine.body, "id")),
            &token,
            Some(json!({"displayName": "still mine"})),
        )
        .await;
    let patch_other = graph
        .call(
            "PATCH",
            &format!("/v1.0/applications/{}", text(&others, "id")),
            &token,
            Some(json!({"displayName": "taken"})),
        )
        .await;

    assert_eq!(owners.body["value"][0]["id"], principal.as_str());
    assert_eq!(patch_mine.status, 204, "{}", patch_mine.body);
    assert_denied(&patch_other, "OwnedBy on another application");
    let unchanged = graph
        .get(&format!("/v1.0/applications/{}", text(&others, "id")))
        .await;
    assert_eq!(unchanged.body["displayName"], "not-mine");
}

#[tokio::test]
async fn a_directory_role_lets_a_user_write_and_its_removal_takes_it_back() {
    let graph = Graph::spawn().await;
    let user = graph.member("helpdesk").await;
    let token = graph
        .user_graph_token(&format!("helpdesk@{DOMAIN}"), PASSWORD)
        .await;
    let new_user = |name: &str| {
        json!({"accountEnabled": true, "displayName": name, "mailNickname": name,
               "userPrincipalName": format!("{name}@{DOMAIN}"), "passwordProfile": {"password": PASSWORD}})
    };
    let before = graph
        .call("POST", "/v1.0/users", &token, Some(new_user("first")))
        .await;
    assert_denied(&before, "a member creating a user");

    let assigned = graph
        .post(
            "/v1.0/roleManagement/directory/roleAssignments",
            json!({"@odata.type": "#microsoft.graph.unifiedRoleAssignment", "principalId": user,
                   "roleDefinitionId": USER_ADMINISTRATOR, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(assigned.status, 201, "{}", assigned.body);
    assert_eq!(assigned.body["roleDefinitionId"], USER_ADMINISTRATOR);
    let again = graph
        .post(
            "/v1.0/roleManagement/directory/roleAssignments",
            json!({"principalId": user, "roleDefinitionId": USER_ADMINISTRATOR, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.body);
    // The same token: Graph reads the user's roles from the directory.
    let with_role = graph
        .call("POST", "/v1.0/users", &token, Some(new_user("second")))
        .await;
    assert_eq!(with_role.status, 201, "{}", with_role.body);
    let roles = graph.get("/v1.0/directoryRoles").await;
    let admin_role = roles.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|role| role["roleTemplateId"] == USER_ADMINISTRATOR)
        .cloned()
        .expect("User Administrator is activated");
    let members = graph
        .get(&format!(
            "/v1.0/directoryRoles/{}/members",
            text(&admin_role, "id")
        ))
        .await;
    assert_eq!(members.body["value"][0]["id"], user.as_str());
    assert_eq!(
        members.body["value"][0]["@odata.type"],
        "#microsoft.graph.user"
    );

    let removed = graph
        .delete(&format!(
            "/v1.0/roleManagement/directory/roleAssignments/{}",
            text(&assigned.body, "id")
        ))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let after = graph
        .call("POST", "/v1.0/users", &token, Some(new_user("third")))
        .await;
    assert_denied(&after, "after the role's removal");
}

#[tokio::test]
async fn the_fixture_admin_is_global_administrator_and_may_do_everything() {
    let graph = Graph::spawn().await;
    let token = graph.user_graph_token(ADMIN_UPN, ADMIN_PASSWORD).await;

    let assignments = graph
        .call(
            "GET",
            &format!("/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20'{ADMIN_ID}'"),
            &token,
            None,
        )
        .await;
    let user = graph
        .call(
            "POST",
            "/v1.0/users",
            &token,
            Some(json!({"accountEnabled": true, "displayName": "by-admin", "mailNickname": "by-admin",
                "userPrincipalName": format!("by-admin@{DOMAIN}"), "passwordProfile": {"password": PASSWORD}})),
        )
        .await;
    let role = graph
        .call(
            "POST",
            "/v1.0/roleManagement/directory/roleAssignments",
            &token,
            Some(json!({"principalId": text(&user.body, "id"), "roleDefinitionId": USER_ADMINISTRATOR})),
        )
        .await;

    assert_eq!(assignments.status, 200, "{}", assignments.body);
    assert_eq!(
        assignments.body["value"][0]["roleDefinitionId"],
        GLOBAL_ADMINISTRATOR
    );
    assert_eq!(user.status, 201, "{}", user.body);
    assert_eq!(role.status, 201, "{}", role.body);
}

#[tokio::test]
async fn a_member_reads_registers_and_manages_its_own_applications_only() {
    let graph = Graph::spawn().await;
    graph.member("learner").await;
    let token = graph
        .user_graph_token(&format!("learner@{DOMAIN}"), PASSWORD)
        .await;
    let others = graph
        .create_application(json!({"displayName": "operators-app"}))
        .await;

    let users = graph.call("GET", "/v1.0/users", &token, None).await;
    let app = graph
        .call(
            "POST",
            "/v1.0/applications",
            &token,
            Some(json!({"displayName": "learners-app"})),
        )
        .await;
    let secret = graph
        .call(
            "POST",
            &format!("/v1.0/applications/{}/addPassword", text(&app.body, "id")),
            &token,
            Some(json!({"passwordCredential": {"displayName": "mine"}})),
        )
        .await;
    let group = graph
        .call(
            "POST",
            "/v1.0/groups",
            &token,
            Some(json!({"displayName": "study", "mailNickname": "study", "mailEnabled": false, "securityEnabled": true})),
        )
        .await;
    let other_secret = graph
        .call(
            "POST",
            &format!("/v1.0/applications/{}/addPassword", text(&others, "id")),
            &token,
            Some(json!({"passwordCredential": {"displayName": "theirs"}})),
        )
        .await;
    let user = graph
        .call(
            "POST",
            "/v1.0/users",
            &token,
            Some(json!({"accountEnabled": true, "displayName": "x", "mailNickname": "x",
                "userPrincipalName": format!("x@{DOMAIN}"), "passwordProfile": {"password": PASSWORD}})),
        )
        .await;

    assert_eq!(users.status, 200, "{}", users.body);
    assert_eq!(app.status, 201, "{}", app.body);
    assert_eq!(secret.status, 200, "{}", secret.body);
    assert_eq!(group.status, 201, "{}", group.body);
    assert_denied(
        &other_secret,
        "a member adding a secret to another's application",
    );
    assert_denied(&user, "a member creating a user");
    let shown = graph
        .get(&format!("/v1.0/applications/{}", text(&others, "id")))
        .await;
    assert_eq!(shown.body["passwordCredentials"], json!([]));
}

#[tokio::test]
async fn a_tenant_that_turned_off_app_registration_refuses_members() {
    let app = TestAad::spawn_with(|settings| {
        let fixture = settings.fixture.as_mut().unwrap();
        fixture["authorizationPolicy"] =
            json!({"defaultUserRolePermissions": {"allowedToCreateApps": false}});
    })
    .await;
    let reply = app
        .operator_token(&format!("{}//.default", app.aad.base))
        .await;
    let graph = Graph {
        token: reply.token().to_string(),
        app,
    };
    graph.member("student").await;
    let token = graph
        .user_graph_token(&format!("student@{DOMAIN}"), PASSWORD)
        .await;

    let app = graph
        .call(
            "POST",
            "/v1.0/applications",
            &token,
            Some(json!({"displayName": "no"})),
        )
        .await;
    let group = graph
        .call(
            "POST",
            "/v1.0/groups",
            &token,
            Some(json!({"displayName": "yes", "mailNickname": "yes", "mailEnabled": false, "securityEnabled": true})),
        )
        .await;
    let admin = graph.user_graph_token(ADMIN_UPN, ADMIN_PASSWORD).await;
    let by_admin = graph
        .call(
            "POST",
            "/v1.0/applications",
            &admin,
            Some(json!({"displayName": "admins"})),
        )
        .await;

    assert_denied(&app, "a member registering an application");
    assert_eq!(group.status, 201, "{}", group.body);
    assert_eq!(by_admin.status, 201, "{}", by_admin.body);
}

#[tokio::test]
async fn a_resource_that_exists_nowhere_is_invalid_resource() {
    let graph = Graph::spawn().await;
    let (app_id, _, secret) = graph.role_less_app("asker").await;
    let cases = [
        graph
            .secret_token(&app_id, &secret, "https://nothing.example/.default")
            .await,
        graph
            .secret_token_v1(&app_id, &secret, "https://nothing.example")
            .await,
        graph
            .secret_token(&app_id, &secret, "api://nothing/.default")
            .await,
    ];
    for (reply, resource) in cases.iter().zip([
        "https://nothing.example",
        "https://nothing.example",
        "api://nothing",
    ]) {
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["error"], "invalid_resource");
        assert_eq!(reply.body["error_codes"], json!([500011]));
        let description = reply.body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant named mimic. \
                 This can happen if the application has not been installed by the administrator of the tenant \
                 or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.\r\nTrace ID: "
            )),
            "{description}"
        );
    }
    let user = graph
        .app
        .aad
        .form(
            &format!("/{TENANT}/oauth2/v2.0/token"),
            &[
                ("client_id", AZURE_CLI),
                ("grant_type", "password"),
                ("username", ADMIN_UPN),
                ("password", ADMIN_PASSWORD),
                ("scope", "https://nothing.example/.default openid"),
            ],
        )
        .await;
    assert_eq!(user.status, 400, "{}", user.body);
    assert_eq!(user.body["error"], "invalid_resource");
}

#[tokio::test]
async fn first_party_resources_are_found_by_every_name_and_listed_with_their_app_roles() {
    let app = TestAad::spawn_with(|settings| {
        let _ = settings.arm_url.set("https://127.0.0.1:9443".into());
    })
    .await;
    let base = app.aad.base.clone();
    let names = [
        format!("{base}/"),
        base.clone(),
        GRAPH_APP_ID.to_string(),
        "https://graph.microsoft.com".into(),
        "https://management.core.windows.net/".into(),
        "https://management.azure.com".into(),
        "https://127.0.0.1:9443/".into(),
        "https://127.0.0.1:9443".into(),
        "https://vault.azure.net".into(),
        "cfa8b339-82a2-471a-a3c9-0fc0be7a4093".into(),
        "https://storage.azure.com/".into(),
    ];
    for name in &names {
        let reply = app.operator_token(&format!("{name}/.default")).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        assert_eq!(jwt_part(reply.token(), 1)["aud"], name.as_str());
    }
    let token = app.operator_token(&format!("{base}//.default")).await;
    let graph = Graph {
        token: token.token().to_string(),
        app,
    };

    let by_name = graph
        .get("/v1.0/servicePrincipals?$filter=servicePrincipalNames/any(c:c%20eq%20'https://vault.azure.net')")
        .await;
    let microsoft_graph = graph
        .get(&format!("/v1.0/servicePrincipals(appId='{GRAPH_APP_ID}')"))
        .await;

    assert_eq!(by_name.body["value"][0]["displayName"], "Azure Key Vault");
    let body = &microsoft_graph.body;
    assert_eq!(body["displayName"], "Microsoft Graph");
    assert_eq!(
        body["appOwnerOrganizationId"],
        "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
    );
    let spns: Vec<&str> = body["servicePrincipalNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        spns.contains(&GRAPH_APP_ID) && spns.contains(&"https://graph.microsoft.com"),
        "{spns:?}"
    );
    assert!(
        spns.contains(&format!("{}/", graph.app.aad.base).as_str()),
        "{spns:?}"
    );
    let user_read_all = body["appRoles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|role| role["value"] == "User.Read.All")
        .expect("User.Read.All");
    assert_eq!(user_read_all["id"], USER_READ_ALL);
    assert_eq!(user_read_all["allowedMemberTypes"], json!(["Application"]));
    assert!(body["oauth2PermissionScopes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|scope| scope["value"] == "User.Read"
            && scope["id"] == "e1fe6dd8-ba31-4d61-89e7-88639da4683d"));
}

#[tokio::test]
async fn the_roles_claim_names_the_app_roles_granted_on_the_tokens_resource_only() {
    let graph = Graph::spawn().await;
    let role = json!({"id": "5d4ad3a7-0000-4000-8000-0000000000b1", "allowedMemberTypes": ["Application"],
        "description": "read", "displayName": "read", "isEnabled": true, "value": "Orders.Read"});
    let api = graph
        .create_application(json!({"displayName": "orders-api", "identifierUris": ["api://orders"], "appRoles": [role]}))
        .await;
    let api_sp = graph.create_service_principal(&text(&api, "appId")).await;
    let (app_id, principal, secret) = graph.role_less_app("client").await;
    graph.grant_graph_role(&principal, USER_READ_ALL).await;
    let granted = graph
        .post(
            &format!(
                "/v1.0/servicePrincipals/{}/appRoleAssignedTo",
                text(&api_sp, "id")
            ),
            json!({"principalId": principal, "resourceId": text(&api_sp, "id"),
                   "appRoleId": "5d4ad3a7-0000-4000-8000-0000000000b1"}),
        )
        .await;
    assert_eq!(granted.status, 201, "{}", granted.body);

    let for_api = graph
        .secret_token(&app_id, &secret, "api://orders/.default")
        .await;
    let for_graph = graph.app_graph_token(&app_id, &secret).await;
    let for_arm = graph
        .secret_token(&app_id, &secret, "https://management.azure.com/.default")
        .await;

    assert_eq!(
        jwt_part(for_api.token(), 1)["roles"],
        json!(["Orders.Read"])
    );
    assert_eq!(jwt_part(&for_graph, 1)["roles"], json!(["User.Read.All"]));
    assert!(jwt_part(for_arm.token(), 1).get("roles").is_none());
}

/// What a data dir made before Graph's permission model holds: no first-party principals, no
/// grants, no record of them.
async fn make_it_old(dir: &std::path::Path) {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.join("aad.db").display()))
        .await
        .unwrap();
    for statement in [
        "DELETE FROM app_role_assignments",
        "DELETE FROM directory_role_assignments",
        "DELETE FROM directory_seeds",
        "DELETE FROM service_principals WHERE app_id IN ('00000003-0000-0000-c000-000000000000', \
         '797f4846-ba00-4fd7-ba43-dac1f8f63013', 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093', \
         'e406a681-f3d4-42a8-90b6-c2b029497af1')",
    ] {
        sqlx::query(statement).execute(&db).await.unwrap();
    }
    db.close().await;
}

#[tokio::test]
async fn an_older_data_dir_gets_the_first_party_principals_and_the_fixtures_grants_once() {
    let app = TestAad::spawn().await;
    let (dir, internal_key, clock) = app.stop().await;
    make_it_old(dir.path()).await;

    let app = TestAad::spawn_in(dir, internal_key, clock).await;
    let token = app
        .operator_token(&format!("{}//.default", app.aad.base))
        .await;
    let graph = Graph {
        token: token.token().to_string(),
        app,
    };
    let mut roles: Vec<String> =
        serde_json::from_value(jwt_part(&graph.token, 1)["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(
        roles,
        [
            "AppRoleAssignment.ReadWrite.All",
            "Application.ReadWrite.All",
            "Directory.ReadWrite.All",
            "Group.ReadWrite.All",
            "RoleManagement.ReadWrite.Directory",
            "User.ReadWrite.All",
        ]
    );
    let admin = graph
        .get(&format!(
            "/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20'{ADMIN_ID}'"
        ))
        .await;
    assert_eq!(
        admin.body["value"][0]["roleDefinitionId"],
        GLOBAL_ADMINISTRATOR
    );

    // A revoked grant stays revoked across restarts.
    let assignment = text(&admin.body["value"][0], "id");
    let revoked = graph
        .delete(&format!(
            "/v1.0/roleManagement/directory/roleAssignments/{assignment}"
        ))
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let (dir, internal_key, clock) = graph.app.stop().await;
    let app = TestAad::spawn_in(dir, internal_key, clock).await;
    let token = app
        .operator_token(&format!("{}//.default", app.aad.base))
        .await;
    let after = app
        .aad
        .get(
            &format!("/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20'{ADMIN_ID}'"),
            Some(token.token()),
        )
        .await;
    assert_eq!(after.body["value"], json!([]), "{}", after.body);
}
