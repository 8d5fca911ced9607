//! Backstage `Location` entities: each target becomes a file to load, as
//! Backstage's location processing does — without the network.
//!
//! * A relative target (`./org.yaml`, `../teams/*.yaml`) is a file (or a
//!   glob) next to the Location, whatever its `type`: Backstage resolves a
//!   relative `url` target against the Location's own URL, which is the
//!   same place.
//! * An absolute URL into the catalog's own repository (the repository of
//!   `site.edit_url`, or of the `origin` remote) — GitHub's `blob`/`raw`
//!   and GitLab's `-/blob`/`-/raw` forms — is the local file at that path.
//! * Any other URL is `location-target-unsupported` (a warning): a build
//!   never fetches.
//! * A target outside the root is `path-outside-root`; a missing target is
//!   `location-target-missing` (severity per target type, `file` or `url`,
//!   in `policies:`), except under `presence: optional`.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use super::confine::{Confine, Reach};
use super::{canonical, display_path};
use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::parse::Node;
use crate::source::SourceFile;

/// Follows Location targets for one load; what it learns about the root
/// (its confinement, its repository) is looked up once, when first needed.
pub(super) struct Locator<'a> {
    root: &'a Path,
    config: &'a Config,
    confine: OnceCell<Confine>,
    repository: OnceCell<Repository>,
}

/// The catalog's own repository: the `host/owner/name` identities its
/// URLs may use, each with the local directory a path in it is relative to.
#[derive(Debug, Default)]
struct Repository {
    /// (identity, local directory, path prefix in the repository that the
    /// directory stands for).
    identities: Vec<(String, PathBuf, String)>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(root: &'a Path, config: &'a Config) -> Locator<'a> {
        Locator {
            root,
            config,
            confine: OnceCell::new(),
            repository: OnceCell::new(),
        }
    }

    fn confine(&self) -> &Confine {
        self.confine.get_or_init(|| Confine::new(self.root))
    }

    fn repository(&self) -> &Repository {
        self.repository
            .get_or_init(|| Repository::of(self.root, self.config.site.edit_url.as_deref()))
    }

    /// The files the Location documents of `file` point at.
    pub(super) fn targets(&self, file: &SourceFile, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
        let mut targets = Vec::new();
        for doc in &file.documents {
            let root_node = &doc.root;
            let is_location = root_node
                .get_str("apiVersion")
                .is_some_and(|v| v.starts_with("backstage.io/"))
                && root_node.get_str("kind") == Some("Location");
            let Some(spec) = root_node.get("spec").filter(|_| is_location) else {
                continue;
            };
            let kind = if spec.get_str("type") == Some("url") {
                "url"
            } else {
                "file"
            };
            let optional = spec.get_str("presence") == Some("optional");
            let mut nodes: Vec<(&Node, String)> = Vec::new();
            if let Some(target) = spec.get("target") {
                nodes.push((target, "/spec/target".into()));
            }
            if let Some(items) = spec.get("targets").and_then(Node::as_seq) {
                nodes.extend(items.iter().enumerate().map(|(i, n)| (n, format!("/spec/targets/{i}"))));
            }
            for (node, pointer) in nodes {
                let Some(target) = node.as_str() else {
                    continue;
                };
                let target = Target {
                    text: target,
                    kind,
                    optional,
                    at: FilePosition {
                        file: file.display.clone(),
                        line: node.start.line,
                        column: node.start.column,
                        pointer,
                    },
                };
                self.follow(file, &target, &mut targets, diagnostics);
            }
        }
        targets
    }

    /// Adds the files `target` names to `targets`, or reports why not.
    fn follow(
        &self,
        file: &SourceFile,
        target: &Target,
        targets: &mut Vec<PathBuf>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let here = self.root.join(&file.display);
        let dir = here.parent().unwrap_or(self.root);
        let path = if target.text.contains("://") {
            match self.repository().local_path(target.text) {
                Some(path) => path,
                None => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::LocationTargetUnsupported,
                            target.at.clone(),
                            format!("Location target `{}` is a URL; cairn does not fetch it", target.text),
                        )
                        .with_help(
                            "a build never touches the network: add the repository as a `git:` source in cairn.yaml",
                        ),
                    );
                    return;
                }
            }
        } else {
            dir.join(target.text)
        };
        if !lexically_inside(self.root, &path) {
            diagnostics.push(outside_root(&target.at, "Location target", target.text));
            return;
        }
        if target.text.contains(['*', '?', '[', '{']) && !target.text.contains("://") {
            match glob_targets(dir, target.text) {
                Ok(found) if !found.is_empty() => targets.extend(found),
                Ok(_) => self.missing(
                    target,
                    "matches no file",
                    "targets are relative to the Location's file".into(),
                    diagnostics,
                ),
                Err(why) => diagnostics.push(
                    Diagnostic::new(
                        Code::LocationTargetMissing,
                        target.at.clone(),
                        format!("Location target `{}` is not a valid glob: {why}", target.text),
                    )
                    .with_help("use `*`, `**`, `?` and `[...]` as in Backstage's file targets")
                    .with_target(target.kind),
                ),
            }
            return;
        }
        let confine = self.confine();
        let reach = confine.reach(&path);
        if let Reach::Outside(real) = &reach {
            diagnostics.push(confine.outside_warning(&path, real));
        } else if path.is_file() {
            targets.push(path);
        } else if matches!(reach, Reach::Inside(_)) && !path.is_dir() {
            diagnostics.push(confine.special_file_warning(&path));
        } else {
            let help = format!(
                "no file at `{}`; targets are relative to the Location's file",
                display_path(self.root, &path)
            );
            self.missing(target, "does not exist", help, diagnostics);
        }
    }

    fn missing(&self, target: &Target, what: &str, help: String, diagnostics: &mut Vec<Diagnostic>) {
        if target.optional {
            // `presence: optional`: Backstage ignores a missing target.
            return;
        }
        diagnostics.push(
            Diagnostic::new(
                Code::LocationTargetMissing,
                target.at.clone(),
                format!("Location target `{}` {what}", target.text),
            )
            .with_help(help)
            .with_target(target.kind),
        );
    }
}

