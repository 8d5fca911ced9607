//! The change feed's history: for every commit on HEAD's first-parent
//! line, the catalog entities it added, changed (which fields) and removed
//! — `cairn diff`'s semantics between the commit and its first parent,
//! over the catalog files the commit touched.
//!
//! A commit's changes never change, so each is computed once and kept in
//! `.cairn/cache/changes-<key>.json` (key: the catalog's place in the
//! repository, its `path:` sources and this format), by commit: after the
//! first build of a long history, a build reads the cache and diffs only
//! the commits made since. The history is walked from HEAD, so what the
//! feed says is a function of HEAD (`pipeline::read_render_inputs` reuses the
//! previous compilation's while HEAD is unchanged). Entities are compared
//! as `cairn diff` compares them: by [`change_key`], field by field.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, Oid, Repository, Sort};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::history::Head;
use super::published::prefix_of;
use crate::model::change_key;
use crate::source::SourceFile;

/// The version of the cache's format and of what a record holds; another
/// one is computed again.
const FORMAT: u32 = 1;

/// How many changes of one entity are kept.
pub const PER_ENTITY: usize = 5;

/// The entities one commit changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityChanges {
    pub added: Vec<String>,
    /// Entity → the JSON pointers of the fields that changed.
    pub changed: Vec<(String, Vec<String>)>,
    pub removed: Vec<String>,
}

impl EntityChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// One commit that changed the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub commit: String,
    pub author: String,
    /// Seconds since the epoch (committer time).
    pub time: i64,
    /// The first line of the message.
    pub summary: String,
    pub changes: EntityChanges,
}

/// How one entity changed in a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Added,
    Changed,
    Removed,
}

/// The catalog's history, newest first.
#[derive(Debug, Default)]
pub struct ChangeLog {
    /// Every commit along HEAD's first parents that changed an entity.
    pub commits: Vec<Commit>,
    /// Entity identity → its last [`PER_ENTITY`] changes (index into
    /// `commits`, how), newest first.
    by_entity: HashMap<String, Vec<(usize, How)>>,
}

impl ChangeLog {
    fn new(commits: Vec<Commit>) -> ChangeLog {
        let mut by_entity: HashMap<String, Vec<(usize, How)>> = HashMap::new();
        for (c, commit) in commits.iter().enumerate() {
            let changes = &commit.changes;
            let touched = changes
                .added
                .iter()
                .map(|e| (e, How::Added))
                .chain(changes.changed.iter().map(|(e, _)| (e, How::Changed)))
                .chain(changes.removed.iter().map(|e| (e, How::Removed)));
            for (entity, how) in touched {
                let list = by_entity.entry(entity.clone()).or_default();
                if list.len() < PER_ENTITY {
                    list.push((c, how));
                }
            }
        }
        ChangeLog { commits, by_entity }
    }

    /// The last changes of the entity `identity`, newest first.
    pub fn of(&self, identity: &str) -> impl Iterator<Item = (&Commit, How)> + '_ {
        self.by_entity
            .get(identity)
            .into_iter()
            .flatten()
            .map(|&(c, how)| (&self.commits[c], how))
    }
}

/// The catalog files a commit touched, before and after: (path relative to
/// the catalog root, text) of each side.
pub struct Touched {
    pub before: Vec<(String, String)>,
    pub after: Vec<(String, String)>,
}

/// The cache: every commit's changes (`None`: it changed no entity).
#[derive(Default, Serialize, Deserialize)]
struct Cache {
    format: u32,
    cairn_version: String,
    commits: BTreeMap<String, Option<Commit>>,
}

/// The change log of the catalog at `root` as of `head`, reading only the
/// files `walked` accepts (paths relative to the root). Empty outside a
/// git repository.
pub fn change_log(root: &Path, head: &Head, walked: &(dyn Fn(&str) -> bool + Sync), scope: &str) -> ChangeLog {
    read(root, head, walked, scope).unwrap_or_default()
}

