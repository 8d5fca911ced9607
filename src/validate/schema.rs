//! JSON Schema validation of every document against its kind's schema.
//!
//! The schemas are the files in `schemas/`, embedded in the binary (and
//! written to `dist/schemas/` by `build` for editors). They refer to each
//! other by relative `$ref`, resolved here through a registry holding every
//! file under its `$id`, so validation never touches the network.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use include_dir::{include_dir, Dir};
use jsonschema::error::ValidationErrorKind;
use jsonschema::json::Json as Representation;
use jsonschema::{Registry, Retrieve, Validator};
use serde_json::Value as Json;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Entity, Kind};
use crate::parse::{Node, Value};
use crate::util::escape_pointer;
use crate::validate::yaml_json::YamlTree;

/// The schema files, as shipped.
pub static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// Where the schemas say they live (`$id` prefix).
const BASE_URI: &str = "https://cairn.dev/schemas/";

fn parse_schema(name: &str) -> Json {
    let file = SCHEMAS
        .get_file(name)
        .unwrap_or_else(|| panic!("schemas/{name} is embedded"));
    serde_json::from_slice(file.contents()).unwrap_or_else(|e| panic!("schemas/{name} is valid JSON: {e}"))
}

fn registry() -> &'static Registry<'static> {
    static REGISTRY: OnceLock<Registry<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let resources = SCHEMAS.files().map(|f| {
            let name = f.path().to_string_lossy().into_owned();
            (format!("{BASE_URI}{name}"), parse_schema(&name))
        });
        Registry::new()
            .extend(resources)
            .and_then(|b| b.prepare())
            .expect("the embedded schemas form a valid registry")
    })
}

/// The compiled validator of each kind for documents as parsed, built
/// once per process: what tells a valid document.
fn tree_validators() -> &'static HashMap<Kind, Validator<YamlTree>> {
    static VALIDATORS: OnceLock<HashMap<Kind, Validator<YamlTree>>> = OnceLock::new();
    VALIDATORS.get_or_init(|| compile_every_kind(jsonschema::options_for::<YamlTree>()))
}

/// The compiled validator of each kind for documents as JSON, built on
/// the first invalid document: what says what is wrong (its messages
/// quote values as JSON, and list unexpected properties in JSON's order).
fn json_validators() -> &'static HashMap<Kind, Validator> {
    static VALIDATORS: OnceLock<HashMap<Kind, Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| compile_every_kind(jsonschema::options()))
}

fn compile_every_kind<F: Representation>(
    options: jsonschema::ValidationOptions<'static, Arc<dyn Retrieve>, F>,
) -> HashMap<Kind, Validator<F>> {
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let schema = parse_schema(kind.schema_file());
            let validator = options
                .clone()
                .with_draft(jsonschema::Draft::Draft202012)
                .with_registry(registry())
                .build(&schema)
                .unwrap_or_else(|e| panic!("schemas/{} compiles: {e}", kind.schema_file()));
            (kind, validator)
        })
        .collect()
}

/// Validates one entity's document; every violation is a `schema-violation`
/// at the offending node (for a missing property: at the object that should
/// hold it; for an unexpected property: at its key).
pub fn check(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let non_finite = non_finite_numbers(entity, diagnostics);
    // Most documents are valid, and asking only that, of the tree as it
    // is, is much cheaper than collecting the errors.
    if tree_validators()[&entity.kind].is_valid(&*entity.node) {
        return;
    }
    let validator = &json_validators()[&entity.kind];
    let json = entity.to_json();
    // Missing properties of one mapping are reported together.
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for error in validator.iter_errors(&json) {
        let parent = error.instance_path().as_str();
        if non_finite.iter().any(|p| p == parent) || under_placeholder(entity, parent) {
            // Reported once, as `non-finite-number`.
            continue;
        }
        let (location, message) = match error.kind() {
            // `version-format` explains a numeric version better.
            ValidationErrorKind::Type { .. }
                if entity.kind == Kind::ResourceDefinition && parent == "/metadata/version" =>
            {
                continue;
            }
            ValidationErrorKind::Required { property } => {
                missing
                    .entry(parent.to_string())
                    .or_default()
                    .push(property.as_str().unwrap_or_default().to_string());
                continue;
            }
            ValidationErrorKind::AdditionalProperties { unexpected } if unexpected.len() == 1 => {
                let key = &unexpected[0];
                let location = entity.key_location(&format!("{parent}/{}", escape_pointer(key)));
                (location, format!("unknown property `{key}`"))
            }
            _ => (entity.location(parent), error.to_string()),
        };
        let help = help_for(error.kind(), entity.kind);
        diagnostics.push(
            Diagnostic::new(
                Code::SchemaViolation,
                location.clone(),
                format!("{}: {message}", what(entity, &location.pointer)),
            )
            .with_help(help),
        );
    }
    for (parent, properties) in missing {
        // Shown at the key of the mapping that lacks them.
        let location = if parent.is_empty() {
            entity.location(&parent)
        } else {
            entity.key_location(&parent)
        };
        let list = properties
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if properties.len() == 1 {
            "property"
        } else {
            "properties"
        };
        diagnostics.push(
            Diagnostic::new(
                Code::SchemaViolation,
                location,
                format!("{}: missing required {noun} {list}", what(entity, &parent)),
            )
            .with_help(format!(
                "add {list}; schemas/{} lists the fields {} needs",
                entity.kind.schema_file(),
                with_article(entity.kind.as_str())
            )),
        );
    }
}

