use super::*;
use crate::model::lower_document;
use crate::parse::parse_yaml;

#[test]
fn module_versions_should_be_pinned() {
    assert!(is_range("~> 5.0") && is_range("^1.2") && is_range(">= 5, < 6") && is_range("5.x") && is_range("*"));
    assert!(!is_range("5.9.0") && !is_range("v1.2.0") && !is_range("main"));
}

/// Every diagnostic of parsing, lowering and checking `text`.
fn diagnostics_of(text: &str) -> Vec<Diagnostic> {
    let parsed = parse_yaml("rd.yaml", text);
    let mut diagnostics = parsed.diagnostics;
    let entity = parsed
        .documents
        .into_iter()
        .find_map(|d| lower_document("rd.yaml", d, &mut diagnostics))
        .expect("a ResourceDefinition");
    check(&entity, &mut diagnostics);
    diagnostics
}

fn codes_of(text: &str) -> Vec<Code> {
    diagnostics_of(text).into_iter().map(|d| d.code).collect()
}

/// The only diagnostic of `text`.
fn only(text: &str) -> Diagnostic {
    let mut found = diagnostics_of(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

/// A definition; `required` and `optional` are input list items, one per
/// line, indented by four spaces. The first required input is on line 9.
fn definition(version: &str, required: &str, optional: &str) -> String {
    format!(
        "apiVersion: catalog.nestor.io/v1
kind: ResourceDefinition
metadata:
  name: db
  version: {version}
spec:
  supported_engines: [terraform]
  required_inputs:
{required}  optional_inputs:
{optional}  outputs:
    - {{ name: endpoint, type: string }}
  engine_configs:
    terraform: {{ module_source: x }}
"
    )
}

fn with_version(version: &str) -> String {
    definition(version, "", "")
}

fn with_input(input: &str) -> String {
    definition("\"1.0.0\"", &format!("    - {input}\n"), "")
}

#[test]
fn the_seed_has_no_errors_and_only_the_unpinned_module_lint() {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed-resource-definition/aws-rds-mysql.yaml"
    ))
    .unwrap();
    let found: Vec<(Code, crate::diagnostics::Severity)> =
        diagnostics_of(&seed).iter().map(|d| (d.code, d.severity)).collect();
    // Its terraform `module_version: "~> 5.0"` is exactly what the lint is for.
    assert_eq!(
        found,
        [(Code::EngineModuleNotPinned, crate::diagnostics::Severity::Warning)]
    );
}

#[test]
fn strict_semver_strings_pass() {
    for version in [
        "\"1.2.0\"",
        "\"1.3.0-rc.1\"",
        "\"0.0.1\"",
        "'10.20.30-alpha.beta'",
        "2.0.0",
    ] {
        assert_eq!(diagnostics_of(&with_version(version)), [], "{version}");
    }
    // Missing or mistyped versions are the schema check's.
    let missing = with_version("\"1.0.0\"").replace("  version: \"1.0.0\"\n", "");
    assert_eq!(diagnostics_of(&missing), []);
    assert_eq!(diagnostics_of(&with_version("true")), []);
}

#[test]
fn an_unquoted_number_version_says_how_yaml_read_it() {
    let found = only(&with_version("1.10"));
    assert_eq!(found.code, Code::VersionFormat);
    assert_eq!((found.location.line, found.location.column), (5, 12));
    assert_eq!(found.location.pointer, "/metadata/version");
    assert_eq!(
        found.message,
        "`metadata.version` is a YAML number: `1.10` reads as 1.1, not as a version"
    );
    assert_eq!(
        found.help.as_deref(),
        Some("quote it and give all three parts: `version: \"1.10.0\"`")
    );
    let integer = only(&with_version("2"));
    assert_eq!(
        integer.message,
        "`metadata.version` is the YAML number 2, not a version string"
    );
    assert_eq!(
        integer.help.as_deref(),
        Some("quote it and give all three parts: `version: \"2.0.0\"`")
    );
}

