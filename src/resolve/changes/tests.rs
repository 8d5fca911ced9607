use super::*;
use crate::model::lower_document;
use crate::parse::parse_yaml;
use ChangeRule::*;

/// A definition with the given inputs/outputs/engines YAML under `spec`.
fn definition(spec: &str) -> (ResourceDefinition, Json) {
    let text = format!("apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: {{ name: db, version: '1.0.0' }}\nspec:\n{spec}");
    let parsed = parse_yaml("d.yaml", &text);
    let mut diagnostics = parsed.diagnostics;
    let entity = parsed
        .documents
        .into_iter()
        .find_map(|d| lower_document("d.yaml", d, &mut diagnostics))
        .unwrap();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    (*entity.resource_definition.clone().unwrap(), entity.to_json())
}

/// `(rule, class)` of every finding from `old` to `new`.
fn changes(old: &str, new: &str) -> Vec<(ChangeRule, ChangeClass)> {
    let (a, a_json) = definition(old);
    let (b, b_json) = definition(new);
    classify(&a, &a_json, &b, &b_json)
        .into_iter()
        .map(|f| (f.rule, f.class))
        .collect()
}

fn findings(old: &str, new: &str) -> Vec<Finding> {
    let (a, a_json) = definition(old);
    let (b, b_json) = definition(new);
    classify(&a, &a_json, &b, &b_json)
}

use ChangeClass::*;

const BASE: &str = "  required_inputs:\n    - { name: size, type: integer, validation: { min: 10, max: 100 } }\n  optional_inputs:\n    - { name: engine, type: string, default: '15', validation: { enum: ['14', '15'] } }\n  outputs:\n    - { name: endpoint, type: string }\n  supported_engines: [terraform]\n  engine_configs:\n    terraform: { module_source: a/b, module_version: '5.1.0' }\n";

fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replace(from, to)
}

#[test]
fn identical_documents_have_no_findings() {
    assert_eq!(changes(BASE, BASE), []);
    // Formatting and key order are not content.
    let reordered = edit("{ name: endpoint, type: string }", "{ type: string, name: endpoint }");
    assert_eq!(changes(BASE, &reordered), []);
}

#[test]
fn inputs_removed_renamed_and_added() {
    let removed = edit(
        "    - { name: size, type: integer, validation: { min: 10, max: 100 } }\n",
        "",
    );
    assert_eq!(changes(BASE, &removed), [(InputRemoved, Major)]);
    let renamed = edit("name: size,", "name: size_gb,");
    let found = findings(BASE, &renamed);
    assert_eq!(found[0].hint.as_deref(), Some("looks like a rename of size → size_gb"));
    let required = edit(
        "  optional_inputs:\n",
        "    - { name: zone, type: string }\n  optional_inputs:\n",
    );
    assert_eq!(changes(BASE, &required), [(InputAddedRequired, Major)]);
    let optional = edit("  outputs:\n", "    - { name: zone, type: string }\n  outputs:\n");
    assert_eq!(changes(BASE, &optional), [(InputAddedOptional, Minor)]);
}

#[test]
fn required_and_optional_moves() {
    let now_required = edit("  optional_inputs:\n    - { name: engine,", "    - { name: engine,")
        .replace("  outputs:", "  optional_inputs: []\n  outputs:");
    assert_eq!(changes(BASE, &now_required), [(InputNowRequired, Major)]);
    assert_eq!(changes(&now_required, BASE), [(InputNowOptional, Minor)]);
}

#[test]
fn types_widen_and_narrow() {
    let number = edit("type: integer", "type: number");
    assert_eq!(changes(BASE, &number), [(InputTypeWidened, Minor)]);
    let found = findings(&number, BASE);
    assert_eq!((found[0].rule, found[0].class), (InputTypeChanged, Major));
    assert_eq!(found[0].witness.as_deref(), Some("`size: 0.5`"));
}

#[test]
fn defaults() {
    assert_eq!(
        changes(BASE, &edit("default: '15'", "default: '14'")),
        [(InputDefaultChanged, Major)]
    );
    let no_default = edit("default: '15', ", "");
    assert_eq!(changes(BASE, &no_default), [(InputDefaultRemoved, Major)]);
    let found = findings(&no_default, BASE);
    assert_eq!((found[0].rule, found[0].class), (InputDefaultAdded, Minor));
    assert!(found[0].hint.as_deref().unwrap().starts_with("possibly breaking"));
}

#[test]
fn bounds_with_witnesses() {
    let raised = findings(BASE, &edit("min: 10", "min: 20"));
    assert_eq!((raised[0].rule, raised[0].class), (InputMinRaised, Major));
    assert_eq!(raised[0].witness.as_deref(), Some("`size: 19`"));
    assert_eq!(changes(BASE, &edit("min: 10", "min: 5")), [(InputMinLowered, Minor)]);
    assert_eq!(changes(BASE, &edit("max: 100", "max: 50")), [(InputMaxLowered, Major)]);
    assert_eq!(changes(BASE, &edit(", max: 100", "")), [(InputMaxRaised, Minor)]);
}

