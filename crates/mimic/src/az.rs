//! `mimic az ARGS…` runs the user's own Azure CLI as the fixture operator, and `mimic vm exec NAME
//! -- CMD…` runs any command as a VM. Each gets its own az config dir inside the data dir, with the
//! mimic cloud registered (by endpoint discovery, as `az cloud register` does against Azure Stack),
//! instance discovery and telemetry off, and the local CA trusted.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context;

use crate::endpoints::{Endpoints, VmEndpoint};

/// The name mimic's cloud is registered under in az.
pub const CLOUD_NAME: &str = "Mimic";

const INSTALL_HINT: &str = "mimic: the Azure CLI ('az') is not installed or not on PATH.\n\
Install it, for example in a virtual environment:\n  python3 -m venv ~/.venvs/az && ~/.venvs/az/bin/pip install azure-cli==2.91.0\n\
  export PATH=~/.venvs/az/bin:$PATH\n\
or see https://learn.microsoft.com/cli/azure/install-azure-cli";

/// The environment every process mimic starts for az or an SDK gets: trust in the local CA for
/// Python (requests, urllib), Node, curl and OpenSSL-based tools through the combined CA bundle
/// ([`crate::trust`]), and no calls to Microsoft's hosts.
pub(crate) fn client_environment(
    endpoints: &Endpoints,
    config_dir: &Path,
) -> Vec<(String, String)> {
    let tls = crate::trust::tls_env(Path::new(&endpoints.ca_cert));
    let mut environment: Vec<(String, String)> = vec![
        ("AZURE_CONFIG_DIR".into(), config_dir.display().to_string()),
        ("AZURE_CORE_INSTANCE_DISCOVERY".into(), "false".into()),
        ("AZURE_CORE_COLLECT_TELEMETRY".into(), "false".into()),
        ("AZURE_CORE_SURVEY_MESSAGE".into(), "false".into()),
        ("AZURE_CORE_NO_COLOR".into(), "true".into()),
        ("AZURE_CORE_ONLY_SHOW_ERRORS".into(), "false".into()),
        ("AZURE_CORE_USE_MSAL_HTTP_CACHE".into(), "false".into()),
    ];
    environment.extend(
        tls.into_iter()
            .map(|(name, value)| (name.to_string(), value)),
    );
    environment
}

/// An `az` command with the client environment.
fn az(endpoints: &Endpoints, config_dir: &Path) -> Command {
    let mut command = Command::new("az");
    command.envs(client_environment(endpoints, config_dir));
    command
}

