//! The published set of ResourceDefinition versions, read from git with
//! git2 (SEMVER.md): a `(name, version)` is published when it exists at the
//! base revision, on any commit in the base's history (a deleted version
//! stays published), or in a tag `<name>/v<version>`. Content identity is
//! the SHA-256 of the parsed document in canonical JSON (sorted keys), so
//! comments, key order, quoting and blank lines are not changes; list order
//! is.
//!
//! Blobs are read straight from the object database (no checkout), each
//! distinct blob parsed once, and only blobs that mention
//! `catalog.nestor.io` are parsed at all. The result is cached in
//! `.cairn/cache/published-<key>.json`, keyed by base commit, tags and the
//! catalog's path in the repository, so a second run with the same base
//! reads no history.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use git2::{Commit, ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::model::{lower_document, Kind};
use crate::parse::parse_yaml;

/// One published version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedVersion {
    /// The document at the base revision, when the version exists there.
    pub at_base: Option<Json>,
    /// Its path at the base (or where it was last seen), relative to the
    /// catalog root.
    pub path: String,
    /// Every digest the version ever had in the base's history and tags.
    pub digests: BTreeSet<String>,
}

/// Every published version by `(name, version)`, and the base commit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Published {
    pub base: Option<String>,
    #[serde(with = "versions_as_list")]
    pub versions: BTreeMap<Key, PublishedVersion>,
}

/// The canonical digest of a document: SHA-256 of its JSON with sorted keys.
pub fn digest(document: &Json) -> String {
    let canonical = serde_json::to_string(document).expect("JSON values serialize");
    let hash = Sha256::digest(canonical.as_bytes());
    hex::encode(hash)
}

/// Which revision holds what is published, when `--base` is not given: in
/// CI on a pull request, the merge base with `origin/$GITHUB_BASE_REF`;
/// otherwise the merge base with the current branch's upstream; with
/// neither, no base (only tags count).
fn default_base(repo: &Repository) -> Option<Oid> {
    let head = repo.head().ok()?.peel_to_commit().ok()?.id();
    let target = match std::env::var("GITHUB_BASE_REF").ok().filter(|r| !r.is_empty()) {
        Some(branch) => repo
            .revparse_single(&format!("origin/{branch}"))
            .ok()?
            .peel_to_commit()
            .ok()?
            .id(),
        None => {
            let head_ref = repo.head().ok()?;
            let branch = head_ref.shorthand().ok()?.to_string();
            let upstream = repo
                .find_branch(&branch, git2::BranchType::Local)
                .ok()?
                .upstream()
                .ok()?;
            upstream.get().peel_to_commit().ok()?.id()
        }
    };
    repo.merge_base(head, target).ok()
}

/// Reads the published set of the catalog at `root`. Outside a git
/// repository nothing is published. An explicit `base` that does not
/// resolve is an error (exit status 2).
pub fn published_set(root: &Path, base: Option<&str>) -> anyhow::Result<Published> {
    let repo = match Repository::discover(root) {
        Ok(repo) => repo,
        Err(_) if base.is_none() => return Ok(Published::default()),
        Err(e) => bail!(
            "--base needs a git repository, and `{}` is not in one: {}",
            root.display(),
            e.message()
        ),
    };
    let workdir = repo.workdir().context("the repository has no working tree")?;
    let prefix = prefix_of(workdir, root)?;
    let base_id = match base {
        Some(rev) => Some(resolve_base(&repo, rev)?),
        None => default_base(&repo),
    };
    // The published set is a pure function of the base commit, the tags and
    // the catalog's place in the repository: cache it under that key.
    let cache = cache_file(root, &repo, base_id, &prefix)?;
    if let Some(published) = std::fs::read(&cache)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Published>(&bytes).ok())
    {
        return Ok(published);
    }
    let mut reader = Reader {
        repo: &repo,
        prefix,
        parsed: HashMap::new(),
    };
    let mut published = Published {
        base: base_id.map(|id| id.to_string()),
        versions: BTreeMap::new(),
    };
    if let Some(base_id) = base_id {
        let base_commit = repo.find_commit(base_id)?;
        for (key, path, document) in reader.tree_versions(&base_commit.tree()?)? {
            let entry = published.versions.entry(key).or_insert_with(|| PublishedVersion {
                at_base: None,
                path: path.clone(),
                digests: BTreeSet::new(),
            });
            entry.digests.insert(digest(&document));
            entry.path = path;
            entry.at_base = Some(document);
        }
        reader.history(base_id, &mut published)?;
    }
    reader.tags(&mut published)?;
    write_cache(&cache, &published);
    Ok(published)
}

