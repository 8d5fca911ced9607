//! ResourceClaims: the diagnostics of every claim rule, each at its line.

use crate::harness::TestCatalog;

#[test]
fn every_claim_rule_is_a_diagnostic_at_its_line() {
    let catalog = TestCatalog::fixture("claims");
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}
