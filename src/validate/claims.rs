//! ResourceClaims, checked against the definition version they resolve to
//! (`resolve::claims`) like a compiler checks a call against a signature:
//!
//! * the definition exists (`claim-unknown-resource`, with "did you mean"),
//!   `spec.version` is a version or a requirement (`claim-version-invalid`)
//!   and some version matches it (`claim-unknown-version`); an exact pin to
//!   a yanked version is `claim-version-yanked` (naming the newest
//!   compatible version), a deprecated one `claim-version-deprecated`;
//! * the inputs, exactly as the portal's request form checks them
//!   (`model::Input::breach`, in the form's words): required inputs are
//!   written (`claim-input-missing`), every input exists
//!   (`claim-input-unknown`, with the closest name) and each value passes
//!   type, enum, min/max and pattern (`claim-input-type`,
//!   `claim-input-enum`, `claim-input-range`, `claim-input-pattern`);
//! * upgrade impact: for each new version of a definition that was
//!   published before, the claims of older versions that could move to it
//!   as they are and those that could not (`claim-upgrade-impact` on the
//!   version, `claim-upgrade-blocked` on each claim, with the input, the
//!   rule and the SEMVER.md finding behind it).
//!
//! These rules read other entities (the definitions), so they run over the
//! whole catalog on every compile, like `versions`, not per entity.

use rayon::prelude::*;
use semver::Version;

use crate::diagnostics::{did_you_mean, Code, Diagnostic, FilePosition};
use crate::load::published::Published;
use crate::model::{version_text, Breach, Entity};
use crate::resolve::claims::{
    self, blockers, caret, finding_text, newest_compatible, problems, Problem, Requirement, Resolution, Unresolved,
};
use crate::resolve::{version_of, Catalog};
use crate::util::escape_pointer;

/// Checks every claim, and the upgrade impact of new definition versions.
pub fn check(catalog: &Catalog, published: &Published, diagnostics: &mut Vec<Diagnostic>) {
    let found: Vec<Diagnostic> = claims::claims(catalog)
        .into_par_iter()
        .flat_map_iter(|c| check_claim(catalog, c))
        .collect();
    diagnostics.extend(found);
    upgrade_impact(catalog, published, diagnostics);
}

fn check_claim(catalog: &Catalog, c: usize) -> Vec<Diagnostic> {
    let entity = &catalog.entities[c];
    let Some(claim) = &entity.resource_claim else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match claims::resolve(catalog, claim) {
        Ok(resolution) => {
            version_status(catalog, entity, &resolution, &mut out);
            let version = &catalog.entities[resolution.version];
            if let Some(definition) = &version.resource_definition {
                let title = definition_title(version);
                for problem in problems(definition, claim) {
                    out.push(input_diagnostic(entity, version, &title, &problem));
                }
            }
        }
        Err(Unresolved::Incomplete) => {}
        Err(Unresolved::NoDefinition) => out.push(unknown_resource(catalog, entity)),
        Err(Unresolved::BadVersion(why)) => out.push(
            Diagnostic::new(Code::ClaimVersionInvalid, entity.location("/spec/version"), why)
                .with_help("`spec.version` is an exact version (`2.0.0`) or a requirement with an operator (`^2.0`, `~1.1`, `>=1.2, <2`)"),
        ),
        Err(Unresolved::NoMatch {
            definition,
            requirement,
        }) => out.push(unknown_version(catalog, entity, &definition, &requirement)),
    }
    out
}

/// `aws-rds-postgres 2.0.0`, as the definition writes its name.
fn definition_title(version: &Entity) -> String {
    format!("{} {}", version.metadata.name, version_text(version))
}

fn unknown_resource(catalog: &Catalog, entity: &Entity) -> Diagnostic {
    let written = entity
        .resource_claim
        .as_ref()
        .and_then(|c| c.resource.as_deref())
        .unwrap_or_default();
    let names: Vec<&str> = catalog
        .resources
        .values()
        .filter_map(|versions| versions.first())
        .map(|&v| catalog.entities[v].metadata.name.as_str())
        .collect();
    let diagnostic = Diagnostic::new(
        Code::ClaimUnknownResource,
        entity.location("/spec/resource"),
        format!("`spec.resource` names `{written}`, which is not a ResourceDefinition of the catalog"),
    );
    match did_you_mean(written, names.iter().copied()) {
        Some(name) => diagnostic.with_help(format!("did you mean `{name}`?")),
        None if names.is_empty() => diagnostic.with_help("the catalog has no ResourceDefinitions"),
        None => diagnostic.with_help(format!("the catalog's ResourceDefinitions: {}", names.join(", "))),
    }
}

