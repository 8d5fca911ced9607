//! Shipping cairn: `scripts/release.sh` packages this build's binary (not a
//! `dist` build — that takes many minutes) into a release directory laid out
//! as GitHub's (`download/vX.Y.Z/`), served over file://; `scripts/install.sh`
//! installs from it, verifying the checksum, into a clean directory without
//! a Rust toolchain. The release workflow and the Action pass actionlint
//! (jactionlint), the shell scripts pass shellcheck, the Dockerfile passes
//! hadolint, and its build stage's command is run here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::harness::{run, tool, Run, TestCatalog};

/// The Linux target this machine's binary is for.
pub const TARGET: &str = if cfg!(target_arch = "aarch64") {
    "aarch64-unknown-linux-gnu"
} else {
    "x86_64-unknown-linux-gnu"
};

/// This crate's version, and the tag of its release.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn tag() -> String {
    format!("v{VERSION}")
}

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A release directory, `releases/download/<version>/`, as the release
/// workflow would publish it — the file:// URL is its `releases`.
pub struct Releases {
    dir: tempfile::TempDir,
}

impl Releases {
    pub fn new() -> Releases {
        Releases {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `scripts/release.sh TARGET` packaging the test's cairn into
    /// `download/<version>/`.
    pub fn package(&self, version: &str, target: &str) -> Run {
        let packaged = release_script(target, &self.assets(version));
        assert_eq!(packaged.status, 0, "{packaged:#?}");
        packaged
    }

    /// The assets `scripts/release.sh` makes of this build's cairn for this
    /// machine, copied into `download/<version>/`. Packaging a debug binary
    /// takes seconds of gzip, so the tests of one build share one run of
    /// the script (kept in `target/test-releases/`).
    pub fn packaged(&self, version: &str) {
        let assets = self.assets(version);
        std::fs::create_dir_all(&assets).unwrap();
        for entry in std::fs::read_dir(shared_assets()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), assets.join(entry.file_name())).unwrap();
        }
    }

    /// The assets of one release.
    pub fn assets(&self, version: &str) -> PathBuf {
        self.dir.path().join("download").join(version)
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    /// Appends a byte to an archive, as a tampered mirror would serve it.
    pub fn tamper(&self, version: &str, archive: &str) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.assets(version).join(archive))
            .unwrap();
        file.write_all(b"\0").unwrap();
    }
}

/// `scripts/release.sh TARGET` on the test's cairn, into `dir`.
fn release_script(target: &str, dir: &Path) -> Run {
    let mut command = Command::new(repository_root().join("scripts/release.sh"));
    command
        .arg(target)
        .env("CAIRN_RELEASE_DIR", dir)
        .env("CAIRN_RELEASE_BINARY", env!("CARGO_BIN_EXE_cairn"));
    run(&mut command)
}

/// The release assets of this build's cairn for this machine, made once
/// per build: a directory named by the binary's size and modification time.
fn shared_assets() -> PathBuf {
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_cairn")).unwrap();
    let modified = binary
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let cache = repository_root().join("target/test-releases");
    let assets = cache.join(format!("{}-{}", binary.len(), modified.as_nanos()));
    if !assets.join("SHA256SUMS").is_file() {
        std::fs::create_dir_all(&cache).unwrap();
        // Other test processes may be packaging too: each packages aside and
        // the first rename wins; what earlier builds left is removed.
        let staging = tempfile::tempdir_in(&cache).unwrap();
        let packaged = release_script(TARGET, staging.path());
        assert_eq!(packaged.status, 0, "{packaged:#?}");
        if std::fs::rename(staging.path(), &assets).is_ok() {
            for entry in std::fs::read_dir(&cache).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path != assets && !name.starts_with(".tmp") {
                    let _ = std::fs::remove_dir_all(&path);
                }
            }
        }
    }
    assets
}

