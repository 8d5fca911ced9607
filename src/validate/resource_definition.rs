//! Rules for one ResourceDefinition version, checked on its own: the
//! version is strict SemVer written as a string (`version-format`), input
//! and output names are snake_case (`input-name-case`) and unique
//! (`duplicate-input`), validation patterns compile and apply to strings
//! (`invalid-pattern`), bounds and enums admit some value and fit the input's
//! type (`invalid-bounds`), every default satisfies its own input's type and
//! validation (`invalid-default`: a default the request form would reject is
//! the first bug users hit), and `engine_configs` only configures supported
//! engines (`unsupported-engine-config`).
//!
//! Rules that compare versions with each other (published versions, bump
//! size) live in `validate::versions`; a missing `metadata.version` and
//! wrongly typed fields are left to the JSON Schema check.
//!
//! Patterns are compiled with Rust's `regex` syntax, which agrees with
//! ECMAScript (what JSON Schema `pattern` and the browser form use) on the
//! patterns definitions use in practice; look-around and backreferences are
//! rejected. As in JSON Schema, a pattern matches anywhere in the value
//! unless it is anchored with `^…$`.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value as Json;

use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::model::{Breach, Entity, Input, ResourceDefinition, ValueType};
use crate::parse::{Node, Value};
use crate::util::escape_pointer;

static SNAKE_CASE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$").expect("valid regex"));

/// Checks one `kind: ResourceDefinition` entity; other kinds are ignored.
pub fn check(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let Some(definition) = &entity.resource_definition else {
        return;
    };
    check_version(entity, diagnostics);
    check_names(entity, definition, diagnostics);
    for input in &definition.inputs {
        check_pattern(entity, input, diagnostics);
        check_bounds(entity, input, diagnostics);
        check_enum(entity, input, diagnostics);
        check_default(entity, input, diagnostics);
    }
    check_engines(entity, definition, diagnostics);
    check_pinned_modules(entity, definition, diagnostics);
}

// ---------------------------------------------------------------- version

fn check_version(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let pointer = "/metadata/version";
    let Some(node) = entity.node.pointer(pointer) else {
        return; // a missing version is the schema check's
    };
    let problem = match &node.value {
        Value::Int(_) | Value::Float(_) => Some(number_version_problem(node)),
        Value::String(text) if !text.is_empty() => string_version_problem(text),
        _ => None, // other types and "" are the schema check's
    };
    if let Some((message, help)) = problem {
        diagnostics.push(Diagnostic::new(Code::VersionFormat, entity.location(pointer), message).with_help(help));
    }
}

/// `version: 1.10` is the number 1.1 to YAML: say so, and show the quoted
/// three-part version to write instead.
fn number_version_problem(node: &Node) -> (String, String) {
    let read = node.as_scalar_text().unwrap_or_default();
    let written = written_number(node, &read);
    let message = if written == read {
        format!("`metadata.version` is the YAML number {read}, not a version string")
    } else {
        format!("`metadata.version` is a YAML number: `{written}` reads as {read}, not as a version")
    };
    let fixed = normalized_version(&written).unwrap_or_else(|| "1.0.0".to_string());
    let help = format!("quote it and give all three parts: `version: \"{fixed}\"`");
    (message, help)
}

/// The number as it was most likely written: YAML drops trailing zeros
/// (`1.10` → 1.1), but the node's span still has the written width.
fn written_number(node: &Node, read: &str) -> String {
    let width = node.end.column.saturating_sub(node.start.column) as usize;
    let is_decimal = read.contains('.') && read.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if node.start.line == node.end.line && is_decimal && width > read.len() {
        format!("{read:0<width$}")
    } else {
        read.to_string()
    }
}

/// Why `text` is not strict SemVer 2.0.0 without build metadata, as a
/// message and a help.
fn string_version_problem(text: &str) -> Option<(String, String)> {
    let parse_error = match semver::Version::parse(text) {
        Ok(version) if version.build.is_empty() => return None,
        Ok(_) => None,
        Err(error) => Some(error.to_string()),
    };
    let faults = version_faults(text);
    let message = match (faults.is_empty(), parse_error) {
        (false, _) => format!("version `{text}` is not strict SemVer: it {}", faults.join(" and ")),
        (true, Some(error)) => format!("version `{text}` is not SemVer 2.0.0: {error}"),
        (true, None) => format!("version `{text}` is not strict SemVer"),
    };
    let help = match normalized_version(text) {
        Some(fixed) if text.contains('+') => {
            format!("write `{fixed}`: a catalog version is immutable, so a new build is a new version")
        }
        Some(fixed) => format!("write `{fixed}`"),
        None => "write MAJOR.MINOR.PATCH with an optional pre-release, e.g. `1.2.0` or `2.0.0-rc.1`".into(),
    };
    Some((message, help))
}

