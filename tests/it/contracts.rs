//! API contracts end to end: real-world-shaped definitions
//! (`tests/fixtures/contracts`: a multi-file OpenAPI 3.1 bundled by
//! `$openapi`, a Swagger 2.0 JSON file, AsyncAPI 3, a GraphQL schema, a
//! proto file, a GraphQL schema that does not parse) rendered as reference
//! pages and checked in Chromium; breaking changes caught by `cairn check
//! --base` in real git repositories, one history per rule with a breaking
//! and a compatible edit, consumers and their owners named; `cairn diff`'s
//! API section; and the static Backstage read API read by
//! `@backstage/catalog-client`.

use std::path::Path;
use std::process::Command;

use git2::{IndexAddOption, Repository, Signature};

use crate::harness::{run, Run, TestCatalog};
use crate::portal::{browser_dir, serve};

/// A catalog in a git repository.
struct Repo {
    catalog: TestCatalog,
    repo: Repository,
}

impl Repo {
    fn new(catalog: TestCatalog) -> Repo {
        let repo = Repository::init(catalog.path()).unwrap();
        Repo { catalog, repo }
    }

    fn write(&self, path: &str, text: &str) -> &Self {
        self.catalog.write(path, text);
        self
    }

    fn commit(&self) {
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = Signature::now("Test", "test@example.com").unwrap();
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &signature, &signature, "commit", &tree, &parents)
            .unwrap();
    }

    fn check(&self) -> Run {
        self.catalog.cairn(&["--format", "json", "--base", "HEAD", "check"])
    }
}

/// `(severity, message)` of every `api-breaking-change`.
fn breaking(run: &Run) -> Vec<(String, String)> {
    run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "api-breaking-change")
        .map(|d| {
            (
                d["severity"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const TEAMS: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: payments-team }\nspec: { type: team, children: [] }\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: storefront-team }\nspec: { type: team, children: [] }\n";
const CONSUMER: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: storefront }\nspec: { type: website, lifecycle: production, owner: storefront-team, consumesApis: [the-api] }\n";

fn api(spec_type: &str, lifecycle: &str, definition: &str) -> String {
    let indented: String = definition.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: the-api\nspec:\n  type: {spec_type}\n  lifecycle: {lifecycle}\n  owner: payments-team\n  definition: |\n{indented}"
    )
}

/// For each rule: the base definition, an edit that breaks it (with a
/// word of the reason) and one that does not.
fn histories(spec_type: &str, base: &str, rules: &[(&str, &str, &str, &str, &str)]) {
    for (rule, (from, to), reason, (c_from, c_to)) in rules.iter().map(|(rule, from, to, reason, compatible)| {
        let (c_from, c_to) = compatible.split_once(" => ").expect("`from => to`");
        (rule, (from, to), reason, (c_from, c_to))
    }) {
        let repo = Repo::new(TestCatalog::empty());
        repo.write("teams.yaml", TEAMS)
            .write("storefront.yaml", CONSUMER)
            .write("api.yaml", &api(spec_type, "production", base));
        repo.commit();
        assert!(base.contains(from), "{rule}: `{from}` is not in the base");
        repo.write("api.yaml", &api(spec_type, "production", &base.replacen(from, to, 1)));
        let run = repo.check();
        let found = breaking(&run);
        assert_eq!(run.status, 1, "{rule}: {}", run.stdout);
        assert!(
            found.iter().any(|(severity, message)| severity == "error"
                && message.contains(reason)
                && message.contains("`component:default/storefront` (owner `group:default/storefront-team`)")),
            "{rule}: {found:#?}"
        );
        assert!(base.contains(c_from), "{rule}: `{c_from}` is not in the base");
        repo.write(
            "api.yaml",
            &api(spec_type, "production", &base.replacen(c_from, c_to, 1)),
        );
        let run = repo.check();
        assert_eq!(
            (run.status, breaking(&run)),
            (0, vec![]),
            "{rule}: the compatible edit is not breaking"
        );
    }
}

