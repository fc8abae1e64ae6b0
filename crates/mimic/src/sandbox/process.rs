//! The processes of a sandbox: signals passed on to the command, the byte relays between TCP and
//! unix sockets, and the command's exit status as mimic's.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// SIGTERM and SIGINT, caught: once installed they no longer end this process, and a signal that
/// arrives before the child exists is kept for it.
pub(super) struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    pub(super) fn install() -> anyhow::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("catching SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("catching SIGINT")?,
        })
    }
}

/// Runs a child and waits for it, passing SIGTERM on to it. SIGINT is passed on only when this
/// process is not in its terminal's foreground process group: at Ctrl-C the terminal sends SIGINT
/// to the whole group, child included, and a second one could cut short the child's own cleanup.
/// Either way this process stays (relaying) until the child ends.
pub(super) async fn wait_forwarding_signals(
    command: &mut tokio::process::Command,
    program: &str,
    signals: &mut Signals,
) -> anyhow::Result<std::process::ExitStatus> {
    let mut child = command
        .spawn()
        .with_context(|| format!("running {program}"))?;
    loop {
        tokio::select! {
            status = child.wait() => return status.with_context(|| format!("waiting for {program}")),
            Some(()) = signals.terminate.recv() => forward(&child, "TERM").await,
            Some(()) = signals.interrupt.recv() => {
                if !in_terminal_foreground() {
                    forward(&child, "INT").await;
                }
            }
        }
    }
}

/// Sends signal `name` to `child` (with kill(1): the crate forbids `unsafe`, which libc's would need).
async fn forward(child: &tokio::process::Child, name: &str) {
    let Some(pid) = child.id() else { return };
    let sent = tokio::process::Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .status()
        .await;
    if !sent.is_ok_and(|status| status.success()) {
        eprintln!("mimic: could not pass SIG{name} on to process {pid}");
    }
}

/// Whether this process is in the foreground process group of its controlling terminal
/// (`/proc/self/stat`: pgrp, field 5, equals tpgid, field 8). False without a terminal.
fn in_terminal_foreground() -> bool {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    in_foreground_by_stat(&stat)
}

fn in_foreground_by_stat(stat: &str) -> bool {
    // The command name (field 2) is in parentheses and may hold spaces and ')'.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return false;
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    match (fields.get(2), fields.get(5)) {
        (Some(pgrp), Some(tpgid)) => pgrp == tpgid,
        _ => false,
    }
}

pub(super) async fn relay_unix_to_tcp(listener: UnixListener, target: String) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

pub(super) async fn relay_tcp_to_unix(listener: TcpListener, socket: PathBuf) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let socket = socket.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = UnixStream::connect(&socket).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// A child's status as this process's exit code (a signal `n` → `128 + n`, as shells report it).
pub(super) fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(code.clamp(0, 255) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_foreground_by_stat_compares_the_process_group_with_the_terminals() {
        let cases = [
            ("4242 (mimic) S 1 4242 4242 34816 4242 4194560 0", true),
            ("4242 (mimic) S 1 4242 4242 34816 4300 4194560 0", false),
            ("4242 (mimic) S 1 4242 4242 0 -1 4194560 0", false),
            ("4242 (a) b) S 1 7 7 34816 7 0", true),
            ("garbage", false),
        ];
        for (stat, want) in cases {
            assert_eq!(in_foreground_by_stat(stat), want, "{stat}");
        }
    }
}