#[test]
fn malformed_version_strings_get_a_specific_fix() {
    let help = |version: &str| {
        let found = only(&with_version(version));
        assert_eq!(found.code, Code::VersionFormat, "{version}");
        (found.message, found.help.unwrap())
    };
    assert_eq!(
        help("\"v1.2.0\""),
        (
            "version `v1.2.0` is not strict SemVer: it has a leading `v`".into(),
            "write `1.2.0`".into()
        )
    );
    assert_eq!(help("\"1.2\"").1, "write `1.2.0`");
    assert!(help("\"1.2\"").0.contains("needs three parts"));
    assert_eq!(help("\"v1.2\"").1, "write `1.2.0`");
    assert_eq!(help("\"01.2.0\"").1, "write `1.2.0`");
    assert!(help("\"01.2.0\"").0.contains("leading zero"));
    let (message, fix) = help("\"1.2.0+b1\"");
    assert!(message.contains("build metadata"), "{message}");
    assert!(fix.starts_with("write `1.2.0`"), "{fix}");
    let (message, fix) = help("\"1.2.0-rc..1\"");
    assert!(
        message.starts_with("version `1.2.0-rc..1` is not SemVer 2.0.0: "),
        "{message}"
    );
    assert!(fix.contains("MAJOR.MINOR.PATCH"));
}

#[test]
fn names_must_be_snake_case() {
    let found = only(&with_input("{ name: instanceClass, type: string }"));
    assert_eq!(found.code, Code::InputNameCase);
    assert_eq!((found.location.line, found.location.column), (9, 15));
    assert_eq!(found.location.pointer, "/spec/required_inputs/0/name");
    assert_eq!(found.help.as_deref(), Some("rename it to `instance_class`"));
    let output = definition("\"1.0.0\"", "", "").replace("name: endpoint", "name: Endpoint-URL");
    assert_eq!(only(&output).help.as_deref(), Some("rename it to `endpoint_url`"));
    assert_eq!(
        diagnostics_of(&with_input("{ name: instance_class2, type: string }")),
        []
    );
}

#[test]
fn snake_case_suggestions() {
    assert_eq!(to_snake_case("instanceClass"), "instance_class");
    assert_eq!(to_snake_case("backup-retention"), "backup_retention");
    assert_eq!(to_snake_case("HTTPPort"), "http_port");
    assert_eq!(to_snake_case("dbName2Use"), "db_name2_use");
    assert_eq!(to_snake_case("__private__"), "private");
    assert_eq!(to_snake_case("a  b"), "a_b");
}

#[test]
fn duplicate_names_point_at_the_second_and_relate_the_first() {
    let text = definition(
        "\"1.0.0\"",
        "    - { name: size, type: integer }\n",
        "    - { name: size, type: integer, default: 20 }\n",
    );
    let found = only(&text);
    assert_eq!(found.code, Code::DuplicateInput);
    assert_eq!(found.location.pointer, "/spec/optional_inputs/0/name");
    assert_eq!(found.location.line, 11);
    assert_eq!(
        found.message,
        "input `size` is defined twice: it is already defined at line 9 (in `required_inputs`)"
    );
    assert_eq!(found.related[0].message, "first defined here");
    assert_eq!(found.related[0].location.line, 9);
    assert_eq!(found.related[0].location.pointer, "/spec/required_inputs/0/name");
    let outputs = text.replace(
        "    - { name: endpoint, type: string }\n",
        "    - { name: port, type: integer }\n    - { name: port, type: string }\n",
    );
    assert_eq!(codes_of(&outputs), [Code::DuplicateInput, Code::DuplicateInput]);
    // An input and an output may share a name.
    let shared = definition("\"1.0.0\"", "    - { name: endpoint, type: string }\n", "");
    assert_eq!(diagnostics_of(&shared), []);
}

#[test]
fn defaults_are_optional_on_both_kinds_of_input() {
    let text = definition(
        "\"1.0.0\"",
        "    - { name: a, type: integer, default: 1 }\n",
        "    - { name: b, type: integer }\n",
    );
    assert_eq!(diagnostics_of(&text), []);
}

