//! Chores kept inside `cargo test`: every source file says what it owns in a
//! `//!` doc comment, and no snapshot is orphaned.

use std::path::Path;

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect()
}

#[test]
fn every_source_file_has_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for dir in ["src", "tests/it", "examples"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
            // Test modules declared with `mod tests;` are documented by their parent.
            let is_test_module = file.file_name().is_some_and(|n| n == "tests.rs");
            if !first.starts_with("//!") && !is_test_module {
                missing.push(file.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files without a `//!` line saying what they own: {missing:?}"
    );
}

#[test]
fn no_orphaned_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut orphans = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("src"))
        .into_iter()
        .chain(walkdir::WalkDir::new(root.join("tests")))
    {
        let path = entry.unwrap().into_path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            orphans.push(path.display().to_string());
            continue;
        }
        if !name.ends_with(".snap") {
            continue;
        }
        // `module__test_name.snap` next to the module's source in `snapshots/`.
        let text = std::fs::read_to_string(&path).unwrap();
        let source = text
            .lines()
            .find_map(|l| l.strip_prefix("source: "))
            .unwrap_or_default()
            .trim()
            .to_string();
        let snapshot = name.trim_end_matches(".snap").rsplit("__").next().unwrap_or_default();
        // A second snapshot in one test is `name-2`.
        let test_name = match snapshot.rsplit_once('-') {
            Some((base, n)) if n.chars().all(|c| c.is_ascii_digit()) => base.to_string(),
            _ => snapshot.to_string(),
        };
        let source_text = std::fs::read_to_string(root.join(&source)).unwrap_or_default();
        if !source_text.contains(&format!("fn {test_name}(")) {
            orphans.push(format!("{} (no test `{test_name}` in {source})", path.display()));
        }
    }
    assert!(orphans.is_empty(), "orphaned snapshots: {orphans:?}");
}
