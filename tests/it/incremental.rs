//! Incremental rebuilds, as `cairn serve` makes them: after each edit of
//! the demo catalog, the compile that re-reads only the changed files
//! equals a compile from scratch, and the previous output with only the
//! re-rendered files
//! written and the departed ones removed must equal a full build of the
//! edited catalog, byte for byte (but the search shards, which are made
//! whole) — and a local edit must not re-render most pages and API files.

use cairn::emit::{render, rerender};
use cairn::output::Files;
use cairn::pipeline::{compile, compile_cached, patch, Cache, Compilation};

use crate::harness::TestCatalog;

/// The catalog compiled with `cache` — patching `previous` when the edit
/// allows, as `cairn serve` does —, which must give what a compile from
/// scratch gives; and whether it was patched.
fn compiled(
    catalog: &TestCatalog,
    cache: &mut Cache,
    previous: Option<&Compilation>,
    step: &str,
) -> (Compilation, bool) {
    let patched = previous.and_then(|previous| patch(catalog.path(), None, previous, cache));
    let was_patched = patched.is_some();
    let compilation = match patched {
        Some(compilation) => compilation,
        None => compile_cached(catalog.path(), None, None, cache).unwrap(),
    };
    let fresh = compile(catalog.path(), None, None).unwrap();
    assert_eq!(
        format!("{:?}", compilation.diagnostics),
        format!("{:?}", fresh.diagnostics),
        "{step}: the cached compile reports differently"
    );
    let (cached, scratch) = (&compilation.catalog, &fresh.catalog);
    assert_eq!(cached.entities.len(), scratch.entities.len(), "{step}: entity count");
    for (i, (a, b)) in cached.entities.iter().zip(&scratch.entities).enumerate() {
        assert!(
            a == b,
            "{step}: the cached compile made entity {i} differently: {}",
            a.metadata.name
        );
        assert_eq!(
            cached.relations[i], scratch.relations[i],
            "{step}: relations of {}",
            a.metadata.name
        );
    }
    assert!(
        cached.services == scratch.services,
        "{step}: the cached compile made other services"
    );
    assert!(
        cached.aliases == scratch.aliases,
        "{step}: the cached compile made other aliases"
    );
    let errors: Vec<String> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.severity.as_str() == "error")
        .map(|d| format!("{}:{} {}", d.location.file, d.location.line, d.message))
        .collect();
    assert!(errors.is_empty(), "{step}: the edited catalog has errors: {errors:#?}");
    (compilation, was_patched)
}

