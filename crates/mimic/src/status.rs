//! `mimic status`: whether `mimic up` runs on the data dir and what it holds. The counts come from
//! the running services over HTTP (`GET /internal/status` of ARM and AAD, with the internal key),
//! never from their databases. Exit codes follow LSB `status`: 0 running, 3 not running, 1 when
//! the process holds the data dir but its services do not answer.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Deserialize;

use crate::endpoints::{Endpoints, NotRunning};

/// Exit code when mimic is not running (LSB: "program is not running").
pub const NOT_RUNNING: u8 = 3;

/// ARM's `GET /internal/status`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArmCounts {
    subscriptions: i64,
    resource_groups: i64,
    virtual_machines: i64,
    user_assigned_identities: i64,
    system_assigned_identities: i64,
    role_assignments: i64,
}

/// AAD's `GET /internal/status`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AadCounts {
    service_principals: i64,
    managed_identities: i64,
    users: i64,
}

/// `mimic status`.
pub async fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let endpoints = match Endpoints::of_running(dir) {
        Ok(endpoints) => endpoints,
        Err(error) if error.is::<NotRunning>() => {
            println!("{error}");
            return Ok(ExitCode::from(NOT_RUNNING));
        }
        Err(error) => return Err(error),
    };
    print!("{}", header(dir, &endpoints));
    match counts(dir, &endpoints).await {
        Ok(counts) => {
            print!("{counts}");
            // The reality modes (docs/reality-modes.md): what is on, what is pending.
            match crate::settings_cmd::status_lines(dir, &endpoints).await {
                Ok(lines) => print!("{lines}"),
                Err(error) => println!("  reality    unavailable: {error:#}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("  counts     unavailable: {error:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn header(dir: &Path, endpoints: &Endpoints) -> String {
    let uptime = mimic_token::Clock::system().now() - endpoints.started;
    let mut text = format!(
        "mimic is running (data dir {})\n  PID        {}\n  uptime     {}\n  version    {}\n  ARM        {}\n  AAD        {}\n  Portal     {}\n",
        dir.display(),
        endpoints.pid,
        duration(uptime),
        endpoints.version,
        endpoints.arm,
        endpoints.aad,
        endpoints.portal,
    );
    for vm in &endpoints.vms {
        text.push_str(&format!("  IMDS       {} {}\n", vm.imds, vm.name));
    }
    text
}

async fn counts(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<String> {
    let key = crate::persona::read_internal_key(dir)?;
    let ca = std::fs::read_to_string(&endpoints.ca_cert).context("reading the CA certificate")?;
    let http = mimic_web::https_client(&ca)?;
    let get = |url: String| {
        http.get(url)
            .header(mimic_web::INTERNAL_KEY_HEADER, key.expose())
            .send()
    };
    let arm: ArmCounts = get(format!("{}/internal/status", endpoints.arm))
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("asking ARM")?
        .json()
        .await
        .context("reading ARM's answer")?;
    let aad: AadCounts = get(format!("{}/internal/status", endpoints.aad))
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("asking AAD")?
        .json()
        .await
        .context("reading AAD's answer")?;
    // Faults, a rollover's keys and AAD's clock skew (`mimic chaos`), when any is in effect.
    let chaos = crate::chaos::status(&http, &endpoints.aad, &key).await?;
    Ok(format!(
        "  subscriptions     {}\n  resource groups   {}\n  VMs               {}\n  identities        {} user-assigned, {} system-assigned\n  role assignments  {}\n  principals        {} ({} managed identities)\n  users             {}\n",
        arm.subscriptions,
        arm.resource_groups,
        arm.virtual_machines,
        arm.user_assigned_identities,
        arm.system_assigned_identities,
        arm.role_assignments,
        aad.service_principals,
        aad.managed_identities,
        aad.users,
    ) + &chaos)
}

/// `1h 02m 03s`, `4m 05s`, `6s`.
fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m {seconds:02}s"),
        _ => format!("{hours}h {minutes:02}m {seconds:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_names_the_largest_units_it_needs() {
        assert_eq!(duration(6), "6s");
        assert_eq!(duration(245), "4m 05s");
        assert_eq!(duration(3723), "1h 02m 03s");
        assert_eq!(duration(-5), "0s");
    }
}
