//! `cairn discover git` over real repositories built with git2, and the
//! build merging facts: discovered services, ownership inference and drift,
//! `lookup/aws.json`, staleness from the facts file's git history, and bad
//! facts files.

use std::path::Path;

use git2::{IndexAddOption, Repository, Signature, Time};
use serde_json::{json, Value};

use crate::harness::TestCatalog;

/// A git repository under construction, committing with chosen authors and
/// times so facts are reproducible.
pub struct GitRepo {
    pub repo: Repository,
}

impl GitRepo {
    pub fn init(path: &Path, origin: Option<&str>) -> GitRepo {
        std::fs::create_dir_all(path).unwrap();
        let repo = Repository::init(path).unwrap();
        if let Some(url) = origin {
            repo.remote("origin", url).unwrap();
        }
        GitRepo { repo }
    }

    fn workdir(&self) -> &Path {
        self.repo.workdir().unwrap()
    }

    /// Writes `files`, then commits everything as `author <email>` at
    /// `time` (seconds since the epoch).
    pub fn commit(&self, files: &[(&str, &str)], author: &str, email: &str, time: i64) -> &Self {
        for (path, text) in files {
            let full = self.workdir().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = Signature::new(author, email, &Time::new(time, 0)).unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &signature, &signature, "change", &tree, &parents)
            .unwrap();
        self
    }
}

const DAY: i64 = 86_400;
const T0: i64 = 1_780_000_000;

const DEPLOY_WORKFLOW: &str = "name: deploy
on: { push: { branches: [main] } }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with: { task-definition: task.json, service: payments-api, cluster: prod }
";

/// `payments-api` (CODEOWNERS, README with badges, several authors, an ECS
/// deploy workflow) and a monorepo with two services, one with a
/// workflow naming its directory.
fn world(dir: &Path) {
    let payments = GitRepo::init(&dir.join("payments-api"), Some("git@github.com:acme/payments-api.git"));
    payments.commit(
        &[
            (".github/CODEOWNERS", "* @acme/payments\n/docs/ @acme/writers\n"),
            (
                "README.md",
                "# payments-api\n\n[![ci](https://x/badge.svg)](https://x)\n\nTakes **card** payments for checkout.\n",
            ),
            ("src/main.rs", "fn main() { println!(\"pay\"); }\n"),
            ("web/app.ts", "export const x = 1;\n"),
            ("docs/guide.md", "# Guide\n"),
            ("catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\n"),
            (".github/workflows/deploy.yml", DEPLOY_WORKFLOW),
        ],
        "Alice",
        "Alice@Acme.com",
        T0,
    );
    for day in 1..=3 {
        payments.commit(
            &[("src/main.rs", &format!("fn main() {{ /* {day} */ }}\n"))],
            "Alice",
            "alice@acme.com",
            T0 + day * DAY,
        );
    }
    payments.commit(
        &[("src/lib.rs", "pub fn lib() {}\n")],
        "Bob",
        "bob@acme.com",
        T0 + 4 * DAY,
    );
    payments.commit(
        &[("src/util.rs", "pub fn util() {}\n")],
        "Carol",
        "1234+carol@users.noreply.github.com",
        T0 + 5 * DAY,
    );

    let mono = GitRepo::init(&dir.join("mono"), Some("https://github.com/acme/mono.git"));
    mono.commit(
        &[
            (
                "CODEOWNERS",
                "* @acme/platform\nservices/billing/ @acme/billing\nservices/search/ carol@acme.com\n",
            ),
            ("services/billing/README.md", "Billing: invoices and dunning.\n"),
            ("services/billing/main.go", "package main\n"),
            ("services/search/README", "<p>html</p>\n\nFull-text search.\n"),
            ("services/search/index.py", "print('search')\n"),
            (
                ".github/workflows/billing.yml",
                "on: push\njobs:\n  d:\n    steps:\n      - run: cd services/billing && aws lambda update-function-code --function-name billing-invoicer\n",
            ),
        ],
        "Dan",
        "dan@acme.com",
        T0,
    );
    mono.commit(
        &[("services/search/index.py", "print('search v2')\n")],
        "Carol",
        "carol@acme.com",
        T0 + DAY,
    );
}

