//! What API pages and the JSON API show of an API's definition: the
//! reference (`crate::contracts`), or — for a definition that cannot be
//! read — its source with the failing line marked; and
//! `api/v1/apis/{namespace}/{name}.json`: the operations summarised, the
//! providers and consumers, and the changes against the base revision
//! when there is one.

use serde_json::{json, Value as Json};

use super::view::{entity_link, with_head, EntityLink, TypedIdentity};
use super::{Selection, Sink};
use crate::contracts::Invalid;
use crate::model::{Kind, RelationKind};
use crate::output::{path_of, safe_relative_path, API};
use crate::resolve::apis as api_catalog;
use crate::resolve::Catalog;

/// Lines of an unreadable definition shown on its page, at most.
const SOURCE_LINES: usize = 5_000;

/// The API page's `api` context: `{format, reference, operations,
/// changes}` or `{format, invalid, source}`; `null` for a definition in
/// no format cairn reads (the page shows it as text).
pub fn page_context(catalog: &Catalog, index: usize) -> Json {
    let entity = &catalog.entities[index];
    let Some((format, parsed)) = entity.api_reference() else {
        return Json::Null;
    };
    match parsed {
        Ok(reference) => json!({
            "format": format,
            "reference": reference,
            "operations": reference.operations().count(),
            "changes": api_catalog::against_base(catalog, index).filter(|c| !c.is_empty()),
        }),
        Err(invalid) => json!({
            "format": format,
            "invalid": invalid,
            "source": source(entity.definition.as_deref().unwrap_or_default(), invalid),
        }),
    }
}

/// The definition's lines, numbered, the failing one marked.
fn source(text: &str, invalid: &Invalid) -> Vec<Json> {
    text.lines()
        .take(SOURCE_LINES)
        .enumerate()
        .map(|(i, line)| {
            let n = i as u32 + 1;
            json!({ "n": n, "text": line, "error": n == invalid.line })
        })
        .collect()
}

/// `api/v1/apis/{namespace}/{name}.json` for every API `selection`
/// selects.
pub fn api_files(catalog: &Catalog, selection: &Selection, sink: &dyn Sink) {
    use rayon::prelude::*;
    catalog
        .entities
        .par_iter()
        .enumerate()
        .filter(|(i, e)| e.kind == Kind::Api && selection.entity(*i))
        .for_each(|(i, entity)| {
            let path = format!("{API}/apis/{}.json", path_of(entity));
            debug_assert!(safe_relative_path(&path), "unsafe output path {path}");
            if safe_relative_path(&path) {
                let mut bytes = serde_json::to_vec(&api_document(catalog, i)).expect("JSON values serialize");
                bytes.push(b'\n');
                sink.put(path, bytes);
            }
        });
}

fn api_document(catalog: &Catalog, index: usize) -> Json {
    let entity = &catalog.entities[index];
    let page = crate::output::page_path(entity);
    let links =
        |indices: Vec<usize>| -> Vec<EntityLink> { indices.into_iter().map(|i| entity_link(catalog, i)).collect() };
    let definition = entity.api_reference();
    let parsed = definition.map(|(_, parsed)| parsed);
    let operations: Vec<Json> = match parsed {
        Some(Ok(reference)) => reference
            .groups
            .iter()
            .flat_map(|group| {
                group.operations.iter().map(|op| {
                    json!({
                        "method": op.method,
                        "path": op.path,
                        "summary": op.summary,
                        "group": group.name,
                        "deprecated": op.deprecated,
                        "url": format!("{page}#{}", op.anchor),
                    })
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let changes = api_catalog::against_base(catalog, index).map(|changes| {
        json!({
            "breaking": changes.iter().filter(|c| c.breaking).count(),
            "changes": changes,
        })
    });
    let body = json!({
        "lifecycle": entity.lifecycle,
        "owner": catalog.related(index, RelationKind::OwnedBy).next().map(|o| entity_link(catalog, o)),
        "format": definition.map(|(format, _)| format),
        "dialect": match &parsed { Some(Ok(r)) => Some(r.dialect.clone()), _ => None },
        "version": match &parsed { Some(Ok(r)) => r.version.clone(), _ => None },
        "valid": matches!(parsed, Some(Ok(_))),
        "error": match &parsed { Some(Err(invalid)) => json!(invalid), _ => Json::Null },
        "operation_count": operations.len(),
        "operations": operations,
        "providers": links(api_catalog::providers(catalog, index)),
        "consumers": links(api_catalog::consumers(catalog, index)),
        "changes": changes,
        "page": page,
    });
    with_head(TypedIdentity::of(entity), body)
}
