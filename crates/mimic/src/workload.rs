//! `mimic issuer …` and `mimic workload …`: workload identity federation on a laptop. mimic's AAD
//! serves OIDC issuers (`{aad}/issuers/{name}`) whose tokens a federated identity credential can
//! trust; `workload token` mints one, as a cluster's service-account issuer would; `workload exec`
//! runs a command exactly as the AKS workload-identity webhook sets a pod up — `AZURE_CLIENT_ID`,
//! `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE` (kept fresh), `AZURE_AUTHORITY_HOST` — with
//! mimic's CA trusted. Issuers are changed through AAD's internal API (internal key); federated
//! credentials through ARM, as the operator, like any client (docs/workload-identity.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::endpoints::Endpoints;
use crate::vm_admin::{Arm, Credentials};

/// The issuer `workload token` and `workload exec` use unless told otherwise (created on first use).
pub const DEFAULT_ISSUER: &str = "default";
/// The audience Entra expects in federated tokens.
pub const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The authority host the AKS webhook gives pods in Azure's public cloud.
const PUBLIC_AUTHORITY_HOST: &str = "https://login.microsoftonline.com/";
/// The Managed Identity api-version mimic's own FIC writes use.
const MSI_API_VERSION: &str = "2023-01-31";

/// `mimic issuer …`.
#[derive(Debug, clap::Subcommand)]
pub enum IssuerCommand {
    /// Create a local issuer served at `{aad}/issuers/NAME` (nothing happens if it exists).
    Create { name: String },
    /// Trust a real cluster's service-account issuer mimic cannot reach, by its JWKS
    /// (`kubectl get --raw /openid/v1/jwks > jwks.json`).
    Import {
        name: String,
        /// The issuer URL its tokens carry in `iss` (`kubectl get --raw /.well-known/openid-configuration`).
        #[arg(long)]
        issuer: String,
        /// The JWKS file.
        #[arg(long)]
        jwks: PathBuf,
    },
    /// One line per issuer: name, kind, issuer URL, key ids.
    List,
    /// A new signing key for a local issuer; the previous one stays published.
    Rotate { name: String },
    /// Forget an issuer (its keys too): tokens it signed stop verifying at once.
    Delete { name: String },
}

/// `mimic workload …`.
#[derive(Debug, clap::Subcommand)]
pub enum WorkloadCommand {
    /// Mint a service-account-style token of a local issuer (printed, or written to --out, 0600).
    Token(TokenArgs),
    /// Run a command as a workload-identity pod would run: its identity's client id, the tenant, a
    /// federated token file kept fresh, and the authority host, with mimic's CA trusted.
    Exec(ExecArgs),
}

/// Flags of `mimic workload token`.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// The local issuer (created on first use when it is `default`).
    #[arg(long, default_value = DEFAULT_ISSUER)]
    pub issuer: String,
    /// The `sub` claim, e.g. `system:serviceaccount:default:app` or `repo:org/repo:ref:refs/heads/main`.
    #[arg(long)]
    pub subject: String,
    /// The `aud` claim.
    #[arg(long, default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
    /// How long it is valid: seconds, or with a unit (`90s`, `10m`, `1h`); at most a day.
    #[arg(long, default_value = "1h", value_parser = parse_lifetime)]
    pub lifetime: i64,
    /// Write the token to this file (owner-only) instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Flags of `mimic workload exec`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExecArgs {
    /// The user-assigned identity: its name (in --resource-group) or full ARM id.
    #[arg(long)]
    pub identity: String,
    /// The resource group of an identity given by name (default: the fixture's group).
    #[arg(long, short = 'g')]
    pub resource_group: Option<String>,
    /// The `sub` of the federated token.
    #[arg(long)]
    pub subject: String,
    /// The local issuer (created on first use when it is `default`).
    #[arg(long, default_value = DEFAULT_ISSUER)]
    pub issuer: String,
    /// The `aud` of the federated token.
    #[arg(long, default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
    /// The token's lifetime (it is replaced when 80% of it has passed).
    #[arg(long, default_value = "1h", value_parser = parse_lifetime)]
    pub lifetime: i64,
    /// First create the identity's federated credential for this issuer and subject (named
    /// `mimic-{issuer}` unless --fic-name), through ARM as the operator.
    #[arg(long)]
    pub create_fic: bool,
    /// The federated credential's name for --create-fic.
    #[arg(long)]
    pub fic_name: Option<String>,
    /// Run in the sandbox (docs/hostnames.md): a new network and mount namespace with only
    /// loopback, where Azure's public names reach mimic over HTTPS with its CA trusted and the
    /// authority host is the real `https://login.microsoftonline.com/` (needs root).
    #[arg(long)]
    pub netns: bool,
    #[command(flatten)]
    pub credentials: Credentials,
    /// The command and its arguments, after `--`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