/// The specific ways `text` departs from strict SemVer, each phrased to
/// follow "it": a leading `v`, build metadata, too few parts, leading zeros.
fn version_faults(text: &str) -> Vec<&'static str> {
    let mut faults = Vec::new();
    if text.starts_with(['v', 'V']) {
        faults.push("has a leading `v`");
    }
    if text.contains('+') {
        faults.push("has build metadata (`+…`), which catalog versions may not carry");
    }
    if let Some(parts) = numeric_core(text) {
        if parts.len() < 3 {
            faults.push("needs three parts, MAJOR.MINOR.PATCH");
        }
        if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
            faults.push("has a leading zero");
        }
    }
    faults
}

/// The MAJOR.MINOR.PATCH parts of `text` (without `v`, pre-release or
/// build), when they are all digits.
fn numeric_core(text: &str) -> Option<Vec<&str>> {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .then_some(parts)
}

/// `text` repaired into strict SemVer (leading `v` and build metadata
/// dropped, missing parts added, leading zeros removed), if that works.
fn normalized_version(text: &str) -> Option<String> {
    let parts = numeric_core(text)?;
    if parts.len() > 3 {
        return None;
    }
    let mut core: Vec<String> = parts
        .iter()
        .map(|p| p.trim_start_matches('0'))
        .map(|p| if p.is_empty() { "0" } else { p }.to_string())
        .collect();
    core.resize(3, "0".to_string());
    let without_build = text.split('+').next().unwrap_or_default();
    let pre_release = without_build.split_once('-').map(|(_, pre)| pre);
    let fixed = match pre_release {
        Some(pre) => format!("{}-{pre}", core.join(".")),
        None => core.join("."),
    };
    semver::Version::parse(&fixed).is_ok().then_some(fixed)
}

// ------------------------------------------------------------------ names

/// One named input or output, for the name rules.
struct Named<'a> {
    name: &'a str,
    /// JSON pointer of the input or output (its `name` is below it).
    pointer: &'a str,
    /// "input" or "output": the two namespaces of names.
    what: &'static str,
}

fn check_names(entity: &Entity, definition: &ResourceDefinition, diagnostics: &mut Vec<Diagnostic>) {
    let inputs = definition.inputs.iter().map(|i| Named {
        name: &i.name,
        pointer: &i.pointer,
        what: "input",
    });
    let outputs = definition.outputs.iter().map(|o| Named {
        name: &o.name,
        pointer: &o.pointer,
        what: "output",
    });
    let mut first_seen: HashMap<(&str, &str), &str> = HashMap::new();
    for named in inputs.chain(outputs) {
        check_name_case(entity, &named, diagnostics);
        match first_seen.get(&(named.what, named.name)) {
            Some(first) => report_duplicate(entity, &named, first, diagnostics),
            None => {
                first_seen.insert((named.what, named.name), named.pointer);
            }
        }
    }
}

fn check_name_case(entity: &Entity, named: &Named, diagnostics: &mut Vec<Diagnostic>) {
    if SNAKE_CASE.is_match(named.name) {
        return;
    }
    let suggestion = to_snake_case(named.name);
    let help = if SNAKE_CASE.is_match(&suggestion) {
        format!("rename it to `{suggestion}`")
    } else {
        "use lowercase letters and digits separated by single underscores, starting with a letter (e.g. `instance_class`)"
            .to_string()
    };
    diagnostics.push(
        Diagnostic::new(
            Code::InputNameCase,
            entity.location(&format!("{}/name", named.pointer)),
            format!("{} name `{}` is not snake_case", named.what, named.name),
        )
        .with_help(help),
    );
}

/// `instanceClass` / `instance-class` / `HTTPPort` → `instance_class` /
/// `instance_class` / `http_port`.
fn to_snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let after_word = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            let ends_acronym =
                prev.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase());
            if (after_word || ends_acronym) && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

fn report_duplicate(entity: &Entity, named: &Named, first: &str, diagnostics: &mut Vec<Diagnostic>) {
    let first_at = entity.location(&format!("{first}/name"));
    let section = |pointer: &str| pointer.split('/').nth(2).unwrap_or_default().to_string();
    let scope = match named.what {
        "input" => "across `required_inputs` and `optional_inputs`",
        _ => "in `outputs`",
    };
    diagnostics.push(
        Diagnostic::new(
            Code::DuplicateInput,
            entity.location(&format!("{}/name", named.pointer)),
            format!(
                "{} `{}` is defined twice: it is already defined at line {} (in `{}`)",
                named.what,
                named.name,
                first_at.line,
                section(first)
            ),
        )
        .with_help(format!(
            "rename or remove one of them; {} names must be unique {scope}",
            named.what
        ))
        .with_related("first defined here", first_at),
    );
}

