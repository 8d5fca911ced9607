//! The versioning gates of SEMVER.md over ResourceDefinitions:
//!
//! * published versions never change (`published-version-changed`, with the
//!   fields that differ), are never deleted (`published-version-deleted`)
//!   and their numbers are never reused (`version-reused`);
//! * a new version is higher than every published version of its major line
//!   (`version-not-increasing`);
//! * a new version's bump from its baseline covers the largest change
//!   `resolve::changes` found (`version-bump-too-small`), listing every
//!   finding and the version to use instead.
//!
//! What is published comes from git (`load::published`); outside git every
//! version is new.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic, FilePosition, Severity};
use crate::load::published::{digest, Published};
use crate::resolve::changes::{bump, suggestion_text, ChangeClass, Finding};
use crate::resolve::{version_of, Catalog};

/// Runs every versioning gate.
pub fn check(catalog: &Catalog, published: &Published, diagnostics: &mut Vec<Diagnostic>) {
    let current = current(catalog);
    published_gates(catalog, &current, published, diagnostics);
    increasing(catalog, &current, published, diagnostics);
    bumps(catalog, published, diagnostics);
}

/// The current definition versions: `(name, version)` → entity index.
type Current = BTreeMap<(String, String), usize>;

/// The current definition versions by `(name, version)`.
fn current(catalog: &Catalog) -> Current {
    catalog
        .resources
        .values()
        .flatten()
        .filter_map(|&i| {
            let entity = &catalog.entities[i];
            let version = entity.resource_definition.as_ref()?.version.clone()?;
            Some(((entity.metadata.name.clone(), version), i))
        })
        .collect()
}

fn published_gates(catalog: &Catalog, current: &Current, published: &Published, diagnostics: &mut Vec<Diagnostic>) {
    for (key, was) in &published.versions {
        let (name, version) = key;
        match (current.get(key), &was.at_base) {
            (Some(&index), Some(base_document)) => {
                let entity = &catalog.entities[index];
                let now = entity.to_json();
                if digest(&now) != digest(base_document) {
                    let mut changed = Vec::new();
                    crate::util::json_diff(base_document, &now, String::new(), &mut changed);
                    let shown: Vec<&String> = changed.iter().take(8).collect();
                    let more = if changed.len() > 8 {
                        format!(" and {} more", changed.len() - 8)
                    } else {
                        String::new()
                    };
                    diagnostics.push(
                        Diagnostic::new(
                            Code::PublishedVersionChanged,
                            entity.location("/metadata/version"),
                            format!(
                                "{name} {version} is published and was changed: {}{more}",
                                shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; ")
                            ),
                        )
                        .with_help("restore the published content and put the change in a new version"),
                    );
                }
            }
            (Some(&index), None) => {
                let entity = &catalog.entities[index];
                if !was.digests.contains(&digest(&entity.to_json())) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::VersionReused,
                            entity.location("/metadata/version"),
                            format!("{name} {version} was published before with other content"),
                        )
                        .with_help("a version number is used once: give this content a new version"),
                    );
                }
            }
            (None, Some(_)) => diagnostics.push(
                Diagnostic::new(
                    Code::PublishedVersionDeleted,
                    FilePosition::file_only(&was.path),
                    format!("{name} {version} is published and was deleted"),
                )
                .with_help(
                    "restore the file; to retire the version set `metadata.yanked: true` with a `yanked_reason`",
                ),
            ),
            (None, None) => {}
        }
    }
}

/// A new version must be higher than every published version of its major
/// line.
fn increasing(catalog: &Catalog, current: &Current, published: &Published, diagnostics: &mut Vec<Diagnostic>) {
    for ((name, version), &index) in current {
        if published.versions.contains_key(&(name.clone(), version.clone())) {
            continue;
        }
        let Some(new) = semver::Version::parse(version).ok() else {
            continue;
        };
        let higher = published
            .versions
            .keys()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| semver::Version::parse(v).ok())
            .filter(|p| p.major == new.major && *p >= new)
            .max();
        if let Some(higher) = higher {
            diagnostics.push(
                Diagnostic::new(
                    Code::VersionNotIncreasing,
                    catalog.entities[index].location("/metadata/version"),
                    format!("{name} {version} is new but not higher than the published {higher} of its major line"),
                )
                .with_help(format!(
                    "use a version above {higher}, e.g. {}",
                    suggestion_text(&higher, crate::resolve::changes::ChangeClass::Patch)
                )),
            );
        }
    }
}

