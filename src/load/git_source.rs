//! `sources: - git: URL` — catalog files from another git repository. The
//! repository is fetched into a bare cache under the catalog root
//! (`.cairn/cache/`, which the template git-ignores) and its files are read
//! from the object database at the resolved commit (no checkout).
//!
//! An unreachable remote falls back to the last fetched commit with a
//! `source-stale` warning; a remote never fetched is a `source-unreachable`
//! error. Remotes over https (or http) authenticate with a token from
//! `CAIRN_GIT_TOKEN` or `GITHUB_TOKEN`; URLs are redacted
//! (`https://***@host/…`) in every message, so a token in a URL never
//! reaches a log.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use sha2::{Digest, Sha256};

use super::redact_url;
use crate::config::CONFIG_FILE;
use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::source::{GitOrigin, SourceFile};

/// How a `git:` source was read, for `status.json`, the dashboard and
/// `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHealth {
    /// The repository URL, credentials redacted.
    pub url: String,
    pub reference: String,
    pub path: Option<String>,
    /// The commit read, if any.
    pub commit: Option<String>,
    /// That commit's time (seconds since the epoch).
    pub committed_at: Option<i64>,
    /// The remote could not be fetched: the last fetched commit was read
    /// (or none).
    pub stale: bool,
    /// Why, when stale (redacted).
    pub reason: Option<String>,
    /// When the cache was last fetched successfully (seconds since the
    /// epoch): a time of the machine that ran the build, so only `/metrics`
    /// and a stale source's record show it.
    pub fetched_at: Option<i64>,
}

/// When the cache at `dir` was last fetched: libgit2 rewrites `FETCH_HEAD`
/// on every successful fetch.
fn fetched_at(dir: &Path) -> Option<i64> {
    let modified = std::fs::metadata(dir.join("FETCH_HEAD")).ok()?.modified().ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_secs()).ok()
}

/// The cache directory of a remote: a readable name plus a hash of the URL.
fn cache_dir(root: &Path, url: &str) -> PathBuf {
    let name = repo_name(url);
    let hash = Sha256::digest(url.as_bytes());
    let short = hex::encode(&hash[..4]);
    super::cache_dir(root).join(format!("{name}-{short}"))
}

/// `https://host/acme/platform-resources.git` → `platform-resources`.
fn repo_name(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or("source");
    let name: String = last
        .trim_end_matches(".git")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    if name.is_empty() {
        "source".into()
    } else {
        name
    }
}

fn at_config() -> FilePosition {
    FilePosition::file_only(CONFIG_FILE)
}

/// Opens the cache, or makes a new one when it is missing or unreadable
/// (a corrupt cache holds no good copy to keep).
fn open_cache(dir: &Path) -> Result<Repository, git2::Error> {
    if let Ok(repo) = Repository::open_bare(dir) {
        return Ok(repo);
    }
    if dir.exists() {
        let _ = std::fs::remove_dir_all(dir);
    }
    Repository::init_bare(dir)
}

/// Lock files left by a fetch that was killed would block every later one.
fn remove_stale_locks(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "lock") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The environment variables a token for https remotes is read from, in
/// order. The token is handed to libgit2 and never logged or written.
pub const TOKEN_VARIABLES: &[&str] = &["CAIRN_GIT_TOKEN", "GITHUB_TOKEN"];

fn token() -> Option<String> {
    TOKEN_VARIABLES
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|t| !t.is_empty()))
}

fn fetch(repo: &Repository, url: &str) -> Result<(), git2::Error> {
    // Anything but a local repository may end up on https (a redirect).
    if url.contains("://") && !url.starts_with("file://") {
        super::git_tls::before_https_fetch();
    }
    let mut remote = repo.remote_anonymous(url)?;
    let mut callbacks = git2::RemoteCallbacks::new();
    let mut asked = false;
    callbacks.credentials(move |_url, username, allowed| {
        // Offer the token once; asking again would loop on a wrong token.
        match token() {
            Some(token) if !asked && allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) => {
                asked = true;
                git2::Cred::userpass_plaintext(username.unwrap_or("x-access-token"), &token)
            }
            _ => Err(git2::Error::from_str(&format!(
                "authentication required: set {} to a token with read access",
                TOKEN_VARIABLES.join(" or ")
            ))),
        }
    });
    let mut options = git2::FetchOptions::new();
    options.remote_callbacks(callbacks);
    remote.fetch(
        &["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"],
        Some(&mut options),
        None,
    )
}