/// The entities of a commit's files on one side, by [`change_key`], as
/// written (placeholders are not resolved: the feed compares what was
/// committed).
fn entities(files: &[(String, String)]) -> BTreeMap<String, serde_json::Value> {
    let mut sources: Vec<SourceFile> = files
        .iter()
        .map(|(path, text)| SourceFile::parse(path.clone(), text.clone(), None).0)
        .collect();
    let (lowered, _) = crate::model::lower_files(&mut sources);
    let mut out = BTreeMap::new();
    for entity in lowered {
        out.entry(change_key(&entity)).or_insert_with(|| entity.to_json());
    }
    out
}

/// `cairn diff`'s semantics over the files a commit touched.
fn compare(touched: &Touched) -> EntityChanges {
    let (before, after) = (entities(&touched.before), entities(&touched.after));
    let mut changes = EntityChanges::default();
    for (key, new) in &after {
        match before.get(key) {
            None => changes.added.push(key.clone()),
            Some(old) if old != new => {
                changes
                    .changed
                    .push((key.clone(), crate::util::changed_pointers(old, new)));
            }
            Some(_) => {}
        }
    }
    changes.removed = before.keys().filter(|k| !after.contains_key(*k)).cloned().collect();
    changes
}

fn read(
    root: &Path,
    head: &Head,
    walked: &(dyn Fn(&str) -> bool + Sync),
    scope: &str,
) -> Result<ChangeLog, Box<dyn std::error::Error>> {
    let repo = Repository::discover(root)?;
    let workdir = repo.workdir().ok_or("bare repository")?.to_path_buf();
    let prefix = prefix_of(&workdir, root)?;
    let path = cache_path(root, &prefix, scope);
    let mut cache: Cache = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|c: &Cache| c.format == FORMAT && c.cairn_version == env!("CARGO_PKG_VERSION"))
        .unwrap_or_default();
    let mut walk = repo.revwalk()?;
    walk.push(Oid::from_str(&head.commit)?)?;
    walk.simplify_first_parent()?;
    walk.set_sorting(Sort::TOPOLOGICAL)?;
    let line: Vec<Oid> = walk.collect::<Result<_, _>>()?;
    let missing: Vec<Oid> = line
        .iter()
        .filter(|id| !cache.commits.contains_key(&id.to_string()))
        .copied()
        .collect();
    // A shallow clone's oldest commit has no parent here but had one: what
    // it changed is unknown, so it is not listed (and not cached, so a
    // later full fetch lists it).
    let shallow = repo.is_shallow();
    let boundary = |id: &Oid| shallow && repo.find_commit(*id).is_ok_and(|c| c.parent_count() == 0);
    let missing: Vec<Oid> = missing.into_iter().filter(|id| !boundary(id)).collect();
    if !missing.is_empty() {
        // In parallel: each batch opens the repository for itself.
        let computed: Vec<(String, Option<Commit>)> = missing
            .par_chunks(64)
            .map(|batch| -> Result<Vec<(String, Option<Commit>)>, git2::Error> {
                let repo = Repository::open(&workdir)?;
                batch
                    .iter()
                    .map(|&id| Ok((id.to_string(), commit_changes(&repo, id, &prefix, walked)?)))
                    .collect()
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        cache.format = FORMAT;
        cache.cairn_version = env!("CARGO_PKG_VERSION").to_string();
        cache.commits.extend(computed);
        write_cache(&path, &cache);
    }
    let commits = line
        .iter()
        .filter_map(|id| cache.commits.get(&id.to_string()).cloned().flatten())
        .collect();
    Ok(ChangeLog::new(commits))
}

/// `.cairn/cache/changes-<key>.json`.
fn cache_path(root: &Path, prefix: &str, scope: &str) -> PathBuf {
    let digest = Sha256::digest(format!("{FORMAT} {prefix}\n{scope}").as_bytes());
    let key = hex::encode(&digest[..8]);
    super::cache_dir(root).join(format!("changes-{key}.json"))
}

/// Best effort, atomically: a cache that cannot be written only costs the
/// next run time.
fn write_cache(path: &Path, cache: &Cache) {
    if let Some(dir) = path.parent() {
        super::create_cache_dir(dir);
    }
    let _ = crate::util::write_atomically(path, |out| {
        serde_json::to_writer(out, cache).map_err(std::io::Error::from)
    });
}

/// The changes of commit `id` against its first parent, if it changed an
/// entity.
fn commit_changes(
    repo: &Repository,
    id: Oid,
    prefix: &str,
    walked: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Option<Commit>, git2::Error> {
    let commit = repo.find_commit(id)?;
    let tree = commit.tree()?;
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let mut options = DiffOptions::new();
    if !prefix.is_empty() {
        options.pathspec(prefix);
    }
    let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut options))?;
    let mut touched = Touched {
        before: Vec::new(),
        after: Vec::new(),
    };
    let catalog_file = |path: Option<&Path>| -> Option<String> {
        let relative = path?.to_str()?.strip_prefix(prefix)?;
        let yaml = relative.ends_with(".yaml") || relative.ends_with(".yml");
        (yaml && relative != crate::config::CONFIG_FILE && walked(relative)).then(|| relative.to_string())
    };
    let text = |blob: Oid| -> Result<String, git2::Error> {
        Ok(String::from_utf8_lossy(repo.find_blob(blob)?.content()).into_owned())
    };
    for delta in diff.deltas() {
        if delta.status() != Delta::Added {
            if let Some(path) = catalog_file(delta.old_file().path()) {
                touched.before.push((path, text(delta.old_file().id())?));
            }
        }
        if delta.status() != Delta::Deleted {
            if let Some(path) = catalog_file(delta.new_file().path()) {
                touched.after.push((path, text(delta.new_file().id())?));
            }
        }
    }
    if touched.before.is_empty() && touched.after.is_empty() {
        return Ok(None);
    }
    let changes = compare(&touched);
    if changes.is_empty() {
        return Ok(None);
    }
    let author = String::from_utf8_lossy(commit.author().name_bytes()).into_owned();
    Ok(Some(Commit {
        commit: id.to_string(),
        author,
        time: commit.time().seconds(),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
        changes,
    }))
}

