//! The search index on disk: a tantivy index that `cairn build` writes to
//! `.cairn/index/` (outside the public site) and `cairn search` reads.
//!
//! tantivy stores the terms and postings and finds the *candidates*: every
//! document with a term that one query word reaches under the typo budget
//! (a Levenshtein automaton over the term dictionary, prefix automaton for
//! the last word). Ranking is never tantivy's (its fuzzy scores are
//! constant): the candidates' stored documents go through the same
//! [`Index::search`](super::Index::search) as the browser's golden vectors,
//! so a query ranks the same wherever it runs.
//!
//! **Invariant:** the candidate set is a superset of what the core matches.
//! The core's typo count is plain Levenshtein plus one for a first-letter
//! typo, never less than the automaton's distance, and both index the
//! terms of [`super::tokenize::terms`] verbatim (pre-tokenized).

use std::path::Path;

use anyhow::Context;
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field as TantivyField, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{TantivyDocument, Term};

use super::tokenize::{terms, words};
use super::typo::budget;
use super::{Field, Filters, Hit, Index, SearchDoc};

/// The file beside the index that says which sources it was built from.
const STAMP_FILE: &str = "cairn-stamp";

/// A search index opened from disk.
pub struct Store {
    reader: tantivy::IndexReader,
    fields: Fields,
    stamp: String,
}

/// The schema: one indexed field per weight class, the facets the filters
/// use, and the whole document stored for the ranking.
#[derive(Clone, Copy)]
struct Fields {
    text: [TantivyField; 4],
    kind: TantivyField,
    owner: TantivyField,
    lifecycle: TantivyField,
    tier: TantivyField,
    doc: TantivyField,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let indexed = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic),
        );
        let text = ["name", "title", "meta", "description"].map(|name| builder.add_text_field(name, indexed.clone()));
        let fields = Fields {
            text,
            kind: builder.add_text_field("kind", STRING),
            owner: builder.add_text_field("owner", STRING),
            lifecycle: builder.add_text_field("lifecycle", STRING),
            tier: builder.add_text_field("tier", STRING),
            doc: builder.add_bytes_field("doc", STORED),
        };
        (builder.build(), fields)
    }

    fn text(&self, field: Field) -> TantivyField {
        self.text[field as usize]
    }
}

/// Writes the index of `docs` into `dir` (which must be empty or missing),
/// recording `stamp` — the sources it was built from (see
/// [`crate::load::source_stamp`]).
pub fn write(dir: &Path, docs: &[SearchDoc], stamp: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let (schema, fields) = Fields::schema();
    let index = tantivy::Index::create_in_dir(dir, schema)
        .with_context(|| format!("cannot create a search index in `{}`", dir.display()))?;
    fill(&index, &fields, docs)?;
    std::fs::write(dir.join(STAMP_FILE), stamp).with_context(|| format!("cannot write `{}`", dir.display()))?;
    Ok(())
}

/// Adds `docs` to the empty `index`, on one thread into one segment: the
/// index is small, and then always the same for the same catalog.
fn fill(index: &tantivy::Index, fields: &Fields, docs: &[SearchDoc]) -> anyhow::Result<()> {
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
    for doc in docs {
        writer.add_document(document(fields, doc)?)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

fn document(fields: &Fields, doc: &SearchDoc) -> anyhow::Result<TantivyDocument> {
    let mut out = TantivyDocument::new();
    for (field, text) in doc.fields() {
        let tokens = terms(text, matches!(field, Field::Name | Field::Title))
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                position,
                text,
                ..Token::default()
            })
            .collect();
        out.add_pre_tokenized_text(
            fields.text(field),
            PreTokenizedString {
                text: String::new(),
                tokens,
            },
        );
    }
    out.add_text(fields.kind, facet(&doc.kind));
    out.add_text(fields.owner, facet(&doc.owner));
    out.add_text(fields.lifecycle, facet(&doc.lifecycle));
    out.add_text(fields.tier, facet(&doc.tier));
    out.add_bytes(fields.doc, &serde_json::to_vec(doc)?);
    Ok(out)
}