/// `scripts/install.sh ARGS…` from `releases` with only the system's tools
/// on PATH (no cargo, no rustc) and a fresh HOME.
fn install(releases: &Releases, args: &[&str], path: &str) -> Run {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(repository_root().join("scripts/install.sh"));
    command
        .args(args)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home.path())
        .env("CAIRN_RELEASES_URL", releases.url());
    run(&mut command)
}

const SYSTEM_PATH: &str = "/usr/bin:/bin";

fn sha256_hex(path: &Path) -> String {
    let digest = Sha256::digest(std::fs::read(path).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The names and modes in a .tar.gz, as `tar -tvzf` lists them.
fn tar_listing(archive: &Path) -> Vec<(String, String)> {
    let listing = run(Command::new("tar").arg("-tvzf").arg(archive));
    assert_eq!(listing.status, 0, "{listing:#?}");
    listing
        .stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields[fields.len() - 1].to_string(), fields[0].to_string())
        })
        .collect()
}

#[test]
fn a_packaged_release_installs_verified_into_a_clean_directory_and_checks_a_catalog_within_a_minute() {
    let releases = Releases::new();
    let packaged = releases.package(&tag(), TARGET);
    assert!(
        packaged
            .stdout
            .contains(&format!("packaging cairn {VERSION} for {TARGET}")),
        "the script runs the binary it packages: {packaged:#?}"
    );

    // The layout: the archive holds the executable and the README at its
    // root; its .sha256 and SHA256SUMS hold its checksum in sha256sum's format.
    let assets = releases.assets(&tag());
    let archive = format!("cairn-{TARGET}.tar.gz");
    assert_eq!(
        tar_listing(&assets.join(&archive)),
        [
            ("cairn".to_string(), "-rwxr-xr-x".to_string()),
            ("README.md".to_string(), "-rw-r--r--".to_string())
        ]
    );
    let line = format!("{}  {archive}\n", sha256_hex(&assets.join(&archive)));
    assert_eq!(
        std::fs::read_to_string(assets.join(format!("{archive}.sha256"))).unwrap(),
        line
    );
    assert_eq!(std::fs::read_to_string(assets.join("SHA256SUMS")).unwrap(), line);
    let verified = run(Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&assets));
    assert_eq!(verified.status, 0, "{verified:#?}");

    // A new user: no Rust toolchain on PATH, an empty home, a directory
    // that does not exist yet.
    let user = tempfile::tempdir().unwrap();
    let bin = user.path().join("tools/bin");
    let started = Instant::now();
    let installed = install(
        &releases,
        &["--version", VERSION, "--to", bin.to_str().unwrap()],
        SYSTEM_PATH,
    );
    assert_eq!(installed.status, 0, "{installed:#?}");
    assert!(
        installed.stdout.contains(&format!(
            "installed cairn {VERSION} (release v{VERSION}, sha256 verified) to {}/cairn",
            bin.display()
        )),
        "{installed:#?}"
    );
    assert!(installed.stderr.contains("is not on PATH"), "{installed:#?}");
    let catalog = TestCatalog::empty();
    let init = run(Command::new(bin.join("cairn")).args(["init"]).arg(catalog.path()));
    assert_eq!(init.status, 0, "{init:#?}");
    let check = run(Command::new(bin.join("cairn"))
        .arg("--root")
        .arg(catalog.path())
        .arg("check"));
    assert_eq!(check.status, 0, "{check:#?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(60),
        "install and first check took {elapsed:?}"
    );

    // Installing again replaces the binary in place and leaves nothing beside it.
    let again = install(
        &releases,
        &["--version", &tag(), "--to", bin.to_str().unwrap()],
        SYSTEM_PATH,
    );
    assert_eq!(again.status, 0, "{again:#?}");
    let names: Vec<_> = std::fs::read_dir(&bin)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["cairn"]);
}

