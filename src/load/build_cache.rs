//! The build cache: what the last `cairn build` into an output directory
//! compiled and wrote, kept under `.cairn/cache/build/` so that the next
//! build renders and writes only what changed — byte for byte the output a
//! full build gives.
//!
//! It holds the inputs — every catalog file's text and whether a Location
//! registered it, the placeholder targets read, the discovered facts as
//! loaded, `cairn.yaml`'s text, the portal template overrides and the base
//! URL — so the previous catalog can be compiled again without the files
//! (they have changed since), and the output's manifest (every file and
//! its size), which tells whether the output directory is still the one
//! that build wrote. `emit` writes it; this module reads it. Anything that
//! does not match (another cairn version, another `cairn.yaml`, other
//! templates, `git:` sources, an output directory someone changed) makes
//! the build a full one.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::facts::{FactId, Snapshot, Snapshots};
use super::history::Head;
use crate::facts::Facts;

/// The version of this file's format; another one is ignored.
pub const FORMAT: u32 = 1;

/// Everything one build leaves for the next.
#[derive(Debug, Serialize, Deserialize)]
pub struct BuildCache {
    pub format: u32,
    pub cairn_version: String,
    /// `cairn.yaml` as read (`None`: there was none).
    pub config: Option<String>,
    /// The base URL the pages were rendered for.
    pub base_url: String,
    /// The catalog's own templates (`templates/NAME` → text).
    pub templates: BTreeMap<String, String>,
    pub sources: Vec<CachedSource>,
    /// What placeholders read, by display path.
    pub targets: BTreeMap<String, String>,
    pub snapshots: Vec<CachedSnapshot>,
    /// Every file of the output, with its size.
    pub manifest: BTreeMap<String, u64>,
    /// HEAD when that build compiled (its change feed was HEAD's).
    #[serde(default)]
    pub head: Option<Head>,
}

/// One catalog file as the last build read it.
#[derive(Debug, Serialize, Deserialize)]
pub struct CachedSource {
    pub display: String,
    pub text: String,
    pub registered: bool,
}

/// One facts file as loaded (with the entries carried over from history).
#[derive(Debug, Serialize, Deserialize)]
pub struct CachedSnapshot {
    pub display: String,
    pub facts: Facts,
    pub missing: Vec<(FactId, usize)>,
    #[serde(default)]
    pub scanned_at: Option<i64>,
}

impl CachedSnapshot {
    pub fn of(snapshot: &Snapshot) -> CachedSnapshot {
        let mut missing: Vec<(FactId, usize)> = snapshot.missing.iter().map(|(k, v)| (k.clone(), *v)).collect();
        missing.sort();
        CachedSnapshot {
            display: snapshot.display.clone(),
            facts: snapshot.facts.clone(),
            missing,
            scanned_at: snapshot.scanned_at,
        }
    }
}

impl BuildCache {
    /// The snapshots as `resolve` takes them.
    pub fn snapshots(&self) -> Snapshots {
        Snapshots {
            files: self
                .snapshots
                .iter()
                .map(|s| Snapshot {
                    display: s.display.clone(),
                    facts: s.facts.clone(),
                    missing: s.missing.iter().cloned().collect(),
                    scanned_at: s.scanned_at,
                })
                .collect(),
        }
    }
}

/// Where the cache of builds into `out_dir` lives: one file per output
/// directory, named by a hash of its absolute path.
pub fn path(root: &Path, out_dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let absolute = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    let digest = Sha256::digest(absolute.to_string_lossy().as_bytes());
    let hex = hex::encode(&digest[..8]);
    super::cache_dir(root).join("build").join(format!("{hex}.json"))
}

/// The cache of the last build into `out_dir`, if there is one this cairn
/// can use.
pub fn read(root: &Path, out_dir: &Path) -> Option<BuildCache> {
    let bytes = std::fs::read(path(root, out_dir)).ok()?;
    let cache: BuildCache = serde_json::from_slice(&bytes).ok()?;
    (cache.format == FORMAT && cache.cairn_version == env!("CARGO_PKG_VERSION")).then_some(cache)
}

