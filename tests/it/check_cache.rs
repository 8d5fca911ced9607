//! `cairn check`'s cache (`.cairn/cache/check.bin`): a check that reads it
//! reports exactly what a check without it does, sees every edit, and
//! survives a damaged or foreign cache.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::harness::{copy_dir, corpus, Run, TestCatalog};

/// Sets every file's modification time an hour back: the cache keeps only
/// files not modified just before the check that read them.
fn settle(dir: &Path) {
    let past = SystemTime::now() - Duration::from_secs(3600);
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            // Read-only is enough for the owner (the corpus's files are).
            let file = std::fs::File::open(entry.path()).unwrap();
            file.set_modified(past).unwrap();
        }
    }
}

fn cache_file(catalog: &TestCatalog) -> std::path::PathBuf {
    catalog.path().join(".cairn/cache/check.bin")
}

/// `check -v --format json`: the report, and how many files came from the
/// cache.
fn check(catalog: &TestCatalog) -> (Run, usize) {
    let run = catalog.cairn(&["-v", "--format", "json", "check"]);
    let reused = run
        .stderr
        .lines()
        .find_map(|line| line.trim().strip_prefix("from cache: "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no `from cache` line in {}", run.stderr))
        .parse()
        .unwrap();
    (run, reused)
}

fn uncached(catalog: &TestCatalog) -> Run {
    catalog.cairn(&["--format", "json", "check", "--no-cache"])
}

#[test]
fn a_cached_check_reports_exactly_what_a_check_without_the_cache_does() {
    let fixtures = ["broken", "claims", "contracts", "governance", "backstage-adoption"];
    // Backstage's own example catalog, copied: real files, with Locations,
    // duplicates and kinds cairn reports.
    let backstage = TestCatalog::empty();
    copy_dir(&corpus(), backstage.path());
    let catalogs = fixtures
        .map(|name| (name, TestCatalog::fixture(name)))
        .into_iter()
        .chain([("demo", TestCatalog::demo()), ("backstage-examples", backstage)]);
    for (fixture, catalog) in catalogs {
        settle(catalog.path());
        let expected = uncached(&catalog);
        assert!(!cache_file(&catalog).exists(), "--no-cache wrote a cache");

        let (first, reused) = check(&catalog);
        assert_eq!(reused, 0, "{fixture}: nothing to reuse yet");
        assert!(cache_file(&catalog).exists(), "{fixture}: no cache written");
        let (second, reused) = check(&catalog);
        assert!(reused > 0, "{fixture}: the second check read every file again");
        for run in [&first, &second] {
            assert_eq!(run.status, expected.status, "{fixture}");
            assert_eq!(run.json(), expected.json(), "{fixture}");
        }
        let human = catalog.cairn(&["check"]);
        let human_uncached = catalog.cairn(&["check", "--no-cache"]);
        assert_eq!(human.stdout, human_uncached.stdout, "{fixture}");
        assert_eq!(human.stderr, human_uncached.stderr, "{fixture}");
    }
}

#[test]
fn an_edit_that_keeps_size_and_modification_time_is_still_seen() {
    let catalog = TestCatalog::fixture("broken");
    settle(catalog.path());
    check(&catalog);
    let (_, reused) = check(&catalog);
    assert!(reused > 0);

    // The same size, the modification time put back: only the inode's
    // change time tells.
    let path = catalog.path().join("services/cart.yaml");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("kind: Component", "kind: Componenx", 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();

    let (run, _) = check(&catalog);
    assert_eq!(run.json(), uncached(&catalog).json());
    assert!(
        run.diagnostics()
            .iter()
            .any(|(code, file, _)| code == "unknown-kind" && file == "services/cart.yaml"),
        "{}",
        run.stdout
    );
}

#[test]
fn files_added_removed_and_edited_between_checks_are_checked_as_they_are() {
    let catalog = TestCatalog::fixture("broken");
    settle(catalog.path());
    check(&catalog);
    std::fs::remove_file(catalog.path().join("services/names.yaml")).unwrap();
    catalog.write(
        "services/added.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: added\nspec:\n  type: service\n  lifecycle: production\n  owner: nobody-at-all\n",
    );
    let cart = catalog.path().join("services/cart.yaml");
    let text = std::fs::read_to_string(&cart).unwrap();
    std::fs::write(&cart, text.replace("lifecycle: production", "lifecycle: 42")).unwrap();

    let (run, reused) = check(&catalog);
    assert!(reused > 0);
    assert_eq!(run.json(), uncached(&catalog).json());
    let diagnostics = run.diagnostics();
    assert!(diagnostics.iter().all(|(_, file, _)| file != "services/names.yaml"));
    assert!(diagnostics.iter().any(|(_, file, _)| file == "services/added.yaml"));
}

#[test]
fn files_modified_just_before_a_check_are_read_again_by_the_next() {
    let catalog = TestCatalog::empty();
    catalog.write("team.yaml", crate::harness::TEAM);
    catalog.write("service.yaml", crate::harness::SERVICE);
    check(&catalog);
    // Written a moment ago: the same stamp could hide an edit made in the
    // same tick, so neither file was kept.
    let (_, reused) = check(&catalog);
    assert_eq!(reused, 0);
    settle(catalog.path());
    check(&catalog);
    let (_, reused) = check(&catalog);
    assert_eq!(reused, 2);
}

#[test]
fn a_damaged_foreign_or_outdated_cache_is_ignored_and_replaced() {
    let catalog = TestCatalog::fixture("broken");
    settle(catalog.path());
    let expected = uncached(&catalog);
    check(&catalog);
    let good = std::fs::read(cache_file(&catalog)).unwrap();

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x01;
    let damaged: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not a cache".to_vec(),
        good[..good.len() / 2].to_vec(),
        good.iter().map(|b| b ^ 0x5a).collect(),
        [&good[..], b"trailing"].concat(),
        // One bit inside the data: decoding alone might not notice.
        flipped,
    ];
    for bytes in damaged {
        std::fs::write(cache_file(&catalog), &bytes).unwrap();
        let (run, reused) = check(&catalog);
        assert_eq!(reused, 0);
        assert_eq!(run.json(), expected.json());
        let (run, reused) = check(&catalog);
        assert!(reused > 0, "the damaged cache was not replaced");
        assert_eq!(run.json(), expected.json());
    }

    // Another cairn.yaml: another key.
    let config = catalog.path().join("cairn.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n# edited\n")).unwrap();
    let (_, reused) = check(&catalog);
    assert_eq!(reused, 0);
}

#[test]
fn a_catalog_that_cannot_be_written_is_still_checked() {
    let catalog = TestCatalog::fixture("broken");
    settle(catalog.path());
    // `.cairn` as a file: the cache directory cannot be made.
    std::fs::write(catalog.path().join(".cairn"), "").unwrap();
    let (run, reused) = check(&catalog);
    assert_eq!(reused, 0);
    assert_eq!(run.json(), uncached(&catalog).json());
    assert!(catalog.path().join(".cairn").is_file());
}

#[test]
fn caches_stay_out_of_git_status_without_a_gitignore() {
    let catalog = TestCatalog::demo();
    let repo = git2::Repository::init(catalog.path()).unwrap();
    settle(catalog.path());
    check(&catalog);
    assert!(cache_file(&catalog).exists());
    // The build cache too, in the same directory.
    std::fs::remove_dir_all(catalog.path().join(".cairn")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let build = catalog.cairn(&["build", "--out", out.path().to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    assert!(catalog.path().join(".cairn/cache/build").is_dir());
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true);
    let untracked: Vec<String> = repo
        .statuses(Some(&mut options))
        .unwrap()
        .iter()
        .filter_map(|entry| entry.path().ok().map(str::to_string))
        .collect();
    assert!(!untracked.is_empty(), "the catalog's own files are untracked");
    assert!(
        untracked.iter().all(|path| !path.starts_with(".cairn")),
        "{untracked:?}"
    );
}

#[test]
fn links_a_hostile_tree_put_in_the_cache_directory_are_not_written_through() {
    let catalog = TestCatalog::fixture("broken");
    settle(catalog.path());
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    let dir = catalog.path().join(".cairn/cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(outside.path().join("created"), dir.join(".gitignore")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("check.bin")).unwrap();

    let (run, reused) = check(&catalog);
    assert_eq!(reused, 0);
    assert_eq!(run.json(), uncached(&catalog).json());
    assert!(
        !outside.path().join("created").exists(),
        "wrote through a dangling link"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    // The cache replaced the link with a file of its own.
    assert!(std::fs::symlink_metadata(dir.join("check.bin")).unwrap().is_file());
    let (_, reused) = check(&catalog);
    assert!(reused > 0);
}
