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

use crate::diagnostics::{Code, Diagnostic, Location};
use crate::model::{has_type, Breach, Entity, Input, ResourceDefinition};
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

fn validation_location(entity: &Entity, input: &Input, key: &str) -> Location {
    entity.location(&format!("{}/validation/{key}", input.pointer))
}

fn type_is(input: &Input, types: &[&str]) -> bool {
    input.value_type.as_deref().is_some_and(|t| types.contains(&t))
}

/// A pattern must compile (Rust `regex` syntax, close to ECMAScript for the
/// patterns used in practice; no look-around, no backreferences) and only
/// applies to string inputs. An input without a type is treated as a
/// string; its missing type is the schema check's.
fn check_pattern(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    let Some(pattern) = &input.pattern else { return };
    let at = validation_location(entity, input, "pattern");
    if input.value_type.is_some() && !type_is(input, &["string"]) {
        let value_type = input.value_type.as_deref().unwrap_or_default();
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
    if let (Some(first), true) = (keys.first(), type_is(input, &["boolean", "object"])) {
        let value_type = input.value_type.as_deref().unwrap_or_default();
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
        Json::Number(_) if has_type(value, "integer") => "an integer",
        Json::Number(_) => "a non-integer number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn with_article(value_type: &str) -> String {
    match value_type {
        "integer" | "array" | "object" => format!("an {value_type}"),
        _ => format!("a {value_type}"),
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
        (Breach::Type(t), Json::String(_)) if t != "string" => {
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
mod tests {
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
        let text =
            with_version("\"1.0.0\"").replace("terraform: { module_source: x }", "pulumi: { program_template: x }");
        let found = only(&text);
        assert_eq!(found.code, Code::UnsupportedEngineConfig);
        assert_eq!(found.severity, crate::diagnostics::Severity::Warning);
        assert_eq!(found.location.pointer, "/spec/engine_configs/pulumi");
        assert_eq!((found.location.line, found.location.column), (13, 5));
        // With no supported_engines there is nothing to compare with.
        let unlisted = text.replace("  supported_engines: [terraform]\n", "");
        assert_eq!(diagnostics_of(&unlisted), []);
    }
}
