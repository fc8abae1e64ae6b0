//! The Dockerfile's and docker-compose.yml's command lines parse against the binary's own command
//! line (no Docker engine here), and `mimic up --listen` binds where it is told (loopback only).

use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use mimic::cli::{Cli, Command};
use mimic_testkit::TestMimic;

fn repository_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `(instruction, rest)` for every Dockerfile instruction, continuation lines joined.
fn dockerfile_instructions(text: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .into_iter()
        .filter_map(|line| {
            let (word, rest) = line.split_once(char::is_whitespace)?;
            Some((word.to_ascii_uppercase(), rest.trim().to_string()))
        })
        .collect()
}

/// A JSON array of strings (the exec form); a shell-form line fails the test.
fn exec_form(text: &str, what: &str) -> Vec<String> {
    serde_json::from_str(text.trim())
        .unwrap_or_else(|error| panic!("{what} is not a JSON array of strings ({error}): {text}"))
}

/// The Dockerfile's `ENV` pairs (`KEY=VALUE …` form).
fn dockerfile_env(instructions: &[(String, String)]) -> Vec<(String, String)> {
    instructions
        .iter()
        .filter(|(word, _)| word == "ENV")
        .flat_map(|(_, rest)| rest.split_whitespace())
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("ENV KEY=VALUE");
            (key.to_string(), value.trim_matches('"').to_string())
        })
        .collect()
}

/// The Dockerfile's command lines: ENTRYPOINT + CMD, and HEALTHCHECK's CMD.
fn dockerfile_lines() -> (Vec<Vec<String>>, Vec<(String, String)>) {
    let instructions = dockerfile_instructions(&repository_file("Dockerfile"));
    let last = |word: &str| {
        instructions
            .iter()
            .rev()
            .find(|(w, _)| w == word)
            .map(|(_, rest)| exec_form(rest, word))
    };
    let mut run = last("ENTRYPOINT").unwrap_or_default();
    run.extend(last("CMD").expect("the Dockerfile has a CMD"));
    let health = instructions
        .iter()
        .find(|(word, _)| word == "HEALTHCHECK")
        .map(|(_, rest)| {
            let (_, command) = rest.split_once("CMD ").expect("HEALTHCHECK … CMD [...]");
            exec_form(command, "HEALTHCHECK CMD")
        })
        .expect("the Dockerfile has a HEALTHCHECK");
    (vec![run, health], dockerfile_env(&instructions))
}

/// docker-compose.yml's `command:` and healthcheck `test:` arrays (a JSON array may span lines),
/// and its `environment:` block's `KEY: value` lines.
fn compose_lines() -> (Vec<Vec<String>>, Vec<(String, String)>) {
    let text = repository_file("docker-compose.yml");
    let lines: Vec<&str> = text.lines().collect();
    let mut commands = Vec::new();
    let mut env = Vec::new();
    let mut in_environment = false;
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if in_environment {
            match trimmed.split_once(": ") {
                Some((key, value)) if key.starts_with("MIMIC_") => {
                    env.push((key.to_string(), value.trim().to_string()));
                    continue;
                }
                _ => in_environment = false,
            }
        }
        if trimmed == "environment:" {
            in_environment = true;
            continue;
        }
        let Some((key, rest)) = trimmed.split_once(':') else {
            continue;
        };
        if key != "command" && key != "test" {
            continue;
        }
        let mut array = rest.trim().to_string();
        let mut next = index + 1;
        while array.matches('[').count() > array.matches(']').count() {
            array.push_str(lines[next].trim());
            next += 1;
        }
        let mut words = exec_form(&array, &format!("compose `{key}:` line {}", index + 1));
        if key == "test" {
            assert_eq!(words.remove(0), "CMD", "healthcheck test in exec form");
        }
        commands.push(words);
    }
    (commands, env)
}

/// `line` with `env`'s MIMIC_* variables as the flags that read them (clap reads the process
/// environment, which a test must not change), so the values are checked by the same parser.
fn with_env(line: &[String], env: &[(String, String)]) -> Vec<String> {
    let root = Cli::command();
    let sub = root
        .find_subcommand(&line[1])
        .unwrap_or_else(|| panic!("no subcommand {:?}", line[1]));
    let mut args = line.to_vec();
    for (key, value) in env {
        let flag = sub
            .get_arguments()
            .chain(root.get_arguments())
            .find(|arg| arg.get_env().is_some_and(|name| name == key.as_str()));
        let Some(flag) = flag else { continue };
        let long = flag.get_long().expect("env-backed flags are long flags");
        let given =
            |arg: &String| arg == &format!("--{long}") || arg.starts_with(&format!("--{long}="));
        if line.iter().any(given) {
            continue; // A flag on the line wins over its variable, as in clap.
        }
        if flag.get_action().takes_values() {
            args.push(format!("--{long}={value}"));
        } else if value == "true" || value == "1" {
            args.push(format!("--{long}"));
        }
    }
    args
}

