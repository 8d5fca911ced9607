//! `cairn init` scaffolds the demo catalog, which checks clean.

use crate::harness::{cairn_in, TestCatalog};

#[test]
fn init_creates_a_catalog_that_checks_clean() {
    let dir = TestCatalog::empty();
    let target = dir.path().join("acme");
    let run = cairn_in(dir.path(), &["init", "acme"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(target.join("cairn.yaml").is_file());
    assert!(target.join(".gitignore").is_file());
    let check = cairn_in(dir.path(), &["--root", "acme", "--format", "json", "check"]);
    assert_eq!(check.status, 0, "{}", check.stdout);
    assert_eq!(check.codes(), Vec::<String>::new());
    let summary = &check.json()["summary"];
    assert!(summary["entities"].as_u64().unwrap() >= 60, "{summary}");
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = TestCatalog::empty();
    assert_eq!(cairn_in(dir.path(), &["init", "."]).status, 0);
    let again = cairn_in(dir.path(), &["init", "."]);
    assert_eq!(again.status, 2);
    assert!(again.stderr.contains("refusing to overwrite"), "{}", again.stderr);
}

#[test]
fn the_template_is_realistic() {
    let dir = TestCatalog::empty();
    assert_eq!(cairn_in(dir.path(), &["init", "."]).status, 0);
    let count = |sub: &str| std::fs::read_dir(dir.path().join(sub)).map(|d| d.count()).unwrap_or(0);
    assert!(count("catalog/services") >= 20);
    assert!(count("catalog/teams") >= 5);
    assert!(count("catalog/systems") >= 3);
    let definitions: Vec<_> = std::fs::read_dir(dir.path().join("resource-definitions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(definitions.len() >= 3);
    for definition in definitions {
        assert!(
            std::fs::read_dir(&definition).unwrap().count() >= 2,
            "{} has several versions",
            definition.display()
        );
    }
}

#[test]
fn the_seed_resource_definition_checks_clean_as_is() {
    // tests/fixtures/seed-resource-definition holds the Nestor seed's
    // `aws-rds-mysql` example exactly as the design document shows it. It
    // passes (exit 0, no errors); its only remark is SEMVER.md's lint on the
    // `~> 5.0` module range, a warning.
    let catalog = TestCatalog::fixture("seed-resource-definition");
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.codes(), ["engine-module-not-pinned"]);
    assert_eq!(run.json()["summary"]["errors"], 0);
    assert_eq!(run.json()["summary"]["entities"], 1);
    catalog.write("cairn.yaml", "policies: { engine-module-not-pinned: off }\n");
    assert_eq!(
        catalog.cairn(&["--format", "json", "check"]).codes(),
        Vec::<String>::new()
    );
}