#[test]
fn without_a_version_the_latest_release_is_installed() {
    let releases = Releases::new();
    releases.packaged(&tag());
    // GitHub serves the latest release's assets under latest/download/.
    std::fs::create_dir_all(releases.dir.path().join("latest")).unwrap();
    std::os::unix::fs::symlink(releases.assets(&tag()), releases.dir.path().join("latest/download")).unwrap();
    let to = tempfile::tempdir().unwrap();
    let installed = install(&releases, &["--to", to.path().to_str().unwrap()], SYSTEM_PATH);
    assert_eq!(installed.status, 0, "{installed:#?}");
    assert!(
        installed.stdout.contains("(release latest, sha256 verified)"),
        "{installed:#?}"
    );
    assert!(to.path().join("cairn").is_file());
}

#[test]
fn a_tampered_archive_or_a_missing_checksum_is_refused_and_nothing_is_installed() {
    let releases = Releases::new();
    releases.packaged(&tag());
    let archive = format!("cairn-{TARGET}.tar.gz");
    releases.tamper(&tag(), &archive);
    let user = tempfile::tempdir().unwrap();
    let bin = user.path().join("bin");
    let refused = install(
        &releases,
        &["--version", &tag(), "--to", bin.to_str().unwrap()],
        SYSTEM_PATH,
    );
    assert_eq!(refused.status, 2, "{refused:#?}");
    assert!(
        refused.stderr.contains(&format!(
            "error: checksum mismatch for {archive}: {archive}.sha256 says "
        )),
        "{refused:#?}"
    );
    assert!(refused.stderr.contains("nothing was installed"), "{refused:#?}");
    assert!(!bin.exists(), "nothing is installed, not even the directory");

    // An archive without its .sha256 is not installed either.
    releases.packaged(&tag());
    std::fs::remove_file(releases.assets(&tag()).join(format!("{archive}.sha256"))).unwrap();
    let unverified = install(
        &releases,
        &["--version", &tag(), "--to", bin.to_str().unwrap()],
        SYSTEM_PATH,
    );
    assert_eq!(unverified.status, 2, "{unverified:#?}");
    assert!(
        unverified.stderr.contains("cannot download the checksum"),
        "{unverified:#?}"
    );
    assert!(!bin.exists());
}

