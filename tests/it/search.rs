//! Search: the browser's `assets/search.js`, run under Node over the static
//! index `cairn build` wrote, returns the same results in the same order
//! with the same ranking tuples as the Rust core, for a few hundred golden
//! queries — exact, prefix, one and two typos, first-letter typos,
//! multi-word, not-a-prefix, with filters. And `cairn search` finds things.

use std::path::Path;
use std::process::Command;

use cairn::search::store::Store;
use cairn::search::{documents, Filters, Index};

use crate::harness::{run, TestCatalog};

/// Entities with hard text: diacritics, camelCase, long words, shared prefixes.
const EXTRA: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: recommendations-engine
  title: Crème de la Recommandation
  description: Ranks products with a collaborativeFiltering model.
  tags: [machine-learning, python]
spec: { type: service, lifecycle: experimental, owner: storefront }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: recommendation-feeds
  description: Feeds for the recommendations engine.
spec: { type: service, lifecycle: production, owner: storefront }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: internationalization
  description: Translations and locale data.
spec: { type: library, lifecycle: production, owner: storefront }
";

/// Derives queries from the indexed names: every kind of match the typo
/// policy allows or refuses.
fn golden_queries(index: &Index) -> Vec<(String, Filters)> {
    let mut queries: Vec<(String, Filters)> = Vec::new();
    let plain = |q: String| (q, Filters::default());
    let typo_at = |word: &str, positions: &[usize]| -> String {
        let mut chars: Vec<char> = word.chars().collect();
        for &p in positions {
            if p < chars.len() {
                chars[p] = if chars[p] == 'x' { 'q' } else { 'x' };
            }
        }
        chars.into_iter().collect()
    };
    for doc in &index.docs {
        let words = cairn::search::tokenize::words(&doc.name);
        let Some(first) = words.first() else { continue };
        queries.push(plain(doc.name.clone()));
        queries.push(plain(format!("{first} ")));
        queries.push(plain(first.chars().take(3.max(first.len() / 2)).collect()));
        queries.push(plain(typo_at(first, &[2])));
        queries.push(plain(typo_at(first, &[0])));
        queries.push(plain(typo_at(first, &[1, 4])));
        let mut deleted: Vec<char> = first.chars().collect();
        if deleted.len() > 3 {
            deleted.remove(2);
            queries.push(plain(deleted.into_iter().collect()));
        }
        if !doc.owner.is_empty() {
            queries.push(plain(format!("{first} {}", doc.owner)));
            queries.push((
                first.clone(),
                Filters {
                    owner: Some(doc.owner.clone()),
                    ..Filters::default()
                },
            ));
        }
    }
    for q in [
        "chekout",
        "paymnts",
        "checkoutservice",
        "creme recommandation",
        "recomendations",
        "xnternationalization",
        "nternationalization",
        "internationalizatoin",
        "collaborative filtering",
        "SERVICE",
        "svc",
        "api",
        "a",
        "",
        "   ",
        "zzzz",
    ] {
        queries.push(plain(q.to_string()));
    }
    for (kind, lifecycle, tier) in [
        ("component", "", ""),
        ("api", "", ""),
        ("group", "", ""),
        ("component", "production", ""),
        ("", "", "1"),
    ] {
        let filters = |s: &str| (!s.is_empty()).then(|| s.to_string());
        queries.push((
            "service".into(),
            Filters {
                kind: filters(kind),
                lifecycle: filters(lifecycle),
                tier: filters(tier),
                owner: None,
            },
        ));
    }
    queries
}

fn filters_json(filters: &Filters) -> serde_json::Value {
    serde_json::json!({ "kind": filters.kind, "owner": filters.owner, "lifecycle": filters.lifecycle, "tier": filters.tier })
}

fn search_js(dist: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dist.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("search."))
        .expect("assets/search.<hash>.js")
}

