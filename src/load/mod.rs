//! Load: find the catalog's YAML files, read them in parallel and parse them.
//!
//! With no `sources:` the whole root is walked; otherwise each `path:`
//! source is. The walk honours `.gitignore` (through the `ignore` crate,
//! ripgrep's walker, built on `walkdir`) and always skips `.git`, `.cairn`,
//! `node_modules`, `target` and the output directory. Backstage `Location`
//! entities are followed: their file targets (paths or globs) are loaded too
//! (relative to the Location's file), and a file reached both by the walk and
//! by a Location is loaded once.
//!
//! Architecture Invariant: this is the only stage that reads the catalog's
//! files. Every problem — unreadable file, symlink loop, non-UTF-8 bytes, a
//! file too large — becomes a diagnostic naming the file; nothing is dropped
//! silently.

pub mod base_apis;
pub mod build_cache;
pub mod changes;
pub mod confine;
pub mod facts;
pub mod git_source;
pub mod git_tls;
pub mod history;
mod locations;
pub mod placeholders;
pub mod published;
pub mod revision;
pub mod templates;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use self::confine::{Confine, Contents, Reach};
use crate::config::{Config, Source, CONFIG_FILE};
use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::source::{SourceFile, Stamp};

/// Files larger than this are refused: a catalog file is a few kilobytes,
/// and reading a runaway generated file into memory helps nobody.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Directory names never walked.
pub const SKIPPED_DIRS: &[&str] = &[".git", ".cairn", "node_modules", "target"];

/// Where cairn keeps the caches of the catalog at `root`: `.cairn/cache/`.
pub fn cache_dir(root: &Path) -> PathBuf {
    root.join(".cairn").join("cache")
}

/// Creates `dir` (a catalog's [`cache_dir`]) for a cache about to be
/// written, with a `.gitignore` of `*` in it, as linters' caches have: a
/// catalog whose own `.gitignore` does not name `.cairn/` keeps a clean
/// `git status`. Best effort: a cache that cannot be written only costs
/// the next run time.
pub fn create_cache_dir(dir: &Path) {
    use std::io::Write;
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    // Only a new file: an existing one (or a link a hostile tree put
    // there, dangling or not) is left alone, never written through.
    let ignore = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(dir.join(".gitignore"));
    if let Ok(mut ignore) = ignore {
        let _ = ignore.write_all(b"# cairn's caches: never committed.\n*\n");
    }
}

/// What a load may take from the previous one (`cairn serve`'s rebuilds).
#[derive(Clone, Copy)]
pub struct Reuse<'a> {
    /// What the previous walk found, when the caller knows that no file or
    /// directory was added, removed or renamed since: the walk is skipped,
    /// and so is stamping the files.
    pub walked: Option<&'a Walked>,
    /// Given a file's display path and stamp (`None` when not stamped),
    /// whether the caller holds the file's text and entities: such a file
    /// is not read or parsed again (and is loaded without its text).
    pub holds: &'a (dyn Fn(&str, Option<Stamp>) -> bool + Sync),
}

/// The paths a walk found, and what it reported.
#[derive(Debug, Clone, Default)]
pub struct Walked {
    paths: Vec<PathBuf>,
    diagnostics: Vec<Diagnostic>,
}

impl SourceFile {
    /// Resolves the placeholders of this file's documents ([`placeholders`]),
    /// reading targets with `read`; `dir` is this file's directory in the
    /// reader's terms.
    pub fn resolve_placeholders(&mut self, dir: &str, read: &placeholders::Reader) -> Vec<Diagnostic> {
        let resolved = placeholders::resolve(&self.display, &self.text, dir, &mut self.documents, read);
        self.placeholder_targets = resolved.targets;
        self.placeholder_texts = resolved.texts;
        resolved.diagnostics
    }
}

/// Everything the load stage produced, files sorted by display path.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the walk found (or what the previous one did, when reused).
    pub walked: Walked,
    /// How each `git:` source was read, in `sources:` order.
    pub git_sources: Vec<git_source::SourceHealth>,
}

