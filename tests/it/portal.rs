//! The portal in headless Chromium (Debian's `chromium`, driven by
//! playwright-core from `tests/browser/`; `scripts/test.sh` installs both):
//! the demo catalog plus a hostile entity, built for `/portal/` and served
//! by a plain static file server with no rewrite rules. Every page and asset
//! loads, nothing is requested from another host or outside the prefix,
//! Cmd+K finds a service through typos, the request form refuses a value
//! that breaks a pattern and writes a valid claim, and no script from the
//! catalog runs. Screenshots go to `target/test-artifacts/portal/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{run, TestCatalog};

/// Catalog text that tries every way into the page.
const HOSTILE: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile-widget
  title: "\"><script>window.__pwned='title'</script>"
  description: |
    **Bold** <script>window.__pwned='description'</script>
    <img src=x onerror="window.__pwned='img'"> {{ 7*7 }} {% raw %}
    [click](javascript:window.__pwned='md-link')
  annotations:
    acme.com/note: "<script>window.__pwned='annotation'</script>"
  links:
    - url: "javascript:window.__pwned='link'"
      title: "<b onmouseover=\"window.__pwned='link-title'\">Runbook</b>"
spec:
  type: service
  lifecycle: experimental
  owner: checkout
"#;

pub(crate) struct StaticServer(Child);

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Python's `http.server`: a plain file server, no rewrites.
pub(crate) fn serve(dir: &Path) -> (StaticServer, u16) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let server = StaticServer(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the static server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

pub(crate) fn browser_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run scripts/test.sh (npm ci in tests/browser)"
    );
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "chromium is not installed: run scripts/test.sh"
    );
    dir
}

