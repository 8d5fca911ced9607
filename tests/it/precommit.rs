//! The pre-commit hooks (`.pre-commit-hooks.yaml`) with the real
//! `pre-commit` (from PyPI; `scripts/test.sh` installs it), run by `pre-commit
//! try-repo` on a catalog in a temporary git repository: `cairn-check` builds
//! cairn from this repository with `cargo install`, as users' machines do;
//! `cairn-check-release` installs the verified release binary from a file://
//! release directory (`scripts/release.sh`); `cairn-check-system` runs the
//! `cairn` on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use git2::{IndexAddOption, Repository};

use crate::harness::{run, tool, Run, TestCatalog};
use crate::release::{tag, Releases, TARGET};

/// `pre-commit try-repo <this repository> HOOK ARGS…` in `catalog`.
fn try_repo_command(catalog: &Path, hook: &str, args: &[&str]) -> Command {
    let mut command = Command::new(tool("pre-commit"));
    command
        .args(["try-repo", env!("CARGO_MANIFEST_DIR"), hook, "--color", "never"])
        .args(args)
        .current_dir(catalog)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_BASE_REF");
    command
}

/// `cairn-check`, which `cargo install`s cairn.
fn try_repo(catalog: &Path, args: &[&str]) -> Run {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let mut command = try_repo_command(catalog, "cairn-check", args);
    command
        // pre-commit's cache of hook environments, kept between runs.
        .env("PRE_COMMIT_HOME", target.join("pre-commit-home"))
        // `cargo install` builds in release mode; keep its artefacts between
        // runs, and build quickly: this tests the hook, not the optimizer.
        .env("CARGO_TARGET_DIR", target.join("pre-commit-build"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256");
    run(&mut command)
}

fn stage_all(repo: &Repository) {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
}

/// The demo catalog in a new git repository, every file staged.
fn staged_demo() -> (TestCatalog, Repository) {
    let catalog = TestCatalog::demo();
    let repo = Repository::init(catalog.path()).unwrap();
    stage_all(&repo);
    (catalog, repo)
}

/// Stages a new service whose owner does not exist.
fn stage_broken_service(catalog: &TestCatalog, repo: &Repository) {
    catalog.write(
        "catalog/services/gift-cards.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gift-cards\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-nobody\n",
    );
    stage_all(repo);
}

fn assert_broken_service_reported(broken: &Run) {
    assert_eq!(broken.status, 1, "{}\n{}", broken.stdout, broken.stderr);
    assert!(broken.stdout.contains("Failed"), "{}", broken.stdout);
    assert!(
        broken.stdout.contains("catalog/services/gift-cards.yaml:8:"),
        "{}",
        broken.stdout
    );
    assert!(broken.stdout.contains("team-nobody"), "{}", broken.stdout);
}

#[test]
fn the_hook_passes_a_clean_catalog_and_fails_a_broken_file_with_its_line() {
    let (catalog, repo) = staged_demo();

    let clean = try_repo(catalog.path(), &["--all-files"]);
    assert_eq!(clean.status, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(
        clean.stdout.contains("cairn check") && clean.stdout.contains("Passed"),
        "{}",
        clean.stdout
    );

    // A new file with a reference to a team that does not exist, staged:
    // the hook gets only the staged file, and reports it with its line.
    stage_broken_service(&catalog, &repo);
    assert_broken_service_reported(&try_repo(catalog.path(), &[]));
}

/// `cairn-check-release` with the pre-commit cache `home`, installing from
/// `releases`.
fn try_release_hook(catalog: &Path, home: &Path, releases: &Releases, args: &[&str]) -> Run {
    let mut command = try_repo_command(catalog, "cairn-check-release", args);
    command
        .env("PRE_COMMIT_HOME", home)
        .env("CAIRN_RELEASES_URL", releases.url());
    run(&mut command)
}

#[test]
fn the_release_hook_installs_the_verified_binary_in_seconds() {
    let releases = Releases::new();
    releases.packaged(&tag());
    let (catalog, repo) = staged_demo();

    // A new user's first run: pre-commit makes the hook's environment (the
    // release binary, downloaded and verified) and runs it — no Rust.
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let clean = try_release_hook(catalog.path(), home.path(), &releases, &["--all-files"]);
    let elapsed = started.elapsed();
    assert_eq!(clean.status, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(
        clean.stdout.contains("cairn check") && clean.stdout.contains("Passed"),
        "{}",
        clean.stdout
    );
    assert!(elapsed < Duration::from_secs(60), "install and run took {elapsed:?}");

    stage_broken_service(&catalog, &repo);
    assert_broken_service_reported(&try_release_hook(catalog.path(), home.path(), &releases, &[]));

    // A tampered archive: a new user's hook environment is not installed.
    releases.tamper(&tag(), &format!("cairn-{TARGET}.tar.gz"));
    let new_home = tempfile::tempdir().unwrap();
    let refused = try_release_hook(catalog.path(), new_home.path(), &releases, &["--all-files"]);
    assert_ne!(refused.status, 0, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains("checksum mismatch"),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    assert!(!refused.stdout.contains("Passed"), "{}", refused.stdout);
}

#[test]
fn the_system_hook_runs_the_cairn_on_path() {
    let (catalog, repo) = staged_demo();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cairn"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let home = tempfile::tempdir().unwrap();
    let try_system = |args: &[&str]| {
        let mut command = try_repo_command(catalog.path(), "cairn-check-system", args);
        command.env("PRE_COMMIT_HOME", home.path()).env("PATH", &path);
        run(&mut command)
    };
    let clean = try_system(&["--all-files"]);
    assert_eq!(clean.status, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains("Passed"), "{}", clean.stdout);
    stage_broken_service(&catalog, &repo);
    assert_broken_service_reported(&try_system(&[]));
}