const OPENAPI: &str = r#"openapi: 3.0.3
info: { title: Payments, version: 1.0.0 }
paths:
  /payments:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [amount]
              properties:
                amount: { type: number }
                method: { type: string, enum: [card, wallet] }
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Payment' }
  /payments/{id}:
    get:
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Payment' }
        '404': { description: not found }
    delete:
      responses:
        '204': { description: cancelled }
components:
  schemas:
    Payment:
      type: object
      required: [id]
      properties:
        id: { type: string }
        status: { type: string, enum: [authorized, captured] }
"#;

#[test]
fn openapi_breaking_changes_in_git_histories() {
    histories(
        "openapi",
        OPENAPI,
        &[
            ("removed path", "  /payments/{id}:\n    get:", "  /charges/{id}:\n    get:", "path `/payments/{id}` was removed", "    delete:\n => \n    patch:\n      responses: { '200': { description: ok } }\n    delete:\n"),
            ("removed operation", "    delete:\n      responses:\n        '204': { description: cancelled }\n", "", "operation `DELETE /payments/{id}` was removed", "'204': { description: cancelled } => '204': { description: cancelled }\n        '409': { description: conflict }"),
            ("removed response code", "        '404': { description: not found }\n", "", "response `404` was removed", "'404': { description: not found } => '404': { description: not found }\n        '410': { description: gone }"),
            ("new required parameter", "- { name: id, in: path, required: true, schema: { type: string } }", "- { name: id, in: path, required: true, schema: { type: string } }\n        - { name: expand, in: query, required: true, schema: { type: string } }", "new required query parameter `expand`", "- { name: id, in: path, required: true, schema: { type: string } } => - { name: id, in: path, required: true, schema: { type: string } }\n        - { name: expand, in: query, schema: { type: string } }"),
            ("new required request property", "required: [amount]\n              properties:\n", "required: [amount, currency]\n              properties:\n                currency: { type: string }\n", "new required property `currency`", "method: { type: string, enum: [card, wallet] } => method: { type: string, enum: [card, wallet] }\n                note: { type: string }"),
            ("type narrowed", "amount: { type: number }", "amount: { type: integer }", "type narrowed from number to integer", "amount: { type: number } => amount: { type: [number, string] }"),
            ("enum value removed from a request", "enum: [card, wallet]", "enum: [card]", "enum value `wallet` removed", "enum: [card, wallet] => enum: [card, wallet, bank]"),
            ("enum value added to a response", "enum: [authorized, captured]", "enum: [authorized, captured, disputed]", "enum value `disputed` added", "enum: [authorized, captured] => enum: [authorized]"),
            ("security requirement added", "    delete:\n", "    delete:\n      security: [{ oauth2: [payments:write] }]\n", "a security requirement was added", "components:\n => security: []\ncomponents:\n"),
        ],
    );
}

const ASYNCAPI: &str = r#"asyncapi: 3.0.0
info: { title: Orders, version: 1.0.0 }
channels:
  paid:
    address: orders.paid
    messages:
      OrderPaid:
        payload:
          type: object
          required: [order_id]
          properties:
            order_id: { type: string }
  shipped:
    address: orders.shipped
    messages:
      OrderShipped:
        payload: { type: object, properties: { order_id: { type: string } } }
operations:
  sendPaid:
    action: send
    channel: { $ref: '#/channels/paid' }
"#;

#[test]
fn asyncapi_breaking_changes_in_git_histories() {
    histories(
        "asyncapi",
        ASYNCAPI,
        &[
            ("removed channel", "address: orders.shipped", "address: orders.sent", "channel `orders.shipped` was removed", "operations:\n => \n  refunded:\n    address: orders.refunded\noperations:\n"),
            ("removed message", "      OrderShipped:\n", "      ParcelShipped:\n", "message `OrderShipped` was removed", "      OrderShipped:\n => \n      OrderDelayed:\n        payload: { type: object }\n      OrderShipped:\n"),
            ("new required payload field", "required: [order_id]", "required: [order_id, amount_minor]", "new required payload field `amount_minor`", "order_id: { type: string }\n  shipped: => order_id: { type: string }\n            paid_at: { type: string }\n  shipped:"),
        ],
    );
}

