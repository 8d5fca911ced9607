use super::*;
use crate::config::Config;
use crate::emit::{Collect, Files};
use crate::resolve::catalog_from;

const CATALOG: &str = "
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: platform }
spec: { type: department, children: [payments] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: payments, annotations: { slack.com/channel: '#pay', pagerduty.com/service-id: PX } }
spec: { type: team, parent: platform, children: [], profile: { displayName: Payments } }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: ana }
spec: { memberOf: [payments] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: Checkout, annotations: { cairn.dev/tier: tier1 }, links: [{ url: 'https://r', title: Runbook, type: runbook }] }
spec: { type: service, lifecycle: production, owner: payments, dependsOn: [component:cart], providesApis: [checkout-api] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: cart }
spec: { type: service, lifecycle: production, owner: payments, dependsOn: [component:pricing] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: pricing }
spec: { type: service, lifecycle: production, owner: user:ana, dependsOn: [resource:db] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: Edge-Proxy, namespace: ops }
spec: { type: website, lifecycle: experimental, owner: group:default/platform, dependsOn: [component:default/checkout] }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: db }
spec: { type: database, owner: payments }
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: { name: checkout-api }
spec: { type: openapi, lifecycle: production, owner: payments, definition: 'openapi: 3.0.0' }
---
apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata: { name: aws-db, version: '1.0.0' }
spec: {}
---
apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata: { name: aws-db, version: '1.1.0' }
spec: {}
---
apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata: { name: aws-db, version: '2.0.0-rc.1' }
spec: {}
---
apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata: { name: aws-db, version: '1.2.0', yanked: true }
spec: {}
---
apiVersion: catalog.nestor.io/v1
kind: ResourceClaim
metadata: { name: ledger-db }
spec: { resource: aws-db, version: '^1', owner: payments }
";

fn catalog() -> Catalog {
    let (catalog, diagnostics) = catalog_from("catalog.yaml", CATALOG, &Config::default());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    catalog
}

fn info() -> BuildInfo {
    BuildInfo {
        cairn_version: "test",
        errors: 1,
        warnings: 2,
        sources: vec![crate::emit::SourceCommit {
            repository: "https://example.com/resources.git".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
        }],
        health: json!({ "git_sources": [], "snapshots": [] }),
    }
}

fn files() -> Files {
    api_of(&catalog())
}

fn api_of(catalog: &Catalog) -> Files {
    let files = Collect::default();
    api_files(catalog, &Config::default(), &info(), &Selection::all(catalog), &files);
    files.into_files()
}

fn read(files: &Files, path: &str) -> Json {
    serde_json::from_slice(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} not written; have {:?}", files.keys().collect::<Vec<_>>())),
    )
    .unwrap()
}

