//! The reality modes from the command line (docs/reality-modes.md): their start flags
//! ([`RealityArgs`], on `mimic up|arm|aad|imds`), `mimic settings` (show, set) and `mimic wait
//! --settled`, all over the services' admin API (`/internal/settings`, `/internal/settled`, with
//! the internal key), and the lines `mimic status` adds.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use mimic_web::reality::{
    Reality, SettingView, Settled, PRINCIPAL_PROPAGATION, ROLE_ASSIGNMENT_PROPAGATION,
    TOKEN_CACHE_REALISM,
};

use crate::endpoints::Endpoints;

/// The reality modes' start values (every one off unless given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RealityArgs {
    /// A new principal stays invisible to ARM's principal check for this long (`30s`, `2m`):
    /// role assignments without `principalType: ServicePrincipal` get `PrincipalNotFound`.
    #[arg(long, env = "MIMIC_PRINCIPAL_PROPAGATION", value_name = "DURATION", value_parser = duration)]
    pub principal_propagation: Option<i64>,
    /// A new or deleted role assignment takes effect in authorization decisions after this long.
    #[arg(long, env = "MIMIC_ROLE_ASSIGNMENT_PROPAGATION", value_name = "DURATION", value_parser = duration)]
    pub role_assignment_propagation: Option<i64>,
    /// IMDS keeps serving the cached token of an identity removed from its VM until it expires.
    #[arg(long, env = "MIMIC_TOKEN_CACHE_REALISM")]
    pub token_cache_realism: bool,
}

/// A duration flag: `30`, `30s`, `2m`, `1h`, `off`.
fn duration(text: &str) -> Result<i64, String> {
    mimic_web::reality::parse_duration(text)
        .ok_or_else(|| "a duration in whole seconds such as 30s, 2m or 1h, or off".to_string())
}

impl RealityArgs {
    /// The run-time settings these flags start with.
    pub fn reality(&self) -> Reality {
        let reality = Reality::new();
        let seconds = |value: Option<i64>| value.unwrap_or(0).to_string();
        let switch = if self.token_cache_realism {
            "on"
        } else {
            "off"
        };
        for (name, value) in [
            (PRINCIPAL_PROPAGATION, seconds(self.principal_propagation)),
            (
                ROLE_ASSIGNMENT_PROPAGATION,
                seconds(self.role_assignment_propagation),
            ),
            (TOKEN_CACHE_REALISM, switch.to_string()),
        ] {
            // Every value here was parsed by clap already; a failure would be a bug in the table.
            if let Err(error) = reality.set(name, &value) {
                tracing::error!(%error, "a reality flag");
            }
        }
        reality
    }
}

/// `mimic settings …`.
#[derive(Debug, clap::Args)]
pub struct SettingsArgs {
    #[command(subcommand)]
    pub command: Option<SettingsCommand>,
}

/// `mimic settings show|set`.
#[derive(Debug, clap::Subcommand)]
pub enum SettingsCommand {
    /// Every setting, its value and what it does (the default).
    Show,
    /// Change a setting while mimic runs: a duration (`10s`, `2m`, `off`) or `on`/`off`.
    /// Turning a delay off applies what it held back at once.
    Set {
        /// The setting, e.g. `principal-propagation`.
        name: String,
        /// The value, e.g. `10s`, `off`, `on`.
        value: String,
    },
}

/// `mimic wait …`.
#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// Until every change a delay held back has applied (`GET /internal/settled` of ARM and AAD).
    #[arg(long, required = true)]
    pub settled: bool,
    /// Give up after this long (`30s`, `2m`); exit 1 then.
    #[arg(long, default_value = "5m", value_parser = duration)]
    pub timeout: i64,
}

