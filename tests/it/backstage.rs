//! Real Backstage catalogs compile unchanged: placeholders, `url`
//! Locations, org data from discovery, per-kind strictness, identical
//! duplicates, Scaffolder Templates and Backstage's own name rules — each
//! with the smallest real-looking input, and `tests/fixtures/
//! backstage-adoption/`, a catalog that uses all of them and checks clean.

use serde_json::Value as Json;

use crate::harness::{Run, TestCatalog, TEAM};

fn read_json(catalog: &TestCatalog, path: &str) -> Json {
    let bytes = std::fs::read(catalog.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

fn read_text(catalog: &TestCatalog, path: &str) -> String {
    std::fs::read_to_string(catalog.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn api(name: &str, definition: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {name}\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition:\n{definition}"
    )
}

fn diagnostics(run: &Run) -> Vec<(String, String, u64)> {
    run.diagnostics()
}

fn triple(code: &str, file: &str, line: u64) -> (String, String, u64) {
    (code.to_string(), file.to_string(), line)
}

#[test]
fn text_placeholders_are_read_into_the_api_json_and_page() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("apis/payments.yaml", api("payments-api", "    $text: ./openapi.yaml\n"))
        .write(
            "apis/openapi.yaml",
            "openapi: 3.0.0\ninfo: { title: Payments <b>, version: '1' }\n",
        );
    let run = catalog.cairn(&["--format", "json", "build"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let entity = read_json(&catalog, "dist/api/v1/entities/api/default/payments-api.json");
    assert_eq!(
        entity["spec"]["definition"],
        "openapi: 3.0.0\ninfo: { title: Payments <b>, version: '1' }\n"
    );
    let page = read_text(&catalog, "dist/api/default/payments-api/index.html");
    assert!(page.contains("openapi: 3.0.0"), "the definition is on the page");
    assert!(page.contains("Payments &lt;b&gt;"), "and escaped");
    assert!(!page.contains("$text"));
}

#[test]
fn placeholder_targets_that_are_missing_outside_or_urls_are_reported() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("apis/missing.yaml", api("missing", "    $text: ./nope.yaml\n"))
        .write("apis/outside.yaml", api("outside", "    $text: ../../etc/passwd\n"))
        .write(
            "apis/remote.yaml",
            api("remote", "    $text: https://example.com/openapi.yaml\n"),
        )
        .write("apis/not-string.yaml", api("not-string", "    $json: [a, b]\n"))
        .write("apis/spec.yaml", api("bundled", "    $openapi: ./broken.yaml\n"))
        .write("apis/broken.yaml", "paths:\n  /x:\n    $ref: ./gone.yaml\n");
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        diagnostics(&run),
        [
            triple("placeholder-target-missing", "apis/missing.yaml", 10),
            triple("placeholder-invalid", "apis/not-string.yaml", 10),
            triple("path-outside-root", "apis/outside.yaml", 10),
            triple("placeholder-url", "apis/remote.yaml", 10),
            triple("placeholder-invalid", "apis/spec.yaml", 10),
        ]
    );
    // The URL is linked, never fetched: with the others fixed, it builds.
    for file in [
        "apis/missing.yaml",
        "apis/outside.yaml",
        "apis/not-string.yaml",
        "apis/spec.yaml",
    ] {
        std::fs::remove_file(catalog.path().join(file)).unwrap();
    }
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let page = read_text(&catalog, "dist/api/default/remote/index.html");
    assert!(page.contains("not fetched by the build"), "{page}");
    let entity = read_json(&catalog, "dist/api/v1/entities/api/default/remote.json");
    assert_eq!(
        entity["spec"]["definition"]["$text"],
        "https://example.com/openapi.yaml"
    );
}

#[test]
fn placeholder_targets_too_large_or_not_utf8_are_reported_with_the_reason() {
    let catalog = TestCatalog::empty();
    let too_large = vec![b'a'; 10 * 1024 * 1024 + 1];
    catalog
        .write("teams.yaml", TEAM)
        .write("apis/huge.yaml", api("huge", "    $text: ./huge.txt\n"))
        .write("apis/huge.txt", &too_large)
        .write("apis/binary.yaml", api("binary", "    $text: ./binary.txt\n"))
        .write("apis/binary.txt", [b'o', b'k', 0xff, 0xfe]);
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        diagnostics(&run),
        [
            triple("placeholder-invalid", "apis/binary.yaml", 10),
            triple("placeholder-invalid", "apis/huge.yaml", 10),
        ]
    );
    assert!(
        run.stdout.contains("it is larger than 10485760 bytes"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("it is not UTF-8 (byte offset 2)"), "{}", run.stdout);
}

#[test]
fn json_and_yaml_placeholders_inline_data_and_point_into_their_file() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM).write(
        "svc.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  annotations:\n    $json: ./annotations.json\n  links:\n    $yaml: ./links.yaml\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n",
    );
    catalog
        .write(
            "annotations.json",
            "{\n  \"pagerduty.com/service-id\": \"P123\",\n  \"Bad Key\": \"x\"\n}\n",
        )
        .write(
            "links.yaml",
            "- url: https://runbooks.example.com/svc\n  title: Runbook\n  type: runbook\n",
        );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        diagnostics(&run),
        [triple("invalid-annotation", "annotations.json", 3)],
        "the bad key is reported in the file it is written in"
    );
    let human = catalog.cairn(&["check"]);
    assert!(
        human.stdout.contains("3 |   \"Bad Key\": \"x\""),
        "its line is quoted:\n{}",
        human.stdout
    );
    catalog.write("annotations.json", "{ \"pagerduty.com/service-id\": \"P123\" }\n");
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let service = read_json(&catalog, "dist/api/v1/services/default/svc.json");
    assert_eq!(service["on_call"][0]["value"], "P123", "{service}");
    assert_eq!(
        service["runbooks"][0]["url"], "https://runbooks.example.com/svc",
        "{service}"
    );
}

