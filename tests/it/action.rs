//! The GitHub Action (`action.yml`): its shell steps run here the way a
//! runner runs them — each step's `env:` with the `${{ … }}` expressions
//! evaluated, `GITHUB_OUTPUT` per step, `GITHUB_STEP_SUMMARY` and
//! `GITHUB_PATH` shared — against a real git repository with a pull request
//! branch, and a local S3 for publishing. `uses:` steps (the cache) are the
//! runner's business and are skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{IndexAddOption, Repository, Signature};

use crate::harness::{copy_dir, Run, TestCatalog};
use crate::release::{foreign_uname, tag, Releases, TARGET, VERSION};

struct Step {
    id: Option<String>,
    run: Option<String>,
    env: Vec<(String, String)>,
}

struct Action {
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, String>,
    steps: Vec<Step>,
}

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_action() -> Action {
    let text = std::fs::read_to_string(repository_root().join("action.yml")).unwrap();
    let parsed = cairn::parse::parse_yaml("action.yml", &text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let root = &parsed.documents[0].root;
    let strings = |node: Option<&cairn::parse::Node>, field: &str| -> BTreeMap<String, String> {
        node.and_then(|n| n.as_map())
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| {
                let value = if field.is_empty() {
                    v.as_scalar_text()
                } else {
                    v.get(field).and_then(|f| f.as_scalar_text())
                };
                (k.as_str().unwrap().to_string(), value.unwrap_or_default())
            })
            .collect()
    };
    let steps = root
        .pointer("/runs/steps")
        .and_then(|s| s.as_seq())
        .expect("runs.steps");
    assert_eq!(root.pointer("/runs/using").and_then(|u| u.as_str()), Some("composite"));
    Action {
        inputs: strings(root.get("inputs"), "default"),
        outputs: strings(root.get("outputs"), "value"),
        steps: steps
            .iter()
            .map(|step| {
                if step.get("run").is_some() {
                    assert_eq!(step.get_str("shell"), Some("bash"), "every run step says its shell");
                }
                Step {
                    id: step.get_str("id").map(str::to_string),
                    run: step.get_str("run").map(str::to_string),
                    env: strings(step.get("env"), "").into_iter().collect(),
                }
            })
            .collect(),
    }
}

/// A runner: the files and variables GitHub provides a job.
struct Runner {
    temp: tempfile::TempDir,
    workspace: PathBuf,
    inputs: BTreeMap<String, String>,
    env: Vec<(String, String)>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
}

impl Runner {
    fn new(workspace: &Path, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Runner {
        let action = load_action();
        let mut all_inputs = action.inputs.clone();
        for (name, value) in inputs {
            assert!(all_inputs.contains_key(*name), "action.yml has no input `{name}`");
            all_inputs.insert(name.to_string(), value.to_string());
        }
        let temp = tempfile::tempdir().unwrap();
        for file in ["summary.md", "path"] {
            std::fs::write(temp.path().join(file), "").unwrap();
        }
        Runner {
            workspace: workspace.to_path_buf(),
            inputs: all_inputs,
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            outputs: BTreeMap::new(),
            temp,
        }
    }

    fn runner_temp(&self) -> PathBuf {
        self.temp.path().join("runner-temp")
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.temp.path().join("summary.md")).unwrap()
    }

    /// Evaluates the `${{ … }}` expressions the action uses; any other is a
    /// test failure, so a new expression cannot go untested.
    fn evaluate(&self, text: &str) -> String {
        let pattern = regex::Regex::new(r"\$\{\{\s*([^}]+?)\s*\}\}").unwrap();
        pattern
            .replace_all(text, |captures: &regex::Captures| {
                let expression = &captures[1];
                let parts: Vec<&str> = expression.split('.').collect();
                match parts.as_slice() {
                    ["inputs", name] => self.inputs[*name].clone(),
                    ["runner", "temp"] => self.runner_temp().to_str().unwrap().to_string(),
                    // The push's previous head, from the test's event.
                    ["github", "event", "before"] => self
                        .env
                        .iter()
                        .find(|(k, _)| k == "TEST_EVENT_BEFORE")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                    ["steps", id, "outputs", name] => self
                        .outputs
                        .get(*id)
                        .and_then(|o| o.get(*name))
                        .cloned()
                        .unwrap_or_default(),
                    _ => panic!("action.yml uses `{expression}`, which this test does not know"),
                }
            })
            .into_owned()
    }

