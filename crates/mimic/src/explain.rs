//! `mimic explain`: why a caller was allowed or denied, from ARM's record of authorization
//! decisions (`GET /internal/authz/decisions` with the internal key; docs/rbac.md). The 403 a
//! client got stays Azure's; this is where its explanation is read.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use mimic_arm::rbac::decisions::DecisionRecord;
use mimic_arm::rbac::internal::{DecisionList, DECISIONS_PATH};

use crate::endpoints::{Endpoints, NotRunning};

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
    let endpoints = match Endpoints::of_running(dir) {
        Ok(endpoints) => endpoints,
        Err(error) if error.is::<NotRunning>() => {
            println!("{error}");
            return Ok(ExitCode::from(crate::status::NOT_RUNNING));
        }
        Err(error) => return Err(error),
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
            "no {what} recorded{whose} (ARM keeps the last {} decisions)",
            mimic_arm::rbac::decisions::CAPACITY
        );
        return Ok(ExitCode::FAILURE);
    }
    for record in &decisions {
        print!("{}", describe(record));
    }
    Ok(ExitCode::SUCCESS)
}

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
    let list: DecisionList = http
        .get(format!("{}{DECISIONS_PATH}", endpoints.arm))
        .query(&query)
        .header(mimic_web::INTERNAL_KEY_HEADER, key.expose())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("asking ARM for its authorization decisions")?
        .json()
        .await
        .context("reading ARM's authorization decisions")?;
    Ok(list.value)
}

/// One decision as a person reads it: a sentence, then the details.
pub fn describe(record: &DecisionRecord) -> String {
    let caller = &record.caller;
    let who = match &caller.name {
        Some(name) => format!("appid {} ({name})", caller.appid),
        None => format!("appid {}", caller.appid),
    };
    let verb = match record.decision.as_str() {
        "allowed" => "was allowed",
        _ => "was denied",
    };
    let mut text = format!(
        "{who} {verb} {} on {}: {}\n",
        record.action, record.scope, record.reason
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
