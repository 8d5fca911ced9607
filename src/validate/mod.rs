//! Validate: the rules a catalog must satisfy, each with a stable code.
//!
//! * [`schema`]: every document against the JSON Schema (draft 2020-12) of
//!   its kind, from `schemas/` (embedded in the binary);
//! * [`names`]: Backstage's rules for names, namespaces, labels, annotations
//!   and tags, which Backstage keeps in code rather than in its schemas;
//! * [`resource_definition`]: ResourceDefinition versions (semver, patterns,
//!   defaults, input names);
//! * [`template`]: each page of a Scaffolder Template's `spec.parameters`
//!   is a valid JSON Schema;
//! * [`policy`]: organisation rules whose severity `cairn.yaml` may change;
//! * [`versions`]: each ResourceDefinition version's bump covers its changes
//!   (SEMVER.md), from the classification made in `resolve::changes`;
//! * [`apis`]: each API's definition can be read as its format, and no
//!   change against the base revision breaks the API's consumers;
//! * [`claims`]: each ResourceClaim against the definition version it
//!   resolves to (inputs checked as the request form checks them), and the
//!   claims a new definition version could or could not take over.
//! * [`aliases`]: no alias routes to two services.
//!
//! Documents are validated as parsed: `yaml_json` makes the YAML tree one
//! of `jsonschema`'s representations, and only an invalid document is
//! turned into JSON, for the messages.
//!
//! Reference checks happen in `resolve`, where refs are looked up.
//!
//! Architecture Invariant: rules return diagnostics as data and never fail;
//! each entity is checked independently (in parallel), so one bad file
//! never hides another.

pub mod aliases;
pub mod apis;
pub mod claims;
pub mod names;
pub mod policy;
pub mod resource_definition;
pub mod schema;
pub mod template;
pub mod versions;
mod yaml_json;

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::load::published::Published;
use crate::model::Kind;
use crate::parse::Node;
use crate::resolve::Catalog;

/// The results of the per-entity rules by document, kept between the
/// compiles of `cairn serve` (and, read back, of `cairn check`): an entity
/// lowered from the same document (the same `Arc<Node>`, still held here)
/// is not checked again.
#[derive(Default)]
pub struct Checked {
    /// By the document's address, which the `Arc` beside it keeps from
    /// being reused.
    by_document: FxHashMap<usize, (Arc<Node>, Vec<Diagnostic>)>,
}

impl Checked {
    /// What the per-entity rules said of the document `node`, if it was
    /// checked.
    pub fn of(&self, node: &Arc<Node>) -> Option<&[Diagnostic]> {
        self.by_document.get(&address(node)).map(|(_, out)| &out[..])
    }

    /// Records what the per-entity rules say of the document `node`.
    pub fn insert(&mut self, node: Arc<Node>, out: Vec<Diagnostic>) {
        self.by_document.insert(address(&node), (node, out));
    }
}

fn address(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

/// Runs every rule over the catalog.
pub fn validate(catalog: &Catalog, config: &Config, published: &Published) -> Vec<Diagnostic> {
    validate_reusing(catalog, config, published, &mut Checked::default())
}

/// [`validate`], reusing and then replacing `checked`.
pub fn validate_reusing(
    catalog: &Catalog,
    config: &Config,
    published: &Published,
    checked: &mut Checked,
) -> Vec<Diagnostic> {
    // Duplicates are not part of the catalog, but their files may have other
    // problems worth reporting.
    let per_entity: Vec<(Arc<Node>, Vec<Diagnostic>)> = catalog
        .entities
        .par_iter()
        .chain(catalog.duplicates.par_iter())
        // Discovered services are cairn's own documents, not anyone's YAML.
        .filter(|entity| !entity.discovered)
        .map(|entity| {
            if let Some((_, out)) = checked.by_document.get(&address(&entity.node)) {
                return (entity.node.clone(), out.clone());
            }
            let mut out = Vec::new();
            schema::check(entity, &mut out);
            names::check(entity, &mut out);
            match entity.kind {
                Kind::ResourceDefinition => resource_definition::check(entity, &mut out),
                Kind::Template => template::check(entity, &mut out),
                Kind::Api => apis::check_definition(entity, &mut out),
                _ => {}
            }
            (entity.node.clone(), out)
        })
        .collect();
    let mut diagnostics: Vec<Diagnostic> = per_entity.iter().flat_map(|(_, out)| out.iter().cloned()).collect();
    checked.by_document = per_entity
        .into_iter()
        .map(|(node, out)| (address(&node), (node, out)))
        .collect();
    policy::check(catalog, config, &mut diagnostics);
    crate::resolve::rules::diagnostics(catalog, &mut diagnostics);
    versions::check(catalog, published, &mut diagnostics);
    claims::check(catalog, published, &mut diagnostics);
    apis::check_breaking(catalog, &mut diagnostics);
    aliases::check(catalog, &mut diagnostics);
    diagnostics
}
