//! Backstage's own example catalog, read in place from `../shared/corpus/`:
//! every entity loaded, every real problem reported once at the right line
//! (SOURCE.md beside the corpus lists what is known to be wrong), and the
//! `acme/` demo organisation clean on its own.

use crate::harness::{cairn_in, corpus};

fn check(root: &std::path::Path) -> crate::harness::Run {
    // Without the check cache: the shared corpus is read in place, never
    // written to.
    let run = cairn_in(
        root,
        &[
            "--root",
            root.to_str().unwrap(),
            "--format",
            "json",
            "check",
            "--no-cache",
        ],
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Entity documents, counted independently of cairn: every document of a
/// Backstage entity has one top-level `apiVersion: backstage.io/…` line.
fn entity_documents(root: &std::path::Path) -> usize {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("apiVersion: backstage.io/"))
                .count()
        })
        .sum()
}

#[test]
fn every_entity_is_loaded_or_reported() {
    let root = corpus();
    let run = check(&root);
    assert_eq!(run.status, 1, "the corpus has known problems");
    let json = run.json();
    let codes = run.codes();
    let dropped = codes
        .iter()
        .filter(|c| *c == "duplicate-entity" || *c == "unknown-kind")
        .count();
    let loaded = json["summary"]["entities"].as_u64().unwrap() as usize;
    assert_eq!(
        loaded + dropped,
        entity_documents(&root),
        "an entity went missing without a diagnostic"
    );
}

#[test]
fn known_problems_are_reported_once_at_the_right_line() {
    let run = check(&corpus());
    let lines: Vec<String> = run
        .diagnostics()
        .iter()
        .map(|(code, file, line)| format!("{file}:{line} {code}"))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
    let mut unique = lines.clone();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "a problem was reported twice");
}

#[test]
fn the_acme_organisation_checks_clean() {
    let run = check(&corpus().join("acme"));
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.codes(), Vec::<String>::new());
    assert_eq!(run.json()["summary"]["entities"], 27);
}
