//! What changed between two versions of a ResourceDefinition, classified by
//! the rules of SEMVER.md: inputs are written by users (narrowing what one
//! accepts breaks them), outputs are read by users (removing or changing one
//! breaks them). Each [`Finding`] names its rule, class, JSON pointer, the
//! old and new values and, where it applies, a *witness*: a value the old
//! version accepted and the new one rejects.
//!
//! The baseline of a version is the highest stable version below it, so a
//! backport (1.4.1 after 2.0.0) is compared with its own major line, and
//! several new versions are each compared with the one before.

mod rule;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

use crate::model::{Input, Output, ResourceDefinition, ValueType};
pub use rule::ChangeRule;

/// How big a change is, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeClass {
    None,
    Patch,
    Minor,
    Major,
}

impl ChangeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::None => "none",
            ChangeClass::Patch => "patch",
            ChangeClass::Minor => "minor",
            ChangeClass::Major => "major",
        }
    }
}

/// One classified difference between a version and its baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: ChangeRule,
    pub class: ChangeClass,
    pub pointer: String,
    pub old: Option<Json>,
    pub new: Option<Json>,
    /// A value the baseline accepts and this version rejects.
    pub witness: Option<String>,
    /// Extra advice ("looks like a rename of X → Y", "possibly breaking").
    pub hint: Option<String>,
    /// Classed minor, but may break users (a default added where none
    /// existed, a non-semver module ref changed): a warning suggests major.
    pub possibly_breaking: bool,
}

impl Finding {
    fn new(rule: ChangeRule, class: ChangeClass, pointer: impl Into<String>) -> Finding {
        Finding {
            rule,
            class,
            pointer: pointer.into(),
            old: None,
            new: None,
            witness: None,
            hint: None,
            possibly_breaking: false,
        }
    }

    fn values(mut self, old: Option<Json>, new: Option<Json>) -> Finding {
        self.old = old;
        self.new = new;
        self
    }

