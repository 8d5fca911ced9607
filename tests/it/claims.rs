//! ResourceClaims end to end: the request form in Chromium writes a claim
//! for every version of every definition of the demo catalog, the claims
//! are committed and `cairn check` accepts them, every value the form
//! refuses `cairn check` refuses for the same reason, and the build renders
//! them (`main.tf.json` with the engine config's module source and version,
//! identical to `cairn render`). Also: the diagnostics of every claim rule,
//! rendered values that stay data, the upgrade impact of a breaking new
//! major in a real git repository, `cairn diff` listing claims whose
//! version changes, and the template workflow's script collecting the
//! claims a push changed.

use std::path::Path;
use std::process::Command;

use git2::{IndexAddOption, Repository, Signature};
use serde_json::{json, Value as Json};

use crate::harness::{run, TestCatalog};
use crate::portal::{browser_dir, serve};

/// Commits every change of the working tree of `dir` on HEAD.
fn commit(dir: &Path, message: &str) {
    let repo = Repository::open(dir).unwrap_or_else(|_| Repository::init(dir).unwrap());
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = Signature::now("Test", "test@example.com").unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
        .unwrap();
}

fn yaml_to_json(file: &str, text: &str) -> Json {
    let parsed = cairn::parse::parse_yaml(file, text);
    assert!(
        parsed.diagnostics.is_empty(),
        "{file}: {:?}\n{text}",
        parsed.diagnostics
    );
    parsed.documents[0].root.to_json()
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The diagnostics of a `--format json` run in files under `prefix`.
fn diagnostics_under(run: &crate::harness::Run, prefix: &str) -> Vec<Json> {
    run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str().unwrap().starts_with(prefix))
        .cloned()
        .collect()
}

/// What `cairn check` says of a refused value, from what the form said:
/// `Must be at least 20.` → `must be at least 20`.
fn as_clause(form_error: &str) -> String {
    let text = form_error.trim().trim_end_matches('.');
    let mut chars = text.chars();
    let first = chars.next().unwrap().to_lowercase().to_string();
    first + chars.as_str()
}

