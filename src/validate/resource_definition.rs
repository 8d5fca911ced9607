//! Rules for one ResourceDefinition version: `metadata.version` is strict
//! SemVer written as a string, input and output names are snake_case and
//! unique, validation patterns compile, bounds make sense, and every default
//! satisfies its own input's type and validation (a default the form would
//! reject is a bug users hit first).
//!
//! Patterns are compiled with Rust's `regex` syntax, which agrees with
//! ECMAScript (what JSON Schema `pattern` and the browser form use) on the
//! patterns definitions use in practice; look-around and backreferences are
//! rejected. Patterns match anywhere unless anchored, as in JSON Schema.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value as Json;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Entity, Input};
use crate::parse::Value;

static SNAKE_CASE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$").expect("valid regex"));

/// Checks one `kind: ResourceDefinition` entity.
pub fn check(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let Some(definition) = &entity.resource_definition else {
        return;
    };
    check_version(entity, diagnostics);
    check_names(entity, diagnostics);
    for input in &definition.inputs {
        check_validation(entity, input, diagnostics);
        check_default(entity, input, diagnostics);
    }
    check_engines(entity, diagnostics);
}

fn check_version(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let Some(node) = entity.node.pointer("/metadata/version") else {
        return;
    };
    let at = entity.location("/metadata/version");
    let problem = match &node.value {
        Value::Int(_) | Value::Float(_) => {
            let read = node.to_json();
            Some((
                format!("`metadata.version` is a YAML number (read as {read}), not a version string"),
                "quote it: `version: \"1.2.0\"` (unquoted `1.10` reads as the number 1.1)".to_string(),
            ))
        }
        Value::String(text) => version_problem(text),
        _ => None, // the schema check reports other types
    };
    if let Some((message, help)) = problem {
        diagnostics.push(Diagnostic::new(Code::VersionFormat, at, message).with_help(help));
    }
}

/// Why `text` is not strict SemVer 2.0.0 without build metadata.
fn version_problem(text: &str) -> Option<(String, String)> {
    let bad = |why: &str, help: String| Some((format!("version `{text}` {why}"), help));
    if let Some(rest) = text.strip_prefix(['v', 'V']) {
        return bad("has a leading `v`", format!("write `{rest}`"));
    }
    if text.contains('+') {
        let base = text.split('+').next().unwrap_or_default();
        return bad(
            "has build metadata, which a catalog version may not carry",
            format!("write `{base}`; publish a new version for a new build"),
        );
    }
    match semver::Version::parse(text) {
        Ok(_) => None,
        Err(_) => {
            let core = text.split('-').next().unwrap_or_default();
            let parts: Vec<&str> = core.split('.').collect();
            if parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            {
                if parts.len() < 3 {
                    let mut fixed = parts.clone();
                    fixed.resize(3, "0");
                    return bad(
                        "needs three parts, MAJOR.MINOR.PATCH",
                        format!("write `{}`", fixed.join(".")),
                    );
                }
                if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
                    let fixed: Vec<String> = parts
                        .iter()
                        .map(|p| p.trim_start_matches('0').to_string())
                        .map(|p| if p.is_empty() { "0".into() } else { p })
                        .collect();
                    return bad("has a leading zero", format!("write `{}`", fixed.join(".")));
                }
            }
            bad(
                "is not a SemVer 2.0.0 version",
                "write MAJOR.MINOR.PATCH, e.g. `1.2.0` or `2.0.0-rc.1`".into(),
            )
        }
    }
}

/// `instanceClass` / `instance-class` → `instance_class`.
fn to_snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn check_names(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let definition = entity.resource_definition.as_ref().expect("checked by caller");
    let inputs = definition
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), i.pointer.as_str(), "input"));
    let outputs = definition
        .outputs
        .iter()
        .map(|o| (o.name.as_str(), o.pointer.as_str(), "output"));
    let mut first_seen: HashMap<(&str, &str), &str> = HashMap::new();
    for (name, pointer, what) in inputs.chain(outputs) {
        let name_pointer = format!("{pointer}/name");
        if !SNAKE_CASE.is_match(name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::InputNameCase,
                    entity.location(&name_pointer),
                    format!("{what} name `{name}` is not snake_case"),
                )
                .with_help(format!("write `{}`", to_snake_case(name))),
            );
        }
        match first_seen.get(&(what, name)) {
            Some(first) => {
                let first_at = entity.location(&format!("{first}/name"));
                diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateInput,
                        entity.location(&name_pointer),
                        format!("{what} `{name}` is defined twice (first at line {})", first_at.line),
                    )
                    .with_help(format!(
                        "rename or remove one of them; {what} names are unique across the definition"
                    ))
                    .with_related("first defined here", first_at),
                );
            }
            None => {
                first_seen.insert((what, name), pointer);
            }
        }
    }
}

fn is_numeric(input: &Input) -> bool {
    matches!(input.value_type.as_deref(), Some("integer" | "number"))
}