/// One target of a Location, as written.
struct Target<'a> {
    text: &'a str,
    /// `file` or `url` (the Location's `spec.type`).
    kind: &'static str,
    optional: bool,
    at: FilePosition,
}

impl Repository {
    /// The `origin` remote's repository (paths relative to the work tree)
    /// and `site.edit_url`'s (paths relative to the catalog root, past the
    /// directory the edit URL names, if any).
    fn of(root: &Path, edit_url: Option<&str>) -> Repository {
        let mut repository = Repository::default();
        if let Ok(repo) = git2::Repository::discover(root) {
            let origin = repo
                .find_remote("origin")
                .ok()
                .and_then(|r| r.url().ok().map(str::to_string));
            if let (Some(workdir), Some(identity)) = (repo.workdir(), origin.as_deref().and_then(identity_of)) {
                repository
                    .identities
                    .push((identity, workdir.to_path_buf(), String::new()));
            }
        }
        if let Some((identity, prefix)) = edit_url.and_then(edit_base) {
            repository.identities.push((identity, root.to_path_buf(), prefix));
        }
        repository
    }

    /// The local file an absolute URL into this repository names.
    fn local_path(&self, url: &str) -> Option<PathBuf> {
        let (identity, path) = split_file_url(url)?;
        self.identities.iter().find_map(|(known, base, prefix)| {
            let relative = path.strip_prefix(prefix.as_str())?;
            (*known == identity).then(|| base.join(relative))
        })
    }
}

/// The repository and the directory in it of an edit URL such as
/// `https://github.com/acme/catalog/edit/main/` or
/// `https://gitlab.com/acme/catalog/-/edit/main/catalog/`: what a catalog
/// path is appended to.
fn edit_base(edit_url: &str) -> Option<(String, String)> {
    let identity = identity_of(edit_url)?;
    let rest = edit_url.split_once("://")?.1;
    let parts: Vec<&str> = rest.split('/').collect();
    let prefix = match parts.as_slice() {
        [_, _, _, "-", "edit" | "blob", _reference, prefix @ ..]
        | [_, _, _, "edit" | "blob", _reference, prefix @ ..] => prefix.join("/"),
        _ => String::new(),
    };
    Some((identity, prefix))
}

/// `host/owner/name` (lowercase, no `.git`) of a repository URL: https,
/// `ssh://`, or scp-like `git@host:owner/name.git`.
pub(crate) fn identity_of(url: &str) -> Option<String> {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.to_string(),
        None => url.split_once('@').map_or(url, |(_, r)| r).replacen(':', "/", 1),
    };
    let rest = rest.rsplit_once('@').map_or(rest.as_str(), |(_, r)| r);
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    let host = parts.next()?.split(':').next()?;
    let owner = parts.next()?;
    let name = parts.next()?.trim_end_matches(".git");
    Some(format!("{host}/{owner}/{name}").to_ascii_lowercase())
}

