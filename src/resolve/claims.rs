//! ResourceClaims against the definitions they name: which version a claim
//! resolves to, the inputs it fills that version with (defaults included),
//! and whether it could move to another version as it is.
//!
//! `spec.version` is an exact version (`2.0.0`: that version, even yanked —
//! a yanked version stays resolvable by exact version, SEMVER.md) or a
//! requirement with an operator (`^2.0`, `~1.1`, `>=1.2, <2`, `*`), which
//! resolves to the highest version that matches and is not yanked, with
//! Cargo's semantics (the `semver` crate's `VersionReq`: pre-releases only
//! match a requirement that names one). A bare partial version (`2.0`) is
//! neither: Cargo would read it as `^2.0` and a reader as `=2.0.0`, so the
//! claim must say which.
//!
//! Resolution is computed from the catalog when asked (validation, the
//! API, the pages, `cairn diff`, `cairn render`), never stored: it is a
//! function of the claim and the definition's versions, so an edit of
//! either can never leave a stale answer behind.

use std::collections::BTreeMap;
use std::ops::Range;

use semver::{Version, VersionReq};
use serde_json::Value as Json;

use super::changes::{self, ChangeRule, Finding};
use super::{version_of, Catalog};
use crate::model::{value_text, Breach, Input, Kind, ResourceClaim, ResourceDefinition};

/// What `spec.version` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// One version, written in full.
    Exact(Version),
    /// A semver requirement.
    Range(VersionReq),
}

impl Requirement {
    /// Parses `spec.version`, or says why it is neither a version nor a
    /// requirement.
    pub fn parse(text: &str) -> Result<Requirement, String> {
        let text = text.trim();
        if let Ok(version) = Version::parse(text) {
            return Ok(Requirement::Exact(version));
        }
        let operator = text.starts_with(['^', '~', '=', '>', '<', '*']);
        match VersionReq::parse(text) {
            Ok(requirement) if operator => Ok(Requirement::Range(requirement)),
            Ok(_) => Err(format!(
                "`{text}` is a partial version: write `^{text}` for the newest compatible version, or the full version for exactly one"
            )),
            Err(error) => Err(format!("`{text}` is not a version or a semver requirement: {error}")),
        }
    }

    pub fn matches(&self, version: &Version) -> bool {
        match self {
            Requirement::Exact(exact) => exact == version,
            Requirement::Range(requirement) => requirement.matches(version),
        }
    }
}

/// `^2` for 2.x.y, `^0.3` for 0.3.z: the requirement that stays on the
/// version's compatible line (the request form's "newest compatible"
/// choice).
pub fn caret(version: &Version) -> String {
    if version.major == 0 {
        format!("^0.{}", version.minor)
    } else {
        format!("^{}", version.major)
    }
}

/// What a claim resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The definition, as `Catalog::resources` keys it (lowercase).
    pub definition: String,
    /// The entity of the resolved version.
    pub version: usize,
}

/// Why a claim resolves to nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Unresolved {
    /// `spec.resource` or `spec.version` is missing or not a string (the
    /// schema check reports it).
    Incomplete,
    /// No definition has that name.
    NoDefinition,
    /// `spec.version` is neither a version nor a requirement (why).
    BadVersion(String),
    /// No version of the definition matches (for a requirement: none that
    /// is not yanked).
    NoMatch {
        definition: String,
        requirement: Requirement,
    },
}

/// The indices of the catalog's ResourceClaims: entities are sorted by
/// kind first, so they are one run.
pub fn claims(catalog: &Catalog) -> Range<usize> {
    let start = catalog.entities.partition_point(|e| e.kind < Kind::ResourceClaim);
    let end = catalog.entities.partition_point(|e| e.kind <= Kind::ResourceClaim);
    start..end
}

/// The claims of the definition `name` (lowercase), with what each
/// resolves to, in entity order.
pub fn claims_of<'a>(catalog: &'a Catalog, name: &'a str) -> impl Iterator<Item = (usize, Resolution)> + 'a {
    claims(catalog).filter_map(move |c| {
        let claim = catalog.entities[c].resource_claim.as_ref()?;
        if claim.resource.as_deref()?.to_ascii_lowercase() != name {
            return None;
        }
        resolve(catalog, claim).ok().map(|r| (c, r))
    })
}

