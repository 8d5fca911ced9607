//! `cairn build`: the JSON API bundle and the schemas land in `dist/`,
//! atomically and deterministically.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::{cairn_in, TestCatalog};

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn demo() -> TestCatalog {
    let catalog = TestCatalog::empty();
    assert_eq!(cairn_in(catalog.path(), &["init", "."]).status, 0);
    catalog
}

#[test]
fn build_writes_the_api_and_the_schemas() {
    let catalog = demo();
    let run = catalog.cairn(&["build"]);
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
    let dist = catalog.path().join("dist");
    for file in [
        "api/v1/status.json",
        "api/v1/services.json",
        "api/v1/services/default/checkout-service.json",
        "api/v1/services/default/checkout-service/dependencies.json",
        "api/v1/services/default/checkout-service/routing.json",
        "api/v1/teams.json",
        "api/v1/resources.json",
        "api/v1/resources/aws-rds-postgres/versions.json",
        "api/v1/resources/aws-rds-postgres/2.0.0.json",
        "api/v1/entities/group/default/checkout.json",
        "api/v1/openapi.json",
        "schemas/component.schema.json",
        "schemas/resource-definition.schema.json",
    ] {
        assert!(dist.join(file).is_file(), "{file} missing");
    }
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("api/v1/status.json")).unwrap()).unwrap();
    assert!(status["services"].as_u64().unwrap() >= 20);
    assert!(run.stderr.contains("wrote"), "{}", run.stderr);
}

#[test]
fn build_is_byte_identical_whatever_the_thread_count() {
    let catalog = demo();
    let build = |threads: &str, out: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["--root", catalog.path().to_str().unwrap(), "-q", "build", "--out", out])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        tree(&catalog.path().join(out))
    };
    let one = build("1", "dist-1");
    let four = build("4", "dist-4");
    assert!(!one.is_empty());
    assert!(one == four, "outputs differ between 1 and 4 threads");
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let catalog = demo();
    assert_eq!(catalog.cairn(&["-q", "build"]).status, 0);
    let before = tree(&catalog.path().join("dist"));
    catalog.write("catalog/services/broken.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: broken }\nspec: { type: service, lifecycle: production, owner: nobody }\n");
    let run = catalog.cairn(&["build"]);
    assert_eq!(run.status, 1);
    assert_eq!(tree(&catalog.path().join("dist")), before);
    let leftovers: Vec<String> = std::fs::read_dir(catalog.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cairn-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_output_directory_is_not_read_as_catalog() {
    let catalog = demo();
    assert_eq!(catalog.cairn(&["-q", "build"]).status, 0);
    // dist/ holds JSON only, but a YAML file left there must not count either.
    catalog.write(
        "dist/stray.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: stray }\nspec: {}\n",
    );
    assert_eq!(catalog.cairn(&["-q", "build"]).status, 0);
}

#[test]
fn base_url_must_be_a_path() {
    let catalog = demo();
    let run = catalog.cairn(&["build", "--base-url", "https://example.com/"]);
    assert_eq!(run.status, 2);
    let run = catalog.cairn(&["-q", "build", "--base-url", "/portal"]);
    assert_eq!(run.status, 0);
    let openapi: serde_json::Value =
        serde_json::from_slice(&std::fs::read(catalog.path().join("dist/api/v1/openapi.json")).unwrap()).unwrap();
    assert_eq!(openapi["servers"][0]["url"], "/portal/");
}

#[test]
fn definition_names_that_differ_only_in_case_are_one_definition() {
    let catalog = TestCatalog::empty();
    let version = |name: &str, v: &str| {
        format!("apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: {{ name: {name}, version: '{v}' }}\nspec: {{}}\n")
    };
    catalog
        .write("a.yaml", version("AWS-DB", "1.0.0"))
        .write("b.yaml", version("aws-db", "1.1.0"))
        .write("c.yaml", version("aws-db", "1.0.0"));
    let run = catalog.cairn(&["--format", "json", "check"]);
    assert_eq!(run.codes(), ["duplicate-version"], "1.0.0 twice, whatever the case");
    std::fs::remove_file(catalog.path().join("c.yaml")).unwrap();
    assert_eq!(catalog.cairn(&["-q", "build"]).status, 0);
    let versions: serde_json::Value = serde_json::from_slice(
        &std::fs::read(catalog.path().join("dist/api/v1/resources/aws-db/versions.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        versions["data"].as_array().unwrap().len(),
        2,
        "both versions listed under one definition"
    );
}