fn unknown_version(catalog: &Catalog, entity: &Entity, definition: &str, requirement: &Requirement) -> Diagnostic {
    let versions = &catalog.resources[definition];
    let name = &catalog.entities[versions[0]].metadata.name;
    let listed: Vec<&str> = versions.iter().map(|&v| version_text(&catalog.entities[v])).collect();
    let written = entity
        .resource_claim
        .as_ref()
        .and_then(|c| c.version.as_deref())
        .unwrap_or_default();
    let only_yanked: Vec<&str> = versions
        .iter()
        .filter(|&&v| claims::yanked(catalog, v))
        .filter(|&&v| version_of(&catalog.entities[v]).is_some_and(|version| requirement.matches(&version)))
        .map(|&v| version_text(&catalog.entities[v]))
        .collect();
    let message = if only_yanked.is_empty() {
        format!(
            "{name} has no version matching `{written}` (it has {})",
            listed.join(", ")
        )
    } else {
        format!(
            "{name} has no version matching `{written}` that is not yanked (yanked: {})",
            only_yanked.join(", ")
        )
    };
    let latest = latest(catalog, versions);
    let help = match (requirement, nearest(catalog, versions, requirement)) {
        (Requirement::Exact(_), Some(close)) => format!("did you mean `{close}`?"),
        _ => match latest {
            Some(latest) => format!(
                "the newest version is {latest}: write `{latest}` or `{}`",
                caret(&latest)
            ),
            None => "every version of it is yanked".into(),
        },
    };
    Diagnostic::new(Code::ClaimUnknownVersion, entity.location("/spec/version"), message).with_help(help)
}

/// For an exact version that does not exist, the version nearest to it
/// that is not yanked: the closest patch of its minor, else of its major…
fn nearest(catalog: &Catalog, versions: &[usize], requirement: &Requirement) -> Option<Version> {
    let Requirement::Exact(wanted) = requirement else {
        return None;
    };
    versions
        .iter()
        .filter(|&&v| !claims::yanked(catalog, v))
        .filter_map(|&v| version_of(&catalog.entities[v]))
        .min_by_key(|v| {
            (
                v.major.abs_diff(wanted.major),
                v.minor.abs_diff(wanted.minor),
                v.patch.abs_diff(wanted.patch),
                std::cmp::Reverse(v.clone()),
            )
        })
}

/// The highest version that is neither yanked nor deprecated nor a
/// pre-release, else the highest that is not yanked.
fn latest(catalog: &Catalog, versions: &[usize]) -> Option<Version> {
    let usable = |v: &&usize| !claims::yanked(catalog, **v);
    let parsed = |v: &usize| version_of(&catalog.entities[*v]);
    let settled = versions
        .iter()
        .filter(usable)
        .filter(|&&v| {
            let d = catalog.entities[v].resource_definition.as_ref();
            !d.is_some_and(|d| d.deprecated)
        })
        .filter_map(parsed)
        .filter(|v| v.pre.is_empty())
        .max();
    settled.or_else(|| versions.iter().filter(usable).filter_map(parsed).max())
}

