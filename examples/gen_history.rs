//! Generates a git repository with a long history of ResourceDefinition
//! versions, for benchmarking `cairn check --base`:
//!
//! ```text
//! cargo run --release --example gen_history -- --commits 1000 --definitions 500 --versions 5 --out target/bench/history
//! ```
//!
//! Every commit adds the next few versions (round-robin over definitions) and
//! edits a README, so the history has the given number of commits and every
//! version is published by the end.

use std::path::PathBuf;

use git2::{IndexAddOption, Repository, Signature};

fn main() {
    let mut commits = 1000usize;
    let mut definitions = 500usize;
    let mut versions = 5usize;
    let mut out = PathBuf::from("target/bench/history");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--commits" => commits = value.parse().expect("--commits N"),
            "--definitions" => definitions = value.parse().expect("--definitions N"),
            "--versions" => versions = value.parse().expect("--versions N"),
            "--out" => out = PathBuf::from(value),
            other => panic!("unknown flag {other}"),
        }
    }
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("remove the old repository");
    }
    std::fs::create_dir_all(&out).expect("create the repository directory");
    let repo = Repository::init(&out).expect("init");
    let signature =
        Signature::new("Bench", "bench@example.com", &git2::Time::new(1_700_000_000, 0)).expect("signature");
    let total = definitions * versions;
    let per_commit = total.div_ceil(commits).max(1);
    let mut next = 0;
    for c in 0..commits {
        for _ in 0..per_commit {
            if next == total {
                break;
            }
            let (d, v) = (next % definitions, next / definitions);
            let optional: String = (0..v)
                .map(|k| format!("    - {{ name: option_{k}, type: integer, default: {k} }}\n"))
                .collect();
            let text = format!(
                "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata:\n  name: definition-{d}\n  version: \"1.{v}.0\"\nspec:\n  required_inputs:\n    - {{ name: instance_class, type: string }}\n  optional_inputs:\n{optional}    - {{ name: storage_gb, type: integer, default: 20 }}\n"
            );
            let path = out.join(format!("definitions/definition-{d}/1.{v}.0.yaml"));
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
            next += 1;
        }
        std::fs::write(out.join("README.md"), format!("commit {c}\n")).expect("write README");
        let mut index = repo.index().expect("index");
        index.add_all(["*"], IndexAddOption::DEFAULT, None).expect("add");
        index.write().expect("write index");
        let tree = repo.find_tree(index.write_tree().expect("tree")).expect("find tree");
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(
            Some("HEAD"),
            &signature,
            &signature,
            &format!("commit {c}"),
            &tree,
            &parents,
        )
        .expect("commit");
    }
    eprintln!(
        "wrote {commits} commits with {total} definition versions to {}",
        out.display()
    );
}