/// The repository identity and the file path of a URL to a file in a
/// repository: GitHub's `https://HOST/OWNER/NAME/blob/REF/PATH` (or `raw`)
/// and `https://raw.githubusercontent.com/OWNER/NAME/REF/PATH`, GitLab's
/// `https://HOST/OWNER/NAME/-/blob/REF/PATH` (or `raw`). The ref is taken
/// to be one path segment.
fn split_file_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next()?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (identity, path) = match parts.as_slice() {
        ["raw.githubusercontent.com", owner, name, _reference, path @ ..] => {
            (format!("github.com/{owner}/{name}"), path.join("/"))
        }
        [host, owner, name, "-", "blob" | "raw", _reference, path @ ..]
        | [host, owner, name, "blob" | "raw", _reference, path @ ..] => {
            (format!("{host}/{owner}/{name}"), path.join("/"))
        }
        _ => return None,
    };
    (!path.is_empty()).then(|| (identity.to_ascii_lowercase(), path))
}

/// Whether `path`, with `.` and `..` resolved but links not followed, is
/// under `root` (a link that leads out is [`Confine`]'s to find).
pub(crate) fn lexically_inside(root: &Path, path: &Path) -> bool {
    match (std::path::absolute(root), std::path::absolute(path)) {
        (Ok(root), Ok(path)) => canonical(&path).starts_with(canonical(&root)),
        _ => false,
    }
}

/// The error for a target (`what`) whose path leads out of the root:
/// cairn reads only files under the catalog root.
pub(crate) fn outside_root(at: &FilePosition, what: &str, target: &str) -> Diagnostic {
    Diagnostic::new(
        Code::PathOutsideRoot,
        at.clone(),
        format!("{what} `{target}` is outside the catalog root"),
    )
    .with_help("cairn reads only files under the catalog root: move the file into the repository, or read its repository as a `git:` source")
}

/// The YAML files a glob target (`./components/*.yaml`, `./**/*.yaml`)
/// matches under `dir`, sorted.
fn glob_targets(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let pattern = pattern.trim_start_matches("./");
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| e.kind().to_string())?
        .compile_matcher();
    // Walk only below the part of the pattern without glob characters.
    let fixed: PathBuf = pattern
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .collect();
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir.join(&fixed))
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .strip_prefix(dir)
                .is_ok_and(|relative| matcher.is_match(relative))
        })
        .map(walkdir::DirEntry::into_path)
        .collect();
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_identities_from_any_remote_form() {
        for url in [
            "https://github.com/Acme/Catalog.git",
            "https://token@github.com/acme/catalog",
            "git@github.com:acme/catalog.git",
            "ssh://git@github.com/acme/catalog.git",
            "https://github.com/acme/catalog/edit/main/",
        ] {
            assert_eq!(identity_of(url).as_deref(), Some("github.com/acme/catalog"), "{url}");
        }
    }

    #[test]
    fn edit_urls_name_the_root_s_place_in_the_repository() {
        assert_eq!(
            edit_base("https://github.com/acme/catalog/edit/main/"),
            Some(("github.com/acme/catalog".to_string(), String::new()))
        );
        assert_eq!(
            edit_base("https://gitlab.com/acme/catalog/-/edit/main/catalog/"),
            Some(("gitlab.com/acme/catalog".to_string(), "catalog/".to_string()))
        );
    }

    #[test]
    fn file_urls_split_into_repository_and_path() {
        let split = |url| split_file_url(url).map(|(i, p)| format!("{i} {p}"));
        assert_eq!(
            split("https://github.com/acme/catalog/blob/main/teams/org.yaml").as_deref(),
            Some("github.com/acme/catalog teams/org.yaml")
        );
        assert_eq!(
            split("https://raw.githubusercontent.com/acme/catalog/main/org.yaml?x=1").as_deref(),
            Some("github.com/acme/catalog org.yaml")
        );
        assert_eq!(
            split("https://gitlab.example.com/acme/catalog/-/blob/main/a/b.yaml").as_deref(),
            Some("gitlab.example.com/acme/catalog a/b.yaml")
        );
        assert_eq!(split("https://github.com/acme/catalog"), None);
        assert_eq!(split("https://example.com/catalog-info.yaml"), None);
    }
}
