//! A bounded mutation fuzzer, run on every test run (`cargo fuzz` needs a
//! nightly toolchain, which this project does not use). The seed corpus is
//! the demo catalog (`catalog-repo-template/`) and a CODEOWNERS file; each
//! case mutates one seed with a deterministic generator (byte flips, YAML
//! punctuation, duplicated and deleted spans, truncation, odd scalars) and
//! runs it through the YAML loader, lowering and validation of one file,
//! or through the CODEOWNERS parser. A case passes when nothing panics and
//! every diagnostic points inside its file. A failing case is written to
//! `target/fuzz-failures/` to be replayed.
//!
//! `CAIRN_FUZZ_CASES` sets the number of cases per target (default 1,500),
//! so a longer campaign is one environment variable away.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use cairn::diagnostics::Diagnostic;

/// A small, fast, deterministic generator (xorshift64*), so a failure
/// replays with the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that stress a YAML parser and cairn's lowering.
const FRAGMENTS: &[&str] = &[
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!str ",
    "!!binary ",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "#",
    "'",
    "\"",
    "\\",
    ".nan",
    ".inf",
    "-.inf",
    "1e309",
    "0x",
    "~",
    "null",
    "true",
    "18446744073709551616",
    "-0",
    "\u{feff}",
    "\u{0}",
    "\u{2028}",
    "é",
    "𝄞",
    "../../",
    "$text: ",
    "$json: ./x.json",
    "kind: Location\n",
    "apiVersion: backstage.io/v1alpha1\n",
    "spec:\n  owner: ",
    "metadata:\n  name: ",
    "version: \"1.0.0\"\n",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                bytes.splice(at..at, fragment.bytes());
            }
            2 => {
                let end = (at + rng.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(128)).min(bytes.len());
                let span = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, span);
            }
            4 => bytes.truncate(at),
            _ => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                let end = (at + fragment.len()).min(bytes.len());
                bytes.splice(at..end, fragment.bytes());
            }
        }
    }
    bytes
}

fn cases() -> usize {
    std::env::var("CAIRN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_500)
}

/// The demo catalog's YAML files.
fn yaml_seeds() -> Vec<Vec<u8>> {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog-repo-template");
    let mut seeds: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(template)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    seeds.sort();
    assert!(seeds.len() > 10, "the demo catalog is the seed corpus");
    seeds.into_iter().map(|(_, bytes)| bytes).collect()
}

/// Keeps a failing input for replay and fails with its path.
fn keep_failure(target: &str, case: usize, input: &[u8], why: &str) -> ! {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{target}-{case}"));
    std::fs::write(&path, input).unwrap();
    panic!("{target} case {case} failed ({why}); input kept at {}", path.display());
}

/// Every diagnostic about `file` points at a line of it (or at the file).
fn check_locations(diagnostics: &[Diagnostic], file: &str, text: &str) -> Result<(), String> {
    let lines = text.lines().count() as u32 + 1;
    for diagnostic in diagnostics.iter().filter(|d| d.location.file == file) {
        if diagnostic.location.line > lines {
            return Err(format!(
                "{} at line {} of a {lines}-line file",
                diagnostic.code, diagnostic.location.line
            ));
        }
        serde_json::to_string(diagnostic).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// One file through parsing, lowering and the per-entity rules.
fn compile_one(text: &str) -> Vec<Diagnostic> {
    let parsed = cairn::parse::parse_yaml("fuzz.yaml", text);
    let mut diagnostics = parsed.diagnostics;
    for document in parsed.documents {
        if let Some(entity) = cairn::model::lower_document("fuzz.yaml", document, &mut diagnostics) {
            cairn::validate::schema::check(&entity, &mut diagnostics);
            cairn::validate::names::check(&entity, &mut diagnostics);
            if entity.kind == cairn::model::Kind::ResourceDefinition {
                cairn::validate::resource_definition::check(&entity, &mut diagnostics);
            }
        }
    }
    diagnostics
}

#[test]
fn mutated_catalog_files_never_panic_and_point_inside_the_file() {
    let seeds = yaml_seeds();
    let mut rng = Rng(0x00C0_FFEE_D15C_0A11);
    for case in 0..cases() {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        // Bytes that are not UTF-8 are the loader's business (tested in
        // bad_input); the parser sees text.
        let text = String::from_utf8_lossy(&input).into_owned();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| compile_one(&text)));
        match result {
            Ok(diagnostics) => {
                if let Err(why) = check_locations(&diagnostics, "fuzz.yaml", &text) {
                    keep_failure("yaml", case, &input, &why);
                }
            }
            Err(_) => keep_failure("yaml", case, &input, "panic"),
        }
    }
}

#[test]
fn mutated_codeowners_files_never_panic() {
    let seed = b"# Owners\n* @acme/platform\n/services/payments/ @acme/payments @alice\n*.tf @acme/infra\ndocs/** @acme/docs\n\\#literal @bob\n!negated @carol\n/apps/*/config.yaml @acme/ops # trailing\n";
    let paths = [
        "services/payments/api.go",
        "main.tf",
        "docs/a/b.md",
        "#literal",
        "apps/web/config.yaml",
        "",
        "a//b",
        "é/𝄞",
    ];
    let mut rng = Rng(0x0BAD_5EED_0000_0001);
    for case in 0..cases() {
        let input = mutate(&mut rng, seed);
        let text = String::from_utf8_lossy(&input).into_owned();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let owners = cairn::discover::codeowners::CodeOwners::parse(&text);
            for path in paths {
                let _ = owners.owners_of(path);
            }
            let shares = owners.shares(paths);
            shares.values().all(|share| (0.0..=1.0).contains(share))
        }));
        match result {
            Ok(true) => {}
            Ok(false) => keep_failure("codeowners", case, &input, "a share outside [0, 1]"),
            Err(_) => keep_failure("codeowners", case, &input, "panic"),
        }
    }
}
