//! One build in memory — every output file with its ETag, the entities
//! with their versions, the search parts — and the difference between two
//! builds: which files changed and which entities were created, updated or
//! deleted.
//!
//! The search parts (the static shards under `search/` and the tantivy
//! index `/api/v1/search` queries) are made from the whole catalog's text,
//! so they are finished on a background thread after the build is swapped
//! in: an edit's pages are served without waiting for them, and a request
//! for them waits until they are there ([`SearchParts`]).
//!
//! A file whose bytes equal the previous build's keeps the previous
//! build's buffer and ETag, so only changed files are hashed, and "changed"
//! is a pointer comparison afterwards.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;

use crate::emit::Rerendered;
use crate::model::{Entity, Kind, RelationKind};
use crate::output::Files;
use crate::pipeline::Compilation;
use crate::resolve::Catalog;
use crate::search::store::Store;

/// One served file.
#[derive(Clone)]
pub struct File {
    pub bytes: Arc<[u8]>,
    /// A quoted hash of the bytes, e.g. `"5f0c…"`.
    pub etag: Arc<str>,
}

impl File {
    fn new(bytes: Vec<u8>) -> File {
        File {
            etag: etag(&bytes).into(),
            bytes: bytes.into(),
        }
    }
}

/// One entity as the events describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityInfo {
    /// `component:default/checkout`.
    pub entity_ref: String,
    pub kind: &'static str,
    pub name: String,
    /// The owner's name, empty when none.
    pub owner: String,
    /// The hash of the entity's page: changes whenever anything the portal
    /// shows about the entity changes, including its relations.
    pub version: String,
    /// For a ResourceDefinition, its version number.
    pub definition_version: Option<String>,
    pub path: String,
}

/// A complete build, ready to serve. Its maps are persistent (`imbl`):
/// the next build shares every entry it does not change, so an edit costs
/// what it changed, not the size of the catalog.
pub struct Build {
    pub number: u64,
    pub files: imbl::HashMap<String, File>,
    /// Keyed by ref (and `@version` for ResourceDefinitions).
    pub entities: imbl::OrdMap<String, EntityInfo>,
    /// The search shards and the tantivy index, when finished.
    pub search: Arc<SearchParts>,
    pub errors: usize,
    pub warnings: usize,
}

impl Build {
    /// Wraps the rendered `files` of `compilation`, sharing the buffers of
    /// files that did not change since `previous`.
    pub fn new(number: u64, compilation: &Compilation, files: Files, previous: Option<&Build>) -> Build {
        let files: Vec<(String, File)> = files
            .into_par_iter()
            .map(|(path, bytes)| {
                let unchanged = previous
                    .and_then(|p| p.files.get(&path))
                    .filter(|old| *old.bytes == bytes[..])
                    .cloned();
                (path, unchanged.unwrap_or_else(|| File::new(bytes)))
            })
            .collect();
        let files: imbl::HashMap<String, File> = files.into_iter().collect();
        let catalog = &compilation.catalog;
        let entities = (0..catalog.entities.len())
            .filter_map(|i| entity_info(catalog, i, &files))
            .collect();
        Build::assemble(number, compilation, files, entities)
    }

    /// The build after `previous` (of the compilation `old`) when only
    /// `rendered` was rendered again, with what changed: every file and
    /// entity it does not name is the previous build's.
    pub fn next(
        number: u64,
        compilation: &Compilation,
        rendered: Rerendered,
        old: &Compilation,
        previous: &Build,
    ) -> (Build, Changes) {
        let mut files = previous.files.clone();
        let mut changed_files = 0;
        for path in &rendered.removed {
            changed_files += usize::from(files.remove(path).is_some());
        }
        let mut fresh: Vec<(String, File)> = rendered
            .files
            .into_par_iter()
            .filter_map(|(path, bytes)| match previous.files.get(&path) {
                Some(old) if *old.bytes == bytes[..] => None,
                _ => Some((path, File::new(bytes))),
            })
            .collect();
        fresh.sort_by(|a, b| a.0.cmp(&b.0));
        changed_files += fresh.len();
        let pages = fresh
            .iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .map(|(path, _)| path.clone())
            .collect();
        files.extend(fresh);

        let mut entities = previous.entities.clone();
        let mut changed_entities = Vec::new();
        for &o in &rendered.deleted {
            if let Some(info) = entity_key(&old.catalog, o).and_then(|key| entities.remove(&key)) {
                changed_entities.push((Change::Deleted, info));
            }
        }
        let catalog = &compilation.catalog;
        for &i in &rendered.entities {
            let Some((key, info)) = entity_info(catalog, i, &files) else {
                continue;
            };
            match entities.insert(key, info.clone()) {
                None => changed_entities.push((Change::Created, info)),
                Some(before) if before.version != info.version => changed_entities.push((Change::Updated, info)),
                Some(_) => {}
            }
        }
        let changes = Changes {
            files: changed_files,
            pages,
            entities: changed_entities,
        };
        (Build::assemble(number, compilation, files, entities), changes)
    }

    /// The build of `compilation` serving `files`, its search parts to come.
    fn assemble(
        number: u64,
        compilation: &Compilation,
        files: imbl::HashMap<String, File>,
        entities: imbl::OrdMap<String, EntityInfo>,
    ) -> Build {
        let counts = compilation.counts();
        Build {
            number,
            files,
            entities,
            search: Arc::default(),
            errors: counts.errors,
            warnings: counts.warnings,
        }
    }

