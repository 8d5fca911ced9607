//! Alias lookups: `api/v1/lookup/aliases.json` in a build (one static fetch
//! from a Datadog service name to the owner and on-call — made over HTTP by
//! a paging tool's script, `tests/lookup/pager.py`), `cairn lookup`
//! saying the same from the catalog or from `dist/`, `alias-conflict`
//! naming both services, and the sharded table of a large catalog.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;

use crate::harness::{python_with, run, TestCatalog, TEAM};

fn read(catalog: &TestCatalog, path: &str) -> Json {
    let bytes = std::fs::read(catalog.path().join("dist").join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn a_datadog_service_name_finds_owner_and_on_call_in_one_file() {
    let catalog = TestCatalog::demo();
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    // A paging tool with only `service:checkout` from a Datadog monitor.
    let table = read(&catalog, "api/v1/lookup/aliases.json");
    assert_eq!(table["sharded"], false);
    let entry = &table["data"]["checkout"];
    let service = &entry["services"][0];
    assert_eq!(service["ref"], "component:default/checkout-service");
    assert_eq!(service["owner"]["ref"], "group:default/checkout");
    assert_eq!(service["on_call"][0]["value"], "PCK2F8N");
    assert_eq!(service["slack"], "#checkout-alerts");
    assert_eq!(service["sources"], serde_json::json!(["datadoghq.com/service-name"]));
    // Discovered identities are aliases too.
    let ecs = &table["data"]["checkout-service"]["services"][0];
    assert_eq!(
        ecs["sources"],
        serde_json::json!(["aws/ecs-service", "backstage.io/kubernetes-id"])
    );
    assert_eq!(
        table["data"]["invoice-generator"]["services"][0]["sources"][0],
        "aws/lambda-function"
    );

    let human = catalog.cairn(&["lookup", "checkout"]);
    assert_eq!(human.status, 0, "{}", human.stderr);
    insta::assert_snapshot!(human.stdout);
    let from_catalog = catalog.cairn(&["--format", "json", "lookup", "checkout"]).json();
    let dist = catalog.path().join("dist");
    let from_dist = catalog
        .cairn(&[
            "--format",
            "json",
            "lookup",
            "--dist",
            dist.to_str().unwrap(),
            "checkout",
        ])
        .json();
    assert_eq!(
        from_catalog, from_dist,
        "the terminal answers what the static files say"
    );
    assert_eq!(from_catalog["services"], entry["services"]);

    let selector = catalog
        .cairn(&["--format", "json", "lookup", "team=checkout, app=payments"])
        .json();
    assert_eq!(selector["services"][0]["ref"], "component:default/payments-service");
    let arn = catalog
        .cairn(&[
            "--format",
            "json",
            "lookup",
            "arn:aws:lambda:eu-west-1:123456789012:function:invoice-generator",
        ])
        .json();
    assert_eq!(
        (arn["match"].as_str(), arn["services"][0]["name"].as_str()),
        (Some("arn"), Some("invoice-generator"))
    );

    let missing = catalog.cairn(&["lookup", "chekout-service"]);
    assert_eq!(missing.status, 1);
    assert!(
        missing.stderr.contains("did you mean `checkout-service`?"),
        "{}",
        missing.stderr
    );
}

/// A plain static file server over `dist/` on 127.0.0.1 (what a CDN or a
/// bucket does: no rewrites, no index), recording each path it is asked for.
struct StaticSite {
    url: String,
    fetched: Arc<Mutex<Vec<String>>>,
}

impl StaticSite {
    fn serve(dist: PathBuf) -> StaticSite {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let fetched = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&fetched);
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().to_string();
                log.lock().unwrap().push(path.clone());
                let relative = Path::new(path.trim_start_matches('/'));
                let file = relative
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
                    .then(|| std::fs::read(dist.join(relative)).ok())
                    .flatten();
                let _ = match file {
                    Some(bytes) => request.respond(tiny_http::Response::from_data(bytes)),
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        StaticSite { url, fetched }
    }

    /// What `tests/lookup/pager.py` — a paging tool holding only `alias` —
    /// finds, and the paths it fetched for it.
    fn page(&self, alias: &str) -> (Json, Vec<String>) {
        self.fetched.lock().unwrap().clear();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lookup/pager.py");
        let out = run(std::process::Command::new(python_with("hashlib"))
            .arg(script)
            .arg(&self.url)
            .arg(alias));
        assert_eq!(out.status, 0, "{}", out.stderr);
        let answer = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
        (answer, self.fetched.lock().unwrap().clone())
    }
}

#[test]
fn a_paging_tool_with_a_datadog_service_name_needs_one_static_fetch() {
    let catalog = TestCatalog::demo();
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let site = StaticSite::serve(catalog.path().join("dist"));
    // A Datadog monitor fired with the tag `service:Checkout`.
    let (answer, fetched) = site.page("Checkout");
    assert_eq!(fetched, ["/api/v1/lookup/aliases.json"], "one static file fetch");
    assert_eq!(
        answer["services"],
        serde_json::json!([{
            "ref": "component:default/checkout-service",
            "owner": "group:default/checkout",
            "on_call": ["PCK2F8N"],
            "slack": "#checkout-alerts",
            "routing": "api/v1/services/default/checkout-service/routing.json",
        }])
    );
    // `cairn lookup` says the same.
    let terminal = catalog.cairn(&["--format", "json", "lookup", "Checkout"]).json();
    let service = &terminal["services"][0];
    assert_eq!(service["owner"]["ref"], answer["services"][0]["owner"]);
    assert_eq!(service["on_call"][0]["value"], answer["services"][0]["on_call"][0]);
    assert_eq!(service["routing"], answer["services"][0]["routing"]);
    let human = catalog.cairn(&["lookup", "Checkout"]);
    assert!(
        human.stdout.contains("owner     group:default/checkout")
            && human.stdout.contains("on-call   pagerduty.com/service-id PCK2F8N"),
        "{}",
        human.stdout
    );
    // An alias nobody has is an empty answer from the same one file.
    let (unknown, fetched) = site.page("no-such-service");
    assert_eq!(unknown["services"], serde_json::json!([]));
    assert_eq!(fetched.len(), 1);
}

fn service(name: &str, annotations: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  annotations:\n{annotations}spec:\n  type: service\n  lifecycle: production\n  owner: payments\n")
}

#[test]
fn an_alias_of_two_services_is_a_conflict_naming_both() {
    let catalog = TestCatalog::empty();
    catalog
        .write("team.yaml", TEAM)
        .write(
            "api.yaml",
            service(
                "checkout-api",
                "    datadoghq.com/service-name: checkout\n    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef\n",
            ),
        )
        .write("worker.yaml", service("checkout-worker", "    datadoghq.com/service-name: Checkout\n"));
    let check = catalog.cairn(&["check"]);
    assert_eq!(check.status, 0, "a warning: {}", check.stdout);
    insta::assert_snapshot!(check.stdout);
    let answer = catalog.cairn(&["lookup", "checkout"]);
    assert!(
        answer.stdout.starts_with("warning[alias-conflict]"),
        "{}",
        answer.stdout
    );
    assert!(
        answer.stdout.contains("component:default/checkout-api")
            && answer.stdout.contains("component:default/checkout-worker")
    );
    // A PagerDuty integration key is found by its hash and never written.
    let by_key = catalog
        .cairn(&["--format", "json", "lookup", "0123456789abcdef0123456789abcdef"])
        .json();
    assert_eq!(by_key["services"][0]["ref"], "component:default/checkout-api");
    assert!(!by_key.to_string().contains("0123456789abcdef0123456789abcdef"));
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let table = std::fs::read_to_string(catalog.path().join("dist/api/v1/lookup/aliases.json")).unwrap();
    assert!(!table.contains("0123456789abcdef0123456789abcdef"), "the key is hashed");
    let quiet = catalog
        .write("cairn.yaml", "policies:\n  alias-conflict: off\n")
        .cairn(&["check"]);
    assert!(!quiet.stdout.contains("alias-conflict"), "{}", quiet.stdout);
}

#[test]
fn a_large_table_is_sharded_and_still_found() {
    let catalog = TestCatalog::empty();
    catalog.write("team.yaml", TEAM);
    let mut services = String::new();
    for n in 0..505 {
        services.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: svc-{n}, annotations: {{ datadoghq.com/service-name: dd-{n}, backstage.io/kubernetes-id: k8s-{n}, sentry.io/project-slug: acme/s-{n}, cairn.dev/aliases: svc-{n}-prod }} }}\nspec: {{ type: service, lifecycle: production, owner: payments }}\n"
        ));
    }
    catalog.write("services.yaml", services);
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let manifest = read(&catalog, "api/v1/lookup/aliases.json");
    assert_eq!(manifest["sharded"], true);
    assert_eq!(manifest["total_count"], 2020);
    assert!(manifest.get("data").is_none(), "a manifest, not the table");
    // The client's side: the shard is the first two hex digits of the
    // SHA-256 of the canonical alias.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(b"dd-377");
    let shard = read(&catalog, &format!("api/v1/lookup/aliases/{:02x}.json", digest[0]));
    assert_eq!(
        shard["data"]["dd-377"]["services"][0]["ref"],
        "component:default/svc-377"
    );
    let shards = std::fs::read_dir(catalog.path().join("dist/api/v1/lookup/aliases"))
        .unwrap()
        .count();
    assert_eq!(shards, 256, "every shard is written, empty or not");
    let dist = catalog.path().join("dist");
    let answer = catalog
        .cairn(&["--format", "json", "lookup", "--dist", dist.to_str().unwrap(), "DD-377"])
        .json();
    assert_eq!(answer["services"][0]["name"], "svc-377");
    // Over HTTP: the manifest names the shard, and the shard answers.
    let site = StaticSite::serve(dist);
    let (paged, fetched) = site.page("DD-377");
    assert_eq!(paged["services"][0]["ref"], "component:default/svc-377");
    assert_eq!(
        fetched,
        [
            "/api/v1/lookup/aliases.json".to_string(),
            format!("/api/v1/lookup/aliases/{:02x}.json", digest[0])
        ]
    );
}
