use super::*;

fn parse(text: &str) -> ParsedFile {
    parse_yaml("t.yaml", text)
}

fn codes(parsed: &ParsedFile) -> Vec<&'static str> {
    parsed.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn values_keep_line_and_column() {
    let parsed = parse("kind: Component\nmetadata:\n  name: payments\n  tags: [a, b]\n");
    let root = &parsed.documents[0].root;
    let name = root.pointer("/metadata/name").unwrap();
    assert_eq!((name.start.line, name.start.column), (3, 9));
    let tag = root.pointer("/metadata/tags/1").unwrap();
    assert_eq!((tag.start.line, tag.start.column), (4, 13));
    assert_eq!(root.locate("/metadata/owner").start.line, 3);
}

#[test]
fn scalars_follow_the_core_schema() {
    let parsed = parse("a: 1.10\nb: \"1.10\"\nc: 7\nd: true\ne: ~\nf: 0x1F\ng: 1.2.3\nh: !!str 5\n");
    let root = &parsed.documents[0].root;
    assert_eq!(root.get("a").unwrap().value, Value::Float(1.1));
    assert_eq!(root.get_str("b"), Some("1.10"));
    assert_eq!(root.get("c").unwrap().value, Value::Int(7));
    assert_eq!(root.get("d").unwrap().value, Value::Bool(true));
    assert_eq!(root.get("e").unwrap().value, Value::Null);
    assert_eq!(root.get("f").unwrap().value, Value::Int(31));
    assert_eq!(root.get_str("g"), Some("1.2.3"));
    assert_eq!(root.get_str("h"), Some("5"));
}

#[test]
fn multi_document_files() {
    let parsed = parse("a: 1\n---\nb: 2\n---\n# only a comment\n");
    assert_eq!(parsed.documents.len(), 2);
    assert_eq!(parsed.documents[1].index, 1);
    assert_eq!(parsed.documents[1].root.get("b").unwrap().start.line, 3);
}

#[test]
fn duplicate_keys_are_errors_naming_both_places() {
    let parsed = parse("metadata:\n  name: a\n  name: b\n");
    assert_eq!(codes(&parsed), ["yaml-duplicate-key"]);
    let d = &parsed.diagnostics[0];
    assert_eq!((d.location.line, d.location.column), (3, 3));
    assert_eq!(d.location.pointer, "/metadata/name");
    assert_eq!(d.related[0].location.line, 2);
    assert_eq!(
        parsed.documents[0].root.get("metadata").unwrap().get_str("name"),
        Some("a")
    );
}

#[test]
fn a_duplicate_key_deep_in_sequences_is_located_by_its_pointer() {
    let text = "items:\n  - [1, 2]\n  - { a: 1 }\n  - a: 1\n    b: [x, [y]]\n    a: 2\n  - c: [ 5, {k: 1, k: 2} ]\n";
    let parsed = parse(text);
    let pointers: Vec<&str> = parsed.diagnostics.iter().map(|d| d.location.pointer.as_str()).collect();
    assert_eq!(pointers, ["/items/2/a", "/items/3/c/1/k"]);
    let items = parsed.documents[0].root.get("items").unwrap().as_seq().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[2].get("b").unwrap().as_seq().unwrap().len(), 2);
    assert_eq!(items[2].get("a").unwrap().value, Value::Int(1), "the first value stays");
}

#[test]
fn syntax_errors_point_at_the_problem_and_keep_earlier_documents() {
    let parsed = parse("a: 1\n---\nb: [1, 2\nc: 3\n");
    assert_eq!(codes(&parsed), ["yaml-syntax"]);
    assert_eq!(parsed.documents.len(), 1);
    assert!(parsed.diagnostics[0].location.line >= 3);
}

#[test]
fn billion_laughs_fails_fast() {
    let mut text = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for name in names {
        text.push_str(&format!(
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = name;
    }
    let started = std::time::Instant::now();
    let parsed = parse(&text);
    assert_eq!(codes(&parsed), ["yaml-alias-limit"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn deep_nesting_is_bounded() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let parsed = parse(&text);
    assert_eq!(codes(&parsed), ["yaml-depth-limit"]);
    let text = format!("a: {}1{}", "{b: ".repeat(10_000), "}".repeat(10_000));
    assert_eq!(codes(&parse(&text)), ["yaml-depth-limit"]);
}

#[test]
fn aliases_are_expanded() {
    let parsed = parse("base: &b {x: 1}\nuse: *b\n");
    assert!(parsed.diagnostics.is_empty());
    assert_eq!(parsed.documents[0].root.pointer("/use/x").unwrap().value, Value::Int(1));
}

#[test]
fn undefined_alias_and_complex_keys_are_reported() {
    assert_eq!(codes(&parse("a: *nope\n")), ["yaml-syntax"]);
    assert_eq!(codes(&parse("? [a, b]\n: 1\n")), ["yaml-unsupported"]);
}

#[test]
fn a_node_stays_forty_bytes_and_short_strings_stay_inline() {
    // A 100k catalog keeps ~8 million nodes: a word more per node is 64 MB.
    assert_eq!((std::mem::size_of::<Value>(), std::mem::size_of::<Node>()), (24, 40));
    let parsed = parse_yaml("a.yaml", "metadata: { name: checkout-service-17660 }\n");
    let name = parsed.documents[0].root.pointer("/metadata/name").unwrap();
    let Value::String(text) = &name.value else {
        panic!("{name:?}")
    };
    assert!(!text.is_heap_allocated());
}
