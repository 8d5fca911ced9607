//! The atomic writer: a directory of output replaced in one step.
//!
//! The new tree is written into a fresh directory beside the output
//! (`.cairn-build-<name>-XXXXXX`), then swapped in. On Linux the swap is
//! one `renameat2(RENAME_EXCHANGE)`: at every instant the output path holds
//! either the old tree or the new one, whatever kills the process. Where
//! the file system cannot exchange, the old tree is first renamed aside
//! (`.cairn-old-<name>-XXXXXX/previous`) and the new one renamed in; a
//! crash between the two leaves the output missing, and the next run
//! ([`recover`]) puts the previous tree back. Every run also removes the
//! staging directories killed runs left behind. Runs writing beside the
//! same directory take a lock on it, so one never removes another's
//! staging directory.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context};

use crate::output::safe_relative_path;

/// Replaces `out_dir` with the files `render` puts into the [`DirSink`]
/// it is given, atomically: each file is written, as soon as it is
/// rendered, into a temporary directory next to `out_dir`, which is then
/// swapped into place; the old output is removed only after the swap. On
/// error the old output is untouched and the temporary directory removed.
/// Refuses a path that is not [`safe_relative_path`], an `out_dir` that is
/// (or contains) the catalog `root`, and an `out_dir` that exists but is
/// not a directory. Returns the number of files and bytes written.
pub fn write_streaming(
    root: &Path,
    out_dir: &Path,
    render: impl FnOnce(&DirSink) -> anyhow::Result<()>,
) -> anyhow::Result<Written> {
    let mut written = Written::default();
    replace_dir(root, out_dir, |staging| {
        let sink = DirSink::new(staging);
        render(&sink)?;
        written = sink.finish()?;
        Ok(())
    })?;
    Ok(written)
}

/// What a build wrote: every file with its size (the build cache's
/// manifest), and the bytes written (files linked from the previous output
/// count in the manifest, not in `bytes`).
#[derive(Debug, Default)]
pub struct Written {
    pub manifest: BTreeMap<String, u64>,
    pub bytes: usize,
}

/// A [`super::Sink`] that writes each file under a directory as it comes
/// (from any thread), creating directories as needed; the first failure
/// is kept and returned by [`DirSink::finish`].
pub struct DirSink {
    dir: PathBuf,
    made: Mutex<HashSet<String>>,
    manifest: Mutex<BTreeMap<String, u64>>,
    bytes: AtomicUsize,
    failure: Mutex<Option<anyhow::Error>>,
}

impl DirSink {
    fn new(dir: &Path) -> DirSink {
        DirSink {
            dir: dir.to_path_buf(),
            made: Mutex::default(),
            manifest: Mutex::default(),
            bytes: AtomicUsize::new(0),
            failure: Mutex::default(),
        }
    }

    /// Makes `relative`'s parent directory, once.
    fn parent(&self, relative: &str) -> anyhow::Result<()> {
        if !safe_relative_path(relative) {
            bail!("refusing to write `{relative}`: not a plain relative path");
        }
        if let Some((parent, _)) = relative.rsplit_once('/') {
            let known = self.made.lock().unwrap_or_else(|p| p.into_inner()).contains(parent);
            if !known {
                let path = self.dir.join(parent);
                std::fs::create_dir_all(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
                self.made
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(parent.to_string());
            }
        }
        Ok(())
    }

    fn write(&self, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.parent(relative)?;
        let path = self.dir.join(relative);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write `{}`", path.display()))
    }

    /// Puts the file at `from` (the previous output's copy of `relative`,
    /// unchanged, `size` bytes long) into the new output: a hard link, or a
    /// copy where the file system cannot link.
    pub fn keep(&self, from: &Path, relative: &str, size: u64) {
        let kept = self.parent(relative).and_then(|()| {
            let to = self.dir.join(relative);
            std::fs::hard_link(from, &to)
                .or_else(|_| std::fs::copy(from, &to).map(drop))
                .with_context(|| format!("cannot keep `{}`", from.display()))?;
            Ok(size)
        });
        self.record(relative, kept, 0);
    }

    fn record(&self, relative: &str, result: anyhow::Result<u64>, written: usize) {
        match result {
            Ok(size) => {
                self.manifest
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(relative.to_string(), size);
                self.bytes.fetch_add(written, Ordering::Relaxed);
            }
            Err(error) => {
                self.failure
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert(error);
            }
        }
    }

    /// What was written, or the first failure.
    fn finish(self) -> anyhow::Result<Written> {
        match self.failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(error) => Err(error),
            None => Ok(Written {
                manifest: self.manifest.into_inner().unwrap_or_else(|p| p.into_inner()),
                bytes: self.bytes.into_inner(),
            }),
        }
    }
}

