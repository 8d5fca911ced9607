//! `cairn notify` against a real webhook receiver on 127.0.0.1 that checks
//! every signature (HMAC-SHA256, compared in constant time), fails or
//! stalls the first attempts, and records what it accepted; the changes
//! come from a pull request merged in a real git repository built with
//! git2.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use git2::{IndexAddOption, Oid, Repository, Signature};
use hmac::{KeyInit, Mac};
use serde_json::Value as Json;

use crate::harness::{run, TestCatalog};

pub(crate) const SECRET: &str = "whsec-test-4f9a1c";

/// What the receiver accepted: delivery id → (event, body, signature ok).
type Accepted = Arc<Mutex<Vec<(String, String, Json, bool)>>>;

pub(crate) struct Receiver {
    pub(crate) url: String,
    accepted: Accepted,
    requests: Arc<Mutex<usize>>,
}

/// How the receiver treats the request numbered `n` (from 0).
#[derive(Clone, Copy)]
pub(crate) enum Behaviour {
    /// 503 for the first `n` requests, then 200.
    FailFirst(usize),
    /// The first request waits this long before its 200.
    StallFirst(Duration),
    /// Always 503.
    Down,
}

impl Receiver {
    pub(crate) fn start(behaviour: Behaviour) -> Receiver {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!(
            "http://{}/hooks/catalog?token=url-secret",
            server.server_addr().to_ip().unwrap()
        );
        let accepted: Accepted = Arc::default();
        let requests = Arc::new(Mutex::new(0));
        let (accepted_in, requests_in) = (Arc::clone(&accepted), Arc::clone(&requests));
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let n = {
                    let mut count = requests_in.lock().unwrap();
                    *count += 1;
                    *count - 1
                };
                let header = |name: &str| {
                    request
                        .headers()
                        .iter()
                        .find(|h| h.field.to_string().eq_ignore_ascii_case(name))
                        .map(|h| h.value.as_str().to_string())
                        .unwrap_or_default()
                };
                let (event, delivery, signature) = (
                    header("X-Cairn-Event"),
                    header("X-Cairn-Delivery"),
                    header("X-Cairn-Signature-256"),
                );
                let mut body = Vec::new();
                request.as_reader().read_to_end(&mut body).unwrap();
                let accepted = Arc::clone(&accepted_in);
                std::thread::spawn(move || {
                    let status = match behaviour {
                        Behaviour::FailFirst(failures) if n < failures => 503,
                        Behaviour::Down => 503,
                        Behaviour::StallFirst(wait) if n == 0 => {
                            std::thread::sleep(wait);
                            200
                        }
                        _ => 200,
                    };
                    if status == 200 {
                        let ok = verify(SECRET.as_bytes(), &body, &signature);
                        let json = serde_json::from_slice(&body).unwrap_or(Json::Null);
                        accepted.lock().unwrap().push((delivery, event, json, ok));
                    }
                    let _ = request.respond(tiny_http::Response::empty(status));
                });
            }
        });
        Receiver {
            url,
            accepted,
            requests,
        }
    }

    /// One entry per delivery id (a retried delivery keeps its id).
    pub(crate) fn deliveries(&self) -> BTreeMap<String, (String, Json, bool)> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .map(|(id, event, body, ok)| (id.clone(), (event.clone(), body.clone(), *ok)))
            .collect()
    }
}

/// How a receiver checks a delivery: the HMAC of the raw body, compared in
/// constant time (`verify_slice`), as the README shows.
fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Some(tag) = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

/// The demo catalog in a git repository, with a pull request merged.
struct Merged {
    catalog: TestCatalog,
    base: Oid,
    merge: Oid,
}

fn commit(repo: &Repository, message: &str, parents: &[Oid], update_head: bool) -> Oid {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = Signature::now("Test", "test@example.com").unwrap();
    let parents: Vec<git2::Commit> = parents.iter().map(|p| repo.find_commit(*p).unwrap()).collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    let head = update_head.then_some("HEAD");
    repo.commit(head, &signature, &signature, message, &tree, &parents)
        .unwrap()
}

fn merged_pull_request() -> Merged {
    let catalog = TestCatalog::demo();
    let repo = Repository::init(catalog.path()).unwrap();
    let base = commit(&repo, "the catalog", &[], true);
    // The pull request: an edit, a new service, a removed service and a
    // new ResourceDefinition version.
    let service = catalog.path().join("catalog/services/checkout-service.yaml");
    let text = std::fs::read_to_string(&service).unwrap();
    std::fs::write(&service, text.replace("Orchestrates checkout", "Runs checkout")).unwrap();
    catalog.write(
        "catalog/services/gift-cards.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gift-cards\nspec:\n  type: service\n  lifecycle: experimental\n  owner: checkout\n",
    );
    std::fs::remove_file(catalog.path().join("catalog/services/storefront-legacy.yaml")).unwrap();
    let latest = catalog.path().join("resource-definitions/aws-sqs-queue/1.0.0.yaml");
    let next = std::fs::read_to_string(&latest)
        .unwrap()
        .replace("\"1.0.0\"", "\"1.0.1\"");
    catalog.write("resource-definitions/aws-sqs-queue/1.0.1.yaml", next);
    let branch = commit(&repo, "gift cards", &[base], false);
    let merge = commit(
        &repo,
        "Merge pull request #42 from acme/gift-cards",
        &[base, branch],
        true,
    );
    // The merge's tree is the branch's: reset the index and work tree to it.
    let merge_commit = repo.find_commit(merge).unwrap();
    repo.reset(merge_commit.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    Merged { catalog, base, merge }
}

/// Output without what changes from run to run: commit ids (from
/// timestamps), ports, and what derives from them (delivery ids,
/// signatures, the demo documents' hashes).
fn redact(text: &str) -> String {
    [
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "<delivery>",
        ),
        (r"\b[0-9a-f]{40}\b", "<commit>"),
        (r"\b[0-9a-f]{12}\b", "<commit>"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (r"sha256=[0-9a-f]{64}", "sha256=<hmac>"),
        (r#""(version|hash)":"[0-9a-f]{16}""#, r#""$1":"<hash>""#),
    ]
    .iter()
    .fold(text.to_string(), |text, (pattern, with)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, *with)
            .into_owned()
    })
}

