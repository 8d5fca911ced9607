//! Confinement: cairn reads only regular files under the catalog root.
//!
//! A symbolic link can be committed to git, so a pull request can point one
//! at `/` (the walk would never end) or at `/etc` (cairn would quote other
//! files' lines in CI logs). Every path cairn reads from the working tree —
//! walked files, `Location` targets, placeholder targets, `templates/` —
//! goes through [`Confine`]: a link that resolves outside the root is
//! skipped with `symlink-outside-root`; a FIFO, socket or device named
//! `*.yaml` is skipped with `not-regular-file`, and files are opened
//! without blocking, so a read never waits on a pipe.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Code, Diagnostic, FilePosition};

/// The canonical catalog root, against which paths are checked.
#[derive(Debug, Clone)]
pub struct Confine {
    /// The root as given (for display paths).
    root: PathBuf,
    /// The root with every link resolved.
    canonical: PathBuf,
}

/// Where a path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Reach {
    /// Under the root (the canonical path).
    Inside(PathBuf),
    /// Outside the root, through a link or `..` (the canonical path).
    Outside(PathBuf),
    /// Nothing there (or a dangling link).
    Missing,
}

impl Confine {
    pub fn new(root: &Path) -> Confine {
        let canonical = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Confine {
            root: root.to_path_buf(),
            canonical,
        }
    }

    /// Where `path` leads once every link in it is resolved.
    pub fn reach(&self, path: &Path) -> Reach {
        match std::fs::canonicalize(path) {
            Ok(real) if real.starts_with(&self.canonical) => Reach::Inside(real),
            Ok(real) => Reach::Outside(real),
            Err(_) => Reach::Missing,
        }
    }

    /// Whether `path` resolves to somewhere under the root.
    pub fn contains(&self, path: &Path) -> bool {
        matches!(self.reach(path), Reach::Inside(_))
    }

    /// The warning for a link at `link` that leads to `target`, outside
    /// the root; the target is named only by its last component, so a
    /// diagnostic never spells out the machine's directory layout.
    pub fn outside_warning(&self, link: &Path, target: &Path) -> Diagnostic {
        let display = super::display_path(&self.root, link);
        Diagnostic::new(
            Code::SymlinkOutsideRoot,
            FilePosition::file_only(&display),
            format!(
                "`{display}` is a symbolic link that leads outside the catalog root (to `…/{}`); it is skipped",
                target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            ),
        )
        .with_help("cairn reads only files under the catalog root: copy the files into the repository, or add the directory as a `git:` source")
    }

    /// The warning for a path that is neither a regular file nor a
    /// directory (a FIFO, socket or device).
    pub fn special_file_warning(&self, path: &Path) -> Diagnostic {
        let display = super::display_path(&self.root, path);
        Diagnostic::new(
            Code::NotRegularFile,
            FilePosition::file_only(&display),
            format!("`{display}` is not a regular file (a pipe, socket or device); it is skipped"),
        )
        .with_help("replace it with a regular file, or delete it")
    }
}

/// Opens `path` for reading without ever blocking (a FIFO would block
/// `open` until a writer came), and refuses anything but a regular file.
/// Also returns the file's size when opened.
fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a pipe, socket or device)",
        ));
    }
    Ok((file, metadata.len()))
}

/// What [`read_regular`] found in a regular file.
#[derive(Debug, PartialEq, Eq)]
pub enum Contents {
    /// The whole file.
    Bytes(Vec<u8>),
    /// The file's size in bytes, larger than the limit: it was not read
    /// whole.
    TooLarge(u64),
}

/// Reads a regular file of at most `limit` bytes, never blocking (see
/// [`open_regular`]). The buffer is sized from the file's size, so a read
/// costs two `read` calls and no reallocation; a file that grows past the
/// limit while it is read is still refused, after `limit + 1` bytes.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Contents> {
    use std::io::Read;
    let (file, size) = open_regular(path)?;
    if size > limit {
        return Ok(Contents::TooLarge(size));
    }
    // One byte of room past the end: the read that finds the end needs no
    // larger buffer.
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Contents::TooLarge(bytes.len() as u64));
    }
    Ok(Contents::Bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_judged_by_where_they_lead() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/x.yaml"), "x: 1").unwrap();
        std::fs::write(dir.path().join("secret.yaml"), "x: 1").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("a"), root.join("inside")).unwrap();
            std::os::unix::fs::symlink(dir.path().join("secret.yaml"), root.join("out.yaml")).unwrap();
            std::os::unix::fs::symlink(dir.path().join("gone"), root.join("dangling")).unwrap();
        }
        let confine = Confine::new(&root);
        assert!(confine.contains(&root.join("inside/x.yaml")));
        assert!(matches!(confine.reach(&root.join("out.yaml")), Reach::Outside(_)));
        assert!(matches!(
            confine.reach(&root.join("a/../../secret.yaml")),
            Reach::Outside(_)
        ));
        assert_eq!(confine.reach(&root.join("dangling")), Reach::Missing);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.yaml");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let error = open_regular(&fifo).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(
            open_regular(dir.path()).is_err(),
            "a directory is not a regular file either"
        );
    }

    #[test]
    fn read_regular_refuses_a_file_over_the_limit_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.yaml");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(
            read_regular(&path, 10).unwrap(),
            Contents::Bytes(b"0123456789".to_vec())
        );
        assert_eq!(read_regular(&path, 9).unwrap(), Contents::TooLarge(10));
        std::fs::write(&path, "").unwrap();
        assert_eq!(read_regular(&path, 0).unwrap(), Contents::Bytes(Vec::new()));
    }
}
