//! The published set from real git repositories built with git2: published
//! versions never change, are never deleted or reused, new versions increase
//! and bump enough (SEMVER.md).

use git2::{IndexAddOption, Oid, Repository, Signature};

use crate::harness::TestCatalog;

fn definition(version: &str, min: u32) -> String {
    format!(
        "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata:\n  name: db\n  version: \"{version}\"\nspec:\n  required_inputs:\n    - name: storage_gb\n      type: integer\n      validation: {{ min: {min} }}\n"
    )
}

struct Repo {
    catalog: TestCatalog,
    repo: Repository,
}

impl Repo {
    fn new() -> Repo {
        let catalog = TestCatalog::empty();
        let repo = Repository::init(catalog.path()).unwrap();
        Repo { catalog, repo }
    }

    fn write(&self, path: &str, contents: &str) -> &Self {
        self.catalog.write(path, contents);
        self
    }

    fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.catalog.path().join(path)).unwrap();
        self
    }

    /// Commits every change of the working tree on HEAD.
    fn commit(&self, message: &str) -> Oid {
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = Signature::now("Test", "test@example.com").unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .unwrap()
    }

    fn check(&self, base: Option<&str>) -> crate::harness::Run {
        let mut args = vec!["--format", "json"];
        if let Some(base) = base {
            args.extend(["--base", base]);
        }
        args.push("check");
        self.catalog.cairn(&args)
    }
}

#[test]
fn editing_a_published_version_is_an_error_with_the_fields_that_changed() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    repo.commit("publish 1.0.0");
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 50));
    let run = repo.check(Some("HEAD"));
    assert_eq!(run.status, 1);
    assert_eq!(run.codes(), ["published-version-changed"]);
    let message = run.json()["diagnostics"][0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("/spec/required_inputs/0/validation/min: 20 → 50"),
        "{message}"
    );
}

#[test]
fn formatting_and_comments_are_not_changes() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    repo.commit("publish 1.0.0");
    let reformatted = "# reformatted\napiVersion: 'catalog.nestor.io/v1'\nkind: ResourceDefinition\nspec: { required_inputs: [ { type: integer, name: storage_gb, validation: { min: 20 } } ] }\nmetadata: { version: '1.0.0', name: db }\n";
    repo.write("rd/db/1.0.0.yaml", reformatted);
    let run = repo.check(Some("HEAD"));
    assert_eq!((run.status, run.codes()), (0, Vec::<String>::new()), "{}", run.stdout);
}

#[test]
fn deleting_a_published_version_is_an_error() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20))
        .write("rd/db/1.1.0.yaml", &definition("1.1.0", 10));
    repo.commit("publish");
    repo.remove("rd/db/1.0.0.yaml");
    let run = repo.check(Some("HEAD"));
    assert_eq!(
        run.diagnostics(),
        [(
            "published-version-deleted".to_string(),
            "rd/db/1.0.0.yaml".to_string(),
            0
        )]
    );
}

#[test]
fn new_versions_must_bump_enough_but_published_ones_are_not_rejudged() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 10))
        .write("rd/db/1.1.0.yaml", &definition("1.1.0", 20));
    repo.commit("an old mistake, already published");
    assert_eq!(
        repo.check(Some("HEAD")).codes(),
        Vec::<String>::new(),
        "published versions are not re-judged"
    );
    repo.write("rd/db/1.2.0.yaml", &definition("1.2.0", 30));
    assert_eq!(repo.check(Some("HEAD")).codes(), ["version-bump-too-small"]);
    repo.remove("rd/db/1.2.0.yaml")
        .write("rd/db/2.0.0.yaml", &definition("2.0.0", 30));
    assert_eq!(repo.check(Some("HEAD")).codes(), Vec::<String>::new());
}

#[test]
fn deleted_versions_stay_published_and_cannot_be_reused() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    repo.commit("publish 1.0.0");
    repo.remove("rd/db/1.0.0.yaml")
        .write("rd/db/1.1.0.yaml", &definition("1.1.0", 10));
    repo.commit("delete 1.0.0");
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    assert_eq!(
        repo.check(Some("HEAD")).codes(),
        Vec::<String>::new(),
        "restoring identical content is fine"
    );
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 5));
    assert_eq!(repo.check(Some("HEAD")).codes(), ["version-reused"]);
}