const GRAPHQL: &str = r#"type Query {
  product(sku: ID!, locale: String): Product
}

type Product {
  sku: ID!
  name: String!
  status: Status!
}

type Review {
  stars: Int!
}

enum Status {
  ACTIVE
  DISCONTINUED
}
"#;

#[test]
fn graphql_breaking_changes_in_git_histories() {
    histories(
        "graphql",
        GRAPHQL,
        &[
            (
                "removed field",
                "  name: String!\n",
                "",
                "field `Product.name` was removed",
                "  name: String!\n => \n  name: String!\n  slug: String\n",
            ),
            (
                "removed type",
                "type Review {\n  stars: Int!\n}\n",
                "",
                "type `Review` was removed",
                "enum Status => type Brand {\n  name: String\n}\n\nenum Status",
            ),
            (
                "removed enum value",
                "  DISCONTINUED\n",
                "",
                "Status value `DISCONTINUED` was removed",
                "  DISCONTINUED\n => \n  DISCONTINUED\n  DRAFT\n",
            ),
            (
                "nullable argument made non-null",
                "locale: String)",
                "locale: String!)",
                "nullable argument `locale` of `Query.product` was made non-null",
                "sku: ID!, => sku: ID, ",
            ),
        ],
    );
}

const PROTO: &str = r#"syntax = "proto3";
package acme.ledger.v1;

service Ledger {
  rpc Post(PostRequest) returns (Posting);
  rpc Get(GetRequest) returns (Posting);
}

message PostRequest {
  string account = 1;
  int64 amount_minor = 2;
}

message GetRequest {
  string id = 1;
}

message Posting {
  string id = 1;
  string account = 2;
}
"#;

#[test]
fn grpc_breaking_changes_in_git_histories() {
    histories(
        "grpc",
        PROTO,
        &[
            ("removed rpc", "  rpc Get(GetRequest) returns (Posting);\n", "", "rpc `Ledger/Get` was removed", "  rpc Get(GetRequest) returns (Posting);\n => \n  rpc Get(GetRequest) returns (Posting);\n  rpc List(GetRequest) returns (Posting);\n"),
            ("removed field", "  string account = 2;\n}", "}", "field `account` (= 2) of `Posting` was removed", "  string account = 2;\n} => \n  string account = 2;\n  string note = 3;\n}"),
            ("field number reused", "  int64 amount_minor = 2;", "  int64 amount_cents = 2;", "field number 2 of `PostRequest` was reused", "  int64 amount_minor = 2; => \n  int64 amount_minor = 2;\n  string memo = 3;"),
            ("field type changed", "  int64 amount_minor = 2;", "  string amount_minor = 2;", "changed type from int64 to string", "  string id = 1;\n}\n\nmessage Posting => \n  string id = 1;\n  bool verbose = 2;\n}\n\nmessage Posting"),
        ],
    );
}

