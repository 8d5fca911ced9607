//! Discovered facts: the snapshot files named by `discovery.snapshots`
//! (default `discovered/`), read and checked against
//! `schemas/facts.schema.json`, and their git history for staleness.
//!
//! A facts file is data in git: every committed version is a snapshot. An
//! entry (a repository or an AWS resource) that earlier snapshots had and
//! the current one lacks is carried over from the newest snapshot that has
//! it, with the number of latest complete snapshots that lack it — resolve
//! turns 3 into `deprecated` and 5 into `eol`. Partial snapshots (a scan
//! that failed mid-way) do not count as lacking anything. History is read
//! from the object database along HEAD's first parents, at most
//! [`HISTORY`] versions back; an entry missing from all of them is gone.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use git2::Repository;
use serde_json::Value as Json;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::facts::{Facts, FORMAT};

/// How many committed versions of a facts file are read for staleness.
pub const HISTORY: usize = 10;
/// How many commits are walked looking for them.
const COMMITS: usize = 1_000;

/// Every facts file of the catalog.
#[derive(Debug, Default)]
pub struct Snapshots {
    pub files: Vec<Snapshot>,
}

/// One facts file, with the entries carried over from its history.
#[derive(Debug)]
pub struct Snapshot {
    /// Path relative to the catalog root.
    pub display: String,
    pub facts: Facts,
    /// Carried-over entries → in how many of the latest complete snapshots
    /// they are missing (0 when only partial snapshots lack them).
    pub missing: HashMap<FactId, usize>,
    /// When the scan ran (seconds since the epoch): `scanned_at` of the
    /// `NAME.scan.json` beside it, else the time of the commit that last
    /// changed the file (when the file is as committed).
    pub scanned_at: Option<i64>,
}

/// The identity of an entry across snapshots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum FactId {
    /// Repository slug and path.
    Repo(String, String),
    /// An AWS ARN.
    Resource(String),
}

/// Reads every facts file under the configured snapshot paths.
pub fn load_snapshots(root: &Path, config: &Config) -> (Snapshots, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let paths = snapshot_paths(root, config);
    let repo = Repository::discover(root).ok();
    let mut snapshots = Snapshots::default();
    for path in paths {
        let display = super::display_path(root, &path);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::IoError,
                        FilePosition::file_only(&display),
                        format!("cannot read: {error}"),
                    )
                    .with_help("check the file's permissions"),
                );
                continue;
            }
        };
        let facts = match decode(&display, &text) {
            Ok(facts) => facts,
            Err(diagnostic) => {
                diagnostics.push(*diagnostic);
                continue;
            }
        };
        if facts.partial {
            diagnostics.push(partial(&display, &facts));
        }
        let history = repo
            .as_ref()
            .map(|repo| committed_versions(repo, root, &path, &text))
            .unwrap_or_default();
        let scanned_at = scan_time(&path).or_else(|| repo.as_ref().and_then(|r| committed_at(r, root, &path, &text)));
        diagnostics.extend(scanned_at.and_then(|at| stale(&display, &facts, at, config.max_age_days)));
        let mut snapshot = carry_over(display, facts, history);
        snapshot.scanned_at = scanned_at;
        snapshots.files.push(snapshot);
    }
    (snapshots, diagnostics)
}

