//! JSON Schema validation of every document against its kind's schema.
//!
//! The schemas are the files in `schemas/`, embedded in the binary (and
//! written to `dist/schemas/` by `build` for editors). They refer to each
//! other by relative `$ref`, resolved here through a registry holding every
//! file under its `$id`, so validation never touches the network.

use std::collections::HashMap;
use std::sync::OnceLock;

use include_dir::{include_dir, Dir};
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Registry, Validator};
use serde_json::Value as Json;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Entity, Kind};
use crate::parse::escape_pointer;

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

/// The compiled validator of each kind, built once per process.
fn validators() -> &'static HashMap<Kind, Validator> {
    static VALIDATORS: OnceLock<HashMap<Kind, Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let kinds = [
            Kind::Component,
            Kind::Api,
            Kind::System,
            Kind::Domain,
            Kind::Resource,
            Kind::Group,
            Kind::User,
            Kind::Location,
            Kind::ResourceDefinition,
        ];
        kinds
            .into_iter()
            .map(|kind| {
                let schema = parse_schema(kind.schema_file());
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .with_registry(registry())
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("schemas/{} compiles: {e}", kind.schema_file()));
                (kind, validator)
            })
            .collect()
    })
}

/// Validates one entity's document; every violation is a `schema-violation`
/// at the offending node (for a missing property: at the object that should
/// hold it; for an unexpected property: at its key).
pub fn check(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let validator = &validators()[&entity.kind];
    let json = entity.to_json();
    for error in validator.iter_errors(&json) {
        let parent = error.instance_path().as_str();
        let (location, message) = match error.kind() {
            // `version-format` explains a numeric version better.
            ValidationErrorKind::Type { .. }
                if entity.kind == Kind::ResourceDefinition && parent == "/metadata/version" =>
            {
                continue;
            }
            ValidationErrorKind::AdditionalProperties { unexpected } if unexpected.len() == 1 => {
                let key = &unexpected[0];
                let location = super::key_at(entity, &format!("{parent}/{}", escape_pointer(key)));
                (location, format!("unknown property `{key}`"))
            }
            // A missing property is shown at the key of the mapping that lacks it.
            ValidationErrorKind::Required { .. } if !parent.is_empty() => {
                (super::key_at(entity, parent), error.to_string())
            }
            _ => (super::at(entity, parent), error.to_string()),
        };
        let what = if location.pointer.is_empty() {
            entity.kind.as_str().to_string()
        } else {
            format!("`{}`", display(&location.pointer))
        };
        let help = help_for(error.kind(), entity.kind);
        diagnostics
            .push(Diagnostic::new(Code::SchemaViolation, location, format!("{what}: {message}")).with_help(help));
    }
}

fn display(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn help_for(kind: &ValidationErrorKind, entity_kind: Kind) -> String {
    let schema = entity_kind.schema_file();
    match kind {
        ValidationErrorKind::Required { property } => {
            format!(
                "add `{}`; see schemas/{schema} for the fields a {} needs",
                property.as_str().unwrap_or("it"),
                entity_kind.as_str()
            )
        }
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
