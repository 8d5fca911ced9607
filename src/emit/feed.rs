//! The change feed: `api/v1/changes.json` and the Atom feed `feed.xml` of
//! the last `feed.commits` (default 200) commits that changed the catalog — commit, author,
//! time, the first line of the message and the entities added, changed
//! (which fields) and removed, with `cairn diff`'s semantics between each
//! commit and its parent — and each entity page's own last changes, with
//! a link to the commit when the repository's URL is known (`site.edit_url`
//! or the `origin` remote).
//!
//! The history is the compilation's (`pipeline::read_render_inputs`, from
//! `load::changes`, computed once per commit and cached); everything here
//! is a function of HEAD, never of the clock.
//! `rerender` re-renders the pages whose history a new HEAD changed
//! ([`mark_history`]).

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::view::object;
use super::Selection;
use crate::load::changes::{Commit, EntityChanges, How};
use crate::load::history::History;
use crate::model::Entity;
use crate::pipeline::Compilation;

/// The fields of a change an entity page names.
const FIELDS: usize = 5;

fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn url(feed: &History, commit: &Commit) -> Option<String> {
    feed.commit_url.as_ref().map(|base| format!("{base}{}", commit.commit))
}

/// `api/v1/changes.json` and `feed.xml`.
pub fn files(compilation: &Compilation) -> Vec<(String, Vec<u8>)> {
    let feed = &*compilation.history;
    let commits = &feed.log.commits[..feed.log.commits.len().min(compilation.config.feed_commits)];
    let data: Vec<Json> = commits
        .iter()
        .map(|c| {
            json!({
                "commit": c.commit,
                "url": url(feed, c),
                "author": c.author,
                "time": rfc3339(c.time),
                "summary": c.summary,
                "added": c.changes.added,
                "changed": c.changes.changed.iter().map(|(reference, fields)| ChangedEntity { reference, fields }).collect::<Vec<_>>(),
                "removed": c.changes.removed,
            })
        })
        .collect();
    let document = object([("data", Json::Array(data)), ("feed", json!("feed.xml"))]);
    let mut changes = serde_json::to_vec(&document).expect("JSON values serialize");
    changes.push(b'\n');
    vec![
        ("api/v1/changes.json".to_string(), changes),
        ("feed.xml".to_string(), atom(compilation, feed, commits)),
    ]
}

/// An entity a commit changed, and which of its fields.
#[derive(serde::Serialize)]
struct ChangedEntity<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    fields: &'a [String],
}

/// `text` without the characters XML 1.0 cannot hold (the writer escapes
/// markup, not these).
fn legal(text: &str) -> String {
    text.chars()
        .filter(|&c| !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}'))
        .collect()
}

/// What a commit changed, as plain text.
fn describe(changes: &EntityChanges) -> String {
    let mut out = String::new();
    for added in &changes.added {
        let _ = writeln!(out, "added {added}");
    }
    for (changed, fields) in &changes.changed {
        let _ = writeln!(out, "changed {changed}: {}", fields.join(", "));
    }
    for removed in &changes.removed {
        let _ = writeln!(out, "removed {removed}");
    }
    out
}

/// The Atom feed (RFC 4287): the site's, one entry per commit, links to
/// the commits when their URL is known.
fn atom(compilation: &Compilation, feed: &History, commits: &[Commit]) -> Vec<u8> {
    use atom_syndication::{Content, Entry, FixedDateTime, Generator, Link, Person, Text, WriteConfig};
    use sha2::{Digest, Sha256};
    let date = |seconds: i64| -> FixedDateTime { rfc3339(seconds).parse().unwrap_or_default() };
    let site = &compilation.config.site;
    let digest = Sha256::digest(format!("{}\n{}", site.title, site.base_url).as_bytes());
    let id = hex::encode(&digest[..8]);
    let link = |href: String, rel: &str| Link {
        href: legal(&href),
        rel: rel.to_string(),
        ..Link::default()
    };
    let entries: Vec<Entry> = commits
        .iter()
        .map(|commit| {
            let mut entry = Entry::default();
            entry.set_title(Text::plain(legal(&commit.summary)));
            entry.set_id(format!("urn:cairn:commit:{}", commit.commit));
            entry.set_updated(date(commit.time));
            entry.set_authors(vec![Person {
                name: legal(&commit.author),
                ..Person::default()
            }]);
            entry.set_links(
                url(feed, commit)
                    .map(|u| link(u, "alternate"))
                    .into_iter()
                    .collect::<Vec<_>>(),
            );
            entry.set_content(Content {
                value: Some(legal(&describe(&commit.changes))),
                content_type: Some("text".to_string()),
                ..Content::default()
            });
            entry
        })
        .collect();
    let mut atom = atom_syndication::Feed::default();
    atom.set_title(Text::plain(legal(&format!("{} — catalog changes", site.title))));
    atom.set_id(format!("urn:cairn:feed:{id}"));
    atom.set_updated(date(commits.first().map_or(0, |c| c.time)));
    atom.set_links(vec![
        link(format!("{}feed.xml", site.base_url), "self"),
        link(site.base_url.clone(), "alternate"),
    ]);
    atom.set_generator(Generator {
        value: "cairn".to_string(),
        ..Generator::default()
    });
    atom.set_entries(entries);
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(1),
    };
    let mut out = atom
        .write_with_config(Vec::new(), config)
        .expect("writing XML to memory cannot fail");
    out.push(b'\n');
    out
}