#[test]
fn patterns_must_compile() {
    let found = only(&with_input(
        r#"{ name: class, type: string, validation: { pattern: "^db\\.[a-z" } }"#,
    ));
    assert_eq!(found.code, Code::InvalidPattern);
    assert_eq!(found.location.pointer, "/spec/required_inputs/0/validation/pattern");
    assert_eq!((found.location.line, found.location.column), (9, 59));
    assert!(found.message.ends_with("unclosed character class"), "{}", found.message);
    assert_eq!(
        diagnostics_of(&with_input(
            r#"{ name: class, type: string, validation: { pattern: "^db\\.[a-z]+$" } }"#
        )),
        []
    );
}

#[test]
fn look_around_is_refused_with_an_explanation() {
    let found = only(&with_input(
        r#"{ name: class, type: string, validation: { pattern: "^(?!db)" } }"#,
    ));
    assert_eq!(found.code, Code::InvalidPattern);
    assert!(found.help.unwrap().contains("look-around"));
}

#[test]
fn patterns_apply_to_strings_only() {
    let found = only(&with_input(
        r#"{ name: n, type: integer, validation: { pattern: "^1$" } }"#,
    ));
    assert_eq!(found.code, Code::InvalidPattern);
    assert!(found.message.contains("patterns apply to strings"));
}

#[test]
fn bounds_must_admit_a_value() {
    let found = only(&with_input(
        "{ name: n, type: integer, validation: { min: 10, max: 1 } }",
    ));
    assert_eq!(found.code, Code::InvalidBounds);
    assert_eq!(found.location.pointer, "/spec/required_inputs/0/validation/min");
    assert_eq!(
        found.help.as_deref(),
        Some("swap them (`min: 1`, `max: 10`) or correct one of them")
    );
    assert_eq!(
        diagnostics_of(&with_input(
            "{ name: n, type: integer, validation: { min: 1, max: 1 } }"
        )),
        []
    );
}

#[test]
fn bounds_apply_to_numbers_strings_and_arrays() {
    let found = only(&with_input("{ name: b, type: boolean, validation: { max: 1 } }"));
    assert_eq!(found.code, Code::InvalidBounds);
    assert_eq!(found.location.pointer, "/spec/required_inputs/0/validation/max");
    assert_eq!(
        codes_of(&with_input("{ name: o, type: object, validation: { min: 1, max: 2 } }")),
        [Code::InvalidBounds]
    );
    for value_type in ["integer", "number", "string", "array"] {
        let input = format!("{{ name: v, type: {value_type}, validation: {{ min: 1, max: 9 }} }}");
        assert_eq!(diagnostics_of(&with_input(&input)), [], "{value_type}");
    }
}

#[test]
fn an_enum_must_not_be_empty() {
    let found = only(&with_input("{ name: e, type: string, validation: { enum: [] } }"));
    assert_eq!(found.code, Code::InvalidBounds);
    assert_eq!(found.location.pointer, "/spec/required_inputs/0/validation/enum");
    assert_eq!(
        diagnostics_of(&with_input("{ name: e, type: string, validation: { enum: [gp3] } }")),
        []
    );
}

#[test]
fn a_default_below_the_minimum_says_so() {
    let found = only(&with_input(
        "{ name: allocated_storage, type: integer, default: 5, validation: { min: 20 } }",
    ));
    assert_eq!(found.code, Code::InvalidDefault);
    assert_eq!(found.location.pointer, "/spec/required_inputs/0/default");
    assert_eq!((found.location.line, found.location.column), (9, 58));
    assert_eq!(
        found.message,
        "default 5 is below the minimum 20 of `allocated_storage`"
    );
    assert_eq!(
        found.help.as_deref(),
        Some("raise the default to at least 20, or lower `min`")
    );
    assert_eq!(
        diagnostics_of(&with_input(
            "{ name: allocated_storage, type: integer, default: 20, validation: { min: 20, max: 1000 } }"
        )),
        []
    );
    let above = only(&with_input(
        "{ name: gb, type: number, default: 1e4, validation: { max: 1000 } }",
    ));
    assert_eq!(above.message, "default 10000.0 is above the maximum 1000 of `gb`");
}