/// A directory with an `uname` that reports another system, first on PATH.
pub fn foreign_uname(system: &str, machine: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let uname = dir.path().join("uname");
    std::fs::write(
        &uname,
        format!("#!/bin/sh\ncase \"$1\" in -s) echo {system} ;; -m) echo {machine} ;; esac\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&uname, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn a_platform_without_a_release_binary_or_a_missing_release_is_a_clear_error() {
    let releases = Releases::new();
    releases.packaged(&tag());
    let to = tempfile::tempdir().unwrap();
    let shim = foreign_uname("FreeBSD", "riscv64");
    let path = format!("{}:{SYSTEM_PATH}", shim.path().display());
    let foreign = install(&releases, &["--to", to.path().to_str().unwrap()], &path);
    assert_eq!(foreign.status, 2, "{foreign:#?}");
    assert!(
        foreign
            .stderr
            .contains("error: no cairn release binary for FreeBSD riscv64; build it from source"),
        "{foreign:#?}"
    );

    let missing = install(
        &releases,
        &["--version", "v9.9.9", "--to", to.path().to_str().unwrap()],
        SYSTEM_PATH,
    );
    assert_eq!(missing.status, 2, "{missing:#?}");
    assert!(
        missing.stderr.contains(&format!(
            "error: cannot download cairn v9.9.9 for {TARGET} from file://"
        )),
        "{missing:#?}"
    );
    let bad_option = install(&releases, &["--verison", &tag()], SYSTEM_PATH);
    assert_eq!(bad_option.status, 2, "{bad_option:#?}");
    assert!(
        bad_option.stderr.contains("unknown option --verison"),
        "{bad_option:#?}"
    );
    assert_eq!(std::fs::read_dir(to.path()).unwrap().count(), 0);
}

#[test]
fn windows_gets_a_zip_with_cairn_exe() {
    let releases = Releases::new();
    let target = "x86_64-pc-windows-msvc";
    let packaged = releases.package(&tag(), target);
    assert!(
        packaged.stdout.contains("not run"),
        "a foreign target is only packaged: {packaged:#?}"
    );
    let assets = releases.assets(&tag());
    let listing = run(Command::new("unzip")
        .arg("-Z1")
        .arg(assets.join(format!("cairn-{target}.zip"))));
    assert_eq!(listing.stdout, "cairn.exe\nREADME.md\n", "{listing:#?}");
    let sums = std::fs::read_to_string(assets.join("SHA256SUMS")).unwrap();
    assert!(sums.ends_with(&format!("  cairn-{target}.zip\n")), "{sums}");

    // Installing for another platform verifies and unpacks, without running it.
    let to = tempfile::tempdir().unwrap();
    let installed = install(
        &releases,
        &[
            "--version",
            &tag(),
            "--target",
            target,
            "--to",
            to.path().to_str().unwrap(),
        ],
        SYSTEM_PATH,
    );
    assert_eq!(installed.status, 0, "{installed:#?}");
    assert!(
        installed.stdout.contains(&format!("installed cairn for {target}")),
        "{installed:#?}"
    );
    assert!(to.path().join("cairn.exe").is_file());
}

#[test]
fn sums_cover_every_archive_and_a_tag_must_be_the_crate_version() {
    let releases = Releases::new();
    releases.packaged(&tag());
    releases.package(&tag(), "aarch64-apple-darwin");
    let assets = releases.assets(&tag());
    let sums = std::fs::read_to_string(assets.join("SHA256SUMS")).unwrap();
    let names: Vec<&str> = sums.lines().map(|l| l.split("  ").nth(1).unwrap()).collect();
    let mut expected = vec![
        "cairn-aarch64-apple-darwin.tar.gz".to_string(),
        format!("cairn-{TARGET}.tar.gz"),
    ];
    expected.sort();
    assert_eq!(names, expected);
    // `sums` alone (the workflow's publish job, after gathering every build).
    std::fs::remove_file(assets.join("SHA256SUMS")).unwrap();
    let mut command = Command::new(repository_root().join("scripts/release.sh"));
    command.arg("sums").env("CAIRN_RELEASE_DIR", &assets);
    assert_eq!(run(&mut command).status, 0);
    assert_eq!(std::fs::read_to_string(assets.join("SHA256SUMS")).unwrap(), sums);

    let mut command = Command::new(repository_root().join("scripts/release.sh"));
    command
        .arg(TARGET)
        .env("CAIRN_RELEASE_DIR", releases.assets("v0.0.1"))
        .env("CAIRN_RELEASE_BINARY", env!("CARGO_BIN_EXE_cairn"))
        .env("CAIRN_RELEASE_TAG", "v0.0.1");
    let mismatch = run(&mut command);
    assert_eq!(mismatch.status, 2, "{mismatch:#?}");
    assert!(
        mismatch.stderr.contains(&format!(
            "error: the tag v0.0.1 is not Cargo.toml's version (v{VERSION})"
        )),
        "{mismatch:#?}"
    );
}

#[test]
fn the_workflows_and_the_action_pass_actionlint() {
    let root = repository_root();
    let mut command = Command::new(tool("jactionlint"));
    command
        .args(["--no-online", "--no-color", "--config-file", ".github/jactionlint.yaml"])
        .args([
            ".github/workflows/release.yml",
            "catalog-repo-template/.github/workflows/catalog.yml",
            "action.yml",
        ])
        .current_dir(&root)
        // shellcheck checks the workflows' run steps.
        .env("PATH", path_with(&tool("shellcheck")));
    let linted = run(&mut command);
    assert_eq!(linted.status, 0, "{}\n{}", linted.stdout, linted.stderr);
}

/// PATH with the directory of `tool` first.
fn path_with(tool: &Path) -> String {
    format!(
        "{}:{}",
        tool.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_shell_scripts_pass_shellcheck() {
    let root = repository_root();
    let mut scripts = vec![root.join(".ci/run")];
    for dir in ["scripts", "action"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "sh") {
                scripts.push(path);
            }
        }
    }
    assert!(scripts.len() > 8, "{scripts:?}");
    let checked = run(Command::new(tool("shellcheck")).args(&scripts));
    assert_eq!(checked.status, 0, "{}", checked.stdout);
}

/// The instructions of the Dockerfile, continuation lines joined, comments
/// dropped: (instruction, arguments).
fn dockerfile() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repository_root().join("Dockerfile")).unwrap();
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                let (instruction, arguments) = current.split_once(' ').unwrap();
                instructions.push((instruction.to_string(), arguments.trim().to_string()));
                current.clear();
            }
        }
    }
    instructions
}

