//! `cairn import backstage` against a fake Backstage on 127.0.0.1 that
//! serves the entities of `../shared/corpus/backstage-examples` (read in
//! place) the way a real one does: with the fields the server adds, the
//! `$text` placeholders it resolves, one entity per ref, a bearer token to
//! check, cursors to page with, and a 429 and a 503 along the way. The
//! imported catalog must check like the originals, entity by entity, and a
//! second import must write the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};

use crate::harness::{cairn_in, corpus, run, Run, TestCatalog};

const TOKEN: &str = "bk-token-7f3e2a91";

/// The entities a Backstage would hold for the corpus: each document of a
/// `backstage.io` kind, but of two with one ref only the one cairn keeps
/// (the other is reported as `duplicate-entity`), placeholders resolved.
/// Also returns the documents left out, as (file, first line).
fn corpus_entities(duplicates: &BTreeSet<(String, u64)>) -> (Vec<Json>, BTreeSet<(String, u64)>) {
    let root = corpus();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut entities = Vec::new();
    let mut left_out = BTreeSet::new();
    for path in files {
        let display = path.strip_prefix(&root).unwrap().to_str().unwrap().to_string();
        let parsed = cairn::parse::parse_yaml(&display, &std::fs::read_to_string(&path).unwrap());
        let starts: Vec<u64> = parsed.documents.iter().map(|d| u64::from(d.root.start.line)).collect();
        for (n, document) in parsed.documents.iter().enumerate() {
            let mut entity = document.root.to_json();
            if !entity["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("backstage.io/"))
            {
                continue;
            }
            let (first, next) = (starts[n], starts.get(n + 1).copied().unwrap_or(u64::MAX));
            let duplicate = duplicates
                .iter()
                .any(|(f, line)| *f == display && (first..next).contains(line));
            if duplicate {
                left_out.insert((display.clone(), first));
                continue;
            }
            resolve_placeholders(&mut entity, path.parent().unwrap());
            entities.push(served(entity, &display));
        }
    }
    (entities, left_out)
}

/// `$text: ./file` → the file's text, as Backstage's placeholder processor
/// does (URL targets are left alone here).
fn resolve_placeholders(value: &mut Json, dir: &Path) {
    match value {
        Json::Object(map) => {
            if map.len() == 1 {
                if let Some(Json::String(target)) = map.get("$text") {
                    if !target.contains("://") {
                        *value = json!(std::fs::read_to_string(dir.join(target)).unwrap());
                        return;
                    }
                }
            }
            map.values_mut().for_each(|v| resolve_placeholders(v, dir));
        }
        Json::Array(items) => items.iter_mut().for_each(|v| resolve_placeholders(v, dir)),
        _ => {}
    }
}

/// What the server adds to an entity.
fn served(mut entity: Json, file: &str) -> Json {
    let name = entity["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let metadata = entity["metadata"].as_object_mut().unwrap();
    metadata.insert("uid".into(), json!(format!("uid-{file}-{name}")));
    metadata.insert("etag".into(), json!(format!("etag-{name}")));
    let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
    annotations["backstage.io/managed-by-location"] = json!(format!("file:/corpus/{file}"));
    annotations["backstage.io/managed-by-origin-location"] = json!("file:/corpus/all.yaml");
    let owner = entity["spec"]["owner"].as_str().map(str::to_string);
    entity["relations"] = json!(owner
        .map(|o| vec![json!({ "type": "ownedBy", "targetRef": format!("group:default/{o}") })])
        .unwrap_or_default());
    entity["status"] = json!({ "items": [] });
    entity
}

/// A fake Backstage: `/api/catalog/entities/by-query` with filters and
/// cursors (or, playing a Backstage older than 1.12, only `/entities`
/// with offsets), a bearer token, a 429 first and a 503 third.
struct Backstage {
    url: String,
    /// Every request: its path and query, and whether it carried the token.
    requests: Arc<Mutex<Vec<(String, bool)>>>,
}

impl Backstage {
    fn start(entities: Vec<Json>, by_query: bool) -> Backstage {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let requests: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
        let log = Arc::clone(&requests);
        let mut entities = entities;
        let key = |e: &Json| format!("{}:{}", e["kind"], e["metadata"]["name"]).to_lowercase();
        entities.sort_by_key(key);
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let authorized = request.headers().iter().any(|h| {
                    h.field.to_string().eq_ignore_ascii_case("authorization")
                        && h.value.as_str() == format!("Bearer {TOKEN}")
                });
                let target = request.url().to_string();
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push((target.clone(), authorized));
                    log.len() - 1
                };
                let respond = |status: u16, body: Json| {
                    let mut response = tiny_http::Response::from_string(body.to_string()).with_status_code(status);
                    if status == 429 {
                        response.add_header(tiny_http::Header::from_bytes("Retry-After", "0").unwrap());
                    }
                    response
                };
                let response = if !authorized {
                    respond(401, json!({ "error": { "name": "AuthenticationError" } }))
                } else if n == 0 {
                    respond(429, json!({ "error": "rate limited" }))
                } else if n == 2 {
                    respond(503, json!({ "error": "unavailable" }))
                } else {
                    answer(&entities, &target, by_query)
                };
                let _ = request.respond(response);
            }
        });
        Backstage { url, requests }
    }
}