/// The admin API of a running mimic: ARM's and AAD's, with the internal key.
struct Admin {
    http: reqwest::Client,
    key: mimic_web::InternalKey,
    services: [(&'static str, String); 2],
}

impl Admin {
    fn new(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<Self> {
        let key = crate::persona::read_internal_key(dir)?;
        let ca =
            std::fs::read_to_string(&endpoints.ca_cert).context("reading the CA certificate")?;
        Ok(Self {
            http: mimic_web::https_client(&ca)?,
            key,
            services: [
                ("ARM", endpoints.arm.clone()),
                ("AAD", endpoints.aad.clone()),
            ],
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        base: &str,
        path: &str,
    ) -> anyhow::Result<T> {
        self.http
            .get(format!("{base}{path}"))
            .header(mimic_web::INTERNAL_KEY_HEADER, self.key.expose())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("asking {base}{path}"))?
            .json()
            .await
            .with_context(|| format!("reading {base}{path}"))
    }

    /// ARM's settings (under `mimic up` the services share them).
    async fn settings(&self) -> anyhow::Result<Vec<SettingView>> {
        let list: mimic_arm::reality::internal::SettingList =
            self.get(&self.services[0].1, "/internal/settings").await?;
        Ok(list.value)
    }

    /// Sets `name` on every service (each releases what it held back when a delay goes off).
    async fn set(&self, name: &str, value: &str) -> anyhow::Result<Result<SettingView, String>> {
        let mut last = None;
        for (service, base) in &self.services {
            let response = self
                .http
                .put(format!("{base}/internal/settings/{name}"))
                .header(mimic_web::INTERNAL_KEY_HEADER, self.key.expose())
                .json(&serde_json::json!({ "value": value }))
                .send()
                .await
                .with_context(|| format!("asking {service} to change {name}"))?;
            let status = response.status();
            if status == reqwest::StatusCode::NOT_FOUND
                || status == reqwest::StatusCode::BAD_REQUEST
            {
                let names: Vec<&str> = mimic_web::reality::SETTINGS
                    .iter()
                    .map(|setting| setting.name)
                    .collect();
                return Ok(Err(match mimic_web::reality::setting(name) {
                    None => format!("no setting is named '{name}'; the settings are {}", names.join(", ")),
                    Some(_) => format!("'{value}' is not a value of {name} (a duration such as 10s, 2m or off; on/off for switches)"),
                }));
            }
            let view: SettingView = response
                .error_for_status()
                .with_context(|| format!("{service} refused to change {name}"))?
                .json()
                .await
                .with_context(|| format!("reading {service}'s answer"))?;
            last = Some(view);
        }
        last.map(Ok).context("no service answered")
    }

    /// ARM's and AAD's pending changes as one answer.
    async fn settled(&self) -> anyhow::Result<Settled> {
        let arm: Settled = self.get(&self.services[0].1, "/internal/settled").await?;
        let aad: Settled = self.get(&self.services[1].1, "/internal/settled").await?;
        Ok(arm.merge(aad))
    }
}

/// `mimic settings [show | set NAME VALUE]`: 0, 1 for a bad name or value, 3 when not running.
pub async fn settings(dir: &Path, args: SettingsArgs) -> anyhow::Result<ExitCode> {
    let endpoints = match Endpoints::running_or_exit(dir)? {
        Ok(endpoints) => endpoints,
        Err(code) => return Ok(code),
    };
    let admin = Admin::new(dir, &endpoints)?;
    match args.command.unwrap_or(SettingsCommand::Show) {
        SettingsCommand::Show => {
            for view in admin.settings().await? {
                println!("{:<28} {:<8} {}", view.name, view.value, view.summary);
            }
        }
        SettingsCommand::Set { name, value } => match admin.set(&name, &value).await? {
            Ok(view) => println!("{} = {}", view.name, view.value),
            Err(message) => {
                eprintln!("mimic: {message}");
                return Ok(ExitCode::FAILURE);
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// How often `mimic wait --settled` asks.
const POLL: Duration = Duration::from_millis(250);

/// `mimic wait --settled [--timeout D]`: 0 once nothing is pending, 1 on timeout (naming what
/// is still pending), 3 when mimic is not running.
pub async fn wait(dir: &Path, args: WaitArgs) -> anyhow::Result<ExitCode> {
    let endpoints = match Endpoints::running_or_exit(dir)? {
        Ok(endpoints) => endpoints,
        Err(code) => return Ok(code),
    };
    let admin = Admin::new(dir, &endpoints)?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout.max(0) as u64);
    loop {
        let settled = admin.settled().await?;
        if settled.settled {
            println!("settled");
            return Ok(ExitCode::SUCCESS);
        }
        if Instant::now() >= deadline {
            eprintln!(
                "mimic: not settled after {}: {}",
                match args.timeout {
                    0 => "0s".to_string(),
                    timeout => mimic_web::reality::format_duration(timeout),
                },
                describe_pending(&settled)
            );
            return Ok(ExitCode::FAILURE);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `2 changes pending (principal 1234… in 3s, roleAssignmentCreated /subscriptions/… in 8s)`.
fn describe_pending(settled: &Settled) -> String {
    let items: Vec<String> = settled
        .pending
        .iter()
        .map(|item| format!("{} {} in {}s", item.kind, item.id, item.applies_in.max(0)))
        .collect();
    format!("{} change(s) pending ({})", items.len(), items.join(", "))
}

/// The lines `mimic status` adds: the settings that are on, and what is pending.
pub async fn status_lines(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<String> {
    let admin = Admin::new(dir, endpoints)?;
    let active: Vec<String> = admin
        .settings()
        .await?
        .into_iter()
        .filter(|view| view.value != "off")
        .map(|view| format!("{} {}", view.name, view.value))
        .collect();
    let settled = admin.settled().await?;
    let mut text = format!(
        "  reality    {}\n",
        match active.is_empty() {
            true => "every delay off".to_string(),
            false => active.join(", "),
        }
    );
    text.push_str(&format!(
        "  pending    {}\n",
        match settled.settled {
            true => "none (settled)".to_string(),
            false => describe_pending(&settled),
        }
    ));
    Ok(text)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn reality_flags_start_every_mode_off_unless_given() {
        let up = |args: &[&str]| match Cli::try_parse_from([&["mimic", "up"], args].concat())
            .unwrap()
            .command
        {
            Command::Up(up) => up.reality.reality(),
            other => panic!("not up: {other:?}"),
        };
        assert!(up(&[]).active().is_empty());
        let on = up(&[
            "--principal-propagation",
            "10s",
            "--role-assignment-propagation",
            "2m",
            "--token-cache-realism",
        ]);
        assert_eq!(on.seconds(super::PRINCIPAL_PROPAGATION), 10);
        assert_eq!(on.seconds(super::ROLE_ASSIGNMENT_PROPAGATION), 120);
        assert!(on.is_on(super::TOKEN_CACHE_REALISM));
        let bad = ["mimic", "arm", "--principal-propagation", "soon"];
        assert!(Cli::try_parse_from(bad).is_err());
        let wait = Cli::try_parse_from(["mimic", "wait", "--settled", "--timeout", "30s"]);
        match wait.unwrap().command {
            Command::Wait(wait) => assert_eq!(wait.timeout, 30),
            other => panic!("not wait: {other:?}"),
        }
    }
}