/// `.cairn/cache/published-<key>.json`, keyed by base commit, tags and
/// catalog prefix.
fn cache_file(root: &Path, repo: &Repository, base: Option<Oid>, prefix: &str) -> anyhow::Result<PathBuf> {
    let mut key = Sha256::new();
    key.update(format!(
        "v1 {} {prefix}\n",
        base.map(|b| b.to_string()).unwrap_or_default()
    ));
    for reference in repo.references_glob("refs/tags/*")?.flatten() {
        key.update(format!(
            "{} {:?}\n",
            reference.name().unwrap_or_default(),
            reference.target()
        ));
    }
    let key = hex::encode(&key.finalize()[..12]);
    Ok(super::cache_dir(root).join(format!("published-{key}.json")))
}

/// Best effort: a cache that cannot be written only costs the next run time.
fn write_cache(path: &Path, published: &Published) {
    let Some(dir) = path.parent() else { return };
    super::create_cache_dir(dir);
    let Ok(bytes) = serde_json::to_vec(published) else {
        return;
    };
    let temp = path.with_extension(format!("tmp-{}", std::process::id()));
    if std::fs::write(&temp, bytes).is_ok() && std::fs::rename(&temp, path).is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}

/// JSON objects need string keys; the map is stored as a list of entries.
mod versions_as_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Key, PublishedVersion};

    pub fn serialize<S: Serializer>(map: &BTreeMap<Key, PublishedVersion>, serializer: S) -> Result<S::Ok, S::Error> {
        map.iter().collect::<Vec<_>>().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<Key, PublishedVersion>, D::Error> {
        Ok(Vec::<(Key, PublishedVersion)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// The commit `rev` names; a shallow clone missing it gets advice.
pub(super) fn resolve_base(repo: &Repository, rev: &str) -> anyhow::Result<Oid> {
    match repo.revparse_single(rev).and_then(|o| o.peel_to_commit()) {
        Ok(commit) => Ok(commit.id()),
        Err(e) if repo.is_shallow() => bail!(
            "--base `{rev}` is not in this shallow clone ({}); fetch the full history (in GitHub Actions: `fetch-depth: 0` on actions/checkout)",
            e.message()
        ),
        Err(e) => bail!("--base `{rev}` does not name a commit: {}", e.message()),
    }
}

/// The catalog root's path inside the repository, `/`-terminated ("" at
/// the top).
pub(super) fn prefix_of(workdir: &Path, root: &Path) -> anyhow::Result<String> {
    let workdir = std::fs::canonicalize(workdir)?;
    let root: PathBuf = std::fs::canonicalize(root)?;
    let relative = root.strip_prefix(&workdir).unwrap_or(Path::new(""));
    let text = relative.to_string_lossy().replace('\\', "/");
    Ok(if text.is_empty() {
        String::new()
    } else {
        format!("{text}/")
    })
}

/// `(name, version)` of a definition.
type Key = (String, String);
/// A definition version found in a tree: key, catalog path, document.
type Found = (Key, String, Json);

struct Reader<'r> {
    repo: &'r Repository,
    prefix: String,
    /// Definitions found in each blob, parsed once.
    parsed: HashMap<Oid, Vec<(Key, Json)>>,
}

impl Reader<'_> {
    /// The definitions a YAML blob holds.
    fn definitions(&mut self, id: Oid, path: &str) -> Vec<(Key, Json)> {
        if let Some(found) = self.parsed.get(&id) {
            return found.clone();
        }
        let mut found = Vec::new();
        if let Ok(blob) = self.repo.find_blob(id) {
            let text = String::from_utf8_lossy(blob.content());
            if text.contains("catalog.nestor.io") {
                let parsed = parse_yaml(path, &text);
                let mut ignored = Vec::new();
                for doc in parsed.documents {
                    let Some(entity) = lower_document(path, doc, &mut ignored) else {
                        continue;
                    };
                    if entity.kind != Kind::ResourceDefinition {
                        continue;
                    }
                    if let Some(version) = entity.resource_definition.as_ref().and_then(|rd| rd.version.clone()) {
                        found.push(((entity.metadata.name.clone(), version), entity.to_json()));
                    }
                }
            }
        }
        self.parsed.insert(id, found.clone());
        found
    }

    /// The catalog-relative path of a repository path, if it is a YAML file
    /// under the catalog root.
    fn catalog_path(&self, repo_path: &str) -> Option<String> {
        let relative = repo_path.strip_prefix(&self.prefix)?;
        (relative.ends_with(".yaml") || relative.ends_with(".yml")).then(|| relative.to_string())
    }

    /// Every definition version in a whole tree.
    fn tree_versions(&mut self, tree: &Tree) -> anyhow::Result<Vec<Found>> {
        let mut blobs = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                blobs.push((entry.id(), format!("{dir}{}", entry.name().unwrap_or_default())));
            }
            TreeWalkResult::Ok
        })?;
        let mut found = Vec::new();
        for (id, repo_path) in blobs {
            let Some(path) = self.catalog_path(&repo_path) else {
                continue;
            };
            for (key, document) in self.definitions(id, &path) {
                found.push((key, path.clone(), document));
            }
        }
        Ok(found)
    }

    /// Adds every version added or changed by a commit in the base's
    /// history (each commit diffed with its first parent).
    fn history(&mut self, base: Oid, published: &mut Published) -> anyhow::Result<()> {
        let mut walk = self.repo.revwalk()?;
        walk.push(base)?;
        for id in walk {
            let commit: Commit = self.repo.find_commit(id?)?;
            let tree = commit.tree()?;
            let parent_tree = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
            let diff = self.repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)?;
            let mut blobs = Vec::new();
            for delta in diff.deltas() {
                let file = delta.new_file();
                if file.id().is_zero() {
                    continue;
                }
                if let Some(path) = file.path().and_then(|p| p.to_str()) {
                    blobs.push((file.id(), path.to_string()));
                }
            }
            for (id, repo_path) in blobs {
                let Some(path) = self.catalog_path(&repo_path) else {
                    continue;
                };
                for (key, document) in self.definitions(id, &path) {
                    let entry = published.versions.entry(key).or_insert_with(|| PublishedVersion {
                        at_base: None,
                        path: path.clone(),
                        digests: BTreeSet::new(),
                    });
                    entry.digests.insert(digest(&document));
                }
            }
        }
        Ok(())
    }

    /// Adds the versions named by tags `<name>/v<version>`.
    fn tags(&mut self, published: &mut Published) -> anyhow::Result<()> {
        let names = self.repo.tag_names(None)?;
        for tag in names.iter().flatten().flatten() {
            let Some((name, version)) = tag.rsplit_once("/v") else {
                continue;
            };
            let Ok(commit) = self
                .repo
                .revparse_single(&format!("refs/tags/{tag}"))
                .and_then(|o| o.peel_to_commit())
            else {
                continue;
            };
            for (key, path, document) in self.tree_versions(&commit.tree()?)? {
                if key.0 == name && key.1 == version {
                    let entry = published.versions.entry(key).or_insert_with(|| PublishedVersion {
                        at_base: None,
                        path,
                        digests: BTreeSet::new(),
                    });
                    entry.digests.insert(digest(&document));
                }
            }
        }
        Ok(())
    }
}