/// Loads the catalog under `root` as `config` describes. `out_dir` is
/// skipped by the walk.
pub fn load(root: &Path, config: &Config, out_dir: Option<&Path>) -> Loaded {
    load_reusing(root, config, out_dir, None)
}

/// [`load`], stamping every file of the walk and leaving unread the ones
/// `reuse` already holds (`cairn serve`'s rebuilds).
pub fn load_reusing(root: &Path, config: &Config, out_dir: Option<&Path>, reuse: Option<Reuse>) -> Loaded {
    let mut loaded = Loaded::default();
    let skip = out_dir.map(|p| absolute(root, p));
    let previous_walk = reuse.and_then(|r| r.walked);
    let mut walked = previous_walk.cloned().unwrap_or_default();
    let walking = previous_walk.is_none();
    let mut git_files = Vec::new();
    if config.sources.is_empty() && walking {
        walk(root, root, skip.as_deref(), &mut walked.paths, &mut walked.diagnostics);
    }
    if walking {
        templates::check(root, &mut walked.diagnostics);
    }
    for source in &config.sources {
        match source {
            Source::Path(_) if !walking => {}
            Source::Path(dir) => {
                let start = root.join(dir);
                if start.exists() {
                    walk(
                        root,
                        &start,
                        skip.as_deref(),
                        &mut walked.paths,
                        &mut walked.diagnostics,
                    );
                } else {
                    walked.diagnostics.push(
                        Diagnostic::new(
                            Code::IoError,
                            FilePosition::file_only(CONFIG_FILE),
                            format!("source path `{}` does not exist", dir.display()),
                        )
                        .with_help("create the directory or fix `sources:` in cairn.yaml"),
                    );
                }
            }
            Source::Git { url, reference, path } => {
                let (files, diagnostics, health) = git_source::load_git_source(root, url, reference, path.as_deref());
                loaded.diagnostics.extend(diagnostics);
                loaded.git_sources.push(health);
                git_files.extend(files);
            }
        }
    }

    loaded.diagnostics.extend(walked.diagnostics.iter().cloned());
    // Canonical paths as bytes: hashing a `Path` parses its components.
    let mut seen: FxHashSet<OsString> = FxHashSet::default();
    let mut registered: FxHashSet<OsString> = FxHashSet::default();
    let locator = locations::Locator::new(root, config);
    let mut loaded_files = Vec::new();
    let mut pending: Vec<PathBuf> = walked
        .paths
        .iter()
        .filter(|p| seen.insert(canonical(p).into_os_string()))
        .cloned()
        .collect();
    // Each round reads a batch in parallel, then queues the Location targets
    // that were not read yet.
    while !pending.is_empty() {
        let batch: Vec<(OsString, SourceFile, Vec<Diagnostic>)> = pending
            .par_iter()
            .map(|path| {
                let (file, diagnostics) = match reuse {
                    Some(reuse) => read_or_reuse(root, path, reuse),
                    None => read_file(root, path),
                };
                (canonical(path).into_os_string(), file, diagnostics)
            })
            .collect();
        pending = Vec::new();
        for (path, file, diagnostics) in batch {
            loaded.diagnostics.extend(diagnostics);
            for target in locator.targets(&file, &mut loaded.diagnostics) {
                let target_id = canonical(&target).into_os_string();
                registered.insert(target_id.clone());
                if seen.insert(target_id) {
                    pending.push(target);
                }
            }
            loaded_files.push((path, file));
        }
    }
    let mut files: Vec<SourceFile> = loaded_files
        .into_iter()
        .map(|(path, mut file)| {
            file.registered = registered.contains(&path);
            file
        })
        .collect();
    files.extend(git_files);
    files.sort_by(|a, b| a.display.cmp(&b.display));
    let files = crate::util::exact(files);
    Loaded {
        files,
        diagnostics: loaded.diagnostics,
        walked,
        git_sources: loaded.git_sources,
    }
}