/// The commit `reference` names in the cache: a branch, a tag or a commit
/// id; `HEAD` means `main`, else `master`.
fn resolve(repo: &Repository, reference: &str) -> Option<Oid> {
    let candidates: Vec<String> = if reference == "HEAD" {
        vec!["refs/remotes/origin/main".into(), "refs/remotes/origin/master".into()]
    } else {
        vec![
            format!("refs/remotes/origin/{reference}"),
            format!("refs/tags/{reference}"),
            reference.to_string(),
        ]
    };
    candidates
        .iter()
        .find_map(|c| repo.revparse_single(c).ok()?.peel_to_commit().ok().map(|c| c.id()))
}

/// Reads one git source: its YAML files under `path`, with diagnostics for
/// everything that went wrong, and how it was read.
pub fn load_git_source(
    root: &Path,
    url: &str,
    reference: &str,
    path: Option<&str>,
) -> (Vec<SourceFile>, Vec<Diagnostic>, SourceHealth) {
    let shown = redact_url(url);
    let redact = |message: &str| message.replace(url, &shown);
    let mut health = SourceHealth {
        url: shown.clone(),
        reference: reference.to_string(),
        path: path.map(str::to_string),
        commit: None,
        committed_at: None,
        stale: true,
        reason: None,
        fetched_at: None,
    };
    let (files, diagnostics) = read_source(root, url, reference, path, &mut health);
    health.reason = health.reason.map(|r| redact(&r));
    (files, diagnostics, health)
}

fn read_source(
    root: &Path,
    url: &str,
    reference: &str,
    path: Option<&str>,
    health: &mut SourceHealth,
) -> (Vec<SourceFile>, Vec<Diagnostic>) {
    let shown = redact_url(url);
    let redact = |message: &str| message.replace(url, &shown);
    let mut diagnostics = Vec::new();
    let dir = cache_dir(root, url);
    super::create_cache_dir(&super::cache_dir(root));
    let repo = match open_cache(&dir) {
        Ok(repo) => repo,
        Err(e) => {
            let message = format!(
                "cannot create the cache for git source `{shown}` at `{}`: {}",
                dir.display(),
                redact(e.message())
            );
            health.reason = Some(message.clone());
            return (
                Vec::new(),
                vec![Diagnostic::new(Code::SourceUnreachable, at_config(), message)],
            );
        }
    };
    remove_stale_locks(&dir);
    let fetched = fetch(&repo, url);
    health.stale = fetched.is_err();
    health.reason = fetched.as_ref().err().map(|e| e.message().to_string());
    health.fetched_at = fetched_at(&dir);
    let Some(commit_id) = resolve(&repo, reference) else {
        let why = match &fetched {
            Err(e) => format!("it could not be fetched: {}", redact(e.message())),
            Ok(()) => format!("it has no branch, tag or commit `{reference}`"),
        };
        health.reason = Some(why.clone());
        let message = format!("cannot read git source `{shown}`: {why}");
        return (
            Vec::new(),
            vec![Diagnostic::new(Code::SourceUnreachable, at_config(), message)
                .with_help("check the URL, the network and `branch`/`ref` in cairn.yaml")],
        );
    };
    let short = &commit_id.to_string()[..7];
    health.commit = Some(commit_id.to_string());
    health.committed_at = repo.find_commit(commit_id).ok().map(|c| c.time().seconds());
    if let Err(e) = &fetched {
        diagnostics.push(
            Diagnostic::new(
                Code::SourceStale,
                at_config(),
                format!(
                    "could not fetch git source `{shown}` ({}); using the last fetched commit {short}",
                    redact(e.message())
                ),
            )
            .with_help("the catalog may be behind that repository; fix the network or the URL and build again"),
        );
    }
    let files = match read_tree(&repo, commit_id, path, &repo_name(url), &shown) {
        Ok((files, found)) => {
            diagnostics.extend(found);
            files
        }
        Err(message) => {
            diagnostics.push(
                Diagnostic::new(Code::SourcePathMissing, at_config(), message)
                    .with_help("fix `path:` of this source in cairn.yaml"),
            );
            Vec::new()
        }
    };
    (files, diagnostics)
}

