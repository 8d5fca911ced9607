//! The pre-commit hook (`.pre-commit-hooks.yaml`) with the real `pre-commit`
//! (from PyPI; `scripts/test.sh` installs it): `pre-commit try-repo` builds
//! cairn from this repository with `cargo install`, as users' machines do,
//! and runs it on a catalog in a temporary git repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{IndexAddOption, Repository};

use crate::harness::{run, tool, Run, TestCatalog};

/// `pre-commit try-repo <this repository> cairn-check ARGS…` in `catalog`.
fn try_repo(catalog: &Path, args: &[&str]) -> Run {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let mut command = Command::new(tool("pre-commit"));
    command
        .args([
            "try-repo",
            env!("CARGO_MANIFEST_DIR"),
            "cairn-check",
            "--color",
            "never",
        ])
        .args(args)
        .current_dir(catalog)
        // pre-commit's cache of hook environments, kept between runs.
        .env("PRE_COMMIT_HOME", target.join("pre-commit-home"))
        // `cargo install` builds in release mode; keep its artefacts between
        // runs, and build quickly: this tests the hook, not the optimizer.
        .env("CARGO_TARGET_DIR", target.join("pre-commit-build"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_BASE_REF");
    run(&mut command)
}

fn stage_all(repo: &Repository) {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
}

#[test]
fn the_hook_passes_a_clean_catalog_and_fails_a_broken_file_with_its_line() {
    let catalog = TestCatalog::demo();
    let repo = Repository::init(catalog.path()).unwrap();
    stage_all(&repo);

    let clean = try_repo(catalog.path(), &["--all-files"]);
    assert_eq!(clean.status, 0, "{}\n{}", clean.stdout, clean.stderr);
    assert!(
        clean.stdout.contains("cairn check") && clean.stdout.contains("Passed"),
        "{}",
        clean.stdout
    );

    // A new file with a reference to a team that does not exist, staged:
    // the hook gets only the staged file, and reports it with its line.
    catalog.write(
        "catalog/services/gift-cards.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gift-cards\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-nobody\n",
    );
    stage_all(&repo);
    let broken = try_repo(catalog.path(), &[]);
    assert_eq!(broken.status, 1, "{}\n{}", broken.stdout, broken.stderr);
    assert!(broken.stdout.contains("Failed"), "{}", broken.stdout);
    assert!(
        broken.stdout.contains("catalog/services/gift-cards.yaml:8:"),
        "{}",
        broken.stdout
    );
    assert!(broken.stdout.contains("team-nobody"), "{}", broken.stdout);
}
