//! `mimic hosts`: the `/etc/hosts` lines that make the running mimic's vault hosts
//! (`{vault}.vault.mimic.test`) resolve on this machine (docs/key-vault.md). `*.localhost` does not
//! resolve through glibc, and no DNS server answers for `vault.mimic.test`, so a client on the host
//! reaches a vault's data plane only through a hosts entry per vault.
//!
//! The vaults come from the running ARM, asked over HTTPS as the fixture operator (or
//! `--client-id`), exactly as a client would list them: each vault's `vaultUri` carries its host
//! name. The address is the one ARM listens on (`endpoints.json`), since ARM's listener serves
//! every vault. `--write FILE` keeps those lines in a marked block of FILE ([`BEGIN`] … [`END`]),
//! replaced whole on each run, every other line left as it was.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use crate::endpoints::Endpoints;
use crate::vm_admin::{refused, Arm, Credentials};

/// The first line of the block `--write` maintains.
pub const BEGIN: &str = "# mimic key vaults begin";
/// The last line of the block `--write` maintains.
pub const END: &str = "# mimic key vaults end";
/// Names per hosts line: some resolvers (and people) read long lines badly.
const NAMES_PER_LINE: usize = 8;
/// The api-version of the subscription list.
const SUBSCRIPTIONS_API_VERSION: &str = "2022-12-01";
/// The Key Vault api-version of the vault list.
const KEY_VAULT_API_VERSION: &str = "2023-07-01";

/// Flags of `mimic hosts`.
#[derive(Debug, Clone, clap::Args)]
pub struct HostsArgs {
    /// Keep the lines in a marked block (`# mimic key vaults begin` … `end`) of FILE instead of
    /// printing them: the block is replaced (or appended), every other line kept, and the file
    /// replaced atomically. For example `sudo mimic hosts --write /etc/hosts`.
    #[arg(long, value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub credentials: Credentials,
}

/// `mimic hosts [--write FILE]`.
pub async fn run(dir: &Path, args: HostsArgs) -> anyhow::Result<ExitCode> {
    let endpoints = Endpoints::of_running(dir)?;
    let address = listen_address(&endpoints.arm)?;
    let arm = Arm::connect(dir, &endpoints, &args.credentials).await?;
    let names = match vault_hosts(&arm).await? {
        Ok(names) => names,
        Err(code) => return Ok(code),
    };
    let lines = hosts_lines(&address, &names);
    match args.write {
        None => lines.iter().for_each(|line| println!("{line}")),
        Some(file) => {
            write_block(&file, &lines)?;
            eprintln!(
                "mimic: {} vault name(s) in the mimic block of {}",
                names.len(),
                file.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The address of ARM's listener in `arm_url` (`https://127.0.0.1:8443` → `127.0.0.1`).
pub fn listen_address(arm_url: &str) -> anyhow::Result<String> {
    let url =
        reqwest::Url::parse(arm_url).with_context(|| format!("parsing ARM's URL {arm_url}"))?;
    let host = url.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(ip.to_string()),
        Err(_) => anyhow::bail!("ARM's URL {arm_url} names no IP address for a hosts line"),
    }
}

/// The host names of every vault the caller can list, sorted, each once; or the exit code after
/// ARM refused a list (printed).
async fn vault_hosts(arm: &Arm) -> anyhow::Result<Result<Vec<String>, ExitCode>> {
    let path = format!("/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}");
    let subscriptions = match list(arm, &path, "listing subscriptions").await? {
        Ok(subscriptions) => subscriptions,
        Err(code) => return Ok(Err(code)),
    };
    let mut names = Vec::new();
    for subscription in subscriptions {
        let Some(id) = subscription["subscriptionId"].as_str() else {
            continue;
        };
        let path = format!(
            "/subscriptions/{id}/providers/Microsoft.KeyVault/vaults?api-version={KEY_VAULT_API_VERSION}"
        );
        let vaults = match list(arm, &path, &format!("listing the vaults of {id}")).await? {
            Ok(vaults) => vaults,
            Err(code) => return Ok(Err(code)),
        };
        names.extend(vaults.iter().filter_map(vault_host));
    }
    names.sort();
    names.dedup();
    Ok(Ok(names))
}

/// Every item of an ARM list, following `nextLink`.
async fn list(arm: &Arm, path: &str, what: &str) -> anyhow::Result<Result<Vec<Value>, ExitCode>> {
    let mut items = Vec::new();
    let mut next = Some(path.to_string());
    while let Some(path) = next.take() {
        let reply = arm.send(reqwest::Method::GET, &path, None).await?;
        if reply.status != 200 {
            return Ok(Err(refused(what, &reply)));
        }
        if let Some(values) = reply.body["value"].as_array() {
            items.extend(values.iter().cloned());
        }
        next = reply.body["nextLink"]
            .as_str()
            .and_then(|link| reqwest::Url::parse(link).ok())
            .map(|url| match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_string(),
            });
    }
    Ok(Ok(items))
}

/// The host of a vault's `properties.vaultUri`, lower-cased.
fn vault_host(vault: &Value) -> Option<String> {
    let uri = vault["properties"]["vaultUri"].as_str()?;
    let url = reqwest::Url::parse(uri).ok()?;
    Some(url.host_str()?.to_ascii_lowercase())
}

/// The hosts lines: `ADDRESS NAME…`, a few names a line; none without names.
pub fn hosts_lines(address: &str, names: &[String]) -> Vec<String> {
    names
        .chunks(NAMES_PER_LINE)
        .map(|chunk| format!("{address} {}", chunk.join(" ")))
        .collect()
}

/// A file whose marked block cannot be told apart safely: `--write` leaves it alone.
#[derive(Debug, PartialEq, Eq)]
pub struct BrokenBlock(pub String);

impl std::fmt::Display for BrokenBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; fix the file by hand, then run again", self.0)
    }
}