/// Yanked or deprecated resolved versions.
fn version_status(catalog: &Catalog, entity: &Entity, resolution: &Resolution, out: &mut Vec<Diagnostic>) {
    let version = &catalog.entities[resolution.version];
    let Some(definition) = &version.resource_definition else {
        return;
    };
    let title = definition_title(version);
    let reason = |key: &str| {
        version
            .node
            .pointer(&format!("/metadata/{key}"))
            .and_then(|n| n.as_str())
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    };
    let related = ("the version", version.location("/metadata/version"));
    if definition.yanked {
        let help = match version_of(version)
            .and_then(|v| newest_compatible(catalog, &resolution.definition, &v))
            .map(|v| version_text(&catalog.entities[v]))
        {
            Some(newest) => format!("use {newest}, the newest version compatible with it that is not yanked"),
            None => match latest(catalog, &catalog.resources[&resolution.definition]) {
                Some(latest) => format!("no compatible version is available; the newest is {latest}"),
                None => "every version of it is yanked".into(),
            },
        };
        out.push(
            Diagnostic::new(
                Code::ClaimVersionYanked,
                entity.location("/spec/version"),
                format!("{title} is yanked{}", reason("yanked_reason")),
            )
            .with_help(help)
            .with_related(related.0, related.1.clone()),
        );
    } else if definition.deprecated {
        let help = match latest(catalog, &catalog.resources[&resolution.definition]) {
            Some(latest) if version_of(version).is_some_and(|v| v < latest) => format!("move to {latest}"),
            _ => "no newer version is available yet".into(),
        };
        out.push(
            Diagnostic::new(
                Code::ClaimVersionDeprecated,
                entity.location("/spec/version"),
                format!("{title} is deprecated{}", reason("deprecated")),
            )
            .with_help(help)
            .with_related(related.0, related.1),
        );
    }
}

/// Where a problem of input `input` is in the claim: its value, or for a
/// missing one `spec.inputs` (or `spec`).
fn input_location(entity: &Entity, problem: &Problem) -> FilePosition {
    let pointer = format!("/spec/inputs/{}", escape_pointer(problem.input()));
    match problem {
        Problem::Missing { .. } if entity.node.pointer("/spec/inputs").is_some() => entity.key_location("/spec/inputs"),
        Problem::Missing { .. } => entity.location("/spec"),
        Problem::Unknown { .. } => entity.key_location(&pointer),
        Problem::Rejected { .. } => entity.location(&pointer),
    }
}

fn input_diagnostic(entity: &Entity, version: &Entity, title: &str, problem: &Problem) -> Diagnostic {
    let definition = version.resource_definition.as_ref().expect("a definition version");
    let input = definition.inputs.iter().find(|i| i.name == problem.input());
    let name = problem.input();
    let location = input_location(entity, problem);
    let (code, help) = match problem {
        Problem::Missing { .. } => (
            Code::ClaimInputMissing,
            format!(
                "add `{name}` under `spec.inputs`{}",
                input
                    .and_then(|i| i.description.as_deref())
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
        ),
        Problem::Unknown { suggestion, .. } => {
            let names: Vec<&str> = definition.inputs.iter().map(|i| i.name.as_str()).collect();
            let help = match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => format!("{title} has no inputs"),
                None => format!("{title} has the inputs {}", names.join(", ")),
            };
            (Code::ClaimInputUnknown, help)
        }
        Problem::Rejected { breach, .. } => match breach {
            Breach::Type(t) => (Code::ClaimInputType, format!("write a value of type {t}")),
            Breach::NotAllowed => (Code::ClaimInputEnum, "use one of the allowed values".into()),
            Breach::BelowMin(..) | Breach::AboveMax(..) => {
                let bounds = match (input.and_then(|i| i.min), input.and_then(|i| i.max)) {
                    (Some(min), Some(max)) => format!("from {min} to {max}"),
                    (Some(min), None) => format!("of at least {min}"),
                    (None, Some(max)) => format!("of at most {max}"),
                    (None, None) => String::new(),
                };
                let what = match problem {
                    Problem::Rejected { value, .. } if value.is_string() => "lengths",
                    Problem::Rejected { value, .. } if value.is_array() => "item counts",
                    _ => "values",
                };
                (Code::ClaimInputRange, format!("`{name}` takes {what} {bounds}"))
            }
            Breach::Pattern => (
                Code::ClaimInputPattern,
                match input.and_then(|i| i.description.as_deref()) {
                    Some(d) => format!("`{name}`: {d}"),
                    None => "change the value to one the pattern matches".into(),
                },
            ),
        },
    };
    let found = match problem {
        Problem::Rejected { value, .. } => format!(" (found {})", shown(value)),
        _ => String::new(),
    };
    let mut diagnostic = Diagnostic::new(
        code,
        location,
        format!("input `{name}` of {title}: {}{found}", problem.reason()),
    )
    .with_help(help);
    if let Some(input) = input {
        diagnostic = diagnostic.with_related(format!("the input, in {title}"), version.location(&input.pointer));
    }
    diagnostic
}