fn params(target: &str) -> Vec<(String, String)> {
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8()
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

/// Backstage's filter semantics: within one `filter`, every `key=value`
/// must match (case-insensitively, on a dotted path); across them, any.
fn selected(entity: &Json, filters: &[String]) -> bool {
    filters.is_empty()
        || filters.iter().any(|filter| {
            filter.split(',').all(|condition| {
                let (path, wanted) = condition.split_once('=').unwrap();
                let value = path.split('.').fold(entity, |v, key| &v[key]);
                value.as_str().is_some_and(|v| v.eq_ignore_ascii_case(wanted))
            })
        })
}

fn answer(entities: &[Json], target: &str, by_query: bool) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let params = params(target);
    let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let limit: usize = get("limit").unwrap().parse().unwrap();
    let ok = |body: Json| tiny_http::Response::from_string(body.to_string());
    let path = target.split('?').next().unwrap();
    if by_query && path == "/api/catalog/entities/by-query" {
        // The cursor carries the offset and the filters, as Backstage's does.
        let (offset, filters): (usize, Vec<String>) = match get("cursor") {
            Some(cursor) => serde_json::from_str(&cursor).unwrap(),
            None => (
                0,
                params
                    .iter()
                    .filter(|(k, _)| k == "filter")
                    .map(|(_, v)| v.clone())
                    .collect(),
            ),
        };
        let all: Vec<&Json> = entities.iter().filter(|e| selected(e, &filters)).collect();
        let items: Vec<&Json> = all.iter().skip(offset).take(limit).copied().collect();
        let mut page_info = json!({});
        if offset + limit < all.len() {
            page_info["nextCursor"] = json!(json!([offset + limit, filters]).to_string());
        }
        return ok(json!({ "items": items, "totalItems": all.len(), "pageInfo": page_info }));
    }
    if !by_query && path == "/api/catalog/entities" {
        let filters: Vec<String> = params
            .iter()
            .filter(|(k, _)| k == "filter")
            .map(|(_, v)| v.clone())
            .collect();
        let offset: usize = get("offset").unwrap().parse().unwrap();
        let items: Vec<&Json> = entities
            .iter()
            .filter(|e| selected(e, &filters))
            .skip(offset)
            .take(limit)
            .collect();
        return ok(json!(items));
    }
    tiny_http::Response::from_string("{}").with_status_code(404)
}

