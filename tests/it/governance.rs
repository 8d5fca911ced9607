//! Governance as code: custom rules and scorecards in CEL (the
//! `tests/fixtures/governance` catalog), the mass-removal guard of `check
//! --base`, source health and the change feed from git history.

use crate::harness::TestCatalog;

#[test]
fn custom_rules_report_where_the_entity_is_and_a_broken_expression_where_it_is_written() {
    let catalog = TestCatalog::fixture("governance");
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        catalog.cairn(&["--format", "json", "check"]).diagnostics(),
        [("rule-failed".to_string(), "catalog/services/query.yaml".to_string(), 4)]
    );
    let config = std::fs::read_to_string(catalog.path().join("cairn.yaml")).unwrap();
    catalog.write(
        "cairn.yaml",
        config
            .replace(
                "service.dependencies.all(d, d.lifecycle != \"experimental\")",
                "service.dependencies.all(d, d.lifecycle != \"experimental\"",
            )
            .replace(
                "require: has(metadata.description)",
                "require: has(metadata.descripton) && sevice.tier == \"tier1\"",
            ),
    );
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}