/// Whether the catalog's own walk reads `file` (a path relative to the
/// root): every file, or those under the `path:` sources.
pub fn walked(config: &Config, file: &str) -> bool {
    if config.sources.is_empty() {
        return true;
    }
    config.sources.iter().any(|source| match source {
        Source::Path(dir) => {
            let dir = dir.to_string_lossy();
            let dir = dir.trim_end_matches('/');
            dir.is_empty() || dir == "." || file.starts_with(&format!("{dir}/"))
        }
        Source::Git { .. } => false,
    })
}

/// A digest of every YAML file under `root`, `cairn.yaml` and the facts files
/// (`discovery.snapshots`) — path, size and modification time — without
/// reading them: what changes when any file the walk would load was edited,
/// added or removed. Files outside the
/// root (Location targets elsewhere, `git:` sources) are not covered.
pub fn source_stamp(root: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut paths = vec![root.join(CONFIG_FILE)];
    walk(root, root, None, &mut paths, &mut Vec::new());
    if let Ok(loaded) = crate::config::load_config(root) {
        paths.extend(facts::snapshot_paths(root, &loaded.config));
    }
    let mut digest = Sha256::new();
    for path in paths {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        digest.update(format!("{}\0{}\0{}\n", path.display(), meta.len(), modified.as_nanos()));
    }
    hex::encode(digest.finalize())
}

/// Walks `start` for `*.yaml`/`*.yml` files, in a stable order. Links
/// that lead outside the root are not followed, and pipes, sockets and
/// devices are not read (both with a warning, [`confine`]).
fn walk(root: &Path, start: &Path, skip: Option<&Path>, paths: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let confine = Confine::new(root);
    if let Reach::Outside(target) = confine.reach(start) {
        diagnostics.push(confine.outside_warning(start, &target));
        return;
    }
    let skip = skip.map(Path::to_path_buf);
    let refused = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let walker = {
        let confine = confine.clone();
        let refused = std::sync::Arc::clone(&refused);
        ignore::WalkBuilder::new(start)
            .standard_filters(false)
            .git_ignore(true)
            .require_git(false)
            .follow_links(true)
            .filter_entry(move |entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                let name = entry.file_name().to_string_lossy();
                if is_dir && (SKIPPED_DIRS.contains(&name.as_ref()) || skip.as_deref() == Some(entry.path())) {
                    return false;
                }
                if entry.path_is_symlink() {
                    if let Reach::Outside(target) = confine.reach(entry.path()) {
                        let warning = confine.outside_warning(entry.path(), &target);
                        refused.lock().expect("no walker thread panics").push(warning);
                        return false;
                    }
                }
                true
            })
            .build_parallel()
    };
    // The walk runs on several threads; results are sorted afterwards, so
    // the order never depends on scheduling.
    let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
    walker.run(|| {
        Box::new(|entry| {
            let mut found = found.lock().expect("no walker thread panics");
            match entry {
                Ok(entry) if is_catalog_file(root, &entry) => match entry.file_type() {
                    Some(t) if t.is_file() => found.0.push(entry.into_path()),
                    _ => found.1.push(confine.special_file_warning(entry.path())),
                },
                Ok(_) => {}
                Err(error) => found.1.push(walk_error(root, &error)),
            }
            ignore::WalkState::Continue
        })
    });
    let (mut found_paths, found_diagnostics) = found.into_inner().expect("no walker thread panics");
    found_paths.sort_unstable_by(|a, b| path_order(a, b));
    paths.extend(found_paths);
    diagnostics.extend(found_diagnostics);
    diagnostics.extend(std::mem::take(&mut *refused.lock().expect("no walker thread panics")));
}

