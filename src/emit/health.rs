//! Source health: how fresh each input that comes from outside the catalog
//! is — per `git:` source, the redacted URL, ref, commit and its time,
//! whether it is stale and why (and, only then, when it was last fetched);
//! per discovery snapshot, its scan time, whether it is partial, its
//! errors and its age. It goes into `status.json` (`health`) and the
//! dashboard's sources panel.
//!
//! A build's output is a function of its inputs, so ages here are counted
//! at HEAD's commit time, never the clock's; how old things are *now* is
//! for the `facts-stale` warning and `cairn serve`'s `/metrics`.

use serde_json::{json, Value as Json};

use crate::pipeline::Compilation;

/// RFC 3339 for seconds since the epoch.
fn rfc3339(seconds: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// `health` of `status.json`.
pub fn status_json(compilation: &Compilation) -> Json {
    let git: Vec<Json> = compilation
        .git_sources
        .iter()
        .map(|source| {
            json!({
                "url": source.url,
                "ref": source.reference,
                "path": source.path,
                "commit": source.commit,
                "committed_at": source.committed_at.and_then(rfc3339),
                "stale": source.stale,
                "reason": source.reason,
                // Only a stale source's: it is a time of the machine that
                // fetched, an input this build reads, not this build's own.
                "last_fetched_at": source.fetched_at.filter(|_| source.stale).and_then(rfc3339),
            })
        })
        .collect();
    let at_commit = compilation.head.as_ref().map(|h| h.time);
    let snapshots: Vec<Json> = compilation
        .snapshots
        .files
        .iter()
        .map(|snapshot| {
            let facts = &snapshot.facts;
            let age = snapshot
                .scanned_at
                .zip(at_commit)
                .map(|(scanned, head)| (head - scanned).max(0) / 86_400);
            json!({
                "file": snapshot.display,
                "source": facts.source.as_str(),
                "scanned_at": snapshot.scanned_at.and_then(rfc3339),
                "partial": facts.partial,
                "errors": facts.errors.iter().map(|e| json!({ "scope": e.scope, "message": e.message })).collect::<Vec<_>>(),
                "age_days": age,
                "max_age_days": compilation.config.max_age_days,
            })
        })
        .collect();
    json!({ "git_sources": git, "snapshots": snapshots })
}

/// The dashboard's sources panel.
pub fn dashboard_context(compilation: &Compilation) -> Json {
    let mut health = status_json(compilation);
    for source in health["git_sources"].as_array_mut().into_iter().flatten() {
        let short = source["commit"].as_str().map(|c| c.chars().take(7).collect::<String>());
        source["short"] = json!(short);
    }
    for snapshot in health["snapshots"].as_array_mut().into_iter().flatten() {
        let old = snapshot["age_days"].as_i64() > snapshot["max_age_days"].as_i64();
        snapshot["old"] = json!(old);
    }
    health
}

/// The schema of `health`, for `openapi.json`.
pub fn schema() -> Json {
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    json!({ "type": "object", "description": "How fresh the inputs from outside the catalog are; ages are counted at HEAD's commit time", "properties": {
        "git_sources": { "type": "array", "items": { "type": "object", "required": ["url", "ref", "commit", "stale"], "properties": {
            "url": { "type": "string", "description": "Credentials redacted" }, "ref": { "type": "string" }, "path": nullable("string"),
            "commit": nullable("string"), "committed_at": nullable("string"), "stale": { "type": "boolean", "description": "The remote could not be fetched; the last fetched commit was read" },
            "reason": nullable("string"), "last_fetched_at": { "type": ["string", "null"], "description": "When a stale source was last fetched" } } } },
        "snapshots": { "type": "array", "items": { "type": "object", "required": ["file", "source", "partial", "errors"], "properties": {
            "file": { "type": "string" }, "source": { "enum": ["git", "github", "aws"] }, "scanned_at": nullable("string"),
            "partial": { "type": "boolean" }, "errors": { "type": "array", "items": { "type": "object", "properties": { "scope": { "type": "string" }, "message": { "type": "string" } } } },
            "age_days": { "type": ["integer", "null"], "description": "Days from the scan to HEAD's commit" }, "max_age_days": { "type": "integer" } } } } } })
}