#[test]
fn openapi_placeholders_bundle_the_files_their_refs_name() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("apis/pets.yaml", api("pets", "    $openapi: ./openapi.yaml\n"))
        .write(
            "apis/openapi.yaml",
            "openapi: 3.0.0\npaths:\n  /pets:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: ./schemas/pet.yaml#/Pet\n",
        )
        .write("apis/schemas/pet.yaml", "Pet:\n  type: object\n  properties:\n    name: { type: string }\n");
    let run = catalog.cairn(&["build"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let entity = read_json(&catalog, "dist/api/v1/entities/api/default/pets.json");
    let definition: Json = serde_json::from_str(entity["spec"]["definition"].as_str().unwrap()).unwrap();
    assert_eq!(
        definition["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
            ["name"]["type"],
        "string"
    );
}

#[test]
fn url_locations_resolve_relative_targets_and_urls_into_the_catalog_repository() {
    let catalog = TestCatalog::empty();
    catalog
        .write("cairn.yaml", "site:\n  edit_url: https://github.com/acme/catalog/edit/main/\n")
        .write(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  type: url\n  targets:\n    - ./org.yaml\n    - https://github.com/acme/catalog/blob/main/services/svc.yaml\n    - https://github.com/other/repo/blob/main/x.yaml\n    - ./later.yaml\n",
        )
        .write("org.yaml", TEAM)
        .write(
            "services/svc.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n",
        );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        diagnostics(&run),
        [
            triple("location-target-unsupported", "catalog-info.yaml", 10),
            triple("location-target-missing", "catalog-info.yaml", 11),
        ]
    );
    // A missing target can be optional, or lowered for one type of target.
    let optional =
        read_text(&catalog, "catalog-info.yaml").replace("  type: url\n", "  type: url\n  presence: optional\n");
    catalog.write("catalog-info.yaml", optional);
    assert_eq!(
        catalog.cairn(&["--format", "json", "check"]).codes(),
        ["location-target-unsupported"]
    );
    let lowered = read_text(&catalog, "catalog-info.yaml").replace("  presence: optional\n", "");
    catalog.write("catalog-info.yaml", lowered).write(
        "cairn.yaml",
        "site:\n  edit_url: https://github.com/acme/catalog/edit/main/\npolicies:\n  location-target-missing: { url: warning, default: error }\n",
    );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.json()["diagnostics"][1]["severity"], "warning");
}

fn github_facts(teams: &str, users: &str) -> String {
    format!("{{\"format\": \"cairn.dev/facts/v1\", \"source\": \"github\", \"org\": \"acme\", \"teams\": {teams}, \"users\": {users}}}")
}

