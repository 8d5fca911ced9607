//! The list pages: every entity of a kind, and every ResourceDefinition,
//! at `all/{kind}/`, [`LIST_PAGE_SIZE`] rows a page.

use serde_json::{json, Value as Json};

use super::Page;
use crate::emit::paging::{self, PagePaths};
use crate::emit::Selection;
use crate::model::{version_text, Entity, Kind, RelationKind};
use crate::output::{definition_path, page_path};
use crate::resolve::Catalog;

/// Rows per page of a list page.
pub const LIST_PAGE_SIZE: usize = 500;

/// `all/{kind}/index.html` and `all/{kind}/{n}/index.html`: every entity of
/// a kind, [`LIST_PAGE_SIZE`] per page (`all/` is no kind, so these paths
/// cannot collide with an entity's); the chunks `selection` selects.
pub(super) fn list_pages(catalog: &Catalog, selection: &Selection) -> Vec<Page> {
    let mut pages = Vec::new();
    for kind in [
        Kind::Component,
        Kind::Group,
        Kind::Api,
        Kind::System,
        Kind::Domain,
        Kind::Resource,
        Kind::User,
        Kind::Template,
        Kind::ResourceClaim,
    ] {
        let listed: Vec<usize> = (0..catalog.entities.len())
            .filter(|&i| catalog.entities[i].kind == kind)
            .collect();
        let row = |&i: &usize| {
            let e = &catalog.entities[i];
            json!({
                "path": page_path(e),
                "name": e.metadata.name,
                "title": e.metadata.title,
                "owner": catalog.related(i, RelationKind::OwnedBy).next().map(|o| catalog.entities[o].metadata.name.clone())
                    .or_else(|| catalog.unresolved.get(&i)?.iter().find(|u| u.relation == RelationKind::OwnedBy).map(|u| u.text.clone())),
                "lifecycle": e.lifecycle,
                "description": short_description(e),
            })
        };
        let chunk = |rows: &[usize]| selection.chunk(Some(kind), rows.iter().copied());
        pages.extend(paged(kind.slug(), &format!("{}s", kind.as_str()), &listed, chunk, row));
    }
    let definitions: Vec<(&String, usize)> = catalog
        .resources
        .iter()
        .filter_map(|(name, versions)| Some((name, catalog.latest_version(versions)?)))
        .collect();
    let row = |&(name, latest): &(&String, usize)| {
        let latest = &catalog.entities[latest];
        json!({
            "path": definition_path(name),
            "name": latest.metadata.name,
            "title": latest.metadata.title,
            "lifecycle": version_text(latest),
            "description": short_description(latest),
        })
    };
    let chunk = |rows: &[(&String, usize)]| {
        rows.iter().any(|(name, _)| selection.definition(name)) || selection.chunk(None, std::iter::empty())
    };
    pages.extend(paged(
        "resourcedefinition",
        "ResourceDefinitions",
        &definitions,
        chunk,
        row,
    ));
    pages
}

/// The first 140 characters of an entity's description, for list rows.
fn short_description(entity: &Entity) -> String {
    entity
        .metadata
        .description
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(140)
        .collect()
}

/// The list pages of `items`, [`LIST_PAGE_SIZE`] rows each; only those
/// whose items `selected` accepts are made.
fn paged<T>(
    slug: &str,
    heading: &str,
    items: &[T],
    selected: impl Fn(&[T]) -> bool,
    row: impl Fn(&T) -> Json,
) -> Vec<Page> {
    let paths = PagePaths::new(format!("all/{slug}/index.html"), format!("all/{slug}/"), "/index.html");
    paging::pages(items, LIST_PAGE_SIZE, &paths, selected)
        .map(|page| {
            let mut context = json!({
                "heading": heading,
                "total": page.total,
                "page": page.number,
                "pages": page.count,
                "prev": page.prev(),
                "next": page.next(),
            });
            context["rows"] = Json::Array(page.rows_by(&row));
            Page {
                path: page.path(),
                template: "list.html",
                title: heading.to_string(),
                context,
            }
        })
        .collect()
}