pub(crate) fn az_installed() -> bool {
    Command::new("az")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// Runs `az` quietly; fails with its output if it fails.
fn run_quiet(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running az ({what})"))?;
    if !output.status.success() {
        anyhow::bail!(
            "az failed while {what}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Registers (or re-points) the mimic cloud in `config_dir` and makes it the active cloud. A marker
/// file remembers which ARM URL was registered, so this costs nothing on later runs.
fn ensure_cloud(endpoints: &Endpoints, config_dir: &Path) -> anyhow::Result<()> {
    let marker = config_dir.join("mimic-cloud");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(endpoints.arm.as_str()) {
        return Ok(());
    }
    std::fs::create_dir_all(config_dir)?;
    let registered = std::fs::read_to_string(config_dir.join("clouds.config"))
        .unwrap_or_default()
        .contains(&format!("[{CLOUD_NAME}]"));
    let mut command = az(endpoints, config_dir);
    let verb = if registered { "update" } else { "register" };
    command.args([
        "cloud",
        verb,
        "-n",
        CLOUD_NAME,
        "--endpoint-resource-manager",
        &endpoints.arm,
    ]);
    run_quiet(command, "registering the mimic cloud")?;
    let mut command = az(endpoints, config_dir);
    command.args(["cloud", "set", "-n", CLOUD_NAME]);
    run_quiet(command, "selecting the mimic cloud")?;
    mimic_web::pki::write_atomic(&marker, &endpoints.arm)
}

/// Logs the operator in unless this config dir already has its account (a `mimic az logout`
/// removes the account from `azureProfile.json`; the next `mimic az` signs in again).
fn ensure_operator_login(endpoints: &Endpoints, config_dir: &Path) -> anyhow::Result<()> {
    let marker = config_dir.join("mimic-login");
    let expected = format!("{} {}", endpoints.aad, endpoints.operator.client_id);
    let signed_in = std::fs::read_to_string(config_dir.join("azureProfile.json"))
        .is_ok_and(|profile| profile.contains(&endpoints.operator.client_id));
    if signed_in && std::fs::read_to_string(&marker).ok().as_deref() == Some(expected.as_str()) {
        return Ok(());
    }
    let operator = &endpoints.operator;
    let mut command = az(endpoints, config_dir);
    command.args([
        "login",
        "--service-principal",
        "-u",
        &operator.client_id,
        "-p",
        &operator.client_secret,
        "--tenant",
        &endpoints.tenant_id,
    ]);
    run_quiet(command, "logging in as the operator")?;
    mimic_web::pki::write_atomic(&marker, &expected)
}

/// `mimic az ARGS…`.
pub fn run_az(dir: &Path, args: &[String]) -> anyhow::Result<ExitCode> {
    let endpoints = Endpoints::of_running(dir)?;
    if !az_installed() {
        eprintln!("{INSTALL_HINT}");
        return Ok(ExitCode::from(127));
    }
    let config_dir = operator_config_dir(dir)?;
    ensure_cloud(&endpoints, &config_dir)?;
    ensure_operator_login(&endpoints, &config_dir)?;
    let status = az(&endpoints, &config_dir)
        .args(args)
        .status()
        .context("running az")?;
    Ok(exit_code(status))
}

/// `mimic vm exec NAME [--flavor F] -- CMD…`: CMD runs as the VM (its IMDS via `AZURE_POD_IDENTITY_AUTHORITY_HOST`, or another managed-identity source with `--flavor`;
/// its own az config dir with the mimic cloud registered, the CA trusted).
pub fn run_vm_exec(
    dir: &Path,
    vm: &VmEndpoint,
    endpoints: &Endpoints,
    command_line: &[String],
    flavor: crate::persona::Flavor,
) -> anyhow::Result<ExitCode> {
    let (program, args) = command_line
        .split_first()
        .context("mimic vm exec needs a command after --")?;
    let config_dir = prepare_vm_config_dir(dir, &vm.name, endpoints)?;
    let identity = crate::persona::vm_identity_env_in(dir, vm, flavor)?;
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(client_environment(endpoints, &config_dir))
        .envs(identity.set.iter().map(|(name, value)| (name, value)));
    for variable in identity.unset {
        command.env_remove(variable);
    }
    let status = command
        .status()
        .with_context(|| format!("running {program}"))?;
    Ok(exit_code(status))
}

/// The VM's az config dir, with the mimic cloud registered in it when az is installed.
pub(crate) fn prepare_vm_config_dir(
    dir: &Path,
    vm: &str,
    endpoints: &Endpoints,
) -> anyhow::Result<PathBuf> {
    let config_dir = vm_config_dir(dir, vm)?;
    prepare_config_dir(endpoints, &config_dir)?;
    Ok(config_dir)
}

/// Registers and selects the mimic cloud in `config_dir` when az is installed.
pub(crate) fn prepare_config_dir(endpoints: &Endpoints, config_dir: &Path) -> anyhow::Result<()> {
    if az_installed() {
        ensure_cloud(endpoints, config_dir)?;
    }
    Ok(())
}

fn operator_config_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    Ok(dir
        .canonicalize()
        .context("resolving the data dir")?
        .join("az")
        .join("operator"))
}

fn vm_config_dir(dir: &Path, vm: &str) -> anyhow::Result<PathBuf> {
    Ok(dir
        .canonicalize()
        .context("resolving the data dir")?
        .join("az")
        .join("vms")
        .join(vm))
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    ExitCode::from(
        status
            .code()
            .map(|code| code.clamp(0, 255) as u8)
            .unwrap_or(1),
    )
}
