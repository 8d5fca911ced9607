//! When each catalog file last changed, from the git history of the
//! catalog's repository: the home page's "recently changed". Reads the
//! object database only (git2), newest commits first along first parents,
//! up to a fixed number of commits; uncommitted edits are not history.
//!
//! The answer depends only on HEAD, so the last one is remembered per root
//! and HEAD commit: `cairn serve` renders the home page on every edit, and
//! walking 300 commits' diffs each time was a good part of a rebuild.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{Oid, Repository, Sort};

use super::published::prefix_of;

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

/// Catalog path (relative to `root`) → its last change, for every file a
/// commit among the last [`COMMITS`] on HEAD's first-parent line touched.
/// Empty when `root` is not in a git repository or it has no commits.
pub fn last_changes(root: &Path) -> HashMap<String, Change> {
    read(root).unwrap_or_default()
}

/// The last answer, for a root and HEAD commit.
struct Remembered {
    root: PathBuf,
    head: Oid,
    changes: HashMap<String, Change>,
}

static LAST: Mutex<Option<Remembered>> = Mutex::new(None);

fn read(root: &Path) -> Result<HashMap<String, Change>, Box<dyn std::error::Error>> {
    let repo = Repository::discover(root)?;
    let head = repo.head()?.peel_to_commit()?.id();
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(remembered) = last.as_ref().filter(|l| l.root == root && l.head == head) {
        return Ok(remembered.changes.clone());
    }
    let changes = walk(&repo, root)?;
    *last = Some(Remembered {
        root: root.to_path_buf(),
        head,
        changes: changes.clone(),
    });
    Ok(changes)
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

        let changes = last_changes(&dir.path().join("catalog"));
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes["a.yaml"].time, 2_000);
        assert_eq!(changes["a.yaml"].summary, "Change a");
        assert_eq!(changes["b.yaml"].time, 1_000);
        assert_eq!(changes["b.yaml"].summary, "Add a and b");
    }

    #[test]
    fn a_new_commit_is_seen_although_the_last_answer_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        commit(&repo, &[("a.yaml", "a: 1")], "Add a", 1_000);
        assert_eq!(last_changes(dir.path())["a.yaml"].summary, "Add a");
        assert_eq!(last_changes(dir.path())["a.yaml"].summary, "Add a", "remembered");
        commit(&repo, &[("a.yaml", "a: 2")], "Change a", 2_000);
        assert_eq!(last_changes(dir.path())["a.yaml"].summary, "Change a");
    }

    #[test]
    fn no_repository_means_no_history() {
        let dir = tempfile::tempdir().unwrap();
        assert!(last_changes(dir.path()).is_empty());
    }
}