#[test]
fn discover_git_reads_clones_and_monorepo_directories() {
    let catalog = TestCatalog::empty();
    let clones = tempfile::tempdir().unwrap();
    world(clones.path());
    let paths = [
        clones.path().join("payments-api"),
        clones.path().join("mono/services/billing"),
        clones.path().join("mono/services/search"),
    ];
    let args = |paths: &[std::path::PathBuf]| -> Vec<String> {
        let mut args = vec!["discover".to_string(), "git".to_string()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        args
    };
    let owned = args(&paths);
    let argv: Vec<&str> = owned.iter().map(String::as_str).collect();
    let run = catalog.cairn(&argv);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let facts_path = catalog.path().join("discovered/git.json");
    let bytes = std::fs::read(&facts_path).unwrap();
    let facts: Value = serde_json::from_slice(&bytes).unwrap();
    insta::assert_json_snapshot!(facts);
    assert_schema_valid(&facts);

    // Scan metadata lives beside the facts, and re-running writes the same
    // facts byte for byte.
    let scan: Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("discovered/git.scan.json")).unwrap()).unwrap();
    assert_eq!(scan["source"], "git");
    assert!(scan["scanned_at"].is_string());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(catalog.cairn(&argv).status, 0);
    assert_eq!(std::fs::read(&facts_path).unwrap(), bytes);
}

#[test]
fn a_path_that_cannot_be_scanned_makes_a_partial_snapshot() {
    let catalog = TestCatalog::empty();
    let clones = tempfile::tempdir().unwrap();
    world(clones.path());
    std::fs::create_dir_all(clones.path().join("not-a-repo")).unwrap();
    let good = clones.path().join("payments-api").display().to_string();
    let bad = clones.path().join("not-a-repo").display().to_string();
    let run = catalog.cairn(&["discover", "git", &good, &bad]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("could not read"), "{}", run.stderr);
    let facts: Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("discovered/git.json")).unwrap()).unwrap();
    assert_eq!(facts["partial"], true);
    assert_eq!(facts["repos"].as_array().unwrap().len(), 1);
    assert!(facts["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not in a git repository"));

    // The build merges what was read and says the snapshot is partial.
    let check = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(check.codes(), ["facts-partial"]);
}