// ------------------------------------------------------------- validation

fn validation_location(entity: &Entity, input: &Input, key: &str) -> FilePosition {
    entity.location(&format!("{}/validation/{key}", input.pointer))
}

/// A pattern must compile (Rust `regex` syntax, close to ECMAScript for the
/// patterns used in practice; no look-around, no backreferences) and only
/// applies to string inputs. An input without a type is treated as a
/// string; its missing type is the schema check's.
fn check_pattern(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    let Some(pattern) = &input.pattern else { return };
    let at = validation_location(entity, input, "pattern");
    if let Some(value_type) = input.value_type.as_ref().filter(|t| **t != ValueType::String) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidPattern,
                at,
                format!(
                    "`pattern` on the {value_type} input `{}` has no effect: patterns apply to strings",
                    input.name
                ),
            )
            .with_help("remove the pattern, or use `min`/`max`/`enum` to constrain the value"),
        );
    } else if let Err(error) = Regex::new(pattern) {
        let (reason, help) = regex_error(&error);
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidPattern,
                at,
                format!(
                    "pattern `{pattern}` of `{}` is not a valid regular expression: {reason}",
                    input.name
                ),
            )
            .with_help(help),
        );
    }
}

/// The one line of a regex error that says what is wrong, and how to fix it.
fn regex_error(error: &regex::Error) -> (String, String) {
    let text = error.to_string();
    let reason = text
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("error: "))
        .or_else(|| text.lines().map(str::trim).find(|line| !line.is_empty()))
        .unwrap_or_default()
        .to_string();
    let help = if reason.contains("look-around") || reason.contains("backreference") {
        "rewrite the pattern without look-around or backreferences: cairn checks patterns with Rust's regex syntax, which has neither"
    } else {
        "fix the regular expression; in a double-quoted YAML string a regex backslash is written `\\\\` (or use single quotes)"
    };
    (reason, help.to_string())
}

/// `min`/`max` are value bounds for numbers and length bounds for strings
/// and arrays; on booleans and objects they mean nothing. `min > max`
/// admits no value at all.
fn check_bounds(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    let keys: Vec<&str> = [("min", input.min), ("max", input.max)]
        .into_iter()
        .filter_map(|(key, bound)| bound.map(|_| key))
        .collect();
    let unbounded = input
        .value_type
        .as_ref()
        .filter(|t| matches!(t, ValueType::Boolean | ValueType::Object));
    if let (Some(first), Some(value_type)) = (keys.first(), unbounded) {
        let written = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ");
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidBounds,
                validation_location(entity, input, first),
                format!(
                    "{written} on the {value_type} input `{}` has no effect: bounds apply to numbers (value) and to strings and arrays (length)",
                    input.name
                ),
            )
            .with_help(format!("remove {written}, or change the input's type")),
        );
    }
    if let (Some(min), Some(max)) = (input.min, input.max) {
        if min > max {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidBounds,
                    validation_location(entity, input, "min"),
                    format!(
                        "`{}` has min {min} greater than max {max}, so no value is valid",
                        input.name
                    ),
                )
                .with_help(format!("swap them (`min: {max}`, `max: {min}`) or correct one of them")),
            );
        }
    }
}

fn check_enum(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    if input.allowed.as_ref().is_some_and(Vec::is_empty) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidBounds,
                validation_location(entity, input, "enum"),
                format!("`{}` has an empty `enum`, so no value is valid", input.name),
            )
            .with_help("list the allowed values, or remove `enum` to allow any value"),
        );
    }
}

// ---------------------------------------------------------------- default

/// Why `value` is not a valid value of `input` — its type, enum, bounds or
/// pattern, as the request form and JSON Schema check them — or `None`.
/// Claims are checked with it (`query::claims`).
pub fn value_problem(input: &Input, value: &Json) -> Option<String> {
    let breach = input.breach(value)?;
    Some(format!("{value} {}", breach_phrase(input, value, &breach)))
}

/// "a string", "an integer"… for messages about a value's type.
fn describe_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) if ValueType::Integer.admits(value) => "an integer",
        Json::Number(_) => "a non-integer number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn with_article(value_type: &ValueType) -> String {
    match value_type {
        ValueType::Integer | ValueType::Array | ValueType::Object => format!("an {value_type}"),
        ValueType::String | ValueType::Number | ValueType::Boolean | ValueType::Other(_) => format!("a {value_type}"),
    }
}