impl super::Sink for DirSink {
    fn put(&self, path: String, bytes: Vec<u8>) {
        let written = self.write(&path, &bytes).map(|()| bytes.len() as u64);
        self.record(&path, written, bytes.len());
    }
}

/// Replaces `out_dir` with what `fill` writes into an empty temporary
/// directory beside it, with the checks and the swap of
/// [`write_streaming`].
pub(crate) fn replace_dir(
    root: &Path,
    out_dir: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (parent, target) = output_target(root, out_dir)?;
    let _lock = lock(&parent);
    restore_and_tidy(&parent, &target)?;
    let staging = tempfile::Builder::new()
        .prefix(&staging_prefix(STAGING, &target))
        .tempdir_in(&parent)
        .context("cannot create a temporary directory for the build")?;
    fill(staging.path())?;
    swap_in(staging, &parent, &target)
}

/// What a run does before it writes `out_dir` (or, for a build with
/// errors, instead of writing it): puts back the previous output if a
/// killed run left it aside, and removes what killed runs left behind.
pub fn recover(root: &Path, out_dir: &Path) -> anyhow::Result<()> {
    // Nothing to recover beside a directory that does not exist, and an
    // output path the writer would refuse is reported when writing.
    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Ok(());
    }
    let Ok((parent, target)) = output_target(root, out_dir) else {
        return Ok(());
    };
    let _lock = lock(&parent);
    restore_and_tidy(&parent, &target)
}

/// Prefixes of the directories a run makes beside its output.
const STAGING: &str = ".cairn-build-";
const TRASH: &str = ".cairn-old-";

/// `.cairn-build-<name>-`: the output's name is part of the prefix, so
/// two outputs in one directory never take each other's leftovers.
fn staging_prefix(kind: &str, target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    format!("{kind}{name}-")
}

/// Whether `entry_name` is a directory `tempfile` made with `prefix`
/// (the prefix and six random letters or digits).
fn made_with(entry_name: &str, prefix: &str) -> bool {
    entry_name
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// An exclusive lock on `parent` (held until dropped), where the platform
/// can lock a directory; without it the run goes on unlocked.
fn lock(parent: &Path) -> Option<File> {
    let dir = File::open(parent).ok()?;
    dir.lock().ok()?;
    Some(dir)
}

/// Restores `target` from the newest `.cairn-old-<name>-*/previous` when
/// `target` is missing, then removes every leftover staging and trash
/// directory of `target`.
fn restore_and_tidy(parent: &Path, target: &Path) -> anyhow::Result<()> {
    let (staging, trash) = (staging_prefix(STAGING, target), staging_prefix(TRASH, target));
    let mut leftovers: Vec<PathBuf> = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if made_with(&name, &staging) || made_with(&name, &trash) {
            leftovers.push(entry.path());
        }
    }
    if std::fs::symlink_metadata(target).is_err() {
        let newest = leftovers
            .iter()
            .map(|dir| dir.join("previous"))
            .filter(|previous| previous.is_dir())
            .max_by_key(|previous| previous.metadata().and_then(|m| m.modified()).ok());
        if let Some(previous) = newest {
            std::fs::rename(&previous, target).with_context(|| {
                format!(
                    "cannot restore the previous output `{}` from `{}`",
                    target.display(),
                    previous.display()
                )
            })?;
        }
    }
    for leftover in leftovers {
        std::fs::remove_dir_all(&leftover)
            .with_context(|| format!("cannot remove `{}`, left by an interrupted build", leftover.display()))?;
    }
    Ok(())
}

/// The canonical parent of `out_dir` (created if missing) and the output
/// directory's path in it, after the checks that protect the catalog.
fn output_target(root: &Path, out_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let root = std::fs::canonicalize(root).with_context(|| format!("cannot resolve `{}`", root.display()))?;
    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let parent = std::fs::canonicalize(parent).with_context(|| format!("cannot resolve `{}`", parent.display()))?;
    let name = out_dir
        .file_name()
        .with_context(|| format!("`{}` is not a directory name", out_dir.display()))?;
    let target = parent.join(name);
    if root.starts_with(&target) {
        bail!(
            "refusing to write the output to `{}`: it contains the catalog",
            out_dir.display()
        );
    }
    if std::fs::metadata(&target).is_ok_and(|m| !m.is_dir()) {
        bail!(
            "refusing to replace `{}`: it exists and is not a directory",
            out_dir.display()
        );
    }
    Ok((parent, target))
}

