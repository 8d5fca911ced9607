//! Incremental CI builds: `cairn build` keeps a build cache under
//! `.cairn/cache/build/`, and the next build renders and writes only what
//! changed. After every edit — the kinds `incremental.rs` knows, then a
//! random sequence — the incremental output must equal a full render of
//! the catalog (what `--full` writes) byte for byte, and files the edit did not affect must be
//! the previous build's own (the same inode: not rewritten).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::harness::TestCatalog;
use crate::incremental::EDITS;

/// Every file under `dir`: path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (relative, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Every file under `dir` with its inode: a file kept from the previous
/// build keeps its inode, a file written again gets a new one.
fn inodes(dir: &Path) -> BTreeMap<String, u64> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (relative, e.metadata().unwrap().ino())
        })
        .collect()
}

/// Builds with `cairn build` into `dist` and renders the catalog whole
/// in memory (what `--full` writes), and requires the same bytes; returns
/// whether the build said it was incremental.
pub(crate) fn build_and_compare(catalog: &TestCatalog, step: &str) -> bool {
    let incremental = catalog.cairn(&["build"]);
    assert_eq!(
        incremental.status, 0,
        "{step}: {}{}",
        incremental.stdout, incremental.stderr
    );
    let mut compilation = cairn::pipeline::compile(catalog.path(), None, None).unwrap();
    cairn::pipeline::read_render_inputs(&mut compilation, None).unwrap();
    let full_tree = cairn::emit::render(&compilation).unwrap();
    let dist = tree(&catalog.path().join("dist"));
    let differ: Vec<&String> = full_tree
        .keys()
        .chain(dist.keys())
        .filter(|path| dist.get(*path) != full_tree.get(*path))
        .collect();
    assert!(differ.is_empty(), "{step}: the incremental build differs in {differ:?}");
    incremental.stderr.contains("only what changed")
}