/// The version `claim` resolves to.
pub fn resolve(catalog: &Catalog, claim: &ResourceClaim) -> Result<Resolution, Unresolved> {
    let (Some(resource), Some(version)) = (&claim.resource, &claim.version) else {
        return Err(Unresolved::Incomplete);
    };
    let definition = resource.to_ascii_lowercase();
    let versions = catalog.resources.get(&definition).ok_or(Unresolved::NoDefinition)?;
    let requirement = Requirement::parse(version).map_err(Unresolved::BadVersion)?;
    let found = versions
        .iter()
        .filter_map(|&v| Some((v, version_of(&catalog.entities[v])?)))
        .filter(|(v, version)| {
            requirement.matches(version) && (matches!(requirement, Requirement::Exact(_)) || !yanked(catalog, *v))
        })
        .max_by(|a, b| a.1.cmp(&b.1));
    match found {
        Some((version, _)) => Ok(Resolution { definition, version }),
        None => Err(Unresolved::NoMatch {
            definition,
            requirement,
        }),
    }
}

pub fn yanked(catalog: &Catalog, version: usize) -> bool {
    catalog.entities[version]
        .resource_definition
        .as_ref()
        .is_some_and(|d| d.yanked)
}

/// The newest version, not yanked, of `version`'s compatible line — the
/// same major (the same minor in `0.y`), as [`caret`] reads it: what a
/// claim pinned to a yanked version should use instead.
pub fn newest_compatible(catalog: &Catalog, definition: &str, version: &Version) -> Option<usize> {
    let caret = VersionReq::parse(&caret(version)).ok()?;
    catalog
        .resources
        .get(definition)?
        .iter()
        .filter(|&&v| !yanked(catalog, v))
        .filter_map(|&v| Some((v, version_of(&catalog.entities[v])?)))
        .filter(|(_, other)| caret.matches(other))
        .max_by(|a, b| a.1.cmp(&b.1))
        .map(|(v, _)| v)
}

/// The inputs `claim` fills `definition` with: what it writes for each
/// input the definition has, and the default of each it leaves out.
pub fn inputs_with_defaults(definition: &ResourceDefinition, claim: &ResourceClaim) -> BTreeMap<String, Json> {
    definition
        .inputs
        .iter()
        .filter_map(|input| {
            let value = claim.input(&input.name).or(input.default.as_ref())?;
            Some((input.name.clone(), value.clone()))
        })
        .collect()
}

/// One way a claim's inputs break a definition version's.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required input is not written.
    Missing { input: String },
    /// An input the version does not have (the closest one it has).
    Unknown { input: String, suggestion: Option<String> },
    /// A value the input rejects, with what the form says of it.
    Rejected {
        input: String,
        value: Json,
        breach: Breach,
        reason: String,
    },
}

impl Problem {
    pub fn input(&self) -> &str {
        match self {
            Problem::Missing { input } | Problem::Unknown { input, .. } | Problem::Rejected { input, .. } => input,
        }
    }

    /// The problem as the request form would say it (a clause).
    pub fn reason(&self) -> String {
        match self {
            Problem::Missing { .. } => "required".into(),
            Problem::Unknown { .. } => "not an input of this version".into(),
            Problem::Rejected { reason, .. } => reason.clone(),
        }
    }
}

/// Every way `claim`'s inputs break `definition`'s, in the definition's
/// input order, then unknown inputs in the claim's order.
pub fn problems(definition: &ResourceDefinition, claim: &ResourceClaim) -> Vec<Problem> {
    let mut found = Vec::new();
    for input in &definition.inputs {
        match claim.input(&input.name) {
            None if input.required => found.push(Problem::Missing {
                input: input.name.clone(),
            }),
            None => {}
            Some(value) => found.extend(rejection(input, value)),
        }
    }
    let names: Vec<&str> = definition.inputs.iter().map(|i| i.name.as_str()).collect();
    for (name, _) in &claim.inputs {
        if !names.contains(&name.as_str()) {
            found.push(Problem::Unknown {
                input: name.clone(),
                suggestion: crate::diagnostics::did_you_mean(name, names.iter().copied()).map(str::to_string),
            });
        }
    }
    found
}

