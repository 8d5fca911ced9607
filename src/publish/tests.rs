use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

fn target(url: &str) -> Target {
    Target::parse(url).unwrap()
}

fn file(relative: &str, md5: &str) -> LocalFile {
    LocalFile {
        relative: relative.to_string(),
        path: PathBuf::from(relative),
        md5: md5.to_string(),
    }
}

#[test]
fn prefixes_are_normalized_whatever_the_slashes() {
    for url in [
        "s3://site-bucket/portal",
        "s3://site-bucket/portal/",
        "s3://site-bucket//portal//",
    ] {
        assert_eq!(target(url).prefix, "portal/", "{url}");
    }
    assert_eq!(target("s3://site-bucket/a/b").prefix, "a/b/");
    assert_eq!(target("s3://site-bucket").prefix, "");
    assert_eq!(target("s3://site-bucket/").prefix, "");
    assert_eq!(target("s3://site-bucket/").url_path(), "/");
    assert_eq!(target("s3://site-bucket/portal").url_path(), "/portal/");
}

#[test]
fn bad_targets_are_refused_with_the_reason() {
    let error = |url: &str| Target::parse(url).unwrap_err().to_string();
    assert!(error("site-bucket/portal").contains("must be an S3 URL"));
    assert!(error("https://site-bucket").contains("must be an S3 URL"));
    assert!(error("s3://Site_Bucket/").contains("is not an S3 bucket name"));
    assert!(error("s3://ab").contains("is not an S3 bucket name"));
    assert!(error("s3://site-bucket/../other").contains("`..`"));
}

#[test]
fn the_plan_uploads_changes_and_new_files_and_deletes_the_rest_last() {
    let files = vec![
        file("api/v1/services.json", "aaaa"),
        file("index.html", "bbbb"),
        file("services/checkout.html", "cccc"),
        file("assets/app.0123abcd.js", "dddd"),
    ];
    let remote: BTreeMap<String, String> = [
        ("portal/api/v1/services.json", "\"AAAA\""),
        ("portal/index.html", "\"old\""),
        ("portal/services/gone.html", "\"eeee\""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let plan = plan(&files, &remote, &target("s3://site-bucket/portal"));
    assert_eq!(plan.unchanged, 1, "ETags compare without quotes or case");
    let order: Vec<_> = plan.upload.iter().map(|u| (u.key.as_str(), u.replaces)).collect();
    assert_eq!(
        order,
        [
            ("portal/assets/app.0123abcd.js", false),
            ("portal/services/checkout.html", false),
            ("portal/index.html", true),
        ]
    );
    assert_eq!(plan.delete, ["portal/services/gone.html"]);
    assert_eq!(
        invalidation_paths(&plan, &target("s3://site-bucket/portal")),
        ["/portal/", "/portal/index.html", "/portal/services/gone.html"]
    );
}

#[test]
fn many_changed_paths_become_one_wildcard() {
    let files: Vec<_> = (0..=MAX_INVALIDATION_PATHS)
        .map(|i| file(&format!("p{i}.json"), "new"))
        .collect();
    let remote = files
        .iter()
        .map(|f| (format!("site/{}", f.relative), "old".to_string()))
        .collect();
    let site = target("s3://site-bucket/site/");
    let plan = plan(&files, &remote, &site);
    assert_eq!(invalidation_paths(&plan, &site), ["/site/*"]);
}

#[test]
fn hashed_assets_are_immutable_and_pages_are_short_lived() {
    assert_eq!(
        cache_control("assets/app.3f9a1c2e.js"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        cache_control("assets/style.0123456789abcdef.css"),
        "public, max-age=31536000, immutable"
    );
    for short in [
        "index.html",
        "api/v1/services.json",
        "assets/app.js",
        "v1.2.3.json",
        "a.cafe.js",
    ] {
        assert_eq!(cache_control(short), "public, max-age=60, must-revalidate", "{short}");
    }
}

#[test]
fn content_types_come_from_the_extension() {
    assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    assert_eq!(content_type("api/v1/services.json"), "application/json; charset=utf-8");
    assert_eq!(content_type("assets/app.1234abcd.js"), "text/javascript; charset=utf-8");
    assert_eq!(content_type("assets/style.css"), "text/css; charset=utf-8");
    assert_eq!(content_type("img/logo.svg"), "image/svg+xml");
    assert_eq!(content_type("data.bin"), "application/octet-stream");
}

#[test]
fn a_base_url_that_does_not_match_the_prefix_is_a_warning() {
    assert_eq!(base_url_mismatch("/portal/", &target("s3://site-bucket/portal")), None);
    assert_eq!(base_url_mismatch("/", &target("s3://site-bucket")), None);
    let warning = base_url_mismatch("/", &target("s3://site-bucket/portal")).unwrap();
    assert!(warning.contains("--base-url /portal/"), "{warning}");
}

#[test]
fn a_directory_that_is_not_a_build_is_not_published() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>hi</p>").unwrap();
    let error = scan_site(dir.path()).unwrap_err().to_string();
    assert!(error.contains("is not a cairn build"), "{error}");
}