fn read_tree(
    repo: &Repository,
    commit_id: Oid,
    path: Option<&str>,
    name: &str,
    url: &str,
) -> Result<(Vec<SourceFile>, Vec<Diagnostic>), String> {
    let commit = repo.find_commit(commit_id).map_err(|e| e.message().to_string())?;
    let tree = commit.tree().map_err(|e| e.message().to_string())?;
    let prefix = path.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty());
    let subtree = match prefix {
        Some(p) => {
            let entry = tree
                .get_path(Path::new(p))
                .map_err(|_| format!("git source `{url}` has no `{p}` at {}", &commit_id.to_string()[..7]))?;
            repo.find_tree(entry.id())
                .map_err(|_| format!("`{p}` in git source `{url}` is not a directory"))?
        }
        None => tree,
    };
    let (blobs, outside) = yaml_blobs(repo, &subtree).map_err(|e| e.message().to_string())?;
    let short = &commit_id.to_string()[..7];
    let mut files = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = outside
        .into_iter()
        .map(|link| {
            let display = format!(
                "{name}@{short}/{}",
                prefix.map_or(link.clone(), |p| format!("{p}/{link}"))
            );
            Diagnostic::new(
                Code::SymlinkOutsideRoot,
                FilePosition::file_only(&display),
                format!("`{display}` is a symbolic link that leads outside its git source; it is skipped"),
            )
            .with_help("cairn reads only files inside a source's `path:`; point the link at a file there")
        })
        .collect();
    let in_source = |relative: &str| match prefix {
        Some(p) => format!("{p}/{relative}"),
        None => relative.to_string(),
    };
    let read = tree_reader(repo, &subtree, |relative| {
        format!("{name}@{short}/{}", in_source(relative))
    });
    for TreeFile { id, path: file, .. } in blobs {
        let blob = repo.find_blob(id).map_err(|e| e.message().to_string())?;
        let text = String::from_utf8_lossy(blob.content()).into_owned();
        let dir = super::placeholders::dir_of(&file).to_string();
        let repo_path = in_source(&file);
        let display = format!("{name}@{short}/{repo_path}");
        let origin = GitOrigin {
            url: url.to_string(),
            commit: commit_id.to_string(),
            path: repo_path,
        };
        let (mut file, found) = SourceFile::parse(display, text, Some(origin));
        diagnostics.extend(found);
        // Placeholders read inside the source's tree, at its commit.
        diagnostics.extend(file.resolve_placeholders(&dir, &read));
        files.push(file);
    }
    Ok((files, diagnostics))
}