#[test]
fn the_dockerfile_lints_clean_and_its_build_stage_makes_a_binary_that_runs() {
    let linted = run(Command::new(tool("hadolint"))
        .args(["--no-color", "Dockerfile"])
        .current_dir(repository_root()));
    assert_eq!(linted.status, 0, "{}\n{}", linted.stdout, linted.stderr);

    // Every final stage: distroless, a non-root user, cairn as the entrypoint.
    let instructions = dockerfile();
    let stages: Vec<&[(String, String)]> = instructions
        .split_inclusive(|(i, _)| i == "ENTRYPOINT")
        .filter(|stage| stage.iter().any(|(i, _)| i == "ENTRYPOINT"))
        .collect();
    assert_eq!(stages.len(), 2, "the image and its shell variant");
    for stage in &stages {
        let from = stage
            .iter()
            .rev()
            .find(|(i, _)| i == "FROM")
            .map(|(_, a)| a.as_str())
            .unwrap();
        assert!(from.starts_with("gcr.io/distroless/"), "{from}");
        assert!(
            stage.contains(&("USER".to_string(), "65532:65532".to_string())),
            "{stage:?}"
        );
        assert_eq!(stage.last().unwrap().1, r#"["cairn"]"#);
    }

    // The build stage's RUN, as `docker build` runs it in a copy of the
    // sources — with the test's binary instead of a `dist` build.
    let build_run = instructions
        .iter()
        .skip_while(|(i, a)| !(i == "FROM" && a.ends_with(" AS build")))
        .find(|(i, _)| i == "RUN")
        .map(|(_, a)| a.clone())
        .unwrap();
    assert!(build_run.starts_with("scripts/release.sh "), "{build_run}");
    let src = tempfile::tempdir().unwrap();
    for file in ["Cargo.toml", "README.md", "scripts/release.sh"] {
        std::fs::create_dir_all(src.path().join(file).parent().unwrap()).unwrap();
        std::fs::copy(repository_root().join(file), src.path().join(file)).unwrap();
    }
    let built = run(Command::new("bash")
        .args(["-euo", "pipefail", "-c", &build_run])
        .current_dir(src.path())
        .env("CAIRN_RELEASE_BINARY", env!("CARGO_BIN_EXE_cairn")));
    assert_eq!(built.status, 0, "{built:#?}");
    let copied: Vec<&str> = instructions
        .iter()
        .filter(|(i, a)| i == "COPY" && a.starts_with("--from=build /src/"))
        .map(|(_, a)| a.trim_start_matches("--from=build /src/").split(' ').next().unwrap())
        .collect();
    assert!(copied.contains(&"target/image/cairn"), "{copied:?}");
    for file in &copied {
        assert!(src.path().join(file).is_file(), "the build stage makes {file}");
    }
    let version = run(Command::new(src.path().join("target/image/cairn")).arg("--version"));
    assert_eq!(version.stdout, format!("cairn {VERSION}\n"), "{version:#?}");
    assert_eq!(
        std::fs::read_to_string(src.path().join("target/image/gitconfig")).unwrap(),
        "[safe]\n\tdirectory = *\n"
    );
}