/// `scanned_at` of the scan metadata `cairn discover` wrote beside the
/// facts file (`NAME.scan.json`), in seconds since the epoch.
fn scan_time(path: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(crate::facts::scan_path(path)).ok()?;
    let scan: Json = serde_json::from_str(&text).ok()?;
    let at = time::OffsetDateTime::parse(
        scan.get("scanned_at")?.as_str()?,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    Some(at.unix_timestamp())
}

/// The time of the commit that last changed the facts file at `path`, if
/// the file is as HEAD has it (an uncommitted scan has no commit time).
fn committed_at(repo: &Repository, root: &Path, path: &Path, current: &str) -> Option<i64> {
    let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
    let absolute = std::fs::canonicalize(root)
        .ok()?
        .join(path.strip_prefix(root).unwrap_or(path));
    let relative = absolute.strip_prefix(&workdir).ok()?;
    let mut walk = repo.revwalk().ok()?;
    walk.push_head().ok()?;
    walk.simplify_first_parent().ok()?;
    let mut blob = None;
    let mut time = None;
    for id in walk.take(COMMITS) {
        let commit = repo.find_commit(id.ok()?).ok()?;
        let entry = commit.tree().ok()?.get_path(relative).ok().map(|e| e.id());
        match (blob, entry) {
            (None, Some(id)) => {
                let content = repo.find_blob(id).ok()?;
                if content.content() != current.as_bytes() {
                    return None;
                }
                blob = Some(id);
            }
            (Some(seen), Some(id)) if seen == id => {}
            _ => break,
        }
        time = Some(commit.time().seconds());
    }
    time
}

/// `facts-stale` when the snapshot was scanned more than `max_age_days`
/// before now (the check's own clock: staleness is about when it runs).
fn stale(display: &str, facts: &Facts, scanned_at: i64, max_age_days: u32) -> Option<Diagnostic> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    let days = (now - scanned_at) / 86_400;
    if days <= i64::from(max_age_days) {
        return None;
    }
    let date = time::OffsetDateTime::from_unix_timestamp(scanned_at)
        .map(|t| t.date().to_string())
        .unwrap_or_default();
    Some(
        Diagnostic::new(
            Code::FactsStale,
            FilePosition::file_only(display),
            format!(
                "this {} snapshot was scanned {days} days ago ({date}), more than discovery.max_age_days ({max_age_days})",
                facts.source.as_str()
            ),
        )
        .with_help(format!(
            "run `cairn discover {}` again and commit the result (e.g. from a scheduled workflow)",
            facts.source.as_str()
        )),
    )
}

/// Every facts file under the configured snapshot paths, sorted.
pub fn snapshot_paths(root: &Path, config: &Config) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for entry in &config.snapshots {
        let path = root.join(entry);
        if path.is_file() {
            paths.push(path);
        } else if path.is_dir() {
            let mut found: Vec<_> = walkdir::WalkDir::new(&path)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| is_facts_file(p))
                .collect();
            paths.append(&mut found);
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// `*.json`, but not the scan metadata (`*.scan.json`).
fn is_facts_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.ends_with(".json") && !name.ends_with(".scan.json")
}

/// Parses and checks one facts file.
pub fn decode(display: &str, text: &str) -> Result<Facts, Box<Diagnostic>> {
    let invalid = |line: u32, column: u32, pointer: &str, message: String, help: &str| {
        Box::new(
            Diagnostic::new(
                Code::FactsInvalid,
                FilePosition {
                    file: display.to_string(),
                    line,
                    column,
                    pointer: pointer.to_string(),
                },
                message,
            )
            .with_help(help),
        )
    };
    let json: Json = serde_json::from_str(text).map_err(|e| {
        invalid(
            e.line() as u32,
            e.column() as u32,
            "",
            format!("not valid JSON: {e}"),
            "re-run the `cairn discover` command that wrote this file",
        )
    })?;
    if let Some(format) = json.get("format").and_then(Json::as_str) {
        if format != FORMAT {
            let (line, column) = position(display, text, "/format");
            return Err(invalid(
                line,
                column,
                "/format",
                format!("unsupported facts format `{format}`"),
                &format!("this cairn reads `{FORMAT}`; re-run `cairn discover` with this version"),
            ));
        }
    }
    if let Some(error) = validator().iter_errors(&json).next() {
        let pointer = error.instance_path().as_str().to_string();
        let (line, column) = position(display, text, &pointer);
        return Err(invalid(
            line,
            column,
            &pointer,
            format!("does not match the facts schema: {error}"),
            "see schemas/facts.schema.json; re-run the scanner rather than editing by hand",
        ));
    }
    serde_json::from_value(json).map_err(|e| {
        invalid(
            1,
            1,
            "",
            format!("cannot read facts: {e}"),
            "re-run the `cairn discover` command that wrote this file",
        )
    })
}

