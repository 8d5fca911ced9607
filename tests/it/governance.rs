//! Governance as code: custom rules and scorecards in CEL (the
//! `tests/fixtures/governance` catalog), the mass-removal guard of `check
//! --base`, source health and the change feed from git history.

use crate::harness::TestCatalog;

#[test]
fn custom_rules_report_where_the_entity_is_and_a_broken_expression_where_it_is_written() {
    let catalog = TestCatalog::fixture("governance");
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        catalog.cairn(&["--format", "json", "check"]).diagnostics(),
        [("rule-failed".to_string(), "catalog/services/query.yaml".to_string(), 4)]
    );
    let config = std::fs::read_to_string(catalog.path().join("cairn.yaml")).unwrap();
    catalog.write(
        "cairn.yaml",
        config
            .replace(
                "service.dependencies.all(d, d.lifecycle != \"experimental\")",
                "service.dependencies.all(d, d.lifecycle != \"experimental\"",
            )
            .replace(
                "require: has(metadata.description)",
                "require: has(metadata.descripton) && sevice.tier == \"tier1\"",
            ),
    );
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 1);
    insta::assert_snapshot!(run.stdout);
}

/// The fixture committed in a new git repository.
fn committed_fixture() -> (TestCatalog, git2::Repository) {
    let catalog = TestCatalog::fixture("governance");
    let repo = git2::Repository::init(catalog.path()).unwrap();
    commit(&repo, "the catalog", 1_700_000_000);
    (catalog, repo)
}

/// Commits every change of the work tree, by Ada at `time`.
fn commit(repo: &git2::Repository, message: &str, time: i64) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::new("Ada Lovelace", "ada@example.com", &git2::Time::new(time, 0)).unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
        .unwrap()
}

