//! Every kind of bad input gets a diagnostic at the right place, never a
//! panic, and never hides the problems of other files.

use crate::harness::{TestCatalog, SERVICE, TEAM};

/// A catalog with one good team plus `file`, checked as JSON.
fn check_with(path: &str, contents: &[u8]) -> crate::harness::Run {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("checkout.yaml", SERVICE)
        .write(path, contents);
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert!(!run.stderr.contains("panicked"), "cairn panicked:\n{}", run.stderr);
    run
}

#[test]
fn clean_catalog_exits_zero() {
    let run = check_with("extra.yaml", b"# nothing but a comment\nfoo: bar\n");
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["entities"], 2);
}

#[test]
fn malformed_yaml_points_at_the_line() {
    let run = check_with(
        "bad.yaml",
        b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  tags: [a, b\nspec: {}\n",
    );
    assert_eq!(run.status, 1);
    assert_eq!(
        run.diagnostics(),
        [("yaml-syntax".to_string(), "bad.yaml".to_string(), 6)]
    );
}

#[test]
fn duplicate_keys_are_errors() {
    let run = check_with(
        "dup.yaml",
        SERVICE
            .replace("name: checkout", "name: cart\n  name: cart2")
            .as_bytes(),
    );
    assert_eq!(
        run.diagnostics(),
        [("yaml-duplicate-key".to_string(), "dup.yaml".to_string(), 5)]
    );
}

#[test]
fn wrong_types_and_missing_fields_point_at_the_node_or_parent() {
    let wrong = SERVICE
        .replace("name: checkout", "name: cart")
        .replace("type: service", "type: [service]");
    let missing = SERVICE
        .replace("name: checkout", "name: ledger")
        .replace("  lifecycle: production\n", "");
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("wrong.yaml", wrong)
        .write("missing.yaml", missing);
    let run = catalog.cairn(&["--format", "json", "check"]);
    let diagnostics = run.diagnostics();
    assert_eq!(
        diagnostics,
        [
            ("schema-violation".to_string(), "missing.yaml".to_string(), 5),
            ("schema-violation".to_string(), "wrong.yaml".to_string(), 6)
        ]
    );
    let json = run.json();
    assert_eq!(json["diagnostics"][1]["pointer"], "/spec/type");
    assert_eq!(json["diagnostics"][0]["pointer"], "/spec");
}

#[test]
fn invalid_names_never_reach_output_paths() {
    for name in ["../../x", "a/b", &"n".repeat(64)] {
        let catalog = TestCatalog::empty();
        catalog.write("teams.yaml", TEAM).write(
            "svc.yaml",
            SERVICE.replace("name: checkout", &format!("name: '{name}'")),
        );
        let run = catalog.cairn(&["--format", "json", "build"]);
        assert_eq!(run.status, 1, "{name}");
        assert_eq!(run.codes(), ["invalid-name"], "{name}");
        assert!(!catalog.path().join("dist").exists(), "a failed build writes nothing");
    }
}

#[test]
fn unresolved_refs_suggest_the_existing_name() {
    let run = check_with(
        "svc.yaml",
        SERVICE
            .replace("name: checkout", "name: cart")
            .replace("owner: payments", "owner: paymnets")
            .as_bytes(),
    );
    let json = run.json();
    assert_eq!(json["diagnostics"][0]["code"], "unresolved-ref");
    assert_eq!(json["diagnostics"][0]["help"], "did you mean `payments`?");
    assert_eq!(json["diagnostics"][0]["line"], 8);
}

#[test]
fn duplicate_entities_across_files_name_both() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("a.yaml", SERVICE)
        .write("b.yaml", SERVICE);
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        run.diagnostics(),
        [("duplicate-entity".to_string(), "b.yaml".to_string(), 4)]
    );
    assert!(run.json()["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("a.yaml:4"));
}

#[test]
fn unknown_kind_is_an_error_with_a_suggestion() {
    let run = check_with(
        "k.yaml",
        SERVICE.replace("kind: Component", "kind: Componnet").as_bytes(),
    );
    assert_eq!(run.json()["diagnostics"][0]["help"], "did you mean `Component`?");
}

#[test]
fn billion_laughs_fails_fast_in_bounded_memory() {
    let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for name in 'b'..='i' {
        bomb.push_str(&format!(
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = name;
    }
    let run = check_with("bomb.yaml", bomb.as_bytes());
    assert_eq!(run.codes(), ["yaml-alias-limit"]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}1{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let run = check_with("deep.yaml", deep.as_bytes());
    assert_eq!(run.codes(), ["yaml-depth-limit"]);
    let block: String = (0..1_000).map(|depth| format!("{}k:\n", " ".repeat(depth))).collect();
    assert_eq!(check_with("block.yaml", block.as_bytes()).codes(), ["yaml-depth-limit"]);
}

#[test]
fn a_20_mb_file_is_refused_by_name() {
    let big = "# padding\n".repeat(2_000_000);
    let run = check_with("huge.yaml", big.as_bytes());
    assert_eq!(
        run.diagnostics(),
        [("file-too-large".to_string(), "huge.yaml".to_string(), 0)]
    );
}

#[test]
fn empty_file_is_a_warning() {
    let run = check_with("empty.yaml", b"");
    assert_eq!(run.status, 0);
    assert_eq!(run.codes(), ["empty-file"]);
}

#[test]
fn non_utf8_names_file_and_byte_offset() {
    let run = check_with(
        "latin1.yaml",
        b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: caf\xe9\n",
    );
    let json = run.json();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "non-utf8");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("latin1.yaml"), Some(4), Some(12))
    );
    assert!(d["message"].as_str().unwrap().contains("byte offset 71"), "{d}");
}

#[test]
fn symlink_loop_is_reported_and_the_rest_checked() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("svc/checkout.yaml", SERVICE.replace("owner: payments", "owner: nobody"));
    std::os::unix::fs::symlink("..", catalog.path().join("svc/loop")).unwrap();
    let run = catalog.cairn(&["--format", "json", "check"]);
    let codes = run.codes();
    assert!(codes.contains(&"symlink-loop".to_string()), "{codes:?}");
    assert!(
        codes.contains(&"unresolved-ref".to_string()),
        "the other files are still checked: {codes:?}"
    );
}

