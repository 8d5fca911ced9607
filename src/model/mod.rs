//! Model: parsed YAML documents → typed [`Entity`] values.
//!
//! A document is an entity when its `apiVersion` belongs to a known API group
//! (`backstage.io`, `scaffolder.backstage.io` for Templates,
//! `catalog.nestor.io`); anything else (GitHub workflows,
//! compose files, OpenAPI documents) is skipped silently. Within a known
//! group an unknown kind or version is an error with a suggestion.
//!
//! Lowering is lenient on purpose: a field of the wrong type is left empty
//! here and reported by the JSON Schema check in `validate`, so one mistake
//! yields one diagnostic and the entity still exists for reference
//! resolution. Only a document without a usable `metadata.name` yields no
//! entity, and that is reported here.
//!
//! Architecture Invariant: this stage reads no files and knows nothing about
//! other entities; it works one document at a time.

mod api;
mod entity;
mod relation;
mod resource_claim;
mod resource_definition;

pub use entity::{
    change_key, version_text, Entity, EntityKey, Kind, Link, Memo, Metadata, Profile, RefField, SpecRef, StringMap,
};
pub use relation::RelationKind;
pub use resource_claim::ResourceClaim;
pub use resource_definition::{value_text, Breach, Input, Output, ResourceDefinition, ValueType};

use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostics::{did_you_mean, Code, Diagnostic, FilePosition};
use crate::parse::{Document, Node};
use crate::source::SourceFile;

/// API groups whose documents are catalog entities.
const BACKSTAGE_GROUP: &str = "backstage.io";
const NESTOR_GROUP: &str = "catalog.nestor.io";
const SCAFFOLDER_GROUP: &str = "scaffolder.backstage.io";

/// Lowers every document of every file, in parallel; entities come back in
/// file order. The documents move into the entities.
pub fn lower_files(files: &mut [SourceFile]) -> (Vec<Arc<Entity>>, Vec<Diagnostic>) {
    let per_file: Vec<(Vec<Arc<Entity>>, Vec<Diagnostic>)> = files
        .par_iter_mut()
        .map(|file| {
            let mut entities = Vec::new();
            let mut diagnostics = Vec::new();
            for doc in std::mem::take(&mut file.documents) {
                if let Some(mut entity) = lower_document(&file.display, doc, &mut diagnostics) {
                    entity.registered = file.registered;
                    entity.origin = file.origin.clone();
                    // Shared from here on; made where it was lowered, in
                    // parallel, so the catalog's entities are never moved
                    // again (each is several hundred bytes).
                    entities.push(Arc::new(entity));
                }
            }
            (entities, diagnostics)
        })
        .collect();
    let mut entities = Vec::with_capacity(per_file.iter().map(|(e, _)| e.len()).sum());
    let mut diagnostics = Vec::new();
    for (e, d) in per_file {
        entities.extend(e);
        diagnostics.extend(d);
    }
    (entities, diagnostics)
}

fn at(file: &str, node: &Node, pointer: &str) -> FilePosition {
    FilePosition {
        file: file.to_string(),
        line: node.start.line,
        column: node.start.column,
        pointer: pointer.to_string(),
    }
}

/// Lowers one document, or returns `None` when it is not an entity.
pub fn lower_document(file: &str, doc: Document, diagnostics: &mut Vec<Diagnostic>) -> Option<Entity> {
    let root = &doc.root;
    let api_version = root.get_str("apiVersion")?;
    let (kind_node, kind_name) = root.get("kind").and_then(|n| Some((n, n.as_str()?)))?;
    let (group, version) = api_version.split_once('/').unwrap_or((api_version, ""));
    let version_node = root.get("apiVersion").expect("read above");
    let kind = match group {
        BACKSTAGE_GROUP => {
            if !matches!(version, "v1alpha1" | "v1beta1") {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownApiVersion,
                        at(file, version_node, "/apiVersion"),
                        format!("unknown apiVersion `{api_version}`"),
                    )
                    .with_help("Backstage entities use `backstage.io/v1alpha1` (or `backstage.io/v1beta1`)"),
                );
                return None;
            }
            Kind::from_backstage(kind_name)
        }
        SCAFFOLDER_GROUP => {
            if version != "v1beta3" {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownApiVersion,
                        at(file, version_node, "/apiVersion"),
                        format!("unknown apiVersion `{api_version}`"),
                    )
                    .with_help("Scaffolder Templates use `scaffolder.backstage.io/v1beta3` (v1beta2 templates need migrating, as in Backstage)"),
                );
                return None;
            }
            (kind_name == "Template").then_some(Kind::Template)
        }
        NESTOR_GROUP => {
            if version != "v1" {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownApiVersion,
                        at(file, version_node, "/apiVersion"),
                        format!("unknown apiVersion `{api_version}`"),
                    )
                    .with_help("ResourceDefinitions and ResourceClaims use `catalog.nestor.io/v1`"),
                );
                return None;
            }
            match kind_name {
                "ResourceDefinition" => Some(Kind::ResourceDefinition),
                "ResourceClaim" => Some(Kind::ResourceClaim),
                _ => None,
            }
        }
        _ => return None,
    };
    let Some(kind) = kind else {
        let known = match group {
            NESTOR_GROUP => &["ResourceDefinition", "ResourceClaim"][..],
            SCAFFOLDER_GROUP => &["Template"][..],
            _ => Kind::BACKSTAGE_NAMES,
        };
        let mut diagnostic = Diagnostic::new(
            Code::UnknownKind,
            at(file, kind_node, "/kind"),
            format!("unknown kind `{kind_name}` for apiVersion `{api_version}`"),
        );
        diagnostic = match did_you_mean(kind_name, known.iter().copied()) {
            Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
            None => diagnostic.with_help(format!("known kinds: {}", known.join(", "))),
        };
        diagnostics.push(diagnostic);
        return None;
    };
    let name_node = root.get("metadata").and_then(|m| m.get("name"));
    let Some(name) = name_node
        .and_then(Node::as_scalar_text)
        .filter(|n| !n.is_empty() && name_node.is_some_and(|n| n.as_seq().is_none()))
    else {
        let parent = root.get("metadata").unwrap_or(root);
        let pointer = if root.get("metadata").is_some() {
            "/metadata"
        } else {
            ""
        };
        diagnostics.push(
            Diagnostic::new(
                Code::SchemaViolation,
                at(file, parent, pointer),
                format!("{kind_name} has no `metadata.name`"),
            )
            .with_help("every entity needs `metadata: { name: ... }`"),
        );
        return None;
    };
    let api_version = api_version.to_string();
    Some(entity::build(kind, &api_version, name, file, doc))
}

/// A string node's text, owned.
fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_str).map(str::to_string)
}

/// [`text`] for the short words nearly every entity has (`default`,
/// `service`, `production`): kept inline, without an allocation.
fn word(node: Option<&Node>) -> Option<compact_str::CompactString> {
    node.and_then(Node::as_str).map(Into::into)
}

/// A mapping node's entries with string keys, each value as JSON; nothing
/// when the node is absent or not a mapping.
fn json_entries<B: FromIterator<(String, serde_json::Value)> + Default>(node: Option<&Node>) -> B {
    node.and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.to_json())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
