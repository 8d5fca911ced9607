//! `cairn mcp` driven by a real MCP client — the official Python SDK's
//! stdio client (`tests/mcp/client.py`) — over the demo catalog: every
//! tool called, bad arguments answered with errors the session survives,
//! the API files as resources, and reloads when the catalog (or a built
//! `dist/`) changes.

use std::path::Path;

use serde_json::{json, Value as Json};

use crate::harness::{python_with, run, TestCatalog};

/// Runs the steps against `cairn ARGS…` and returns one answer per step.
fn session(catalog: &TestCatalog, args: &[&str], steps: &Json) -> Vec<Json> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let root = catalog.path().to_str().unwrap();
    let mut command = std::process::Command::new(python_with("mcp"));
    command
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_cairn"))
        .arg(steps.to_string())
        .args(["--", "--root", root])
        .args(args)
        .env("NO_COLOR", "1");
    let out = run(&mut command);
    assert_eq!(out.status, 0, "the client failed:\n{}\n{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// A tool's successful answer, parsed.
fn ok(answer: &Json) -> Json {
    assert_eq!(answer["is_error"], false, "{answer}");
    serde_json::from_str(answer["text"].as_str().unwrap()).unwrap()
}

fn failed(answer: &Json) -> String {
    assert!(
        answer["is_error"] == true || answer.get("exception").is_some(),
        "{answer}"
    );
    answer["text"]
        .as_str()
        .or(answer["message"].as_str())
        .unwrap()
        .to_string()
}

const ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:service/shop-prod/checkout-service";

#[test]
fn an_mcp_client_asks_the_demo_catalog() {
    let catalog = TestCatalog::demo();
    let claim = "apiVersion: catalog.nestor.io/v1\nkind: ResourceClaim\nmetadata:\n  name: orders-db\nspec:\n  resource: aws-rds-postgres\n  version: \"^2.0\"\n  inputs:\n    instance_class: db.m5.large\n    allocated_storage: 100\n    db_subnet_group_name: shop-prod\n";
    let steps = json!([
        { "tools": true },
        { "call": "who_owns", "args": { "query": ARN } },
        { "call": "who_owns", "args": { "query": "checkout" } },
        { "call": "who_owns", "args": { "query": "api:checkout-api" } },
        { "call": "search", "args": { "query": "chekout", "kind": "component", "limit": 3 } },
        { "call": "get_entity", "args": { "ref": "component:default/checkout-service" } },
        { "call": "dependencies", "args": { "ref": "checkout-service", "direction": "up", "depth": 1 } },
        { "call": "dependencies", "args": { "ref": "payments-service", "direction": "down" } },
        { "call": "resource_definition", "args": { "name": "aws-rds-postgres" } },
        { "call": "resource_definition", "args": { "name": "aws-rds-postgres", "version": "1.2.0" } },
        { "call": "validate_claim", "args": { "claim": claim } },
        { "call": "validate_claim", "args": { "claim": { "resource": "aws-rds-postgres", "version": "2.0.0",
            "inputs": { "instance_class": "m5", "allocated_storage": "100", "engine_version": "14.1" } } } },
        // Bad arguments and unknown subjects: errors, and the session goes on.
        { "call": "who_owns", "args": {} },
        { "call": "who_owns", "args": { "query": "no-such-thing" } },
        { "call": "search", "args": { "query": "x", "limit": 0 } },
        { "call": "dependencies", "args": { "ref": "checkout-service", "direction": "sideways" } },
        { "call": "get_entity", "args": { "ref": "kind:with/too/many/parts" } },
        { "call": "validate_claim", "args": { "claim": "spec: [unclosed" } },
        { "call": "resource_definition", "args": { "name": "aws-rds-postgress" } },
        { "call": "no_such_tool", "args": {} },
        { "resources": true },
        { "templates": true },
        { "read": "cairn://api/v1/lookup/aliases.json" },
        { "read": "cairn://api/v1/../../etc/passwd" },
        { "call": "who_owns", "args": { "query": "PCK2F8N" } },
    ]);
    let answers = session(&catalog, &["mcp"], &steps);

    let tools: Vec<&str> = answers[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "dependencies",
            "get_entity",
            "resource_definition",
            "search",
            "validate_claim",
            "who_owns"
        ]
    );
    let by_arn = ok(&answers[1]);
    assert_eq!(by_arn["match"], "arn");
    let service = &by_arn["services"][0];
    assert_eq!(service["ref"], "component:default/checkout-service");
    assert_eq!(service["owner"]["ref"], "group:default/checkout");
    assert_eq!(service["owner"]["confidence"], 1.0);
    assert_eq!(service["on_call"][0]["value"], "PCK2F8N");
    assert_eq!(service["slack"], "#checkout-alerts");
    assert!(service["runbooks"][0]["url"].as_str().unwrap().contains("runbook"));
    let mut by_alias = ok(&answers[2]);
    assert_eq!(
        by_alias["services"][0]["sources"],
        json!(["datadoghq.com/service-name"])
    );
    by_alias["services"][0].as_object_mut().unwrap().remove("sources");
    assert_eq!(by_alias["services"], by_arn["services"], "the alias and the ARN agree");
    assert_eq!(ok(&answers[3])["entity"]["owner"]["ref"], "group:default/checkout");
    assert_eq!(ok(&answers[4])[0]["ref"], "component:default/checkout-service");
    let entity = ok(&answers[5]);
    assert_eq!(entity["entity"]["metadata"]["name"], "checkout-service");
    assert_eq!(entity["service"]["tier"], "tier1");
    let direct = ok(&answers[6]);
    assert!(direct["upstream"].as_array().unwrap().iter().all(|d| d["depth"] == 1));
    assert!(direct["upstream"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["ref"] == "component:default/cart-service"));
    let dependents = ok(&answers[7]);
    assert!(dependents["downstream"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["ref"] == "component:default/checkout-service"));
    let latest = ok(&answers[8]);
    assert_eq!(latest["version"], "2.0.0");
    assert!(latest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["name"] == "allocated_storage" && i["min"] == 20.0));
    assert!(latest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "endpoint"));
    let older = ok(&answers[9]);
    assert_eq!(older["version"], "1.2.0");
    assert!(older["change"].is_string() && older["findings"].is_array(), "{older}");
    let good = ok(&answers[10]);
    assert_eq!(
        (good["valid"].as_bool(), good["version"].as_str()),
        (Some(true), Some("2.0.0")),
        "{good}"
    );
    let bad = ok(&answers[11]);
    assert_eq!(bad["valid"], false);
    let problems = bad["problems"].to_string();
    for expected in [
        "spec.inputs.instance_class",
        "spec.inputs.allocated_storage",
        "spec.inputs.engine_version",
        "spec.inputs.db_subnet_group_name",
    ] {
        assert!(problems.contains(expected), "{expected} in {problems}");
    }
    assert!(failed(&answers[12]).contains("query"), "a missing argument is named");
    assert!(failed(&answers[13]).contains("no alias, ARN or entity"));
    assert!(failed(&answers[14]).contains("limit"));
    assert!(failed(&answers[15]).contains("sideways"));
    assert!(failed(&answers[16]).contains("at most one"));
    assert!(failed(&answers[17]).contains("not YAML"));
    assert!(failed(&answers[18]).contains("did you mean `aws-rds-postgres`"));
    failed(&answers[19]);

    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let api_files = walkdir::WalkDir::new(catalog.path().join("dist/api/v1"))
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count();
    assert_eq!(answers[20]["count"], api_files, "every API file is a resource");
    let templates = answers[21].to_string();
    assert!(
        templates.contains("cairn://api/v1/services/{namespace}/{name}/routing.json"),
        "{templates}"
    );
    let table: Json = serde_json::from_str(answers[22]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        table["data"]["checkout"]["services"][0]["ref"],
        "component:default/checkout-service"
    );
    assert!(answers[23].get("exception").is_some(), "{}", answers[23]);
    assert_eq!(
        ok(&answers[24])["services"][0]["name"],
        "checkout-service",
        "still serving after the errors"
    );
}