/// Line and column of the node at `pointer` (JSON is YAML, so the YAML
/// parser's positions serve).
fn position(display: &str, text: &str, pointer: &str) -> (u32, u32) {
    crate::parse::parse_yaml(display, text)
        .documents
        .first()
        .map(|d| {
            let node = d.root.locate(pointer);
            (node.start.line, node.start.column)
        })
        .unwrap_or((1, 1))
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Json =
            serde_json::from_str(include_str!("../../schemas/facts.schema.json")).expect("the facts schema is JSON");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .expect("the facts schema compiles")
    })
}

fn partial(display: &str, facts: &Facts) -> Diagnostic {
    let scopes: Vec<String> = facts
        .errors
        .iter()
        .take(5)
        .map(|e| format!("{} ({})", e.scope, e.message))
        .collect();
    let more = facts.errors.len().saturating_sub(scopes.len());
    let mut message = format!(
        "this {} snapshot is partial; not read: {}",
        facts.source.as_str(),
        if scopes.is_empty() {
            "unknown".to_string()
        } else {
            scopes.join(", ")
        }
    );
    if more > 0 {
        message.push_str(&format!(" and {more} more"));
    }
    Diagnostic::new(Code::FactsPartial, FilePosition::file_only(display), message).with_help(format!(
        "fix what failed and run `cairn discover {}` again",
        facts.source.as_str()
    ))
}

/// The distinct committed versions of `path` (newest first, at most
/// [`HISTORY`]), without the one equal to the working tree's `current`.
/// Versions that do not decode are skipped.
fn committed_versions(repo: &Repository, root: &Path, path: &Path, current: &str) -> Vec<Facts> {
    let read = || -> Result<Vec<Facts>, Box<dyn std::error::Error>> {
        let workdir = std::fs::canonicalize(repo.workdir().ok_or("bare repository")?)?;
        let absolute = std::fs::canonicalize(root)?.join(path.strip_prefix(root).unwrap_or(path));
        let relative = absolute.strip_prefix(&workdir)?;
        let mut walk = repo.revwalk()?;
        walk.push_head()?;
        walk.simplify_first_parent()?;
        let mut last_blob = None;
        let mut versions = Vec::new();
        for id in walk.take(COMMITS) {
            let commit = repo.find_commit(id?)?;
            let Ok(entry) = commit.tree()?.get_path(relative) else {
                // The file did not exist before this commit.
                break;
            };
            if last_blob == Some(entry.id()) {
                continue;
            }
            last_blob = Some(entry.id());
            let blob = repo.find_blob(entry.id())?;
            let text = String::from_utf8_lossy(blob.content());
            if versions.is_empty() && text == current {
                versions.push(None);
                continue;
            }
            versions.push(decode("", &text).ok());
            if versions.len() > HISTORY {
                break;
            }
        }
        Ok(versions.into_iter().flatten().collect())
    };
    read().unwrap_or_default()
}

/// The current facts plus every entry of `history` they lack, each with
/// how many complete snapshots (the current one first) lack it.
fn carry_over(display: String, mut facts: Facts, history: Vec<Facts>) -> Snapshot {
    let mut seen: HashSet<FactId> = facts
        .repos
        .iter()
        .map(|r| FactId::Repo(r.slug.clone(), r.path.clone()))
        .chain(facts.resources.iter().map(|r| FactId::Resource(r.arn.clone())))
        .collect();
    let mut missing = HashMap::new();
    // Complete snapshots newer than the one being looked at.
    let mut lacking = usize::from(!facts.partial);
    for old in history {
        for repo in old.repos {
            let id = FactId::Repo(repo.slug.clone(), repo.path.clone());
            if seen.insert(id.clone()) {
                missing.insert(id, lacking);
                facts.repos.push(repo);
            }
        }
        for resource in old.resources {
            let id = FactId::Resource(resource.arn.clone());
            if seen.insert(id.clone()) {
                missing.insert(id, lacking);
                facts.resources.push(resource);
            }
        }
        lacking += usize::from(!old.partial);
    }
    facts.normalize();
    Snapshot {
        display,
        facts,
        missing,
        scanned_at: None,
    }
}
