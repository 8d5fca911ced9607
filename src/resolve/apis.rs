//! What the catalog adds to an API's definition: who provides and who
//! consumes it (`providesApis`/`consumesApis` across the whole catalog),
//! and how its definition changed against the base revision.

use super::Catalog;
use crate::contracts::{compare, Change, Format};
use crate::model::RelationKind;

/// The Components that consume API `api` (entity indices, catalog order).
pub fn consumers(catalog: &Catalog, api: usize) -> Vec<usize> {
    catalog.related(api, RelationKind::ApiConsumedBy).collect()
}

/// The Components that provide API `api`.
pub fn providers(catalog: &Catalog, api: usize) -> Vec<usize> {
    catalog.related(api, RelationKind::ApiProvidedBy).collect()
}

/// The changes of API `api`'s definition against the base revision:
/// `None` when there is no base, the base had no such API or definition,
/// or either side cannot be read; empty when it did not change.
pub fn against_base(catalog: &Catalog, api: usize) -> Option<Vec<Change>> {
    let entity = &catalog.entities[api];
    let base = catalog.base_apis.get(&entity.key())?;
    let (format, text) = entity.api_definition()?;
    if base.definition == text {
        return Some(Vec::new());
    }
    let old_format = Format::of(base.spec_type.as_deref(), &base.definition)?;
    compare((old_format, &base.definition), (format, text))
}
