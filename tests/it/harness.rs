//! `TestCatalog`: a catalog in a temporary directory, and a way to run
//! `cairn` on it and look at what came out.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The repository's `tests/fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The shared real-world corpus next to the repository.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/backstage-examples/examples")
}

pub struct TestCatalog {
    dir: TempDir,
}

/// What one run of `cairn` did.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout of `--format json`, parsed.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// `(code, file, line)` of every diagnostic of a `--format json` run.
    pub fn diagnostics(&self) -> Vec<(String, String, u64)> {
        self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["file"].as_str().unwrap().to_string(),
                    d["line"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    pub fn codes(&self) -> Vec<String> {
        self.diagnostics().into_iter().map(|(code, _, _)| code).collect()
    }
}

impl TestCatalog {
    pub fn empty() -> TestCatalog {
        TestCatalog {
            dir: tempfile::Builder::new()
                .prefix("cairn-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// A copy of `tests/fixtures/NAME`.
    pub fn fixture(name: &str) -> TestCatalog {
        let catalog = TestCatalog::empty();
        copy_dir(&fixtures().join(name), catalog.path());
        catalog
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parent directories).
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// The demo catalog, as `cairn init` writes it.
    pub fn demo() -> TestCatalog {
        let catalog = TestCatalog::empty();
        let init = cairn_in(catalog.path(), &["init", "."]);
        assert_eq!(init.status, 0, "{}", init.stderr);
        catalog
    }

    /// Runs `cairn --root <catalog> ARGS…` with a clean environment.
    pub fn cairn(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
    }

    /// The command `cairn --root <catalog> ARGS…`, to add environment to
    /// before [`run`]ning it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = cairn_command(self.path());
        command.arg("--root").arg(self.path()).args(args);
        command
    }
}

/// A tool the tests drive (`moto_server`, `pre-commit`): from `$PATH`, or
/// the virtualenv `scripts/test.sh` makes in `target/tools/venv`. A test
/// that needs it fails, never skips, without it.
pub fn tool(name: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools/venv/bin")
        .join(name);
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([venv])
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not installed: run scripts/test.sh, which installs it into target/tools/venv")
        })
}

/// Runs the cairn binary in `cwd`.
pub fn cairn_in(cwd: &Path, args: &[&str]) -> Run {
    run(cairn_command(cwd).args(args))
}

/// The cairn binary, to run in `cwd` without color or CI detection.
pub fn cairn_command(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_BASE_REF");
    command
}

/// Runs a command to its end and keeps what it printed.
pub fn run(command: &mut Command) -> Run {
    let output = command.output().expect("the command runs");
    Run {
        status: output
            .status
            .code()
            .expect("the command exits normally, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    // Not the caches a run in the source tree left (`.cairn` is ignored by git).
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".cairn")
    {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A minimal valid catalog: one team, one service.
pub const TEAM: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: payments\nspec:\n  type: team\n  children: []\n";
pub const SERVICE: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n";

/// A Python that can import `module` (the MCP SDK's client): the
/// virtualenv `scripts/test.sh` makes, or the one on `$PATH`. A test that
/// needs it fails, never skips, without it.
pub fn python_with(module: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/venv/bin/python");
    [venv, PathBuf::from("python3")]
        .into_iter()
        .find(|python| {
            Command::new(python)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "Python's `{module}` is not installed: run scripts/test.sh, which installs it into target/tools/venv"
            )
        })
}