#[test]
fn unreadable_file_is_reported() {
    // Tests may run as root, for whom permission bits do not stop a read; a
    // dangling symlink is unreadable for everyone.
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM);
    std::os::unix::fs::symlink("does-not-exist.yaml", catalog.path().join("gone.yaml")).unwrap();
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.diagnostics(),
        [("io-error".to_string(), "gone.yaml".to_string(), 0)]
    );
}

#[test]
fn unknown_config_key_suggests_the_right_one() {
    let catalog = TestCatalog::empty();
    catalog
        .write(
            "cairn.yaml",
            "site: { title: A }\npolicy: { tier1-needs-runbook: warning }\n",
        )
        .write("teams.yaml", TEAM);
    let run = catalog.cairn(&["--format", "json", "check"]);
    let json = run.json();
    assert_eq!(run.status, 1);
    assert_eq!(json["diagnostics"][0]["code"], "config-unknown-key");
    assert_eq!(json["diagnostics"][0]["file"], "cairn.yaml");
    assert_eq!(json["diagnostics"][0]["line"], 2);
    assert_eq!(json["diagnostics"][0]["help"], "did you mean `policies`?");
}

#[test]
fn missing_root_exits_two() {
    let catalog = TestCatalog::empty();
    let run = crate::harness::cairn_in(catalog.path(), &["--root", "no/such/dir", "check"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("cannot read catalog root `no/such/dir`"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_flags_exit_two() {
    let catalog = TestCatalog::empty();
    assert_eq!(catalog.cairn(&["check", "--no-such-flag"]).status, 2);
    assert_eq!(catalog.cairn(&["--format", "xml", "check"]).status, 2);
}

#[test]
fn one_bad_file_never_hides_the_others() {
    let catalog = TestCatalog::fixture("broken");
    let run = catalog.cairn(&["--format", "json", "check"]);
    let files: std::collections::BTreeSet<String> = run.diagnostics().into_iter().map(|(_, file, _)| file).collect();
    for file in [
        "services/malformed.yaml",
        "services/checkout.yaml",
        "services/names.yaml",
        "teams/teams.yaml",
        "resource-definitions/aws-widget/1.0.0.yaml",
    ] {
        assert!(files.contains(file), "{file} missing from {files:?}");
    }
}
