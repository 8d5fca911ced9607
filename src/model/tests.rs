use super::*;
use crate::parse::parse_yaml;

fn lower(text: &str) -> (Vec<Entity>, Vec<Diagnostic>) {
    let parsed = parse_yaml("e.yaml", text);
    let mut diagnostics = parsed.diagnostics;
    let entities = parsed
        .documents
        .into_iter()
        .filter_map(|d| lower_document("e.yaml", d, &mut diagnostics))
        .collect();
    (entities, diagnostics)
}

#[test]
fn lowers_a_component_with_refs() {
    let (entities, diagnostics) = lower(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n  annotations: { cairn.dev/tier: tier1 }\n  links: [{ url: 'https://r', type: runbook }]\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n  dependsOn: [component:cart, resource:db]\n",
    );
    assert!(diagnostics.is_empty());
    let e = &entities[0];
    assert_eq!(e.kind, Kind::Component);
    assert_eq!(e.metadata.namespace, "default");
    assert_eq!(e.annotation("cairn.dev/tier"), Some("tier1"));
    assert_eq!(e.metadata.links[0].kind.as_deref(), Some("runbook"));
    let refs: Vec<_> = e.refs.iter().map(|r| (r.field, r.text.as_str(), r.pointer())).collect();
    assert_eq!(
        refs,
        [
            (RefField::Owner, "payments", "/spec/owner".to_string()),
            (RefField::DependsOn, "component:cart", "/spec/dependsOn/0".to_string()),
            (RefField::DependsOn, "resource:db", "/spec/dependsOn/1".to_string()),
        ]
    );
}

#[test]
fn skips_documents_of_other_groups_silently() {
    let (entities, diagnostics) =
        lower("on: push\njobs: {}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\n");
    assert!(entities.is_empty());
    assert!(diagnostics.is_empty());
}

#[test]
fn unknown_kind_in_a_known_group_suggests_one() {
    let (entities, diagnostics) = lower("apiVersion: backstage.io/v1alpha1\nkind: Componnet\nmetadata: { name: x }\n");
    assert!(entities.is_empty());
    assert_eq!(diagnostics[0].code, Code::UnknownKind);
    assert_eq!(diagnostics[0].location.line, 2);
    assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `Component`?"));
}

#[test]
fn missing_name_points_at_metadata() {
    let (entities, diagnostics) = lower("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  title: x\n");
    assert!(entities.is_empty());
    assert_eq!(
        (diagnostics[0].code, diagnostics[0].location.line),
        (Code::SchemaViolation, 4)
    );
}

#[test]
fn lowers_the_seed_resource_definition() {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed-resource-definition/aws-rds-mysql.yaml"
    ))
    .unwrap();
    let (entities, diagnostics) = lower(&seed);
    assert!(diagnostics.is_empty());
    let rd = entities[0].resource_definition.as_ref().unwrap();
    assert_eq!(rd.version.as_deref(), Some("1.2.0"));
    assert_eq!(rd.inputs.len(), 3);
    assert!(rd.inputs[0].required && !rd.inputs[2].required);
    assert_eq!(rd.inputs[1].min, Some(20.0));
    assert_eq!(rd.outputs.len(), 2);
    assert_eq!(rd.engine_configs.len(), 3);
}

#[test]
fn a_breach_is_said_in_the_request_form_s_words() {
    use serde_json::json;
    let input = |value_type: &str| crate::model::Input {
        name: "x".into(),
        value_type: Some(crate::model::ValueType::parse(value_type)),
        min: Some(2.0),
        max: Some(3.5),
        pattern: Some("^a".into()),
        ..Default::default()
    };
    let reason = |value_type: &str, value: serde_json::Value| {
        let input = input(value_type);
        input.breach(&value).map(|b| b.reason(&input, &value))
    };
    assert_eq!(reason("integer", json!(2.5)).as_deref(), Some("must be a whole number"));
    assert_eq!(reason("integer", json!(1)).as_deref(), Some("must be at least 2"));
    assert_eq!(reason("number", json!(4)).as_deref(), Some("must be at most 3.5"));
    assert_eq!(
        reason("string", json!("a")).as_deref(),
        Some("must be at least 2 characters long")
    );
    assert_eq!(
        reason("string", json!("bb")).as_deref(),
        Some("must match the pattern ^a")
    );
    assert_eq!(
        reason("array", json!([1, 2, 3, 4])).as_deref(),
        Some("must have at most 3.5 items")
    );
    assert_eq!(reason("object", json!([])).as_deref(), Some("must be a JSON object"));
    assert_eq!(reason("string", json!("ab")), None);
    let choice = crate::model::Input {
        name: "tier".into(),
        allowed: Some(vec![json!("gp2"), json!(3)]),
        ..Default::default()
    };
    let value = json!("io1");
    assert_eq!(
        choice.breach(&value).map(|b| b.reason(&choice, &value)).as_deref(),
        Some("must be one of gp2, 3")
    );
}

#[test]
fn value_types_are_read_once_and_written_as_declared() {
    use crate::model::ValueType;
    for text in ["string", "integer", "number", "boolean", "array", "object", "uuid"] {
        let value_type = ValueType::parse(text);
        assert_eq!(value_type.as_str(), text);
        assert_eq!(serde_json::to_value(&value_type).unwrap(), text);
    }
    assert_eq!(ValueType::parse("integer"), ValueType::Integer);
    assert_eq!(ValueType::parse("uuid"), ValueType::Other("uuid".into()));
    assert!(
        ValueType::Other("uuid".into()).admits(&serde_json::json!([1])),
        "an unknown type admits anything"
    );
}

#[test]
fn labels_and_annotations_are_sorted_and_a_repeated_key_keeps_its_last_value() {
    let map: StringMap = [("b", "1"), ("a", "2"), ("b", "3"), ("c", "4"), ("a", "5")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(map.iter().collect::<Vec<_>>(), [("a", "5"), ("b", "3"), ("c", "4")]);
    assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!((map.get("a"), map.get("c"), map.get("d")), (Some("5"), Some("4"), None));
    assert_eq!(StringMap::default().get("a"), None);
    let (entities, _) = lower(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c\n  labels: { z: '1', y: '2' }\n  annotations: { b.io/x: '1', a.io/y: '2', n: 3 }\nspec: { type: service, lifecycle: production, owner: o }\n",
    );
    let meta = &entities[0].metadata;
    assert_eq!(meta.labels.iter().collect::<Vec<_>>(), [("y", "2"), ("z", "1")]);
    assert_eq!(
        meta.annotations.keys().collect::<Vec<_>>(),
        ["a.io/y", "b.io/x"],
        "a non-string value is not an annotation"
    );
}
