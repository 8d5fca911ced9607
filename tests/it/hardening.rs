//! Regression tests from the fuzzing campaign: each is the campaign's
//! reproducer made small. Links out of the root, pipes named `*.yaml`,
//! non-finite numbers, versions that cannot be bumped, a `cairn.yaml` that
//! is not UTF-8, and a build killed in the middle of its swap.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{Run, TestCatalog, SERVICE, TEAM};

/// Runs `cairn ARGS` on `catalog`, failing the test (instead of hanging
/// it) if cairn has not finished after a minute.
fn cairn_within_a_minute(catalog: &TestCatalog, args: &[&str]) -> Run {
    let mut child = catalog
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cairn starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cairn {args:?} was still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        status: output.status.code().expect("exits normally"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "cairn panicked:\n{}", run.stderr);
    run
}

fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).expect("symlinks can be made here");
}

fn team_and_service() -> TestCatalog {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM).write("checkout.yaml", SERVICE);
    catalog
}

#[test]
fn a_link_to_the_filesystem_root_is_skipped_not_walked() {
    let catalog = team_and_service();
    symlink("/", catalog.path().join("rootfs"));
    symlink("/usr", catalog.path().join("usr"));
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.diagnostics(),
        [
            ("symlink-outside-root".to_string(), "rootfs".to_string(), 0),
            ("symlink-outside-root".to_string(), "usr".to_string(), 0)
        ],
        "only the two links are reported: no file outside the root was read"
    );
    assert_eq!(run.json()["summary"]["entities"], 2);
    let human = catalog.cairn(&["check"]);
    assert!(
        human
            .stdout
            .contains("`rootfs` is a symbolic link that leads outside the catalog root"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_file_link_out_of_the_root_is_not_read_and_its_lines_never_printed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: TOP-SECRET-LINE\n",
    )
    .unwrap();
    let catalog = team_and_service();
    symlink(outside.path().join("secret.yaml"), catalog.path().join("borrowed.yaml"));
    let run = cairn_within_a_minute(&catalog, &["check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.stdout.contains("symlink-outside-root"), "{}", run.stdout);
    assert!(!run.stdout.contains("TOP-SECRET-LINE"), "{}", run.stdout);
}

#[test]
fn links_inside_the_root_keep_working() {
    let catalog = TestCatalog::empty();
    catalog
        .write("cairn.yaml", "sources:\n  - path: catalog/\n")
        .write("shared/teams.yaml", TEAM)
        .write("catalog/checkout.yaml", SERVICE);
    // A file link and a directory link, both to places under the root.
    symlink("../shared/teams.yaml", catalog.path().join("catalog/teams.yaml"));
    std::fs::create_dir_all(catalog.path().join("more")).unwrap();
    catalog.write("more/ledger.yaml", SERVICE.replace("name: checkout", "name: ledger"));
    symlink("../more", catalog.path().join("catalog/more"));
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.codes(), Vec::<String>::new());
    assert_eq!(run.json()["summary"]["entities"], 3);
}

#[test]
fn a_link_loop_keeps_its_diagnostic() {
    let catalog = team_and_service();
    std::fs::create_dir_all(catalog.path().join("a")).unwrap();
    symlink("..", catalog.path().join("a/up"));
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "check"]);
    assert!(run.codes().contains(&"symlink-loop".to_string()), "{}", run.stdout);
}

#[test]
fn location_targets_stay_under_the_root() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("org.yaml"), TEAM).unwrap();
    let catalog = TestCatalog::empty();
    catalog.write("checkout.yaml", SERVICE).write(
        "locations.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: org\nspec:\n  type: file\n  targets:\n    - ./linked/org.yaml\n    - ../../../../etc/passwd\n    - ../**/*.yaml\n",
    );
    symlink(outside.path(), catalog.path().join("linked"));
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "check"]);
    let diagnostics = run.diagnostics();
    assert!(
        diagnostics.contains(&("path-outside-root".to_string(), "locations.yaml".to_string(), 9)),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics.contains(&("path-outside-root".to_string(), "locations.yaml".to_string(), 10)),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics
            .iter()
            .any(|(code, file, _)| code == "symlink-outside-root" && file == "linked"),
        "{diagnostics:?}"
    );
    // The team behind the link was not read, so the owner is unresolved.
    assert!(run.codes().contains(&"unresolved-ref".to_string()), "{diagnostics:?}");
}

