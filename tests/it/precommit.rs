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
    let cargo = CargoReusingTestBuild::new();
    let mut command = try_repo_command(catalog, "cairn-check", args);
    // pre-commit's own files under target/, not in the user's cache.
    // try-repo installs the hook in a temporary store of its own, so each
    // run compiles cairn again.
    command.env("PRE_COMMIT_HOME", target.join("pre-commit-home"));
    cargo.configure(&mut command, &target.join("pre-commit-build"));
    run(&mut command)
}

/// A `cargo` first on PATH that runs the real one, adding to `cargo
/// install` the test build's profile and `--locked`. pre-commit's rust
/// hooks run `cargo install --bins --root ENV --path .`: in release mode,
/// resolving the newest compatible crates. That would compile every
/// dependency a second time (most of the suite's time on a fresh machine)
/// and make the suite depend on what crates.io published last. With the
/// test build's profile and Cargo.lock, and the test build's directory as
/// cargo's build directory, only cairn itself is compiled again: the hook
/// is still installed by the real `cargo install` that pre-commit runs.
struct CargoReusingTestBuild {
    dir: tempfile::TempDir,
}

/// What cargo sets for the test process. A build script that reruns when
/// one of them changes (ring's reads `CARGO_MANIFEST_DIR`) would otherwise
/// run again, and everything above it would be compiled again.
const CARGO_SET_FOR_TESTS: [&str; 6] = [
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "CARGO_CRATE_",
    "CARGO_BIN_",
    "CARGO_PRIMARY_",
    "CARGO_TARGET_TMPDIR",
];

impl CargoReusingTestBuild {
    fn new() -> CargoReusingTestBuild {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let profile = match test_build_profile_dir().file_name().unwrap().to_str().unwrap() {
            "debug" => "dev".to_string(),
            other => other.to_string(),
        };
        let shim = dir.path().join("cargo");
        std::fs::write(
            &shim,
            format!(
                "#!/bin/sh\nif [ \"$1\" = install ]; then\n  shift\n  exec '{cargo}' install --profile {profile} --locked \"$@\"\nfi\nexec '{cargo}' \"$@\"\n",
                cargo = env!("CARGO"),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        CargoReusingTestBuild { dir }
    }

    /// `command` runs with this cargo, linking what it installs in
    /// `target_dir` and compiling in the test build's directory.
    fn configure(&self, command: &mut Command, target_dir: &Path) {
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let path =
            std::env::join_paths(std::iter::once(self.dir.path().to_path_buf()).chain(std::env::split_paths(&rest)))
                .unwrap();
        command
            .env("PATH", path)
            .env("CARGO_TARGET_DIR", target_dir)
            .env("CARGO_BUILD_BUILD_DIR", test_build_profile_dir().parent().unwrap())
            // cairn (and its vendored tiny_http) compiled without
            // incremental state have their own artefacts instead of
            // overwriting the test build's; Cargo.lock's crates are all
            // downloaded already.
            .env("CARGO_INCREMENTAL", "0")
            .env("CARGO_NET_OFFLINE", "true");
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if CARGO_SET_FOR_TESTS.iter().any(|prefix| name.starts_with(prefix)) {
                command.env_remove(name.as_ref());
            }
        }
    }
}

/// `target/debug` (or the profile's directory) of the test build.
fn test_build_profile_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_cairn")).parent().unwrap()
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
