//! What the catalog adds to an API's definition: who provides and who
//! consumes it (`providesApis`/`consumesApis` across the whole catalog),
//! and how its definition changed against the base revision.

use super::{compare, definition_of, Change, Format};
use crate::resolve::Catalog;

/// The Components that consume API `api` (entity indices, catalog order).
pub fn consumers(catalog: &Catalog, api: usize) -> Vec<usize> {
    catalog.related(api, "apiConsumedBy").collect()
}

/// The Components that provide API `api`.
pub fn providers(catalog: &Catalog, api: usize) -> Vec<usize> {
    catalog.related(api, "apiProvidedBy").collect()
}

/// The changes of API `api`'s definition against the base revision:
/// `None` when there is no base, the base had no such API or definition,
/// or either side cannot be read; empty when it did not change.
pub fn against_base(catalog: &Catalog, api: usize) -> Option<Vec<Change>> {
    let entity = &catalog.entities[api];
    let base = catalog.base_apis.get(&entity.key())?;
    let (format, text) = definition_of(entity)?;
    if base.definition == text {
        return Some(Vec::new());
    }
    let old_format = Format::of(base.spec_type.as_deref(), &base.definition)?;
    compare((old_format, &base.definition), (format, text))
}