impl std::error::Error for BrokenBlock {}

/// `original` with its block ([`BEGIN`], `lines`, [`END`]) replaced, or appended when it has none.
/// Every line outside the block is kept byte for byte; a file with a begin marker but no end (or
/// the reverse, or two blocks) is refused rather than guessed at.
pub fn with_block(original: &str, lines: &[String]) -> Result<String, BrokenBlock> {
    let source: Vec<&str> = original.split_inclusive('\n').collect();
    let marked = |marker: &str| -> Vec<usize> {
        (0..source.len())
            .filter(|&index| source[index].trim() == marker)
            .collect()
    };
    let mut block = format!("{BEGIN}\n");
    for line in lines {
        block.push_str(line);
        block.push('\n');
    }
    block.push_str(END);
    block.push('\n');
    match (marked(BEGIN).as_slice(), marked(END).as_slice()) {
        ([], []) => {
            let mut text = original.to_string();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            Ok(text + &block)
        }
        ([begin], [end]) if begin < end => {
            let before: String = source[..*begin].concat();
            let after: String = source[end + 1..].concat();
            Ok(before + &block + &after)
        }
        (begins, ends) => Err(BrokenBlock(format!(
            "the mimic block is broken ({} '{BEGIN}' and {} '{END}' lines, or in the wrong order)",
            begins.len(),
            ends.len()
        ))),
    }
}