/// Every YAML file under `dir` (not `.git`), by path relative to it.
fn yaml_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn visit(root: &std::path::Path, dir: &std::path::Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.ends_with(".git") {
                visit(root, &path, out);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    visit(dir, dir, &mut out);
    out
}

/// Replaces `from` (which must be there) with `to` in `file`.
fn replace(catalog: &TestCatalog, file: &str, from: &str, to: &str) {
    let path = catalog.path().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` is not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The output but the search shards, which `cairn serve` makes whole
/// (`emit::search_shards`, as `render` does) after each rebuild.
fn without_search(mut files: Files) -> Files {
    files.retain(|path, _| !path.starts_with("search/"));
    files
}

fn differences(incremental: &Files, full: &Files) -> Vec<String> {
    let mut out: Vec<String> = full
        .iter()
        .filter(|(path, bytes)| incremental.get(*path) != Some(*bytes))
        .map(|(path, _)| format!("stale or missing: {path}"))
        .collect();
    out.extend(
        incremental
            .keys()
            .filter(|path| !full.contains_key(*path))
            .map(|path| format!("left behind: {path}")),
    );
    out
}

pub(crate) type Edit = (&'static str, bool, fn(&TestCatalog));

/// (what, whether it is local — re-renders a small part —, the edit).
pub(crate) const EDITS: &[Edit] = &[
    ("a service's description", true, |c| {
        replace(
            c,
            "catalog/services/cart-service.yaml",
            "Stores shopping carts",
            "Keeps shopping carts",
        )
    }),
    ("a service's alias", true, |c| {
        replace(
            c,
            "catalog/services/cart-service.yaml",
            "cairn.dev/tier: tier2",
            "cairn.dev/tier: tier2\n    datadoghq.com/service-name: carts",
        )
    }),
    ("a dependency's title", true, |c| {
        replace(
            c,
            "catalog/services/pricing-service.yaml",
            "  name: pricing-service\n",
            "  name: pricing-service\n  title: Pricing Engine\n",
        )
    }),
    ("a team's profile", true, |c| {
        replace(
            c,
            "catalog/teams/checkout.yaml",
            "Checkout & Payments",
            "Checkout and Payments",
        )
    }),
    // Services without a channel of their own show their team's.
    ("a team's Slack channel", true, |c| {
        replace(c, "catalog/teams/checkout.yaml", "\"#team-checkout\"", "\"#checkout\"")
    }),
    ("the top team's title, in every escalation chain", false, |c| {
        replace(
            c,
            "catalog/teams/acme.yaml",
            "title: Acme Shop Engineering",
            "title: Acme Engineering",
        )
    }),
    ("a dependency removed", true, |c| {
        replace(
            c,
            "catalog/services/cart-service.yaml",
            "    - component:inventory-service\n",
            "",
        )
    }),
    // New edges change the transitive dependency lists along both closures,
    // which in the small, dense demo reach half the services.
    ("a dependency added", false, |c| {
        replace(
            c,
            "catalog/services/cart-service.yaml",
            "    - component:pricing-service\n",
            "    - component:pricing-service\n    - component:inventory-service\n    - component:search-service\n",
        )
    }),
    ("an owner changed", true, |c| {
        replace(
            c,
            "catalog/services/cart-service.yaml",
            "owner: checkout",
            "owner: platform",
        )
    }),
    ("a system changed", true, |c| {
        replace(
            c,
            "catalog/services/cart-service.yaml",
            "system: order-management",
            "system: online-store",
        )
    }),
    // Every service of the domain's systems shows the domain.
    ("a domain's title", false, |c| {
        replace(
            c,
            "catalog/domains/commerce.yaml",
            "title: Commerce",
            "title: Commerce & Trade",
        )
    }),
    // The reference page, the API file and search show the operations.
    ("an API's definition", true, |c| {
        replace(
            c,
            "catalog/apis/payments-api.yaml",
            "      rpc Refund(RefundRequest) returns (Payment);\n",
            "",
        )
    }),
    ("an API's definition made unreadable", true, |c| {
        replace(
            c,
            "catalog/apis/orders-api.yaml",
            "    openapi: 3.0.3\n",
            "    openapi: 3.0.3\n    paths: [\n",
        )
    }),
    ("an API's title", true, |c| {
        replace(
            c,
            "catalog/apis/inventory-api.yaml",
            "title: Inventory gRPC API",
            "title: Inventory API",
        )
    }),
    // Its level on the demo's scorecard: its page, API file and team page.
    ("a runbook added, a level up", true, |c| {
        replace(
            c,
            "catalog/services/search-indexer.yaml",
            "  tags: [go, opensearch]\n",
            "  tags: [go, opensearch]\n  links:\n    - url: https://example.com/runbook\n      title: Runbook\n      type: runbook\n",
        )
    }),
    // A rule reads the lifecycles of what a service depends on: the
    // services that depend on it move down a level.
    ("a dependency gone experimental", true, |c| {
        replace(
            c,
            "catalog/services/pricing-service.yaml",
            "lifecycle: production",
            "lifecycle: experimental",
        )
    }),
    ("a service added", true, |c| {
        c.write(
            "catalog/services/basket-audit.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: basket-audit\n  description: Audits baskets.\nspec:\n  type: service\n  lifecycle: experimental\n  owner: checkout\n  system: order-management\n  dependsOn:\n    - component:cart-service\n",
        );
    }),
    ("a service renamed", true, |c| {
        replace(
            c,
            "catalog/services/basket-audit.yaml",
            "name: basket-audit",
            "name: basket-auditor",
        )
    }),
    ("a service deleted", true, |c| {
        std::fs::remove_file(c.path().join("catalog/services/basket-audit.yaml")).unwrap()
    }),
    ("a definition version's description", true, |c| {
        replace(
            c,
            "resource-definitions/aws-sqs-queue/1.0.0.yaml",
            "with a dead-letter queue",
            "with its dead-letter queue",
        )
    }),
    ("a definition version deleted", true, |c| {
        std::fs::remove_file(c.path().join("resource-definitions/aws-sqs-queue/0.1.0.yaml")).unwrap()
    }),
    // Its page, API file and rendered files; its definition's pages list
    // it; its team's page shows it.
    ("a claim's input", true, |c| {
        replace(
            c,
            "catalog/claims/order-history-db.yaml",
            "allocated_storage: 200",
            "allocated_storage: 300",
        )
    }),
    ("a claim pinned to another version", true, |c| {
        replace(
            c,
            "catalog/claims/reporting-db.yaml",
            "version: \"^1.1\"",
            "version: \"1.1.0\"",
        )
    }),
    // What its claims resolve to changes: their pages and rendered files.
    ("a definition version its claims move to", true, |c| {
        let text = std::fs::read_to_string(c.path().join("resource-definitions/aws-rds-postgres/2.0.0.yaml")).unwrap();
        c.write(
            "resource-definitions/aws-rds-postgres/2.1.0.yaml",
            text.replace("version: \"2.0.0\"", "version: \"2.1.0\"")
                .replace("AWS RDS PostgreSQL database instance", "AWS RDS PostgreSQL instance"),
        );
    }),
    ("a new major without an engine", true, |c| {
        let text = std::fs::read_to_string(c.path().join("resource-definitions/aws-rds-postgres/2.0.0.yaml")).unwrap();
        c.write(
            "resource-definitions/aws-rds-postgres/3.0.0.yaml",
            text.replace("version: \"2.0.0\"", "version: \"3.0.0\"")
                .replace("    - crossplane\n", "")
                .replace("    crossplane:\n      composition_ref: \"aws-rds-postgres-composition\"\n      version: \"v1.4.0\"\n\n", ""),
        );
    }),
    // Its Crossplane claim is gone.
    ("a claim moved to that major", true, |c| {
        replace(
            c,
            "catalog/claims/order-history-db.yaml",
            "version: \"^2\"",
            "version: \"^3\"",
        )
    }),
    ("a discovered fact changed", true, |c| {
        replace(c, "discovered/git.json", "\"commits\": 23", "\"commits\": 3")
    }),
];

/// The edit of a discovered fact (the demo without facts skips it).
const FACTS_EDIT: &str = "a discovered fact changed";

/// Edits that change neither names nor refs: without discovered facts to
/// reconcile, each is a patch of the previous compilation.
const PATCHES: &[&str] = &[
    "a service's description",
    "a service's alias",
    "a dependency's title",
    "a team's profile",
    "a team's Slack channel",
    "the top team's title, in every escalation chain",
    "a domain's title",
    "an API's definition",
    "an API's definition made unreadable",
    "an API's title",
    "a runbook added, a level up",
    "a dependency gone experimental",
    "a claim's input",
    "a claim pinned to another version",
    "a claim moved to that major",
];

#[test]
fn every_edit_rerenders_exactly_what_a_full_build_changes() {
    let catalog = TestCatalog::demo();
    let patched = edit_and_compare(&catalog, true);
    assert!(patched.is_empty(), "patched with facts to reconcile: {patched:?}");
}

#[test]
fn without_facts_edits_that_keep_names_and_refs_patch_the_previous_compilation() {
    let catalog = TestCatalog::demo();
    std::fs::remove_dir_all(catalog.path().join("discovered")).unwrap();
    let patched = edit_and_compare(&catalog, false);
    assert_eq!(patched, PATCHES);
}

/// Makes every edit of [`EDITS`] in turn (but the facts edit, without
/// `facts`) and checks each compile and re-render against a build from
/// scratch. Returns the edits that were patches.
fn edit_and_compare(catalog: &TestCatalog, facts: bool) -> Vec<&'static str> {
    let mut cache = Cache::default();
    let (mut old, _) = compiled(catalog, &mut cache, None, "the demo");
    let mut output = without_search(render(&old).unwrap());
    let mut patches = Vec::new();
    for (step, local, edit) in EDITS.iter().filter(|(step, ..)| facts || *step != FACTS_EDIT) {
        let before = yaml_files(catalog.path());
        edit(catalog);
        let after = yaml_files(catalog.path());
        // What a file watcher would say: when only existing files changed,
        // the compile may skip the walk and the stamps.
        if before.keys().eq(after.keys()) {
            let changed = after.iter().filter(|(path, text)| before[*path] != **text);
            cache.expect_only(changed.map(|(path, _)| path.clone()).collect());
        }
        let (new, patched) = compiled(catalog, &mut cache, Some(&old), step);
        if patched {
            patches.push(*step);
        }
        let changed = rerender(&old, &new).unwrap();
        let rendered = changed.files.len();
        for path in &changed.removed {
            assert!(
                output.remove(path).is_some(),
                "{step}: removed `{path}`, which was not there"
            );
        }
        output.extend(changed.files);
        let full = without_search(render(&new).unwrap());
        let wrong = differences(&output, &full);
        assert!(wrong.is_empty(), "after {step}: {wrong:#?}");
        if *local {
            assert!(
                rendered * 2 < full.len(),
                "{step}: {rendered} of {} files rendered again",
                full.len()
            );
        }
        old = new;
    }
    patches
}

/// A patch reports what a compile reports: an edit that breaks a file
/// without renaming anything or changing a ref is patched and shows the
/// same diagnostics, at their new positions (a ref's too); one that
/// changes a ref or breaks the YAML declines and the compile reports it.
#[test]
fn a_patched_compilation_reports_what_a_compile_reports() {
    let catalog = TestCatalog::demo();
    std::fs::remove_dir_all(catalog.path().join("discovered")).unwrap();
    let mut cache = Cache::default();
    let file = "catalog/services/cart-service.yaml";
    let mut previous = compile_cached(catalog.path(), None, None, &mut cache).unwrap();
    // (what, from, to, whether it is patched, whether the file has problems)
    let steps = [
        (
            "an invalid tier",
            "cairn.dev/tier: tier2",
            "cairn.dev/tier: tier9",
            true,
            true,
        ),
        (
            "a dependency on nothing",
            "    - component:pricing-service\n",
            "    - component:pricing-service\n    - component:nowhere-service\n",
            false,
            true,
        ),
        (
            "a comment above them: every line moves down",
            "  title: Cart Service\n",
            "  title: Cart Service\n  # a comment\n",
            true,
            true,
        ),
        (
            "broken YAML",
            "  lifecycle: production\n",
            "  lifecycle: [production\n",
            false,
            true,
        ),
        (
            "the YAML fixed",
            "  lifecycle: [production\n",
            "  lifecycle: production\n",
            false,
            true,
        ),
        (
            "the dependency removed",
            "    - component:nowhere-service\n",
            "",
            false,
            true,
        ),
        (
            "the tier fixed",
            "cairn.dev/tier: tier9",
            "cairn.dev/tier: tier2",
            true,
            false,
        ),
    ];
    for (step, from, to, patchable, problems) in steps {
        replace(&catalog, file, from, to);
        cache.expect_only([file.to_string()].into());
        let patched = patch(catalog.path(), None, &previous, &mut cache);
        assert_eq!(patched.is_some(), patchable, "{step}: patched?");
        let compilation = match patched {
            Some(compilation) => compilation,
            None => compile_cached(catalog.path(), None, None, &mut cache).unwrap(),
        };
        let scratch = compile(catalog.path(), None, None).unwrap();
        assert_eq!(
            format!("{:?}", compilation.diagnostics),
            format!("{:?}", scratch.diagnostics),
            "{step}: reported differently"
        );
        let in_file = compilation.diagnostics.iter().any(|d| d.location.file == file);
        assert_eq!(in_file, problems, "{step}: {:#?}", compilation.diagnostics);
        previous = compilation;
    }
}

/// `count` services with four aliases each; the first `extra` have a
/// fifth.
fn aliased_services(count: usize, extra: usize) -> String {
    let mut text = String::new();
    for n in 0..count {
        let more = if n < extra {
            format!(", extra-{n}")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: s{n}, annotations: {{ datadoghq.com/service-name: d{n}, backstage.io/kubernetes-id: k{n}, sentry.io/project-slug: acme/s{n}, cairn.dev/aliases: 'p{n}{more}' }} }}\nspec: {{ type: service, lifecycle: production, owner: payments }}\n"
        ));
    }
    text
}

/// The alias table's 256 shards appear when it grows past the threshold
/// and go when it shrinks below it, whatever else the edit did.
#[test]
fn alias_shards_come_and_go_with_the_threshold() {
    let catalog = TestCatalog::empty();
    catalog
        .write("team.yaml", crate::harness::TEAM)
        .write("services.yaml", aliased_services(500, 0));
    let mut cache = Cache::default();
    let (mut old, _) = compiled(&catalog, &mut cache, None, "2,000 aliases");
    let mut output = without_search(render(&old).unwrap());
    assert!(!output.contains_key("api/v1/lookup/aliases/00.json"));
    for (step, extra, sharded) in [("past the threshold", 30, true), ("below it again", 0, false)] {
        catalog.write("services.yaml", aliased_services(500, extra));
        cache.expect_only(["services.yaml".to_string()].into());
        let (new, _) = compiled(&catalog, &mut cache, Some(&old), step);
        let changed = rerender(&old, &new).unwrap();
        for path in &changed.removed {
            assert!(
                output.remove(path).is_some(),
                "{step}: removed `{path}`, which was not there"
            );
        }
        output.extend(changed.files);
        let full = without_search(render(&new).unwrap());
        let wrong = differences(&output, &full);
        assert!(wrong.is_empty(), "{step}: {wrong:#?}");
        assert_eq!(output.contains_key("api/v1/lookup/aliases/00.json"), sharded, "{step}");
        old = new;
    }
}