#[test]
fn teams_and_members_from_github_discovery_become_groups_and_users() {
    let catalog = TestCatalog::empty();
    catalog
        .write(
            "discovered/github.json",
            github_facts(
                r#"[{"slug": "team-x", "name": "Team X", "members": ["login1", "login2"], "parent": "eng"}, {"slug": "eng", "name": "Engineering"}]"#,
                r#"[{"login": "login1", "name": "Login One", "email": "one@acme.example"}]"#,
            ),
        )
        .write(
            "svc.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: team-x\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: guild\nspec:\n  type: guild\n  children: []\n  members: [login2]\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: Engineering-Org\n  annotations:\n    github.com/team-slug: acme/eng\nspec:\n  type: org\n  children: []\n",
        );
    let run = catalog.cairn(&["--format", "json", "build"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.codes(), Vec::<String>::new());
    let team = read_json(&catalog, "dist/api/v1/entities/group/default/team-x.json");
    assert_eq!(team["metadata"]["annotations"]["github.com/team-slug"], "acme/team-x");
    assert_eq!(team["metadata"]["annotations"]["cairn.dev/discovered"], "true");
    assert_eq!(
        team["spec"]["parent"], "Engineering-Org",
        "the declared group keeps its name"
    );
    let user = read_json(&catalog, "dist/api/v1/entities/user/default/login1.json");
    assert_eq!(user["spec"]["profile"]["displayName"], "Login One");
    assert_eq!(user["spec"]["profile"]["email"], "one@acme.example");
    assert_eq!(user["metadata"]["annotations"]["github.com/user-login"], "login1");
    assert!(
        !catalog
            .path()
            .join("dist/api/v1/entities/group/default/eng.json")
            .exists(),
        "declared wins"
    );
    let service = read_json(&catalog, "dist/api/v1/services/default/svc.json");
    assert_eq!(service["owner"]["ref"], "group:default/team-x");
    let page = read_text(&catalog, "dist/group/default/team-x/index.html");
    assert!(page.contains("Not declared in YAML"), "marked discovered on its page");
}

#[test]
fn unresolved_refs_can_be_lowered_per_kind_and_are_shown_as_not_in_the_catalog() {
    let catalog = TestCatalog::empty();
    catalog
        .write("cairn.yaml", "policies:\n  unresolved-ref: { user: warning, default: error }\n")
        .write(
            "org.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-x\nspec:\n  type: team\n  children: []\n  members: [login1, login2]\n",
        )
        .write(
            "svc.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: team-y\n",
        );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1, "a group ref stays an error");
    let severities: Vec<(String, String)> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        severities,
        [
            ("org.yaml".to_string(), "warning".to_string()),
            ("org.yaml".to_string(), "warning".to_string()),
            ("svc.yaml".to_string(), "error".to_string())
        ]
    );
    catalog.write("cairn.yaml", "policies:\n  unresolved-ref: warning\n");
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let team = read_json(&catalog, "dist/api/v1/entities/group/default/team-x.json");
    assert_eq!(
        team["relations"],
        serde_json::json!([
            { "type": "hasMember", "targetRef": "user:default/login1", "resolved": false },
            { "type": "hasMember", "targetRef": "user:default/login2", "resolved": false },
        ])
    );
    let service = read_json(&catalog, "dist/api/v1/services/default/svc.json");
    assert_eq!(service["owner"]["resolved"], false);
    assert_eq!(service["owner"]["name"], "team-y");
    let page = read_text(&catalog, "dist/component/default/svc/index.html");
    assert!(
        page.contains("team-y</span> <span class=\"muted\">(not in the catalog)"),
        "{page}"
    );
    // A target that is no kind is a config error with a suggestion.
    catalog.write("cairn.yaml", "policies:\n  unresolved-ref: { usr: warning }\n");
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.diagnostics()[0], triple("config-unknown-key", "cairn.yaml", 2));
}

#[test]
fn identical_duplicates_warn_and_differing_ones_stay_errors() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", format!("{TEAM}---\n{TEAM}"));
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 0);
    assert_eq!(
        run.diagnostics(),
        [triple("duplicate-entity-identical", "teams.yaml", 12)]
    );
    catalog.write(
        "teams.yaml",
        format!("{TEAM}---\n{}", TEAM.replace("type: team", "type: guild")),
    );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    assert_eq!(run.diagnostics(), [triple("duplicate-entity", "teams.yaml", 12)]);
}

const TEMPLATE: &str = "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: node-service\n  title: Node.js service\nspec:\n  owner: payments\n  type: service\n  parameters:\n    - title: Service\n      required: [name]\n      properties:\n        name: { type: string, title: Name, description: What to call it }\n        tier: { type: string, enum: [tier1, tier2], default: tier2 }\n  steps:\n    - id: fetch\n      name: Fetch the skeleton\n      action: fetch:template\n      input: { url: ./skeleton }\n    - id: publish\n      action: publish:github\n  output:\n    links:\n      - title: Repository\n        url: ${{ steps.publish.output.remoteUrl }}\n";