/// Puts `staging` at `target`: one atomic exchange where the file system
/// can, else the previous tree is moved aside first (see the module doc).
fn swap_in(staging: tempfile::TempDir, parent: &Path, target: &Path) -> anyhow::Result<()> {
    let had_old = match std::fs::symlink_metadata(target) {
        Ok(_) => true,
        Err(error) if error.kind() == ErrorKind::NotFound => false,
        Err(error) => return Err(error).with_context(|| format!("cannot read `{}`", target.display())),
    };
    if !had_old {
        std::fs::rename(staging.path(), target)
            .with_context(|| format!("cannot move the new build into `{}`", target.display()))?;
        let _ = staging.keep();
        return Ok(());
    }
    match exchange(staging.path(), target) {
        // The staging directory now holds the previous tree; dropping it
        // removes that.
        Ok(()) => {
            return staging
                .close()
                .with_context(|| format!("cannot remove the previous build of `{}`", target.display()))
        }
        Err(error) if exchange_unsupported(&error) => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot swap the new build into `{}`", target.display()))
        }
    }
    let trash = tempfile::Builder::new()
        .prefix(&staging_prefix(TRASH, target))
        .tempdir_in(parent)
        .context("cannot create a temporary directory for the previous build")?;
    let previous = trash.path().join("previous");
    std::fs::rename(target, &previous)
        .with_context(|| format!("cannot move the previous `{}` aside", target.display()))?;
    if let Err(error) = std::fs::rename(staging.path(), target) {
        if std::fs::rename(&previous, target).is_err() {
            let kept = trash.keep().join("previous");
            return Err(error).with_context(|| {
                format!(
                    "cannot move the new build into `{}`; the previous build is at `{}`",
                    target.display(),
                    kept.display()
                )
            });
        }
        return Err(error).with_context(|| format!("cannot move the new build into `{}`", target.display()));
    }
    let _ = staging.keep();
    trash
        .close()
        .with_context(|| format!("cannot remove the previous build of `{}`", target.display()))
}

/// Swaps the directories `a` and `b` in one step (`renameat2` with
/// `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated strings that outlive the call;
    // the syscall only reads them.
    let status = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(ErrorKind::Unsupported))
}

/// Whether an exchange failed because the system or file system cannot do
/// one (rather than for a reason the fallback would meet too).
fn exchange_unsupported(error: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(
        error.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    ) {
        return true;
    }
    error.kind() == ErrorKind::Unsupported
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{Files, Sink};
    use super::*;

    fn tree(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .flatten()
            .map(|e| e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Writes `files` to `out` as a build does (for the tests of `emit`).
    pub(in crate::emit) fn write_files(root: &Path, out: &Path, files: &Files) -> anyhow::Result<()> {
        write_streaming(root, out, |sink| {
            for (path, bytes) in files {
                sink.put(path.clone(), bytes.clone());
            }
            Ok(())
        })
        .map(drop)
    }

    fn files(names: &[&str]) -> Files {
        names.iter().map(|n| (n.to_string(), n.as_bytes().to_vec())).collect()
    }

    #[test]
    fn a_build_replaces_the_output_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("catalog");
        std::fs::create_dir(&root).unwrap();
        let out = dir.path().join("dist");
        write_files(&root, &out, &files(&["a/old.json"])).unwrap();
        write_files(&root, &out, &files(&["b/new.json"])).unwrap();
        assert_eq!(tree(&out), ["b", "b/new.json"]);
        assert_eq!(tree(dir.path()), ["catalog", "dist", "dist/b", "dist/b/new.json"]);
    }

    #[test]
    fn the_previous_output_comes_back_when_a_killed_run_left_it_aside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("catalog");
        std::fs::create_dir(&root).unwrap();
        // A run killed between its two renames: no `dist`, the previous tree
        // in the trash, a staging directory; and another output's leftover.
        let trash = dir.path().join(".cairn-old-dist-a1B2c3/previous");
        std::fs::create_dir_all(&trash).unwrap();
        std::fs::write(trash.join("index.html"), "previous").unwrap();
        std::fs::create_dir_all(dir.path().join(".cairn-build-dist-x9y8z7/api")).unwrap();
        std::fs::create_dir_all(dir.path().join(".cairn-build-site-q1w2e3")).unwrap();
        recover(&root, &dir.path().join("dist")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("dist/index.html")).unwrap(),
            "previous"
        );
        assert_eq!(
            tree(dir.path()),
            [".cairn-build-site-q1w2e3", "catalog", "dist", "dist/index.html"]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn directories_are_exchanged_in_one_step() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::write(a.join("from-a"), "").unwrap();
        match exchange(&a, &b) {
            Ok(()) => {
                assert!(b.join("from-a").exists());
                assert!(!a.join("from-a").exists());
            }
            // Some file systems (overlayfs before 5.x…) cannot: the fallback
            // then runs, which the tests above cover.
            Err(error) => assert!(exchange_unsupported(&error), "{error}"),
        }
    }
}