    /// Runs the action's steps in order, stopping at the first that fails,
    /// as a runner does. Returns every step's run and the action's outputs.
    fn run_action(&mut self) -> (Vec<Run>, BTreeMap<String, String>) {
        let action = load_action();
        std::fs::create_dir_all(self.runner_temp()).unwrap();
        let mut runs = Vec::new();
        for (index, step) in action.steps.iter().enumerate() {
            let Some(script) = &step.run else { continue };
            let output_file = self.temp.path().join(format!("output-{index}"));
            std::fs::write(&output_file, "").unwrap();
            let added_path: Vec<String> = std::fs::read_to_string(self.temp.path().join("path"))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            let path = added_path
                .into_iter()
                .rev()
                .chain([std::env::var("PATH").unwrap()])
                .collect::<Vec<_>>()
                .join(":");
            let mut command = Command::new("bash");
            command
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &self.evaluate(script)])
                .current_dir(&self.workspace)
                .env("PATH", path)
                .env("NO_COLOR", "1")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", repository_root())
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", self.temp.path().join("summary.md"))
                .env("GITHUB_PATH", self.temp.path().join("path"))
                .env("RUNNER_TEMP", self.runner_temp())
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env_remove("GITHUB_BASE_REF")
                .envs(self.env.iter().map(|(k, v)| (k, v)));
            for (name, value) in &step.env {
                command.env(name, self.evaluate(value));
            }
            let run = crate::harness::run(&mut command);
            if let Some(id) = &step.id {
                let outputs = std::fs::read_to_string(&output_file).unwrap();
                let parsed = outputs
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                self.outputs.insert(id.clone(), parsed);
            }
            let failed = run.status != 0;
            runs.push(run);
            if failed {
                break;
            }
        }
        let outputs = action
            .outputs
            .iter()
            .map(|(name, value)| (name.clone(), self.evaluate(value)))
            .collect();
        (runs, outputs)
    }

    /// Puts the test's cairn where the cache step would have restored it.
    fn restore_cached_cairn(&self) {
        let bin = self
            .runner_temp()
            .join(format!("cairn-{}", self.inputs["version"]))
            .join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_cairn"), bin.join("cairn")).unwrap();
    }
}

/// A repository with the demo catalog under `platform/`, pushed to a bare
/// `origin` on main, and a pull-request branch checked out that breaks one
/// reference and changes one service.
struct PullRequest {
    _origin: tempfile::TempDir,
    workspace: TestCatalog,
}

fn commit_all(repo: &Repository, message: &str) {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = Signature::now("Test", "test@example.com").unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
        .unwrap();
}

fn pull_request() -> PullRequest {
    let origin = tempfile::tempdir().unwrap();
    Repository::init_bare(origin.path()).unwrap();
    let workspace = TestCatalog::empty();
    let repo = Repository::init_opts(
        workspace.path(),
        git2::RepositoryInitOptions::new().initial_head("main"),
    )
    .unwrap();
    copy_dir(
        &repository_root().join("catalog-repo-template"),
        &workspace.path().join("platform"),
    );
    commit_all(&repo, "catalog");
    let mut remote = repo.remote("origin", origin.path().to_str().unwrap()).unwrap();
    remote.push(&["refs/heads/main:refs/heads/main"], None).unwrap();

    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.branch("feature", &head, false).unwrap();
    repo.set_head("refs/heads/feature").unwrap();
    let checkout = workspace.path().join("platform/catalog/services/checkout-service.yaml");
    let text = std::fs::read_to_string(&checkout).unwrap();
    std::fs::write(
        &checkout,
        text.replacen("description: ", "description: With gift cards. ", 1),
    )
    .unwrap();
    workspace.write(
        "platform/catalog/services/gift-cards.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gift-cards\nspec:\n  type: service\n  lifecycle: experimental\n  owner: team-nobody\n",
    );
    // The scorecard: the cart gains a dashboard link (silver → gold), the
    // search service loses its own (gold → silver).
    let cart = workspace.path().join("platform/catalog/services/cart-service.yaml");
    let text = std::fs::read_to_string(&cart).unwrap();
    std::fs::write(
        &cart,
        text.replacen(
            "      type: runbook\n",
            "      type: runbook\n    - url: https://grafana.example.com/d/cart\n      title: Cart dashboard\n      type: dashboard\n",
            1,
        ),
    )
    .unwrap();
    let search = workspace.path().join("platform/catalog/services/search-service.yaml");
    let text = std::fs::read_to_string(&search).unwrap();
    std::fs::write(
        &search,
        text.replacen("      type: dashboard\n", "      type: other\n", 1),
    )
    .unwrap();
    commit_all(&repo, "gift cards");
    PullRequest {
        _origin: origin,
        workspace,
    }
}

