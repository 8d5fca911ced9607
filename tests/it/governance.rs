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

/// The fixture committed in a new git repository.
fn committed_fixture() -> (TestCatalog, git2::Repository) {
    let catalog = TestCatalog::fixture("governance");
    let repo = git2::Repository::init(catalog.path()).unwrap();
    commit(&repo, "the catalog", 1_700_000_000);
    (catalog, repo)
}

/// Commits every change of the work tree, by Ada at `time`.
fn commit(repo: &git2::Repository, message: &str, time: i64) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::new("Ada Lovelace", "ada@example.com", &git2::Time::new(time, 0)).unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
        .unwrap()
}

fn replace(catalog: &TestCatalog, file: &str, from: &str, to: &str) {
    let path = catalog.path().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` is not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn diff_says_which_services_move_up_or_down_a_level() {
    let (catalog, _repo) = committed_fixture();
    // ledger links a runbook: bronze → gold; indexer loses its
    // description: bronze → no level.
    replace(
        &catalog,
        "catalog/services/ledger.yaml",
        "spec:\n",
        "  links:\n    - url: https://runbooks.example.com/ledger\n      title: Runbook\n      type: runbook\nspec:\n",
    );
    replace(
        &catalog,
        "catalog/services/indexer.yaml",
        "  description: Indexes the shop.\n",
        "",
    );
    let markdown = catalog.cairn(&["--format", "markdown", "diff", "HEAD"]);
    assert_eq!(markdown.status, 0, "{}", markdown.stderr);
    insta::assert_snapshot!(markdown.stdout);
    let human = catalog.cairn(&["diff", "HEAD"]);
    assert!(
        human
            .stdout
            .contains("up component:default/ledger on production-readiness: bronze → gold"),
        "{}",
        human.stdout
    );
    let json = catalog.cairn(&["--format", "json", "diff", "HEAD"]).json();
    assert_eq!(
        json["levels"][0],
        serde_json::json!({ "ref": "component:default/indexer", "scorecard": "production-readiness", "from": "bronze", "to": null, "up": false })
    );
}