/// The issue's "done when": removing an endpoint another team consumes
/// fails the check naming that team; the same on an API nobody consumes,
/// or an experimental one, is a warning.
#[test]
fn a_removed_endpoint_fails_naming_its_consumers_and_warns_without_any() {
    let repo = Repo::new(TestCatalog::fixture("contracts"));
    repo.commit();
    let spec = "apis/openapi/payments.yaml";
    let text = std::fs::read_to_string(repo.catalog.path().join(spec)).unwrap();
    let start = text.find("    delete:\n").unwrap();
    let end = text.find("  /payments/{id}/refunds:").unwrap();
    let removed = format!("{}{}", &text[..start], &text[end..]);
    repo.write(spec, &removed);
    let human = repo.catalog.cairn(&["--base", "HEAD", "check"]);
    assert_eq!(human.status, 1, "{}", human.stdout);
    insta::assert_snapshot!(human.stdout);

    // Nobody consumes it any more: a warning.
    let services = std::fs::read_to_string(repo.catalog.path().join("services/services.yaml")).unwrap();
    repo.write(
        "services/services.yaml",
        &services.replace("consumesApis: [payments-api, ", "consumesApis: ["),
    );
    let run = repo.check();
    assert_eq!(run.status, 0, "{}", run.stdout);
    let found = breaking(&run);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, "warning");
    assert!(
        found[0].1.contains("no entity in the catalog consumes it"),
        "{found:#?}"
    );

    // A build against the same base: the API's JSON file and its page carry
    // the changes; an API that did not change has none.
    let out = tempfile::tempdir().unwrap();
    let build = repo
        .catalog
        .cairn(&["--base", "HEAD", "build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let file = |name: &str| -> serde_json::Value {
        let path = out.path().join(format!("api/v1/apis/default/{name}.json"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    assert_eq!(
        file("payments-api")["changes"],
        serde_json::json!({
            "breaking": 1,
            "changes": [{
                "breaking": true,
                "pointer": "/paths/~1payments~1{id}/delete",
                "reason": "operation `DELETE /payments/{id}` was removed",
            }],
        })
    );
    assert_eq!(file("payments-api")["consumers"], serde_json::json!([]));
    assert_eq!(
        file("petstore-api")["changes"],
        serde_json::json!({ "breaking": 0, "changes": [] })
    );
    let page = std::fs::read_to_string(out.path().join("api/default/payments-api/index.html")).unwrap();
    let changes = &page[page
        .find("Changes against the base revision")
        .expect("the page lists the changes")..];
    let change = &changes[..changes.find("</li>").unwrap()];
    assert!(
        change.contains(">breaking<") && change.contains("was removed") && change.contains("DELETE"),
        "{change}"
    );

    // A change in a file the `$openapi` bundle pulls in is seen too: a new
    // required request property of `Money` (through `$ref: ./schemas/money.yaml`).
    repo.write("services/services.yaml", &services);
    repo.write(spec, &text);
    let money = "apis/openapi/schemas/money.yaml";
    let schema = std::fs::read_to_string(repo.catalog.path().join(money)).unwrap();
    repo.write(
        money,
        &schema.replace(
            "required: [amount_minor, currency]",
            "required: [amount_minor, currency, scale]\n",
        ),
    );
    let run = repo.check();
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        breaking(&run)
            .iter()
            .any(|(_, m)| m.contains("new required property `scale`")),
        "{:#?}",
        breaking(&run)
    );

    // An experimental API warns only, consumers or not.
    repo.write(money, &schema);
    let graph = "apis/graphql/catalog.graphql";
    let sdl = std::fs::read_to_string(repo.catalog.path().join(graph)).unwrap();
    repo.write(graph, &sdl.replace("  endCursor: String\n", ""));
    let run = repo.check();
    assert_eq!(run.status, 0, "{}", run.stdout);
    let found = breaking(&run);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, "warning");
    assert!(found[0].1.contains("`component:default/storefront`"), "{found:#?}");

    // `cairn diff` lists the changes per API, with the consumers.
    repo.write(spec, &removed);
    let diff = repo.catalog.cairn(&["--format", "markdown", "diff", "HEAD"]);
    assert_eq!(diff.status, 0, "{}", diff.stderr);
    insta::assert_snapshot!(diff.stdout);
}

#[test]
fn an_unreadable_definition_is_a_warning_at_its_line() {
    let catalog = TestCatalog::fixture("contracts");
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn reference_pages_render_in_chromium_and_run_no_script_from_spec_text() {
    let browser = browser_dir();
    let catalog = TestCatalog::fixture("contracts");
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("portal");
    let build = catalog.cairn(&["build", "--base-url", "/portal/", "--out", out.to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);

    let contract: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("api/v1/apis/default/payments-api.json")).unwrap()).unwrap();
    assert_eq!(contract["dialect"], "OpenAPI 3.1.0");
    assert_eq!(contract["operation_count"], 5);
    assert_eq!(contract["consumers"][0]["ref"], "component:default/storefront");
    assert_eq!(contract["providers"][0]["ref"], "component:default/payments-service");
    assert_eq!(contract["changes"], serde_json::Value::Null, "no base: no changes");
    assert_eq!(
        contract["operations"][2]["url"],
        "api/default/payments-api/index.html#op-get-payments-id"
    );
    let broken: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("api/v1/apis/default/broken-graph.json")).unwrap()).unwrap();
    assert_eq!(
        (broken["valid"].clone(), broken["error"]["line"].clone()),
        (false.into(), 6.into())
    );

    let found = run(Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["--root"])
        .arg(catalog.path())
        .args(["--format", "json", "search", "GET /payments/{id}"]));
    assert_eq!(found.json()[0]["ref"], "api:default/payments-api", "{}", found.stdout);

    let pages = [
        "api/default/payments-api/index.html",
        "api/default/petstore-api/index.html",
        "api/default/order-events/index.html",
        "api/default/catalog-graph/index.html",
        "api/default/ledger-api/index.html",
        "api/default/broken-graph/index.html",
    ];
    let (_server, port) = serve(site.path());
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/contracts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let node = run(Command::new("node")
        .arg(browser.join("contracts.js"))
        .arg(format!("http://127.0.0.1:{port}/portal/"))
        .arg(&artifacts)
        .args(pages));
    assert_eq!(node.status, 0, "{}", node.stderr);
    let report: serde_json::Value = serde_json::from_str(&node.stdout).unwrap();
    for key in ["failed", "external", "outside", "dialogs", "errors", "pwned"] {
        assert!(report[key].as_array().unwrap().is_empty(), "{key}: {:#?}", report[key]);
    }
    let page = |p: &str| report["pages"][p].clone();
    let texts = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for p in pages {
        let found = page(p);
        assert_eq!(
            found["dangling"],
            serde_json::json!([]),
            "{p}: in-page links to nothing"
        );
        assert_eq!(
            (
                found["scripts_in_main"].clone(),
                found["handlers"].clone(),
                found["javascript_links"].clone()
            ),
            (0.into(), 0.into(), 0.into()),
            "{p}"
        );
    }
    assert_eq!(
        texts(&page(pages[0])["operations"]),
        [
            "GET /payments",
            "POST /payments",
            "GET /payments/{id}",
            "DELETE /payments/{id}",
            "POST /payments/{id}/refunds"
        ]
    );
    assert!(
        page(pages[0])["nested_tables"].as_u64().unwrap() >= 1,
        "inline objects nest"
    );
    assert!(texts(&page(pages[0])["types"]).contains(&"Payment".to_string()));
    assert_eq!(
        texts(&page(pages[1])["operations"]),
        [
            "POST /pet",
            "GET /pet/findByStatus",
            "GET /pet/{petId}",
            "POST /pet/{petId}",
            "POST /store/order"
        ]
    );
    assert_eq!(
        texts(&page(pages[2])["operations"]),
        ["SEND orders.paid", "RECEIVE orders.shipped"]
    );
    assert_eq!(
        texts(&page(pages[3])["operations"]),
        ["QUERY product", "QUERY products", "MUTATION setPrice"]
    );
    assert!(texts(&page(pages[3])["types"]).contains(&"ProductStatus".to_string()));
    assert_eq!(
        texts(&page(pages[4])["operations"]),
        ["RPC LedgerService/Post", "RPC LedgerService/Entries"]
    );
    assert!(texts(&page(pages[4])["types"]).contains(&"Entry.Side".to_string()));
    let broken = page(pages[5]);
    let line = broken["error_line"].as_str().unwrap();
    assert!(line.starts_with('6') && line.ends_with("field(: String"), "{line}");
    assert!(broken["notice"].as_str().unwrap().contains("line 6"), "{broken}");
    let results = texts(&report["search_results"]);
    assert!(results[0].starts_with("Payments API"), "{results:?}");
}