    fn witness(mut self, witness: String) -> Finding {
        self.witness = Some(witness);
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    fn possibly_breaking(mut self, hint: &str) -> Finding {
        self.possibly_breaking = true;
        self.hint(format!("possibly breaking: {hint}; consider a major version"))
    }
}

/// Every finding between `old` and `new`; `old_json`/`new_json` are the
/// documents as written, for changes the typed model does not name (those
/// count as patch: descriptions, maintainers, docs links).
pub fn classify(old: &ResourceDefinition, old_json: &Json, new: &ResourceDefinition, new_json: &Json) -> Vec<Finding> {
    let mut findings = Vec::new();
    compare_inputs(old, new, &mut findings);
    compare_outputs(old, new, &mut findings);
    compare_engines(old, new, &mut findings);
    if !new.deprecated && old.deprecated {
        // Un-deprecating is harmless; nothing to report beyond patch.
    } else if new.deprecated && !old.deprecated {
        findings.push(Finding::new(
            ChangeRule::DefinitionDeprecated,
            ChangeClass::Minor,
            "/metadata/deprecated",
        ));
    }
    if findings.iter().all(|f| f.class < ChangeClass::Patch) && without_version(old_json) != without_version(new_json) {
        findings.push(
            Finding::new(ChangeRule::DocumentationChanged, ChangeClass::Patch, "")
                .hint("descriptions, maintainers or other metadata changed"),
        );
    }
    findings
}

/// The largest class among `findings` (`None` when there are none).
pub fn class_of(findings: &[Finding]) -> ChangeClass {
    findings.iter().map(|f| f.class).max().unwrap_or(ChangeClass::None)
}

fn without_version(document: &Json) -> Json {
    let mut document = document.clone();
    if let Some(metadata) = document.get_mut("metadata").and_then(Json::as_object_mut) {
        metadata.remove("version");
    }
    document
}

fn by_name<T>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeMap<&str, &T> {
    items.iter().map(|i| (name(i), i)).collect()
}

fn compare_inputs(old: &ResourceDefinition, new: &ResourceDefinition, findings: &mut Vec<Finding>) {
    let old_inputs = by_name(&old.inputs, |i| i.name.as_str());
    let new_inputs = by_name(&new.inputs, |i| i.name.as_str());
    let added: Vec<&Input> = new_inputs
        .iter()
        .filter(|(n, _)| !old_inputs.contains_key(*n))
        .map(|(_, i)| *i)
        .collect();
    for (name, before) in &old_inputs {
        match new_inputs.get(name) {
            None => {
                let mut finding = Finding::new(ChangeRule::InputRemoved, ChangeClass::Major, before.pointer.clone())
                    .witness(format!("a claim setting `{name}`"));
                if let Some(renamed) = added.iter().find(|a| same_contract(before, a)) {
                    finding = finding.hint(format!("looks like a rename of {name} → {}", renamed.name));
                }
                findings.push(finding);
            }
            Some(after) => compare_input(before, after, findings),
        }
    }
    for input in added {
        let (rule, class) = if input.required {
            (ChangeRule::InputAddedRequired, ChangeClass::Major)
        } else {
            (ChangeRule::InputAddedOptional, ChangeClass::Minor)
        };
        let mut finding =
            Finding::new(rule, class, input.pointer.clone()).values(None, Some(Json::String(input.name.clone())));
        if input.required {
            finding = finding.witness(format!("a claim without `{}`", input.name));
        }
        findings.push(finding);
    }
}

/// Same type and validation: a removed input reappearing under another name.
fn same_contract(a: &Input, b: &Input) -> bool {
    a.value_type == b.value_type
        && a.pattern == b.pattern
        && a.min == b.min
        && a.max == b.max
        && a.allowed == b.allowed
        && a.required == b.required
}

/// A declared type as JSON: the text as written.
fn type_json(value_type: Option<&ValueType>) -> Option<Json> {
    value_type.map(|t| Json::String(t.to_string()))
}

/// A bound as JSON: integral values as integers (`14`, not `14.0`).
fn num(value: f64) -> Json {
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        Json::from(value as i64)
    } else {
        serde_json::Number::from_f64(value)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

fn compare_input(before: &Input, after: &Input, findings: &mut Vec<Finding>) {
    let at = |key: &str| format!("{}/{key}", after.pointer);
    let name = &after.name;
    match (before.required, after.required) {
        (false, true) => findings.push(
            Finding::new(ChangeRule::InputNowRequired, ChangeClass::Major, at("name"))
                .witness(format!("a claim without `{name}`")),
        ),
        (true, false) => findings.push(Finding::new(
            ChangeRule::InputNowOptional,
            ChangeClass::Minor,
            at("name"),
        )),
        _ => {}
    }
    if before.value_type != after.value_type {
        let types = (before.value_type.as_ref(), after.value_type.as_ref());
        let widened = matches!(types, (Some(ValueType::Integer), Some(ValueType::Number)));
        let values = (
            type_json(before.value_type.as_ref()),
            type_json(after.value_type.as_ref()),
        );
        let finding = if widened {
            Finding::new(ChangeRule::InputTypeWidened, ChangeClass::Minor, at("type"))
        } else {
            let witness = match types {
                (Some(ValueType::Number), Some(ValueType::Integer)) => format!("`{name}: 0.5`"),
                (Some(t), _) => format!("any {t} value of `{name}`"),
                _ => format!("values of `{name}`"),
            };
            Finding::new(ChangeRule::InputTypeChanged, ChangeClass::Major, at("type")).witness(witness)
        };
        findings.push(finding.values(values.0, values.1));
    }
    match (&before.default, &after.default) {
        (Some(a), Some(b)) if a != b => findings.push(
            Finding::new(ChangeRule::InputDefaultChanged, ChangeClass::Major, at("default"))
                .values(Some(a.clone()), Some(b.clone())),
        ),
        (Some(a), None) => findings.push(
            Finding::new(ChangeRule::InputDefaultRemoved, ChangeClass::Major, at("default"))
                .values(Some(a.clone()), None),
        ),
        (None, Some(b)) => findings.push(
            Finding::new(ChangeRule::InputDefaultAdded, ChangeClass::Minor, at("default"))
                .values(None, Some(b.clone()))
                .possibly_breaking("claims that omitted the input now get this value"),
        ),
        _ => {}
    }
    compare_pattern(before, after, findings);
    compare_bounds(before, after, findings);
    compare_enum(before, after, findings);
    if before.description != after.description {
        findings.push(Finding::new(
            ChangeRule::InputDescriptionChanged,
            ChangeClass::Patch,
            at("description"),
        ));
    }
}

fn compare_pattern(before: &Input, after: &Input, findings: &mut Vec<Finding>) {
    let at = format!("{}/validation/pattern", after.pointer);
    let values = || {
        (
            before.pattern.clone().map(Json::String),
            after.pattern.clone().map(Json::String),
        )
    };
    match (&before.pattern, &after.pattern) {
        (a, b) if a == b => {}
        (Some(_), None) => {
            let (old, new) = values();
            findings.push(Finding::new(ChangeRule::InputPatternRemoved, ChangeClass::Minor, at).values(old, new));
        }
        (None, Some(_)) => {
            let (old, new) = values();
            findings.push(Finding::new(ChangeRule::InputPatternAdded, ChangeClass::Major, at).values(old, new));
        }
        _ => {
            let (old, new) = values();
            findings.push(
                Finding::new(ChangeRule::InputPatternChanged, ChangeClass::Major, at)
                    .values(old, new)
                    .hint("a changed pattern is treated as narrower unless it is removed"),
            );
        }
    }
}

fn compare_bounds(before: &Input, after: &Input, findings: &mut Vec<Finding>) {
    let name = &after.name;
    let integer = after.value_type == Some(ValueType::Integer);
    let step = if integer { 1.0 } else { 0.5 };
    let at = |key: &str| format!("{}/validation/{key}", after.pointer);
    match (before.min, after.min) {
        (old, Some(new)) if old.is_none_or(|old| new > old) => {
            let witness = new - step;
            let accepted = old.is_none_or(|old| witness >= old) && before.max.is_none_or(|max| witness <= max);
            let mut finding = Finding::new(ChangeRule::InputMinRaised, ChangeClass::Major, at("min"))
                .values(old.map(num), Some(num(new)));
            if accepted {
                finding = finding.witness(format!("`{name}: {witness}`"));
            }
            findings.push(finding);
        }
        (Some(old), new) if new.is_none_or(|new| new < old) => findings.push(
            Finding::new(ChangeRule::InputMinLowered, ChangeClass::Minor, at("min"))
                .values(Some(num(old)), new.map(num)),
        ),
        _ => {}
    }
    match (before.max, after.max) {
        (old, Some(new)) if old.is_none_or(|old| new < old) => {
            let witness = new + step;
            let accepted = old.is_none_or(|old| witness <= old) && before.min.is_none_or(|min| witness >= min);
            let mut finding = Finding::new(ChangeRule::InputMaxLowered, ChangeClass::Major, at("max"))
                .values(old.map(num), Some(num(new)));
            if accepted {
                finding = finding.witness(format!("`{name}: {witness}`"));
            }
            findings.push(finding);
        }
        (Some(old), new) if new.is_none_or(|new| new > old) => findings.push(
            Finding::new(ChangeRule::InputMaxRaised, ChangeClass::Minor, at("max"))
                .values(Some(num(old)), new.map(num)),
        ),
        _ => {}
    }
}

fn compare_enum(before: &Input, after: &Input, findings: &mut Vec<Finding>) {
    let at = format!("{}/validation/enum", after.pointer);
    match (&before.allowed, &after.allowed) {
        (None, Some(values)) => findings.push(
            Finding::new(ChangeRule::InputEnumAdded, ChangeClass::Major, at)
                .values(None, Some(Json::Array(values.clone()))),
        ),
        (Some(values), None) => findings.push(
            Finding::new(ChangeRule::InputEnumRemoved, ChangeClass::Minor, at)
                .values(Some(Json::Array(values.clone())), None),
        ),
        (Some(old), Some(new)) => {
            for value in old.iter().filter(|v| !new.contains(v)) {
                findings.push(
                    Finding::new(ChangeRule::InputEnumValueRemoved, ChangeClass::Major, at.clone())
                        .values(Some(value.clone()), None)
                        .witness(format!("`{}: {value}`", after.name)),
                );
            }
            for value in new.iter().filter(|v| !old.contains(v)) {
                findings.push(
                    Finding::new(ChangeRule::InputEnumValueAdded, ChangeClass::Minor, at.clone())
                        .values(None, Some(value.clone())),
                );
            }
        }
        (None, None) => {}
    }
}

fn compare_outputs(old: &ResourceDefinition, new: &ResourceDefinition, findings: &mut Vec<Finding>) {
    let before = by_name(&old.outputs, |o| o.name.as_str());
    let after = by_name(&new.outputs, |o| o.name.as_str());
    for (name, output) in &before {
        match after.get(name) {
            None => findings.push(
                Finding::new(ChangeRule::OutputRemoved, ChangeClass::Major, output.pointer.clone())
                    .values(Some(Json::String(name.to_string())), None)
                    .witness(format!("a consumer reading `{name}`")),
            ),
            Some(next) => compare_output(output, next, findings),
        }
    }
    for (name, output) in after.iter().filter(|(n, _)| !before.contains_key(*n)) {
        findings.push(
            Finding::new(ChangeRule::OutputAdded, ChangeClass::Minor, output.pointer.clone())
                .values(None, Some(Json::String(name.to_string()))),
        );
    }
}

fn compare_output(before: &Output, after: &Output, findings: &mut Vec<Finding>) {
    if before.value_type != after.value_type {
        findings.push(
            Finding::new(
                ChangeRule::OutputTypeChanged,
                ChangeClass::Major,
                format!("{}/type", after.pointer),
            )
            .values(
                type_json(before.value_type.as_ref()),
                type_json(after.value_type.as_ref()),
            ),
        );
    }
    if before.description != after.description {
        findings.push(Finding::new(
            ChangeRule::OutputDescriptionChanged,
            ChangeClass::Patch,
            format!("{}/description", after.pointer),
        ));
    }
}

fn compare_engines(old: &ResourceDefinition, new: &ResourceDefinition, findings: &mut Vec<Finding>) {
    let before: BTreeSet<&String> = old.supported_engines.iter().collect();
    let after: BTreeSet<&String> = new.supported_engines.iter().collect();
    for engine in before.difference(&after) {
        findings.push(
            Finding::new(ChangeRule::EngineRemoved, ChangeClass::Major, "/spec/supported_engines")
                .values(Some(Json::String((*engine).clone())), None),
        );
    }
    for engine in after.difference(&before) {
        findings.push(
            Finding::new(ChangeRule::EngineAdded, ChangeClass::Minor, "/spec/supported_engines")
                .values(None, Some(Json::String((*engine).clone()))),
        );
    }
    for (engine, config) in &new.engine_configs {
        let Some(previous) = old.engine_configs.get(engine) else {
            continue;
        };
        let at = |key: &str| format!("/spec/engine_configs/{}/{key}", crate::util::escape_pointer(engine));
        let field = |c: &Json, key: &str| c.get(key).cloned();
        if field(previous, "module_source") != field(config, "module_source") {
            findings.push(
                Finding::new(
                    ChangeRule::EngineModuleSourceChanged,
                    ChangeClass::Major,
                    at("module_source"),
                )
                .values(field(previous, "module_source"), field(config, "module_source")),
            );
        }
        let (old_version, new_version) = (field(previous, "module_version"), field(config, "module_version"));
        if old_version != new_version {
            findings.push(module_version_finding(at("module_version"), old_version, new_version));
        }
    }
}

/// A change of an engine's `module_version`, classed by its own semver bump;
/// a change between non-semver refs is possibly breaking.
fn module_version_finding(pointer: String, old: Option<Json>, new: Option<Json>) -> Finding {
    let parse = |v: &Option<Json>| {
        v.as_ref()
            .and_then(Json::as_str)
            .and_then(|s| semver::Version::parse(s.trim_start_matches('v')).ok())
    };
    let finding = match (parse(&old), parse(&new)) {
        (Some(a), Some(b)) => {
            let class = match (a.major.cmp(&b.major), a.minor.cmp(&b.minor)) {
                (Ordering::Equal, Ordering::Equal) => ChangeClass::Patch,
                (Ordering::Equal, _) => ChangeClass::Minor,
                _ => ChangeClass::Major,
            };
            Finding::new(ChangeRule::EngineModuleVersionChanged, class, pointer)
        }
        _ => Finding::new(ChangeRule::EngineModuleRefChanged, ChangeClass::Minor, pointer)
            .possibly_breaking("a non-semver module reference changed"),
    };
    finding.values(old, new)
}

/// The bump from `baseline` to `version`, with Cargo's 0.y.z convention (a
/// minor bump counts as major, a patch bump as minor). Pre-releases count as
/// their release.
pub fn bump(baseline: &semver::Version, version: &semver::Version) -> ChangeClass {
    let zero = version.major == 0;
    if version.major != baseline.major || (zero && version.minor != baseline.minor) {
        ChangeClass::Major
    } else if version.minor != baseline.minor || (zero && version.patch != baseline.patch) {
        ChangeClass::Minor
    } else if version.patch != baseline.patch {
        ChangeClass::Patch
    } else {
        // 1.3.0-rc.2 after 1.3.0-rc.1, or a release after its pre-release.
        ChangeClass::None
    }
}

/// The smallest version above `baseline` whose bump covers `needed`;
/// `None` when the number to raise is already `u64::MAX`.
pub fn suggest(baseline: &semver::Version, needed: ChangeClass) -> Option<semver::Version> {
    let (major, minor, patch) = (baseline.major, baseline.minor, baseline.patch);
    let (major, minor, patch) = match (needed, major) {
        (ChangeClass::Major, 0) => (0, minor.checked_add(1)?, 0),
        (ChangeClass::Major, _) => (major.checked_add(1)?, 0, 0),
        (ChangeClass::Minor, 0) => (0, minor, patch.checked_add(1)?),
        (ChangeClass::Minor, _) => (major, minor.checked_add(1)?, 0),
        _ => (major, minor, patch.checked_add(1)?),
    };
    Some(semver::Version::new(major, minor, patch))
}

/// How a help text names the version to use: [`suggest`]'s, or why there
/// is none.
pub fn suggestion_text(baseline: &semver::Version, needed: ChangeClass) -> String {
    match suggest(baseline, needed) {
        Some(version) => version.to_string(),
        None => format!(
            "a version above {baseline}, which cannot be bumped ({} is the largest number a version can hold): start a new name for the definition",
            u64::MAX
        ),
    }
}

#[cfg(test)]
mod tests;