#[test]
fn templates_are_checked_listed_paged_and_searched() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM).write("templates/node.yaml", TEMPLATE);
    let run = catalog.cairn(&["--format", "json", "build"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["entities"], 2);
    let page = read_text(&catalog, "dist/template/default/node-service/index.html");
    for expected in [
        "<code>name</code>",
        "What to call it",
        "one of tier1, tier2",
        "<code>fetch:template</code>",
        "publish:github",
        "payments</a>",
    ] {
        assert!(page.contains(expected), "{expected} on the template page");
    }
    let list = read_text(&catalog, "dist/all/template/index.html");
    assert!(list.contains("node-service") || list.contains("Node.js service"));
    let entity = read_json(&catalog, "dist/api/v1/entities/template/default/node-service.json");
    assert_eq!(entity["relations"][0]["type"], "ownedBy");
    let search = catalog.cairn(&["--format", "json", "search", "node service"]);
    assert_eq!(
        search.json()[0]["ref"],
        "template:default/node-service",
        "{}",
        search.stdout
    );
}

#[test]
fn invalid_templates_get_diagnostics_at_the_line() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write(
            "no-steps.yaml",
            TEMPLATE.replace("node-service", "a").split("  steps:").next().unwrap(),
        )
        .write(
            "bad-form.yaml",
            TEMPLATE
                .replace("node-service", "b")
                .replace("type: string, title: Name", "type: strng, title: Name"),
        )
        .write(
            "old.yaml",
            TEMPLATE.replace("node-service", "c").replace("v1beta3", "v1beta2"),
        )
        .write(
            "no-action.yaml",
            TEMPLATE
                .replace("node-service", "d")
                .replace("      action: publish:github\n", "      name: Publish\n"),
        );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        diagnostics(&run),
        [
            triple("schema-violation", "bad-form.yaml", 13),
            triple("schema-violation", "no-action.yaml", 20),
            triple("schema-violation", "no-steps.yaml", 6),
            triple("unknown-api-version", "old.yaml", 1),
        ]
    );
}

#[test]
fn names_follow_backstage_exactly() {
    let catalog = TestCatalog::empty();
    catalog.write(
        "teams.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a--b..c\n  namespace: team--one\n  labels:\n    a--b.example.com/cost--center: cc..1\n    empty: ''\n  annotations:\n    a--b.c/x..y: anything at all\nspec:\n  type: team\n  children: []\n",
    );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stdout);
    catalog.write(
        "teams.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: -a\n  namespace: A_b\n  labels:\n    a/b/c: x\n    ok: -x\n  tags: [a--b]\nspec:\n  type: team\n  children: []\n",
    );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        run.codes(),
        [
            "invalid-name",
            "invalid-namespace",
            "invalid-label",
            "invalid-label",
            "invalid-tag"
        ]
    );
}

#[test]
fn messages_quote_names_as_written() {
    let catalog = TestCatalog::empty();
    catalog
        .write(
            "svc.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: TBD\n",
        )
        .write("api.yaml", "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: x\nspec:\n  type: openapi\n")
        .write("tick.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: `x\n");
    let run = catalog.cairn(&["check"]);
    assert!(run.stdout.contains("named `TBD` in namespace"), "{}", run.stdout);
    assert!(run.stdout.contains("the fields an API needs"), "{}", run.stdout);
    assert!(
        run.stdout.contains("invalid YAML: `` ` `` is reserved"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_catalog_using_every_backstage_feature_checks_clean() {
    let catalog = TestCatalog::fixture("backstage-adoption");
    let run = catalog.cairn(&["--format", "json", "build"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(json["summary"]["errors"], 0);
    // What stays a warning, by design: the Okta-only owner (lowered in
    // cairn.yaml) and the copy-pasted System.
    assert_eq!(run.codes(), ["unresolved-ref", "duplicate-entity-identical"]);
    // Every declared entity, plus the discovered payments team and its
    // three people (the platform team is declared under another name).
    assert_eq!(json["summary"]["entities"], 11);
    let payments = read_json(&catalog, "dist/api/v1/services/default/payments--gateway.json");
    assert_eq!(payments["owner"]["ref"], "group:default/payments");
    let ledger = read_json(&catalog, "dist/api/v1/entities/api/default/ledger-api.json");
    assert_eq!(
        ledger["spec"]["definition"],
        "type Query {\n  balance(account: ID!): Int\n}\n"
    );
    assert_eq!(ledger["metadata"]["links"][0]["type"], "runbook");
    let team = read_json(&catalog, "dist/api/v1/entities/group/default/payments.json");
    assert_eq!(team["spec"]["parent"], "platform");
    assert!(catalog
        .path()
        .join("dist/template/default/java-service/index.html")
        .is_file());
}