const GIFT_CARDS: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gift-cards\n  annotations:\n    datadoghq.com/service-name: gift-cards-dd\nspec:\n  type: service\n  lifecycle: experimental\n  owner: checkout\n";

#[test]
fn the_server_reloads_when_the_catalog_changes() {
    let catalog = TestCatalog::demo();
    let file = catalog.path().join("catalog/services/gift-cards.yaml");
    let steps = json!([
        { "call": "who_owns", "args": { "query": "gift-cards-dd" } },
        { "write": file, "text": GIFT_CARDS },
        { "until": { "call": "who_owns", "args": { "query": "gift-cards-dd" } }, "contains": "component:default/gift-cards", "seconds": 30 },
    ]);
    let answers = session(&catalog, &["mcp"], &steps);
    failed(&answers[0]);
    assert_eq!(ok(&answers[2])["services"][0]["owner"]["ref"], "group:default/checkout");
}

#[test]
fn the_server_reads_a_built_site_and_follows_rebuilds() {
    let catalog = TestCatalog::demo();
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let dist = catalog.path().join("dist");
    let root = catalog.path().to_str().unwrap();
    let file = catalog.path().join("catalog/services/gift-cards.yaml");
    let steps = json!([
        { "call": "who_owns", "args": { "query": ARN } },
        { "write": file, "text": GIFT_CARDS },
        { "call": "who_owns", "args": { "query": "gift-cards-dd" } },
        { "run": ["--root", root, "build"] },
        { "until": { "call": "who_owns", "args": { "query": "gift-cards-dd" } }, "contains": "component:default/gift-cards", "seconds": 30 },
    ]);
    let answers = session(&catalog, &["mcp", "--dist", dist.to_str().unwrap()], &steps);
    assert_eq!(ok(&answers[0])["services"][0]["name"], "checkout-service");
    failed(&answers[2]);
    assert_eq!(answers[3], 0, "the rebuild succeeded");
    ok(&answers[4]);
}