/// Whether `out_dir` holds exactly the files `manifest` lists, with those
/// sizes, and nothing else but their directories: the directory the cached
/// build wrote, which the next build may reuse files from.
///
/// Checked in parallel, directory by directory: every directory the list
/// implies is read, and must hold only listed directories and listed files
/// of their listed sizes (looked up beside the directory, not from the
/// root) — as many files in all as the list has. A directory the list does
/// not imply (even an empty one) counts as a change.
pub fn matches_output(out_dir: &Path, manifest: &BTreeMap<String, u64>) -> bool {
    use rayon::prelude::*;
    if !std::fs::symlink_metadata(out_dir).is_ok_and(|m| m.is_dir()) {
        return false;
    }
    let mut dirs: HashSet<&str> = HashSet::from([""]);
    for path in manifest.keys() {
        let mut at = path.as_str();
        while let Some((parent, _)) = at.rsplit_once('/') {
            if !dirs.insert(parent) {
                break;
            }
            at = parent;
        }
    }
    let found = dirs
        .par_iter()
        .map(|dir| listed_files_in(out_dir, dir, &dirs, manifest))
        .try_reduce(|| 0, |a, b| Some(a + b));
    found == Some(manifest.len())
}

/// How many files directory `dir` of `out_dir` holds, if each is listed in
/// `manifest` with its size and everything else in it is a directory of
/// `dirs`.
fn listed_files_in(out_dir: &Path, dir: &str, dirs: &HashSet<&str>, manifest: &BTreeMap<String, u64>) -> Option<usize> {
    let mut files = 0;
    for entry in std::fs::read_dir(out_dir.join(dir)).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name();
        let name = name.to_str()?;
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        let kind = entry.file_type().ok()?;
        if kind.is_file() {
            // `DirEntry::metadata` does not follow a link, and looks the
            // name up in the directory already open.
            if manifest.get(&path) != Some(&entry.metadata().ok()?.len()) {
                return None;
            }
            files += 1;
        } else if !kind.is_dir() || !dirs.contains(path.as_str()) {
            return None;
        }
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_matches_its_manifest_only_when_nothing_was_added_removed_or_changed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dist");
        let files = [
            ("index.html", "home"),
            ("api/v1/a.json", "{}"),
            ("api/v1/teams/t.json", "[1]"),
        ];
        let manifest: BTreeMap<String, u64> = files.iter().map(|(p, t)| (p.to_string(), t.len() as u64)).collect();
        let reset = || {
            let _ = std::fs::remove_dir_all(&out);
            for (path, text) in files {
                std::fs::create_dir_all(out.join(path).parent().unwrap()).unwrap();
                std::fs::write(out.join(path), text).unwrap();
            }
        };
        reset();
        assert!(matches_output(&out, &manifest));
        let changes: [(&str, &dyn Fn()); 6] = [
            ("a file added beside listed ones", &|| {
                std::fs::write(out.join("api/v1/b.json"), "{}").unwrap()
            }),
            ("a file removed", &|| {
                std::fs::remove_file(out.join("api/v1/teams/t.json")).unwrap()
            }),
            ("a file's size changed", &|| {
                std::fs::write(out.join("index.html"), "homepage").unwrap()
            }),
            ("a directory added", &|| {
                std::fs::create_dir_all(out.join("api/v2")).unwrap()
            }),
            ("a file in an added directory", &|| {
                std::fs::create_dir_all(out.join("x")).unwrap();
                std::fs::write(out.join("x/y.json"), "{}").unwrap()
            }),
            ("a link in place of a file", &|| {
                std::fs::remove_file(out.join("api/v1/a.json")).unwrap();
                std::os::unix::fs::symlink(out.join("index.html"), out.join("api/v1/a.json")).unwrap()
            }),
        ];
        for (what, change) in changes {
            reset();
            change();
            assert!(!matches_output(&out, &manifest), "{what}");
        }
        reset();
        assert!(matches_output(&out, &manifest), "as written again");
        assert!(!matches_output(&dir.path().join("missing"), &manifest));
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        assert!(matches_output(&dir.path().join("empty"), &BTreeMap::new()));
    }
}
