//! Files that hold secrets: the data dir is created `0700`, and every secret file (keys, databases,
//! `endpoints.json`) is created `0600` *at creation* — never written first and chmod-ed after, so
//! there is no moment in which another local user could open it.
//!
//! A data dir made by an older mimic (0755 with 0644 files) is tightened by [`tighten_dir`].

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Owner-only directory mode.
pub const DIR_MODE: u32 = 0o700;
/// Owner-only file mode.
pub const FILE_MODE: u32 = 0o600;

/// Creates `path` (and missing parents) owner-only; an existing directory is left as it is.
pub fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder
        .create(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// Creates `path` empty and owner-only unless it exists (e.g. a SQLite database before SQLite
/// opens it: SQLite then gives its `-wal` and `-shm` files the database file's mode).
pub fn create_private_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    private_options()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    Ok(())
}

/// Writes `contents` through a temporary sibling created owner-only, then renames it over `path`,
/// so readers never see half a file and nobody else ever sees it at all.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_with_mode(path, contents, FILE_MODE)
}

/// Like [`write_private`] for public material (certificates, port maps): `0644` whatever the
/// umask, in an owner-only directory.
pub fn write_public(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_with_mode(path, contents, 0o644)
}

fn write_with_mode(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    let dir = path.parent().context("a file path has a parent")?;
    create_private_dir(dir)?;
    let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
    let written = options_with_mode(mode)
        .create_new(true)
        .write(true)
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(contents.as_bytes())?;
            file.sync_all()
        });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(error).with_context(|| format!("writing {}", tmp.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}

fn private_options() -> std::fs::OpenOptions {
    options_with_mode(FILE_MODE)
}

/// `mode` is applied at creation; the umask can only remove bits from it.
fn options_with_mode(mode: u32) -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options
}

/// Makes an existing data dir owner-only: the directory and its subdirectories `0700`, every file
/// in them without group or other bits. Returns how many entries it changed (0 for a dir mimic made).
///
/// A root that is already `0700` is left as it is: nobody else can reach anything below it, and
/// mimic itself keeps public material (certificates, the CA bundle, port maps) `0644` in there.
#[cfg(unix)]
pub fn tighten_dir(root: &Path) -> anyhow::Result<usize> {
    use std::os::unix::fs::PermissionsExt;
    let root_mode = std::fs::metadata(root)
        .with_context(|| format!("reading {}", root.display()))?
        .permissions()
        .mode();
    if root_mode & 0o077 == 0 {
        return Ok(0);
    }
    let mut changed = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        changed += tighten(&dir, true)?;
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let Ok(entry) = entry else { continue };
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(kind) if kind.is_file() => changed += tighten(&entry.path(), false)?,
                _ => {}
            }
        }
    }
    Ok(changed)
}

/// Drops group and other bits (a directory becomes exactly 0700). A file that vanishes meanwhile is
/// skipped: SQLite removes `-wal`/`-shm` when the last connection of a previous run closes.
#[cfg(unix)]
fn tighten(path: &Path, is_dir: bool) -> anyhow::Result<usize> {
    use std::os::unix::fs::PermissionsExt;
    let gone = |error: &std::io::Error| error.kind() == std::io::ErrorKind::NotFound;
    let mode = match std::fs::metadata(path) {
        Ok(metadata) => metadata.permissions().mode() & 0o777,
        Err(error) if gone(&error) => return Ok(0),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    if mode & 0o077 == 0 {
        return Ok(0);
    }
    let wanted = match is_dir {
        true => DIR_MODE,
        false => mode & DIR_MODE,
    };
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted)) {
        Ok(()) => Ok(1),
        Err(error) if gone(&error) => Ok(0),
        Err(error) => Err(error).with_context(|| format!("tightening {}", path.display())),
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_and_dirs_are_owner_only_from_creation() {
        let root = std::env::temp_dir().join(format!("mimic-files-{}", uuid::Uuid::new_v4()));
        let dir = root.join("a").join("b");
        create_private_dir(&dir).unwrap();
        write_private(&dir.join("secret"), "s").unwrap();
        create_private_file(&dir.join("db")).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("secret")), 0o600);
        assert_eq!(mode(&dir.join("db")), 0o600);
        assert_eq!(std::fs::read_to_string(dir.join("secret")).unwrap(), "s");
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn tighten_dir_removes_group_and_other_bits() {
        let root = std::env::temp_dir().join(format!("mimic-files-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub").join("f"), "x").unwrap();
        for (path, bits) in [(&root, 0o755), (&root.join("sub"), 0o755)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits)).unwrap();
        }
        std::fs::set_permissions(
            root.join("sub").join("f"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();

        assert_eq!(tighten_dir(&root).unwrap(), 3);
        assert_eq!(tighten_dir(&root).unwrap(), 0);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("sub").join("f")), 0o600);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn tighten_dir_leaves_public_files_under_an_owner_only_root() {
        let root = std::env::temp_dir().join(format!("mimic-files-{}", uuid::Uuid::new_v4()));
        create_private_dir(&root).unwrap();
        write_public(&root.join("ca-bundle.pem"), "public").unwrap();
        assert_eq!(tighten_dir(&root).unwrap(), 0);
        assert_eq!(mode(&root.join("ca-bundle.pem")), 0o644);
        std::fs::remove_dir_all(root).unwrap();
    }
}