/// Facet values compare without ASCII case, as [`Filters`] does.
fn facet(value: &str) -> String {
    value.to_ascii_lowercase()
}

impl Store {
    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        let index = tantivy::Index::open_in_dir(dir)
            .with_context(|| format!("cannot open the search index in `{}`", dir.display()))?;
        let (_, fields) = Fields::schema();
        let stamp = std::fs::read_to_string(dir.join(STAMP_FILE)).unwrap_or_default();
        Ok(Store {
            reader: index.reader()?,
            fields,
            stamp,
        })
    }

    /// An index of `docs` in memory (the preview server's, rebuilt with
    /// every build).
    pub fn in_memory(docs: &[SearchDoc]) -> anyhow::Result<Store> {
        let (schema, fields) = Fields::schema();
        let index = tantivy::Index::create_in_ram(schema);
        fill(&index, &fields, docs)?;
        Ok(Store {
            reader: index.reader()?,
            fields,
            stamp: String::new(),
        })
    }

    /// The sources the index was built from, as written.
    pub fn stamp(&self) -> &str {
        &self.stamp
    }

    /// How many documents the index holds.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The best `limit` documents for `query`, best first, with the ranking
    /// tuple of [`Index::search`].
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> anyhow::Result<Vec<(SearchDoc, Hit)>> {
        let query_words = words(query);
        if query_words.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&self.candidates(query, &query_words, filters), &DocSetCollector)?;
        let mut docs = Vec::with_capacity(addresses.len());
        for address in addresses {
            let stored: TantivyDocument = searcher.doc(address)?;
            let bytes = stored
                .get_first(self.fields.doc)
                .and_then(|v| v.as_bytes())
                .context("a search document without its stored fields")?;
            docs.push(serde_json::from_slice::<SearchDoc>(bytes)?);
        }
        let candidates = Index::new(docs);
        let hits = candidates.search(query, filters, limit);
        Ok(hits
            .into_iter()
            .map(|hit| (candidates.docs[hit.id as usize].clone(), hit))
            .collect())
    }

    /// Any query word reaching any term of any text field, within the
    /// filters.
    fn candidates(&self, query: &str, query_words: &[String], filters: &Filters) -> BooleanQuery {
        let last_is_prefix = !query.ends_with(char::is_whitespace);
        let mut any_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (w, word) in query_words.iter().enumerate() {
            let distance = budget(word.chars().count());
            let prefix = last_is_prefix && w + 1 == query_words.len();
            for field in [Field::Name, Field::Title, Field::Meta, Field::Description] {
                let term = Term::from_field_text(self.fields.text(field), word);
                let query = if prefix {
                    FuzzyTermQuery::new_prefix(term, distance, false)
                } else {
                    FuzzyTermQuery::new(term, distance, false)
                };
                any_word.push((Occur::Should, Box::new(query)));
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(any_word)))];
        let facets = [
            (self.fields.kind, &filters.kind),
            (self.fields.owner, &filters.owner),
            (self.fields.lifecycle, &filters.lifecycle),
            (self.fields.tier, &filters.tier),
        ];
        for (field, wanted) in facets {
            let Some(wanted) = wanted else { continue };
            let term = Term::from_field_text(field, &facet(wanted));
            clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        BooleanQuery::new(clauses)
    }
}

/// Search results as `cairn search --format json` prints them and the
/// preview server's `/api/v1/search` answers: `{ref, name, title, owner,
/// rank}`, best first.
pub fn hits_json(rows: &[(SearchDoc, Hit)]) -> serde_json::Value {
    rows.iter()
        .map(|(doc, hit)| {
            serde_json::json!({ "ref": doc.entity_ref, "name": doc.name, "title": doc.title, "owner": doc.owner, "rank": hit.rank })
        })
        .collect()
}
