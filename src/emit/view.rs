//! The views: how the JSON API and the portal's pages project the catalog,
//! as `#[derive(Serialize)]` structs that borrow from it — as zola's
//! `SerializingPage` is what its templates see of a page. A shape that
//! both the API and a page (or two API files) show is declared here once,
//! with a constructor that reads the catalog; the API serializes it, a page
//! puts it into its context.
//!
//! Every view goes into the output through a `serde_json::Value` (the
//! `json!` bodies it is part of, or [`to_json`]): serde_json keeps an
//! object's keys sorted, so the bytes do not depend on the order fields
//! are declared in here. In the files and pages made per entity, a value
//! that is `Json` already is moved into its object ([`object`],
//! `value["key"] = …`), not given to `json!`, which serializes it again: a
//! deep copy, once per level of nesting (it was a sixth of a build's
//! instructions). Nested rows are typed views instead.

use serde::Serialize;
use serde_json::Value as Json;

use crate::model::{version_text, Entity, Link, Output, RelationKind, ValueType};
use crate::output::{page_path, ref_of};
use crate::resolve::graph::Reach;
use crate::resolve::Catalog;

/// `view` as a JSON value. A view is made of strings, numbers and JSON
/// values, which always serialize.
pub fn to_json(view: impl Serialize) -> Json {
    serde_json::to_value(view).expect("views serialize")
}

/// An object of `fields`, each value moved in as it is: for objects whose
/// values are already `Json`. `json!` serializes every value it is given
/// again, which copies a nested `Json` value deep (a page context or a
/// dependency file once per level it was nested at).
pub fn object<const N: usize>(fields: [(&str, Json); N]) -> Json {
    Json::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

/// `head`'s fields followed by `body`'s (a JSON object), as one object: an
/// API document that starts with an [`Identity`] or a [`TypedIdentity`].
pub fn with_head(head: impl Serialize, body: Json) -> Json {
    let mut document = to_json(head);
    if let (Json::Object(map), Json::Object(more)) = (&mut document, body) {
        map.extend(more);
    }
    document
}

/// An entity's name and title: what every view of an entity shows.
#[derive(Serialize)]
pub struct Names<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
}

impl<'a> Names<'a> {
    pub fn of(entity: &'a Entity) -> Names<'a> {
        Names {
            name: &entity.metadata.name,
            title: entity.metadata.title.as_deref(),
        }
    }
}

/// Who an entity is: the fields an API document about it starts with.
#[derive(Serialize)]
pub struct Identity<'a> {
    pub namespace: &'a str,
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(flatten)]
    pub names: Names<'a>,
    pub description: Option<&'a str>,
}

impl<'a> Identity<'a> {
    pub fn of(entity: &'a Entity) -> Identity<'a> {
        Identity {
            namespace: &entity.metadata.namespace,
            reference: ref_of(entity),
            names: Names::of(entity),
            description: entity.metadata.description.as_deref(),
        }
    }
}

/// An [`Identity`] with the entity's `spec.type`: the head of the service,
/// team and API documents.
#[derive(Serialize)]
pub struct TypedIdentity<'a> {
    #[serde(flatten)]
    pub identity: Identity<'a>,
    #[serde(rename = "type")]
    pub spec_type: Option<&'a str>,
}

impl<'a> TypedIdentity<'a> {
    pub fn of(entity: &'a Entity) -> TypedIdentity<'a> {
        TypedIdentity {
            identity: Identity::of(entity),
            spec_type: entity.spec_type.as_deref(),
        }
    }
}

/// A compact reference from one API document to another entity.
#[derive(Serialize)]
pub struct EntityLink<'a> {
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: &'static str,
    #[serde(flatten)]
    pub names: Names<'a>,
}

/// The [`EntityLink`] of entity `index`.
pub fn entity_link(catalog: &Catalog, index: usize) -> EntityLink<'_> {
    let entity = &catalog.entities[index];
    EntityLink {
        reference: ref_of(entity),
        kind: entity.kind.as_str(),
        names: Names::of(entity),
    }
}

/// The [`EntityLink`]s of the entities `index` has `relation` to.
pub fn entity_links(catalog: &Catalog, index: usize, relation: RelationKind) -> Vec<EntityLink<'_>> {
    catalog
        .related(index, relation)
        .map(|t| entity_link(catalog, t))
        .collect()
}

/// A link from one page to an entity's page.
#[derive(Serialize)]
pub struct PageLink<'a> {
    #[serde(flatten)]
    pub names: Names<'a>,
    pub path: String,
}

/// The [`PageLink`] of entity `index`.
pub fn page_link(catalog: &Catalog, index: usize) -> PageLink<'_> {
    let entity = &catalog.entities[index];
    PageLink {
        names: Names::of(entity),
        path: page_path(entity),
    }
}

/// A link of an entity's `metadata.links` or a service's runbooks, as the
/// API shows it.
#[derive(Serialize)]
pub struct UrlLink<'a> {
    pub url: &'a str,
    pub title: &'a Option<String>,
}

/// The [`UrlLink`]s of `links`.
pub fn url_links<'a>(links: &'a [Link]) -> Vec<UrlLink<'a>> {
    let url_link = |link: &'a Link| UrlLink {
        url: &link.url,
        title: &link.title,
    };
    links.iter().map(url_link).collect()
}

/// A ResourceDefinition version and whether it may still be used.
#[derive(Serialize)]
pub struct VersionStatus<'a> {
    pub version: &'a str,
    pub yanked: bool,
    pub deprecated: bool,
}

impl<'a> VersionStatus<'a> {
    /// The status of `entity`, a ResourceDefinition version.
    pub fn of(entity: &'a Entity) -> VersionStatus<'a> {
        let definition = entity.resource_definition.as_ref();
        VersionStatus {
            version: version_text(entity),
            yanked: definition.is_some_and(|d| d.yanked),
            deprecated: definition.is_some_and(|d| d.deprecated),
        }
    }
}

/// An output of a ResourceDefinition version.
#[derive(Serialize)]
pub struct OutputRow<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub value_type: Option<&'a ValueType>,
    pub description: Option<&'a str>,
}

/// The [`OutputRow`]s of a version's `outputs`.
pub fn output_rows(outputs: &[Output]) -> Vec<OutputRow<'_>> {
    outputs
        .iter()
        .map(|o| OutputRow {
            name: &o.name,
            value_type: o.value_type.as_ref(),
            description: o.description.as_deref(),
        })
        .collect()
}

/// A file a claim is rendered to, and for which engine.
#[derive(Serialize)]
pub struct RenderedFile {
    pub engine: &'static str,
    pub path: String,
}

/// Where a paginated list goes on: `next` is the next page's path.
#[derive(Serialize)]
pub struct Pagination {
    pub has_more: bool,
    pub next: Option<String>,
    pub total_count: usize,
}

/// How far a dependency closure reaches: how many entities, how many
/// relations deep.
#[derive(Serialize)]
pub struct Closure {
    pub count: usize,
    pub depth: usize,
}

impl Closure {
    pub fn of(reach: Reach) -> Closure {
        Closure {
            count: reach.count,
            depth: reach.depth,
        }
    }
}