#[test]
fn every_kind_of_edit_builds_incrementally_to_the_full_build_s_bytes() {
    let catalog = TestCatalog::demo();
    assert!(!build_and_compare(&catalog, "first build"), "the first build is full");
    // No local edit below touches the page of this person of the
    // storefront team.
    let untouched = "user/default/maya-okafor/index.html";
    for (what, local, edit) in EDITS {
        let before = inodes(&catalog.path().join("dist"));
        edit(&catalog);
        assert!(build_and_compare(&catalog, what), "{what}: the build used its cache");
        let rewritten: Vec<String> = inodes(&catalog.path().join("dist"))
            .into_iter()
            .filter(|(path, ino)| before.get(path).is_some_and(|b| b != ino))
            .map(|(path, _)| path)
            .collect();
        if *local {
            assert!(
                !rewritten.iter().any(|p| *p == untouched),
                "{what}: an unaffected page was rewritten; rewritten: {rewritten:?}"
            );
        }
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

fn service(name: &str, owner: &str, depends_on: &[String]) -> String {
    let deps: String = depends_on.iter().map(|d| format!("    - component:{d}\n")).collect();
    let deps = if deps.is_empty() {
        String::new()
    } else {
        format!("  dependsOn:\n{deps}")
    };
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: Generated {name}.\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n{deps}"
    )
}

#[test]
fn random_edit_sequences_build_incrementally_to_the_full_build_s_bytes() {
    let catalog = TestCatalog::demo();
    build_and_compare(&catalog, "first build");
    let owners = ["checkout", "platform", "discovery"];
    let mut rng = Rng(0x5EED_CA1B_0000_0001);
    // Services this test adds: name → (owner, dependencies).
    let mut added: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for step in 0..10 {
        let names: Vec<String> = added.keys().cloned().collect();
        let what = match rng.below(5) {
            0 | 1 => {
                let name = format!("random-{step}");
                let mut deps: Vec<String> = names.iter().filter(|_| rng.below(3) == 0).cloned().collect();
                if rng.below(2) == 0 {
                    deps.push("cart-service".into());
                }
                added.insert(name.clone(), (owners[rng.below(owners.len())].to_string(), deps));
                format!("add {name}")
            }
            2 if !names.is_empty() => {
                let name = &names[rng.below(names.len())];
                added.get_mut(name).unwrap().0 = owners[rng.below(owners.len())].to_string();
                format!("new owner for {name}")
            }
            3 if names.len() > 1 => {
                let (from, to) = (&names[rng.below(names.len())], &names[rng.below(names.len())]);
                let deps = &mut added.get_mut(from).unwrap().1;
                if from != to && !deps.contains(to) {
                    deps.push(to.clone());
                }
                format!("{from} depends on {to}")
            }
            _ if !names.is_empty() => {
                let name = names[rng.below(names.len())].clone();
                added.remove(&name);
                for (_, deps) in added.values_mut() {
                    deps.retain(|d| *d != name);
                }
                std::fs::remove_file(catalog.path().join(format!("catalog/random/{name}.yaml"))).unwrap();
                format!("delete {name}")
            }
            _ => continue,
        };
        for (name, (owner, deps)) in &added {
            catalog.write(&format!("catalog/random/{name}.yaml"), service(name, owner, deps));
        }
        assert!(build_and_compare(&catalog, &what), "{what}: the build used its cache");
    }
}

#[test]
fn a_changed_output_directory_or_config_means_a_full_build() {
    let catalog = TestCatalog::demo();
    build_and_compare(&catalog, "first build");
    std::fs::write(catalog.path().join("dist/stray.txt"), "someone's file").unwrap();
    assert!(
        !build_and_compare(&catalog, "output changed by hand"),
        "not from the cache"
    );
    assert!(!catalog.path().join("dist/stray.txt").exists());
    let config = std::fs::read_to_string(catalog.path().join("cairn.yaml")).unwrap();
    catalog.write("cairn.yaml", format!("{config}\n# edited\n"));
    assert!(!build_and_compare(&catalog, "cairn.yaml changed"), "not from the cache");
    assert!(build_and_compare(&catalog, "nothing changed"), "from the cache again");
}

/// The previous build's catalog, compiled again from the build cache to
/// choose what to re-render, shares the current catalog's entities of
/// every file that did not change (one parse and one copy of each), and
/// reads the edited file — and an unchanged file whose placeholder's
/// target changed — as the cache kept them.
#[test]
fn the_previous_catalog_shares_the_entities_of_unchanged_files() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: payments }\nspec: { type: team, children: [] }\n");
    for name in ["cart", "checkout", "ledger"] {
        catalog.write(
            &format!("{name}.yaml"),
            format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: {name}, description: first }}\nspec: {{ type: service, lifecycle: production, owner: payments }}\n"),
        );
    }
    catalog
        .write("api.yaml", "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: { name: orders }\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition: { $text: ./orders.txt }\n")
        .write("orders.txt", "first");
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    catalog.write("cart.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: cart, description: second }\nspec: { type: service, lifecycle: production, owner: payments }\n");
    catalog.write("orders.txt", "second");

    let dist = catalog.path().join("dist");
    let current = cairn::pipeline::compile(catalog.path(), Some(&dist), None).unwrap();
    let cache = cairn::emit::reusable_cache(&current, &dist).expect("the build cache fits");
    let previous = cairn::pipeline::compile_cached_build(catalog.path(), &cache, &current);
    let find = |compilation: &cairn::pipeline::Compilation, name: &str| {
        compilation
            .catalog
            .entities
            .iter()
            .find(|e| e.metadata.name == name)
            .unwrap()
            .clone()
    };
    for name in ["payments", "checkout", "ledger"] {
        assert!(
            std::sync::Arc::ptr_eq(&find(&previous, name), &find(&current, name)),
            "{name} is shared"
        );
    }
    let (before, after) = (find(&previous, "cart"), find(&current, "cart"));
    assert_eq!(
        (
            before.metadata.description.as_deref(),
            after.metadata.description.as_deref()
        ),
        (Some("first"), Some("second"))
    );
    let (before, after) = (find(&previous, "orders"), find(&current, "orders"));
    assert_eq!(
        (before.definition.as_deref(), after.definition.as_deref()),
        (Some("first"), Some("second"))
    );
}
