//! When each catalog file last changed, from the git history of the
//! catalog's repository: the home page's "recently changed". Reads the
//! object database only (git2), newest commits first along first parents,
//! up to a fixed number of commits; uncommitted edits are not history.
//!
//! With the change feed's log ([`super::changes`]) it makes the
//! [`History`] the outputs read. It depends only on HEAD and `cairn.yaml`'s
//! sources and edit URL ([`key`]): `pipeline::read_render_inputs` reuses the
//! previous compilation's while those are unchanged, since walking 300
//! commits' diffs on every edit was a good part of a `cairn serve` rebuild.

use std::collections::HashMap;
use std::path::Path;

use git2::{Repository, Sort};

use super::changes::{change_log, commit_url_base, ChangeLog};
use super::published::prefix_of;
use crate::config::{Config, Source};

/// How many commits back "recently changed" looks.
const COMMITS: usize = 300;

/// The commit HEAD names, and its time: what the outputs made from git
/// history are a function of.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub commit: String,
    /// Seconds since the epoch (committer time).
    pub time: i64,
}

/// HEAD of the repository holding `root`, if it is in one with commits.
pub fn head(root: &Path) -> Option<Head> {
    let repo = Repository::discover(root).ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    Some(Head {
        commit: commit.id().to_string(),
        time: commit.time().seconds(),
    })
}

/// The last commit that changed a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Seconds since the epoch (the commit's committer time).
    pub time: i64,
    /// The commit's first line.
    pub summary: String,
    pub commit: String,
}

/// What the catalog's git history says, read once before anything
/// renders (`pipeline::read_render_inputs`) and handed to the outputs that show
/// it: the home page's "recently changed" and the change feed.
#[derive(Debug, Default)]
pub struct History {
    /// What it was read for — HEAD, the `path:` sources, the edit URL —
    /// when it was read: equal keys, equal history.
    pub key: Option<String>,
    /// Catalog path → its last change, for every file a commit among the
    /// last [`COMMITS`] on HEAD's first-parent line touched.
    pub last_changes: HashMap<String, Change>,
    /// The change feed's commits ([`super::changes`]).
    pub log: ChangeLog,
    /// Where commit links point (`…/commit/`), when the repository's URL
    /// is known.
    pub commit_url: Option<String>,
}

/// The key a history read at `head` for `config` has.
pub fn key(head: Option<&Head>, config: &Config) -> String {
    format!(
        "{}\n{}\n{:?}",
        head.map_or("", |h| h.commit.as_str()),
        scope(config),
        config.site.edit_url
    )
}

/// Reads the history of the catalog at `root` as of `head`. Empty outside
/// a git repository or without commits.
pub fn read(root: &Path, head: Option<&Head>, config: &Config) -> History {
    let key = Some(key(head, config));
    let Some(head) = head else {
        return History {
            key,
            ..History::default()
        };
    };
    let walked = |file: &str| super::walked(config, file);
    History {
        key,
        last_changes: last_changes(root).unwrap_or_default(),
        log: change_log(root, head, &walked, &scope(config)),
        commit_url: commit_url_base(root, config.site.edit_url.as_deref()),
    }
}

/// Which files of a commit are the catalog's: `cairn.yaml`'s `path:`
/// sources, as the change feed's cache key says.
fn scope(config: &Config) -> String {
    config
        .sources
        .iter()
        .filter_map(|s| match s {
            Source::Path(dir) => Some(dir.to_string_lossy().into_owned()),
            Source::Git { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Catalog path (relative to `root`) → its last change.
fn last_changes(root: &Path) -> Result<HashMap<String, Change>, Box<dyn std::error::Error>> {
    let repo = Repository::discover(root)?;
    walk(&repo, root)
}

fn walk(repo: &Repository, root: &Path) -> Result<HashMap<String, Change>, Box<dyn std::error::Error>> {
    let prefix = prefix_of(repo.workdir().ok_or("bare repository")?, root)?;
    let mut walk = repo.revwalk()?;
    walk.push_head()?;
    walk.simplify_first_parent()?;
    walk.set_sorting(Sort::TOPOLOGICAL)?;
    let mut changes = HashMap::new();
    for id in walk.take(COMMITS) {
        let commit = repo.find_commit(id?)?;
        let tree = commit.tree()?;
        let parent_tree = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)?;
        for delta in diff.deltas() {
            let Some(path) = delta.new_file().path().and_then(|p| p.to_str()) else {
                continue;
            };
            let Some(relative) = path.strip_prefix(&prefix) else {
                continue;
            };
            changes.entry(relative.to_string()).or_insert_with(|| Change {
                time: commit.time().seconds(),
                summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
                commit: commit.id().to_string(),
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Signature;

    fn commit(repo: &Repository, files: &[(&str, &str)], message: &str, time: i64) {
        let workdir = repo.workdir().unwrap();
        let mut index = repo.index().unwrap();
        for (path, text) in files {
            let full = workdir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = Signature::new("Ada", "ada@example.com", &git2::Time::new(time, 0)).unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .unwrap();
    }

    #[test]
    fn the_newest_commit_touching_a_file_wins_and_paths_are_catalog_relative() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        commit(
            &repo,
            &[
                ("catalog/a.yaml", "a: 1"),
                ("catalog/b.yaml", "b: 1"),
                ("README.md", "x"),
            ],
            "Add a and b",
            1_000,
        );
        commit(&repo, &[("catalog/a.yaml", "a: 2")], "Change a\n\nbody", 2_000);

        let changes = changes_of(&dir.path().join("catalog"));
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes["a.yaml"].time, 2_000);
        assert_eq!(changes["a.yaml"].summary, "Change a");
        assert_eq!(changes["b.yaml"].time, 1_000);
        assert_eq!(changes["b.yaml"].summary, "Add a and b");
    }

    #[test]
    fn a_new_commit_is_a_new_key_and_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        commit(&repo, &[("a.yaml", "a: 1")], "Add a", 1_000);
        let config = Config::default();
        let before = key(head(dir.path()).as_ref(), &config);
        assert_eq!(changes_of(dir.path())["a.yaml"].summary, "Add a");
        commit(&repo, &[("a.yaml", "a: 2")], "Change a", 2_000);
        assert_ne!(key(head(dir.path()).as_ref(), &config), before);
        assert_eq!(changes_of(dir.path())["a.yaml"].summary, "Change a");
    }

    #[test]
    fn no_repository_means_no_history() {
        let dir = tempfile::tempdir().unwrap();
        assert!(head(dir.path()).is_none());
        assert!(changes_of(dir.path()).is_empty());
    }

    fn changes_of(root: &Path) -> HashMap<String, Change> {
        read(root, head(root).as_ref(), &Config::default()).last_changes
    }
}
