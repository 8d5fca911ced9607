//! `cairn discover git PATH…`: facts from local clones, read from the
//! object database at HEAD with git2 (uncommitted files are not facts).
//!
//! Each PATH is a clone or a directory inside one (a service of a monorepo)
//! and becomes one repo entry: its slug (`org/name` from the `origin`
//! remote, else the directory name), CODEOWNERS shares over the files under
//! PATH, the README's first real paragraph, whether a `catalog-info.yaml` is
//! there, bytes per language, the last commit touching PATH, commit authors
//! over a window ending at HEAD's commit time (not the clock, so an unchanged
//! repository gives identical facts), and the deploy targets of the
//! repository's workflows (for a directory: the workflows that mention it).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, Context};
use git2::{ObjectType, Repository, Sort, TreeWalkMode, TreeWalkResult};
use rayon::prelude::*;
use regex::Regex;

use super::codeowners::{self, CodeOwners};
use super::workflows::deploy_targets;
use crate::facts::{Author, Facts, Repo, ScanError, Source};

/// How far back commit authors are counted, from HEAD's commit time.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;
/// At most this many commits are read per repository.
const MAX_COMMITS: usize = 5_000;
/// Directories whose files are not the repository's own code.
const VENDORED: [&str; 4] = ["node_modules/", "vendor/", "third_party/", "dist/"];

/// Scans every path in parallel. A path that cannot be read is an entry in
/// `errors` (and the facts are marked partial); the others are still
/// scanned.
pub fn scan(paths: &[PathBuf], window_days: u32) -> Facts {
    let results: Vec<(String, anyhow::Result<Repo>)> = paths
        .par_iter()
        .map(|path| (path.display().to_string(), scan_path(path, window_days)))
        .collect();
    let mut facts = Facts::new(Source::Git);
    for (scope, result) in results {
        match result {
            Ok(repo) => facts.repos.push(repo),
            Err(error) => {
                facts.partial = true;
                facts.errors.push(ScanError {
                    scope,
                    message: format!("{error:#}"),
                });
            }
        }
    }
    facts.normalize();
    facts
}

/// One clone, or one directory of a clone.
pub fn scan_path(path: &Path, window_days: u32) -> anyhow::Result<Repo> {
    let path = std::fs::canonicalize(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let repo = Repository::discover(&path).context("not in a git repository")?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("bare repositories are not supported"))?;
    let workdir = std::fs::canonicalize(workdir)?;
    let prefix = path
        .strip_prefix(&workdir)
        .expect("a discovered repository contains the path")
        .to_string_lossy()
        .replace('\\', "/");
    let head = repo.head().context("the repository has no commits")?.peel_to_commit()?;
    let files = tracked_files(&repo, &head.tree()?)?;
    let under = |file: &str| prefix.is_empty() || file.starts_with(&format!("{prefix}/"));
    let own: Vec<&TrackedFile> = files.iter().filter(|f| under(&f.path)).collect();
    if own.is_empty() {
        return Err(anyhow!("`{prefix}` holds no committed files"));
    }
    let read = |relative: &str| -> Option<String> {
        let file = files.iter().find(|f| f.path == relative)?;
        let blob = repo.find_blob(file.id).ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    };
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        }
    };

    let codeowners = codeowners::LOCATIONS.iter().find_map(|location| {
        let text = read(location)?;
        let rules = CodeOwners::parse(&text);
        Some(crate::facts::CodeOwners {
            file: location.to_string(),
            shares: rules.shares(own.iter().map(|f| f.path.as_str())),
        })
    });
    let readme_paths = [join("readme.md"), join("readme")];
    let readme = own
        .iter()
        .find(|f| readme_paths.contains(&f.path.to_ascii_lowercase()))
        .and_then(|f| read(&f.path));
    let workflows: Vec<String> = files
        .iter()
        .filter(|f| f.path.starts_with(".github/workflows/") && (f.path.ends_with(".yml") || f.path.ends_with(".yaml")))
        .filter_map(|f| read(&f.path))
        .filter(|text| prefix.is_empty() || text.contains(&prefix))
        .collect();
    let mut targets: Vec<_> = workflows.iter().flat_map(|text| deploy_targets(text)).collect();
    targets.sort();
    targets.dedup();

    let (last_commit, authors) = history(&repo, &head, &prefix, window_days)?;
    Ok(Repo {
        slug: slug_of(&repo, &workdir),
        path: prefix.clone(),
        description: readme.as_deref().and_then(first_paragraph),
        languages: languages(&own),
        catalog_info: own
            .iter()
            .any(|f| f.path == join("catalog-info.yaml") || f.path == join("catalog-info.yml")),
        last_commit,
        pushed_at: None,
        codeowners,
        authors,
        deploy_targets: targets,
    })
}