#[test]
fn a_default_must_match_the_pattern() {
    let found = only(&with_input(
        r#"{ name: n, type: string, default: abc, validation: { pattern: "^[0-9]+$" } }"#,
    ));
    assert_eq!(found.code, Code::InvalidDefault);
    assert_eq!(
        found.message,
        "default \"abc\" does not match the pattern `^[0-9]+$` of `n`"
    );
    assert_eq!(
        diagnostics_of(&with_input(
            r#"{ name: n, type: string, default: "123", validation: { pattern: "^[0-9]+$" } }"#
        )),
        []
    );
    // Unanchored patterns match anywhere, as in JSON Schema.
    assert_eq!(
        diagnostics_of(&with_input(
            r#"{ name: n, type: string, default: "abc123", validation: { pattern: "[0-9]" } }"#
        )),
        []
    );
}

#[test]
fn a_default_must_have_the_input_type() {
    let found = only(&with_input("{ name: n, type: integer, default: x }"));
    assert_eq!(found.code, Code::InvalidDefault);
    assert_eq!(found.message, "default \"x\" is a string, but `n` is an integer input");
    let quoted = only(&with_input("{ name: n, type: integer, default: \"7\" }"));
    assert!(quoted.help.unwrap().contains("without quotes"));
    let fraction = only(&with_input("{ name: n, type: integer, default: 7.5 }"));
    assert_eq!(
        fraction.message,
        "default 7.5 is a non-integer number, but `n` is an integer input"
    );
    let null = only(&with_input("{ name: n, type: string, default: null }"));
    assert!(null.help.unwrap().starts_with("remove `default`"));
    for input in [
        "{ name: n, type: integer, default: 7 }",
        "{ name: n, type: integer, default: 7.0 }",
        "{ name: n, type: number, default: 7.5 }",
        "{ name: n, type: boolean, default: false }",
        "{ name: n, type: array, default: [a] }",
        "{ name: n, type: object, default: { a: 1 } }",
    ] {
        assert_eq!(diagnostics_of(&with_input(input)), [], "{input}");
    }
}

#[test]
fn a_default_must_be_in_the_enum() {
    let found = only(&with_input(
        r#"{ name: v, type: string, default: "13", validation: { enum: ["14", "15"] } }"#,
    ));
    assert_eq!(found.code, Code::InvalidDefault);
    assert_eq!(
        found.message,
        "default \"13\" is not one of the allowed values of `v` (\"14\", \"15\")"
    );
    assert_eq!(
        diagnostics_of(&with_input(
            r#"{ name: v, type: string, default: "15", validation: { enum: ["14", "15"] } }"#
        )),
        []
    );
    // 1 and 1.0 are the same value to JSON Schema.
    assert_eq!(
        diagnostics_of(&with_input(
            "{ name: v, type: number, default: 1.0, validation: { enum: [1, 2] } }"
        )),
        []
    );
}

#[test]
fn string_and_array_bounds_are_lengths() {
    let found = only(&with_input(
        "{ name: s, type: string, default: ab, validation: { min: 3 } }",
    ));
    assert_eq!(
        found.message,
        "default \"ab\" is shorter than the minimum length 3 of `s` (its length is 2)"
    );
    assert_eq!(
        codes_of(&with_input(
            "{ name: a, type: array, default: [1, 2, 3], validation: { max: 2 } }"
        )),
        [Code::InvalidDefault]
    );
    assert_eq!(
        diagnostics_of(&with_input(
            "{ name: s, type: string, default: abc, validation: { min: 3, max: 3 } }"
        )),
        []
    );
}

#[test]
fn engine_configs_name_supported_engines() {
    let text = with_version("\"1.0.0\"").replace("terraform: { module_source: x }", "pulumi: { program_template: x }");
    let found = only(&text);
    assert_eq!(found.code, Code::UnsupportedEngineConfig);
    assert_eq!(found.severity, crate::diagnostics::Severity::Warning);
    assert_eq!(found.location.pointer, "/spec/engine_configs/pulumi");
    assert_eq!((found.location.line, found.location.column), (13, 5));
    // With no supported_engines there is nothing to compare with.
    let unlisted = text.replace("  supported_engines: [terraform]\n", "");
    assert_eq!(diagnostics_of(&unlisted), []);
}