/// Rewrites `file`'s block with `lines` ([`with_block`]): through a sibling temporary file renamed
/// over it (the file's mode kept), so a reader never sees half a file. A file that cannot be
/// replaced by rename — `/etc/hosts` bind-mounted into a container — is rewritten in place.
pub fn write_block(file: &Path, lines: &[String]) -> anyhow::Result<()> {
    let original = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error).with_context(|| format!("reading {}", file.display())),
    };
    let text = with_block(&original, lines).map_err(|error| {
        anyhow::Error::new(error).context(format!("{} was not changed", file.display()))
    })?;
    if text == original {
        return Ok(());
    }
    let permissions = std::fs::metadata(file).map(|meta| meta.permissions());
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".mimic-hosts")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    let permissions = permissions.unwrap_or_else(|_| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o644)
    });
    temporary.as_file().set_permissions(permissions)?;
    match temporary.persist(file) {
        Ok(_) => Ok(()),
        Err(error)
            if matches!(
                error.error.kind(),
                std::io::ErrorKind::ResourceBusy | std::io::ErrorKind::CrossesDevices
            ) =>
        {
            std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))
        }
        Err(error) => Err(error.error).with_context(|| format!("replacing {}", file.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(names: &[&str]) -> Vec<String> {
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        hosts_lines("127.0.0.1", &names)
    }

    #[test]
    fn with_block_appends_a_block_and_keeps_every_line() {
        let original = "127.0.0.1 localhost\n10.0.0.5 box # mine\n";
        let text = with_block(original, &lines(&["v1.vault.mimic.test"])).unwrap();
        assert_eq!(
            text,
            "127.0.0.1 localhost\n10.0.0.5 box # mine\n\
             # mimic key vaults begin\n127.0.0.1 v1.vault.mimic.test\n# mimic key vaults end\n"
        );
    }

    #[test]
    fn with_block_completes_a_last_line_without_newline() {
        let text = with_block("127.0.0.1 localhost", &[]).unwrap();
        assert_eq!(text, format!("127.0.0.1 localhost\n{BEGIN}\n{END}\n"));
        assert_eq!(with_block("", &[]).unwrap(), format!("{BEGIN}\n{END}\n"));
    }

    #[test]
    fn with_block_replaces_the_block_in_place_and_nothing_else() {
        let original = format!(
            "127.0.0.1 localhost\r\n{BEGIN}\n127.0.0.1 old.vault.mimic.test\n{END}\n::1 after\n"
        );
        let text = with_block(
            &original,
            &lines(&["a.vault.mimic.test", "b.vault.mimic.test"]),
        );
        assert_eq!(
            text.unwrap(),
            format!(
                "127.0.0.1 localhost\r\n{BEGIN}\n127.0.0.1 a.vault.mimic.test b.vault.mimic.test\n\
                 {END}\n::1 after\n"
            )
        );
    }

    #[test]
    fn with_block_is_idempotent() {
        let once = with_block("127.0.0.1 localhost\n", &lines(&["v.vault.mimic.test"])).unwrap();
        let twice = with_block(&once, &lines(&["v.vault.mimic.test"])).unwrap();
        assert_eq!(once, twice);
    }

    #[test]
    fn with_block_refuses_broken_blocks() {
        let cases = [
            ("begin alone", format!("{BEGIN}\n1.2.3.4 x\n")),
            ("end alone", format!("1.2.3.4 x\n{END}\n")),
            ("end first", format!("{END}\n{BEGIN}\n")),
            ("two blocks", format!("{BEGIN}\n{END}\n{BEGIN}\n{END}\n")),
        ];
        for (case, original) in cases {
            assert!(with_block(&original, &[]).is_err(), "{case}");
        }
    }

    #[test]
    fn hosts_lines_put_a_few_names_on_each_line() {
        let names: Vec<String> = (0..10).map(|n| format!("v{n}.vault.mimic.test")).collect();
        let lines = hosts_lines("10.1.2.3", &names);
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("10.1.2.3 v0.vault.mimic.test "),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "10.1.2.3 v8.vault.mimic.test v9.vault.mimic.test");
        assert!(hosts_lines("127.0.0.1", &[]).is_empty());
    }

    #[test]
    fn listen_address_is_the_ip_of_arms_url() {
        assert_eq!(
            listen_address("https://127.0.0.1:8443").unwrap(),
            "127.0.0.1"
        );
        assert_eq!(listen_address("https://[::1]:8443").unwrap(), "::1");
        assert!(listen_address("https://arm:8443").is_err());
    }

    #[test]
    fn write_block_keeps_the_files_other_lines_and_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hosts");
        std::fs::write(&file, "127.0.0.1 localhost\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();

        write_block(&file, &lines(&["v.vault.mimic.test"])).unwrap();
        write_block(&file, &lines(&["w.vault.mimic.test"])).unwrap();

        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            format!("127.0.0.1 localhost\n{BEGIN}\n127.0.0.1 w.vault.mimic.test\n{END}\n")
        );
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn write_block_leaves_a_broken_file_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hosts");
        let original = format!("127.0.0.1 localhost\n{BEGIN}\n");
        std::fs::write(&file, &original).unwrap();
        let error = write_block(&file, &[]).unwrap_err();
        assert!(format!("{error:#}").contains("broken"), "{error:#}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    }
}
