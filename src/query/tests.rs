use super::*;
use crate::config::Config;
use crate::emit::api::api_files;
use crate::emit::{BuildInfo, Collect, Selection};
use crate::resolve::catalog_from;

const CATALOG: &str = "
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: payments, annotations: { slack.com/channel: '#pay', pagerduty.com/service-id: PX } }
spec: { type: team, children: [], profile: { displayName: Payments } }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout
  annotations: { datadoghq.com/service-name: checkout-dd, pagerduty.com/integration-key: k3y, cairn.dev/tier: tier1 }
  links: [{ url: 'https://runbook', title: Runbook, type: runbook }]
spec: { type: service, lifecycle: production, owner: payments, dependsOn: [component:cart] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: cart }
spec: { type: service, lifecycle: production, owner: payments, dependsOn: [resource:db] }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: db }
spec: { type: database, owner: payments }
---
apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata: { name: aws-db, version: '1.0.0' }
spec:
  required_inputs:
    - { name: storage_gb, type: integer, validation: { min: 20, max: 100 } }
  optional_inputs:
    - { name: engine, type: string, default: '16', validation: { enum: ['15', '16'] } }
  outputs:
    - { name: endpoint, type: string }
---
apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata: { name: aws-db, version: '1.1.0', yanked: true }
spec:
  required_inputs:
    - { name: storage_gb, type: integer }
";

fn api() -> Api {
    let (catalog, diagnostics) = catalog_from("catalog.yaml", CATALOG, &Config::default());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let info = BuildInfo {
        cairn_version: "test",
        errors: 0,
        warnings: 0,
        sources: Vec::new(),
        health: serde_json::json!({ "git_sources": [], "snapshots": [] }),
    };
    let files = Collect::default();
    api_files(&catalog, &Config::default(), &info, &Selection::all(&catalog), &files);
    Api::new(files.into_files())
}

#[test]
fn who_owns_an_alias_a_ref_or_an_integration_key() {
    let api = api();
    let by_alias = who_owns(&api, "Checkout-DD").unwrap();
    assert_eq!(by_alias["match"], "alias");
    let service = &by_alias["services"][0];
    assert_eq!(service["ref"], "component:default/checkout");
    assert_eq!(service["owner"]["ref"], "group:default/payments");
    assert_eq!(service["owner"]["confidence"], 1.0);
    assert_eq!(service["slack"], "#pay");
    assert_eq!(service["runbooks"][0]["url"], "https://runbook");
    let by_key = who_owns(&api, "k3y").unwrap();
    assert_eq!(by_key["services"][0]["ref"], "component:default/checkout");
    let by_ref = who_owns(&api, "component:default/checkout").unwrap();
    assert_eq!(by_ref["match"], "ref");
    assert_eq!(by_ref["services"][0]["on_call"], by_alias["services"][0]["on_call"]);
    assert!(!by_ref.to_string().contains("k3y"), "the integration key is hashed");
    let resource = who_owns(&api, "resource:db").unwrap();
    assert_eq!(resource["entity"]["owner"]["ref"], "group:default/payments");
    assert!(who_owns(&api, "chekout")
        .unwrap_err()
        .0
        .contains("did you mean `checkout`"));
    assert!(who_owns(&api, "arn:aws:lambda:x:1:function:nope").is_err());
}

#[test]
fn dependencies_both_ways_with_depth() {
    let api = api();
    let all = dependencies(&api, "checkout", Direction::Both, None).unwrap();
    let refs = |rows: &Json| -> Vec<(String, u64)> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["ref"].as_str().unwrap().to_string(), r["depth"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(
        refs(&all["upstream"]),
        [("component:default/cart".into(), 1), ("resource:default/db".into(), 2)]
    );
    assert_eq!(refs(&all["downstream"]), []);
    let near = dependencies(&api, "checkout", Direction::Up, Some(1)).unwrap();
    assert_eq!(refs(&near["upstream"]), [("component:default/cart".into(), 1)]);
    assert!(near.get("downstream").is_none());
    let down = dependencies(&api, "resource:db", Direction::Down, None).unwrap();
    assert_eq!(
        refs(&down["downstream"]),
        [
            ("component:default/cart".into(), 1),
            ("component:default/checkout".into(), 2)
        ]
    );
}

#[test]
fn definitions_and_claims() {
    let api = api();
    let latest = resource_definition(&api, "AWS-DB", None).unwrap();
    assert_eq!(latest["version"], "1.0.0", "yanked versions are never latest");
    assert_eq!(latest["inputs"][0]["name"], "storage_gb");
    assert_eq!(latest["outputs"][0]["name"], "endpoint");
    assert_eq!(
        resource_definition(&api, "aws-db", Some("1.1.0")).unwrap()["change"],
        "major"
    );
    assert!(resource_definition(&api, "aws-dbb", None)
        .unwrap_err()
        .0
        .contains("did you mean `aws-db`"));

    let good = json!({ "apiVersion": "catalog.nestor.io/v1", "kind": "ResourceClaim", "metadata": { "name": "orders-db" },
        "spec": { "resource": "aws-db", "version": "^1.0", "inputs": { "storage_gb": 50 } } });
    let checked = claims::validate_claim(&api, &good).unwrap();
    assert_eq!(checked["valid"], true, "{checked}");
    assert_eq!(checked["version"], "1.0.0", "a requirement skips yanked versions");
    assert_eq!(checked["inputs"]["engine"], "16", "defaults fill what was not given");

    let bad = json!({ "resource": "aws-db", "version": "1.0.0", "name": "Orders DB",
        "inputs": { "storage_gb": 5, "engine": "14", "storage": 1 } });
    let checked = claims::validate_claim(&api, &bad).unwrap();
    assert_eq!(checked["valid"], false);
    let problems: Vec<(&str, &str)> = checked["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["field"].as_str().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert_eq!(problems[0].0, "metadata.name");
    assert!(problems[1].1.contains("below the minimum 20"), "{problems:?}");
    assert!(problems[2].1.contains("not one of the allowed values"), "{problems:?}");
    assert!(problems[3].1.contains("did you mean `storage_gb`"), "{problems:?}");
    let missing = claims::validate_claim(&api, &json!({ "resource": "aws-db", "inputs": {} })).unwrap();
    assert_eq!(missing["problems"][0]["message"], "`storage_gb` is required");
    assert!(claims::validate_claim(&api, &json!({ "resource": "aws-db", "version": "9.0.0" })).is_err());
}

#[test]
fn search_ranks_like_the_portal() {
    let api = api();
    let hits = search(&api, "chekout", &Filters::default(), 5);
    assert_eq!(hits[0]["ref"], "component:default/checkout");
    assert_eq!(hits[0]["owner"], "payments");
    let definitions = search(
        &api,
        "aws",
        &Filters {
            kind: Some("resourcedefinition".into()),
            ..Filters::default()
        },
        5,
    );
    assert_eq!(definitions[0]["ref"], "resourcedefinition:default/aws-db");
}