/// An entity page's own last changes.
pub fn entity_context(compilation: &Compilation, entity: &Entity) -> Json {
    let feed = &*compilation.history;
    let key = crate::model::change_key(entity);
    let changes: Vec<Json> = feed
        .log
        .of(&key)
        .map(|(commit, how)| {
            let fields: Vec<&String> = match how {
                How::Changed => commit
                    .changes
                    .changed
                    .iter()
                    .find(|(e, _)| *e == key)
                    .map(|(_, f)| f.iter().collect())
                    .unwrap_or_default(),
                How::Added | How::Removed => Vec::new(),
            };
            json!({
                "date": rfc3339(commit.time).get(..10),
                "author": commit.author,
                "summary": commit.summary,
                "how": match how { How::Added => "added", How::Changed => "changed", How::Removed => "removed" },
                "fields": fields.iter().take(FIELDS).collect::<Vec<_>>(),
                "more_fields": fields.len().saturating_sub(FIELDS),
                "commit": commit.commit.get(..7),
                "url": url(feed, commit),
            })
        })
        .collect();
    Json::Array(changes)
}

/// Marks for `rerender` the entities of `new` whose own last changes
/// differ from `old`'s: a new HEAD (a commit, a checkout) changes entity
/// pages the catalog's files do not.
pub fn mark_history(old: &Compilation, new: &Compilation, selection: &mut Selection) {
    if old.history.key == new.history.key {
        return;
    }
    let (before, after) = (&*old.history, &*new.history);
    for (i, entity) in new.catalog.entities.iter().enumerate() {
        let key = crate::model::change_key(entity);
        let ids = |feed: &History| -> Vec<(String, How)> {
            feed.log.of(&key).map(|(c, how)| (c.commit.clone(), how)).collect()
        };
        if ids(before) != ids(after) || before.commit_url != after.commit_url {
            selection.mark(i);
        }
    }
}

/// What these files add to `openapi.json`: (path, summary, media type,
/// schema, path parameters).
pub const PATHS: &[(&str, &str, &str, &str, &[&str])] = &[(
    "/api/v1/changes.json",
    "The last commits that changed the catalog (feed.commits in cairn.yaml, default 200), newest first: each one's entities added, changed (which fields) and removed, as cairn diff reads them; the same as an Atom feed at feed.xml",
    "application/json",
    "Changes",
    &[],
)];

/// The schema [`PATHS`] names.
pub fn schemas() -> Json {
    json!({
        "Changes": { "type": "object", "required": ["data"], "properties": {
            "feed": { "type": "string", "description": "The Atom feed of the same commits, relative to the output root" },
            "data": { "type": "array", "items": { "type": "object", "required": ["commit", "author", "time", "summary", "added", "changed", "removed"], "properties": {
                "commit": { "type": "string" }, "url": { "type": ["string", "null"], "description": "The commit's page, when the repository's URL is known" },
                "author": { "type": "string" }, "time": { "type": "string", "format": "date-time" }, "summary": { "type": "string" },
                "added": { "type": "array", "items": { "type": "string" } },
                "changed": { "type": "array", "items": { "type": "object", "properties": { "ref": { "type": "string" }, "fields": { "type": "array", "items": { "type": "string" } } } } },
                "removed": { "type": "array", "items": { "type": "string" } } } } } } },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_drops_what_xml_cannot_hold() {
        assert_eq!(
            legal("bell\u{7}\ttab\nline\u{FFFF} <a> & ]]>"),
            "bell\ttab\nline <a> & ]]>"
        );
    }
}
