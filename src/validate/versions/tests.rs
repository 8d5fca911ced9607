use super::*;
use crate::config::Config;
use crate::model::lower_document;
use crate::parse::parse_yaml;
use crate::resolve::changes::ChangeClass;

fn check_versions(documents: &[String]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut entities = Vec::new();
    for (i, text) in documents.iter().enumerate() {
        let file = format!("v{i}.yaml");
        let parsed = parse_yaml(&file, text);
        entities.extend(
            parsed
                .documents
                .into_iter()
                .filter_map(|d| lower_document(&file, d, &mut diagnostics)),
        );
    }
    let entities = entities.into_iter().map(std::sync::Arc::new).collect();
    let (catalog, _) = crate::resolve::resolve(entities, &Default::default(), &Config::default());
    let mut found = Vec::new();
    check(&catalog, &Published::default(), &mut found);
    found
}

fn version(v: &str, min: u32) -> String {
    format!("apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: {{ name: db, version: '{v}' }}\nspec:\n  required_inputs:\n    - {{ name: storage_gb, type: integer, validation: {{ min: {min} }} }}\n")
}

#[test]
fn a_breaking_change_in_a_minor_bump_is_reported_with_the_version_to_use() {
    let found = check_versions(&[version("1.1.0", 10), version("1.2.0", 20)]);
    assert_eq!(found.len(), 1);
    let d = &found[0];
    assert_eq!(
        (d.code, d.severity, d.location.file.as_str()),
        (Code::VersionBumpTooSmall, Severity::Error, "v1.yaml")
    );
    assert!(d.message.contains("input-min-raised (major)"), "{}", d.message);
    assert!(d.message.contains("`storage_gb: 19`"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("publish these changes as 2.0.0 (or undo them)"));
}

#[test]
fn a_big_enough_bump_passes() {
    assert_eq!(check_versions(&[version("1.1.0", 10), version("2.0.0", 20)]), []);
    assert_eq!(
        check_versions(&[version("1.1.0", 20), version("1.1.1", 10)]).len(),
        1,
        "loosening is minor, not patch"
    );
    assert_eq!(check_versions(&[version("1.1.0", 20), version("1.2.0", 10)]), []);
}

#[test]
fn zero_major_versions_follow_cargo() {
    assert_eq!(
        check_versions(&[version("0.1.0", 10), version("0.2.0", 20)]),
        [],
        "0.1 → 0.2 is major"
    );
    let found = check_versions(&[version("0.1.0", 10), version("0.1.1", 20)]);
    assert_eq!(
        found[0].help.as_deref(),
        Some("publish these changes as 0.2.0 (or undo them)")
    );
}

#[test]
fn pre_releases_are_checked_as_their_release_with_warnings() {
    let found = check_versions(&[version("1.1.0", 10), version("1.2.0-rc.1", 20)]);
    assert_eq!(found[0].severity, Severity::Warning);
    let found = check_versions(&[version("1.1.0", 10), version("1.2.0-rc.1", 20), version("1.2.0", 20)]);
    assert_eq!(
        found.iter().map(|d| d.severity).collect::<Vec<_>>(),
        [Severity::Warning, Severity::Error],
        "the release is an error"
    );
}

#[test]
fn backports_compare_with_their_own_line() {
    // 1.4.1 after 2.0.0 is compared with 1.4.0, not 2.0.0.
    assert_eq!(
        check_versions(&[version("1.4.0", 10), version("2.0.0", 20), version("1.4.1", 10)]),
        []
    );
}

#[test]
fn possibly_breaking_changes_warn_in_a_minor_bump() {
    let with_default =
        |v: &str| version(v, 10).replace("validation: { min: 10 } }", "default: 20, validation: { min: 10 } }");
    let found = check_versions(&[version("1.0.0", 10), with_default("1.1.0")]);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].code, found[0].severity),
        (Code::VersionBumpTooSmall, Severity::Warning)
    );
    assert!(found[0].message.contains("input-default-added"), "{}", found[0].message);
    assert_eq!(check_versions(&[version("1.0.0", 10), with_default("2.0.0")]), []);
}

#[test]
fn change_classes_are_ordered() {
    assert!(ChangeClass::Major > ChangeClass::Minor && ChangeClass::Minor > ChangeClass::Patch);
}
