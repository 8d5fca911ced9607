use super::*;
use crate::model::lower_document;
use crate::parse::parse_yaml;

fn catalog(files: &[(&str, &str)]) -> (Catalog, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut entities = Vec::new();
    for (name, text) in files {
        let parsed = parse_yaml(name, text);
        diagnostics.extend(parsed.diagnostics);
        entities.extend(
            parsed
                .documents
                .into_iter()
                .filter_map(|d| lower_document(name, d, &mut diagnostics)),
        );
    }
    let entities = entities.into_iter().map(std::sync::Arc::new).collect();
    let (catalog, more) = resolve(entities, &Default::default(), &Config::default());
    diagnostics.extend(more);
    (catalog, diagnostics)
}

const TEAMS: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: payments, annotations: { slack.com/channel: '#pay', pagerduty.com/service-id: PX } }\nspec: { type: team, children: [] }\n---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: ana }\nspec: { memberOf: [payments] }\n";

fn component(name: &str, spec: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: {name} }}\nspec: {{ type: service, lifecycle: production, {spec} }}\n")
}

/// The index of the entity `kind:default/name`.
fn index_of(catalog: &Catalog, kind: Kind, name: &str) -> usize {
    catalog.index[&EntityKey::new(kind, "default", name)]
}

/// The indices of the Components `a`, `b` and `c`.
fn components_abc(catalog: &Catalog) -> (usize, usize, usize) {
    let component = |name| index_of(catalog, Kind::Component, name);
    (component("a"), component("b"), component("c"))
}

#[test]
fn relations_are_recorded_both_ways_and_transitively() {
    let a = component("a", "owner: payments, dependsOn: [component:b]");
    let b = component("b", "owner: user:ana, dependsOn: [component:c]");
    let c = component("c", "owner: payments");
    let (catalog, diagnostics) = catalog(&[("t.yaml", TEAMS), ("a.yaml", &a), ("b.yaml", &b), ("c.yaml", &c)]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let idx = |k: Kind, n: &str| index_of(&catalog, k, n);
    let (a, b, c) = components_abc(&catalog);
    assert_eq!(catalog.transitive(a, RelationKind::DependsOn), [(b, 1), (c, 2)]);
    assert_eq!(catalog.transitive(c, RelationKind::DependencyOf), [(b, 1), (a, 2)]);
    let payments = idx(Kind::Group, "payments");
    assert_eq!(
        catalog.related(payments, RelationKind::OwnerOf).collect::<Vec<_>>(),
        [a, c]
    );
    assert_eq!(
        catalog.related(payments, RelationKind::HasMember).collect::<Vec<_>>(),
        [idx(Kind::User, "ana")]
    );
    let service_a = catalog.services.iter().find(|s| s.entity == a).unwrap();
    assert_eq!(service_a.slack.as_deref(), Some("#pay"));
    assert!(service_a.on_call[0].from_owner);
}

#[test]
fn unresolved_refs_suggest_existing_names() {
    let a = component(
        "a",
        "owner: paymnets, system: nowhere, consumesApis: [component:b], dependsOn: [b]",
    );
    let (_, diagnostics) = catalog(&[
        ("t.yaml", TEAMS),
        ("a.yaml", &a),
        ("b.yaml", &component("b", "owner: payments")),
    ]);
    let found: Vec<_> = diagnostics
        .iter()
        .map(|d| (d.code, d.location.pointer.as_str(), d.help.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        found[0],
        (
            Code::UnresolvedRef,
            "/spec/owner",
            "did you mean `payments`?".to_string()
        )
    );
    assert_eq!(found[1].0, Code::UnresolvedRef);
    assert_eq!(found[2].0, Code::RefWrongKind);
    assert_eq!(
        found[3],
        (
            Code::InvalidRef,
            "/spec/dependsOn/0",
            "`spec.dependsOn` needs the kind: write `component:b` or `resource:b`".to_string()
        )
    );
}

#[test]
fn duplicates_name_both_places() {
    let a = component("a", "owner: payments");
    let (catalog, diagnostics) = catalog(&[
        ("t.yaml", TEAMS),
        ("one.yaml", &a),
        ("two.yaml", &a.replace("name: a", "name: A")),
    ]);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, Code::DuplicateEntity);
    assert_eq!(diagnostics[0].location.file, "two.yaml");
    assert_eq!(diagnostics[0].related[0].location.file, "one.yaml");
    assert_eq!(catalog.entities.iter().filter(|e| e.kind == Kind::Component).count(), 1);
}

#[test]
fn group_cycles_are_reported_once() {
    let group = |name: &str, parent: &str| {
        format!("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{ name: {name} }}\nspec: {{ type: team, parent: {parent}, children: [] }}\n")
    };
    let (_, diagnostics) = catalog(&[(
        "g.yaml",
        &[group("a", "b"), group("b", "c"), group("c", "a"), group("d", "a")].join("---\n"),
    )]);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, Code::GroupCycle);
    assert!(diagnostics[0].message.contains("a → b → c → a"));
}

#[test]
fn a_repeated_ref_is_one_relation_and_each_component_has_its_service() {
    let a = component(
        "a",
        "owner: payments, dependsOn: [component:b, component:b, component:c]",
    );
    let b = component("b", "owner: payments");
    let c = component("c", "owner: payments, dependsOn: [component:b]");
    let (catalog, diagnostics) = catalog(&[("t.yaml", TEAMS), ("a.yaml", &a), ("b.yaml", &b), ("c.yaml", &c)]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let idx = |k: Kind, n: &str| index_of(&catalog, k, n);
    let (a, b, c) = components_abc(&catalog);
    let depends: Vec<usize> = catalog.related(a, RelationKind::DependsOn).collect();
    assert_eq!(depends, [b, c], "sorted by target, the repeat dropped");
    let dependents: Vec<usize> = catalog.related(b, RelationKind::DependencyOf).collect();
    assert_eq!(dependents, [a, c]);
    for entity in [a, b, c] {
        assert_eq!(catalog.service_of(entity).map(|s| s.entity), Some(entity));
    }
    assert!(catalog.service_of(idx(Kind::Group, "payments")).is_none());
    assert!(catalog.service_of(catalog.entities.len()).is_none(), "past the end");
}
