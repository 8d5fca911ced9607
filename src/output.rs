//! The output layout: every path and URL a build writes or links —
//! entity pages, API documents, hashed asset names — made in one place from
//! validated names, and the check every path passes before it is written
//! ([`safe_relative_path`]). `emit` renders into it, `search` shards into it,
//! `serve` and `publish` read it.

use std::collections::BTreeMap;

use crate::model::{Entity, Kind};
use crate::util::joined_lowercase;

/// The files of one build: relative path → contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Where the JSON API lives in the site.
pub const API: &str = "api/v1";

/// `namespace/name`, lowercase, as used in paths.
pub fn path_of(entity: &Entity) -> String {
    joined_lowercase(&[
        (&entity.metadata.namespace, true),
        ("/", false),
        (&entity.metadata.name, true),
    ])
}

/// The entity ref Backstage writes in relations: `kind:namespace/name`,
/// lowercase.
pub fn ref_of(entity: &Entity) -> String {
    entity.canonical_ref()
}

/// An entity's Backstage-shaped file: `api/v1/entities/{kind}/{ns}/{name}.json`.
pub fn entity_file(entity: &Entity) -> String {
    format!("{API}/entities/{}/{}.json", entity.kind.slug(), path_of(entity))
}

/// A ResourceDefinition version's file: `api/v1/resources/{name}/{version}.json`.
pub fn definition_version_file(name: &str, version: &str) -> String {
    format!("{API}/resources/{}/{version}.json", name.to_ascii_lowercase())
}

/// The relative URL (from the API root's parent) of an entity's main file.
pub fn url_of(entity: &Entity) -> String {
    match entity.kind {
        Kind::Component => format!("{API}/services/{}.json", path_of(entity)),
        Kind::Group => format!("{API}/teams/{}.json", path_of(entity)),
        _ => format!("{API}/entities/{}/{}.json", entity.kind.slug(), path_of(entity)),
    }
}

/// The page of an entity: `{kind}/{namespace}/{name}/index.html`, and for
/// a ResourceDefinition version `resourcedefinition/{name}/{version}/index.html`.
pub fn page_path(entity: &Entity) -> String {
    if entity.kind == Kind::ResourceDefinition {
        let version = entity
            .resource_definition
            .as_ref()
            .and_then(|d| d.version.as_deref())
            .unwrap_or("0");
        return format!(
            "resourcedefinition/{}/{}/index.html",
            entity.metadata.name.to_ascii_lowercase(),
            version
        );
    }
    joined_lowercase(&[
        (entity.kind.slug(), false),
        ("/", false),
        (&entity.metadata.namespace, true),
        ("/", false),
        (&entity.metadata.name, true),
        ("/index.html", false),
    ])
}

/// The latest version's page of a definition: `resourcedefinition/{name}/index.html`.
pub fn definition_path(name: &str) -> String {
    format!("resourcedefinition/{}/index.html", name.to_ascii_lowercase())
}

/// `name.<first 10 hex digits of the SHA-256>.extension`.
pub fn hashed_name(name: &str, extension: &str, contents: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(contents);
    format!("{name}.{}.{extension}", hex::encode(&hash[..5]))
}

/// Whether `path` is a plain relative path: `/`-separated segments, none
/// empty, `.` or `..`, no backslashes, no absolute path or drive.
pub fn safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\\', '\0', ':'])
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// Where the search index that `cairn search` reads lives, under the
/// catalog root: outside the public site.
pub const SEARCH_INDEX_DIR: &str = ".cairn/index";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        for good in [
            "api/v1/status.json",
            "a/b.c/d-e_f.json",
            "schemas/component.schema.json",
        ] {
            assert!(safe_relative_path(good), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/./b",
            "a\\b",
            "c:/x",
            "a/",
        ] {
            assert!(!safe_relative_path(bad), "{bad}");
        }
    }
}