#[test]
fn new_versions_must_increase_within_their_major_line() {
    let repo = Repo::new();
    repo.write("rd/db/1.4.0.yaml", &definition("1.4.0", 10))
        .write("rd/db/2.0.0.yaml", &definition("2.0.0", 20));
    repo.commit("publish");
    repo.write("rd/db/1.3.1.yaml", &definition("1.3.1", 10));
    assert!(repo
        .check(Some("HEAD"))
        .codes()
        .contains(&"version-not-increasing".to_string()));
    repo.remove("rd/db/1.3.1.yaml")
        .write("rd/db/1.4.1.yaml", &definition("1.4.1", 10));
    assert_eq!(
        repo.check(Some("HEAD")).codes(),
        Vec::<String>::new(),
        "a backport on the 1.x line is fine"
    );
}

#[test]
fn tags_publish_versions() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    let id = repo.commit("1.0.0");
    repo.repo
        .tag_lightweight("db/v1.0.0", &repo.repo.find_object(id, None).unwrap(), false)
        .unwrap();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 30));
    // No --base and no upstream: only tags count, and the tag makes 1.0.0
    // published, so the edit comes back as a reuse of its number.
    assert_eq!(repo.check(None).codes(), ["version-reused"]);
}

#[test]
fn a_base_that_does_not_resolve_exits_two() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    repo.commit("1.0.0");
    let run = repo.check(Some("no-such-branch"));
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("--base `no-such-branch` does not name a commit"),
        "{}",
        run.stderr
    );
    let outside = TestCatalog::empty();
    let run = outside.cairn(&["--base", "main", "check"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("is not in one"), "{}", run.stderr);
}

#[test]
fn without_git_every_version_is_new() {
    let catalog = TestCatalog::empty();
    catalog
        .write("rd/1.0.0.yaml", definition("1.0.0", 10))
        .write("rd/1.0.1.yaml", definition("1.0.1", 20));
    assert_eq!(
        catalog.cairn(&["--format", "json", "check"]).codes(),
        ["version-bump-too-small"]
    );
}

const TEAMS: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: payments }\nspec: { type: team, children: [] }\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: platform }\nspec: { type: team, children: [] }\n";

fn service(name: &str, owner: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: {name} }}\nspec: {{ type: service, lifecycle: production, owner: {owner} }}\n")
}

fn diff_repo() -> Repo {
    let repo = Repo::new();
    repo.write("teams.yaml", TEAMS)
        .write("checkout.yaml", &service("checkout", "payments"))
        .write("legacy.yaml", &service("legacy", "platform"))
        .write("rd/db/1.0.0.yaml", &definition("1.0.0", 10));
    repo.commit("base");
    repo.write("checkout.yaml", &service("checkout", "platform"))
        .remove("legacy.yaml")
        .write("cart.yaml", &service("cart", "payments"))
        .write("rd/db/1.1.0.yaml", &definition("1.1.0", 20));
    repo
}

