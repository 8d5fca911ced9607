use super::*;

fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, value.parse().unwrap());
    }
    map
}

#[test]
fn rate_limits_wait_for_retry_after_or_the_reset() {
    let limited = r#"{"message":"API rate limit exceeded"}"#;
    assert!(matches!(
        classify(403, &headers(&[("retry-after", "7")]), limited, 0),
        Verdict::Wait(d, _) if d == Duration::from_secs(7)
    ));
    let reset = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1010")]);
    assert!(matches!(classify(403, &reset, limited, 1000), Verdict::Wait(d, _) if d == Duration::from_secs(11)));
    assert!(matches!(classify(429, &reset, limited, 2000), Verdict::Wait(d, _) if d == Duration::from_secs(1)));
    let secondary = r#"{"message":"You have exceeded a secondary rate limit."}"#;
    assert!(matches!(
        classify(403, &headers(&[]), secondary, 0),
        Verdict::Secondary(_)
    ));
    assert!(matches!(
        classify(403, &headers(&[]), r#"{"message":"Resource protected by SAML"}"#, 0),
        Verdict::Fatal(_)
    ));
    let graphql_limited = r#"{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#;
    assert!(matches!(
        classify(200, &reset, graphql_limited, 1000),
        Verdict::Wait(..)
    ));
}

#[test]
fn server_errors_retry_and_client_errors_do_not() {
    assert!(matches!(
        classify(502, &headers(&[]), "<html>bad gateway</html>", 0),
        Verdict::Retry(_)
    ));
    assert!(
        matches!(classify(401, &headers(&[]), r#"{"message":"Bad credentials"}"#, 0), Verdict::Fatal(m) if m.contains("Bad credentials"))
    );
    let not_found = r#"{"data":{"organization":null},"errors":[{"type":"NOT_FOUND","message":"Could not resolve to an Organization"}]}"#;
    assert!(matches!(classify(200, &headers(&[]), not_found, 0), Verdict::Data(_)));
    let only_errors = r#"{"data":null,"errors":[{"type":"NOT_FOUND","message":"nope"}]}"#;
    assert!(matches!(
        classify(200, &headers(&[]), only_errors, 0),
        Verdict::Fatal(_)
    ));
    let timeout = r#"{"errors":[{"message":"Something went wrong while executing your query."}]}"#;
    assert!(matches!(classify(200, &headers(&[]), timeout, 0), Verdict::Retry(_)));
    assert!(matches!(classify(200, &headers(&[]), "not json", 0), Verdict::Retry(_)));
}

#[test]
fn a_repository_node_becomes_an_entry() {
    let node = json!({
        "nameWithOwner": "acme/payments",
        "pushedAt": "2026-11-30T10:00:00Z",
        "languages": { "edges": [ { "size": 1200, "node": { "name": "Rust" } } ] },
        "codeowners0": null,
        "codeowners1": { "text": "* @acme/platform\n/apps/ @acme/payments\n" },
        "readme": { "text": "# Payments\n\nTakes **card** payments.\n" },
        "workflows": { "entries": [
            { "name": "deploy.yml", "object": { "text": "jobs:\n  d:\n    steps:\n      - run: aws ecs update-service --cluster c --service payments-api\n" } },
            { "name": "notes.txt", "object": { "text": "aws ecs update-service --service nope" } }
        ] },
        "tree": { "entries": [
            { "name": "Cargo.toml", "type": "blob", "object": {} },
            { "name": "catalog-info.yaml", "type": "blob", "object": {} },
            { "name": "apps", "type": "tree", "object": { "entries": [
                { "name": "api", "type": "tree" }, { "name": "README.md", "type": "blob" }
            ] } }
        ] },
        "defaultBranchRef": { "target": {
            "committedDate": "2026-11-30T09:00:00Z",
            "history": { "nodes": [
                { "committedDate": "2026-11-30T09:00:00Z", "author": { "email": "Ada@Acme.com", "user": { "login": "ada" } } },
                { "committedDate": "2026-11-01T09:00:00Z", "author": { "email": "ada@acme.com", "user": null } },
                { "committedDate": "2026-01-01T09:00:00Z", "author": { "email": "old@acme.com", "user": null } }
            ] }
        } }
    });
    let repo = repo_of(&node, 90).unwrap();
    assert_eq!(repo.slug, "acme/payments");
    assert_eq!(repo.description.as_deref(), Some("Takes card payments."));
    assert_eq!(repo.languages["Rust"], 1200);
    assert!(repo.catalog_info);
    let codeowners = repo.codeowners.unwrap();
    assert_eq!(codeowners.file, "CODEOWNERS");
    assert_eq!(codeowners.shares["@acme/platform"], 0.5);
    assert_eq!(codeowners.shares["@acme/payments"], 0.5);
    assert_eq!(repo.authors.len(), 1);
    assert_eq!(repo.authors[0].email, "ada@acme.com");
    assert_eq!(repo.authors[0].login.as_deref(), Some("ada"));
    assert_eq!(repo.authors[0].commits, 2);
    assert_eq!(repo.deploy_targets.len(), 1);
    assert_eq!(repo.deploy_targets[0].name, "payments-api");
    assert_eq!(repo.last_commit.as_deref(), Some("2026-11-30T09:00:00Z"));
}

#[test]
fn the_fragment_follows_the_codeowners_locations() {
    let fragment = repo_fragment();
    for (i, location) in codeowners::LOCATIONS.iter().enumerate() {
        assert!(fragment.contains(&format!("codeowners{i}: object(expression: \"HEAD:{location}\")")));
    }
}
