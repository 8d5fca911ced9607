//! Chores kept inside `cargo test`: every source file says what it owns in a
//! `//!` doc comment, no snapshot is orphaned, and every import points down
//! the layers of ARCHITECTURE.md's import-order table.

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

/// The module order of ARCHITECTURE.md's `import-order` table.
fn layers(root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let table = text
        .split("```text import-order\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("ARCHITECTURE.md has an import-order table");
    table
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The crate's top-level modules a source file names through `crate::`.
fn imported_modules(text: &str, modules: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            // `crate::{a, b::c}`: the first segment of each item.
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(',')
                .map(|item| item.trim().split("::").next().unwrap_or_default())
                .collect(),
            None => vec![rest
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default()],
        };
        found.extend(
            names
                .into_iter()
                .filter(|n| modules.iter().any(|m| m == n))
                .map(str::to_string),
        );
    }
    found
}

#[test]
fn imports_are_read_in_both_forms() {
    let modules: Vec<String> = ["model", "emit", "util"].map(String::from).to_vec();
    let text = "use crate::{model, emit::site::x};\nlet y = crate::util::safe_url(u); // crate::other";
    assert_eq!(imported_modules(text, &modules), ["model", "emit", "util"]);
}

#[test]
fn every_import_points_down_the_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layers = layers(root);
    let rank = |module: &str| layers.iter().position(|m| m == module);
    let mut upward = Vec::new();
    for file in rust_files(&root.join("src")) {
        let relative = file.strip_prefix(root.join("src")).unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .to_string();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let own =
            rank(&module).unwrap_or_else(|| panic!("module `{module}` is not in ARCHITECTURE.md's import-order table"));
        let text = std::fs::read_to_string(&file).unwrap();
        for imported in imported_modules(&text, &layers) {
            if rank(&imported).unwrap() > own {
                upward.push(format!("{} imports `{imported}`", relative.display()));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports that point up the layers (see ARCHITECTURE.md, Layers):\n{}",
        upward.join("\n")
    );
}

#[test]
fn lib_declares_the_modules_in_layer_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let declared: Vec<String> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|name| name.trim_end_matches(';').to_string())
        .collect();
    assert_eq!(
        declared,
        layers(root),
        "src/lib.rs and ARCHITECTURE.md's import-order table differ"
    );
}

/// Where unit tests live (ARCHITECTURE.md, "Testing"): an inline `mod
/// tests { … }` holds at most this many lines; more go to
/// `<module>/tests.rs`, declared `mod tests;`.
const INLINE_TEST_LINES: usize = 100;

#[test]
fn long_unit_tests_live_in_their_own_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut long = Vec::new();
    for file in rust_files(&root.join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let Some(start) = text.lines().position(|l| l.trim_start().starts_with("mod tests {")) else {
            continue;
        };
        let lines = text.lines().count() - start;
        if lines > INLINE_TEST_LINES {
            long.push(format!(
                "{} ({lines} lines)",
                file.strip_prefix(root).unwrap().display()
            ));
        }
    }
    assert!(
        long.is_empty(),
        "inline test modules over {INLINE_TEST_LINES} lines (move them to <module>/tests.rs): {long:?}"
    );
}
