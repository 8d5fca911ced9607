//! What the machine allows: the floor under `cairn check` and `cairn build`.
//!
//! ```text
//! cargo run --release --example io_floor -- --catalog target/bench/dag-10000 --dist target/bench/dag-10000-dist
//! ```
//!
//! Times, with rayon on every core as cairn uses it, the parts of a run that
//! no change to cairn's own code can remove, and prints one line of JSON:
//!
//! * `read`: walking the catalog (`.git` and `.cairn` skipped) and reading
//!   every file: what `check` does before it parses anything;
//! * `parse`: the YAML event stream of every `.yaml`/`.yml` file, read
//!   already, from `saphyr-parser` (the parser cairn uses), building no tree;
//! * `write`: writing the files of a built output (`--dist`, read into
//!   memory first) into an empty directory beside it, every parent made
//!   once: what a full `build` writes, with nothing rendered;
//! * `link`: hard-linking the same files into an empty directory: what an
//!   incremental `build` does for every unchanged file, since a build
//!   swaps in a whole new directory;
//! * `remove`: removing such a tree of links (`std::fs::remove_dir_all`):
//!   what every build but the first does with the output it replaced.
//!
//! Each is the median of `--runs` runs (default 5). `scripts/bench.py
//! --floor` prints them beside cairn's own numbers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

fn main() {
    let mut catalog = None;
    let mut dist = None;
    let mut runs = 5;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--catalog" => catalog = Some(PathBuf::from(value)),
            "--dist" => dist = Some(PathBuf::from(value)),
            "--runs" => runs = value.parse().unwrap_or_else(|_| usage("--runs takes a number")),
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    let catalog = catalog.unwrap_or_else(|| usage("--catalog is required"));
    let mut report = vec![
        ("read", median(runs, || read_catalog(&catalog).1)),
        ("parse", median(runs, || parse(&read_catalog(&catalog).0))),
    ];
    if let Some(dist) = dist {
        let files = output_files(&dist);
        report.push(("write", median(runs, || write(&dist, &files))));
        let (link, remove): (Vec<_>, Vec<_>) = (0..runs.max(1)).map(|_| link_and_remove(&dist, &files)).unzip();
        report.push(("link", median_of(link)));
        report.push(("remove", median_of(remove)));
    }
    let fields: Vec<String> = report
        .iter()
        .map(|(step, time)| format!("\"{step}_ms\": {:.1}", time.as_secs_f64() * 1000.0))
        .collect();
    println!("{{{}}}", fields.join(", "));
}

fn usage(problem: &str) -> ! {
    eprintln!("io_floor: {problem}\nusage: io_floor --catalog DIR [--dist DIR] [--runs N]");
    std::process::exit(2)
}

fn median(runs: usize, mut measure: impl FnMut() -> Duration) -> Duration {
    median_of((0..runs.max(1)).map(|_| measure()).collect())
}

fn median_of(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Every file of the catalog (path, text) and the time it took to find and
/// read them.
fn read_catalog(catalog: &Path) -> (Vec<(PathBuf, String)>, Duration) {
    let start = Instant::now();
    let paths: Vec<PathBuf> = walkdir::WalkDir::new(catalog)
        .into_iter()
        .filter_entry(|entry| entry.file_name() != ".git" && entry.file_name() != ".cairn")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    let texts = paths
        .into_par_iter()
        .map(|path| {
            let text = std::fs::read(&path).expect("a catalog file is readable");
            (path, String::from_utf8_lossy(&text).into_owned())
        })
        .collect();
    (texts, start.elapsed())
}

/// The time to run the YAML event stream over every YAML file.
fn parse(files: &[(PathBuf, String)]) -> Duration {
    let start = Instant::now();
    files
        .par_iter()
        .filter(|(path, _)| path.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .for_each(|(_, text)| {
            let mut parser = saphyr_parser::Parser::new_from_str(text);
            while let Some(event) = parser.next_event() {
                if event.is_err() {
                    break;
                }
            }
        });
    start.elapsed()
}

/// Every file under `dist` (path relative to it, bytes).
fn output_files(dist: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(dist)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let bytes = std::fs::read(entry.path()).expect("an output file is readable");
            let relative = entry.path().strip_prefix(dist).expect("under dist").to_path_buf();
            (relative, bytes)
        })
        .collect()
}

/// An empty directory beside `dist`, on the same file system, and the
/// parents of `files` made in it.
fn fresh_tree(dist: &Path, files: &[(PathBuf, Vec<u8>)]) -> tempfile::TempDir {
    let parent = dist.parent().unwrap_or(Path::new("."));
    let dir = tempfile::tempdir_in(parent).expect("a directory beside the output");
    let parents: BTreeSet<&Path> = files.iter().filter_map(|(path, _)| path.parent()).collect();
    for relative in parents {
        std::fs::create_dir_all(dir.path().join(relative)).expect("a directory is made");
    }
    dir
}

fn write(dist: &Path, files: &[(PathBuf, Vec<u8>)]) -> Duration {
    let start = Instant::now();
    let dir = fresh_tree(dist, files);
    files.par_iter().for_each(|(relative, bytes)| {
        std::fs::write(dir.path().join(relative), bytes).expect("a file is written");
    });
    let elapsed = start.elapsed();
    drop(dir);
    elapsed
}

/// The time to link every file of `dist` into a new tree, and to remove
/// that tree.
fn link_and_remove(dist: &Path, files: &[(PathBuf, Vec<u8>)]) -> (Duration, Duration) {
    let start = Instant::now();
    let dir = fresh_tree(dist, files);
    files.par_iter().for_each(|(relative, _)| {
        std::fs::hard_link(dist.join(relative), dir.path().join(relative)).expect("a file is linked");
    });
    let linked = start.elapsed();
    let start = Instant::now();
    std::fs::remove_dir_all(dir.path()).expect("the tree is removed");
    (linked, start.elapsed())
}
