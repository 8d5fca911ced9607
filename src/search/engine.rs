//! The index and the query: candidate terms per query word under the typo
//! policy, then one integer ranking tuple per document —
//! (words missed, typos, field, prefixes, id) — compared lexicographically;
//! documents are numbered in name order, so the id breaks ties by name. The browser's `search.js` ranks with the same tuple.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::tokenize::{terms, words};
use super::typo::{matches, WordMatch};
use super::{Field, SearchDoc};

/// Which documents a query may return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub kind: Option<String>,
    pub owner: Option<String>,
    pub lifecycle: Option<String>,
    pub tier: Option<String>,
}

impl Filters {
    fn allow(&self, doc: &SearchDoc) -> bool {
        let is = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w.eq_ignore_ascii_case(value));
        is(&self.kind, &doc.kind)
            && is(&self.owner, &doc.owner)
            && is(&self.lifecycle, &doc.lifecycle)
            && is(&self.tier, &doc.tier)
    }
}

/// How one query word matched one document at best: typos, field, prefix.
type WordHit = (u8, Field, bool);

/// One result, with the ranking tuple that placed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub id: u32,
    pub name: String,
    /// Words missed, typos, field sum, prefix matches.
    pub rank: [u32; 4],
}

/// Every term of every document: term → (document, best field) postings,
/// sorted by document.
#[derive(Debug, Default)]
pub struct Index {
    pub docs: Vec<SearchDoc>,
    pub terms: BTreeMap<String, Vec<(u32, Field)>>,
}

impl Index {
    /// Indexes `docs`, numbered in name order: ties in rank go to the
    /// lower id, which is the name order, without reading any name.
    pub fn new(mut docs: Vec<SearchDoc>) -> Index {
        docs.sort_by(|a, b| (&a.name, &a.entity_ref).cmp(&(&b.name, &b.entity_ref)));
        let mut best: BTreeMap<String, BTreeMap<u32, Field>> = BTreeMap::new();
        for (id, doc) in docs.iter().enumerate() {
            for (field, text) in doc.fields() {
                for term in terms(text, matches!(field, Field::Name | Field::Title)) {
                    let slot = best.entry(term).or_default().entry(id as u32).or_insert(field);
                    *slot = (*slot).min(field);
                }
            }
        }
        let terms = best
            .into_iter()
            .map(|(term, docs)| (term, docs.into_iter().collect()))
            .collect();
        Index { docs, terms }
    }

    /// The best `limit` documents for `query`, best first.
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> Vec<Hit> {
        let query_words = words(query);
        if query_words.is_empty() {
            return Vec::new();
        }
        let last_is_prefix = !query.ends_with(char::is_whitespace);
        // Per document, per query word: the best (typos, field, prefix).
        let mut found: HashMap<u32, Vec<Option<WordHit>>> = HashMap::new();
        for (w, word) in query_words.iter().enumerate() {
            let prefix = last_is_prefix && w + 1 == query_words.len();
            for (term, word_match) in self.candidates(word, prefix) {
                for &(doc, field) in &self.terms[term] {
                    let slots = found.entry(doc).or_insert_with(|| vec![None; query_words.len()]);
                    let this = (word_match.typos, field, !word_match.exact);
                    if slots[w].is_none_or(|best| this < best) {
                        slots[w] = Some(this);
                    }
                }
            }
        }
        let mut hits: Vec<Hit> = found
            .into_iter()
            .filter(|(doc, _)| filters.allow(&self.docs[*doc as usize]))
            .map(|(doc, slots)| {
                let matched: Vec<_> = slots.iter().flatten().collect();
                let rank = [
                    (slots.len() - matched.len()) as u32,
                    matched.iter().map(|m| u32::from(m.0)).sum(),
                    matched.iter().map(|m| m.1 as u32).sum(),
                    matched.iter().filter(|m| m.2).count() as u32,
                ];
                Hit {
                    id: doc,
                    name: self.docs[doc as usize].name.clone(),
                    rank,
                }
            })
            .collect();
        hits.sort_by_key(|hit| (hit.rank, hit.id));
        hits.truncate(limit);
        hits
    }

    /// The terms `word` matches, with how. Terms sharing the first letter
    /// are scanned as a range; a first-letter typo (only affordable from
    /// nine letters on) is looked for in the rest.
    fn candidates(&self, word: &str, prefix: bool) -> Vec<(&str, WordMatch)> {
        let chars: Vec<char> = word.chars().collect();
        let first = chars[0];
        let check = |term: &str| {
            let term_chars: Vec<char> = term.chars().collect();
            matches(&chars, &term_chars, prefix)
        };
        let mut out = Vec::new();
        let start = first.to_string();
        for (term, _) in self.terms.range(start.clone()..) {
            if !term.starts_with(first) {
                break;
            }
            if let Some(m) = check(term) {
                out.push((term.as_str(), m));
            }
        }
        if super::typo::budget(chars.len()) >= 2 {
            for (term, _) in self.terms.iter().filter(|(t, _)| !t.starts_with(first)) {
                if let Some(m) = check(term) {
                    out.push((term.as_str(), m));
                }
            }
        }
        out
    }
}
