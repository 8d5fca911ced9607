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

use std::collections::BTreeMap;
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
    root.join(".cairn/cache/build").join(format!("{hex}.json"))
}

/// The cache of the last build into `out_dir`, if there is one this cairn
/// can use.
pub fn read(root: &Path, out_dir: &Path) -> Option<BuildCache> {
    let bytes = std::fs::read(path(root, out_dir)).ok()?;
    let cache: BuildCache = serde_json::from_slice(&bytes).ok()?;
    (cache.format == FORMAT && cache.cairn_version == env!("CARGO_PKG_VERSION")).then_some(cache)
}

/// The output directory's files and sizes, when it holds exactly the files
/// `manifest` lists (with those sizes): the directory the cached build
/// wrote, which the next build may reuse files from.
pub fn matches_output(out_dir: &Path, manifest: &BTreeMap<String, u64>) -> bool {
    let mut seen = 0usize;
    for entry in walkdir::WalkDir::new(out_dir).follow_links(false) {
        let Ok(entry) = entry else { return false };
        if entry.file_type().is_dir() {
            continue;
        }
        if !entry.file_type().is_file() {
            return false;
        }
        let Ok(relative) = entry.path().strip_prefix(out_dir) else {
            return false;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        let size = entry.metadata().map(|m| m.len()).ok();
        if manifest.get(&relative).copied() != size {
            return false;
        }
        seen += 1;
    }
    seen == manifest.len()
}