struct TrackedFile {
    path: String,
    id: git2::Oid,
    size: u64,
}

/// Every blob in `tree`, with its size (from the object header, without
/// reading the content).
fn tracked_files(repo: &Repository, tree: &git2::Tree) -> anyhow::Result<Vec<TrackedFile>> {
    let odb = repo.odb()?;
    let mut files = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            if let Ok(name) = entry.name() {
                let size = odb.read_header(entry.id()).map(|(size, _)| size as u64).unwrap_or(0);
                files.push(TrackedFile {
                    path: format!("{dir}{name}"),
                    id: entry.id(),
                    size,
                });
            }
        }
        TreeWalkResult::Ok
    })?;
    Ok(files)
}

/// The last commit touching `prefix` (RFC 3339, UTC) and the authors of
/// the commits touching it within `window_days` of HEAD's commit time.
fn history(
    repo: &Repository,
    head: &git2::Commit,
    prefix: &str,
    window_days: u32,
) -> anyhow::Result<(Option<String>, Vec<Author>)> {
    let since = head.time().seconds() - i64::from(window_days) * 86_400;
    let mut walk = repo.revwalk()?;
    walk.push(head.id())?;
    walk.set_sorting(Sort::TIME)?;
    let mut last_commit = None;
    let mut counts: HashMap<String, u64> = HashMap::new();
    for id in walk.take(MAX_COMMITS) {
        let commit = repo.find_commit(id?)?;
        let time = commit.time().seconds();
        if last_commit.is_some() && time < since {
            break;
        }
        if !prefix.is_empty() && !touches(repo, &commit, prefix)? {
            continue;
        }
        if last_commit.is_none() {
            last_commit = Some(rfc3339(time));
        }
        if time >= since {
            let email = commit.author().email().unwrap_or_default().trim().to_ascii_lowercase();
            if !email.is_empty() {
                *counts.entry(email).or_default() += 1;
            }
        }
    }
    let mut authors: Vec<Author> = counts
        .into_iter()
        .map(|(email, commits)| Author {
            login: noreply_login(&email),
            email,
            commits,
        })
        .collect();
    authors.sort_by(|a, b| b.commits.cmp(&a.commits).then_with(|| a.email.cmp(&b.email)));
    Ok((last_commit, authors))
}

/// Whether `commit` changed anything under `prefix` (against its first
/// parent; a root commit against the empty tree).
fn touches(repo: &Repository, commit: &git2::Commit, prefix: &str) -> anyhow::Result<bool> {
    let tree = commit.tree()?;
    let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let mut options = git2::DiffOptions::new();
    options.pathspec(format!("{prefix}/"));
    let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut options))?;
    Ok(diff.deltas().len() > 0)
}

fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// `12345+octocat@users.noreply.github.com` → `octocat`.
fn noreply_login(email: &str) -> Option<String> {
    let local = email.strip_suffix("@users.noreply.github.com")?;
    let login = local.split_once('+').map_or(local, |(_, login)| login);
    (!login.is_empty()).then(|| login.to_string())
}