/// `https://host/owner/name/commit/` of the catalog's repository, for
/// links to commits: `site.edit_url`'s repository, else the `origin`
/// remote's (https, ssh or scp-like URLs).
pub fn commit_url_base(root: &Path, edit_url: Option<&str>) -> Option<String> {
    let origin = || -> Option<String> {
        let repo = Repository::discover(root).ok()?;
        let remote = repo.find_remote("origin").ok()?;
        remote.url().ok().map(str::to_string)
    };
    let identity = edit_url
        .and_then(super::locations::identity_of)
        .or_else(|| origin().as_deref().and_then(super::locations::identity_of))?;
    Some(format!("https://{identity}/commit/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_s_changes_are_cairn_diff_s() {
        let group = |title: &str| {
            format!("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a\n  title: {title}\nspec:\n  type: team\n  children: []\n")
        };
        let component = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: b\nspec:\n  type: service\n  lifecycle: production\n  owner: a\n";
        let touched = Touched {
            before: vec![("teams.yaml".into(), group("A")), ("b.yaml".into(), component.into())],
            after: vec![
                ("teams.yaml".into(), group("Team A")),
                // Moved to another file, unchanged: no change.
                ("services/b.yaml".into(), component.into()),
                ("c.yaml".into(), component.replace("name: b", "name: c")),
            ],
        };
        let changes = compare(&touched);
        assert_eq!(changes.added, ["component:default/c"]);
        assert_eq!(
            changes.changed,
            [("group:default/a".to_string(), vec!["/metadata/title".to_string()])]
        );
        assert!(changes.removed.is_empty());
        let gone = compare(&Touched {
            before: vec![("b.yaml".into(), component.into())],
            after: vec![],
        });
        assert_eq!(gone.removed, ["component:default/b"]);
    }
}
