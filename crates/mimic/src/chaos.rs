//! `mimic chaos`: faults on the managed-identity path of a running `mimic up`
//! (docs/reality-modes.md). Everything goes through AAD's internal API (`/internal/chaos…`, with
//! the internal key), which holds the fault book it shares with every VM's IMDS.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use mimic_aad::chaos::ChaosView;
use mimic_web::chaos::{Effect, Fault, FaultSpec, Scope, Service};

use crate::endpoints::Endpoints;

/// `mimic chaos …`.
#[derive(Debug, clap::Subcommand)]
pub enum ChaosCommand {
    /// Add a fault: `mimic chaos add vm1 imds 410 --for 70s`,
    /// `mimic chaos add vm1 imds 429 --count 3`,
    /// `mimic chaos add global aad temporarily_unavailable --probability 0.5`.
    Add(AddArgs),
    /// The active faults, the signing keys and AAD's clock skew.
    List,
    /// Remove one fault (by its number) or all of them.
    Clear {
        /// The fault's number (`mimic chaos list`); without it, every fault.
        id: Option<u32>,
    },
    /// Roll AAD's signing key over: a new key (new `kid`) signs from now on, the old one stays in
    /// the JWKS for the grace period, then is removed.
    Rollover {
        /// How long the old key stays published (e.g. `30s`, `10m`, `1h`; `0` removes it at once).
        #[arg(long, default_value = "1h", value_parser = parse_seconds)]
        grace: u64,
    },
    /// Shift AAD's clock for the tokens it issues (`iat`, `nbf`, `exp`) by SECONDS: `+600` ahead,
    /// `-600` behind, `0` back to true time. ARM allows 300 s of skew.
    Skew {
        /// Seconds, with a sign (`+600`, `-600`, `0`).
        #[arg(allow_hyphen_values = true, value_parser = parse_signed_seconds)]
        seconds: i64,
    },
}

/// `mimic chaos add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Whom: `global`, a VM's name, `vm:NAME`, `identity:CLIENT_OR_OBJECT_ID` or `resource:URI`.
    pub target: String,
    /// Which service answers: `imds` or `aad`.
    #[arg(value_parser = ["imds", "aad"])]
    pub service: String,
    /// What it answers. IMDS: 410, 429, 500, 503, delay, reset. AAD: 429, 500, 503,
    /// temporarily_unavailable, AADSTS50196, AADSTS90033, delay.
    pub fault: String,
    /// For how long (e.g. `70s`, `5m`); without it, until cleared or used up.
    #[arg(long = "for", value_parser = parse_seconds)]
    pub for_seconds: Option<u64>,
    /// For how many requests.
    #[arg(long)]
    pub count: Option<u32>,
    /// The chance (0–1] that a matching request is struck.
    #[arg(long)]
    pub probability: Option<f64>,
    /// How late a `delay` fault answers (e.g. `3s`, `500ms`).
    #[arg(long, value_parser = parse_millis)]
    pub delay: Option<u64>,
    /// `Retry-After` of a 429, in seconds (IMDS default 1, AAD 60).
    #[arg(long)]
    pub retry_after: Option<u32>,
}

