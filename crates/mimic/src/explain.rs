//! `mimic explain`: why a caller was allowed or denied, from the records of authorization decisions
//! ARM (`GET /internal/authz/decisions`: its control plane and Key Vault's data plane) and AAD
//! (`GET /internal/graph/decisions`: Microsoft Graph) keep, merged newest first (internal key;
//! docs/rbac.md). The 403 a client got stays Azure's or Graph's; this is where its explanation is
//! read.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use mimic_aad::graph::decisions::DECISIONS_PATH as GRAPH_DECISIONS;
use mimic_arm::rbac::internal::DECISIONS_PATH as ARM_DECISIONS;
use mimic_web::authz::{DecisionList, DecisionRecord, CAPACITY};

use crate::endpoints::Endpoints;

/// `mimic explain` arguments.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Only the newest denied decision.
    #[arg(long)]
    pub last_denied: bool,
    /// Only this caller: its object id, application (client) id or display name.
    #[arg(long)]
    pub principal: Option<String>,
    /// How many decisions, newest first (without `--last-denied`).
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

/// `mimic explain`: exit 0 with decisions printed, 1 when none matched, 3 when mimic is not
/// running.
pub async fn run(dir: &Path, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let endpoints = match Endpoints::running_or_exit(dir)? {
        Ok(endpoints) => endpoints,
        Err(code) => return Ok(code),
    };
    let decisions = fetch(dir, &endpoints, &args).await?;
    if decisions.is_empty() {
        let whose = args
            .principal
            .as_deref()
            .map(|principal| format!(" for {principal}"))
            .unwrap_or_default();
        let what = if args.last_denied {
            "denied decision"
        } else {
            "decision"
        };
        println!(
            "no {what} recorded{whose} (ARM and Graph keep the last {CAPACITY} decisions each)"
        );
        return Ok(ExitCode::FAILURE);
    }
    for record in &decisions {
        print!("{}", describe(record));
    }
    Ok(ExitCode::SUCCESS)
}

/// ARM's and Graph's decisions matching `args`, merged newest first.
async fn fetch(
    dir: &Path,
    endpoints: &Endpoints,
    args: &ExplainArgs,
) -> anyhow::Result<Vec<DecisionRecord>> {
    let key = crate::persona::read_internal_key(dir)?;
    let ca = std::fs::read_to_string(&endpoints.ca_cert).context("reading the CA certificate")?;
    let http = mimic_web::https_client(&ca)?;
    let limit = if args.last_denied { 1 } else { args.limit };
    let mut query = vec![("limit", limit.to_string())];
    if args.last_denied {
        query.push(("decision", "denied".to_string()));
    }
    if let Some(principal) = &args.principal {
        query.push(("principal", principal.clone()));
    }
    let mut lists = Vec::new();
    for (service, url) in [
        ("ARM", format!("{}{ARM_DECISIONS}", endpoints.arm)),
        ("AAD", format!("{}{GRAPH_DECISIONS}", endpoints.aad)),
    ] {
        let list: DecisionList = http
            .get(url)
            .query(&query)
            .header(mimic_web::INTERNAL_KEY_HEADER, key.expose())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("asking {service} for its authorization decisions"))?
            .json()
            .await
            .with_context(|| format!("reading {service}'s authorization decisions"))?;
        lists.push(list.value);
    }
    Ok(mimic_web::authz::merge_newest_first(lists, limit))
}

/// One decision as a person reads it: a sentence, then the details.
pub fn describe(record: &DecisionRecord) -> String {
    if record.is_graph() {
        return describe_graph(record);
    }
    let caller = &record.caller;
    let verb = verb(record);
    let mut text = format!(
        "{} {verb} {} on {}: {}\n",
        who(record),
        record.action,
        record.scope,
        record.reason
    );
    if !record.roles_that_grant.is_empty() {
        text.push_str(&format!(
            "  roles that would grant it: {}\n",
            record.roles_that_grant.join(", ")
        ));
    }
    text.push_str(&format!("  time       {}\n", record.time));
    text.push_str(&format!(
        "  caller     oid {}, appid {}\n",
        caller.oid, caller.appid
    ));
    let model = match record.authorization.as_str() {
        "accessPolicy" => "Key Vault access policies",
        _ => "Azure RBAC",
    };
    text.push_str(&format!("  decided by {model} ({} plane)\n", record.plane));
    if let Some(grant) = &record.role_assignment {
        text.push_str(&format!(
            "  granted by role assignment {} ('{}', principal {})\n",
            grant.id, grant.role_name, grant.principal_id
        ));
    }
    if let Some(deny) = &record.deny_assignment {
        text.push_str(&format!(
            "  refused by deny assignment '{}' {}\n",
            deny.name, deny.id
        ));
    }
    for held in &record.assignments_considered {
        text.push_str(&format!(
            "  holds      '{}' at {} (role assignment {}, principal {})\n",
            held.role_name, held.scope, held.id, held.principal_id
        ));
    }
    text
}

/// One of Microsoft Graph's decisions: the operation, its method and path, and "Graph" where
/// ARM's say the scope.
fn describe_graph(record: &DecisionRecord) -> String {
    let caller = &record.caller;
    let method = record.method.as_deref().unwrap_or_default();
    let mut text = format!(
        "{} {} '{}' ({method} {}) on Graph: {}\n",
        who(record),
        verb(record),
        record.action,
        record.scope,
        record.reason
    );
    if !record.permissions_that_grant.is_empty() {
        text.push_str(&format!(
            "  application permissions that would grant it: {}\n",
            record.permissions_that_grant.join(", ")
        ));
    }
    if !record.directory_roles_that_grant.is_empty() {
        text.push_str(&format!(
            "  directory roles that would grant it: {}\n",
            record.directory_roles_that_grant.join(", ")
        ));
    }
    text.push_str(&format!("  time       {}\n", record.time));
    text.push_str(&format!(
        "  caller     oid {}, appid {}\n",
        caller.oid, caller.appid
    ));
    text.push_str("  decided by Microsoft Graph permissions\n");
    if let Some(object) = &record.object {
        text.push_str(&format!("  object     {object}\n"));
    }
    if record.decision != "allowed" {
        let held = |list: &[String]| match list.is_empty() {
            true => "none".to_string(),
            false => list.join(", "),
        };
        // Only an app-only caller's record names application permissions.
        let permissions = match record.permissions_that_grant.is_empty() {
            true => String::new(),
            false => format!(
                "application permissions: {}; ",
                held(&record.permissions_held)
            ),
        };
        text.push_str(&format!(
            "  holds      {permissions}directory roles: {}\n",
            held(&record.directory_roles_held)
        ));
    }
    text
}

fn who(record: &DecisionRecord) -> String {
    let caller = &record.caller;
    match &caller.name {
        Some(name) => format!("appid {} ({name})", caller.appid),
        None => format!("appid {}", caller.appid),
    }
}

fn verb(record: &DecisionRecord) -> &'static str {
    match record.decision.as_str() {
        "allowed" => "was allowed",
        _ => "was denied",
    }
}
