//! Backstage's catalog read API, as static files under `api/catalog/`, so
//! that tools written against Backstage (`@backstage/catalog-client`,
//! alert routers, scripts) read a cairn portal by pointing their catalog
//! base URL at `{site}/api/catalog`:
//!
//! * `entities/by-name/{kind}/{namespace}/{name}` — what `GET
//!   /entities/by-name/…` answers (`CatalogClient.getEntityByRef`): the
//!   entity as written, `metadata.namespace` filled in, a `metadata.uid`
//!   derived from its ref and a `metadata.etag` from its content (both
//!   stable across builds while they do not change), and `relations` with
//!   `type`, `targetRef` and `target`. Paths are lowercase, as refs
//!   compare.
//! * `entities/by-query` — what `GET /entities/by-query` answers
//!   (`CatalogClient.queryEntities`): `{items, totalItems, pageInfo}`,
//!   the first [`PAGE_SIZE`] entities; no `nextCursor` (a static host
//!   ignores query strings, so a cursor would return page 1 forever), but
//!   `pagination.next` names the next page, `api/catalog/pages/entities/N.json`,
//!   paginated like the rest of the API.
//!
//! Filters, facets, `fields=`, ordering, `POST /entities/by-refs` and
//! `GET /entities` (a file that would have to sit where the `entities/`
//! directory is) need a server; ResourceDefinitions are not Backstage
//! entities and are left out.

use rayon::prelude::*;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::paging::{self, ListPage, PagePaths};
use super::{Selection, Sink};
use crate::model::Kind;
use crate::output::{path_of, safe_relative_path};
use crate::resolve::Catalog;

/// Entities per page of `entities/by-query`.
pub const PAGE_SIZE: usize = super::api::PAGE_SIZE;

const PREFIX: &str = "api/catalog";

/// The entity Backstage's catalog serves, serialized: its API `document`
/// ([`super::api::entity_document`]: as written, with relations) with
/// namespace, uid, etag and each relation's `target`.
fn entity(catalog: &Catalog, index: usize, mut document: Json) -> Vec<u8> {
    let entity = &catalog.entities[index];
    let reference = entity.key().to_string();
    if let Some(relations) = document.get_mut("relations").and_then(Json::as_array_mut) {
        for relation in relations {
            let target = relation["targetRef"].as_str().and_then(split_ref);
            if let Some((kind, namespace, name)) = target {
                relation["target"] = json!({ "kind": kind, "namespace": namespace, "name": name });
            }
        }
    }
    if let Some(metadata) = document.get_mut("metadata").and_then(Json::as_object_mut) {
        metadata
            .entry("namespace")
            .or_insert_with(|| json!(entity.metadata.namespace));
        metadata.insert("uid".into(), json!(uid(&reference)));
    }
    with_etag(document)
}

