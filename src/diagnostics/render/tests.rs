use std::collections::HashMap;

use super::*;
use crate::diagnostics::FilePosition;

struct Lines(HashMap<&'static str, &'static str>);

impl SourceLines for Lines {
    fn line(&self, file: &str, line: u32) -> Option<&str> {
        self.0.get(file)?.lines().nth(line as usize - 1)
    }
}

fn at(file: &str, line: u32, column: u32, pointer: &str) -> FilePosition {
    FilePosition {
        file: file.into(),
        line,
        column,
        pointer: pointer.into(),
    }
}

fn sample() -> (Vec<Diagnostic>, Lines, Summary) {
    let diagnostics = vec![
        Diagnostic::new(
            Code::IoError,
            FilePosition::file_only("gone.yaml"),
            "cannot read file: No such file or directory (os error 2)",
        )
        .with_help("check that the file exists and is readable"),
        Diagnostic::new(
            Code::DuplicateEntity,
            at("services/b.yaml", 4, 9, "/metadata/name"),
            "entity `component:default/cart` is already defined in services/a.yaml:4",
        )
        .with_help("keep one definition: delete this one or rename it")
        .with_related("first defined here", at("services/a.yaml", 4, 9, "/metadata/name")),
        Diagnostic::new(
            Code::UnresolvedRef,
            at("services/checkout.yaml", 11, 10, "/spec/owner"),
            "`spec.owner` refers to `paymnets`, which is not in the catalog",
        )
        .with_help("did you mean `payments`?"),
        Diagnostic::new(
            Code::Tier1NeedsRunbook,
            at("services/checkout.yaml", 4, 3, "/metadata"),
            "tier1 service `checkout` has no runbook link, 100% sure: really",
        )
        .with_severity(Severity::Warning),
    ];
    let sources = Lines(HashMap::from([
        ("services/checkout.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\nspec:\n  type: service\n  lifecycle: production\n  x: 1\n  y: 2\n  z: 3\n  owner: paymnets\n"),
        ("services/b.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cart\n"),
    ]));
    (
        diagnostics,
        sources,
        Summary {
            errors: 3,
            warnings: 1,
            files: 12,
            entities: 40,
        },
    )
}

#[test]
fn human() {
    let (diagnostics, sources, summary) = sample();
    let text = render(Format::Human, &diagnostics, &sources, &summary, false);
    assert!(!text.contains('\u{1b}'), "no ANSI escapes without color");
    insta::assert_snapshot!(text);
}

#[test]
fn human_summary_lines() {
    let sources = Lines(HashMap::new());
    let clean = Summary {
        errors: 0,
        warnings: 0,
        files: 1,
        entities: 1,
    };
    assert_eq!(
        render(Format::Human, &[], &sources, &clean, false),
        "checked 1 file (1 entity): no problems\n"
    );
    let warned = Summary {
        warnings: 2,
        files: 3,
        entities: 9,
        ..clean
    };
    assert_eq!(
        render(Format::Human, &[], &sources, &warned, false),
        "warning: 2 warnings in 3 files (9 entities)\n"
    );
}

#[test]
fn human_summary_singular() {
    let sources = Lines(HashMap::new());
    let summary = Summary {
        errors: 1,
        warnings: 1,
        files: 1,
        entities: 0,
    };
    assert_eq!(
        render(Format::Human, &[], &sources, &summary, false),
        "error: could not compile catalog: 1 error, 1 warning in 1 file (0 entities)\n"
    );
}

#[test]
fn human_without_the_source_line_prints_the_location_alone() {
    let sources = Lines(HashMap::new());
    let d = Diagnostic::new(
        Code::InvalidTag,
        at("gone.yaml", 7, 3, "/metadata/tags/0"),
        "invalid tag `Go`",
    );
    let text = render(Format::Human, &[d], &sources, &Summary::default(), false);
    assert!(text.contains("--> gone.yaml:7:3\n"), "{text}");
    assert!(!text.contains('|'), "no snippet without a source line: {text}");
}

#[test]
fn human_colors_only_when_asked() {
    let (diagnostics, sources, summary) = sample();
    let plain = render(Format::Human, &diagnostics, &sources, &summary, false);
    let styled = render(Format::Human, &diagnostics, &sources, &summary, true);
    assert!(!plain.contains('\u{1b}'));
    assert!(styled.contains('\u{1b}'));
}