/// Runs `mimic chaos …`: exit 0 when done, 1 when refused, 3 when mimic is not running.
pub async fn run(dir: &Path, command: ChaosCommand) -> anyhow::Result<ExitCode> {
    let endpoints = match Endpoints::running_or_exit(dir)? {
        Ok(endpoints) => endpoints,
        Err(code) => return Ok(code),
    };
    let aad = Aad::connect(dir, &endpoints)?;
    let outcome = match command {
        ChaosCommand::Add(args) => add(&aad, &endpoints, args).await?,
        ChaosCommand::List => Ok(describe(&aad.view().await?, aad.now())),
        ChaosCommand::Clear { id } => clear(&aad, id).await?,
        ChaosCommand::Rollover { grace } => rollover(&aad, grace).await?,
        ChaosCommand::Skew { seconds } => skew(&aad, seconds).await?,
    };
    match outcome {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal) => {
            eprintln!("mimic: {refusal}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Text to print, or why AAD (or the command line) refused.
type Outcome = Result<String, String>;

async fn add(aad: &Aad, endpoints: &Endpoints, args: AddArgs) -> anyhow::Result<Outcome> {
    let service = match args.service.as_str() {
        "imds" => Service::Imds,
        _ => Service::Aad,
    };
    let scope = match target(endpoints, &args.target) {
        Ok(scope) => scope,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let effect = match Effect::parse(service, &args.fault, args.delay) {
        Ok(effect) => effect,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let spec = FaultSpec {
        service,
        scope,
        effect,
        for_seconds: args.for_seconds,
        count: args.count,
        probability: args.probability,
        retry_after: args.retry_after,
    };
    let answer = aad.send(reqwest::Method::POST, "", Some(&spec)).await?;
    Ok(answer.map(|body| {
        let fault: Option<Fault> = serde_json::from_value(body).ok();
        match fault {
            Some(fault) => format!("added {}\n", fault_line(&fault, aad.now())),
            None => "added\n".into(),
        }
    }))
}

/// The scope `mimic chaos add` names: a bare name must be a running VM (its ARM id is used).
fn target(endpoints: &Endpoints, text: &str) -> Result<Scope, String> {
    let scope = Scope::parse(text)?;
    let explicit = text.trim().to_ascii_lowercase().starts_with("vm:");
    match scope {
        Scope::Vm(name) if !explicit => match endpoints.vm(&name) {
            Some(vm) => Ok(Scope::Vm(vm.id.clone())),
            None => {
                let names: Vec<&str> = endpoints.vms.iter().map(|vm| vm.name.as_str()).collect();
                Err(format!(
                    "no VM named '{name}' (VMs: {}); the target is global, a VM's name, vm:NAME, identity:ID or resource:URI",
                    names.join(", ")
                ))
            }
        },
        scope => Ok(scope),
    }
}

async fn clear(aad: &Aad, id: Option<u32>) -> anyhow::Result<Outcome> {
    let query = id.map(|id| format!("?id={id}")).unwrap_or_default();
    let answer = aad
        .send::<()>(reqwest::Method::DELETE, &query, None)
        .await?;
    Ok(answer.map(|body| {
        let removed = body["removed"].as_u64().unwrap_or_default();
        match removed {
            1 => "removed 1 fault\n".to_string(),
            n => format!("removed {n} faults\n"),
        }
    }))
}

async fn rollover(aad: &Aad, grace: u64) -> anyhow::Result<Outcome> {
    let body = serde_json::json!({ "graceSeconds": grace });
    let answer = aad
        .send(reqwest::Method::POST, "/rollover", Some(&body))
        .await?;
    Ok(answer.map(|body| {
        let text = |name: &str| body[name].as_str().unwrap_or_default().to_string();
        match grace {
            0 => format!(
                "AAD signs with kid {}; kid {} is no longer published\n",
                text("kid"),
                text("previousKid")
            ),
            _ => format!(
                "AAD signs with kid {}; kid {} stays in the JWKS for {grace} s, until {}\n",
                text("kid"),
                text("previousKid"),
                mimic_aad::error::format_timestamp(
                    body["previousUntil"].as_i64().unwrap_or_default()
                )
            ),
        }
    }))
}

async fn skew(aad: &Aad, seconds: i64) -> anyhow::Result<Outcome> {
    let body = serde_json::json!({ "seconds": seconds });
    let answer = aad.send(reqwest::Method::PUT, "/skew", Some(&body)).await?;
    Ok(answer.map(|_| format!("AAD's token clock is {}\n", signed(seconds))))
}

/// `mimic chaos list`: faults, keys, skew.
pub fn describe(view: &ChaosView, now: i64) -> String {
    let mut text = String::new();
    if view.faults.is_empty() {
        text.push_str("no faults\n");
    }
    for fault in &view.faults {
        text.push_str(&format!("{}\n", fault_line(fault, now)));
    }
    text.push_str(&keys_line(view, now));
    if view.clock_skew_seconds != 0 {
        text.push_str(&format!(
            "AAD's token clock is {}\n",
            signed(view.clock_skew_seconds)
        ));
    }
    text
}

/// The lines `mimic status` adds (nothing when no fault, rollover or skew is in effect).
pub fn status_lines(view: &ChaosView, now: i64) -> String {
    let mut text = String::new();
    if !view.faults.is_empty() {
        text.push_str(&format!("  faults            {}\n", view.faults.len()));
        for fault in &view.faults {
            text.push_str(&format!("    {}\n", fault_line(fault, now)));
        }
    }
    if !view.retiring_keys.is_empty() {
        text.push_str(&format!("  signing key       {}", keys_line(view, now)));
    }
    if view.clock_skew_seconds != 0 {
        text.push_str(&format!(
            "  AAD clock skew    {}\n",
            signed(view.clock_skew_seconds)
        ));
    }
    text
}

/// `#3 imds 410 on vm:… for 64 s more, 2 hits (mimic chaos)`.
fn fault_line(fault: &Fault, now: i64) -> String {
    let spec = &fault.spec;
    let mut text = format!(
        "#{} {} {} on {}",
        fault.id, spec.service, spec.effect, spec.scope
    );
    if let Some(until) = fault.until {
        text.push_str(&format!(", {} s left", (until - now).max(0)));
    }
    if let Some(remaining) = fault.remaining {
        text.push_str(&format!(", {remaining} requests left"));
    }
    if let Some(probability) = spec.probability {
        text.push_str(&format!(", probability {probability}"));
    }
    if let Some(retry_after) = spec.retry_after {
        text.push_str(&format!(", Retry-After {retry_after}"));
    }
    let origin = match fault.origin.as_str() {
        "setting" => "set at start",
        _ => "mimic chaos",
    };
    text.push_str(&format!(", {} hits ({origin})", fault.hits));
    text
}

fn keys_line(view: &ChaosView, now: i64) -> String {
    let mut text = format!("AAD signs with kid {}", view.signing_kid);
    for key in &view.retiring_keys {
        text.push_str(&format!(
            "; kid {} published {} s more",
            key.kid,
            (key.until - now).max(0)
        ));
    }
    text.push('\n');
    text
}

fn signed(seconds: i64) -> String {
    match seconds {
        0 => "true time (no skew)".into(),
        s if s > 0 => format!("+{s} s ahead"),
        s => format!("{s} s behind"),
    }
}

/// `70s`, `5m`, `1h`, `2d` or plain seconds.
fn parse_seconds(text: &str) -> Result<u64, String> {
    parse_millis(text).map(|ms| ms.div_ceil(1000))
}

/// `+600`, `-600`, `0`, also with a unit (`-10m`).
fn parse_signed_seconds(text: &str) -> Result<i64, String> {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let seconds = i64::try_from(parse_seconds(rest)?).map_err(|e| e.to_string())?;
    Ok(sign * seconds)
}

/// `500ms`, `3s`, `5m`, `1h`, `2d` or plain seconds, in milliseconds.
fn parse_millis(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (e.g. 70s, 5m, 500ms)"))?;
    let factor = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("'{text}': the units are ms, s, m, h and d")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("'{text}' is too long"))
}

/// AAD's chaos API, with the internal key.
struct Aad {
    http: reqwest::Client,
    url: String,
    key: mimic_web::InternalKey,
}

impl Aad {
    fn connect(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<Self> {
        let key = crate::persona::read_internal_key(dir)?;
        let ca =
            std::fs::read_to_string(&endpoints.ca_cert).context("reading the CA certificate")?;
        Ok(Self {
            http: mimic_web::https_client(&ca)?,
            url: format!("{}/internal/chaos", endpoints.aad),
            key,
        })
    }

    fn now(&self) -> i64 {
        mimic_token::Clock::system().now()
    }

    async fn view(&self) -> anyhow::Result<ChaosView> {
        fetch_view(&self.http, &self.url, &self.key).await
    }

    /// Sends a request; AAD's refusal (4xx) as its message.
    async fn send<T: serde::Serialize>(
        &self,
        method: reqwest::Method,
        suffix: &str,
        body: Option<&T>,
    ) -> anyhow::Result<Result<serde_json::Value, String>> {
        let mut request = self
            .http
            .request(method, format!("{}{suffix}", self.url))
            .header(mimic_web::INTERNAL_KEY_HEADER, self.key.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.context("asking AAD")?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.context("reading AAD's answer")?;
        if status.is_client_error() {
            let description = body["error_description"].as_str().unwrap_or_default();
            let first = description.lines().next().unwrap_or(description);
            return Ok(Err(first.to_string()));
        }
        if !status.is_success() {
            anyhow::bail!("AAD answered {status}: {body}");
        }
        Ok(Ok(body))
    }
}

/// `GET {aad}/internal/chaos`.
async fn fetch_view(
    http: &reqwest::Client,
    url: &str,
    key: &mimic_web::InternalKey,
) -> anyhow::Result<ChaosView> {
    http.get(url)
        .header(mimic_web::INTERNAL_KEY_HEADER, key.expose())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .context("asking AAD for its faults")?
        .json()
        .await
        .context("reading AAD's faults")
}

/// What `mimic status` adds about faults, from AAD at `aad_url`.
pub async fn status(
    http: &reqwest::Client,
    aad_url: &str,
    key: &mimic_web::InternalKey,
) -> anyhow::Result<String> {
    let view = fetch_view(http, &format!("{aad_url}/internal/chaos"), key).await?;
    Ok(status_lines(&view, mimic_token::Clock::system().now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_seconds("70s"), Ok(70));
        assert_eq!(parse_seconds("70"), Ok(70));
        assert_eq!(parse_seconds("5m"), Ok(300));
        assert_eq!(parse_seconds("1h"), Ok(3600));
        assert_eq!(parse_millis("500ms"), Ok(500));
        assert_eq!(parse_signed_seconds("+600"), Ok(600));
        assert_eq!(parse_signed_seconds("-10m"), Ok(-600));
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("5y").is_err());
    }

    #[test]
    fn fault_lines_say_what_where_and_how_long() {
        let fault = Fault {
            id: 3,
            spec: FaultSpec {
                service: Service::Imds,
                scope: Scope::Vm("vm1".into()),
                effect: Effect::Status(410),
                for_seconds: Some(70),
                count: None,
                probability: None,
                retry_after: None,
            },
            until: Some(1070),
            remaining: None,
            hits: 2,
            origin: "api".into(),
        };
        assert_eq!(
            fault_line(&fault, 1006),
            "#3 imds 410 on vm:vm1, 64 s left, 2 hits (mimic chaos)"
        );
    }
}
