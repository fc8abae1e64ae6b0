//! Following ARM's long-running operations the way azure-core's `ARMPolling` does
//! (azure/core/polling/base_polling.py): poll `Azure-AsyncOperation` until its `status` is
//! terminal, else `Location` until it stops answering 202, waiting `Retry-After` between polls.
//! Bounded: a test that waits too long fails instead of hanging.

use std::time::Duration;

use crate::{Client, Reply};

/// How many polls an operation gets before the test fails.
const MAX_POLLS: usize = 120;

impl Client {
    /// Polls the operation `initial` (a write's reply) started until it ends; returns the last
    /// poll's reply (the status body, or the `Location` result). A reply without either header
    /// is returned as it is (the write was not long-running).
    pub async fn wait_for_operation(&self, initial: &Reply, token: Option<&str>) -> Reply {
        let status_url = initial.header("azure-asyncoperation").to_string();
        let location = initial.header("location").to_string();
        let (url, by_status) = match (status_url.is_empty(), location.is_empty()) {
            (false, _) => (status_url, true),
            (true, false) => (location, false),
            (true, true) => return initial.clone(),
        };
        let path = path_of(&url);
        for _ in 0..MAX_POLLS {
            let poll = self.get(&path, token).await;
            let done = match by_status {
                true => {
                    assert_eq!(poll.status, 200, "status poll of {url}: {}", poll.text);
                    let status = poll.body["status"].as_str().unwrap_or_default();
                    !status.eq_ignore_ascii_case("InProgress")
                }
                false => poll.status != 202,
            };
            if done {
                return poll;
            }
            let seconds = poll.header("retry-after").parse().unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        }
        panic!("the operation at {url} did not end after {MAX_POLLS} polls");
    }

    /// [`Client::wait_for_operation`], asserting it succeeded.
    pub async fn assert_operation_succeeds(&self, initial: &Reply, token: Option<&str>) {
        let last = self.wait_for_operation(initial, token).await;
        let succeeded = match last.body["status"].as_str() {
            Some(status) => status == "Succeeded",
            None => matches!(last.status, 200 | 201 | 204),
        };
        assert!(
            succeeded,
            "the operation failed: {} {}",
            last.status, last.text
        );
    }
}

/// The path and query of an absolute URL (the client's base is the same host).
pub fn path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(index) => after_scheme[index..].to_string(),
        None => "/".to_string(),
    }
}