#[test]
fn patterns() {
    let with_pattern = edit(
        "{ name: size, type: integer, validation: { min: 10, max: 100 } }",
        "{ name: size, type: string, validation: { pattern: '^[0-9]+$' } }",
    );
    let other_pattern = with_pattern.replace("^[0-9]+$", "^[0-9]{2}$");
    assert_eq!(changes(&with_pattern, &other_pattern), [(InputPatternChanged, Major)]);
    let no_pattern = with_pattern.replace(", validation: { pattern: '^[0-9]+$' }", "");
    assert_eq!(changes(&with_pattern, &no_pattern), [(InputPatternRemoved, Minor)]);
    assert_eq!(changes(&no_pattern, &with_pattern), [(InputPatternAdded, Major)]);
}

#[test]
fn enums() {
    let found = findings(BASE, &edit("enum: ['14', '15']", "enum: ['15']"));
    assert_eq!((found[0].rule, found[0].class), (InputEnumValueRemoved, Major));
    assert_eq!(found[0].witness.as_deref(), Some("`engine: \"14\"`"));
    assert_eq!(
        changes(BASE, &edit("enum: ['14', '15']", "enum: ['14', '15', '16']")),
        [(InputEnumValueAdded, Minor)]
    );
    let free = edit(", validation: { enum: ['14', '15'] }", "");
    assert_eq!(changes(&free, BASE), [(InputEnumAdded, Major)]);
    assert_eq!(changes(BASE, &free), [(InputEnumRemoved, Minor)]);
}

#[test]
fn outputs() {
    assert_eq!(
        changes(BASE, &edit("    - { name: endpoint, type: string }\n", "")),
        [(OutputRemoved, Major)]
    );
    assert_eq!(
        changes(
            BASE,
            &edit("{ name: endpoint, type: string }", "{ name: endpoint, type: integer }")
        ),
        [(OutputTypeChanged, Major)]
    );
    let added = edit(
        "    - { name: endpoint, type: string }\n",
        "    - { name: endpoint, type: string }\n    - { name: port, type: integer }\n",
    );
    assert_eq!(changes(BASE, &added), [(OutputAdded, Minor)]);
    let described = edit(
        "{ name: endpoint, type: string }",
        "{ name: endpoint, type: string, description: Where to connect }",
    );
    assert_eq!(changes(BASE, &described), [(OutputDescriptionChanged, Patch)]);
}

#[test]
fn engines() {
    assert_eq!(
        changes(BASE, &edit("[terraform]", "[terraform, pulumi]")),
        [(EngineAdded, Minor)]
    );
    assert_eq!(
        changes(&edit("[terraform]", "[terraform, pulumi]"), BASE),
        [(EngineRemoved, Major)]
    );
    assert_eq!(
        changes(BASE, &edit("module_source: a/b", "module_source: c/d")),
        [(EngineModuleSourceChanged, Major)]
    );
    assert_eq!(
        changes(BASE, &edit("'5.1.0'", "'6.0.0'")),
        [(EngineModuleVersionChanged, Major)]
    );
    assert_eq!(
        changes(BASE, &edit("'5.1.0'", "'5.2.0'")),
        [(EngineModuleVersionChanged, Minor)]
    );
    assert_eq!(
        changes(BASE, &edit("'5.1.0'", "'5.1.3'")),
        [(EngineModuleVersionChanged, Patch)]
    );
    assert_eq!(
        changes(BASE, &edit("'5.1.0'", "main")),
        [(EngineModuleRefChanged, Minor)]
    );
}

#[test]
fn documentation_only_is_patch() {
    let (a, a_json) = definition(BASE);
    let (mut b, mut b_json) = definition(BASE);
    b_json["metadata"]["description"] = Json::String("Now with docs".into());
    b.maintainers.push("team@example.com".into());
    let found = classify(&a, &a_json, &b, &b_json);
    assert_eq!(
        found.iter().map(|f| (f.rule, f.class)).collect::<Vec<_>>(),
        [(DocumentationChanged, Patch)]
    );
}

#[test]
fn bumps_and_suggestions() {
    let v = |s: &str| semver::Version::parse(s).unwrap();
    assert_eq!(bump(&v("1.1.0"), &v("1.2.0")), Minor);
    assert_eq!(bump(&v("1.1.0"), &v("2.0.0")), Major);
    assert_eq!(bump(&v("1.1.0"), &v("1.1.1")), Patch);
    assert_eq!(bump(&v("1.1.0"), &v("1.2.0-rc.1")), Minor);
    assert_eq!(bump(&v("0.1.0"), &v("0.2.0")), Major);
    assert_eq!(bump(&v("0.1.0"), &v("0.1.1")), Minor);
    assert_eq!(suggest(&v("1.1.0"), Major), Some(v("2.0.0")));
    assert_eq!(suggest(&v("1.1.3"), Minor), Some(v("1.2.0")));
    assert_eq!(suggest(&v("0.3.1"), Major), Some(v("0.4.0")));
    assert_eq!(suggest(&v("0.3.1"), Minor), Some(v("0.3.2")));
    // A number at u64::MAX cannot be raised; nothing wraps to 0.
    assert_eq!(suggest(&v("18446744073709551615.0.0"), Major), Option::None);
    assert_eq!(
        suggest(&v("18446744073709551615.0.0"), Minor),
        Some(v("18446744073709551615.1.0"))
    );
    assert_eq!(suggest(&v("1.18446744073709551615.0"), Minor), Option::None);
    assert_eq!(suggest(&v("1.0.18446744073709551615"), Patch), Option::None);
    assert!(suggestion_text(&v("18446744073709551615.0.0"), Major).contains("cannot be bumped"));
}