#[test]
fn the_form_writes_claims_that_check_accepts_and_refuses_what_check_refuses() {
    let browser = browser_dir();
    let catalog = TestCatalog::demo();
    commit(catalog.path(), "the demo catalog");
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("portal");
    let build = catalog.cairn(&["build", "--base-url", "/portal/", "--out", out.to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let (_server, port) = serve(site.path());
    // Inputs with a pattern and no default: values the patterns accept.
    let samples = json!({
        "instance_class": "db.m5.large",
        "db_subnet_group_name": "orders-vpc",
        "bucket_name": "acme-form-bucket",
        "queue_name": "form-queue",
    });
    let node = run(Command::new("node")
        .arg(browser.join("claims.js"))
        .arg(format!("http://127.0.0.1:{port}/portal/"))
        .arg(samples.to_string()));
    assert_eq!(node.status, 0, "{}", node.stderr);
    let report: Json = serde_json::from_str(&node.stdout).unwrap();
    assert_eq!(report["errors"], json!([]), "no script errors");
    let pages = report["pages"].as_array().unwrap();
    let definition_files = walkdir::WalkDir::new(catalog.path().join("resource-definitions"))
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count();
    assert_eq!(pages.len(), definition_files, "a form on every version page");

    // Every claim the form wrote, committed: check accepts them all.
    let mut written = Vec::new();
    for page in pages {
        let claims = page["claims"].as_array().unwrap();
        assert!(!claims.is_empty(), "{}: no version to choose", page["url"]);
        for claim in claims {
            let yaml = claim["yaml"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: the form refused valid values", page["url"]));
            let document = yaml_to_json("form.yaml", yaml);
            assert_eq!(document["spec"]["owner"], "platform", "{yaml}");
            assert_eq!(document["spec"]["version"], claim["choice"], "{yaml}");
            let name = document["metadata"]["name"].as_str().unwrap().to_string();
            catalog.write(&format!("catalog/claims/form/{name}.yaml"), yaml);
            written.push(name);
        }
    }
    assert!(written.len() > pages.len(), "exact and ^major choices");
    commit(catalog.path(), "claims from the request form");
    let check = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(check.status, 0, "{}", check.stdout);
    assert_eq!(diagnostics_under(&check, "catalog/claims/form/"), Vec::<Json>::new());

    // Rendered: the Terraform module of the resolved version's engine
    // config, and `cairn render` prints the same bytes.
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let dist = catalog.path().join("dist");
    for name in &written {
        let api = read_json(&dist.join(format!("api/v1/claims/default/{name}.json")));
        let resource = api["resource"].as_str().unwrap();
        let version = api["resolved"]["version"].as_str().unwrap();
        let definition = yaml_to_json(
            "definition.yaml",
            &std::fs::read_to_string(
                catalog
                    .path()
                    .join(format!("resource-definitions/{resource}/{version}.yaml")),
            )
            .unwrap(),
        );
        let terraform = &definition["spec"]["engine_configs"]["terraform"];
        let file = dist.join(format!("claims/default/{name}/main.tf.json"));
        let tf = read_json(&file);
        let module = &tf["module"][name.replace('-', "_")];
        assert_eq!(module["source"], terraform["module_source"], "{name}");
        assert_eq!(module["version"], terraform["module_version"], "{name}");
        for (input, value) in api["inputs"].as_object().unwrap() {
            assert_eq!(&module[input], value, "{name}: input {input} is an argument");
        }
        let rendered = catalog.cairn(&[
            "render",
            catalog
                .path()
                .join(format!("catalog/claims/form/{name}.yaml"))
                .to_str()
                .unwrap(),
            "--engine",
            "terraform",
        ]);
        assert_eq!(rendered.status, 0, "{}", rendered.stderr);
        assert_eq!(rendered.stdout, std::fs::read_to_string(&file).unwrap(), "{name}");
    }

    // Every value the form refused, written into the claim it would have
    // been part of: check refuses it, for the reason the form gave.
    let mut expected = Vec::new();
    for page in pages {
        let valid = yaml_to_json("form.yaml", page["claims"][0]["yaml"].as_str().unwrap());
        for rejected in page["rejected"].as_array().unwrap() {
            let input = rejected["input"].as_str().unwrap();
            let typed = rejected["typed"].as_str().unwrap();
            let error = rejected["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: `{input}: {typed}` was not refused", page["url"]));
            assert_eq!(rejected["written"], false, "{input}: {typed}");
            let mut claim = valid.clone();
            let n = expected.len();
            claim["metadata"]["name"] = json!(format!("refused-{n}"));
            let inputs = claim["spec"]["inputs"].as_object_mut().unwrap();
            let number = matches!(rejected["dataType"].as_str(), Some("integer" | "number"));
            match typed {
                "" => {
                    inputs.remove(input);
                }
                _ if number => {
                    inputs.insert(input.into(), serde_json::from_str(typed).unwrap());
                }
                _ => {
                    inputs.insert(input.into(), json!(typed));
                }
            }
            let file = format!("catalog/claims/refused/{n}.yaml");
            catalog.write(&file, serde_json::to_string_pretty(&claim).unwrap());
            expected.push((file, input.to_string(), error.to_string()));
        }
    }
    assert!(expected.len() >= 20, "{} refusals", expected.len());
    let kinds: std::collections::BTreeSet<&str> = expected
        .iter()
        .map(|(_, _, e)| e.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .map(|e| match e.as_str() {
            "Required." => "required",
            e if e.starts_with("Must be at") => "range",
            e if e.starts_with("Must match") => "pattern",
            e if e.starts_with("Must be a") => "type",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["pattern", "range", "required", "type"].into(),
        "every kind of rule"
    );
    let check = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(check.status, 1);
    for (file, input, error) in &expected {
        let found = diagnostics_under(&check, file);
        assert_eq!(found.len(), 1, "{file} ({input}: {error}): {found:#?}");
        let message = found[0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("input `{input}`")), "{message}");
        assert!(
            message.contains(&as_clause(error)),
            "the form said `{error}`, check said `{message}`"
        );
        assert!(
            found[0]["code"].as_str().unwrap().starts_with("claim-input-"),
            "{found:?}"
        );
    }
}

#[test]
fn every_claim_rule_is_a_diagnostic_at_its_line() {
    let catalog = TestCatalog::fixture("claims");
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn rendered_values_are_data_not_code() {
    let catalog = TestCatalog::fixture("claims");
    for file in ["claims/versions.yaml", "claims/inputs.yaml"] {
        std::fs::remove_file(catalog.path().join(file)).unwrap();
    }
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let dir = catalog.path().join("dist/claims/default/orders");
    let tf = read_json(&dir.join("main.tf.json"));
    let module = &tf["module"]["orders"];
    assert_eq!(module["source"], "terraform-aws-modules/rds/aws");
    assert_eq!(module["version"], "6.20.0");
    assert_eq!(
        module["tags"],
        json!({
            "note": "$${file(\"/etc/passwd\")} %%{ if true }x%%{ endif }",
            "$${key}": "\"quoted\"\n: not a key",
        }),
        "templates escaped, keys too: Terraform reads them literally"
    );
    assert_eq!(module["engine_version"], "16", "defaults filled");
    assert_eq!(tf["output"]["endpoint"]["value"], "${module.orders.endpoint}");

    let yaml = std::fs::read_to_string(dir.join("claim.yaml")).unwrap();
    let claim = yaml_to_json("claim.yaml", &yaml);
    assert_eq!(claim["apiVersion"], "data.acme.io/v1");
    assert_eq!(claim["kind"], "PostgresInstance");
    assert_eq!(claim["spec"]["compositionRef"]["name"], "pg-composition");
    assert_eq!(
        claim["spec"]["parameters"]["tags"],
        json!({ "note": "${file(\"/etc/passwd\")} %{ if true }x%{ endif }", "${key}": "\"quoted\"\n: not a key" }),
        "the values as written, nothing more: {yaml}"
    );

    let api = read_json(&catalog.path().join("dist/api/v1/claims/default/orders.json"));
    assert_eq!(api["resolved"]["version"], "2.0.0");
    assert_eq!(api["defaulted"], json!(["engine_version", "multi_az"]));
    assert_eq!(api["owner"]["ref"], "group:default/data");
    assert_eq!(api["dependency_of"][0]["ref"], "component:default/ledger");
    let list = read_json(&catalog.path().join("dist/api/v1/claims.json"));
    assert_eq!(list["data"][0]["resolved"], "2.0.0");
    let service = read_json(&catalog.path().join("dist/api/v1/services/default/ledger.json"));
    assert_eq!(
        service["dependencies"]["upstream"][0]["ref"], "resourceclaim:default/orders",
        "the claim joins the dependency graph of the components that use it"
    );

    // Rebuilding reads the rendered YAML under the root as no catalog input.
    let again = catalog.cairn(&["build", "--out", "dist-again"]);
    assert_eq!(again.status, 0, "{}{}", again.stdout, again.stderr);
}

#[test]
fn render_prints_one_claim_or_says_why_not() {
    let catalog = TestCatalog::fixture("claims");
    let path = |file: &str| catalog.path().join(file).to_str().unwrap().to_string();
    let yaml = catalog.cairn(&["render", &path("claims/orders.yaml"), "--engine", "crossplane"]);
    assert_eq!(yaml.status, 0, "{}", yaml.stderr);
    assert!(yaml.stdout.contains("kind: \"PostgresInstance\""), "{}", yaml.stdout);
    let several = catalog.cairn(&["render", &path("claims/versions.yaml")]);
    assert_eq!(several.status, 2);
    assert!(several.stderr.contains("choose one with --name"), "{}", several.stderr);
    let broken = catalog.cairn(&["render", &path("claims/inputs.yaml"), "--name", "bad-inputs"]);
    assert_eq!(broken.status, 1);
    assert!(broken.stderr.contains("error[claim-input-range]"), "{}", broken.stderr);
    assert_eq!(broken.stdout, "");
    let none = catalog.cairn(&["render", &path("catalog.yaml")]);
    assert_eq!(none.status, 2);
    assert!(none.stderr.contains("holds no ResourceClaim"), "{}", none.stderr);
}

/// The demo in git, with a new version of aws-rds-postgres made from
/// 2.0.0 by `edit`.
fn demo_with_new_version(version: &str, edit: impl Fn(String) -> String) -> TestCatalog {
    let catalog = TestCatalog::demo();
    commit(catalog.path(), "the demo catalog");
    let dir = catalog.path().join("resource-definitions/aws-rds-postgres");
    let text = std::fs::read_to_string(dir.join("2.0.0.yaml")).unwrap();
    let text = edit(text.replace("version: \"2.0.0\"", &format!("version: \"{version}\"")));
    catalog.write(&format!("resource-definitions/aws-rds-postgres/{version}.yaml"), text);
    catalog
}

#[test]
fn a_breaking_new_major_shows_each_claim_that_could_not_move_and_why() {
    let catalog = demo_with_new_version("3.0.0", |text| {
        text.replace("        min: 20\n", "        min: 250\n")
            .replace("enum: [\"15.5\", \"16.3\"]", "enum: [\"16.3\", \"17.2\"]")
    });
    let run = catalog.cairn(&["--base", "HEAD", "check"]);
    assert_eq!(run.status, 0, "warnings only: {}", run.stdout);
    let upgrade: String = run
        .stdout
        .split("\n\n")
        .filter(|d| d.contains("[claim-upgrade"))
        .map(|d| format!("{d}\n\n"))
        .collect();
    insta::assert_snapshot!(upgrade);
    // Published history is what makes a version new: without a base, none is.
    let without = catalog.cairn(&["check"]);
    assert!(!without.stdout.contains("claim-upgrade"), "{}", without.stdout);
}

#[test]
fn diff_lists_claims_whose_resolved_version_changes() {
    let catalog = demo_with_new_version("2.1.0", |text| text.replace("        max: 35\n", "        max: 42\n"));
    let run = catalog.cairn(&["diff", "HEAD"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let json = catalog.cairn(&["--format", "json", "diff", "HEAD"]);
    assert_eq!(
        json.json()["claims"],
        json!([{ "ref": "resourceclaim:default/order-history-db", "resource": "aws-rds-postgres", "from": "2.0.0", "to": "2.1.0" }])
    );
}

#[test]
fn the_template_workflow_renders_the_claims_a_push_changed() {
    let catalog = TestCatalog::demo();
    commit(catalog.path(), "the demo catalog");
    let before = Repository::open(catalog.path())
        .unwrap()
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    // One claim edited, and a new 2.x version that another claim moves to.
    let file = catalog.path().join("catalog/claims/email-queue.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("visibility_timeout_seconds: 120", "visibility_timeout_seconds: 90"),
    )
    .unwrap();
    let dir = catalog.path().join("resource-definitions/aws-rds-postgres");
    let text = std::fs::read_to_string(dir.join("2.0.0.yaml")).unwrap();
    std::fs::write(
        dir.join("2.1.0.yaml"),
        text.replace("version: \"2.0.0\"", "version: \"2.1.0\"")
            .replace("        max: 35\n", "        max: 42\n"),
    )
    .unwrap();
    commit(catalog.path(), "a push");
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);

    let script = catalog.path().join(".github/scripts/render-changed-claims.sh");
    let cairn_dir = Path::new(env!("CARGO_BIN_EXE_cairn")).parent().unwrap();
    let path = format!("{}:{}", cairn_dir.display(), std::env::var("PATH").unwrap_or_default());
    let rendered = |before: &str, out: &str| {
        let run = run(Command::new("bash")
            .arg(&script)
            .current_dir(catalog.path())
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("BEFORE", before)
            .env("DIST", catalog.path().join("dist"))
            .env("OUT", out));
        assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
        let mut files: Vec<String> = walkdir::WalkDir::new(catalog.path().join(out))
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .filter(|p| p.is_file())
            .map(|p| p.strip_prefix(catalog.path().join(out)).unwrap().display().to_string())
            .collect();
        files.sort();
        (files, run.stdout)
    };
    let (files, said) = rendered(&before, "rendered");
    assert_eq!(
        files,
        [
            "default/email-queue/main.tf.json",
            "default/order-history-db/claim.yaml",
            "default/order-history-db/main.tf.json",
        ],
        "the edited claim and the one that moved to 2.1.0, not the others"
    );
    assert!(said.contains("rendered 2 Terraform and 1 Crossplane claims"), "{said}");
    let moved = read_json(&catalog.path().join("rendered/default/order-history-db/main.tf.json"));
    assert_eq!(moved["module"]["order_history_db"]["version"], "6.9.0");
    // The first push of a branch has no usable commit before it: every claim.
    let (all, _) = rendered("0000000000000000000000000000000000000000", "all");
    assert_eq!(all.len(), 6, "4 claims, 2 of them for both engines: {all:?}");
}