#[test]
fn backstage_s_catalog_client_reads_the_static_catalog_api() {
    let browser = browser_dir();
    assert!(
        browser.join("node_modules/@backstage/catalog-client").is_dir(),
        "@backstage/catalog-client is not installed: run scripts/test.sh (npm ci in tests/browser)"
    );
    let catalog = TestCatalog::fixture("contracts");
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("portal");
    let build = catalog.cairn(&["build", "--out", out.to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let again = tempfile::tempdir().unwrap();
    let build = catalog.cairn(&["build", "--full", "--out", again.path().to_str().unwrap()]);
    assert_eq!(build.status, 0);
    let file = "api/catalog/entities/by-name/component/default/storefront";
    assert_eq!(
        std::fs::read(out.join(file)).unwrap(),
        std::fs::read(again.path().join(file)).unwrap(),
        "uid and etag are the same in every build"
    );

    let (_server, port) = serve(site.path());
    let node = run(Command::new("node")
        .current_dir(&browser)
        .arg(browser.join("catalog_client.js"))
        .arg(format!("http://127.0.0.1:{port}/portal/api/catalog")));
    assert_eq!(node.status, 0, "{}", node.stderr);
    let got: serde_json::Value = serde_json::from_str(&node.stdout).unwrap();
    let storefront = &got["storefront"];
    assert_eq!(storefront["kind"], "Component");
    assert_eq!(storefront["metadata"]["name"], "storefront");
    assert_eq!(storefront["metadata"]["namespace"], "default");
    assert_eq!(storefront["metadata"]["uid"].as_str().unwrap().len(), 36);
    assert_eq!(storefront["metadata"]["etag"].as_str().unwrap().len(), 40);
    let relations = storefront["relations"].as_array().unwrap();
    assert!(relations.contains(&serde_json::json!({
        "type": "consumesApi",
        "targetRef": "api:default/payments-api",
        "target": { "kind": "api", "namespace": "default", "name": "payments-api" },
    })));
    assert!(relations
        .iter()
        .any(|r| r["type"] == "ownedBy" && r["targetRef"] == "group:default/storefront-team"));
    assert_eq!(got["api"]["spec"]["type"], "openapi");
    assert_eq!(got["missing"], true);
    let total = got["query"]["totalItems"].as_u64().unwrap();
    assert_eq!(got["query"]["items"].as_array().unwrap().len() as u64, total);
    assert!(total >= 12, "{total}");
}

/// `entities/by-query` is the first page of every entity; the rest follow
/// `pagination.next`, paginated like `api/v1/`, and together they hold
/// each entity once, as its `by-name` file has it.
#[test]
fn the_static_entity_list_is_paginated_like_the_rest_of_the_api() {
    let catalog = TestCatalog::empty();
    let mut yaml = String::from(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: big-team }\nspec: { type: team, children: [] }\n",
    );
    for i in 0..1_001 {
        yaml.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: service-{i:04} }}\nspec: {{ type: service, lifecycle: production, owner: big-team }}\n"
        ));
    }
    catalog.write("catalog.yaml", &yaml);
    let out = tempfile::tempdir().unwrap();
    let build = catalog.cairn(&["build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);

    let read = |path: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
    };
    let first = read("api/catalog/entities/by-query");
    assert_eq!(first["totalItems"], 1_002);
    assert_eq!(first["items"].as_array().unwrap().len(), 1_000);
    assert_eq!(
        first["pagination"],
        serde_json::json!({ "has_more": true, "next": "api/catalog/pages/entities/2.json", "total_count": 1_002 })
    );
    let second = read(first["pagination"]["next"].as_str().unwrap());
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        second["pagination"],
        serde_json::json!({ "has_more": false, "next": null, "total_count": 1_002 })
    );
    assert!(!out.path().join("api/catalog/pages/entities/3.json").exists());

    let mut refs = std::collections::BTreeSet::new();
    for item in first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
    {
        let (kind, namespace, name) = (
            item["kind"].as_str().unwrap().to_ascii_lowercase(),
            item["metadata"]["namespace"].as_str().unwrap(),
            item["metadata"]["name"].as_str().unwrap(),
        );
        assert!(
            refs.insert(format!("{kind}:{namespace}/{name}")),
            "{kind}:{namespace}/{name} twice"
        );
        assert_eq!(
            item,
            &read(&format!("api/catalog/entities/by-name/{kind}/{namespace}/{name}")),
            "the list and the by-name file agree"
        );
    }
    assert_eq!(refs.len(), 1_002);
    assert!(refs.contains("group:default/big-team") && refs.contains("component:default/service-1000"));
}