/// Whether min/max apply to `input` (value bounds for numbers, length
/// bounds for strings and arrays).
fn takes_bounds(input: &Input) -> bool {
    matches!(
        input.value_type.as_deref(),
        Some("integer" | "number" | "string" | "array") | None
    )
}

fn check_validation(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    let validation = format!("{}/validation", input.pointer);
    if let Some(pattern) = &input.pattern {
        let at = entity.location(&format!("{validation}/pattern"));
        if !matches!(input.value_type.as_deref(), Some("string") | None) {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidPattern,
                    at,
                    format!("`pattern` on `{}` has no effect: patterns apply to strings", input.name),
                )
                .with_help("remove the pattern or make the input a string"),
            );
        } else if let Err(error) = Regex::new(pattern) {
            let text = error.to_string();
            let first_line = text
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty())
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidPattern,
                    at,
                    format!("pattern of `{}` does not compile: {first_line}", input.name),
                )
                .with_help("fix the regular expression; in double-quoted YAML write a backslash as `\\\\`"),
            );
        }
    }
    if (input.min.is_some() || input.max.is_some()) && !takes_bounds(input) {
        let key = if input.min.is_some() { "min" } else { "max" };
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidBounds,
                entity.location(&format!("{validation}/{key}")),
                format!(
                    "`{key}` on `{}` has no effect: bounds apply to numbers, strings and arrays",
                    input.name
                ),
            )
            .with_help("remove the bound or change the input's type"),
        );
    }
    if let (Some(min), Some(max)) = (input.min, input.max) {
        if min > max {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidBounds,
                    entity.location(&format!("{validation}/min")),
                    format!(
                        "`{}` has min {min} greater than max {max}: no value is valid",
                        input.name
                    ),
                )
                .with_help("swap the bounds or fix one of them"),
            );
        }
    }
    if input.allowed.as_ref().is_some_and(Vec::is_empty) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidBounds,
                entity.location(&format!("{validation}/enum")),
                format!("`{}` has an empty `enum`: no value is valid", input.name),
            )
            .with_help("list the allowed values or remove `enum`"),
        );
    }
}

/// Why `value` is not a valid value of `input`, if it is not.
pub fn value_problem(input: &Input, value: &Json) -> Option<String> {
    let type_ok = match input.value_type.as_deref() {
        Some("string") => value.is_string(),
        Some("integer") => value.as_i64().is_some() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    };
    if !type_ok {
        return Some(format!(
            "is not of type {}",
            input.value_type.as_deref().unwrap_or_default()
        ));
    }
    if let Some(allowed) = &input.allowed {
        if !allowed.is_empty() && !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Json::to_string).collect();
            return Some(format!("is not one of the allowed values {}", list.join(", ")));
        }
    }
    let (measure, what) = match value {
        Json::Number(n) if is_numeric(input) => (n.as_f64(), ""),
        Json::String(s) => (Some(s.chars().count() as f64), " characters long"),
        Json::Array(items) => (Some(items.len() as f64), " items long"),
        _ => (None, ""),
    };
    if let Some(measure) = measure {
        if let Some(min) = input.min.filter(|min| measure < *min) {
            return Some(format!(
                "is below the minimum {min}{}",
                if what.is_empty() {
                    String::new()
                } else {
                    format!(" ({measure}{what})")
                }
            ));
        }
        if let Some(max) = input.max.filter(|max| measure > *max) {
            return Some(format!(
                "is above the maximum {max}{}",
                if what.is_empty() {
                    String::new()
                } else {
                    format!(" ({measure}{what})")
                }
            ));
        }
    }
    if let (Some(pattern), Json::String(s)) = (&input.pattern, value) {
        if let Ok(regex) = Regex::new(pattern) {
            if !regex.is_match(s) {
                return Some(format!("does not match the pattern `{pattern}`"));
            }
        }
    }
    None
}

fn check_default(entity: &Entity, input: &Input, diagnostics: &mut Vec<Diagnostic>) {
    let Some(default) = &input.default else { return };
    if let Some(why) = value_problem(input, default) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidDefault,
                entity.location(&format!("{}/default", input.pointer)),
                format!("default {default} of `{}` {why}", input.name),
            )
            .with_help("change the default to a value the input accepts, or relax the validation"),
        );
    }
}