#[test]
fn a_template_linked_out_of_the_root_is_not_used() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("home.html"), "OUTSIDE TEMPLATE").unwrap();
    let catalog = team_and_service();
    std::fs::create_dir_all(catalog.path().join("templates")).unwrap();
    symlink(
        outside.path().join("home.html"),
        catalog.path().join("templates/home.html"),
    );
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "build"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.codes().contains(&"symlink-outside-root".to_string()),
        "{}",
        run.stdout
    );
    let home = std::fs::read_to_string(catalog.path().join("dist/index.html")).unwrap();
    assert!(!home.contains("OUTSIDE TEMPLATE"));
}

#[test]
fn a_catalog_template_replaces_the_built_in_one_and_a_broken_one_stops_the_build() {
    let catalog = team_and_service();
    std::fs::create_dir_all(catalog.path().join("templates")).unwrap();
    catalog.write("templates/home.html", "<p>OUR OWN HOME</p>");
    let run = cairn_within_a_minute(&catalog, &["build"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let home = std::fs::read_to_string(catalog.path().join("dist/index.html")).unwrap();
    assert_eq!(home, "<p>OUR OWN HOME</p>");

    // Not UTF-8: the build stops before writing and names the file; the
    // previous output stays.
    std::fs::write(catalog.path().join("templates/home.html"), [b'<', 0xff, b'>']).unwrap();
    let run = cairn_within_a_minute(&catalog, &["build"]);
    assert_eq!(run.status, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("templates/home.html"), "{}", run.stderr);
    let home = std::fs::read_to_string(catalog.path().join("dist/index.html")).unwrap();
    assert_eq!(home, "<p>OUR OWN HOME</p>");
}

#[test]
fn a_pipe_named_yaml_is_skipped_without_blocking() {
    let catalog = team_and_service();
    let fifo = catalog.path().join("catalog/fifo.yaml");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(
        run.diagnostics(),
        [("not-regular-file".to_string(), "catalog/fifo.yaml".to_string(), 0)]
    );
    // As a Location target too.
    catalog.write(
        "location.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: pipes\nspec:\n  targets: [./catalog/fifo.yaml]\n",
    );
    let run = cairn_within_a_minute(&catalog, &["--format", "json", "check"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.codes().iter().all(|c| c == "not-regular-file"), "{}", run.stdout);
}

#[test]
fn non_finite_numbers_are_errors_at_their_line() {
    let catalog = TestCatalog::empty();
    catalog.write("teams.yaml", TEAM).write(
        "weird.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: weird\n  annotations:\n    acme.com/limit: 1e309\nspec:\n  type: .nan\n  lifecycle: .inf\n  owner: -.inf\n",
    );
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    let weird = |line| ("non-finite-number".to_string(), "weird.yaml".to_string(), line);
    assert_eq!(run.diagnostics(), [weird(6), weird(8), weird(9), weird(10)]);
    let json = run.json();
    assert_eq!(json["diagnostics"][2]["pointer"], "/spec/lifecycle");
    assert!(
        json["diagnostics"][2]["message"].as_str().unwrap().contains("`.inf`"),
        "{json}"
    );
    // Quoted, the same text is a string and passes.
    catalog.write(
        "weird.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: weird\nspec:\n  type: \".nan\"\n  lifecycle: \".inf\"\n  owner: payments\n",
    );
    assert_eq!(catalog.cairn(&["check"]).status, 0);
}

#[test]
fn every_field_of_a_valid_entity_survives_into_its_entity_json() {
    let catalog = TestCatalog::demo();
    let run = catalog.cairn(&["build"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let mut compared = 0;
    for entry in walkdir::WalkDir::new(catalog.path().join("catalog")) {
        let entry = entry.unwrap();
        if entry.path().extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let parsed = cairn::parse::parse_yaml("x.yaml", &text);
        for document in parsed.documents {
            let written = document.root.to_json();
            let (Some(kind), Some(name)) = (written["kind"].as_str(), written["metadata"]["name"].as_str()) else {
                continue;
            };
            if kind == "ResourceDefinition" {
                continue;
            }
            let namespace = written["metadata"]["namespace"].as_str().unwrap_or("default");
            let path = catalog.path().join(format!(
                "dist/api/v1/entities/{}/{}/{}.json",
                kind.to_lowercase(),
                namespace.to_lowercase(),
                name.to_lowercase()
            ));
            let emitted: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
                    .unwrap();
            assert_contains(&emitted, &written, &format!("{kind}:{name}"));
            compared += 1;
        }
    }
    assert!(compared > 10, "the demo catalog has entities ({compared})");
}

/// Every value of `written` is in `emitted` at the same place.
fn assert_contains(emitted: &serde_json::Value, written: &serde_json::Value, at: &str) {
    match written {
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                let Some(found) = emitted.get(key) else {
                    panic!("{at}/{key} was dropped on the way to the entity JSON");
                };
                assert_contains(found, value, &format!("{at}/{key}"));
            }
        }
        serde_json::Value::Array(items) => {
            let found = emitted.as_array().unwrap_or_else(|| panic!("{at} is no longer a list"));
            assert_eq!(found.len(), items.len(), "{at}");
            for (i, (e, w)) in found.iter().zip(items).enumerate() {
                assert_contains(e, w, &format!("{at}/{i}"));
            }
        }
        scalar => assert_eq!(emitted, scalar, "{at}"),
    }
}

/// A ResourceDefinition version with one required input, and optionally a
/// second one.
fn definition(version: &str, second_input: bool) -> String {
    let second = if second_input {
        "    - name: zone\n      type: string\n      description: Where\n"
    } else {
        ""
    };
    format!(
        "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata:\n  name: queue\n  version: \"{version}\"\n  provider: aws\n  category: messaging\n  resource_type: sqs\n  description: A queue\n  maintainers: [payments]\nspec:\n  supported_engines: [terraform]\n  required_inputs:\n    - name: queue_name\n      type: string\n      description: Name\n{second}  optional_inputs: []\n  outputs:\n    - name: arn\n      description: The ARN\n  engine_configs:\n    terraform:\n      module_source: acme/sqs/aws\n      module_version: \"1.0.0\"\n"
    )
}

#[test]
fn a_version_that_cannot_be_bumped_says_so_instead_of_wrapping() {
    let catalog = TestCatalog::empty();
    catalog
        .write("teams.yaml", TEAM)
        .write("queue/max.yaml", definition("18446744073709551615.0.0", false))
        .write("queue/max-next.yaml", definition("18446744073709551615.0.1", true));
    let run = catalog.cairn(&["check"]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(run.stdout.contains("version-bump-too-small"), "{}", run.stdout);
    assert!(!run.stdout.contains("as 0.0.0"), "{}", run.stdout);
    assert!(run.stdout.contains("cannot be bumped"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("rejected was valid"),
        "no doubled witness: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("e.g. a claim without `zone` was valid"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_config_that_is_not_utf8_is_reported_in_the_format_asked_for() {
    let catalog = team_and_service();
    catalog.write("cairn.yaml", b"site:\n  title: caf\xe9\n".as_slice());
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.status, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.diagnostics(),
        [("non-utf8".to_string(), "cairn.yaml".to_string(), 2)]
    );
}

#[test]
fn a_build_killed_between_its_renames_gets_its_output_back() {
    let catalog = team_and_service();
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let dist = catalog.path().join("dist");
    let before = std::fs::read(dist.join("index.html")).unwrap();
    // What a kill between "old aside" and "new in" leaves behind (the
    // fallback swap, where the file system cannot exchange), plus a
    // killed build's staging directory.
    let trash = catalog.path().join(".cairn-old-dist-Ab12Cd");
    std::fs::create_dir_all(&trash).unwrap();
    std::fs::rename(&dist, trash.join("previous")).unwrap();
    std::fs::create_dir_all(catalog.path().join(".cairn-build-dist-Zz9Yy8/api")).unwrap();
    // The next build has errors, so it writes nothing; the previous output
    // is back anyway, and the leftovers are gone.
    catalog.write("broken.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\n");
    let broken = catalog.cairn(&["build"]);
    assert_eq!(broken.status, 1);
    assert_eq!(std::fs::read(dist.join("index.html")).unwrap(), before);
    let leftovers: Vec<String> = std::fs::read_dir(catalog.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cairn-"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
    // And a good build swaps in with nothing left beside it.
    std::fs::remove_file(catalog.path().join("broken.yaml")).unwrap();
    assert_eq!(catalog.cairn(&["build"]).status, 0);
    let names: Vec<String> = std::fs::read_dir(catalog.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cairn-"))
        .collect();
    assert_eq!(names, Vec::<String>::new());
}