/// `Path`'s own order (component by component) for the walker's paths,
/// which have no `.`, `..` or repeated separators: a byte comparison in
/// which `/` sorts before every other byte. `Path`'s `Ord` parses the
/// components of both paths on every comparison, which was most of the
/// walk at 100,000 files.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (a.as_os_str().as_encoded_bytes(), b.as_os_str().as_encoded_bytes());
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let rank = |bytes: &[u8]| {
        bytes
            .get(common)
            .map(|&byte| if byte == b'/' { 0 } else { u16::from(byte) + 1 })
    };
    rank(a).cmp(&rank(b))
}

/// A `*.yaml`/`*.yml` entry that is neither a directory nor the root's
/// `cairn.yaml` (whether it is a regular file is for the caller to say).
fn is_catalog_file(root: &Path, entry: &ignore::DirEntry) -> bool {
    let path = entry.path();
    let is_yaml = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
    let is_dir = entry.file_type().is_none_or(|t| t.is_dir());
    let is_config = path.parent() == Some(root) && path.file_name() == Some(CONFIG_FILE.as_ref());
    is_yaml && !is_dir && !is_config
}

fn walk_error(root: &Path, error: &ignore::Error) -> Diagnostic {
    fn find_loop(error: &ignore::Error) -> Option<(&Path, &Path)> {
        match error {
            ignore::Error::Loop { ancestor, child } => Some((ancestor, child)),
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => find_loop(err),
            _ => None,
        }
    }
    fn find_path(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => find_path(err),
            _ => None,
        }
    }
    if let Some((ancestor, child)) = find_loop(error) {
        return Diagnostic::new(
            Code::SymlinkLoop,
            FilePosition::file_only(display_path(root, child)),
            format!(
                "symbolic link loop: `{}` leads back to `{}`",
                display_path(root, child),
                display_path(root, ancestor)
            ),
        )
        .with_help("remove the link, or point it at a directory under the root that is not one of its own parents");
    }
    let file = find_path(error).map(|p| display_path(root, p)).unwrap_or_default();
    Diagnostic::new(
        Code::IoError,
        FilePosition::file_only(file),
        format!("cannot read directory entry: {error}"),
    )
    .with_help("check the permissions of this path")
}

/// The file at `path`: left unread when `reuse` holds it (unstamped when
/// the walk was reused, else by its stamp), else stamped, read and parsed.
fn read_or_reuse(root: &Path, path: &Path, reuse: Reuse) -> (SourceFile, Vec<Diagnostic>) {
    let display = display_path(root, path);
    let reused = |stamp: Option<Stamp>| {
        let mut file = SourceFile::unreadable(&display);
        file.stamp = stamp;
        file.reused = true;
        (file, Vec::new())
    };
    if reuse.walked.is_some() && (reuse.holds)(&display, None) {
        return reused(None);
    }
    let stamp = Stamp::of(path);
    if stamp.is_some_and(|stamp| (reuse.holds)(&display, Some(stamp))) {
        return reused(stamp);
    }
    let (mut file, diagnostics) = read_file(root, path);
    file.stamp = stamp;
    (file, diagnostics)
}

/// Reads and parses one file; every failure is a diagnostic.
pub(crate) fn read_file(root: &Path, path: &Path) -> (SourceFile, Vec<Diagnostic>) {
    let display = display_path(root, path);
    let fail = |code: Code, message: String, help: &str| {
        let file = SourceFile::unreadable(&display);
        (
            file,
            vec![Diagnostic::new(code, FilePosition::file_only(&display), message).with_help(help)],
        )
    };
    let bytes = match confine::read_regular(path, MAX_FILE_BYTES) {
        Ok(Contents::Bytes(bytes)) => bytes,
        Ok(Contents::TooLarge(size)) => {
            return fail(
                Code::FileTooLarge,
                format!("file is {size} bytes; cairn reads catalog files up to {MAX_FILE_BYTES} bytes"),
                "split the file into one file per entity, or add it to .gitignore if it is not part of the catalog",
            )
        }
        Err(e) => {
            return fail(
                Code::IoError,
                format!("cannot read file: {e}"),
                "check that the file exists and is readable",
            )
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return (
                SourceFile::unreadable(&display),
                vec![Diagnostic::non_utf8(&display, &e)],
            )
        }
    };
    let (mut file, mut diagnostics) = SourceFile::parse(display, text, None);
    let dir = placeholders::dir_of(&file.display).to_string();
    diagnostics.extend(file.resolve_placeholders(&dir, &working_tree_reader(root)));
    (file, diagnostics)
}