/// `org/name` from the `origin` remote (any host, SSH or HTTPS form), else
/// the work tree's directory name.
fn slug_of(repo: &Repository, workdir: &Path) -> String {
    static REMOTE: OnceLock<Regex> = OnceLock::new();
    let remote = REMOTE.get_or_init(|| Regex::new(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$").expect("compiles"));
    repo.find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(str::to_string))
        .and_then(|url| remote.captures(&url).map(|c| format!("{}/{}", &c[1], &c[2])))
        .unwrap_or_else(|| {
            workdir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

/// Bytes per language, by file extension, skipping vendored directories.
fn languages(files: &[&TrackedFile]) -> BTreeMap<String, u64> {
    let mut bytes = BTreeMap::new();
    for file in files {
        if VENDORED
            .iter()
            .any(|v| file.path.starts_with(v) || file.path.contains(&format!("/{v}")))
        {
            continue;
        }
        let extension = file.path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        if let Some(language) = extension.as_deref().and_then(language_of) {
            *bytes.entry(language.to_string()).or_default() += file.size;
        }
    }
    bytes
}

fn language_of(extension: &str) -> Option<&'static str> {
    Some(match extension {
        "rs" => "Rust",
        "go" => "Go",
        "py" => "Python",
        "js" | "mjs" | "cjs" | "jsx" => "JavaScript",
        "ts" | "tsx" | "mts" => "TypeScript",
        "java" => "Java",
        "kt" | "kts" => "Kotlin",
        "scala" => "Scala",
        "rb" => "Ruby",
        "php" => "PHP",
        "cs" => "C#",
        "c" | "h" => "C",
        "cc" | "cpp" | "cxx" | "hpp" => "C++",
        "swift" => "Swift",
        "ex" | "exs" => "Elixir",
        "clj" => "Clojure",
        "dart" => "Dart",
        "lua" => "Lua",
        "sh" | "bash" => "Shell",
        "tf" | "hcl" => "HCL",
        "html" | "htm" => "HTML",
        "css" => "CSS",
        "scss" => "SCSS",
        "vue" => "Vue",
        "sql" => "SQL",
        _ => return None,
    })
}

/// The README's first real paragraph: headings, images (badges), HTML and
/// paragraphs left empty by them are skipped; links keep their text.
/// Whitespace is collapsed and the text capped at 500 characters.
pub fn first_paragraph(markdown: &str) -> Option<String> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut in_paragraph = false;
    let mut image_depth = 0usize;
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Paragraph) => {
                in_paragraph = true;
                text.clear();
            }
            Event::End(TagEnd::Paragraph) => {
                in_paragraph = false;
                let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if collapsed.chars().any(char::is_alphanumeric) {
                    return Some(collapsed.chars().take(500).collect());
                }
            }
            Event::Start(Tag::Image { .. }) => image_depth += 1,
            Event::End(TagEnd::Image) => image_depth = image_depth.saturating_sub(1),
            Event::Text(t) | Event::Code(t) if in_paragraph && image_depth == 0 => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_paragraph_skips_headings_badges_and_html() {
        let readme = "# payments-api\n\n[![build](https://x/badge.svg)](https://x) ![cov](https://y.svg)\n\n<p align=\"center\"><img src=\"logo.png\"></p>\n\nHandles **card** payments\nfor the [checkout](https://x) flow.\n\nSecond paragraph.\n";
        assert_eq!(
            first_paragraph(readme).as_deref(),
            Some("Handles card payments for the checkout flow.")
        );
        assert_eq!(first_paragraph("# Title only\n"), None);
    }

    #[test]
    fn noreply_addresses_give_logins() {
        assert_eq!(
            noreply_login("123+octocat@users.noreply.github.com").as_deref(),
            Some("octocat")
        );
        assert_eq!(
            noreply_login("octocat@users.noreply.github.com").as_deref(),
            Some("octocat")
        );
        assert_eq!(noreply_login("ada@example.com"), None);
    }
}