/// A value in a message: JSON, so `"100"` and `100` read differently.
fn shown(value: &serde_json::Value) -> String {
    value.to_string()
}

/// The upgrade impact of each new version (not published) of a definition
/// that has published versions.
fn upgrade_impact(catalog: &Catalog, published: &Published, diagnostics: &mut Vec<Diagnostic>) {
    for (name, versions) in &catalog.resources {
        let was_published = |v: usize| {
            let entity = &catalog.entities[v];
            published
                .versions
                .contains_key(&(entity.metadata.name.clone(), version_text(entity).to_string()))
        };
        if !versions.iter().any(|&v| was_published(v)) {
            // A definition new as a whole has nobody to move yet.
            continue;
        }
        let mut new: Vec<(usize, Version)> = versions
            .iter()
            .filter(|&&v| !was_published(v) && !claims::yanked(catalog, v))
            .filter_map(|&v| Some((v, version_of(&catalog.entities[v])?)))
            .collect();
        if new.is_empty() {
            continue;
        }
        new.sort_by(|a, b| a.1.cmp(&b.1));
        let claims: Vec<(usize, Resolution)> = claims::claims_of(catalog, name).collect();
        for (to, target) in new {
            impact_of(catalog, to, &target, &claims, diagnostics);
        }
    }
}

fn impact_of(
    catalog: &Catalog,
    to: usize,
    target: &Version,
    claims: &[(usize, Resolution)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let version = &catalog.entities[to];
    let title = definition_title(version);
    let mut movable = Vec::new();
    let mut blocked = Vec::new();
    for (c, resolution) in claims {
        let below = version_of(&catalog.entities[resolution.version]).is_some_and(|v| v < *target);
        if !below {
            continue;
        }
        let entity = &catalog.entities[*c];
        let claim = entity.resource_claim.as_ref().expect("a claim");
        let found = blockers(catalog, claim, resolution.version, to);
        let name = format!("{}/{}", entity.metadata.namespace, entity.metadata.name);
        if found.is_empty() {
            movable.push(name);
            continue;
        }
        blocked.push(name);
        let reasons: Vec<String> = found
            .iter()
            .map(|b| {
                let value = match &b.problem {
                    Problem::Rejected { value, .. } => format!(" (found {})", shown(value)),
                    _ => String::new(),
                };
                let by = b
                    .finding
                    .as_ref()
                    .map(|f| format!(", by {}", finding_text(f)))
                    .unwrap_or_default();
                format!("input `{}`: {}{value}{by}", b.problem.input(), b.problem.reason())
            })
            .collect();
        let first = &found[0];
        let mut diagnostic = Diagnostic::new(
            Code::ClaimUpgradeBlocked,
            input_location(entity, &first.problem),
            format!(
                "claim `{}` could not move to {title} as it is: {}",
                entity.metadata.name,
                reasons.join("; ")
            ),
        )
        .with_help(format!(
            "nothing to change yet: it stays on {}; when it moves to {} (`spec.version: \"{}\"`), change these inputs in the same commit",
            version_text(&catalog.entities[resolution.version]),
            version_text(version),
            caret(target)
        ));
        if let Some(finding) = &first.finding {
            diagnostic = diagnostic.with_related(
                format!("{} in {}", finding.rule, version_text(version)),
                version.location(&finding.pointer),
            );
        }
        diagnostics.push(diagnostic);
    }
    if movable.is_empty() && blocked.is_empty() {
        return;
    }
    let list = |names: &[String]| {
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", names.join(", "))
        }
    };
    let total = movable.len() + blocked.len();
    let message = format!(
        "{title} is new: of the {total} {} on older versions, {} could move to it as {}{}, {} could not{}",
        if total == 1 { "claim" } else { "claims" },
        movable.len(),
        if movable.len() == 1 { "it is" } else { "they are" },
        list(&movable),
        blocked.len(),
        list(&blocked)
    );
    diagnostics.push(
        Diagnostic::new(Code::ClaimUpgradeImpact, version.location("/metadata/version"), message).with_help(
            "each claim that could not move has a `claim-upgrade-blocked` warning at its file saying which input breaks and why",
        ),
    );
}
