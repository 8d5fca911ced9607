//! Guards on a change, for `cairn check --base REF`: limits a pull request
//! must stay within whatever its files say. Today one: the mass-removal
//! guard — a change that removes more than `guards.max_removed_percent`
//! (default 20) of the base revision's entities, or of its entities of one
//! kind, is `mass-removal`, listing the counts and the first removed
//! entities (unless `--allow-mass-removal`).
//!
//! Only entities of the catalog's own files are counted: the base revision
//! pins neither `git:` sources (a source that cannot be fetched is that
//! source's `source-unreachable` or `source-stale`, never a removal) nor
//! discovered facts. A handful of removals never trips the guard, whatever
//! the percentage ([`MIN_REMOVED`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::model::{Entity, Kind};
use crate::resolve::Catalog;

/// Fewer removed entities than this never trip the guard: deleting 2 of 3
/// Domains is not a mass removal.
pub const MIN_REMOVED: usize = 5;

/// How many removed entities the message names.
const NAMED: usize = 5;

/// `mass-removal` when `head` removes too much of `base` (the catalog at
/// the base revision), else nothing.
pub fn mass_removal(base: &Catalog, head: &Catalog, config: &Config) -> Option<Diagnostic> {
    let counted = |e: &&std::sync::Arc<Entity>| !e.discovered && e.origin.is_none();
    let present: BTreeSet<String> = head
        .entities
        .iter()
        .filter(counted)
        .map(|e| crate::model::change_key(e))
        .collect();
    let mut total: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut removed: BTreeMap<Kind, Vec<&Entity>> = BTreeMap::new();
    for entity in base
        .entities
        .iter()
        .filter(counted)
        .filter(|e| crate::load::walked(config, &e.file))
    {
        *total.entry(entity.kind).or_default() += 1;
        if !present.contains(&crate::model::change_key(entity)) {
            removed.entry(entity.kind).or_default().push(entity);
        }
    }
    let limit = config.guards.max_removed_percent;
    let percent = |part: usize, whole: usize| part as f64 * 100.0 / whole.max(1) as f64;
    let over = |part: usize, whole: usize| part >= MIN_REMOVED && percent(part, whole) > limit;
    let all_removed: usize = removed.values().map(Vec::len).sum();
    let all: usize = total.values().sum();
    let kinds: Vec<String> = removed
        .iter()
        .filter(|(kind, gone)| over(gone.len(), total[*kind]))
        .map(|(kind, gone)| {
            format!(
                "{} of {} {}s ({:.0}%)",
                gone.len(),
                total[kind],
                kind.as_str(),
                percent(gone.len(), total[kind])
            )
        })
        .collect();
    if !over(all_removed, all) && kinds.is_empty() {
        return None;
    }
    let mut first: Vec<&Entity> = removed.values().flatten().copied().collect();
    first.sort_by_key(|e| (e.file.as_str(), e.document));
    let mut named: Vec<String> = first
        .iter()
        .take(NAMED)
        .map(|e| format!("{} ({})", crate::model::change_key(e), e.file))
        .collect();
    if first.len() > NAMED {
        named.push(format!("and {} more", first.len() - NAMED));
    }
    let mut message = format!(
        "this change removes {all_removed} of the base's {all} entities ({:.0}%; guards.max_removed_percent is {limit}%)",
        percent(all_removed, all)
    );
    if !kinds.is_empty() {
        message.push_str(&format!(": {}", kinds.join(", ")));
    }
    message.push_str(&format!("; removed: {}", named.join(", ")));
    Some(
        Diagnostic::new(Code::MassRemoval, FilePosition::file_only(&first[0].file), message).with_help(
            "if the removal is intended, run `cairn check` with `--allow-mass-removal` (the Action's `allow-mass-removal: true`) or raise `guards.max_removed_percent` in cairn.yaml",
        ),
    )
}
