//! `cairn publish` against a local S3 and CloudFront (moto's server): only
//! what changed is uploaded, removed files are deleted last, headers are
//! right, an interrupted publish is completed by the next, and bad targets
//! or credentials change nothing.

use std::collections::BTreeMap;
use std::path::Path;

use crate::aws::{block_on, Moto, ENV};
use crate::harness::{run, Run, TestCatalog};

const BUCKET: &str = "portal-site";

fn publish(catalog: &TestCatalog, moto: &Moto, args: &[&str]) -> Run {
    let mut full = vec!["publish", "--endpoint-url", moto.endpoint.as_str()];
    full.extend_from_slice(args);
    let mut command = catalog.command(&full);
    command
        .envs(ENV)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    run(&mut command)
}

fn create_bucket(moto: &Moto) {
    block_on(moto.s3().create_bucket().bucket(BUCKET).send()).unwrap();
}

/// Key → ETag (without quotes) of every object in the bucket.
fn objects(moto: &Moto) -> BTreeMap<String, String> {
    block_on(async {
        let mut objects = BTreeMap::new();
        let mut pages = moto.s3().list_objects_v2().bucket(BUCKET).into_paginator().send();
        while let Some(page) = pages.next().await {
            for object in page.unwrap().contents() {
                objects.insert(
                    object.key().unwrap().to_string(),
                    object.e_tag().unwrap().trim_matches('"').to_string(),
                );
            }
        }
        objects
    })
}

/// Relative path → MD5 of every file in a built site.
fn site(dist: &Path) -> BTreeMap<String, String> {
    cairn::publish::scan_site(dist)
        .unwrap()
        .into_iter()
        .map(|f| (f.relative, f.md5))
        .collect()
}

fn with_prefix(prefix: &str, files: BTreeMap<String, String>) -> BTreeMap<String, String> {
    files.into_iter().map(|(k, v)| (format!("{prefix}{k}"), v)).collect()
}

/// `N uploaded, N deleted, N unchanged` from publish's output.
fn counts(run: &Run) -> (usize, usize, usize) {
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("published to"))
        .unwrap_or_else(|| {
            panic!("no summary line:\n{}\n{}", run.stdout, run.stderr);
        });
    let numbers: Vec<usize> = line
        .split(": ")
        .nth(1)
        .unwrap()
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    (numbers[0], numbers[1], numbers[2])
}

const CHECKOUT: &str = "catalog/services/checkout-service.yaml";