fn check(root: &Path) -> Run {
    // Without the check cache: the shared corpus is read in place, never
    // written to.
    let run = cairn_in(
        root,
        &[
            "--root",
            root.to_str().unwrap(),
            "--format",
            "json",
            "check",
            "--no-cache",
        ],
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Each diagnostic's code by the entity whose document holds its line
/// (documents in `left_out` are skipped, `duplicate-entity` too: a server
/// holds one entity per ref).
fn by_entity(root: &Path, run: &Run, left_out: &BTreeSet<(String, u64)>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (code, file, line) in run.diagnostics() {
        if code == "duplicate-entity" {
            continue;
        }
        let parsed = cairn::parse::parse_yaml(&file, &std::fs::read_to_string(root.join(&file)).unwrap());
        let document = parsed
            .documents
            .iter()
            .rev()
            .find(|d| u64::from(d.root.start.line) <= line)
            .unwrap_or_else(|| panic!("{file}:{line} is in no document"));
        if left_out.contains(&(file.clone(), u64::from(document.root.start.line))) {
            continue;
        }
        let entity = document.root.to_json();
        let reference = format!(
            "{}:{}/{}",
            entity["kind"].as_str().unwrap_or_default(),
            entity["metadata"]["namespace"].as_str().unwrap_or("default"),
            entity["metadata"]["name"].as_str().unwrap_or_default()
        )
        .to_lowercase();
        out.entry(reference).or_default().push(code);
    }
    out.values_mut().for_each(|codes| codes.sort());
    out
}

/// Every file under `dir` (UTF-8: the import writes YAML and JSON).
fn tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

fn import(catalog: &TestCatalog, url: &str, args: &[&str]) -> Run {
    let mut all = vec!["import", "backstage", "--url", url, "--token-env", "BACKSTAGE_TOKEN"];
    all.extend(args);
    run(catalog.command(&all).env("BACKSTAGE_TOKEN", TOKEN))
}

#[test]
fn the_corpus_round_trips_through_a_backstage() {
    let originals = check(&corpus());
    let duplicates: BTreeSet<(String, u64)> = originals
        .diagnostics()
        .into_iter()
        .filter(|(code, ..)| code == "duplicate-entity")
        .map(|(_, file, line)| (file, line))
        .collect();
    let (entities, left_out) = corpus_entities(&duplicates);
    let served = entities.len();
    let backstage = Backstage::start(entities.clone(), true);

    let catalog = TestCatalog::empty();
    let first = import(&catalog, &backstage.url, &["--out", "catalog", "--page-size", "25"]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("note: skipped location:default/"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("retrying"),
        "the 429 and the 503 were retried: {}",
        first.stderr
    );
    let printed = first.stderr.replace(catalog.path().to_str().unwrap(), "<root>");
    insta::assert_snapshot!(regex::Regex::new(r"127\.0\.0\.1:\d+")
        .unwrap()
        .replace_all(&printed, "127.0.0.1:<port>"));
    let requests = backstage.requests.lock().unwrap().clone();
    assert!(
        requests.iter().all(|(_, token)| *token),
        "every request carries the token"
    );
    assert!(
        requests.iter().filter(|(t, _)| t.contains("cursor=")).count() >= 4,
        "{requests:#?}"
    );
    let locations = entities.iter().filter(|e| e["kind"] == "Location").count();
    assert!(
        first
            .stderr
            .contains(&format!("imported {} entities", served - locations)),
        "{}",
        first.stderr
    );

    let out = catalog.path().join("catalog");
    let files = tree(&out);
    for (path, text) in &files {
        assert!(!text.contains(TOKEN), "the token is in {path}");
        for server_side in ["uid-", "etag-", "managed-by-", "targetRef", "status:"] {
            assert!(!text.contains(server_side), "`{server_side}` in {path}");
        }
    }
    assert!(!first.stdout.contains(TOKEN) && !first.stderr.contains(TOKEN));

    // The imported catalog checks as the originals do, entity by entity.
    let imported = check(catalog.path());
    assert_eq!(imported.status, originals.status, "{}", imported.stdout);
    let expected = by_entity(&corpus(), &originals, &left_out);
    let actual = by_entity(catalog.path(), &imported, &BTreeSet::new());
    assert_eq!(actual, expected);
    assert!(!expected.is_empty(), "the corpus has known problems to compare");

    // Again over an unchanged Backstage: the same bytes, nothing written.
    let second = import(&catalog, &backstage.url, &["--out", "catalog", "--page-size", "25"]);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert!(second.stderr.contains(": 0 files written"), "{}", second.stderr);
    assert_eq!(tree(&out), files, "byte-identical");

    // A Backstage before /entities/by-query: offsets, the same files.
    let old = Backstage::start(entities, false);
    let other = TestCatalog::empty();
    let legacy = import(&other, &old.url, &["--out", "catalog", "--page-size", "40"]);
    assert_eq!(legacy.status, 0, "{}", legacy.stderr);
    assert!(
        legacy.stderr.contains("paging /entities by offset"),
        "{}",
        legacy.stderr
    );
    let mut legacy_files = tree(&other.path().join("catalog"));
    let mut files = files;
    // The manifests name their servers, on other ports.
    legacy_files.remove(".cairn-import.json");
    files.remove(".cairn-import.json");
    assert_eq!(legacy_files, files);
}

#[test]
fn filters_layouts_and_refusals() {
    let (entities, _) = corpus_entities(&BTreeSet::new());
    let backstage = Backstage::start(entities, true);
    let catalog = TestCatalog::empty();
    let teams = import(
        &catalog,
        &format!("{}/api/catalog/", backstage.url),
        &[
            "--out",
            "teams",
            "--filter",
            "kind=group",
            "--filter",
            "kind=user",
            "--layout",
            "owner",
        ],
    );
    assert_eq!(teams.status, 0, "{}", teams.stderr);
    let files = tree(&catalog.path().join("teams"));
    assert!(files.contains_key("group/default/team-a.yaml"), "{:?}", files.keys());
    for (path, text) in &files {
        if path.ends_with(".yaml") {
            assert!(
                text.lines()
                    .filter(|l| l.starts_with("kind: "))
                    .all(|l| l == "kind: Group" || l == "kind: User"),
                "{path}: {text}"
            );
        }
    }
    let filtered = backstage
        .requests
        .lock()
        .unwrap()
        .iter()
        .any(|(t, _)| t.contains("filter=kind%3Dgroup"));
    assert!(filtered, "the filters went to the server");

    let refused = run(catalog
        .command(&[
            "import",
            "backstage",
            "--url",
            &backstage.url,
            "--out",
            "refused",
            "--token-env",
            "BACKSTAGE_TOKEN",
        ])
        .env("BACKSTAGE_TOKEN", "wrong"));
    assert_eq!(refused.status, 2);
    assert!(
        refused.stderr.contains("refused the request (HTTP 401)"),
        "{}",
        refused.stderr
    );
    assert!(!catalog.path().join("refused").exists(), "nothing is written");
    let unset = run(catalog
        .command(&[
            "import",
            "backstage",
            "--url",
            &backstage.url,
            "--token-env",
            "NO_SUCH_VAR",
        ])
        .env_remove("NO_SUCH_VAR"));
    assert_eq!(unset.status, 2);
    assert!(
        unset.stderr.contains("`NO_SUCH_VAR`, which is not set"),
        "{}",
        unset.stderr
    );
}