#[test]
fn the_portal_works_from_a_sub_path_in_chromium_and_runs_no_catalog_script() {
    let browser = browser_dir();
    let catalog = TestCatalog::demo();
    catalog.write("catalog/services/hostile-widget.yaml", HOSTILE);
    let site = tempfile::tempdir().unwrap();
    let out = site.path().join("portal");
    let build = catalog.cairn(&["build", "--base-url", "/portal/", "--out", out.to_str().unwrap()]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    assert!(build.stdout.contains("warning[unsafe-link]"), "{}", build.stdout);

    // The hostile text is in the page as text.
    let html = std::fs::read_to_string(out.join("component/default/hostile-widget/index.html")).unwrap();
    assert!(!html.contains("<script>window.__pwned"), "{html}");
    assert!(
        !html.contains("onerror=") && !html.contains("href=\"javascript:"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;window.__pwned="),
        "the title is shown, escaped"
    );
    assert!(
        html.contains("{{ 7*7 }}") && html.contains("<strong>Bold</strong>"),
        "{html}"
    );

    let (_server, port) = serve(site.path());
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts/portal");
    std::fs::create_dir_all(&artifacts).unwrap();
    let node = run(Command::new("node")
        .arg(browser.join("portal.js"))
        .arg(format!("http://127.0.0.1:{port}/portal/"))
        .arg(&artifacts));
    assert_eq!(node.status, 0, "{}", node.stderr);
    let report: serde_json::Value = serde_json::from_str(&node.stdout).unwrap();
    let list = |key: &str| report[key].as_array().unwrap().clone();

    assert!(report["pages"].as_u64().unwrap() >= 90, "crawled every page: {report}");
    assert!(report["assets"].as_u64().unwrap() >= 3, "{report}");
    for key in ["failed", "external", "outside", "dialogs", "errors", "pwned"] {
        assert!(list(key).is_empty(), "{key}: {:#?}", list(key));
    }
    assert_eq!(report["phone_overflow"], false, "the service page fits a phone");

    assert_eq!(report["search_focused"], true);
    assert_eq!(report["search_role"], "combobox");
    assert_eq!(report["search_expanded"], "true");
    let first = list("search_results")[0].as_str().unwrap().to_string();
    assert!(first.starts_with("Checkout Service"), "{:?}", list("search_results"));
    assert!(report["search_opened"]
        .as_str()
        .unwrap()
        .ends_with("/portal/component/default/checkout-service/index.html"));
    assert_eq!(report["slash_opens"], true);

    let error = report["form_error"].as_str().expect("the bad value is reported");
    assert!(error.contains("pattern"), "{error}");
    assert_eq!(report["form_claim_hidden"], true);
    let claim = report["form_claim"].as_str().unwrap();
    let parsed = cairn::parse::parse_yaml("claim.yaml", claim);
    assert!(parsed.diagnostics.is_empty(), "{claim}");
    let root = parsed.documents[0].root.to_json();
    assert_eq!(root["kind"], "ResourceClaim", "{claim}");
    assert_eq!(root["spec"]["resource"], "aws-rds-postgres");
    assert_eq!(root["spec"]["owner"], "fulfillment");
    assert_eq!(root["spec"]["version"], "2.0.0", "exactly this version, by default");
    assert_eq!(root["spec"]["inputs"]["instance_class"], "db.m5.large");
    assert_eq!(root["spec"]["inputs"]["allocated_storage"], 100);
    assert_eq!(
        root["spec"]["inputs"]["engine_version"], "16.3",
        "defaults are included"
    );

    assert_eq!(report["closure_title"], "component:default/checkout-service");
    let headings = list("closure_headings");
    assert!(
        headings[0].as_str().unwrap().starts_with("Depends on ("),
        "{headings:?}"
    );
    assert!(
        headings[1].as_str().unwrap().starts_with("Depended on by ("),
        "{headings:?}"
    );
    let upstream: Vec<String> = list("closure_upstream")
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    assert!(
        upstream.contains(&"component:default/cart-service".to_string())
            && upstream.contains(&"component:default/inventory-service".to_string()),
        "the closure has direct and transitive dependencies: {upstream:?}"
    );

    for shot in ["home.png", "service.png", "service-phone.png"] {
        assert!(
            std::fs::metadata(artifacts.join(shot)).unwrap().len() > 10_000,
            "{shot}"
        );
    }
}

#[test]
fn entity_pages_link_to_their_file_for_editing() {
    let catalog = TestCatalog::demo();
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let page = |path: &str| std::fs::read_to_string(catalog.path().join("dist").join(path)).unwrap();
    assert!(page("component/default/checkout-service/index.html").contains(
        r#"<a href="https://github.com/acme/catalog/edit/main/catalog/services/checkout-service.yaml" rel="noopener noreferrer">Edit this file</a>"#
    ));

    let config = std::fs::read_to_string(catalog.path().join("cairn.yaml")).unwrap();
    let without: String = config
        .lines()
        .filter(|l| !l.contains("edit_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    catalog.write("cairn.yaml", without);
    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    assert!(!page("component/default/checkout-service/index.html").contains("Edit this file"));
}

#[test]
fn the_home_page_lists_what_changed_last_in_git() {
    let catalog = TestCatalog::demo();
    let repo = git2::Repository::init(catalog.path()).unwrap();
    let commit = |message: &str, time: i64| {
        let mut index = repo.index().unwrap();
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(time, 0)).unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &signature, &signature, message, &tree, &parents)
            .unwrap();
    };
    commit("Import the catalog", 1_700_000_000);
    let path = "catalog/services/checkout-service.yaml";
    let text = std::fs::read_to_string(catalog.path().join(path)).unwrap();
    catalog.write(path, format!("{text}\n# reviewed\n"));
    commit("Checkout <b>reviewed</b>", 1_764_547_200);

    let build = catalog.cairn(&["build", "--out", "dist"]);
    assert_eq!(build.status, 0, "{}{}", build.stdout, build.stderr);
    let home = std::fs::read_to_string(catalog.path().join("dist/index.html")).unwrap();
    let recent = home
        .split("Recently changed")
        .nth(1)
        .expect("a recently changed section");
    let first = recent.split("<li>").nth(1).unwrap();
    assert!(
        first.contains("component/default/checkout-service/index.html"),
        "{first}"
    );
    assert!(
        first.contains("2025-12-01") && first.contains("Checkout &lt;b&gt;reviewed&lt;/b&gt;"),
        "{first}"
    );
    assert_eq!(recent.split("</ul>").next().unwrap().matches("<li>").count(), 10);
}