fn notify(merged: &Merged, args: &[&str]) -> crate::harness::Run {
    let base = merged.base.to_string();
    let mut all = vec!["notify", "--base", &base];
    all.extend(args);
    run(merged.catalog.command(&all).env("CAIRN_WEBHOOK_SECRET", SECRET))
}

#[test]
fn a_merge_gives_one_signed_delivery_per_change_through_failures() {
    let merged = merged_pull_request();
    let receiver = Receiver::start(Behaviour::FailFirst(2));
    let down = Receiver::start(Behaviour::Down);
    let run = notify(&merged, &["--to", &receiver.url, "--to", &down.url, "--retries", "2"]);
    assert_eq!(
        run.status, 1,
        "a target that keeps failing is an error:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("target 2 (http://127.0.0.1:")
            && run.stderr.contains("kept failing: HTTP 503 after 3 attempts"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!(redact(&run.stderr));
    let combined = format!("{}{}", run.stdout, run.stderr);
    assert!(!combined.contains(SECRET), "the secret is never printed");
    assert!(!combined.contains("url-secret"), "nor the URL's path and query");

    let deliveries = receiver.deliveries();
    let changes: BTreeSet<(String, String)> = deliveries
        .values()
        .map(|(event, body, _)| (event.clone(), body["ref"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        changes,
        BTreeSet::from([
            ("entity.created".into(), "component:default/gift-cards".into()),
            ("entity.deleted".into(), "component:default/storefront-legacy".into()),
            ("entity.updated".into(), "component:default/checkout-service".into()),
            (
                "resource.created".into(),
                "resourcedefinition:default/aws-sqs-queue".into()
            ),
        ])
    );
    assert_eq!(deliveries.len(), 4, "one delivery per change: {deliveries:#?}");
    for (id, (event, body, verified)) in &deliveries {
        assert!(verified, "{id}: the signature verifies");
        assert_eq!(body["event"], event.as_str());
        assert_eq!(body["commit"]["id"], merged.merge.to_string());
        assert_eq!(body["commit"]["base"], merged.base.to_string());
        assert_eq!(body["commit"]["message"], "Merge pull request #42 from acme/gift-cards");
    }
    let updated = deliveries.values().find(|(e, ..)| e == "entity.updated").unwrap();
    assert_eq!(updated.1["owner"], "checkout");
    assert_eq!(updated.1["path"], "component/default/checkout-service/index.html");
    let definition = deliveries.values().find(|(e, ..)| e == "resource.created").unwrap();
    assert_eq!(definition.1["version"], "1.0.1");
    assert_eq!(
        *receiver.requests.lock().unwrap(),
        6,
        "two failures, then four deliveries"
    );
    assert_eq!(
        *down.requests.lock().unwrap(),
        3,
        "the failing target gets one delivery's attempts, no more"
    );
}

#[test]
fn a_stalled_receiver_is_retried_and_a_dry_run_prints_the_signed_payloads() {
    let merged = merged_pull_request();
    let receiver = Receiver::start(Behaviour::StallFirst(Duration::from_secs(4)));
    let run = notify(&merged, &["--to", &receiver.url, "--timeout", "1"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no answer within 1 s"), "{}", run.stderr);
    assert!(run.stderr.contains("4 of 4 deliveries sent"), "{}", run.stderr);
    assert_eq!(
        receiver.deliveries().len(),
        4,
        "the stalled delivery came again with its id"
    );

    let human = notify(&merged, &["--dry-run"]);
    assert_eq!(human.status, 0, "{}", human.stderr);
    insta::assert_snapshot!(redact(&format!("{}{}", human.stdout, human.stderr)));

    let dry = notify(&merged, &["--dry-run", "--format", "json"]);
    assert_eq!(dry.status, 0, "{}", dry.stderr);
    let rows = dry.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let body = serde_json::to_vec(&row["body"]).unwrap();
        assert!(verify(SECRET.as_bytes(), &body, row["signature"].as_str().unwrap()));
        assert!(
            receiver.deliveries().contains_key(row["delivery"].as_str().unwrap()),
            "ids are stable"
        );
    }
    assert!(!dry.stdout.contains(SECRET));

    let unsigned = run_without_secret(&merged, &["--to", &receiver.url]);
    assert_eq!(unsigned.status, 2);
    assert!(
        unsigned.stderr.contains("CAIRN_WEBHOOK_SECRET is not set"),
        "{}",
        unsigned.stderr
    );
    let bad = notify(&merged, &["--to", "ftp://example.com/x"]);
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    let nothing = notify(
        &Merged {
            base: merged.merge,
            ..merged
        },
        &["--to", &receiver.url],
    );
    assert_eq!(nothing.status, 0);
    assert!(nothing.stderr.contains("nothing to deliver"), "{}", nothing.stderr);
}

fn run_without_secret(merged: &Merged, args: &[&str]) -> crate::harness::Run {
    let base = merged.base.to_string();
    let mut all = vec!["notify", "--base", &base];
    all.extend(args);
    run(merged.catalog.command(&all).env_remove("CAIRN_WEBHOOK_SECRET"))
}