/// Whether some flag of `mimic SUBCOMMAND` (or a global one) reads `key`.
fn read_by(subcommand: &str, key: &str) -> bool {
    let root = Cli::command();
    let sub = root
        .find_subcommand(subcommand)
        .expect("a subcommand of mimic");
    let found = sub
        .get_arguments()
        .chain(root.get_arguments())
        .any(|arg| arg.get_env().is_some_and(|name| name == key));
    found
}

fn parse(line: &[String], env: &[(String, String)]) -> Cli {
    assert_eq!(line[0], "mimic", "every line runs the binary: {line:?}");
    let args = with_env(line, env);
    Cli::try_parse_from(&args).unwrap_or_else(|error| panic!("{args:?} does not parse:\n{error}"))
}

#[test]
fn the_dockerfile_runs_mimic_up_on_every_interface_and_checks_arms_health() {
    let (lines, env) = dockerfile_lines();
    let [run, health] = &lines[..] else {
        panic!("{lines:?}")
    };

    for (key, _) in env.iter().filter(|(key, _)| key.starts_with("MIMIC_")) {
        assert!(
            read_by("up", key),
            "ENV {key} is read by no flag of `mimic up`"
        );
    }
    let Command::Up(up) = parse(run, &env).command else {
        panic!("the image runs `mimic up`: {run:?}")
    };
    assert_eq!(up.arm_bind(), "0.0.0.0:8443");
    assert_eq!(up.aad_bind(), "0.0.0.0:8444");
    assert!(!up.tls_names.is_empty(), "the certificate names the host");
    let loopback = std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST);
    assert_eq!(
        up.imds_binding(),
        (loopback, None),
        "IMDS stays on loopback"
    );
    let Command::Healthcheck { url, .. } = parse(health, &env).command else {
        panic!("HEALTHCHECK runs `mimic healthcheck`: {health:?}")
    };
    assert_eq!(url, "https://127.0.0.1:8443/healthz");
    let cli = parse(health, &env);
    assert_eq!(cli.data_dir, Some(PathBuf::from("/data")), "the volume");
}

#[test]
fn every_compose_command_and_healthcheck_parses_and_opens_the_internal_api_where_needed() {
    let (lines, env) = compose_lines();
    let subcommands: Vec<&str> = lines.iter().map(|line| line[1].as_str()).collect();
    assert!(subcommands.contains(&"aad") && subcommands.contains(&"arm"));
    assert!(subcommands.contains(&"imds") && subcommands.contains(&"healthcheck"));

    for line in &lines {
        match parse(line, &env).command {
            Command::Aad(aad) => assert!(aad.internal_api_on_network, "{line:?}"),
            Command::Arm(arm) => assert!(arm.internal_api_on_network, "{line:?}"),
            Command::Init { .. } | Command::Imds(_) | Command::Healthcheck { .. } => {}
            other => panic!("compose runs one service per container, not {other:?}"),
        }
    }
}

#[test]
fn a_line_that_does_not_parse_is_caught() {
    let line: Vec<String> = ["mimic", "up", "--listen", "0.0.0.0:8443"]
        .map(String::from)
        .to_vec();
    assert!(Cli::try_parse_from(with_env(&line, &[])).is_err());
    let env = [("MIMIC_IMDS_BASE_PORT".to_string(), "not-a-port".to_string())];
    let up = ["mimic", "up"].map(String::from).to_vec();
    assert!(Cli::try_parse_from(with_env(&up, &env)).is_err());
}

#[tokio::test]
async fn listen_binds_arm_and_aad_on_the_given_address_and_endpoints_json_says_so() {
    // 127.0.0.2 is loopback (127.0.0.0/8) yet not the default, so a bind that ignored --listen
    // would show; --tls-name puts it in the certificate, or the HTTPS checks below would fail.
    let mimic = TestMimic::start_with(|args| {
        args.listen = Some("127.0.0.2".parse().unwrap());
        args.arm_addr = Some(":0".into());
        args.aad_addr = Some(":0".into());
        args.tls_names = vec!["127.0.0.2".into()];
    })
    .await;
    let text = std::fs::read_to_string(mimic.dir.path().join("endpoints.json")).unwrap();
    let endpoints: serde_json::Value = serde_json::from_str(&text).unwrap();

    for service in ["arm", "aad"] {
        let url = endpoints[service].as_str().unwrap();
        assert!(url.starts_with("https://127.0.0.2:"), "{service}: {url}");
        let health = mimic
            .http
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{service}");
        let port = url.rsplit(':').next().unwrap();
        let elsewhere = mimic
            .http
            .get(format!("https://127.0.0.1:{port}/healthz"))
            .send()
            .await;
        assert!(elsewhere.is_err(), "{service} is not on 127.0.0.1");
    }
    // IMDS stayed on 127.0.0.1 and its internal calls to ARM (loopback peers) went through.
    let vm = endpoints["vms"][0]["imds"].as_str().unwrap();
    assert!(vm.starts_with("http://127.0.0.1:"), "{vm}");
}
