//! The command line itself: exit statuses, output formats, `check FILES`,
//! `explain`.

use crate::harness::{TestCatalog, SERVICE, TEAM};

#[test]
fn check_files_reports_only_on_those_files_but_resolves_everything() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM).write("good.yaml", SERVICE).write(
        "bad.yaml",
        SERVICE
            .replace("name: checkout", "name: cart")
            .replace("owner: payments", "owner: nobody"),
    );
    let only_good = catalog.cairn(&[
        "--format",
        "json",
        "check",
        catalog.path().join("good.yaml").to_str().unwrap(),
    ]);
    assert_eq!(
        only_good.status, 0,
        "good.yaml refers to a team defined in another file"
    );
    assert_eq!(only_good.json()["summary"]["files"], 1);
    let only_bad = catalog.cairn(&[
        "--format",
        "json",
        "check",
        catalog.path().join("bad.yaml").to_str().unwrap(),
    ]);
    assert_eq!(only_bad.status, 1);
    assert_eq!(only_bad.codes(), ["unresolved-ref"]);
}

#[test]
fn explain_prints_every_code() {
    let catalog = TestCatalog::empty();
    let run = catalog.cairn(&["explain", "unresolved-ref"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.starts_with("# unresolved-ref"));
    let unknown = catalog.cairn(&["explain", "unresolved-rfe"]);
    assert_eq!(unknown.status, 2);
    assert!(
        unknown.stderr.contains("did you mean `unresolved-ref`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn policies_change_severity() {
    let catalog = TestCatalog::empty();
    let tier1 = SERVICE.replace(
        "name: checkout\n",
        "name: checkout\n  annotations: { cairn.dev/tier: tier1, pagerduty.com/service-id: P1 }\n",
    );
    catalog.write("teams.yaml", TEAM).write("svc.yaml", &tier1);
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!((run.status, run.codes()), (1, vec!["tier1-needs-runbook".to_string()]));
    catalog.write("cairn.yaml", "policies: { tier1-needs-runbook: warning }\n");
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 0);
    assert_eq!(run.json()["diagnostics"][0]["severity"], "warning");
    catalog.write("cairn.yaml", "policies: { tier1-needs-runbook: off }\n");
    assert_eq!(
        catalog.cairn(&["--format", "json", "check"]).codes(),
        Vec::<String>::new()
    );
}

#[test]
fn location_targets_are_followed_and_not_duplicated() {
    let catalog = TestCatalog::empty();
    catalog
        .write("cairn.yaml", "sources: [ { path: catalog/ } ]\n")
        .write("catalog/all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: all }\nspec:\n  targets: [./teams.yaml, ../extra/svc.yaml, ./missing.yaml]\n")
        .write("catalog/teams.yaml", TEAM)
        .write("extra/svc.yaml", SERVICE);
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        run.diagnostics(),
        [("location-target-missing".to_string(), "catalog/all.yaml".to_string(), 5)]
    );
    assert_eq!(
        run.json()["summary"]["entities"],
        3,
        "teams.yaml is walked and targeted, but loaded once"
    );
}

#[test]
fn human_diagnostics_of_the_broken_fixture() {
    let catalog = TestCatalog::fixture("broken");
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn github_and_sarif_formats() {
    let catalog = TestCatalog::fixture("broken");
    let github = catalog.cairn(&["--format", "github", "check"]);
    assert_eq!(github.status, 1);
    assert!(
        github
            .stdout
            .lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")),
        "{}",
        github.stdout
    );
    assert!(github
        .stdout
        .contains("::error file=services/checkout.yaml,line=11,col=10,title=unresolved-ref::"));
    let sarif = catalog.cairn(&["--format", "sarif", "check"]);
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["runs"][0]["results"].as_array().unwrap().len(),
        catalog.cairn(&["--format", "json", "check"]).codes().len()
    );
}

#[test]
fn clean_catalog_prints_one_summary_line() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM).write("svc.yaml", SERVICE);
    let run = catalog.cairn(&["check"]);
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (0, "checked 2 files (2 entities): no problems\n")
    );
    assert_eq!(catalog.cairn(&["-q", "check"]).stdout, "");
}

#[test]
fn location_glob_targets_are_followed() {
    let catalog = TestCatalog::empty();
    catalog
        .write("cairn.yaml", "sources: [ { path: catalog/ } ]\n")
        .write("catalog/all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: all }\nspec:\n  targets: ['../extra/**/*.yaml', '../none/*.yaml']\n")
        .write("catalog/teams.yaml", TEAM)
        .write("extra/a/svc.yaml", SERVICE)
        .write("extra/b/cart.yaml", SERVICE.replace("name: checkout", "name: cart"));
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        run.diagnostics(),
        [("location-target-missing".to_string(), "catalog/all.yaml".to_string(), 5)]
    );
    assert_eq!(
        run.json()["summary"]["entities"],
        4,
        "the Location, the team and both globbed services"
    );
}