#[test]
fn diff_reports_semantic_changes_against_the_working_tree() {
    let repo = diff_repo();
    let run = repo.catalog.cairn(&["diff", "HEAD"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn diff_between_two_revisions_as_markdown_and_json() {
    let repo = diff_repo();
    repo.commit("head");
    let markdown = repo.catalog.cairn(&["--format", "markdown", "diff", "HEAD~1", "HEAD"]);
    assert_eq!(markdown.status, 0, "{}", markdown.stderr);
    insta::assert_snapshot!(markdown.stdout);
    let json = repo
        .catalog
        .cairn(&["--format", "json", "diff", "HEAD~1", "HEAD"])
        .json();
    assert_eq!(json["added"], serde_json::json!(["component:default/cart"]));
    assert_eq!(json["ownership"][0]["to"], "group:default/platform");
    assert_eq!(json["new_versions"][0]["change"], "major");
    assert_eq!(
        repo.catalog.cairn(&["diff", "HEAD", "HEAD"]).stdout,
        "no changes to the catalog\n"
    );
    assert_eq!(repo.catalog.cairn(&["diff", "nope"]).status, 2);
}

/// A second repository holding definitions under `resources/`; returns it
/// and its branch name.
fn source_repo() -> (Repo, String) {
    let source = Repo::new();
    source
        .write("resources/db/1.0.0.yaml", &definition("1.0.0", 10))
        .write("README.md", "not yaml");
    source.commit("definitions");
    let branch = source.repo.head().unwrap().shorthand().unwrap().to_string();
    (source, branch)
}

fn catalog_with_source(url: &str, branch: &str, path: &str) -> TestCatalog {
    let catalog = TestCatalog::empty();
    catalog.write(
        "cairn.yaml",
        format!("sources:\n  - path: catalog/\n  - git: {url}\n    branch: {branch}\n    path: {path}\n"),
    );
    catalog.write("catalog/teams.yaml", TEAMS);
    catalog
}

#[test]
fn git_sources_are_read_from_the_object_database_with_provenance() {
    let (source, branch) = source_repo();
    let url = format!("file://{}", source.catalog.path().display());
    let catalog = catalog_with_source(&url, &branch, "resources/");
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!((run.status, run.codes()), (0, Vec::<String>::new()), "{}", run.stdout);
    assert_eq!(
        run.json()["summary"]["entities"],
        3,
        "two teams and the definition from the other repository"
    );
    assert!(catalog.path().join(".cairn/cache").is_dir());
    assert_eq!(catalog.cairn(&["-q", "build"]).status, 0);
    let version: serde_json::Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("dist/api/v1/resources/db/1.0.0.json")).unwrap())
            .unwrap();
    assert_eq!(version["provenance"]["repository"], url.as_str());
    assert_eq!(version["provenance"]["path"], "resources/db/1.0.0.yaml");
    assert_eq!(version["provenance"]["commit"].as_str().unwrap().len(), 40);
    // A plain local path works as well as a file:// URL.
    let local = catalog_with_source(source.catalog.path().to_str().unwrap(), &branch, "resources");
    assert_eq!(
        local.cairn(&["--format", "json", "check"]).codes(),
        Vec::<String>::new()
    );
}

#[test]
fn a_remote_that_disappears_falls_back_to_the_last_fetch() {
    let (source, branch) = source_repo();
    let url = format!("file://{}", source.catalog.path().display());
    let catalog = catalog_with_source(&url, &branch, "resources/");
    assert_eq!(catalog.cairn(&["--format", "json", "check"]).status, 0);
    drop(source);
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 0, "a stale source is a warning: {}", run.stdout);
    assert_eq!(run.codes(), ["source-stale"]);
    assert_eq!(
        run.json()["summary"]["entities"],
        3,
        "the definition still comes from the cache"
    );
}

