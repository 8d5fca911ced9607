//! The static search index the browser queries, under `search/`: a small
//! manifest and content-hashed shards, so a query fetches only what it
//! needs and every shard is cacheable forever.
//!
//! * `vocab/<c>.<hash>.json` — the sorted terms starting with the letter
//!   whose code point is hex `c` (a typo
//!   on the first letter costs two, so a word of up to eight letters never
//!   leaves its shard);
//! * `tails/<c>.<hash>.json` — terms of eight or more letters whose second
//!   letter is `c`, for the first-letter typos nine-letter words may have;
//! * `postings/<n>.<hash>.json` — term → postings, cut into term ranges of
//!   about [`POSTINGS_SHARD_BYTES`]; a posting is `(doc delta << 2) | field`;
//! * `docs/<n>.<hash>.json` — display fields of [`DOCS_PER_SHARD`] documents;
//! * `facets.<hash>.json` — kind, owner, lifecycle and tier as columns;
//! * `manifest.json` — the names of all of the above, and the postings
//!   shards' first terms.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::{Index, SearchDoc};
use crate::output::Files;

/// Target size of a postings shard (uncompressed JSON).
pub const POSTINGS_SHARD_BYTES: usize = 32 * 1024;
/// Documents per display shard: a results page touches a few small files.
pub const DOCS_PER_SHARD: usize = 64;
/// Terms this long or longer are also listed by their second letter.
pub const TAIL_MIN_CHARS: usize = 8;

/// Adds the static index for `index` to `files`, under `search/`.
pub fn write(index: &Index, files: &mut Files) {
    let mut manifest = serde_json::Map::new();
    manifest.insert("version".into(), json!(1));
    manifest.insert("docs".into(), json!(index.docs.len()));
    manifest.insert("docs_per_shard".into(), json!(DOCS_PER_SHARD));

    let mut vocab: BTreeMap<char, Vec<&str>> = BTreeMap::new();
    let mut tails: BTreeMap<char, Vec<&str>> = BTreeMap::new();
    for term in index.terms.keys() {
        let mut chars = term.chars();
        let first = chars.next().expect("terms are not empty");
        vocab.entry(first).or_default().push(term);
        if term.chars().count() >= TAIL_MIN_CHARS {
            let second = chars.next().expect("long terms have a second letter");
            tails.entry(second).or_default().push(term);
        }
    }
    let mut by_letter = |dir: &str, lists: BTreeMap<char, Vec<&str>>| -> Json {
        lists
            .into_iter()
            .map(|(c, terms)| {
                (
                    c.to_string(),
                    json!(put(files, &format!("{dir}/{:x}", c as u32), json!(terms))),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let vocab = by_letter("vocab", vocab);
    let tails = by_letter("tails", tails);
    manifest.insert("vocab".into(), vocab);
    manifest.insert("tails".into(), tails);

    let mut postings = Vec::new();
    let mut shard = serde_json::Map::new();
    let mut shard_bytes = 0;
    let mut first_term = String::new();
    for (term, list) in &index.terms {
        if shard.is_empty() {
            first_term = term.clone();
        }
        let mut previous = 0;
        let encoded: Vec<u64> = list
            .iter()
            .map(|&(doc, field)| {
                let delta = u64::from(doc - previous);
                previous = doc;
                (delta << 2) | field as u64
            })
            .collect();
        shard_bytes += term.len() + encoded.len() * 3 + 4;
        shard.insert(term.clone(), json!(encoded));
        if shard_bytes >= POSTINGS_SHARD_BYTES {
            let n = postings.len().to_string();
            let name = put(
                files,
                &format!("postings/{n}"),
                Json::Object(std::mem::take(&mut shard)),
            );
            postings.push(json!([first_term, name]));
            shard_bytes = 0;
        }
    }
    if !shard.is_empty() {
        let n = postings.len().to_string();
        let name = put(files, &format!("postings/{n}"), Json::Object(shard));
        postings.push(json!([first_term, name]));
    }
    manifest.insert("postings".into(), json!(postings));

    let docs: Vec<Json> = index
        .docs
        .chunks(DOCS_PER_SHARD)
        .enumerate()
        .map(|(n, chunk)| {
            json!(put(
                files,
                &format!("docs/{n}"),
                json!(chunk.iter().map(display).collect::<Vec<_>>())
            ))
        })
        .collect();
    manifest.insert("doc_shards".into(), json!(docs));
    manifest.insert("facets".into(), json!(put(files, "facets", facets(&index.docs))));
    files.insert("search/manifest.json".into(), json_bytes(&Json::Object(manifest)));
}

/// What a result shows: `[name, title, kind, ref, owner, description,
/// page path]` (the description cut to 160 characters).
fn display(doc: &SearchDoc) -> Json {
    let description: String = doc.description.chars().take(160).collect();
    json!([
        doc.name,
        doc.title,
        doc.kind,
        doc.entity_ref,
        doc.owner,
        description,
        doc.path
    ])
}

/// Each facet as `{values: [...], column: [value index per doc]}`.
fn facets(docs: &[SearchDoc]) -> Json {
    let column = |get: fn(&SearchDoc) -> &str| {
        let values: Vec<&str> = {
            let mut v: Vec<&str> = docs.iter().map(get).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let column: Vec<usize> = docs
            .iter()
            .map(|d| values.binary_search(&get(d)).expect("every value is listed"))
            .collect();
        json!({ "values": values, "column": column })
    };
    json!({
        "kind": column(|d| &d.kind),
        "owner": column(|d| &d.owner),
        "lifecycle": column(|d| &d.lifecycle),
        "tier": column(|d| &d.tier),
    })
}

/// Writes `value` as `search/<path>.<hash>.json` and returns that name
/// relative to `search/`.
fn put(files: &mut Files, path: &str, value: Json) -> String {
    let bytes = json_bytes(&value);
    let name = crate::output::hashed_name(path, "json", &bytes);
    files.insert(format!("search/{name}"), bytes);
    name
}

fn json_bytes(value: &Json) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON serializes")
}