/// `90`, `90s`, `10m`, `1h`, `1d` → seconds.
fn parse_lifetime(text: &str) -> Result<i64, String> {
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let number: i64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration such as 3600, 90s, 10m or 1h"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("'{text}': the unit must be s, m, h or d")),
    };
    Ok(number * scale)
}

/// AAD's internal API, with the data dir's internal key.
struct Internal {
    http: reqwest::Client,
    base: String,
    key: mimic_web::InternalKey,
}

impl Internal {
    fn connect(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<Self> {
        let ca = std::fs::read_to_string(&endpoints.ca_cert)
            .context("reading the data dir's CA certificate")?;
        Ok(Self {
            http: mimic_web::https_client(&ca)?,
            base: endpoints.aad.trim_end_matches('/').to_string(),
            key: crate::persona::read_internal_key(dir)?,
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(mimic_web::INTERNAL_KEY_HEADER, self.key.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.context("calling AAD")?;
        let status = response.status().as_u16();
        let text = response.text().await.context("reading AAD's reply")?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Fails with AAD's message unless `status` is 2xx.
    fn check(status: u16, body: &Value, what: &str) -> anyhow::Result<()> {
        if (200..300).contains(&status) {
            return Ok(());
        }
        let message = body["error"]["message"]
            .as_str()
            .or(body["error_description"].as_str())
            .unwrap_or("no message");
        bail!("AAD refused {what} ({status}): {message}")
    }

    async fn ensure_default(&self, issuer: &str) -> anyhow::Result<()> {
        if issuer == DEFAULT_ISSUER {
            let (status, body) = self
                .send(
                    reqwest::Method::PUT,
                    &format!("/internal/issuers/{issuer}"),
                    None,
                )
                .await?;
            Self::check(status, &body, "creating the default issuer")?;
        }
        Ok(())
    }

    /// A token of `issuer` and when it expires.
    async fn mint(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        lifetime: i64,
    ) -> anyhow::Result<(String, String)> {
        let body = json!({"subject": subject, "audience": audience, "lifetime": lifetime});
        let (status, reply) = self
            .send(
                reqwest::Method::POST,
                &format!("/internal/issuers/{issuer}/token"),
                Some(&body),
            )
            .await?;
        Self::check(status, &reply, "a token")?;
        let token = reply["token"].as_str().context("AAD sent no token")?;
        let url = reply["issuer"].as_str().unwrap_or_default();
        Ok((token.to_string(), url.to_string()))
    }
}

/// Runs `mimic issuer …`.
pub async fn issuer(dir: &Path, command: IssuerCommand) -> anyhow::Result<ExitCode> {
    let endpoints = Endpoints::of_running(dir)?;
    let aad = Internal::connect(dir, &endpoints)?;
    let (method, path, body, what) = match &command {
        IssuerCommand::Create { name } => (
            reqwest::Method::PUT,
            format!("/internal/issuers/{name}"),
            None,
            "creating the issuer",
        ),
        IssuerCommand::Import { name, issuer, jwks } => {
            let text = std::fs::read_to_string(jwks)
                .with_context(|| format!("reading {}", jwks.display()))?;
            let jwks: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", jwks.display()))?;
            (
                reqwest::Method::PUT,
                format!("/internal/issuers/{name}"),
                Some(json!({"issuer": issuer, "jwks": jwks})),
                "the import",
            )
        }
        IssuerCommand::List => (
            reqwest::Method::GET,
            "/internal/issuers".to_string(),
            None,
            "the list",
        ),
        IssuerCommand::Rotate { name } => (
            reqwest::Method::POST,
            format!("/internal/issuers/{name}/rotate"),
            None,
            "the rotation",
        ),
        IssuerCommand::Delete { name } => (
            reqwest::Method::DELETE,
            format!("/internal/issuers/{name}"),
            None,
            "the deletion",
        ),
    };
    let (status, reply) = aad.send(method, &path, body.as_ref()).await?;
    if let Err(error) = Internal::check(status, &reply, what) {
        eprintln!("mimic: {error}");
        return Ok(ExitCode::FAILURE);
    }
    match command {
        IssuerCommand::List => {
            println!("{:<16} {:<9} {:<52} KEYS", "NAME", "KIND", "ISSUER");
            for issuer in reply["value"].as_array().into_iter().flatten() {
                let kids: Vec<&str> = issuer["kids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                println!(
                    "{:<16} {:<9} {:<52} {}",
                    issuer["name"].as_str().unwrap_or_default(),
                    issuer["kind"].as_str().unwrap_or_default(),
                    issuer["issuer"].as_str().unwrap_or_default(),
                    kids.join(",")
                );
            }
        }
        IssuerCommand::Rotate { .. } => println!("{}", reply["kid"].as_str().unwrap_or_default()),
        IssuerCommand::Delete { .. } => {}
        IssuerCommand::Create { .. } | IssuerCommand::Import { .. } => {
            println!("{}", reply["issuer"].as_str().unwrap_or_default())
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `mimic workload …`.
pub async fn workload(dir: &Path, command: WorkloadCommand) -> anyhow::Result<ExitCode> {
    let endpoints = Endpoints::of_running(dir)?;
    let aad = Internal::connect(dir, &endpoints)?;
    match command {
        WorkloadCommand::Token(args) => {
            aad.ensure_default(&args.issuer).await?;
            let (token, _) = aad
                .mint(&args.issuer, &args.subject, &args.audience, args.lifetime)
                .await?;
            match &args.out {
                Some(path) => mimic_web::files::write_private(path, &token)?,
                None => println!("{token}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        WorkloadCommand::Exec(args) => exec(dir, &endpoints, &aad, args).await,
    }
}

async fn exec(
    dir: &Path,
    endpoints: &Endpoints,
    aad: &Internal,
    args: ExecArgs,
) -> anyhow::Result<ExitCode> {
    let (program, program_args) = args
        .command
        .split_first()
        .context("mimic workload exec needs a command after --")?;
    // Checked first, before anything is written: no namespace, no command.
    if let Some(Err(message)) = args.netns.then(crate::sandbox::ensure_namespaces_possible) {
        eprintln!("{message}");
        return Ok(ExitCode::from(crate::sandbox::NAMESPACE_FAILURE));
    }
    aad.ensure_default(&args.issuer).await?;
    let identity_id = match args.identity.starts_with('/') {
        true => args.identity.clone(),
        false => format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
            endpoints.subscription_id,
            args.resource_group.as_deref().unwrap_or(&endpoints.resource_group),
            args.identity
        ),
    };
    let arm = Arm::connect(dir, endpoints, &args.credentials).await?;
    let path = format!("{identity_id}?api-version={MSI_API_VERSION}");
    let identity = arm.send(reqwest::Method::GET, &path, None).await?;
    if identity.status != 200 {
        return Ok(crate::vm_admin::refused("reading the identity", &identity));
    }
    let client_id = identity.body["properties"]["clientId"]
        .as_str()
        .context("the identity has no clientId")?
        .to_string();
    let tenant_id = identity.body["properties"]["tenantId"]
        .as_str()
        .unwrap_or(&endpoints.tenant_id)
        .to_string();
    let (token, issuer_url) = aad
        .mint(&args.issuer, &args.subject, &args.audience, args.lifetime)
        .await?;
    if args.create_fic {
        let name = args
            .fic_name
            .clone()
            .unwrap_or_else(|| format!("mimic-{}", args.issuer));
        let body = json!({"properties": {
            "issuer": issuer_url, "subject": args.subject, "audiences": [args.audience],
        }});
        let path = format!(
            "{identity_id}/federatedIdentityCredentials/{name}?api-version={MSI_API_VERSION}"
        );
        let reply = arm.send(reqwest::Method::PUT, &path, Some(&body)).await?;
        if !matches!(reply.status, 200 | 201) {
            return Ok(crate::vm_admin::refused(
                "creating the federated credential",
                &reply,
            ));
        }
    }
    // Where a pod finds its projected token: owner-only, removed when the command ends.
    let token_dir = tempfile::Builder::new()
        .prefix("workload-")
        .tempdir_in(dir)
        .context("creating the token directory")?;
    let token_file = token_dir.path().join("azure-identity-token");
    mimic_web::files::write_private(&token_file, &token)?;
    let refresher = tokio::spawn(refresh(
        Internal {
            http: aad.http.clone(),
            base: aad.base.clone(),
            key: aad.key.clone(),
        },
        args.clone(),
        token_file.clone(),
    ));
    let identity_environment = vec![
        ("AZURE_CLIENT_ID".to_string(), client_id),
        ("AZURE_TENANT_ID".to_string(), tenant_id),
        (
            "AZURE_FEDERATED_TOKEN_FILE".to_string(),
            token_file.display().to_string(),
        ),
    ];
    let status = match args.netns {
        true => sandboxed(dir, endpoints, identity_environment, &args.command).await?,
        false => on_host(dir, endpoints, identity_environment, program, program_args).await?,
    };
    refresher.abort();
    drop(token_dir);
    Ok(status)
}

/// The pod on the host network: mimic's own URLs, the authority host pointing at mimic's AAD.
async fn on_host(
    dir: &Path,
    endpoints: &Endpoints,
    mut environment: Vec<(String, String)>,
    program: &str,
    program_args: &[String],
) -> anyhow::Result<ExitCode> {
    let config_dir = dir
        .canonicalize()
        .context("resolving the data dir")?
        .join("az")
        .join("workload");
    environment.extend(crate::az::client_environment(endpoints, &config_dir));
    environment.push((
        "AZURE_AUTHORITY_HOST".to_string(),
        format!("{}/", endpoints.aad.trim_end_matches('/')),
    ));
    crate::az::prepare_config_dir(endpoints, &config_dir)?;
    let mut command = tokio::process::Command::new(program);
    command.args(program_args).envs(environment);
    // No managed-identity endpoint of a VM: the pod has only its federated token.
    for variable in [
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
    ] {
        command.env_remove(variable);
    }
    let status = command
        .status()
        .await
        .with_context(|| format!("running {program}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The pod in the sandbox: Azure's public names, and the authority host the AKS webhook sets for
/// the public cloud.
async fn sandboxed(
    dir: &Path,
    endpoints: &Endpoints,
    mut environment: Vec<(String, String)>,
    command_line: &[String],
) -> anyhow::Result<ExitCode> {
    environment.push((
        "AZURE_AUTHORITY_HOST".to_string(),
        PUBLIC_AUTHORITY_HOST.to_string(),
    ));
    let persona = crate::sandbox::Persona::Workload { environment };
    crate::sandbox::exec(dir, persona, endpoints, command_line).await
}

/// Replaces the token file when 80% of the token's lifetime has passed, as the kubelet does.
async fn refresh(aad: Internal, args: ExecArgs, file: PathBuf) {
    let period = Duration::from_secs((args.lifetime * 4 / 5).max(1) as u64);
    loop {
        tokio::time::sleep(period).await;
        match aad
            .mint(&args.issuer, &args.subject, &args.audience, args.lifetime)
            .await
        {
            Ok((token, _)) => {
                if let Err(error) = mimic_web::files::write_private(&file, &token) {
                    eprintln!("mimic: could not refresh the federated token: {error:#}");
                }
            }
            Err(error) => eprintln!("mimic: could not refresh the federated token: {error:#}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_take_units() {
        assert_eq!(parse_lifetime("3600"), Ok(3600));
        assert_eq!(parse_lifetime("90s"), Ok(90));
        assert_eq!(parse_lifetime("10m"), Ok(600));
        assert_eq!(parse_lifetime("1h"), Ok(3600));
        assert_eq!(parse_lifetime("1d"), Ok(86400));
        assert!(parse_lifetime("1w").is_err());
        assert!(parse_lifetime("h").is_err());
    }
}
