use super::*;
use crate::config::Config;
use crate::model::{lower_document, version_text};
use crate::parse::parse_yaml;

fn definition(version: &str, extra: &str, min: u32) -> String {
    format!(
            "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: {{ name: db, version: '{version}'{extra} }}\nspec:\n  required_inputs:\n    - {{ name: size, type: integer, validation: {{ min: {min} }} }}\n  optional_inputs:\n    - {{ name: tier, type: string, default: gp3, validation: {{ enum: [gp2, gp3] }} }}\n"
        )
}

/// The catalog of versions 1.0.0, 1.1.0, 1.2.0 (yanked), 2.0.0 (min
/// raised) and 3.0.0-rc.1, and the claim `claim`.
fn catalog(claim: &str) -> (Catalog, ResourceClaim) {
    let texts = [
        definition("1.0.0", "", 1),
        definition("1.1.0", "", 1),
        definition("1.2.0", ", yanked: true", 1),
        definition("2.0.0", "", 10),
        definition("3.0.0-rc.1", "", 10),
        format!("apiVersion: catalog.nestor.io/v1\nkind: ResourceClaim\nmetadata: {{ name: c }}\nspec: {claim}\n"),
    ];
    let mut diagnostics = Vec::new();
    let entities = texts
        .iter()
        .enumerate()
        .flat_map(|(i, text)| {
            let file = format!("{i}.yaml");
            parse_yaml(&file, text)
                .documents
                .into_iter()
                .filter_map(|d| lower_document(&file, d, &mut diagnostics))
                .collect::<Vec<_>>()
        })
        .map(std::sync::Arc::new)
        .collect();
    let (catalog, _) = crate::resolve::resolve(entities, &Default::default(), &Config::default());
    let claim = catalog.entities[claims(&catalog).start].resource_claim.clone().unwrap();
    (catalog, *claim)
}

fn resolved(version: &str) -> Result<String, Unresolved> {
    let (catalog, claim) = catalog(&format!("{{ resource: DB, version: '{version}', owner: x }}"));
    resolve(&catalog, &claim).map(|r| version_text(&catalog.entities[r.version]).to_string())
}

#[test]
fn requirements_resolve_to_the_highest_match_that_is_not_yanked() {
    assert_eq!(resolved("^1").unwrap(), "1.1.0", "1.2.0 is yanked");
    assert_eq!(resolved("~1.0").unwrap(), "1.0.0");
    assert_eq!(resolved("*").unwrap(), "2.0.0", "no pre-release without asking");
    assert_eq!(resolved(">=3.0.0-rc.1").unwrap(), "3.0.0-rc.1");
    assert_eq!(
        resolved("1.2.0").unwrap(),
        "1.2.0",
        "an exact pin resolves, yanked or not"
    );
    assert!(matches!(resolved("^4"), Err(Unresolved::NoMatch { .. })));
    assert!(matches!(resolved("1.3.0"), Err(Unresolved::NoMatch { .. })));
    assert!(matches!(resolved("1.2"), Err(Unresolved::BadVersion(_))));
    assert!(matches!(resolved("latest"), Err(Unresolved::BadVersion(_))));
}

#[test]
fn the_newest_compatible_version_skips_yanked_ones() {
    let (catalog, _) = catalog("{}");
    let newest = newest_compatible(&catalog, "db", &Version::new(1, 2, 0)).unwrap();
    assert_eq!(version_text(&catalog.entities[newest]), "1.1.0");
    assert_eq!(caret(&Version::new(2, 1, 0)), "^2");
    assert_eq!(caret(&Version::new(0, 3, 1)), "^0.3");
}

#[test]
fn defaults_fill_what_the_claim_leaves_out() {
    let (catalog, claim) = catalog("{ resource: db, version: '^2', owner: x, inputs: { size: 20 } }");
    let resolution = resolve(&catalog, &claim).unwrap();
    let definition = catalog.entities[resolution.version]
        .resource_definition
        .as_ref()
        .unwrap();
    assert_eq!(
        inputs_with_defaults(definition, &claim),
        BTreeMap::from([("size".into(), Json::from(20)), ("tier".into(), Json::from("gp3"))])
    );
}

#[test]
fn a_blocker_names_the_input_and_the_finding_behind_it() {
    let (catalog, claim) = catalog("{ resource: db, version: '^1', owner: x, inputs: { size: 5, sise: 1 } }");
    let from = resolve(&catalog, &claim).unwrap().version;
    let to = catalog.resources["db"][1];
    assert_eq!(version_text(&catalog.entities[to]), "2.0.0");
    let found = blockers(&catalog, &claim, from, to);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].problem.reason(), "must be at least 10");
    let finding = found[0].finding.as_ref().unwrap();
    assert_eq!(finding_text(finding), "input-min-raised (major): 1 → 10");
    assert_eq!(
        found[1].problem,
        Problem::Unknown {
            input: "sise".into(),
            suggestion: Some("size".into())
        }
    );
    assert_eq!(found[1].finding, None, "already wrong in 1.x: no change made it so");
}