/// `document` serialized with `metadata.etag` set to the hash of its
/// serialization without it. The document is serialized once and the etag
/// spliced in where a sorted map puts it — the bytes serde_json writes for
/// the document with the etag inserted (tested) — unless the document
/// already has an `etag` to replace.
fn with_etag(mut document: Json) -> Vec<u8> {
    let etag_of = |bytes: &[u8]| hex(&Sha256::digest(bytes))[..40].to_string();
    let (bytes, at) = match spliceable(&document) {
        Some(spliced) => spliced,
        None => {
            let etag = etag_of(&serde_json::to_vec(&document).expect("JSON values serialize"));
            if let Some(metadata) = document.get_mut("metadata").and_then(Json::as_object_mut) {
                metadata.insert("etag".into(), json!(etag));
            }
            return serde_json::to_vec(&document).expect("JSON values serialize");
        }
    };
    let entry = format!("\"etag\":\"{}\",", etag_of(&bytes));
    let mut out = Vec::with_capacity(bytes.len() + entry.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(entry.as_bytes());
    out.extend_from_slice(&bytes[at..]);
    out
}

/// `document` serialized as serde_json does (compact, keys in order), and
/// the offset in it where `metadata`'s `"etag"` entry goes: before its first
/// key that sorts after `etag`. `None` when there is no such place, or
/// `metadata` already has an `etag`.
fn spliceable(document: &Json) -> Option<(Vec<u8>, usize)> {
    let top = document.as_object()?;
    let metadata = top.get("metadata")?.as_object()?;
    if metadata.contains_key("etag") || !metadata.keys().any(|k| k.as_str() > "etag") {
        return None;
    }
    let mut bytes = Vec::new();
    let mut at = None;
    bytes.push(b'{');
    for (n, (key, value)) in top.iter().enumerate() {
        if n > 0 {
            bytes.push(b',');
        }
        write(&mut bytes, key);
        bytes.push(b':');
        if key != "metadata" {
            write(&mut bytes, value);
            continue;
        }
        bytes.push(b'{');
        for (m, (key, value)) in metadata.iter().enumerate() {
            if m > 0 {
                bytes.push(b',');
            }
            if at.is_none() && key.as_str() > "etag" {
                at = Some(bytes.len());
            }
            write(&mut bytes, key);
            bytes.push(b':');
            write(&mut bytes, value);
        }
        bytes.push(b'}');
    }
    bytes.push(b'}');
    Some((bytes, at?))
}

fn write<T: serde::Serialize + ?Sized>(bytes: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(bytes, value).expect("JSON values serialize");
}

/// `kind:namespace/name` → its parts.
fn split_ref(reference: &str) -> Option<(&str, &str, &str)> {
    let (kind, rest) = reference.split_once(':')?;
    let (namespace, name) = rest.split_once('/')?;
    Some((kind, namespace, name))
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// A UUID-shaped id (version 5 layout) of a ref: the same entity keeps it
/// from build to build, as a Backstage uid stays with its entity.
fn uid(reference: &str) -> String {
    let digest = Sha256::digest(format!("cairn-entity:{reference}").as_bytes());
    let mut b: [u8; 16] = digest[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The `by-name` files of the entities `selection` selects, and the
/// `by-query` pages that hold one of them (all pages when a kind gained
/// or lost an entity: rows shift). Each entity's API document is made once
/// here and shown to `made` (index, document) before it becomes
/// Backstage's.
pub fn files(catalog: &Catalog, selection: &Selection, sink: &dyn Sink, made: &(dyn Fn(usize, &Json) + Sync)) {
    let listed: Vec<usize> = (0..catalog.entities.len())
        .filter(|&i| catalog.entities[i].kind != Kind::ResourceDefinition)
        .collect();
    let recounted = Kind::ALL.iter().any(|&k| selection.chunk(Some(k), std::iter::empty()));
    let paths = PagePaths::new(
        format!("{PREFIX}/entities/by-query"),
        format!("{PREFIX}/pages/entities/"),
        ".json",
    );
    let holds_selected = |rows: &[usize]| recounted || rows.iter().any(|&i| selection.entity(i));
    let pages: Vec<ListPage<usize>> = paging::pages(&listed, PAGE_SIZE, &paths, holds_selected).collect();
    let mut wanted = vec![false; catalog.entities.len()];
    for &i in listed.iter().filter(|&&i| selection.entity(i)) {
        wanted[i] = true;
    }
    for page in &pages {
        for &i in page.rows {
            wanted[i] = true;
        }
    }
    // Each entity serialized once, for its file and its page.
    let documents: Vec<Option<Vec<u8>>> = (0..catalog.entities.len())
        .into_par_iter()
        .map(|i| {
            wanted[i].then(|| {
                let document = super::api::entity_document(catalog, i);
                made(i, &document);
                entity(catalog, i, document)
            })
        })
        .collect();
    let put = |path: String, bytes: Vec<u8>| {
        debug_assert!(safe_relative_path(&path), "unsafe output path {path}");
        if safe_relative_path(&path) {
            sink.put(path, bytes);
        }
    };
    listed.par_iter().filter(|&&i| selection.entity(i)).for_each(|&i| {
        let e = &catalog.entities[i];
        let path = format!("{PREFIX}/entities/by-name/{}/{}", e.kind.slug(), path_of(e));
        let mut bytes = documents[i].clone().expect("serialized above");
        bytes.push(b'\n');
        put(path, bytes);
    });
    let total = listed.len();
    for page in pages {
        let mut bytes = b"{\"items\":[".to_vec();
        for (k, &i) in page.rows.iter().enumerate() {
            if k > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(documents[i].as_deref().expect("serialized above"));
        }
        let tail = json!({
            "totalItems": total,
            "pageInfo": {},
            "pagination": page.pagination(),
        });
        let tail = serde_json::to_string(&tail).expect("JSON values serialize");
        bytes.extend_from_slice(b"],");
        bytes.extend_from_slice(&tail.as_bytes()[1..]);
        bytes.push(b'\n');
        put(page.path(), bytes);
    }
}

/// The Content-Type of a file of this API (they have no extension).
pub fn content_type(path: &str) -> Option<&'static str> {
    (path.starts_with("api/catalog/entities/") && !path.ends_with(".json")).then_some("application/json; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `with_etag` splices is what inserting the etag and
    /// serializing again writes, for every place `etag` sorts into.
    #[test]
    fn the_spliced_etag_is_the_inserted_one() {
        let documents = [
            json!({"apiVersion": "v1", "kind": "Component", "metadata": {"name": "a", "uid": "u"}, "spec": {"x": [1, "é\"\n"]}}),
            json!({"metadata": {"annotations": {"k": "v"}, "description": "d", "name": "a"}, "relations": []}),
            json!({"metadata": {"namespace": "default"}}),
            json!({"a": 1, "metadata": {"a": 1, "description": "x"}, "z": {"etag": 1}}),
            json!({"metadata": {"etag": "written", "name": "a"}}),
            json!({"kind": "Group"}),
        ];
        for document in documents {
            let mut inserted = document.clone();
            let etag = hex(&Sha256::digest(serde_json::to_vec(&document).unwrap()))[..40].to_string();
            if let Some(metadata) = inserted.get_mut("metadata").and_then(Json::as_object_mut) {
                metadata.insert("etag".into(), json!(etag));
            }
            let spliced = String::from_utf8(with_etag(document.clone())).unwrap();
            assert_eq!(spliced, serde_json::to_string(&inserted).unwrap(), "{document}");
        }
    }

    #[test]
    fn uids_are_uuid_shaped_and_stable() {
        let a = uid("component:default/checkout");
        assert_eq!(a, uid("component:default/checkout"));
        assert_ne!(a, uid("component:default/cart"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    }
}