fn replace(catalog: &TestCatalog, file: &str, from: &str, to: &str) {
    let path = catalog.path().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` is not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn diff_says_which_services_move_up_or_down_a_level() {
    let (catalog, _repo) = committed_fixture();
    // ledger links a runbook: bronze → gold; indexer loses its
    // description: bronze → no level.
    replace(
        &catalog,
        "catalog/services/ledger.yaml",
        "spec:\n",
        "  links:\n    - url: https://runbooks.example.com/ledger\n      title: Runbook\n      type: runbook\nspec:\n",
    );
    replace(
        &catalog,
        "catalog/services/indexer.yaml",
        "  description: Indexes the shop.\n",
        "",
    );
    let markdown = catalog.cairn(&["--format", "markdown", "diff", "HEAD"]);
    assert_eq!(markdown.status, 0, "{}", markdown.stderr);
    insta::assert_snapshot!(markdown.stdout);
    let human = catalog.cairn(&["diff", "HEAD"]);
    assert!(
        human
            .stdout
            .contains("up component:default/ledger on production-readiness: bronze → gold"),
        "{}",
        human.stdout
    );
    let json = catalog.cairn(&["--format", "json", "diff", "HEAD"]).json();
    assert_eq!(
        json["levels"][0],
        serde_json::json!({ "ref": "component:default/indexer", "scorecard": "production-readiness", "from": "bronze", "to": null, "up": false })
    );
}

fn service(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
    )
}

fn team(name: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n")
}

#[test]
fn removing_a_whole_directory_fails_check_base_unless_allowed() {
    let catalog = TestCatalog::empty();
    let repo = git2::Repository::init(catalog.path()).unwrap();
    catalog.write(
        "catalog/teams.yaml",
        format!("{}---\n{}", team("payments"), team("search")),
    );
    for i in 0..12 {
        catalog.write(
            &format!("catalog/payments/pay-{i:02}.yaml"),
            service(&format!("pay-{i:02}"), "payments"),
        );
        catalog.write(
            &format!("catalog/search/search-{i:02}.yaml"),
            service(&format!("search-{i:02}"), "payments"),
        );
    }
    commit(&repo, "the catalog", 1_700_000_000);
    std::fs::remove_dir_all(catalog.path().join("catalog/search")).unwrap();

    let run = catalog.cairn(&["--base", "HEAD", "check"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    insta::assert_snapshot!(run.stdout);
    assert_eq!(
        catalog.cairn(&["check"]).status,
        0,
        "without --base there is nothing to compare"
    );
    let allowed = catalog.cairn(&["--base", "HEAD", "check", "--allow-mass-removal"]);
    assert_eq!(allowed.status, 0, "{}", allowed.stdout);
    catalog.write("cairn.yaml", "guards: { max_removed_percent: 60 }\n");
    assert_eq!(catalog.cairn(&["--base", "HEAD", "check"]).status, 0);
    catalog.write("cairn.yaml", "guards: { max_removed_percent: 40 }\n");
    // 12 of 26 entities is 46%.
    let run = catalog.cairn(&["--format", "json", "--base", "HEAD", "check"]);
    assert_eq!(run.codes(), ["mass-removal"]);
    // A few removals are never a mass removal, however small the catalog.
    commit(&repo, "search moved out", 1_700_000_100);
    for i in 0..4 {
        std::fs::remove_file(catalog.path().join(format!("catalog/payments/pay-{i:02}.yaml"))).unwrap();
    }
    catalog.write("cairn.yaml", "guards: { max_removed_percent: 10 }\n");
    let run = catalog.cairn(&["--format", "json", "--base", "HEAD", "check"]);
    assert_eq!(run.codes(), Vec::<String>::new(), "4 of 14 is below the minimum of 5");
}

#[test]
fn a_git_source_that_cannot_be_fetched_is_its_failure_not_a_removal() {
    let source = TestCatalog::empty();
    let source_repo = git2::Repository::init(source.path()).unwrap();
    for i in 0..10 {
        source.write(
            &format!("services/remote-{i}.yaml"),
            service(&format!("remote-{i}"), "payments"),
        );
    }
    commit(&source_repo, "remote services", 1_700_000_000);

    let catalog = TestCatalog::empty();
    let repo = git2::Repository::init(catalog.path()).unwrap();
    let url = format!("file://{}", source.path().display());
    catalog.write(
        "cairn.yaml",
        format!("sources:\n  - path: catalog/\n  - git: {url}\n    branch: master\n    path: services/\n"),
    );
    catalog.write(".gitignore", ".cairn/\n");
    catalog.write("catalog/teams.yaml", team("payments"));
    catalog.write("catalog/local.yaml", service("local", "payments"));
    commit(&repo, "the catalog", 1_700_000_000);
    let run = catalog.cairn(&["--format", "json", "--base", "HEAD", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["entities"], 12);

    // The source is gone, and so is the cache of it.
    drop(source_repo);
    drop(source);
    std::fs::remove_dir_all(catalog.path().join(".cairn")).unwrap();
    let run = catalog.cairn(&["--format", "json", "--base", "HEAD", "check"]);
    assert_eq!(run.codes(), ["source-unreachable"], "{}", run.stdout);
}

#[test]
fn status_json_the_dashboard_and_facts_stale_say_how_fresh_the_sources_are() {
    let source = TestCatalog::empty();
    let source_repo = git2::Repository::init(source.path()).unwrap();
    source.write("services/remote.yaml", service("remote", "payments"));
    let source_commit = commit(&source_repo, "a remote service", 1_700_000_000);

    let catalog = TestCatalog::empty();
    let repo = git2::Repository::init(catalog.path()).unwrap();
    let url = format!("file://{}", source.path().display());
    catalog.write(
        "cairn.yaml",
        format!("sources:\n  - path: catalog/\n  - git: {url}\n    branch: master\n    path: services/\ndiscovery:\n  max_age_days: 30\n"),
    );
    catalog.write(".gitignore", ".cairn/\ndist/\n");
    catalog.write("catalog/teams.yaml", team("payments"));
    catalog.write(
        "discovered/git.json",
        "{ \"format\": \"cairn.dev/facts/v1\", \"source\": \"git\" }\n",
    );
    catalog.write(
        "discovered/git.scan.json",
        "{ \"source\": \"git\", \"scanned_at\": \"2023-11-01T00:00:00Z\" }\n",
    );
    // Committed 13 days after the scan.
    commit(&repo, "the catalog", 1_699_920_000);

    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(
        run.codes(),
        ["facts-stale"],
        "scanned long before today: {}",
        run.stdout
    );
    assert!(
        run.json()["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than discovery.max_age_days (30)"),
        "{}",
        run.stdout
    );
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("dist/api/v1/status.json")).unwrap()).unwrap();
    assert_eq!(
        status["health"],
        serde_json::json!({
            "git_sources": [{
                "url": url, "ref": "master", "path": "services/", "commit": source_commit.to_string(),
                "committed_at": "2023-11-14T22:13:20Z", "stale": false, "reason": null, "last_fetched_at": null,
            }],
            "snapshots": [{
                "file": "discovered/git.json", "source": "git", "scanned_at": "2023-11-01T00:00:00Z",
                "partial": false, "errors": [], "age_days": 13, "max_age_days": 30,
            }],
        })
    );
    let dashboard = std::fs::read_to_string(catalog.path().join("dist/dashboard/index.html")).unwrap();
    assert!(dashboard.contains("fetched by this build"), "{dashboard}");

    // The remote is gone: the cached commit is read, and says so.
    drop(source_repo);
    drop(source);
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("dist/api/v1/status.json")).unwrap()).unwrap();
    let git = &status["health"]["git_sources"][0];
    assert_eq!(git["stale"], true, "{git}");
    assert_eq!(git["commit"], source_commit.to_string());
    assert!(git["reason"].as_str().is_some_and(|r| !r.is_empty()), "{git}");
    assert!(git["last_fetched_at"].as_str().is_some(), "{git}");
    let dashboard = std::fs::read_to_string(catalog.path().join("dist/dashboard/index.html")).unwrap();
    assert!(
        dashboard.contains("<span class=\"badge warn\">stale</span>"),
        "{dashboard}"
    );
}

#[test]
fn the_change_feed_lists_what_each_commit_changed_and_follows_head_incrementally() {
    use crate::build_cache::build_and_compare;
    let (catalog, repo) = committed_fixture();
    catalog.write(".gitignore", ".cairn/\ndist/\n");
    commit(&repo, "ignore the build", 1_700_000_050);
    assert!(!build_and_compare(&catalog, "first build"));
    replace(
        &catalog,
        "catalog/services/ledger.yaml",
        "Keeps the books.",
        "Keeps the books & <the> ledgers.",
    );
    assert!(build_and_compare(&catalog, "an edit"));
    // Committing changes no file, but the ledger's page lists the commit.
    let described = commit(&repo, "ledger: say <what> it keeps", 1_700_000_100);
    assert!(build_and_compare(&catalog, "the edit committed"));
    let page = std::fs::read_to_string(catalog.path().join("dist/component/default/ledger/index.html")).unwrap();
    let short = &described.to_string()[..7];
    assert!(
        page.contains(&format!("<code>{short}</code></a> ledger: say &lt;what&gt; it keeps")),
        "{page}"
    );
    assert!(
        page.contains(&format!("https://github.com/acme/governed/commit/{described}")),
        "linked through site.edit_url's repository"
    );

    std::fs::remove_file(catalog.path().join("catalog/services/indexer.yaml")).unwrap();
    replace(
        &catalog,
        "catalog/services/query.yaml",
        "  dependsOn:\n    - component:indexer\n",
        "",
    );
    let removed = commit(&repo, "retire the indexer", 1_700_000_200);
    assert!(build_and_compare(&catalog, "a removal committed"));

    let changes: serde_json::Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("dist/api/v1/changes.json")).unwrap()).unwrap();
    let data = changes["data"].as_array().unwrap();
    assert_eq!(
        data.len(),
        3,
        "the commit that changed no entity is not listed: {changes}"
    );
    assert_eq!(
        data[0],
        serde_json::json!({
            "commit": removed.to_string(), "url": format!("https://github.com/acme/governed/commit/{removed}"),
            "author": "Ada Lovelace", "time": "2023-11-14T22:16:40Z", "summary": "retire the indexer",
            "added": [], "changed": [{ "ref": "component:default/query", "fields": ["/spec/dependsOn"] }],
            "removed": ["component:default/indexer"],
        })
    );
    assert_eq!(
        data[1]["changed"][0]["fields"],
        serde_json::json!(["/metadata/description"])
    );
    assert_eq!(
        data[2]["added"].as_array().unwrap().len(),
        6,
        "the first commit adds everything"
    );
    let feed = std::fs::read_to_string(catalog.path().join("dist/feed.xml")).unwrap();
    // Commit ids depend on every byte of the fixture's tree: shown as `[commit]`.
    let commit_id = regex::Regex::new("[0-9a-f]{40}").unwrap();
    let head_of_feed = feed.lines().take(22).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!(commit_id.replace_all(&head_of_feed, "[commit]"));
    let parsed = atom_syndication::Feed::read_from(feed.as_bytes()).expect("an Atom feed");
    let entries = parsed.entries();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1].title().as_str(), "ledger: say <what> it keeps");
    assert_eq!(
        entries[1].content().and_then(|c| c.value()),
        Some("changed component:default/ledger: /metadata/description\n")
    );
    assert_eq!(
        entries[1].links()[0].href(),
        format!("https://github.com/acme/governed/commit/{described}")
    );

    // The history is cached by commit: a build at the same HEAD does not
    // write it again.
    let cache = std::fs::read_dir(catalog.path().join(".cairn/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("changes-"))
        .expect("a change cache");
    let written = std::fs::metadata(&cache).unwrap().modified().unwrap();
    assert!(build_and_compare(&catalog, "nothing new"));
    assert_eq!(std::fs::metadata(&cache).unwrap().modified().unwrap(), written);
    let cached: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    assert_eq!(
        cached["commits"].as_object().unwrap().len(),
        4,
        "every commit, listed or not"
    );

    // `feed.commits` keeps the newest.
    let config = std::fs::read_to_string(catalog.path().join("cairn.yaml")).unwrap();
    catalog.write("cairn.yaml", format!("{config}feed: {{ commits: 1 }}\n"));
    build_and_compare(&catalog, "one commit in the feed");
    let changes: serde_json::Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("dist/api/v1/changes.json")).unwrap()).unwrap();
    assert_eq!(changes["data"].as_array().unwrap().len(), 1);
    assert_eq!(changes["data"][0]["summary"], "retire the indexer");
}

/// The commits `changes.json` of a build of `root` lists.
fn listed(root: &std::path::Path) -> Vec<String> {
    let run = crate::harness::cairn_in(root, &["--root", root.to_str().unwrap(), "build"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let changes: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("dist/api/v1/changes.json")).unwrap()).unwrap();
    changes["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_shallow_clone_s_oldest_commit_is_not_a_commit_that_added_everything() {
    let (origin, repo) = committed_fixture();
    replace(
        &origin,
        "catalog/services/ledger.yaml",
        "Keeps the books.",
        "Keeps every book.",
    );
    commit(&repo, "ledger: every book", 1_700_000_100);
    replace(&origin, "catalog/services/query.yaml", "PQRY", "PQRZ");
    commit(&repo, "query: a new pager", 1_700_000_200);
    // As actions/checkout clones by default (libgit2's local transport
    // cannot make shallow clones; git's can).
    let clones = TestCatalog::empty();
    let root = clones.path().join("c");
    let url = format!("file://{}", origin.path().display());
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git").args(args).status().unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["clone", "-q", "--depth", "2", &url, root.to_str().unwrap()]);
    assert!(git2::Repository::open(&root).unwrap().is_shallow());
    assert_eq!(
        listed(&root),
        ["query: a new pager"],
        "the boundary commit's parent is not here: what it changed is unknown"
    );
    // The boundary was not cached as "changed nothing": the whole history
    // lists it.
    git(&["-C", root.to_str().unwrap(), "fetch", "-q", "--unshallow"]);
    assert_eq!(
        listed(&root),
        ["query: a new pager", "ledger: every book", "the catalog"]
    );
}

#[test]
fn openapi_describes_the_scorecard_export_and_change_files_both_ways() {
    let (catalog, _repo) = committed_fixture();
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let dist = catalog.path().join("dist");
    let openapi: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("api/v1/openapi.json")).unwrap()).unwrap();
    let templates: Vec<(String, regex::Regex)> = openapi["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|path| {
            let pattern = regex::escape(path.trim_start_matches('/'))
                .replace(r"\{", "{")
                .replace(r"\}", "}");
            let pattern = regex::Regex::new(r"\{[a-z]+\}").unwrap().replace_all(&pattern, "[^/]+");
            (path.clone(), regex::Regex::new(&format!("^{pattern}$")).unwrap())
        })
        .collect();
    let files: Vec<String> = walkdir::WalkDir::new(dist.join("api/v1"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(&dist).unwrap().to_string_lossy().into_owned())
        .collect();
    for file in &files {
        assert!(
            templates.iter().any(|(_, t)| t.is_match(file)),
            "{file} is not described"
        );
    }
    for path in [
        "/api/v1/scorecards/{name}.json",
        "/api/v1/exports/services.csv",
        "/api/v1/changes.json",
    ] {
        let (_, template) = templates.iter().find(|(p, _)| p == path).expect(path);
        assert!(files.iter().any(|f| template.is_match(f)), "{path} matches no file");
    }
    assert_eq!(
        openapi["paths"]["/api/v1/exports/services.csv"]["get"]["responses"]["200"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["text/csv"]
    );
    let service: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("api/v1/services/default/ledger.json")).unwrap()).unwrap();
    assert_eq!(
        service["scorecards"],
        serde_json::json!([{
            "scorecard": "production-readiness", "level": "bronze", "url": "api/v1/scorecards/production-readiness.json",
            "failing": [{ "level": "silver", "rule": "has-runbook", "message": "links a runbook", "error": null }],
        }])
    );
}

#[test]
fn the_config_schema_accepts_the_governance_keys_of_the_demo_and_the_fixture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("schemas/cairn-config.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let as_json = |file: &str| {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let parsed = cairn::parse::parse_yaml(file, &text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed.documents[0].root.to_json()
    };
    for file in [
        "catalog-repo-template/cairn.yaml",
        "tests/fixtures/governance/cairn.yaml",
    ] {
        let config = as_json(file);
        assert!(config.get("scorecards").is_some(), "{file} has a scorecard");
        let errors: Vec<String> = validator.iter_errors(&config).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
    let mut wrong = as_json("tests/fixtures/governance/cairn.yaml");
    wrong["scorecards"][0]["levels"][0]["rules"][0] = serde_json::json!({ "id": "Not An Id", "require": "true" });
    wrong["feed"] = serde_json::json!({ "commits": 0 });
    assert_eq!(validator.iter_errors(&wrong).count(), 2);
}

#[test]
fn the_services_export_reads_back_as_csv_with_levels_and_no_formulas() {
    let catalog = TestCatalog::fixture("governance");
    replace(
        &catalog,
        "catalog/services/ledger.yaml",
        "    pagerduty.com/service-id: PLDG\n",
        "    pagerduty.com/service-id: PLDG\n    slack.com/channel: \"=HYPERLINK(\\\"https://evil.example\\\", \\\"books, ledgers\\\")\"\n",
    );
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let dist = catalog.path().join("dist");
    let bytes = std::fs::read(dist.join("api/v1/exports/services.csv")).unwrap();
    assert!(bytes.ends_with(b"\r\n"), "CRLF records");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "name",
            "namespace",
            "owner",
            "owner_confidence",
            "tier",
            "lifecycle",
            "on_call",
            "slack",
            "repo",
            "scorecard:production-readiness",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let ledger = rows.iter().find(|r| &r[0] == "ledger").expect("a ledger row");
    assert_eq!(&ledger[2], "group:default/payments");
    assert_eq!(&ledger[7], "'=HYPERLINK(\"https://evil.example\", \"books, ledgers\")");
    assert_eq!(&ledger[9], "bronze");
    assert_eq!(rows.len(), 4, "one row per service");
    let dashboard = std::fs::read_to_string(dist.join("dashboard/index.html")).unwrap();
    assert!(
        dashboard.contains("api/v1/exports/services.csv\" download>Export every service as CSV"),
        "the dashboard links the export"
    );
}

#[test]
fn the_scorecard_page_is_a_team_by_level_matrix_and_the_api_lists_every_level() {
    let catalog = TestCatalog::fixture("governance");
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let dist = catalog.path().join("dist");
    let api: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("api/v1/scorecards/production-readiness.json")).unwrap())
            .unwrap();
    assert_eq!(
        api["summary"],
        serde_json::json!({ "none": 1, "bronze": 2, "silver": 0, "gold": 1 })
    );
    let levels: Vec<(&str, Option<&str>)> = api["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["level"].as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            ("checkout", Some("gold")),
            ("indexer", Some("bronze")),
            ("ledger", Some("bronze")),
            ("query", None)
        ]
    );
    let page = std::fs::read_to_string(dist.join("scorecards/production-readiness/index.html")).unwrap();
    let header = regex::Regex::new(r#"<th scope="col">([^<]+)</th>"#).unwrap();
    let matrix = &page[page.find(r#"<table class="list matrix">"#).expect("a matrix")..];
    let matrix = &matrix[..matrix.find("</table>").unwrap()];
    assert_eq!(
        header
            .captures_iter(matrix)
            .map(|c| c[1].to_string())
            .collect::<Vec<_>>(),
        ["Team", "none", "bronze", "silver", "gold", "Services"]
    );
    let row = regex::Regex::new(r#"<tr><th scope="row"><a [^>]+>([^<]+)</a></th>((?:<td>\d*</td>)+)</tr>"#).unwrap();
    let cell = regex::Regex::new(r"<td>(\d*)</td>").unwrap();
    let rows: Vec<(String, Vec<String>)> = row
        .captures_iter(matrix)
        .map(|c| {
            let cells = cell.captures_iter(&c[2]).map(|d| d[1].to_string()).collect();
            (c[1].to_string(), cells)
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "payments".to_string(),
                vec!["", "1", "", "1", "2"].into_iter().map(String::from).collect()
            ),
            (
                "search".to_string(),
                vec!["1", "1", "", "", "2"].into_iter().map(String::from).collect()
            ),
        ]
    );
    assert!(
        page.contains("silver: <code>has-runbook</code> <span class=\"muted\">— 3 of 4</span>"),
        "the failing checks: {page}"
    );
    assert!(
        page.contains("<p class=\"muted\">the service depends on an experimental service</p>"),
        "a check's message names no service: {page}"
    );
    assert!(!page.contains("{name}") && !page.contains("{ref}"));
    assert_eq!(
        api["scorecard"]["levels"][0]["rules"][0],
        serde_json::json!({ "rule": "described", "message": "the service does not satisfy `has(metadata.description)`" })
    );
    let team = std::fs::read_to_string(dist.join("group/default/search/index.html")).unwrap();
    for (service, level) in [("indexer", "bronze"), ("query", "—")] {
        assert!(
            team.contains(&format!("{service}</a></td><td>{level}</td>")),
            "the team page shows {service}'s level: {team}"
        );
    }
}
