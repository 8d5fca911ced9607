//! Search: one core that both the browser's static index and `cairn search`
//! use. [`tokenize`] turns text into terms, [`typo`] is the typo policy,
//! [`engine`] ranks, and [`shards`] writes the sharded static index the
//! browser queries with `search.js` (which mirrors tokenize, typo and the
//! ranking tuple; golden vectors from this core keep them equal). The design
//! and its measured anchors are in SEARCH.md.
//!
//! A query's work is bounded ([`bounded_query`]): the preview server must
//! stay responsive whatever a request sends.

pub mod engine;
pub mod shards;
pub mod store;
pub mod tokenize;
pub mod typo;

use serde::{Deserialize, Serialize};

use crate::model::{Entity, Kind, RelationKind};
use crate::resolve::Catalog;

pub use engine::{Filters, Hit, Index};

/// Characters of a query that are searched; a query box holds a few words,
/// and each word costs an automaton per field, so the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 128;
/// Words of a query that are searched.
pub const MAX_QUERY_WORDS: usize = 8;

/// The part of `query` that is searched: its first [`MAX_QUERY_WORDS`]
/// words, cut at [`MAX_QUERY_CHARS`] characters. Bounds a query's work
/// whoever sends it.
pub fn bounded_query(query: &str) -> &str {
    let mut end = 0;
    for (n, (start, word)) in query
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - query.as_ptr() as usize, w))
        .enumerate()
    {
        if n == MAX_QUERY_WORDS {
            break;
        }
        end = start + word.len();
    }
    let head = &query[..end];
    match head.char_indices().nth(MAX_QUERY_CHARS) {
        Some((cut, _)) => &head[..cut],
        None => head,
    }
}

/// Where a term was found; lower is better (name > title > tags, owner and
/// tech > description).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[repr(u8)]
pub enum Field {
    Name = 0,
    Title = 1,
    Meta = 2,
    Description = 3,
}

/// What search knows of one entity: the searchable text, the facets, and
/// what a result shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub kind: String,
    /// `kind:namespace/name`.
    #[serde(rename = "ref")]
    pub entity_ref: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub owner: String,
    pub lifecycle: String,
    pub tier: String,
    /// The entity's portal page, relative to the site root.
    pub path: String,
    /// An API's operations (`GET /payments/{id} Get a payment`), searched
    /// like its description.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
}

impl SearchDoc {
    /// The searchable fields with their weight class.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &str)> {
        [(Field::Name, self.name.as_str()), (Field::Title, self.title.as_str())]
            .into_iter()
            .chain(self.tags.iter().map(|t| (Field::Meta, t.as_str())))
            .chain([
                (Field::Meta, self.owner.as_str()),
                (Field::Description, self.description.as_str()),
            ])
            .chain(self.operations.iter().map(|o| (Field::Description, o.as_str())))
    }
}

/// One document per entity (ResourceDefinitions: one per definition, its
/// newest version), in entity order.
pub fn documents(catalog: &Catalog) -> Vec<SearchDoc> {
    let services: std::collections::HashMap<usize, &crate::resolve::Service> =
        catalog.services.iter().map(|s| (s.entity, &**s)).collect();
    catalog
        .entities
        .iter()
        .enumerate()
        .filter(|(i, entity)| {
            entity.kind != Kind::ResourceDefinition
                || catalog
                    .resources
                    .get(&entity.metadata.name.to_ascii_lowercase())
                    .is_some_and(|versions| versions.first() == Some(i))
        })
        .map(|(i, entity)| {
            let owner = catalog
                .related(i, RelationKind::OwnedBy)
                .next()
                .map(|o| catalog.entities[o].metadata.name.clone())
                .unwrap_or_default();
            let service = services.get(&i);
            SearchDoc {
                kind: entity.kind.slug().to_string(),
                entity_ref: entity.canonical_ref(),
                name: entity.metadata.name.clone(),
                title: entity.metadata.title.clone().unwrap_or_default(),
                description: entity.metadata.description.clone().unwrap_or_default(),
                tags: entity.metadata.tags.clone(),
                owner,
                lifecycle: entity.lifecycle.as_deref().unwrap_or_default().to_string(),
                tier: service.and_then(|s| s.tier.clone()).unwrap_or_default(),
                path: if entity.kind == Kind::ResourceDefinition {
                    crate::output::definition_path(&entity.metadata.name)
                } else {
                    crate::output::page_path(entity)
                },
                operations: operations_of(entity),
            }
        })
        .collect()
}

/// The search text of an API's operations (`GET /payments/{id} Get a
/// payment`), one per operation; none for other entities.
fn operations_of(entity: &Entity) -> Vec<String> {
    if entity.kind != Kind::Api {
        return Vec::new();
    }
    match entity.api_reference() {
        Some((_, Ok(reference))) => reference
            .operations()
            .map(crate::contracts::Operation::search_text)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
