//! The command line: parsing and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand};

use crate::endpoints::Endpoints;
use crate::{data_dir, persona, services, up};

/// mimic: a local, fully simulated Azure control plane for managed identities.
#[derive(Debug, Parser)]
#[command(name = "mimic", version = mimic_web::VERSION, about)]
pub struct Cli {
    /// The data directory (SQLite databases, keys, CA, endpoints.json).
    #[arg(long, global = true, env = "MIMIC_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log lines as `text` or `json` (docs/logging.md); the level comes from `RUST_LOG`.
    #[arg(long, global = true, env = "MIMIC_LOG_FORMAT", default_value = "text",
        value_parser = clap::builder::PossibleValuesParser::new(["text", "json"])
            .map(|format| match format.as_str() {
                "json" => mimic_web::telemetry::LogFormat::Json,
                _ => mimic_web::telemetry::LogFormat::Text,
            }))]
    pub log_format: mimic_web::telemetry::LogFormat,
    /// Append log lines to this file (created 0600) instead of stderr.
    #[arg(long, global = true, env = "MIMIC_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run AAD, ARM and one IMDS per VM in this process.
    Up(up::UpArgs),
    /// Create the data dir (CA, certificates, internal key) and exit; for docker-compose.
    Init {
        /// Extra DNS names for the server certificate (e.g. `aad`, `arm` in a compose network); a
        /// data dir whose certificate lacks one gets a new certificate from the same CA.
        #[arg(long = "tls-name", env = "MIMIC_TLS_NAMES", value_delimiter = ',')]
        tls_names: Vec<String>,
    },
    /// Whether `mimic up` runs on the data dir: PID, uptime, version, listeners and what it holds.
    /// Exits 0 when running, 3 when not.
    Status,
    /// Why a caller was allowed or denied: ARM's and Graph's records of their last authorization
    /// decisions (the role assignment that granted, the deny assignment that refused, the Graph
    /// permission or directory role, or why none applied; docs/rbac.md). Exits 1 when none
    /// matched, 3 when mimic is not running.
    Explain(crate::explain::ExplainArgs),
    /// Faults on the managed-identity path (docs/reality-modes.md): IMDS 410/429/5xx, slow
    /// answers and resets; AAD 5xx and AADSTS errors; signing-key rollover; AAD clock skew.
    Chaos {
        #[command(subcommand)]
        command: crate::chaos::ChaosCommand,
    },
    /// The reality modes' run-time settings (propagation delays; docs/reality-modes.md): show
    /// them, or change one while mimic runs. Exits 3 when mimic is not running.
    Settings(crate::settings_cmd::SettingsArgs),
    /// Wait until every change a propagation delay held back has applied (`--settled`), instead
    /// of sleeping. Exits 1 on timeout, 3 when mimic is not running.
    Wait(crate::settings_cmd::WaitArgs),
    /// Print `export` lines for the operator's shell (ARM/AAD URLs, CA, tenant, operator credentials).
    Env,
    /// Print the `/etc/hosts` lines that make the vaults' hosts (`{vault}.vault.mimic.test`)
    /// resolve to ARM's listener, or keep them in a marked block of a file with `--write`
    /// (docs/key-vault.md).
    Hosts(crate::hosts::HostsArgs),
    /// Snapshots of the whole state (both stores), running or not: save, restore, list.
    Snapshot {
        #[command(subcommand)]
        command: crate::snapshot::SnapshotCommand,
    },
    /// Back to the fixture's state. Running: restores the snapshot made when the data dir was
    /// created (CA and signing key kept). Stopped: removes the databases.
    Reset {
        /// Also make a new CA, server certificate, signing key and internal key (mimic stopped).
        #[arg(long)]
        all: bool,
    },
    /// VMs and their IMDS.
    Vm {
        #[command(subcommand)]
        command: VmCommand,
    },
    /// mimic's OIDC issuers for workload identity federation: create, import, list, rotate, delete.
    Issuer {
        #[command(subcommand)]
        command: crate::workload::IssuerCommand,
    },
    /// Workload identity federation: mint a federated token, or run a command as a pod would.
    Workload {
        #[command(subcommand)]
        command: crate::workload::WorkloadCommand,
    },
    /// Run a command as the operator in the sandbox: a new network and mount namespace with only
    /// loopback where Azure's public names (management.azure.com, login.microsoftonline.com,
    /// graph.microsoft.com, {vault}.vault.azure.net) reach mimic with its CA trusted, the
    /// operator's service principal in ARM_* and AZURE_*, az signed in (needs root;
    /// docs/terraform.md).
    Exec {
        /// The command and its arguments, after `--`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// An interactive shell ($SHELL, else bash) as the operator in the sandbox: `mimic exec --
    /// $SHELL` (needs root).
    Shell,
    /// Run your own `az` as the fixture operator against mimic (cloud registered, logged in, CA trusted).
    Az {
        /// Arguments for az, e.g. `group list`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run the AAD token issuer alone.
    Aad(services::AadArgs),
    /// Run the ARM facade alone.
    Arm(services::ArmArgs),
    /// Run one VM's IMDS alone.
    Imds(services::ImdsArgs),
    /// Internal: the inside half of the sandbox (`--netns`; run by `unshare --net --mount`).
    #[command(hide = true)]
    NetnsRun(crate::sandbox::NetnsRunArgs),
    /// Exit 0 if a URL answers 2xx (https trusting the data dir's CA); for container health checks.
    Healthcheck {
        /// For example https://127.0.0.1:8443/healthz.
        url: String,
        /// Send `Metadata: true`, as IMDS requires.
        #[arg(long)]
        metadata: bool,
    },
}

/// `mimic vm …`.
#[derive(Debug, Subcommand)]
pub enum VmCommand {
    /// One line per VM: name, resource group, IMDS URL, ARM id.
    List,
    /// Create (or replace) a VM with ARM's PUT, as the fixture operator unless `--client-id` is
    /// given; its IMDS listener is up when this returns.
    Create(crate::vm_admin::CreateArgs),
    /// Delete a VM with ARM's DELETE (same credentials as `create`); its IMDS listener is gone
    /// when this returns.
    Delete(crate::vm_admin::DeleteArgs),
    /// Print the shell environment of the VM persona (its IMDS, no other identity variables).
    Env {
        /// The VM's name.
        name: String,
        /// Which managed-identity source the persona's clients use (docs/imds.md).
        #[arg(long, value_enum, default_value_t)]
        flavor: persona::Flavor,
    },
    /// Run a command as the VM: its IMDS, its own az config dir (mimic cloud registered), the CA trusted.
    Exec {
        /// The VM's name.
        name: String,
        /// Run in the sandbox: a new network and mount namespace with only loopback, where
        /// 169.254.169.254:80 and 127.0.0.1:50342 serve this VM's IMDS and Azure's public names
        /// (management.azure.com, login.microsoftonline.com, graph.microsoft.com) reach mimic over
        /// HTTPS with its CA trusted (no identity variables set; needs root; docs/hostnames.md).
        #[arg(long)]
        netns: bool,
        /// Which managed-identity source CMD's clients use, as `mimic vm env --flavor`.
        #[arg(long, value_enum, default_value_t, conflicts_with = "netns")]
        flavor: persona::Flavor,
        /// The command and its arguments, after `--`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// An interactive shell ($SHELL, else bash) as the VM, in the sandbox:
    /// `mimic vm exec NAME --netns -- $SHELL` (needs root).
    Shell {
        /// The VM's name.
        name: String,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = data_dir::resolve(cli.data_dir);
    match cli.command {
        Command::Up(args) => up::run(&dir, args).await?,
        Command::Init { tls_names } => {
            data_dir::DataDir::ensure_with_names(&dir, &tls_names)?;
        }
        Command::Env => print!("{}", persona::operator_env(&Endpoints::of_running(&dir)?)),
        Command::Status => return crate::status::run(&dir).await,
        Command::Explain(args) => return crate::explain::run(&dir, args).await,
        Command::Chaos { command } => return crate::chaos::run(&dir, command).await,
        Command::Settings(args) => return crate::settings_cmd::settings(&dir, args).await,
        Command::Wait(args) => return crate::settings_cmd::wait(&dir, args).await,
        Command::Hosts(args) => return crate::hosts::run(&dir, args).await,
        Command::Vm { command } => return vm(&dir, command).await,
        Command::Snapshot { command } => crate::snapshot::run(&dir, command).await?,
        Command::Reset { all } => crate::snapshot::reset(&dir, all).await?,
        Command::NetnsRun(args) => return crate::sandbox::run_inside(args).await,
        Command::Az { args } => return crate::az::run_az(&dir, &args),
        Command::Exec { command } => return operator_sandbox(&dir, command).await,
        Command::Shell => {
            let shell = std::env::var("SHELL").unwrap_or_else(|_| "bash".into());
            return operator_sandbox(&dir, vec![shell, "-i".into()]).await;
        }
        Command::Issuer { command } => return crate::workload::issuer(&dir, command).await,
        Command::Workload { command } => return crate::workload::workload(&dir, command).await,
        Command::Aad(args) => services::run_aad(&dir, args).await?,
        Command::Arm(args) => services::run_arm(&dir, args).await?,
        Command::Imds(args) => services::run_imds(&dir, args).await?,
        Command::Healthcheck { url, metadata } => {
            return services::healthcheck(&dir, &url, metadata).await
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `mimic exec` and `mimic shell`: the namespace check first, as for a VM's sandbox.
async fn operator_sandbox(dir: &std::path::Path, command: Vec<String>) -> anyhow::Result<ExitCode> {
    if let Err(message) = crate::sandbox::ensure_namespaces_possible() {
        eprintln!("{message}");
        return Ok(ExitCode::from(crate::sandbox::NAMESPACE_FAILURE));
    }
    let endpoints = Endpoints::of_running(dir)?;
    crate::sandbox::operator::exec(dir, &endpoints, &command).await
}

async fn vm(dir: &std::path::Path, command: VmCommand) -> anyhow::Result<ExitCode> {
    let netns = matches!(
        command,
        VmCommand::Exec { netns: true, .. } | VmCommand::Shell { .. }
    );
    // Checked first, before anything is read or registered: no namespace, no command.
    let possible = netns.then(crate::sandbox::ensure_namespaces_possible);
    if let Some(Err(message)) = possible {
        eprintln!("{message}");
        return Ok(ExitCode::from(crate::sandbox::NAMESPACE_FAILURE));
    }
    let endpoints = Endpoints::of_running(dir)?;
    match command {
        VmCommand::List => {
            println!("{:<16} {:<20} {:<28} ID", "NAME", "RESOURCE GROUP", "IMDS");
            for vm in &endpoints.vms {
                let group = vm.id.split('/').nth(4).unwrap_or_default();
                println!("{:<16} {:<20} {:<28} {}", vm.name, group, vm.imds, vm.id);
            }
        }
        VmCommand::Exec {
            name,
            netns,
            flavor,
            command,
        } => match endpoints.vm(&name) {
            Some(vm) if netns => {
                let persona = crate::sandbox::Persona::Vm(vm);
                return crate::sandbox::exec(dir, persona, &endpoints, &command).await;
            }
            Some(vm) => return crate::az::run_vm_exec(dir, vm, &endpoints, &command, flavor),
            None => return Ok(no_such_vm(&endpoints, &name)),
        },
        VmCommand::Shell { name } => match endpoints.vm(&name) {
            Some(vm) => {
                let shell = std::env::var("SHELL").unwrap_or_else(|_| "bash".into());
                let persona = crate::sandbox::Persona::Vm(vm);
                return crate::sandbox::exec(dir, persona, &endpoints, &[shell, "-i".into()]).await;
            }
            None => return Ok(no_such_vm(&endpoints, &name)),
        },
        VmCommand::Create(args) => return crate::vm_admin::create(dir, &endpoints, args).await,
        VmCommand::Delete(args) => return crate::vm_admin::delete(dir, &endpoints, args).await,
        VmCommand::Env { name, flavor } => match endpoints.vm(&name) {
            Some(vm) => print!(
                "{}",
                persona::vm_shell_env(dir, vm, flavor, &endpoints.ca_cert)?
            ),
            None => return Ok(no_such_vm(&endpoints, &name)),
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn no_such_vm(endpoints: &Endpoints, name: &str) -> ExitCode {
    let names: Vec<&str> = endpoints.vms.iter().map(|vm| vm.name.as_str()).collect();
    eprintln!("mimic: no VM named '{name}'. VMs: {}", names.join(", "));
    ExitCode::FAILURE
}