#[test]
fn an_unreachable_source_never_fetched_is_an_error_and_credentials_are_never_printed() {
    let catalog = catalog_with_source(
        "https://deploy:s3cr3t-token@127.0.0.1:9/acme/defs.git",
        "main",
        "resources/",
    );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.codes(), ["source-unreachable"]);
    assert!(
        !run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.contains("https://***@127.0.0.1:9/acme/defs.git"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_path_or_branch_in_a_source_is_an_error() {
    let (source, branch) = source_repo();
    let url = format!("file://{}", source.catalog.path().display());
    assert_eq!(
        catalog_with_source(&url, &branch, "definitions/")
            .cairn(&["--format", "json", "check"])
            .codes(),
        ["source-path-missing"]
    );
    assert_eq!(
        catalog_with_source(&url, "no-such-branch", "resources/")
            .cairn(&["--format", "json", "check"])
            .codes(),
        ["source-unreachable"]
    );
}

#[test]
fn a_corrupt_cache_is_recreated() {
    let (source, branch) = source_repo();
    let url = format!("file://{}", source.catalog.path().display());
    let catalog = catalog_with_source(&url, &branch, "resources/");
    assert_eq!(catalog.cairn(&["-q", "check"]).status, 0);
    // The source's bare clone (check's own cache is a file beside it).
    let cache = std::fs::read_dir(catalog.path().join(".cairn/cache"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.is_dir())
        .unwrap();
    std::fs::remove_dir_all(cache.join("objects")).unwrap();
    std::fs::write(cache.join("HEAD"), "garbage").unwrap();
    std::fs::write(cache.join("index.lock"), "").unwrap();
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!((run.status, run.codes()), (0, Vec::<String>::new()), "{}", run.stdout);
}

#[test]
fn the_published_set_is_cached_and_a_corrupt_cache_is_ignored() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    repo.commit("publish 1.0.0");
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 50));
    assert_eq!(repo.check(Some("HEAD")).codes(), ["published-version-changed"]);
    let cache_dir = repo.catalog.path().join(".cairn/cache");
    let cached: Vec<_> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("published-"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(
        repo.check(Some("HEAD")).codes(),
        ["published-version-changed"],
        "same answer from the cache"
    );
    std::fs::write(&cached[0], "{ not json").unwrap();
    assert_eq!(
        repo.check(Some("HEAD")).codes(),
        ["published-version-changed"],
        "a corrupt cache is recomputed"
    );
    // A new tag changes the key: the cache never hides a newly published version.
    repo.write("rd/db/1.1.0.yaml", &definition("1.1.0", 50));
    let id = repo.commit("1.1.0");
    repo.repo
        .tag_lightweight("db/v1.1.0", &repo.repo.find_object(id, None).unwrap(), false)
        .unwrap();
    repo.write("rd/db/1.1.0.yaml", &definition("1.1.0", 60));
    assert!(repo.check(None).codes().contains(&"version-reused".to_string()));
}

#[test]
fn a_shallow_clone_missing_the_base_says_how_to_fetch_it() {
    let origin = Repo::new();
    origin.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    let first = origin.commit("first");
    origin.write("rd/db/1.1.0.yaml", &definition("1.1.0", 10));
    origin.commit("second");
    // libgit2's local transport cannot make shallow clones; git's can (as
    // actions/checkout does by default).
    let clone_dir = TestCatalog::empty();
    let url = format!("file://{}", origin.catalog.path().display());
    let root = clone_dir.path().join("c");
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url, root.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(Repository::open(&root).unwrap().is_shallow());
    let run = crate::harness::cairn_in(
        &root,
        &["--root", root.to_str().unwrap(), "--base", &first.to_string(), "check"],
    );
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("shallow clone") && run.stderr.contains("fetch-depth: 0"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_detached_head_still_checks() {
    let repo = Repo::new();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 20));
    let first = repo.commit("first");
    repo.write("rd/db/1.1.0.yaml", &definition("1.1.0", 10));
    repo.commit("second");
    repo.repo.set_head_detached(first).unwrap();
    repo.write("rd/db/1.0.0.yaml", &definition("1.0.0", 30));
    // No upstream to find from a detached HEAD: nothing published but tags.
    assert_eq!(repo.check(None).codes(), Vec::<String>::new());
    assert_eq!(repo.check(Some("HEAD")).codes(), ["published-version-changed"]);
}

#[test]
fn problems_in_git_source_files_are_reported_with_the_source_path() {
    // Regression: parse diagnostics of git-source files used to be dropped.
    let (source, branch) = source_repo();
    source.write(
        "resources/broken.yaml",
        "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: { name: db, version: '2.0.0'\n",
    );
    source.commit("broken file");
    let url = format!("file://{}", source.catalog.path().display());
    let run = catalog_with_source(&url, &branch, "resources/").cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let diagnostics = run.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let (code, file, _) = &diagnostics[0];
    assert_eq!(code, "yaml-syntax");
    assert!(
        file.starts_with(&format!(
            "{}@",
            source.catalog.path().file_name().unwrap().to_string_lossy()
        )) && file.ends_with("/resources/broken.yaml"),
        "{file}"
    );
}