pub fn assert_schema_valid(facts: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../../schemas/facts.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(facts).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

const PEOPLE: &str = "apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: payments, annotations: { github.com/team-slug: acme/payments } }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: checkout }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: billing }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: search }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { profile: { email: alice@acme.com }, memberOf: [payments] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec: { profile: { email: bob@acme.com }, memberOf: [payments] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol, annotations: { github.com/user-login: carol } }
spec: { profile: { email: carol@acme.com }, memberOf: [search] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: dan }
spec: { profile: { email: dan@acme.com }, memberOf: [billing] }
";

/// A declared payments-api owned by checkout (discovery disagrees).
const DECLARED: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  annotations: { github.com/project-slug: acme/payments-api }
spec: { type: service, lifecycle: production, owner: checkout }
";

fn aws_facts() -> Value {
    json!({
        "format": "cairn.dev/facts/v1",
        "source": "aws",
        "resources": [
            { "arn": "arn:aws:cloudformation:us-east-1:123456789012:stack/payments-api-prod/1", "kind": "cloudformation-stack",
              "name": "payments-api-prod", "region": "us-east-1", "tags": { "team": "payments" } },
            { "arn": "arn:aws:ecs:us-east-1:123456789012:service/prod/payments-api", "kind": "ecs-service",
              "name": "payments-api", "region": "us-east-1", "stack": "payments-api-prod",
              "images": ["123456789012.dkr.ecr.us-east-1.amazonaws.com/payments-api:1.4"] },
            { "arn": "arn:aws:lambda:us-east-1:123456789012:function:billing-invoicer", "kind": "lambda-function",
              "name": "billing-invoicer", "region": "us-east-1", "runtime": "python3.12" },
            { "arn": "arn:aws:lambda:us-east-1:123456789012:function:reports-nightly", "kind": "lambda-function",
              "name": "reports-nightly", "region": "us-east-1", "runtime": "nodejs20.x", "tags": { "team": "billing" } }
        ]
    })
}

/// A catalog with people, one declared service, git facts from real
/// clones and AWS facts.
fn merged_catalog() -> TestCatalog {
    let catalog = TestCatalog::empty();
    catalog.write("catalog/people.yaml", PEOPLE);
    catalog.write("catalog/payments-api.yaml", DECLARED);
    let clones = tempfile::tempdir().unwrap();
    world(clones.path());
    let paths: Vec<String> = ["payments-api", "mono/services/billing", "mono/services/search"]
        .iter()
        .map(|p| clones.path().join(p).display().to_string())
        .collect();
    let mut args = vec!["discover", "git"];
    args.extend(paths.iter().map(String::as_str));
    let run = catalog.cairn(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    catalog.write("discovered/aws.json", serde_json::to_vec_pretty(&aws_facts()).unwrap());
    catalog
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn build_merges_facts_infers_owners_and_reports_drift() {
    let catalog = merged_catalog();
    let check = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(check.status, 0, "{}", check.stdout);
    let diagnostics = &check.json()["diagnostics"];
    assert_eq!(check.codes(), ["ownership-drift"]);
    insta::assert_snapshot!(format!(
        "{}:{}:{} {}",
        diagnostics[0]["file"].as_str().unwrap(),
        diagnostics[0]["line"],
        diagnostics[0]["column"],
        diagnostics[0]["message"].as_str().unwrap()
    ));

    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let api = catalog.path().join("dist/api/v1");
    // The declared owner wins; discovery is attached with the candidates.
    let payments = read_json(&api.join("services/default/payments-api.json"));
    assert_eq!(payments["owner"]["name"], "checkout");
    assert_eq!(payments["owner"]["source"], "declared");
    assert_eq!(payments["confidence"], 1.0);
    assert_eq!(payments["discovery"]["discovered"], false);
    assert_eq!(
        payments["discovery"]["ownership"]["candidates"][0]["ref"],
        "group:default/payments"
    );
    assert_eq!(payments["discovery"]["repo"]["slug"], "acme/payments-api");
    assert_eq!(payments["description"], "Takes card payments for checkout.");
    assert_eq!(payments["sources"]["discovered"], json!(["description", "tech"]));
    assert_eq!(payments["tech"], json!(["Rust", "TypeScript"]));

    // Repositories and functions no YAML declares become services.
    let services: Vec<String> = read_json(&api.join("services.json"))["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(services, ["billing", "payments-api", "reports-nightly", "search"]);
    let billing = read_json(&api.join("services/default/billing.json"));
    insta::assert_json_snapshot!(billing["discovery"]);
    assert_eq!(billing["owner"]["name"], "billing");
    assert_eq!(billing["owner"]["source"], "discovered");
    let search = read_json(&api.join("services/default/search.json"));
    assert_eq!(search["owner"]["name"], "search", "{search:#}");
    let reports = read_json(&api.join("services/default/reports-nightly.json"));
    assert_eq!(reports["owner"]["name"], "billing");
    assert_eq!(reports["lifecycle"], "production");

    // ARN → service, for alert routing.
    let lookup = read_json(&api.join("lookup/aws.json"));
    insta::assert_json_snapshot!(lookup);

    // The portal shows discovery on the service page and the dashboard.
    let page = std::fs::read_to_string(catalog.path().join("dist/component/default/billing/index.html")).unwrap();
    assert!(page.contains("This service is not declared in YAML"), "{page}");
    let dashboard = std::fs::read_to_string(catalog.path().join("dist/dashboard/index.html")).unwrap();
    assert!(dashboard.contains("Discovered services to review"));
}

/// Commits the catalog's whole working tree.
fn commit_all(repo: &GitRepo, time: i64) {
    repo.commit(&[], "Bot", "bot@acme.com", time);
}

fn lambda(name: &str, version: u32) -> Value {
    json!({ "arn": format!("arn:aws:lambda:us-east-1:1:function:{name}"), "kind": "lambda-function",
            "name": name, "region": "us-east-1", "tags": { "team": "payments", "version": version.to_string() } })
}

fn snapshot(resources: Vec<Value>, partial: bool) -> Vec<u8> {
    let mut facts = json!({ "format": "cairn.dev/facts/v1", "source": "aws", "resources": resources });
    if partial {
        facts["partial"] = json!(true);
        facts["errors"] = json!([{ "scope": "region:us-east-1/lambda", "message": "throttled" }]);
    }
    serde_json::to_vec_pretty(&facts).unwrap()
}

#[test]
fn services_missing_from_committed_snapshots_go_deprecated_then_eol() {
    let catalog = TestCatalog::empty();
    let repo = GitRepo::init(catalog.path(), None);
    catalog.write(".gitignore", "dist/\n.cairn/\n");
    catalog.write("catalog/people.yaml", PEOPLE);
    let lifecycle = |name: &str| -> Value {
        assert_eq!(catalog.cairn(&["build"]).status, 0);
        read_json(&catalog.path().join(format!("dist/api/v1/services/default/{name}.json")))["lifecycle"].clone()
    };
    // Snapshot 1 has both functions; the next ones only `kept-fn`.
    catalog.write(
        "discovered/aws.json",
        snapshot(vec![lambda("gone-fn", 1), lambda("kept-fn", 1)], false),
    );
    commit_all(&repo, T0);
    assert_eq!(lifecycle("gone-fn"), "production");
    for n in 2..=3 {
        catalog.write("discovered/aws.json", snapshot(vec![lambda("kept-fn", n)], false));
        commit_all(&repo, T0 + i64::from(n));
        assert_eq!(lifecycle("gone-fn"), "production", "missing from {} snapshots", n - 1);
    }
    // A partial snapshot does not count as lacking anything.
    catalog.write("discovered/aws.json", snapshot(vec![lambda("kept-fn", 9)], true));
    commit_all(&repo, T0 + 9);
    assert_eq!(lifecycle("gone-fn"), "production");
    catalog.write("discovered/aws.json", snapshot(vec![lambda("kept-fn", 4)], false));
    commit_all(&repo, T0 + 10);
    assert_eq!(lifecycle("gone-fn"), "deprecated");
    for n in 5..=6 {
        catalog.write("discovered/aws.json", snapshot(vec![lambda("kept-fn", n)], false));
        commit_all(&repo, T0 + 10 + i64::from(n));
    }
    assert_eq!(lifecycle("gone-fn"), "eol");
    assert_eq!(lifecycle("kept-fn"), "production");
}

#[test]
fn bad_facts_files_are_diagnostics_with_positions() {
    let catalog = TestCatalog::empty();
    catalog.write(
        "discovered/broken.json",
        "{ \"format\": \"cairn.dev/facts/v1\",\n  \"source\": \"aws\", }\n",
    );
    catalog.write(
        "discovered/wrong.json",
        "{\n  \"format\": \"cairn.dev/facts/v1\",\n  \"source\": \"aws\",\n  \"resources\": [\n    { \"arn\": \"arn:aws:x\", \"kind\": \"lambda\", \"name\": \"x\", \"region\": \"r\" }\n  ]\n}\n",
    );
    catalog.write(
        "discovered/future.json",
        "{ \"format\": \"cairn.dev/facts/v9\", \"source\": \"aws\" }\n",
    );
    catalog.write("discovered/ignored.scan.json", "not even json");
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    let rendered: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{} {} {} — {}",
                d["file"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["code"].as_str().unwrap(),
                d["message"].as_str().unwrap(),
                d["help"].as_str().unwrap_or_default()
            )
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

#[test]
fn ambiguous_and_unowned_services_are_flagged_on_the_dashboard() {
    let catalog = TestCatalog::empty();
    catalog.write("catalog/people.yaml", PEOPLE);
    let facts = json!({
        "format": "cairn.dev/facts/v1",
        "source": "github",
        "repos": [
            // CODEOWNERS names two teams for every file; nothing else.
            { "slug": "acme/shared-lib", "codeowners": { "file": "CODEOWNERS", "shares": { "@acme/payments": 1.0, "@acme/search": 1.0 } } },
            // Commits by nobody the catalog knows.
            { "slug": "acme/orphan", "authors": [{ "email": "someone@elsewhere.example", "commits": 7 }] },
            // Two of three commits by payments members: 0.67 ≥ 0.50.
            { "slug": "acme/mostly-payments", "authors": [
                { "email": "alice@acme.com", "commits": 2 }, { "email": "carol@acme.com", "commits": 1 } ] }
        ]
    });
    catalog.write("discovered/github.json", serde_json::to_vec_pretty(&facts).unwrap());
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let api = catalog.path().join("dist/api/v1/services/default");
    let shared = read_json(&api.join("shared-lib.json"));
    assert_eq!(shared["discovery"]["ownership"]["status"], "ambiguous");
    assert_eq!(shared["discovery"]["ownership"]["confidence"], 1.0);
    let orphan = read_json(&api.join("orphan.json"));
    assert_eq!(orphan["discovery"]["ownership"]["status"], "unowned");
    assert_eq!(orphan["owner"], Value::Null);
    assert_eq!(orphan["lifecycle"], "unknown");
    let mostly = read_json(&api.join("mostly-payments.json"));
    assert_eq!(mostly["discovery"]["ownership"]["status"], "owned");
    assert_eq!(mostly["owner"]["name"], "payments");
    assert_eq!(mostly["confidence"], 0.6667);
    let dashboard = std::fs::read_to_string(catalog.path().join("dist/dashboard/index.html")).unwrap();
    let section = |id: &str| -> String {
        let start = dashboard.find(&format!("id=\"{id}\"")).unwrap();
        dashboard[start..].split("</section>").next().unwrap().to_string()
    };
    assert!(section("ambiguous").contains("shared-lib"), "{dashboard}");
    assert!(section("unowned").contains("orphan"));
    assert!(!section("unowned").contains("mostly-payments"));
}

#[test]
fn hostile_text_in_facts_never_reaches_html_as_markup() {
    let catalog = TestCatalog::empty();
    catalog.write("catalog/people.yaml", PEOPLE);
    let hostile = "<script>window.pwned = 1</script> {{ 7*7 }} <img src=x onerror=alert(1)> [x](javascript:alert(1))";
    let facts = json!({
        "format": "cairn.dev/facts/v1",
        "source": "github",
        "repos": [{
            "slug": "acme/hostile",
            "description": hostile,
            "languages": { "<b>Lang</b>": 100 },
            "codeowners": { "file": "CODEOWNERS", "shares": { "@acme/payments": 1.0 } }
        }]
    });
    catalog.write("discovered/github.json", serde_json::to_vec_pretty(&facts).unwrap());
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    // The API carries the text as data, unchanged.
    let service = read_json(&catalog.path().join("dist/api/v1/services/default/hostile.json"));
    assert_eq!(service["description"], hostile);
    // The pages show it as text: no element or attribute from the facts.
    for page in [
        "component/default/hostile/index.html",
        "all/component/index.html",
        "index.html",
        "dashboard/index.html",
    ] {
        let html = std::fs::read_to_string(catalog.path().join("dist").join(page)).unwrap();
        for markup in [
            "<script>window",
            "<img src=x",
            "onerror=alert(1)>",
            "href=\"javascript:",
            "<b>Lang</b>",
        ] {
            assert!(!html.contains(markup), "{page} contains {markup}:\n{html}");
        }
    }
    let page = std::fs::read_to_string(catalog.path().join("dist/component/default/hostile/index.html")).unwrap();
    // Markdown in a description is rendered and sanitized (the script and
    // the image are dropped); a language name is escaped; template syntax
    // stays text.
    assert!(page.contains("&lt;b&gt;Lang"), "{page}");
    assert!(
        page.contains("{{ 7*7 }}") && !page.contains(" 49 "),
        "template syntax is text:\n{page}"
    );
}