#[test]
fn publish_uploads_the_site_then_only_what_changed_and_deletes_what_is_gone() {
    let moto = Moto::start();
    create_bucket(&moto);
    let catalog = TestCatalog::demo();

    let first = publish(&catalog, &moto, &["--to", "s3://portal-site/portal"]);
    assert_eq!(first.status, 0, "{}\n{}", first.stdout, first.stderr);
    let (uploaded, deleted, unchanged) = counts(&first);
    assert!(uploaded > 100, "{}", first.stdout);
    assert_eq!((deleted, unchanged), (0, 0));
    assert!(
        !first.stderr.contains("warning"),
        "the prefix sets the base URL: {}",
        first.stderr
    );

    // What is in the bucket is exactly the build for /portal/.
    let dist = catalog.path().join("dist");
    let build = catalog.cairn(&["build", "--base-url", "/portal/", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    assert_eq!(objects(&moto), with_prefix("portal/", site(&dist)));

    // Headers by kind of file.
    let head = |key: &str| block_on(moto.s3().head_object().bucket(BUCKET).key(key).send()).unwrap();
    let status = head("portal/api/v1/status.json");
    assert_eq!(status.content_type(), Some("application/json; charset=utf-8"));
    assert_eq!(status.cache_control(), Some("public, max-age=60, must-revalidate"));

    // Nothing changed: nothing uploaded.
    let again = publish(&catalog, &moto, &["--to", "s3://portal-site/portal/"]);
    assert_eq!(counts(&again), (0, 0, uploaded), "{}", again.stdout);

    // One service changes, one is removed.
    let text = std::fs::read_to_string(catalog.path().join(CHECKOUT)).unwrap();
    catalog.write(
        CHECKOUT,
        text.replacen("description: ", "description: Now with gift cards. ", 1),
    );
    std::fs::remove_file(catalog.path().join("catalog/services/warehouse-portal.yaml")).unwrap();
    let changed = publish(&catalog, &moto, &["--to", "s3://portal-site/portal"]);
    assert_eq!(changed.status, 0, "{}", changed.stderr);
    let (uploaded_now, deleted_now, unchanged_now) = counts(&changed);
    // The service's files (its API files and its Backstage entity), the
    // lists, the search shards the change touched and what summarises
    // every service (the scorecard, the export).
    assert!(
        (1..=96).contains(&uploaded_now),
        "only the affected files: {}",
        changed.stdout
    );
    assert!(deleted_now >= 1, "{}", changed.stdout);
    assert!(unchanged_now > 100);
    let remote = objects(&moto);
    assert!(!remote.keys().any(|k| k.contains("warehouse-portal")), "{remote:#?}");
    let build = catalog.cairn(&["build", "--base-url", "/portal/", "--out", "dist"]);
    assert_eq!(build.status, 0);
    assert_eq!(remote, with_prefix("portal/", site(&dist)));
}

#[test]
fn an_interrupted_publish_leaves_the_old_site_whole_and_the_next_completes_it() {
    let moto = Moto::start();
    create_bucket(&moto);
    let catalog = TestCatalog::demo();
    let old = publish(&catalog, &moto, &["--to", "s3://portal-site"]);
    assert_eq!(old.status, 0, "{}", old.stderr);
    let old_objects = objects(&moto);

    // The next version of the site…
    std::fs::remove_file(catalog.path().join("catalog/services/warehouse-portal.yaml")).unwrap();
    let text = std::fs::read_to_string(catalog.path().join(CHECKOUT)).unwrap();
    catalog.write(
        CHECKOUT,
        text.replacen("description: ", "description: Interrupted. ", 1),
    );
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    let dist = catalog.path().join("dist");
    let new_site = site(&dist);

    // …of which a publish got half the uploads out before it died: as
    // uploads come before deletes, every old object is still there.
    let changed: Vec<_> = new_site
        .iter()
        .filter(|(k, md5)| old_objects.get(*k) != Some(md5))
        .collect();
    assert!(changed.len() >= 2, "{changed:?}");
    for (relative, _) in &changed[..changed.len() / 2] {
        let body = std::fs::read(dist.join(relative)).unwrap();
        block_on(
            moto.s3()
                .put_object()
                .bucket(BUCKET)
                .key(*relative)
                .body(body.into())
                .send(),
        )
        .unwrap();
    }
    let half = objects(&moto);
    assert!(
        old_objects.keys().all(|k| half.contains_key(k)),
        "nothing of the live site is missing"
    );

    let next = publish(
        &catalog,
        &moto,
        &["--to", "s3://portal-site", "--dist", dist.to_str().unwrap()],
    );
    assert_eq!(next.status, 0, "{}", next.stderr);
    let (uploaded, deleted, _) = counts(&next);
    assert_eq!(uploaded, changed.len() - changed.len() / 2, "{}", next.stdout);
    assert!(deleted >= 1);
    assert_eq!(objects(&moto), new_site);
}

#[test]
fn changed_paths_are_invalidated_in_cloudfront() {
    let moto = Moto::start();
    create_bucket(&moto);
    let distribution = create_distribution(&moto);
    let catalog = TestCatalog::demo();
    let to = [
        "--to",
        "s3://portal-site/portal/",
        "--cloudfront-distribution-id",
        distribution.as_str(),
    ];
    let first = publish(&catalog, &moto, &to);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(
        !first.stdout.contains("invalidation"),
        "new objects need no invalidation: {}",
        first.stdout
    );

    let text = std::fs::read_to_string(catalog.path().join(CHECKOUT)).unwrap();
    catalog.write(
        CHECKOUT,
        text.replacen("description: ", "description: Cached no more. ", 1),
    );
    let second = publish(&catalog, &moto, &to);
    assert_eq!(second.status, 0, "{}", second.stderr);
    let line = second
        .stdout
        .lines()
        .find(|l| l.starts_with("invalidation"))
        .expect(&second.stdout);
    let found = boto3(
        &moto,
        &format!(
            "items = cf.list_invalidations(DistributionId='{distribution}')['InvalidationList'].get('Items', [])
batches = [cf.get_invalidation(DistributionId='{distribution}', Id=i['Id'])['Invalidation'] for i in items]
print(json.dumps([[b['Id'], b['InvalidationBatch']['Paths'].get('Items', [])] for b in batches]))"
        ),
    );
    let found: Vec<(String, Vec<String>)> = serde_json::from_str(&found).unwrap();
    assert_eq!(found.len(), 1, "one invalidation per publish: {found:?}");
    let (id, paths) = &found[0];
    assert!(line.contains(id.as_str()), "{line}");
    assert!(
        *paths == ["/portal/*"] || paths.iter().any(|p| p.contains("checkout-service")),
        "{paths:?}"
    );
    assert!(paths.iter().all(|p| p.starts_with("/portal/")), "{paths:?}");
}

/// Runs Python with boto3 (installed with moto) against the emulator: moto
/// answers CreateDistribution in a shape the Rust SDK does not parse, so
/// the test sets CloudFront up and reads it back with AWS's Python SDK.
fn boto3(moto: &Moto, script: &str) -> String {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/venv/bin/python");
    let mut command = std::process::Command::new(python);
    command
        .args(["-c", &format!("import boto3, json\ncf = boto3.client('cloudfront', region_name='us-east-1', endpoint_url='{}')\n{script}", moto.endpoint)])
        .envs(ENV);
    let run = run(&mut command);
    assert_eq!(run.status, 0, "{}", run.stderr);
    run.stdout.trim().to_string()
}

fn create_distribution(moto: &Moto) -> String {
    boto3(
        moto,
        "config = {'CallerReference': 'cairn-test', 'Comment': 'cairn test', 'Enabled': True,
    'Origins': {'Quantity': 1, 'Items': [{'Id': 'site', 'DomainName': 'portal-site.s3.amazonaws.com',
        'S3OriginConfig': {'OriginAccessIdentity': ''}}]},
    'DefaultCacheBehavior': {'TargetOriginId': 'site', 'ViewerProtocolPolicy': 'redirect-to-https',
        'ForwardedValues': {'QueryString': False, 'Cookies': {'Forward': 'none'}}, 'MinTTL': 0}}
print(cf.create_distribution(DistributionConfig=config)['Distribution']['Id'])",
    )
}

#[test]
fn without_credentials_publish_fails_with_exit_2_and_changes_nothing() {
    let moto = Moto::start();
    create_bucket(&moto);
    let catalog = TestCatalog::demo();
    let home = tempfile::tempdir().unwrap();
    let mut command = catalog.command(&["publish", "--to", "s3://portal-site", "--endpoint-url", &moto.endpoint]);
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1");
    let failed = run(&mut command);
    assert_eq!(failed.status, 2, "{}\n{}", failed.stdout, failed.stderr);
    assert!(failed.stderr.contains("no AWS credentials"), "{}", failed.stderr);
    assert!(
        failed.stderr.contains("AWS_ACCESS_KEY_ID"),
        "says how to fix it: {}",
        failed.stderr
    );
    assert!(objects(&moto).is_empty());
}

#[test]
fn a_missing_bucket_fails_with_exit_2() {
    let moto = Moto::start();
    let catalog = TestCatalog::demo();
    let failed = publish(&catalog, &moto, &["--to", "s3://no-such-bucket/portal"]);
    assert_eq!(failed.status, 2, "{}\n{}", failed.stdout, failed.stderr);
    assert!(
        failed.stderr.contains("bucket `no-such-bucket` does not exist"),
        "{}",
        failed.stderr
    );
}

#[test]
fn a_site_built_for_another_path_is_published_with_a_warning() {
    let moto = Moto::start();
    create_bucket(&moto);
    let catalog = TestCatalog::demo();
    assert_eq!(catalog.cairn(&["build", "--out", "dist"]).status, 0);
    let dist = catalog.path().join("dist");
    let run = publish(
        &catalog,
        &moto,
        &["--to", "s3://portal-site/portal", "--dist", dist.to_str().unwrap()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: the site was built for base URL `/` but is published under `/portal/`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--base-url /portal/"), "{}", run.stderr);
}

#[test]
fn a_dry_run_changes_nothing() {
    let moto = Moto::start();
    create_bucket(&moto);
    let catalog = TestCatalog::demo();
    let run = publish(&catalog, &moto, &["--to", "s3://portal-site", "--dry-run"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("upload index.html") || run.stdout.contains("upload api/v1/status.json"));
    assert!(run.stdout.contains("0 to delete, 0 unchanged"), "{}", run.stdout);
    assert!(objects(&moto).is_empty());
}

#[test]
fn a_catalog_with_errors_is_not_published() {
    let moto = Moto::start();
    create_bucket(&moto);
    let catalog = TestCatalog::demo();
    catalog.write(
        "catalog/services/broken.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: broken}\n",
    );
    let run = publish(&catalog, &moto, &["--to", "s3://portal-site"]);
    assert_eq!(run.status, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(objects(&moto).is_empty());
}