#[test]
fn services_have_owner_tier_and_dependencies() {
    let files = files();
    let list = read(&files, "api/v1/services.json");
    assert_eq!(
        list["pagination"],
        json!({ "has_more": false, "next": null, "total_count": 4 })
    );
    let detail = read(&files, "api/v1/services/default/checkout.json");
    assert_eq!(detail["owner"]["ref"], "group:default/payments");
    assert_eq!(detail["tier"], "tier1");
    assert_eq!(detail["dependencies"]["upstream"][0]["ref"], "component:default/cart");
    assert_eq!(detail["apis"]["provides"][0]["ref"], "api:default/checkout-api");
    assert_eq!(
        detail["dependencies"]["transitive"]["upstream"],
        json!({ "count": 3, "depth": 3 })
    );
    let deps = read(&files, "api/v1/services/default/checkout/dependencies.json");
    assert_eq!(deps["graph"], "api/v1/graph.json");
    let closure = &deps["upstream"]["transitive"];
    assert_eq!(
        (closure["count"].as_u64(), closure["depth"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(closure["complete"], true);
    let nearest: Vec<(String, u64)> = closure["nearest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["ref"].as_str().unwrap().to_string(), d["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        nearest,
        [
            ("component:default/cart".into(), 1),
            ("component:default/pricing".into(), 2),
            ("resource:default/db".into(), 3)
        ]
    );
    let downstream = read(&files, "api/v1/services/default/pricing/dependencies.json");
    let downstream: Vec<(&str, u64)> = downstream["downstream"]["transitive"]["nearest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["ref"].as_str().unwrap(), d["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        downstream,
        [
            ("component:default/cart", 1),
            ("component:default/checkout", 2),
            ("component:ops/edge-proxy", 3)
        ]
    );
    // The graph they are derived from: every Component and Resource, and
    // what each depends on by position.
    let graph = read(&files, "api/v1/graph.json");
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let at = |r: &str| nodes.iter().position(|n| *n == r).unwrap();
    let checkout = &graph["dependsOn"][at("component:default/checkout")];
    assert_eq!(checkout, &json!([at("component:default/cart")]));
}

#[test]
fn routing_names_who_to_page() {
    let routing = read(&files(), "api/v1/services/default/cart/routing.json");
    assert_eq!(routing["owner"]["display_name"], "Payments");
    assert_eq!(routing["slack"], "#pay");
    assert_eq!(
        routing["on_call"][0],
        json!({ "annotation": "pagerduty.com/service-id", "value": "PX", "inherited_from_owner": true })
    );
    assert_eq!(routing["escalation"][0]["ref"], "group:default/platform");
}

#[test]
fn teams_list_members_and_services() {
    let files = files();
    let team = read(&files, "api/v1/teams/default/payments.json");
    assert_eq!(team["members"][0]["ref"], "user:default/ana");
    assert_eq!(team["parent"]["ref"], "group:default/platform");
    assert_eq!(team["services"].as_array().unwrap().len(), 2);
    assert_eq!(
        read(&files, "api/v1/teams/default/payments/services.json")["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn resources_skip_yanked_and_prereleases_for_latest() {
    let files = files();
    assert_eq!(read(&files, "api/v1/resources.json")["data"][0]["latest"], "1.1.0");
    assert_eq!(
        read(&files, "api/v1/resources/aws-db.json")["metadata"]["version"],
        "1.1.0"
    );
    let versions: Vec<String> = read(&files, "api/v1/resources/aws-db/versions.json")["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(versions, ["2.0.0-rc.1", "1.2.0", "1.1.0", "1.0.0"]);
    let listed = read(&files, "api/v1/resources/aws-db/versions.json");
    assert_eq!(listed["data"][2]["baseline"], "1.0.0");
    assert_eq!(listed["data"][2]["change"], "none", "identical content");
    assert_eq!(
        listed["data"][3]["change"],
        Json::Null,
        "the first version has no baseline"
    );
    assert!(files.contains_key("api/v1/resources/aws-db/2.0.0-rc.1.json"));
}

#[test]
fn entities_carry_relations_both_ways() {
    let files = files();
    let group = read(&files, "api/v1/entities/group/default/payments.json");
    let relations: Vec<String> = group["relations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["type"].as_str().unwrap(), r["targetRef"].as_str().unwrap()))
        .collect();
    assert!(
        relations.contains(&"ownerOf component:default/checkout".to_string()),
        "{relations:?}"
    );
    assert!(
        relations.contains(&"childOf group:default/platform".to_string()),
        "{relations:?}"
    );
    assert!(
        relations.contains(&"hasMember user:default/ana".to_string()),
        "{relations:?}"
    );
    let mut sorted = relations.clone();
    sorted.sort();
    assert_eq!(relations, sorted, "relations are sorted by type, then target");
}

#[test]
fn output_is_deterministic() {
    assert_eq!(files(), files());
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let catalog = catalog();
    let with_threads = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| api_of(&catalog))
    };
    assert!(with_threads(1) == with_threads(4));
}

#[test]
fn paths_are_lowercase_and_names_keep_their_case() {
    let files = files();
    let detail = read(&files, "api/v1/services/ops/edge-proxy.json");
    assert_eq!(detail["name"], "Edge-Proxy");
    assert_eq!(detail["ref"], "component:ops/edge-proxy");
    assert_eq!(detail["owner"]["ref"], "group:default/platform");
    assert_eq!(detail["owner"]["confidence"], 1.0);
    assert_eq!(detail["owner"]["source"], "declared");
    let entity = read(&files, "api/v1/entities/component/ops/edge-proxy.json");
    assert_eq!(entity["metadata"]["name"], "Edge-Proxy");
    let row = read(&files, "api/v1/services.json")["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Edge-Proxy")
        .cloned()
        .unwrap();
    assert_eq!(row["url"], "api/v1/services/ops/edge-proxy.json");
    assert!(files.contains_key(row["url"].as_str().unwrap()));
    assert!(files.contains_key("api/v1/services/default/checkout.json"));
}

#[test]
fn status_counts_without_timestamps() {
    let status = read(&files(), "api/v1/status.json");
    assert_eq!(status["counts"]["component"], 4);
    assert_eq!(status["counts"]["group"], 2);
    assert_eq!(status["services"], 4);
    assert_eq!(status["teams"], 2);
    assert_eq!(status["resources"], 1);
    assert_eq!(status["resource_versions"], 4);
    assert_eq!(status["diagnostics"], json!({ "errors": 1, "warnings": 2 }));
    assert_eq!(status["sources"][0]["commit"].as_str().unwrap().len(), 40);
    assert_eq!(status["cairn_version"], "test");
}

#[test]
fn service_detail_lists_declared_sources_and_provenance() {
    let detail = read(&files(), "api/v1/services/default/checkout.json");
    assert_eq!(
        detail["sources"],
        json!({ "declared": ["owner", "tier", "on_call", "slack", "runbooks", "lifecycle"], "discovered": [] })
    );
    assert_eq!(detail["runbooks"][0]["url"], "https://r");
    assert_eq!(detail["confidence"], 1.0);
    assert_eq!(detail["provenance"]["file"], "catalog.yaml");
    assert!(detail["provenance"]["line"].as_u64().unwrap() > 1);
    assert_eq!(
        detail["dependencies"]["downstream"][0]["ref"],
        "component:ops/edge-proxy"
    );
}

#[test]
fn pagination_links_pages() {
    let rows: Vec<u32> = (0..5).collect();
    let pages = paginate("services", &rows, 2, |_| true, |i| json!(i));
    let paths: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "api/v1/services.json",
            "api/v1/pages/services/2.json",
            "api/v1/pages/services/3.json"
        ]
    );
    assert_eq!(pages[0].1["pagination"]["next"], "api/v1/pages/services/2.json");
    assert_eq!(
        pages[2].1["pagination"],
        json!({ "has_more": false, "next": null, "total_count": 5 })
    );
    assert_eq!(pages[2].1["data"], json!([4]));
    assert_eq!(
        paginate("teams", &[] as &[u32], 2, |_| true, |i| json!(i)).len(),
        1,
        "an empty list is one empty page"
    );
}

#[test]
fn openapi_describes_every_file_and_nothing_else() {
    let files = files();
    let templates: Vec<regex::Regex> = crate::emit::openapi::PATHS
        .iter()
        .map(|(path, ..)| {
            let pattern = regex::escape(path.trim_start_matches('/'))
                .replace(r"\{", "{")
                .replace(r"\}", "}");
            let pattern = regex::Regex::new(r"\{[a-z]+\}").unwrap().replace_all(&pattern, "[^/]+");
            regex::Regex::new(&format!("^{pattern}$")).unwrap()
        })
        .collect();
    for path in files.keys() {
        assert!(
            templates.iter().any(|t| t.is_match(path)),
            "{path} is not described by openapi.json"
        );
    }
    let document = read(&files, "api/v1/openapi.json");
    assert_eq!(document["openapi"], "3.1.0");
    for (path, ..) in crate::emit::openapi::PATHS
        .iter()
        // Pages and alias shards exist only for large catalogs.
        .filter(|(p, ..)| !p.contains("/pages/") && !p.contains("/lookup/aliases/"))
    {
        let pattern = &templates[crate::emit::openapi::PATHS
            .iter()
            .position(|(q, ..)| q == path)
            .unwrap()];
        assert!(files.keys().any(|f| pattern.is_match(f)), "{path} matches no file");
    }
}

#[test]
fn openapi_refs_resolve_and_use_the_site_config() {
    let mut config = Config::default();
    config.site.title = "Acme".into();
    config.site.base_url = "/portal/".into();
    let document = crate::emit::openapi::document(&config);
    let text = serde_json::to_string(&document).unwrap();
    let reparsed: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(reparsed["servers"], json!([{ "url": "/portal/" }]));
    assert!(reparsed["info"]["title"].as_str().unwrap().starts_with("Acme"));
    let schemas = reparsed["components"]["schemas"].as_object().unwrap();
    for name in [
        "ServiceSummary",
        "ServiceDetail",
        "Dependencies",
        "Routing",
        "Team",
        "ResourceVersion",
        "Entity",
        "Pagination",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    let mut refs = Vec::new();
    collect_refs(&reparsed, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        assert!(schemas.contains_key(name), "$ref {reference} has no schema");
    }
    for (path, item) in reparsed["paths"].as_object().unwrap() {
        let params: Vec<&str> = item["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let in_path: Vec<&str> = path
            .split('{')
            .skip(1)
            .map(|rest| rest.split('}').next().unwrap())
            .collect();
        assert_eq!(params, in_path, "{path}");
    }
}

fn collect_refs(value: &Json, refs: &mut Vec<String>) {
    match value {
        Json::Object(map) => {
            if let Some(Json::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Json::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}