    /// The file at `path`: one of `files`, or for `search/…` one of the
    /// search shards (waiting for them).
    pub fn file(&self, path: &str) -> Option<File> {
        if path.starts_with(SEARCH_DIR) {
            return self.search.wait().ok()?.files.get(path).cloned();
        }
        self.files.get(path).cloned()
    }
}

/// Where the static search shards live in a build.
pub const SEARCH_DIR: &str = "search/";

/// A build's search parts, finished after the build is served.
#[derive(Default)]
pub struct SearchParts {
    state: Mutex<Option<Result<Arc<Searchable>, String>>>,
    finished: Condvar,
}

/// The finished search parts.
pub struct Searchable {
    /// The static shards, by path (`search/…`).
    pub files: HashMap<String, File>,
    /// The tantivy index `/api/v1/search` queries, in memory.
    pub index: Store,
}

impl SearchParts {
    /// The search parts, once finished (or why they could not be made).
    pub fn wait(&self) -> Result<Arc<Searchable>, String> {
        let mut state = self.state.lock().expect("no thread panics holding the search parts");
        loop {
            if let Some(result) = &*state {
                return result.clone();
            }
            state = self
                .finished
                .wait(state)
                .expect("no thread panics holding the search parts");
        }
    }

    /// Makes the shards `shards` and the index `index` the build's search
    /// parts and wakes every request waiting for them.
    pub fn finish(&self, shards: Files, index: anyhow::Result<Store>) {
        let result = index
            .map(|index| {
                let files = shards
                    .into_iter()
                    .map(|(path, bytes)| (path, File::new(bytes)))
                    .collect();
                Arc::new(Searchable { files, index })
            })
            .map_err(|error| format!("{error:#}"));
        *self.state.lock().expect("no thread panics holding the search parts") = Some(result);
        self.finished.notify_all();
    }
}

/// `"<16 hex digits>"`: a 64-bit SipHash with fixed keys, stable across
/// runs (an ETag needs no cryptographic strength).
fn etag(bytes: &[u8]) -> String {
    #[allow(deprecated)] // SipHasher is the stable-keyed SipHash we want.
    let mut hasher = std::hash::SipHasher::new();
    bytes.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

/// The events' key of the entity `i`: its ref, and `@version` for a
/// ResourceDefinition. `None` for a Location, which has no page.
fn entity_key(catalog: &Catalog, i: usize) -> Option<String> {
    let entity = &catalog.entities[i];
    if entity.kind == Kind::Location {
        return None;
    }
    let entity_ref = entity_ref(entity);
    Some(
        match entity.resource_definition.as_ref().and_then(|d| d.version.as_ref()) {
            Some(version) => format!("{entity_ref}@{version}"),
            None => entity_ref,
        },
    )
}

/// `component:default/checkout`, lowercase.
fn entity_ref(entity: &Entity) -> String {
    entity.canonical_ref()
}

/// The entity `i` as the events describe it, with its key, when it has a
/// page among `files`.
fn entity_info(catalog: &Catalog, i: usize, files: &imbl::HashMap<String, File>) -> Option<(String, EntityInfo)> {
    let path = crate::output::page_path(&catalog.entities[i]);
    let version = files.get(&path)?.etag.trim_matches('"').to_string();
    describe(catalog, i, version)
}

/// The entity `i` as the events describe it, with its key (its ref, and
/// `@version` for a ResourceDefinition version), `version` being whatever
/// changes when the entity does (here the page's hash; `cairn notify`
/// hashes the document). `None` for a Location, which has no page.
pub fn describe(catalog: &Catalog, i: usize, version: String) -> Option<(String, EntityInfo)> {
    let entity = &catalog.entities[i];
    let key = entity_key(catalog, i)?;
    let path = crate::output::page_path(entity);
    let owner = catalog
        .related(i, RelationKind::OwnedBy)
        .next()
        .map(|o| catalog.entities[o].metadata.name.clone())
        .unwrap_or_default();
    let info = EntityInfo {
        entity_ref: entity_ref(entity),
        kind: entity.kind.slug(),
        name: entity.metadata.name.clone(),
        owner,
        version,
        definition_version: entity.resource_definition.as_ref().and_then(|d| d.version.clone()),
        path,
    };
    Some((key, info))
}

/// What happened to an entity between two builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Deleted,
}

/// The difference between two builds.
#[derive(Debug, Default)]
pub struct Changes {
    /// Files added, changed or removed.
    pub files: usize,
    /// HTML pages added or changed (sorted).
    pub pages: Vec<String>,
    pub entities: Vec<(Change, EntityInfo)>,
}

/// What changed from `old` to `new`.
pub fn diff(old: &Build, new: &Build) -> Changes {
    let mut changed: Vec<&String> = new
        .files
        .iter()
        .filter(|(path, file)| old.files.get(*path).is_none_or(|o| !Arc::ptr_eq(&o.bytes, &file.bytes)))
        .map(|(path, _)| path)
        .collect();
    changed.sort();
    let removed = old.files.keys().filter(|p| !new.files.contains_key(*p)).count();
    let pages = changed
        .iter()
        .filter(|p| p.ends_with(".html"))
        .map(|p| p.to_string())
        .collect();
    let mut entities = Vec::new();
    for (key, info) in &new.entities {
        match old.entities.get(key) {
            None => entities.push((Change::Created, info.clone())),
            Some(before) if before.version != info.version => entities.push((Change::Updated, info.clone())),
            Some(_) => {}
        }
    }
    for (key, info) in &old.entities {
        if !new.entities.contains_key(key) {
            entities.push((Change::Deleted, info.clone()));
        }
    }
    Changes {
        files: changed.len() + removed,
        pages,
        entities,
    }
}