/// Each new version's bump covers its changes.
fn bumps(catalog: &Catalog, published: &Published, diagnostics: &mut Vec<Diagnostic>) {
    let mut versions: Vec<_> = catalog.changes.iter().collect();
    versions.sort_by_key(|(v, _)| **v);
    for (&index, change) in versions {
        let entity = &catalog.entities[index];
        let baseline_entity = &catalog.entities[change.baseline];
        let (Some(version), Some(baseline)) = (version_of(entity), version_of(baseline_entity)) else {
            continue;
        };
        if published
            .versions
            .contains_key(&(entity.metadata.name.clone(), version.to_string()))
        {
            // Published versions are held to the gates above, not re-judged.
            continue;
        }
        let actual = bump(&baseline, &version);
        if actual >= change.class {
            possibly_breaking(catalog, index, &baseline, actual, &change.findings, diagnostics);
            continue;
        }
        let relevant: Vec<&Finding> = change.findings.iter().filter(|f| f.class > actual).collect();
        let listing: Vec<String> = relevant.iter().map(|f| describe(f)).collect();
        let use_instead = suggestion_text(&baseline, change.class);
        let message = format!(
            "{} {version} is a {} bump from {baseline}, but its changes are {}: {}",
            entity.metadata.name,
            actual.as_str(),
            change.class.as_str(),
            listing.join("; ")
        );
        let mut diagnostic = Diagnostic::new(Code::VersionBumpTooSmall, entity.location("/metadata/version"), message)
            .with_help(format!("publish these changes as {use_instead} (or undo them)"))
            .with_related(
                format!("baseline {baseline}"),
                baseline_entity.location("/metadata/version"),
            );
        if !version.pre.is_empty() {
            // Findings stay warnings while the version is a pre-release.
            diagnostic = diagnostic.with_severity(Severity::Warning);
        }
        diagnostics.push(diagnostic);
    }
}

/// A warning for possibly breaking findings in a bump below major.
fn possibly_breaking(
    catalog: &Catalog,
    index: usize,
    baseline: &semver::Version,
    actual: ChangeClass,
    findings: &[Finding],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let risky: Vec<String> = findings.iter().filter(|f| f.possibly_breaking).map(describe).collect();
    if risky.is_empty() || actual == ChangeClass::Major {
        return;
    }
    let entity = &catalog.entities[index];
    let version = entity
        .resource_definition
        .as_ref()
        .and_then(|rd| rd.version.as_deref())
        .unwrap_or_default();
    diagnostics.push(
        Diagnostic::new(
            Code::VersionBumpTooSmall,
            entity.location("/metadata/version"),
            format!(
                "{} {version} has possibly breaking changes for a {} bump: {}",
                entity.metadata.name,
                actual.as_str(),
                risky.join("; ")
            ),
        )
        .with_severity(Severity::Warning)
        .with_help(format!(
            "if users can break, publish as {}",
            suggestion_text(baseline, ChangeClass::Major)
        )),
    );
}

/// `input-min-raised (major) at /spec/…/min: 10 → 20; witness …`
fn describe(finding: &Finding) -> String {
    let mut text = format!("{} ({})", finding.rule, finding.class.as_str());
    if !finding.pointer.is_empty() {
        text.push_str(&format!(" at {}", finding.pointer));
    }
    if finding.old.is_some() || finding.new.is_some() {
        let show = |v: &Option<serde_json::Value>| v.as_ref().map_or("—".to_string(), ToString::to_string);
        text.push_str(&format!(": {} → {}", show(&finding.old), show(&finding.new)));
    }
    if let Some(witness) = &finding.witness {
        text.push_str(&format!(", e.g. {witness} was valid"));
    }
    if let Some(hint) = &finding.hint {
        text.push_str(&format!(" ({hint})"));
    }
    text
}

#[cfg(test)]
mod tests;