#[test]
fn human_cuts_long_lines_around_the_caret() {
    let long: &'static str = Box::leak(format!("tags: [{}bad tag]", "a, ".repeat(500)).into_boxed_str());
    let sources = Lines(HashMap::from([("t.yaml", long)]));
    let d = Diagnostic::new(
        Code::InvalidTag,
        at("t.yaml", 1, 1508, "/metadata/tags/500"),
        "invalid tag `bad tag`",
    );
    let text = render(Format::Human, &[d], &sources, &Summary::default(), false);
    assert!(text.contains("bad"), "{text}");
    assert!(text.lines().all(|l| l.len() < 260), "{text}");
}

#[test]
fn json() {
    let (diagnostics, sources, summary) = sample();
    let text = render(Format::Json, &diagnostics, &sources, &summary, false);
    insta::assert_snapshot!(text);
    serde_json::from_str::<serde_json::Value>(&text).expect("one JSON object");
    assert!(text.ends_with("}\n"));
}

/// The keys of the object that starts at `text`'s line `start`, in written
/// order (serde_json's `Value` would sort them).
fn keys_at_indent(text: &str, indent: usize, start: usize) -> Vec<&str> {
    let prefix = format!("{}\"", " ".repeat(indent));
    text.lines()
        .skip(start + 1)
        .take_while(|line| !line.starts_with(&format!("{}}}", " ".repeat(indent - 2))))
        .filter_map(|line| line.strip_prefix(&prefix)?.split('"').next())
        .collect()
}

#[test]
fn json_keys_in_contract_order() {
    let (diagnostics, sources, summary) = sample();
    let text = render(Format::Json, &diagnostics, &sources, &summary, false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(keys_at_indent(&text, 2, 0), ["diagnostics", "summary"]);
    let first = lines.iter().position(|l| *l == "    {").unwrap();
    assert_eq!(
        keys_at_indent(&text, 6, first),
        ["severity", "code", "message", "file", "line", "column", "pointer", "help"]
    );
    let summary_at = lines.iter().position(|l| l.starts_with("  \"summary\"")).unwrap();
    assert_eq!(
        keys_at_indent(&text, 4, summary_at),
        ["errors", "warnings", "files", "entities"]
    );
}

#[test]
fn github() {
    let (diagnostics, sources, summary) = sample();
    insta::assert_snapshot!(render(Format::Github, &diagnostics, &sources, &summary, false));
}

#[test]
fn github_escapes_data_and_properties() {
    assert_eq!(escape_data("50% done\r\nnext: a,b"), "50%25 done%0D%0Anext: a,b");
    assert_eq!(escape_property("a:b,c%\r\n"), "a%3Ab%2Cc%25%0D%0A");
    let d = Diagnostic::new(
        Code::InvalidTag,
        at("odd,dir/a:b%.yaml", 3, 0, ""),
        "100% wrong:\nsecond line, really",
    )
    .with_help("write `a,b`");
    assert_eq!(
        render(Format::Github, &[d], &Lines(HashMap::new()), &Summary::default(), false),
        "::error file=odd%2Cdir/a%3Ab%25.yaml,line=3,title=invalid-tag::100%25 wrong:%0Asecond line, really%0Ahelp: write `a,b`\n"
    );
}

#[test]
fn sarif() {
    let (diagnostics, sources, summary) = sample();
    let text = render(Format::Sarif, &diagnostics, &sources, &summary, false);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["version"], "2.1.0");
    let rules: Vec<&str> = value["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["duplicate-entity", "io-error", "tier1-needs-runbook", "unresolved-ref"]
    );
    let results = value["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"].get("region"),
        None,
        "whole-file problems have no region"
    );
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );
    assert_eq!(
        results[1]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "services/a.yaml"
    );
    assert_eq!(results[3]["level"], "warning");
}

#[test]
fn sarif_snapshot() {
    let (diagnostics, sources, summary) = sample();
    let mut value: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &diagnostics, &sources, &summary, false)).unwrap();
    // Keep the snapshot stable across releases and explanation edits.
    let driver = &mut value["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    for rule in driver["rules"].as_array_mut().unwrap() {
        rule["help"]["markdown"] = "[explain/CODE.md]".into();
    }
    insta::assert_json_snapshot!(value);
}

#[test]
fn markdown() {
    let (diagnostics, sources, summary) = sample();
    insta::assert_snapshot!(render(Format::Markdown, &diagnostics, &sources, &summary, false));
}