/// Whether the node at `pointer`, or one of its parents, is a placeholder
/// left as written (a URL, or a target reported as unreadable): its value
/// is unknown, so the schema has nothing to say about it.
fn under_placeholder(entity: &Entity, pointer: &str) -> bool {
    let mut at = pointer;
    loop {
        if entity
            .node
            .pointer(at)
            .is_some_and(crate::load::placeholders::is_placeholder)
        {
            return true;
        }
        match at.rsplit_once('/') {
            Some((parent, _)) => at = parent,
            None => return false,
        }
    }
}

/// Reports every `.nan`, `.inf`, `-.inf` (or number beyond `f64`, such as
/// `1e309`) in the entity: JSON has no such numbers, so the value could
/// not reach any output. Returns their pointers.
fn non_finite_numbers(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut found = Vec::new();
    if holds_non_finite(&entity.node) {
        collect_non_finite(&entity.node, &mut String::new(), &mut found);
    }
    for (pointer, f) in &found {
        let written = if f.is_nan() {
            ".nan"
        } else if *f > 0.0 {
            ".inf"
        } else {
            "-.inf"
        };
        diagnostics.push(
            Diagnostic::new(
                Code::NonFiniteNumber,
                entity.location(pointer),
                format!("{}: `{written}` is not a number JSON can hold", what(entity, pointer)),
            )
            .with_help("write the value you meant; quote it (\".inf\") if it is text"),
        );
    }
    found.into_iter().map(|(pointer, _)| pointer).collect()
}

/// Whether a non-finite float is anywhere under `node` (almost never: the
/// pointers are then made only for the documents that hold one).
fn holds_non_finite(node: &Node) -> bool {
    match &node.value {
        Value::Float(f) => !f.is_finite(),
        Value::Seq(items) => items.iter().any(holds_non_finite),
        Value::Map(entries) => entries.iter().any(|(_, value)| holds_non_finite(value)),
        _ => false,
    }
}

/// The non-finite floats under `node`, which is at `pointer`, with their
/// pointers. `pointer` is extended and restored on the way down, so only a
/// float found costs a string.
fn collect_non_finite(node: &Node, pointer: &mut String, found: &mut Vec<(String, f64)>) {
    let mut descend = |child: &Node, segment: &dyn std::fmt::Display, pointer: &mut String| {
        let len = pointer.len();
        write!(pointer, "/{segment}").expect("writing to a String succeeds");
        collect_non_finite(child, pointer, found);
        pointer.truncate(len);
    };
    match &node.value {
        Value::Float(f) if !f.is_finite() => found.push((pointer.clone(), *f)),
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                descend(item, &i, pointer);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries.iter() {
                descend(value, &escape_pointer(key.as_str().unwrap_or_default()), pointer);
            }
        }
        _ => {}
    }
}

/// `a Component`, `an API`: the kind with its indefinite article.
fn with_article(kind: &str) -> String {
    let article = if kind.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind}")
}

/// How a message names the node at `pointer`.
fn what(entity: &Entity, pointer: &str) -> String {
    if pointer.is_empty() {
        entity.kind.as_str().to_string()
    } else {
        format!("`{}`", display(pointer))
    }
}

fn display(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn help_for(kind: &ValidationErrorKind, entity_kind: Kind) -> String {
    let schema = entity_kind.schema_file();
    match kind {
        ValidationErrorKind::AdditionalProperties { .. } => {
            format!("remove it or fix its spelling; schemas/{schema} lists the known properties")
        }
        ValidationErrorKind::Type { .. } => {
            "change the value to the expected type (quote strings that look like numbers)".into()
        }
        _ => format!(
            "see schemas/{schema}; `cairn explain schema-violation` shows how editors can check this as you type"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree validators and the JSON ones agree on real files: every
    /// document of Backstage's example catalog (read in place from
    /// `../shared/corpus/`) and of the test fixtures (the broken ones
    /// included), against every kind's schema — valid and invalid alike.
    #[test]
    fn a_document_is_valid_as_parsed_exactly_when_its_json_is() {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let roots = [
            manifest.join("../shared/corpus/backstage-examples"),
            manifest.join("tests/fixtures"),
        ];
        let mut outcomes = [0usize; 2];
        for root in &roots {
            assert!(root.is_dir(), "{} is missing", root.display());
            for entry in walkdir::WalkDir::new(root).into_iter().filter_map(Result::ok) {
                let path = entry.path();
                if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                for document in crate::parse::parse_yaml("x.yaml", &text).documents {
                    let json = document.root.to_json();
                    for kind in Kind::ALL {
                        let valid = json_validators()[&kind].is_valid(&json);
                        assert_eq!(
                            tree_validators()[&kind].is_valid(&document.root),
                            valid,
                            "{} document {} against {kind:?}",
                            path.display(),
                            document.index
                        );
                        outcomes[usize::from(valid)] += 1;
                    }
                }
            }
        }
        assert!(outcomes[0] > 1000 && outcomes[1] > 100, "invalid, valid: {outcomes:?}");
    }
}