#[test]
fn on_a_pull_request_errors_are_annotated_and_summarized_with_the_diff() {
    let pr = pull_request();
    let sarif = pr.workspace.path().join("cairn.sarif");
    let mut runner = Runner::new(
        pr.workspace.path(),
        &[
            ("version", "source"),
            ("root", "platform"),
            ("sarif", sarif.to_str().unwrap()),
        ],
        &[("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_BASE_REF", "main")],
    );
    runner.restore_cached_cairn();
    let (runs, outputs) = runner.run_action();

    // version, install, check — and the check failed, so nothing after it ran.
    assert_eq!(runs.len(), 3, "{runs:#?}");
    let check = &runs[2];
    assert_eq!(check.status, 1, "{check:#?}");
    assert!(runs[1].stdout.contains("(cached)"), "{:?}", runs[1]);
    let annotation = check
        .stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect(&check.stdout);
    assert!(
        annotation.starts_with("::error file=platform/catalog/services/gift-cards.yaml,line=8,"),
        "annotations use paths from the repository root: {annotation}"
    );
    assert!(annotation.contains("team-nobody"), "{annotation}");
    assert_eq!(outputs["errors"], "1");
    assert_eq!(outputs["warnings"], "0");

    let summary = runner.summary();
    assert!(summary.contains("## Catalog check"), "{summary}");
    assert!(
        summary.contains("| error | `unresolved-ref` | `catalog/services/gift-cards.yaml:8:"),
        "{summary}"
    );
    assert!(summary.contains("## Catalog changes"), "{summary}");
    assert!(
        summary.contains("| added | `component:default/gift-cards` |"),
        "{summary}"
    );
    assert!(
        summary.contains("| changed | `component:default/checkout-service` | `/metadata/description:"),
        "{summary}"
    );
    assert!(summary.contains("### Scorecard levels"), "{summary}");
    assert!(
        summary.contains("| ⬆ up | `component:default/cart-service` | production-readiness | silver | gold |"),
        "{summary}"
    );
    assert!(
        summary.contains("| ⬇ down | `component:default/search-service` | production-readiness | gold | silver |"),
        "{summary}"
    );

    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "platform/catalog/services/gift-cards.yaml");
}

#[test]
fn on_a_push_the_portal_is_built_and_published() {
    let moto = crate::aws::Moto::start();
    crate::aws::block_on(moto.s3().create_bucket().bucket("portal-site").send()).unwrap();
    let workspace = TestCatalog::demo();
    let mut env = vec![
        ("GITHUB_EVENT_NAME", "push"),
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
    ];
    env.extend(crate::aws::ENV);
    let mut runner = Runner::new(
        workspace.path(),
        &[("version", "source"), ("publish-to", "s3://portal-site/catalog")],
        &env,
    );
    runner.restore_cached_cairn();
    let (runs, outputs) = runner.run_action();
    assert!(runs.iter().all(|r| r.status == 0), "{runs:#?}");
    assert_eq!(runs.len(), 6, "version, install, check, build, publish, notify");
    assert!(runs[5].stdout.contains("notify is empty"), "{:?}", runs[5]);
    assert_eq!(outputs["errors"], "0");
    let dist = PathBuf::from(&outputs["dist"]);
    assert_eq!(dist, workspace.path().join("dist"));
    let status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dist.join("api/v1/status.json")).unwrap()).unwrap();
    assert_eq!(
        status["base_url"], "/catalog/",
        "built for the prefix it is published under"
    );
    assert!(
        runs[4].stdout.contains("published to s3://portal-site/catalog/:"),
        "{:?}",
        runs[4]
    );
    assert!(!runs[4].stderr.contains("warning"), "{}", runs[4].stderr);
    let summary = runner.summary();
    assert!(summary.contains("0 errors, 0 warnings"), "{summary}");
    assert!(summary.contains("### Published"), "{summary}");
    assert!(!summary.contains("## Catalog changes"), "no diff outside pull requests");
}