fn breach_phrase(input: &Input, value: &Json, breach: &Breach) -> String {
    let name = &input.name;
    let length = |n: &Option<f64>| n.map(|n| format!(" (its length is {n})")).unwrap_or_default();
    match breach {
        Breach::Type(t) => format!("is {}, but `{name}` is {} input", describe_type(value), with_article(t)),
        Breach::NotAllowed => {
            let list: Vec<String> = input.allowed.iter().flatten().map(Json::to_string).collect();
            format!("is not one of the allowed values of `{name}` ({})", list.join(", "))
        }
        Breach::BelowMin(min, None) => format!("is below the minimum {min} of `{name}`"),
        Breach::BelowMin(min, n) => format!("is shorter than the minimum length {min} of `{name}`{}", length(n)),
        Breach::AboveMax(max, None) => format!("is above the maximum {max} of `{name}`"),
        Breach::AboveMax(max, n) => format!("is longer than the maximum length {max} of `{name}`{}", length(n)),
        Breach::Pattern => format!(
            "does not match the pattern `{}` of `{name}`",
            input.pattern.as_deref().unwrap_or_default()
        ),
    }
}

fn breach_help(value: &Json, breach: &Breach) -> String {
    match (breach, value) {
        (Breach::Type(_), Json::Null) => {
            "remove `default` if the input has no default, or give a value of its type".into()
        }
        (Breach::Type(t), Json::String(_)) if *t != ValueType::String => {
            format!(
                "write the default as {} without quotes, or change the input's type",
                with_article(t)
            )
        }
        (Breach::Type(t), _) => format!("write the default as {}, or change the input's type", with_article(t)),
        (Breach::NotAllowed, _) => "use one of the allowed values as the default, or add it to `enum`".into(),
        (Breach::BelowMin(min, _), _) => format!("raise the default to at least {min}, or lower `min`"),
        (Breach::AboveMax(max, _), _) => format!("lower the default to at most {max}, or raise `max`"),
        (Breach::Pattern, _) => "change the default to a value the pattern matches, or widen the pattern".into(),
    }
}

fn check_default(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    let Some(default) = &input.default else { return };
    let Some(breach) = input.breach(default) else {
        return;
    };
    diagnostics.push(
        Diagnostic::new(
            Code::InvalidDefault,
            entity.location(&format!("{}/default", input.pointer)),
            format!("default {default} {}", breach_phrase(input, default, &breach)),
        )
        .with_help(breach_help(default, &breach)),
    );
}

// ---------------------------------------------------------------- engines

fn check_engines(entity: &Entity, definition: &ResourceDefinition, diagnostics: &mut Vec<Diagnostic>) {
    if definition.supported_engines.is_empty() {
        return;
    }
    let unsupported = definition
        .engine_configs
        .keys()
        .filter(|engine| !definition.supported_engines.contains(engine));
    for engine in unsupported {
        let pointer = format!("/spec/engine_configs/{}", escape_pointer(engine));
        diagnostics.push(
            Diagnostic::new(
                Code::UnsupportedEngineConfig,
                entity.key_location(&pointer),
                format!("`engine_configs` configures `{engine}`, which is not in `supported_engines`"),
            )
            .with_help(format!(
                "add `{engine}` to `spec.supported_engines`, or remove its configuration"
            )),
        );
    }
}

/// Whether a module version is a range (`~> 6.0`, `^1.2`, `>= 5`, `5.*`)
/// rather than one exact version or ref.
fn is_range(version: &str) -> bool {
    let version = version.trim();
    version.starts_with(['~', '^', '>', '<', '='])
        || version.contains(['*', ' ', ',', '|'])
        || version.split('.').any(|p| p == "x" || p == "X")
}

/// SEMVER.md's `engine-module-not-pinned`: an immutable catalog version
/// should not resolve to different modules over time.
fn check_pinned_modules(entity: &Entity, definition: &ResourceDefinition, diagnostics: &mut Vec<Diagnostic>) {
    for (engine, config) in &definition.engine_configs {
        let Some(version) = config.get("module_version").and_then(Json::as_str) else {
            continue;
        };
        if is_range(version) {
            let pointer = format!("/spec/engine_configs/{}/module_version", escape_pointer(engine));
            diagnostics.push(
                Diagnostic::new(
                    Code::EngineModuleNotPinned,
                    entity.location(&pointer),
                    format!("`{engine}` module_version `{version}` is a range, so this version can resolve to different modules over time"),
                )
                .with_help("pin one exact version, e.g. `5.9.0`"),
            );
        }
    }
}

#[cfg(test)]
mod tests;
