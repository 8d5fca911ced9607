//! The change feed: `api/v1/changes.json` and the Atom feed `feed.xml` of
//! the last `feed.commits` (default 200) commits that changed the catalog — commit, author,
//! time, the first line of the message and the entities added, changed
//! (which fields) and removed, with `cairn diff`'s semantics between each
//! commit and its parent — and each entity page's own last changes, with
//! a link to the commit when the repository's URL is known (`site.edit_url`
//! or the `origin` remote).
//!
//! The history comes from `load::changes` (computed once per commit and
//! cached); everything here is a function of HEAD, never of the clock.
//! `rerender` re-renders the pages whose history a new HEAD changed
//! ([`mark_history`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};

use super::Selection;
use crate::load::changes::{change_log, ChangeLog, Commit, EntityChanges, How, Touched};
use crate::model::Entity;
use crate::pipeline::Compilation;
use crate::source::SourceFile;

/// The fields of a change an entity page names.
const FIELDS: usize = 5;

/// Which files of a commit are the catalog's: `cairn.yaml`'s `path:`
/// sources, as the feed's cache key says.
fn scope(compilation: &Compilation) -> String {
    compilation
        .config
        .sources
        .iter()
        .filter_map(|s| match s {
            crate::config::Source::Path(dir) => Some(dir.to_string_lossy().into_owned()),
            crate::config::Source::Git { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The entities of a commit's files on one side, by `cairn diff`'s key, as
/// written (placeholders are not resolved: the feed compares what was
/// committed).
fn entities(files: &[(String, String)]) -> BTreeMap<String, Json> {
    let mut sources: Vec<SourceFile> = files
        .iter()
        .map(|(path, text)| SourceFile::parse(path.clone(), text.clone(), None).0)
        .collect();
    let (lowered, _) = crate::model::lower_files(&mut sources);
    let mut out = BTreeMap::new();
    for entity in lowered {
        out.entry(crate::diff::key_of(&entity))
            .or_insert_with(|| entity.to_json());
    }
    out
}

/// `cairn diff`'s semantics over the files a commit touched.
fn compare(touched: &Touched) -> EntityChanges {
    let (before, after) = (entities(&touched.before), entities(&touched.after));
    let mut changes = EntityChanges::default();
    for (key, new) in &after {
        match before.get(key) {
            None => changes.added.push(key.clone()),
            Some(old) if old != new => {
                changes
                    .changed
                    .push((key.clone(), crate::util::changed_pointers(old, new)));
            }
            Some(_) => {}
        }
    }
    changes.removed = before.keys().filter(|k| !after.contains_key(*k)).cloned().collect();
    changes
}

/// The change log of `compilation`'s HEAD, and the URL commits link to.
struct Feed {
    log: Arc<ChangeLog>,
    commit_url: Option<String>,
}

/// The last feed, by root, HEAD and what decides its files and links.
static LAST: Mutex<Option<(PathBuf, String, Arc<Feed>)>> = Mutex::new(None);

fn feed(compilation: &Compilation) -> Arc<Feed> {
    let Some(head) = &compilation.head else {
        return Arc::new(Feed {
            log: Arc::default(),
            commit_url: None,
        });
    };
    let scope = scope(compilation);
    let key = format!("{}\n{scope}\n{:?}", head.commit, compilation.config.site.edit_url);
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((root, known, feed)) = last.as_ref() {
        if *root == compilation.root && *known == key {
            return feed.clone();
        }
    }
    let config = &compilation.config;
    let walked = |file: &str| crate::load::walked(config, file);
    let feed = Arc::new(Feed {
        log: change_log(&compilation.root, head, &walked, &scope, &compare),
        commit_url: crate::load::changes::commit_url_base(&compilation.root, config.site.edit_url.as_deref()),
    });
    *last = Some((compilation.root.clone(), key, feed.clone()));
    feed
}

/// Reads (or computes) the change log of `compilation`'s HEAD, so that
/// what renders it in parallel does not wait for it.
pub fn prepare(compilation: &Compilation) {
    feed(compilation);
}

fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn url(feed: &Feed, commit: &Commit) -> Option<String> {
    feed.commit_url.as_ref().map(|base| format!("{base}{}", commit.commit))
}

/// `api/v1/changes.json` and `feed.xml`.
pub fn files(compilation: &Compilation) -> Vec<(String, Vec<u8>)> {
    let feed = feed(compilation);
    let commits = &feed.log.commits[..feed.log.commits.len().min(compilation.config.feed_commits)];
    let data: Vec<Json> = commits
        .iter()
        .map(|c| {
            json!({
                "commit": c.commit,
                "url": url(&feed, c),
                "author": c.author,
                "time": rfc3339(c.time),
                "summary": c.summary,
                "added": c.changes.added,
                "changed": c.changes.changed.iter().map(|(e, fields)| json!({ "ref": e, "fields": fields })).collect::<Vec<_>>(),
                "removed": c.changes.removed,
            })
        })
        .collect();
    let mut changes = serde_json::to_vec(&json!({ "data": data, "feed": "feed.xml" })).expect("JSON values serialize");
    changes.push(b'\n');
    vec![
        ("api/v1/changes.json".to_string(), changes),
        ("feed.xml".to_string(), atom(compilation, &feed, commits)),
    ]
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
fn atom(compilation: &Compilation, feed: &Feed, commits: &[Commit]) -> Vec<u8> {
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
    let feed = feed(compilation);
    let key = crate::diff::key_of(entity);
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
                "url": url(&feed, commit),
            })
        })
        .collect();
    Json::Array(changes)
}

/// Marks for `rerender` the entities of `new` whose own last changes
/// differ from `old`'s: a new HEAD (a commit, a checkout) changes entity
/// pages the catalog's files do not.
pub fn mark_history(old: &Compilation, new: &Compilation, selection: &mut Selection) {
    if old.head == new.head {
        return;
    }
    let (before, after) = (feed(old), feed(new));
    for (i, entity) in new.catalog.entities.iter().enumerate() {
        let key = crate::diff::key_of(entity);
        let ids =
            |feed: &Feed| -> Vec<(String, How)> { feed.log.of(&key).map(|(c, how)| (c.commit.clone(), how)).collect() };
        if ids(&before) != ids(&after) || before.commit_url != after.commit_url {
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

    #[test]
    fn a_commit_s_changes_are_cairn_diff_s() {
        let group = |title: &str| {
            format!("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a\n  title: {title}\nspec:\n  type: team\n  children: []\n")
        };
        let component = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: b\nspec:\n  type: service\n  lifecycle: production\n  owner: a\n";
        let touched = Touched {
            before: vec![("teams.yaml".into(), group("A")), ("b.yaml".into(), component.into())],
            after: vec![
                ("teams.yaml".into(), group("Team A")),
                // Moved to another file, unchanged: no change.
                ("services/b.yaml".into(), component.into()),
                ("c.yaml".into(), component.replace("name: b", "name: c")),
            ],
        };
        let changes = compare(&touched);
        assert_eq!(changes.added, ["component:default/c"]);
        assert_eq!(
            changes.changed,
            [("group:default/a".to_string(), vec!["/metadata/title".to_string()])]
        );
        assert!(changes.removed.is_empty());
        let gone = compare(&Touched {
            before: vec![("b.yaml".into(), component.into())],
            after: vec![],
        });
        assert_eq!(gone.removed, ["component:default/b"]);
    }
}
