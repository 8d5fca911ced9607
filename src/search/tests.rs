use super::*;

fn doc(name: &str, title: &str, description: &str, owner: &str) -> SearchDoc {
    SearchDoc {
        kind: "component".into(),
        entity_ref: format!("component:default/{name}"),
        name: name.into(),
        title: title.into(),
        description: description.into(),
        tags: vec![],
        owner: owner.into(),
        lifecycle: "production".into(),
        tier: String::new(),
        path: format!("component/default/{name}/index.html"),
        operations: Vec::new(),
    }
}

fn names(index: &Index, query: &str) -> Vec<String> {
    index
        .search(query, &Filters::default(), 10)
        .into_iter()
        .map(|hit| hit.name)
        .collect()
}

fn sample() -> Index {
    Index::new(vec![
        doc("checkout-service", "Checkout", "Takes the money.", "payments"),
        doc(
            "cart-service",
            "Cart",
            "Holds what you pick before checkout.",
            "storefront",
        ),
        doc("payments-api", "Payments API", "Authorizes cards.", "payments"),
        doc("checkpoint", "", "", "platform"),
    ])
}

#[test]
fn a_match_in_the_name_beats_one_in_the_description() {
    assert_eq!(names(&sample(), "checkout"), ["checkout-service", "cart-service"]);
}

#[test]
fn fewer_typos_rank_first_and_prefixes_match_the_last_word_only() {
    let index = sample();
    assert_eq!(
        names(&index, "chec"),
        ["checkout-service", "checkpoint", "cart-service"]
    );
    assert_eq!(
        names(&index, "chec "),
        Vec::<String>::new(),
        "a finished word is not a prefix"
    );
    assert_eq!(names(&index, "chekout")[0], "checkout-service");
    assert_eq!(
        names(&index, "checkoutservice"),
        ["checkout-service"],
        "the joined slug"
    );
}

#[test]
fn more_matched_words_rank_first_and_filters_apply() {
    let index = sample();
    assert_eq!(names(&index, "payments cards")[0], "payments-api");
    let owned = index.search(
        "service",
        &Filters {
            owner: Some("Storefront".into()),
            ..Filters::default()
        },
        10,
    );
    assert_eq!(
        owned.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["cart-service"]
    );
}

#[test]
fn documents_are_numbered_in_name_order() {
    let index = sample();
    let order: Vec<&str> = index.docs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        order,
        ["cart-service", "checkout-service", "checkpoint", "payments-api"]
    );
}

#[test]
fn the_static_index_is_sharded_and_content_hashed() {
    let mut files = crate::output::Files::new();
    shards::write(&sample(), &mut files);
    let manifest: serde_json::Value = serde_json::from_slice(&files["search/manifest.json"]).unwrap();
    assert_eq!(manifest["docs"], 4);
    let c_vocab = manifest["vocab"]["c"].as_str().unwrap();
    assert!(c_vocab.starts_with("vocab/63."), "{c_vocab}");
    let terms: Vec<String> = serde_json::from_slice(&files[&format!("search/{c_vocab}")]).unwrap();
    assert!(
        terms.contains(&"checkout".to_string()) && terms.iter().all(|t| t.starts_with('c')),
        "{terms:?}"
    );
    for path in files.keys().filter(|p| *p != "search/manifest.json") {
        let name = path.rsplit('/').next().unwrap();
        let hash = name.split('.').nth(1).unwrap();
        assert!(
            hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{path}"
        );
    }
}

#[test]
fn queries_are_bounded_in_words_and_characters() {
    assert_eq!(bounded_query("  checkout api  "), "  checkout api");
    let many = "checkoutx ".repeat(800);
    assert_eq!(bounded_query(&many), "checkoutx ".repeat(MAX_QUERY_WORDS).trim_end());
    let long = "é".repeat(1000);
    assert_eq!(bounded_query(&long).chars().count(), MAX_QUERY_CHARS);
    assert_eq!(bounded_query(""), "");
}
