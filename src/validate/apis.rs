//! API contracts: every API's definition can be read as its format
//! (`api-definition-invalid`, per entity), and no change against the base
//! revision breaks its consumers (`api-breaking-change`, over the whole
//! catalog: consumers are other entities). A breaking change is an error
//! when the API has consumers, naming each with its owner; a warning when
//! it has none, or when the API is `experimental`.

use crate::contracts;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::model::{Entity, Kind, RelationKind};
use crate::resolve::apis as api_catalog;
use crate::resolve::Catalog;

/// `api-definition-invalid` for an API whose definition cannot be read.
pub fn check_definition(entity: &Entity, out: &mut Vec<Diagnostic>) {
    let Some((format, parsed)) = entity.api_reference() else {
        return;
    };
    if let Err(invalid) = parsed {
        out.push(
            Diagnostic::new(
                Code::ApiDefinitionInvalid,
                entity.definition_location(invalid.line, invalid.column),
                format!(
                    "the {} definition of `{}` cannot be read: {}",
                    format.as_str(),
                    entity.metadata.name,
                    invalid.message
                ),
            )
            .with_help(format!(
                "fix the definition here, or set `spec.type` to its format; the page shows it as source until then (`cairn explain {}`)",
                Code::ApiDefinitionInvalid
            )),
        );
    }
}

/// `api-breaking-change` for every breaking change of every API against
/// the base revision.
pub fn check_breaking(catalog: &Catalog, diagnostics: &mut Vec<Diagnostic>) {
    if catalog.base_apis.is_empty() {
        return;
    }
    for (i, entity) in catalog.entities.iter().enumerate() {
        if entity.kind != Kind::Api {
            continue;
        }
        let Some(changes) = api_catalog::against_base(catalog, i) else {
            continue;
        };
        let consumers: Vec<String> = api_catalog::consumers(catalog, i)
            .into_iter()
            .map(|c| {
                let owner = catalog
                    .related(c, RelationKind::OwnedBy)
                    .next()
                    .map(|o| format!(" (owner `{}`)", catalog.entities[o].key()))
                    .unwrap_or_else(|| " (no owner)".into());
                format!("`{}`{owner}", catalog.entities[c].key())
            })
            .collect();
        let experimental = entity.lifecycle.as_deref() == Some("experimental");
        let severity = if consumers.is_empty() || experimental {
            Severity::Warning
        } else {
            Severity::Error
        };
        for change in changes.iter().filter(|c| c.breaking) {
            let who = if consumers.is_empty() {
                "no entity in the catalog consumes it".to_string()
            } else {
                let n = consumers.len();
                format!(
                    "it breaks {n} consumer{}: {}",
                    if n == 1 { "" } else { "s" },
                    consumers.join(", ")
                )
            };
            let pointer_line = line_of(entity, &change.pointer);
            let mut location = entity.definition_location(pointer_line.0, pointer_line.1);
            location.pointer = format!("/spec/definition{}", change.pointer);
            let help = if experimental {
                "the API is `experimental`, so this is a warning; consumers should expect it".to_string()
            } else if consumers.is_empty() {
                "nothing in the catalog consumes this API; a consumer outside it would still break".to_string()
            } else {
                "keep the old shape beside the new one and remove it once every consumer moved, or publish the change as a new API; agree the break with the owners named".to_string()
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::ApiBreakingChange,
                    location,
                    format!("`{}`: {}; {who}", entity.metadata.name, change.reason),
                )
                .with_severity(severity)
                .with_help(help),
            );
        }
    }
}

/// Where a change's pointer is in the current definition (its nearest
/// existing node, for something removed), as a line and column of the
/// definition text: YAML and JSON definitions only, else its first line.
fn line_of(entity: &Entity, pointer: &str) -> (u32, u32) {
    let Some(text) = entity.definition.as_deref() else {
        return (1, 1);
    };
    if !pointer.starts_with('/')
        || !matches!(
            entity.api_definition().map(|d| d.0),
            Some(contracts::Format::OpenApi | contracts::Format::AsyncApi)
        )
    {
        return (1, 1);
    }
    let parsed = crate::parse::parse_yaml("definition", text);
    let Some(document) = parsed.documents.first() else {
        return (1, 1);
    };
    let node = document.root.locate(pointer);
    (node.start.line, node.start.column)
}