/// Reads placeholder targets from `tree` (paths relative to it), naming
/// them with `display`: blobs only, links only when they stay in the tree.
pub(crate) fn tree_reader<'a>(
    repo: &'a Repository,
    tree: &'a git2::Tree<'a>,
    display: impl Fn(&str) -> String + 'a,
) -> impl Fn(&str) -> Result<super::placeholders::Target, super::placeholders::TargetError> + 'a {
    use super::placeholders::{Target, TargetError};
    move |relative: &str| {
        let mut path = relative.to_string();
        let entry = loop {
            let entry = tree.get_path(Path::new(&path)).map_err(|_| TargetError::Missing)?;
            if entry.filemode() != LINK_MODE {
                break entry;
            }
            let link = repo
                .find_blob(entry.id())
                .map_err(|e| TargetError::Unreadable(e.message().to_string()))?;
            let dir = super::placeholders::dir_of(&path);
            path = resolve_link(&format!("{dir}/"), &String::from_utf8_lossy(link.content()))
                .ok_or(TargetError::Outside { through_link: true })?;
        };
        let blob = repo
            .find_blob(entry.id())
            .map_err(|_| TargetError::Unreadable("it is a directory".into()))?;
        if blob.size() as u64 > super::MAX_FILE_BYTES {
            return Err(TargetError::Unreadable(format!(
                "it is larger than {} bytes",
                super::MAX_FILE_BYTES
            )));
        }
        let text = String::from_utf8(blob.content().to_vec()).map_err(|e| {
            TargetError::Unreadable(format!(
                "it is not UTF-8 (byte offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(Target {
            display: display(relative),
            text,
        })
    }
}

/// A YAML file of a git tree: the blob to read and the path it is read
/// under; for a symbolic link, `target` is the path the link resolves to.
pub(crate) struct TreeFile {
    pub id: Oid,
    pub path: String,
    pub target: Option<String>,
}

/// Git's file mode of a symbolic link.
const LINK_MODE: i32 = 0o120000;

/// Every `*.yaml`/`*.yml` file of `tree`, in tree order, and the links
/// among them that lead outside `tree` (or to no file in it). A link inside
/// the tree is read as the file it names, under the link's own path — as
/// the working tree's walk does.
pub(crate) fn yaml_blobs(repo: &Repository, tree: &git2::Tree) -> Result<(Vec<TreeFile>, Vec<String>), git2::Error> {
    let mut files = Vec::new();
    let mut outside = Vec::new();
    let mut links = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let path = format!("{dir}{}", entry.name().unwrap_or_default());
        if entry.kind() == Some(ObjectType::Blob) && (path.ends_with(".yaml") || path.ends_with(".yml")) {
            if entry.filemode() == LINK_MODE {
                links.push((entry.id(), dir.to_string(), path));
            } else {
                files.push(TreeFile {
                    id: entry.id(),
                    path,
                    target: None,
                });
            }
        }
        TreeWalkResult::Ok
    })?;
    for (id, dir, path) in links {
        let blob = repo.find_blob(id)?;
        let target = String::from_utf8_lossy(blob.content()).into_owned();
        let resolved = resolve_link(&dir, &target);
        let found = resolved.as_deref().and_then(|r| tree.get_path(Path::new(r)).ok());
        match (resolved, found) {
            (Some(resolved), Some(entry))
                if entry.kind() == Some(ObjectType::Blob) && entry.filemode() != LINK_MODE =>
            {
                files.push(TreeFile {
                    id: entry.id(),
                    path,
                    target: Some(resolved),
                })
            }
            _ => outside.push(path),
        }
    }
    Ok((files, outside))
}

/// The tree path a link in `dir` (`a/b/`) to `target` names, resolved
/// lexically; `None` when it is absolute or climbs above the tree.
fn resolve_link(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    super::placeholders::join(dir.trim_end_matches('/'), target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_tree_or_not_at_all() {
        assert_eq!(resolve_link("a/b/", "../c.yaml").as_deref(), Some("a/c.yaml"));
        assert_eq!(resolve_link("", "./x/y.yaml").as_deref(), Some("x/y.yaml"));
        assert_eq!(resolve_link("a/", "../../etc/passwd"), None);
        assert_eq!(resolve_link("a/", "/etc/passwd"), None);
    }

    #[test]
    fn names_cache_directories_after_the_repository() {
        assert_eq!(
            repo_name("https://github.com/acme/platform-resources.git"),
            "platform-resources"
        );
        assert_eq!(repo_name("git@github.com:acme/x.git"), "x");
        assert_eq!(repo_name("file:///tmp/r/"), "r");
        let a = cache_dir(Path::new("/c"), "https://h/a.git");
        let b = cache_dir(Path::new("/c"), "https://other/a.git");
        assert_ne!(a, b, "same name, different remotes");
    }
}