fn rejection(input: &Input, value: &Json) -> Option<Problem> {
    let breach = input.breach(value)?;
    Some(Problem::Rejected {
        input: input.name.clone(),
        value: value.clone(),
        reason: breach.reason(input, value),
        breach,
    })
}

/// Why a claim could not move to another version: a problem of its inputs
/// there, and the SEMVER.md finding between the two versions that made it
/// one (none when the claim was already wrong).
#[derive(Debug, Clone, PartialEq)]
pub struct Blocker {
    pub problem: Problem,
    pub finding: Option<Finding>,
}

/// Whether the claim `claim` (resolved to `from`) could move to the
/// version `to` as it is: the problems its inputs would have there, each
/// with the finding between the two versions behind it. Empty: it could.
pub fn blockers(catalog: &Catalog, claim: &ResourceClaim, from: usize, to: usize) -> Vec<Blocker> {
    let (old, new) = (&catalog.entities[from], &catalog.entities[to]);
    let (Some(old_definition), Some(new_definition)) = (&old.resource_definition, &new.resource_definition) else {
        return Vec::new();
    };
    let findings = changes::classify(old_definition, &old.to_json(), new_definition, &new.to_json());
    problems(new_definition, claim)
        .into_iter()
        .map(|problem| Blocker {
            finding: finding_for(&problem, old_definition, new_definition, &findings),
            problem,
        })
        .collect()
}

/// The finding that concerns `problem`'s input: one at a pointer under the
/// input in the new version, or for an input the new version does not
/// have, its removal.
fn finding_for(
    problem: &Problem,
    old: &ResourceDefinition,
    new: &ResourceDefinition,
    findings: &[Finding],
) -> Option<Finding> {
    let name = problem.input();
    let under = |pointer: &str, base: &str| pointer == base || pointer.starts_with(&format!("{base}/"));
    let relevant = |finding: &&Finding| match problem {
        Problem::Unknown { .. } => old
            .inputs
            .iter()
            .any(|i| i.name == name && finding.rule == ChangeRule::InputRemoved && finding.pointer == i.pointer),
        Problem::Missing { .. } => new.inputs.iter().any(|i| {
            i.name == name
                && matches!(
                    finding.rule,
                    ChangeRule::InputAddedRequired | ChangeRule::InputNowRequired
                )
                && under(&finding.pointer, &i.pointer)
        }),
        Problem::Rejected { breach, .. } => {
            let rules: &[ChangeRule] = match breach {
                Breach::Type(_) => &[ChangeRule::InputTypeChanged],
                Breach::NotAllowed => &[ChangeRule::InputEnumAdded, ChangeRule::InputEnumValueRemoved],
                Breach::BelowMin(..) => &[ChangeRule::InputMinRaised],
                Breach::AboveMax(..) => &[ChangeRule::InputMaxLowered],
                Breach::Pattern => &[ChangeRule::InputPatternAdded, ChangeRule::InputPatternChanged],
            };
            new.inputs
                .iter()
                .any(|i| i.name == name && rules.contains(&finding.rule) && under(&finding.pointer, &i.pointer))
        }
    };
    let mut candidates = findings.iter().filter(relevant);
    // Of several removed enum values, the one the claim uses.
    let value = match problem {
        Problem::Rejected { value, .. } => Some(value),
        _ => None,
    };
    let first = candidates.clone().next().cloned();
    candidates
        .find(|f| f.rule != ChangeRule::InputEnumValueRemoved || f.old.as_ref() == value)
        .cloned()
        .or(first)
}

/// `rule (class): old → new` for a message.
pub fn finding_text(finding: &Finding) -> String {
    let mut text = format!("{} ({})", finding.rule, finding.class.as_str());
    match (&finding.old, &finding.new) {
        (Some(old), Some(new)) => text.push_str(&format!(": {} → {}", value_text(old), value_text(new))),
        (Some(old), None) => text.push_str(&format!(": {} removed", value_text(old))),
        // A new input's finding names the input, which the text already did.
        (None, Some(_))
            if matches!(
                finding.rule,
                ChangeRule::InputAddedRequired | ChangeRule::InputAddedOptional
            ) => {}
        (None, Some(new)) => text.push_str(&format!(": now {}", value_text(new))),
        (None, None) => {}
    }
    text
}

#[cfg(test)]
mod tests;