#[test]
fn by_default_the_release_of_the_actions_own_version_is_installed_verified() {
    let releases = Releases::new();
    releases.packaged(&tag());
    let workspace = TestCatalog::demo();
    let url = releases.url();
    let env = [("GITHUB_EVENT_NAME", "push"), ("CAIRN_RELEASES_URL", url.as_str())];
    let mut runner = Runner::new(workspace.path(), &[], &env);
    let (runs, outputs) = runner.run_action();
    assert!(runs.iter().all(|r| r.status == 0), "{runs:#?}");
    assert_eq!(runs.len(), 6, "version, install, check, build, publish, notify");
    assert!(
        runs[1].stdout.contains(&format!(
            "installed cairn {VERSION} (release v{VERSION}, sha256 verified)"
        )),
        "{:?}",
        runs[1]
    );
    assert_eq!(outputs["errors"], "0");

    // A tampered archive is refused: the job stops at the install step.
    releases.tamper(&tag(), &format!("cairn-{TARGET}.tar.gz"));
    let mut runner = Runner::new(workspace.path(), &[("version", tag().as_str())], &env);
    let (runs, _) = runner.run_action();
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert_eq!(runs[1].status, 2);
    assert!(runs[1].stderr.contains("error: checksum mismatch"), "{:?}", runs[1]);
    assert!(
        runs[1].stderr.contains(&format!(
            "::error::cannot install the cairn release v{VERSION} (see above); version: source"
        )),
        "{:?}",
        runs[1]
    );
    assert!(!runner
        .runner_temp()
        .join(format!("cairn-v{VERSION}/bin/cairn"))
        .exists());
}

#[test]
fn a_missing_release_or_platform_is_a_clear_failure() {
    let releases = Releases::new();
    let workspace = TestCatalog::demo();
    let url = releases.url();
    let mut runner = Runner::new(
        workspace.path(),
        &[("version", "v0.0.0-missing")],
        &[("GITHUB_EVENT_NAME", "push"), ("CAIRN_RELEASES_URL", &url)],
    );
    let (runs, _) = runner.run_action();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].status, 2);
    assert!(
        runs[1].stderr.contains("cannot download cairn v0.0.0-missing"),
        "{:?}",
        runs[1]
    );

    let shim = foreign_uname("Linux", "riscv64");
    let path = format!("{}:{}", shim.path().display(), std::env::var("PATH").unwrap());
    let mut runner = Runner::new(
        workspace.path(),
        &[],
        &[
            ("GITHUB_EVENT_NAME", "push"),
            ("CAIRN_RELEASES_URL", &url),
            ("PATH", &path),
        ],
    );
    let (runs, _) = runner.run_action();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].status, 2);
    assert!(
        runs[1].stderr.contains("no cairn release binary for Linux riscv64"),
        "{:?}",
        runs[1]
    );
    assert!(runs[1].stderr.contains("version: source builds cairn"), "{:?}", runs[1]);
}

#[test]
fn on_a_push_webhooks_get_the_changes_signed() {
    let receiver = crate::notify::Receiver::start(crate::notify::Behaviour::FailFirst(1));
    let workspace = TestCatalog::demo();
    let repo = Repository::init(workspace.path()).unwrap();
    commit_all(&repo, "catalog");
    let before = repo.head().unwrap().peel_to_commit().unwrap().id().to_string();
    workspace.write(
        "catalog/services/gift-cards.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gift-cards\nspec:\n  type: service\n  lifecycle: experimental\n  owner: checkout\n",
    );
    commit_all(&repo, "gift cards");
    let targets = format!("{}\n", receiver.url);
    let mut runner = Runner::new(
        workspace.path(),
        &[("version", "source"), ("notify", &targets)],
        &[
            ("GITHUB_EVENT_NAME", "push"),
            ("TEST_EVENT_BEFORE", &before),
            ("CAIRN_WEBHOOK_SECRET", crate::notify::SECRET),
        ],
    );
    runner.restore_cached_cairn();
    let (runs, _) = runner.run_action();
    assert!(runs.iter().all(|r| r.status == 0), "{runs:#?}");
    assert_eq!(runs.len(), 6);
    let deliveries = receiver.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:#?}");
    let (event, body, verified) = deliveries.values().next().unwrap();
    assert_eq!(
        (event.as_str(), body["name"].as_str(), *verified),
        ("entity.created", Some("gift-cards"), true)
    );
    assert!(runner.summary().contains("### Webhooks"), "{}", runner.summary());
    assert!(
        !format!("{runs:?}").contains(crate::notify::SECRET),
        "the secret is never printed"
    );

    // Without the secret the step fails clearly.
    let mut runner = Runner::new(
        workspace.path(),
        &[("version", "source"), ("notify", &targets)],
        &[("GITHUB_EVENT_NAME", "push"), ("TEST_EVENT_BEFORE", &before)],
    );
    runner.restore_cached_cairn();
    let (runs, _) = runner.run_action();
    assert_eq!(runs.last().unwrap().status, 2);
    assert!(
        runs.last().unwrap().stdout.contains("needs CAIRN_WEBHOOK_SECRET"),
        "{runs:#?}"
    );
}