fn check_engines(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let definition = entity.resource_definition.as_ref().expect("checked by caller");
    if definition.supported_engines.is_empty() {
        return;
    }
    for engine in definition.engine_configs.keys() {
        if !definition.supported_engines.contains(engine) {
            let pointer = format!("/spec/engine_configs/{}", crate::parse::escape_pointer(engine));
            diagnostics.push(
                Diagnostic::new(
                    Code::UnsupportedEngineConfig,
                    entity.key_location(&pointer),
                    format!("`engine_configs` configures `{engine}`, which is not in `supported_engines`"),
                )
                .with_help(format!(
                    "add `{engine}` to `spec.supported_engines` or remove its configuration"
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lower_document;
    use crate::parse::parse_yaml;

    fn check_text(text: &str) -> Vec<(Code, u32, String)> {
        let parsed = parse_yaml("rd.yaml", text);
        let mut diagnostics = parsed.diagnostics;
        let entity = parsed
            .documents
            .into_iter()
            .find_map(|d| lower_document("rd.yaml", d, &mut diagnostics))
            .unwrap();
        check(&entity, &mut diagnostics);
        diagnostics
            .into_iter()
            .map(|d| (d.code, d.location.line, d.help.unwrap_or_default()))
            .collect()
    }

    fn definition(version: &str, inputs: &str) -> String {
        format!("apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata:\n  name: db\n  version: {version}\nspec:\n  supported_engines: [terraform]\n  required_inputs:\n{inputs}  engine_configs:\n    terraform: {{ module_source: x }}\n")
    }

    #[test]
    fn the_seed_is_clean() {
        let seed = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/seed-resource-definition/aws-rds-mysql.yaml"
        ))
        .unwrap();
        assert_eq!(check_text(&seed), []);
    }

    #[test]
    fn versions() {
        let version = |v: &str| check_text(&definition(v, ""));
        assert_eq!(version("\"1.2.0\""), []);
        assert_eq!(version("\"1.3.0-rc.1\""), []);
        assert_eq!(version("1.10")[0].0, Code::VersionFormat);
        assert!(version("1.10")[0].2.contains("quote it"));
        assert_eq!(version("\"v1.2.0\"")[0].2, "write `1.2.0`");
        assert_eq!(version("\"1.2\"")[0].2, "write `1.2.0`");
        assert_eq!(version("\"01.2.0\"")[0].2, "write `1.2.0`");
        assert!(version("\"1.2.0+b1\"")[0].2.starts_with("write `1.2.0`"));
    }

    #[test]
    fn names_are_snake_case_and_unique() {
        let found = check_text(&definition("\"1.0.0\"", "    - { name: instanceClass, type: string }\n    - { name: size, type: integer }\n    - { name: size, type: integer }\n"));
        assert_eq!(found[0], (Code::InputNameCase, 9, "write `instance_class`".into()));
        assert_eq!(found[1].0, Code::DuplicateInput);
        assert_eq!(found[1].1, 11);
        assert_eq!(to_snake_case("backup-retention"), "backup_retention");
    }

    #[test]
    fn patterns_must_compile() {
        let found = check_text(&definition(
            "\"1.0.0\"",
            "    - { name: class, type: string, validation: { pattern: \"^db\\\\.[a-z\" } }\n",
        ));
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [Code::InvalidPattern]);
        assert_eq!(
            check_text(&definition(
                "\"1.0.0\"",
                "    - { name: class, type: string, validation: { pattern: \"^db\\\\.[a-z]+$\" } }\n"
            )),
            []
        );
    }

    #[test]
    fn defaults_satisfy_their_validation() {
        let default = |input: &str| {
            check_text(&definition("\"1.0.0\"", input))
                .into_iter()
                .map(|f| f.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            default("    - { name: gb, type: integer, default: 5, validation: { min: 20 } }\n"),
            [Code::InvalidDefault]
        );
        assert_eq!(
            default("    - { name: gb, type: integer, default: 25, validation: { min: 20 } }\n"),
            []
        );
        assert_eq!(
            default("    - { name: n, type: string, default: abc, validation: { pattern: \"^[0-9]+$\" } }\n"),
            [Code::InvalidDefault]
        );
        assert_eq!(
            default("    - { name: n, type: integer, default: x }\n"),
            [Code::InvalidDefault]
        );
        assert_eq!(
            default("    - { name: n, type: integer, default: 7.5 }\n"),
            [Code::InvalidDefault]
        );
        assert_eq!(
            default("    - { name: v, type: string, default: \"13\", validation: { enum: [\"14\", \"15\"] } }\n"),
            [Code::InvalidDefault]
        );
        assert_eq!(
            default("    - { name: v, type: string, default: \"15\", validation: { enum: [\"14\", \"15\"] } }\n"),
            []
        );
    }

    #[test]
    fn bounds_make_sense() {
        let found = |input: &str| {
            check_text(&definition("\"1.0.0\"", input))
                .into_iter()
                .map(|f| f.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found("    - { name: n, type: integer, validation: { min: 10, max: 1 } }\n"),
            [Code::InvalidBounds]
        );
        assert_eq!(
            found("    - { name: b, type: boolean, validation: { min: 1 } }\n"),
            [Code::InvalidBounds]
        );
        assert_eq!(
            found("    - { name: b, type: integer, validation: { enum: [] } }\n"),
            [Code::InvalidBounds]
        );
        assert_eq!(
            found("    - { name: b, type: integer, validation: { pattern: \"^1$\" } }\n"),
            [Code::InvalidPattern]
        );
    }

    #[test]
    fn engine_configs_name_supported_engines() {
        let text =
            definition("\"1.0.0\"", "").replace("terraform: { module_source: x }", "pulumi: { program_template: x }");
        assert_eq!(
            check_text(&text).into_iter().map(|f| f.0).collect::<Vec<_>>(),
            [Code::UnsupportedEngineConfig]
        );
    }
}