#[test]
fn the_browser_query_code_ranks_exactly_as_the_rust_core() {
    let catalog = TestCatalog::demo();
    catalog.write("catalog/services/extra.yaml", EXTRA);
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let dist = catalog.path().join("dist");

    let compilation = cairn::pipeline::compile(catalog.path(), None, None).unwrap();
    let index = Index::new(documents(&compilation.catalog));
    let queries = golden_queries(&index);
    assert!(queries.len() >= 300, "{} queries", queries.len());
    let expected: Vec<Vec<(String, [u32; 4])>> = queries
        .iter()
        .map(|(q, f)| {
            index
                .search(q, f, 10)
                .into_iter()
                .map(|hit| (index.docs[hit.id as usize].entity_ref.clone(), hit.rank))
                .collect()
        })
        .collect();
    let found_something = expected.iter().filter(|hits| !hits.is_empty()).count();
    assert!(
        found_something > queries.len() / 2,
        "the queries exercise matches: {found_something}"
    );

    let queries_file = catalog.path().join("queries.json");
    let json: Vec<_> = queries
        .iter()
        .map(|(q, f)| serde_json::json!([q, filters_json(f)]))
        .collect();
    std::fs::write(&queries_file, serde_json::to_vec(&json).unwrap()).unwrap();
    let script = r#"
const [searchJs, dir, queriesFile] = process.argv.slice(1);
const fs = require("fs"), path = require("path");
const search = require(searchJs).open((p) => Promise.resolve(JSON.parse(fs.readFileSync(path.join(dir, p)))));
(async () => {
  const out = [];
  for (const [q, f] of JSON.parse(fs.readFileSync(queriesFile))) {
    out.push((await search.query(q, f, 10)).map((h) => [h.ref, h.rank]));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"#;
    let node = run(Command::new("node")
        .arg("-e")
        .arg(script)
        .arg(search_js(&dist))
        .arg(dist.join("search"))
        .arg(&queries_file));
    assert_eq!(node.status, 0, "{}", node.stderr);
    let actual: Vec<Vec<(String, [u32; 4])>> = serde_json::from_str(&node.stdout).unwrap();
    for (i, ((query, filters), (want, got))) in queries.iter().zip(expected.iter().zip(&actual)).enumerate() {
        assert_eq!(got, want, "query #{i} {query:?} with {filters:?}");
    }

    // The tantivy index the build wrote finds the same, ranked the same.
    let store = Store::open(&catalog.path().join(".cairn/index")).unwrap();
    assert_eq!(store.doc_count(), index.docs.len() as u64);
    for (i, ((query, filters), want)) in queries.iter().zip(&expected).enumerate() {
        let got: Vec<(String, [u32; 4])> = store
            .search(query, filters, 10)
            .unwrap()
            .into_iter()
            .map(|(doc, hit)| (doc.entity_ref, hit.rank))
            .collect();
        assert_eq!(&got, want, "tantivy: query #{i} {query:?} with {filters:?}");
    }
}

#[test]
fn cairn_search_finds_a_service_through_a_typo() {
    let catalog = TestCatalog::demo();
    let found = catalog.cairn(&["search", "chekout", "--kind", "component"]);
    assert_eq!(found.status, 0, "{}", found.stderr);
    let first = found.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("component:default/checkout-service"),
        "{}",
        found.stdout
    );
    assert!(
        found.stderr.contains("of 79 entities match `chekout`"),
        "{}",
        found.stderr
    );

    let json = catalog.cairn(&["--format", "json", "search", "payment", "--kind", "group"]);
    let hits = json.json();
    let refs: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ref"].as_str().unwrap())
        .collect();
    assert!(
        !refs.is_empty() && refs.iter().all(|r| r.starts_with("group:")),
        "{refs:?}"
    );
}

#[test]
fn cairn_search_reindexes_when_the_catalog_changed() {
    let catalog = TestCatalog::demo();
    let first = catalog.cairn(&["search", "internationalization"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(first.stderr.contains("indexing the catalog"), "{}", first.stderr);
    assert!(first.stdout.is_empty(), "{}", first.stdout);

    let again = catalog.cairn(&["search", "internationalization"]);
    assert!(
        !again.stderr.contains("indexing"),
        "an unchanged catalog reuses the index: {}",
        again.stderr
    );

    catalog.write("catalog/services/extra.yaml", EXTRA);
    let added = catalog.cairn(&["search", "internationalisation"]);
    assert!(added.stderr.contains("indexing the catalog"), "{}", added.stderr);
    assert!(
        added.stdout.starts_with("component:default/internationalization"),
        "{}",
        added.stdout
    );

    std::fs::remove_file(catalog.path().join("catalog/services/extra.yaml")).unwrap();
    let removed = catalog.cairn(&["search", "internationalization"]);
    assert!(removed.stdout.is_empty(), "{}", removed.stdout);

    // A damaged index is rebuilt, not an error.
    std::fs::write(catalog.path().join(".cairn/index/meta.json"), "{").unwrap();
    std::fs::write(catalog.path().join("catalog/services/extra.yaml"), EXTRA).unwrap();
    let repaired = catalog.cairn(&["search", "internationalisation"]);
    assert_eq!(repaired.status, 0, "{}", repaired.stderr);
    assert!(
        repaired.stdout.starts_with("component:default/internationalization"),
        "{}",
        repaired.stdout
    );
}
