//! Crash safety across AAD's and ARM's stores: `mimic up` is SIGKILLed in the middle of a stream
//! of identity creates, 20 times over one data dir. After the restart that follows, no
//! managed-identity principal is orphaned, no display name is doubled, and every create that was
//! acknowledged (201) is there.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

const ROUNDS: usize = 20;
const WRITERS: usize = 4;

struct Running {
    child: Child,
    endpoints: Value,
    http: reqwest::Client,
}

/// `mimic up` on free ports; returns once `endpoints.json` is written anew.
fn start(dir: &Path) -> Running {
    let _ = std::fs::remove_file(dir.join("endpoints.json"));
    let child = support::up_command(dir, &[], "").spawn().unwrap();
    Running {
        child,
        endpoints: support::wait_for_endpoints(dir),
        http: support::https_client(dir),
    }
}

impl Running {
    fn text(&self, pointer: &str) -> String {
        support::text(&self.endpoints, pointer)
    }

    async fn operator_token(&self) -> String {
        support::operator_token(&self.http, &self.endpoints).await
    }

    fn identities_url(&self) -> String {
        format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
            self.text("/arm"),
            self.text("/subscription_id"),
            self.text("/resource_group")
        )
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Creates identities `round-{round}-{writer}-{n}` until the process dies; records each 201.
async fn create_stream(
    running: &Running,
    token: &str,
    round: usize,
    acknowledged: Arc<Mutex<Vec<String>>>,
) {
    let writers = (0..WRITERS).map(|writer| {
        let acknowledged = acknowledged.clone();
        async move {
            for n in 0.. {
                let name = format!("round-{round}-{writer}-{n}");
                let url = format!("{}/{name}?api-version=2024-11-30", running.identities_url());
                let sent = running
                    .http
                    .put(url)
                    .bearer_auth(token)
                    .json(&json!({"location": "eastus"}))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 201 => {
                        acknowledged.lock().unwrap().push(name)
                    }
                    Ok(response) => assert!(
                        response.status().is_success(),
                        "{name}: {}",
                        response.status()
                    ),
                    Err(_) => return, // the process is gone
                }
            }
        }
    });
    futures::future::join_all(writers).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_identity_creates_leaves_no_orphan_and_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));

    for round in 0..ROUNDS {
        let running = start(dir.path());
        let token = running.operator_token().await;
        // Kill at a different moment each round: 80 ms to 460 ms into the stream.
        let delay = Duration::from_millis(80 + (round as u64 * 20));
        tokio::select! {
            _ = create_stream(&running, &token, round, acknowledged.clone()) => {}
            _ = tokio::time::sleep(delay) => {}
        }
        running.kill();
    }

    let running = start(dir.path());
    let token = running.operator_token().await;
    // ARM pages identities at 500, as Azure does: follow nextLink to the end.
    let mut listed: Vec<Value> = Vec::new();
    let mut next = Some(format!(
        "{}?api-version=2024-11-30",
        running.identities_url()
    ));
    while let Some(url) = next {
        let page: Value = running
            .http
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listed.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["nextLink"].as_str().map(str::to_string);
    }
    let key = std::fs::read_to_string(dir.path().join("internal.key")).unwrap();
    let principals: Value = running
        .http
        .get(format!(
            "{}/internal/servicePrincipals?servicePrincipalType=ManagedIdentity",
            running.text("/aad")
        ))
        .header(mimic_web::INTERNAL_KEY_HEADER, key.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    running.kill();

    let identities: HashMap<String, String> = listed
        .iter()
        .map(|identity| {
            (
                identity["name"].as_str().unwrap().to_string(),
                identity["properties"]["principalId"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(identities.len(), listed.len(), "an identity listed twice");
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= ROUNDS,
        "the stream barely ran: {acknowledged:?}"
    );
    for name in &acknowledged {
        assert!(
            identities.contains_key(name),
            "acknowledged {name} was lost"
        );
    }
    let principals = principals["value"].as_array().unwrap();
    let owned: HashSet<&String> = identities.values().collect();
    let orphans: Vec<&Value> = principals
        .iter()
        .filter(|principal| !owned.contains(&principal["id"].as_str().unwrap().to_string()))
        .collect();
    assert!(orphans.is_empty(), "orphaned principals: {orphans:?}");
    let names: Vec<&str> = principals
        .iter()
        .map(|principal| principal["displayName"].as_str().unwrap())
        .collect();
    let distinct: HashSet<&&str> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "duplicate display names");
    assert_eq!(principals.len(), identities.len());
}