/// Reads placeholder targets from the working tree under `root`: regular
/// files only, never through a link that leads out, never blocking.
fn working_tree_reader(root: &Path) -> impl Fn(&str) -> Result<placeholders::Target, placeholders::TargetError> + '_ {
    use placeholders::{Target, TargetError};
    let confine = std::sync::OnceLock::new();
    move |relative: &str| {
        let path = root.join(relative);
        match confine.get_or_init(|| Confine::new(root)).reach(&path) {
            Reach::Missing => return Err(TargetError::Missing),
            Reach::Outside(_) => return Err(TargetError::Outside { through_link: true }),
            Reach::Inside(_) => {}
        }
        let bytes = match confine::read_regular(&path, MAX_FILE_BYTES) {
            Ok(Contents::Bytes(bytes)) => bytes,
            Ok(Contents::TooLarge(_)) => {
                return Err(TargetError::Unreadable(format!(
                    "it is larger than {MAX_FILE_BYTES} bytes"
                )))
            }
            Err(e) => return Err(TargetError::Unreadable(e.to_string())),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            TargetError::Unreadable(format!(
                "it is not UTF-8 (byte offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(Target {
            display: relative.to_string(),
            text,
        })
    }
}

/// The name of a path in diagnostics: relative to the root, `/`-separated,
/// with `.` and `..` resolved lexically.
pub fn display_path(root: &Path, path: &Path) -> String {
    use std::path::Component;
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut parts: Vec<String> = Vec::new();
    for component in relative.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::RootDir => parts.push(String::new()),
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

fn absolute(root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    }
}

/// The identity of a file for "read it once": its path with `.` and `..`
/// resolved lexically. (Canonicalizing every file costs a `readlink` per
/// path component, a third of the load time at 10,000 files; a file reached
/// through two different symlinks is read twice and then reported as a
/// duplicate entity, which is what it is.)
pub(crate) fn canonical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A URL with any `user:password@` part replaced, safe to print.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walked_paths_sort_as_paths_do() {
        let names = [
            "a",
            "a-b",
            "a.yaml",
            "a b",
            "ab",
            "a/b",
            "a/b/c.yaml",
            "a/b-c.yaml",
            "a/bc",
            "b",
            "é",
            "A",
            "a_",
            "a0",
        ];
        let mut paths: Vec<PathBuf> = names
            .iter()
            .flat_map(|x| names.iter().map(move |y| PathBuf::from(format!("/root/{x}/{y}"))))
            .chain(names.iter().map(|x| PathBuf::from(format!("/root/{x}"))))
            .collect();
        let mut by_components = paths.clone();
        by_components.sort();
        paths.sort_unstable_by(|a, b| path_order(a, b));
        assert_eq!(paths, by_components);
    }

    #[test]
    fn display_paths_are_relative_and_slash_separated() {
        let root = Path::new("/r");
        assert_eq!(display_path(root, Path::new("/r/a/./b.yaml")), "a/b.yaml");
        assert_eq!(display_path(root, Path::new("/r/a/../c.yaml")), "c.yaml");
    }

    #[test]
    fn credentials_never_printed() {
        assert_eq!(
            redact_url("https://user:tok@github.com/a/b.git"),
            "https://***@github.com/a/b.git"
        );
        assert_eq!(redact_url("https://github.com/a/b.git"), "https://github.com/a/b.git");
        assert_eq!(redact_url("file:///tmp/x@y"), "file:///tmp/x@y");
    }
}
