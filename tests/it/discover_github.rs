//! `cairn discover github` against a fake GitHub on 127.0.0.1: a
//! `tiny_http` server answering the GraphQL queries the scanner makes
//! (repositories, the refresh listing, `nodes(ids:)`, teams and a team's
//! further members) with GitHub's documented response shapes, cursor
//! pagination, and scripted faults (a 403 rate limit with a reset, 502s).
//! It counts requests and records the `Authorization` headers it saw.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::harness::{run, Run, TestCatalog};

const TOKEN: &str = "ghp_test_secret_0123456789abcdefSECRET";
const ORG: &str = "acme";

/// What a scripted request gets instead of its answer.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// 403 with `X-RateLimit-Remaining: 0` and a reset one second ahead.
    RateLimited,
    /// 502 Bad Gateway, once.
    BadGateway,
    /// 502 Bad Gateway, every time.
    AlwaysBadGateway,
    /// 403 secondary rate limit with `Retry-After: 1`.
    Secondary,
    /// 403 secondary rate limit without `Retry-After` (the client backs
    /// off 60 units).
    SecondaryNoRetryAfter,
    /// 401 whose message echoes the `Authorization` header it got.
    EchoAuthorization,
}

#[derive(Default)]
struct World {
    /// Full repository nodes, newest push first.
    repos: Vec<Value>,
    teams: Vec<Value>,
    /// `kind:page` → faults to serve, in order, before answering.
    faults: HashMap<String, VecDeque<Fault>>,
    /// `kind:page` of every request, in order.
    log: Vec<String>,
    /// `ids` of every `nodes(ids:)` request.
    fetched_ids: Vec<Vec<String>>,
    authorizations: Vec<Option<String>>,
}

struct FakeGitHub {
    url: String,
    world: Arc<Mutex<World>>,
    server: Arc<tiny_http::Server>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

impl FakeGitHub {
    fn start(world: World) -> FakeGitHub {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let world = Arc::new(Mutex::new(world));
        let (serving, shared) = (server.clone(), world.clone());
        std::thread::spawn(move || {
            for mut request in serving.incoming_requests() {
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                let authorization = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.as_str().to_string());
                let (status, headers, text) =
                    if request.url() == "/graphql" && *request.method() == tiny_http::Method::Post {
                        let mut world = shared.lock().unwrap();
                        world.authorizations.push(authorization.clone());
                        answer(&mut world, &body, authorization.as_deref().unwrap_or(""))
                    } else {
                        (404, vec![], json!({"message": "Not Found"}).to_string())
                    };
                let mut response = tiny_http::Response::from_string(text).with_status_code(status);
                for (name, value) in headers
                    .into_iter()
                    .chain([("Content-Type".to_string(), "application/json".to_string())])
                {
                    response.add_header(tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap());
                }
                let _ = request.respond(response);
            }
        });
        FakeGitHub { url, world, server }
    }

    fn log(&self) -> Vec<String> {
        self.world.lock().unwrap().log.clone()
    }

    fn requests(&self) -> usize {
        self.world.lock().unwrap().log.len()
    }
}

type Answer = (u16, Vec<(String, String)>, String);

/// One GraphQL request: which query it is, which page, and its answer.
fn answer(world: &mut World, body: &str, authorization: &str) -> Answer {
    let request: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let query = request["query"].as_str().unwrap_or_default();
    let variables = &request["variables"];
    let offset: usize = variables["cursor"]
        .as_str()
        .and_then(|c| c.strip_prefix("cursor:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let kind = if query.contains("nodes(ids:") {
        "nodes"
    } else if query.contains("team(slug:") {
        "team"
    } else if query.contains("teams(first") {
        "teams"
    } else if query.contains("fragment Repo") {
        "repos"
    } else {
        "list"
    };
    let key = format!("{kind}:{}", offset / 100 + 1);
    world.log.push(key.clone());
    if let Some(faults) = world.faults.get_mut(&key) {
        let fault = match faults.front().copied() {
            Some(Fault::AlwaysBadGateway) => Some(Fault::AlwaysBadGateway),
            _ => faults.pop_front(),
        };
        match fault {
            Some(Fault::RateLimited) => {
                let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 1;
                return (
                    403,
                    vec![
                        ("X-RateLimit-Limit".into(), "5000".into()),
                        ("X-RateLimit-Remaining".into(), "0".into()),
                        ("X-RateLimit-Reset".into(), reset.to_string()),
                    ],
                    json!({"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}).to_string(),
                );
            }
            Some(Fault::Secondary) => {
                let message = json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."});
                return (403, vec![("Retry-After".into(), "1".into())], message.to_string());
            }
            Some(Fault::SecondaryNoRetryAfter) => {
                let message = json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."});
                return (403, vec![], message.to_string());
            }
            Some(Fault::EchoAuthorization) => {
                return (
                    401,
                    vec![],
                    json!({"message": format!("Bad credentials: {authorization}")}).to_string(),
                );
            }
            Some(Fault::BadGateway | Fault::AlwaysBadGateway) => {
                return (502, vec![], "<html><body><h1>502 Bad Gateway</h1></body></html>".into());
            }
            None => {}
        }
    }
    if variables["org"].as_str().is_some_and(|org| org != ORG) {
        let errors = json!([{"type": "NOT_FOUND", "path": ["organization"], "message": format!("Could not resolve to an Organization with the login of '{}'.", variables["org"].as_str().unwrap_or(""))}]);
        return (
            200,
            vec![],
            json!({"data": {"organization": null}, "errors": errors}).to_string(),
        );
    }
    let data = match kind {
        "repos" | "list" => {
            let wanted: Vec<&Value> = world
                .repos
                .iter()
                .filter(|r| variables["isArchived"] != json!(false) || r["isArchived"] == json!(false))
                .filter(|r| variables["isFork"] != json!(false) || r["isFork"] == json!(false))
                .collect();
            let nodes: Vec<Value> = wanted
                .iter()
                .skip(offset)
                .take(100)
                .map(|r| if kind == "list" { listing(r) } else { (*r).clone() })
                .collect();
            let mut connection = page(nodes, offset, wanted.len());
            connection["totalCount"] = json!(wanted.len());
            json!({"organization": {"repositories": connection}})
        }
        "nodes" => {
            let ids: Vec<String> = variables["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_string())
                .collect();
            let nodes: Vec<Value> = ids
                .iter()
                .map(|id| {
                    world
                        .repos
                        .iter()
                        .find(|r| r["id"] == json!(id))
                        .cloned()
                        .unwrap_or(Value::Null)
                })
                .collect();
            world.fetched_ids.push(ids);
            json!({"nodes": nodes})
        }
        "teams" => {
            let nodes: Vec<Value> = world
                .teams
                .iter()
                .skip(offset)
                .take(100)
                .map(|team| {
                    // Every team but team-0 is a child of team-0.
                    let parent = (team["slug"] != "team-0").then(|| json!({ "slug": "team-0" }));
                    json!({
                        "slug": team["slug"],
                        "name": team["name"],
                        "parentTeam": parent,
                        "members": page(logins(&team["members"]).into_iter().take(100).collect(), 0, team["members"].as_array().unwrap().len()),
                        "repositories": page(names(&team["repos"]), 0, team["repos"].as_array().unwrap().len()),
                    })
                })
                .collect();
            json!({"organization": {"teams": page(nodes, offset, world.teams.len())}})
        }
        _ => {
            let team = world.teams.iter().find(|t| t["slug"] == variables["slug"]).unwrap();
            let all = logins(&team["members"]);
            let total = all.len();
            let members: Vec<Value> = all.into_iter().skip(offset).take(100).collect();
            json!({"organization": {"team": {"members": page(members, offset, total)}}})
        }
    };
    (200, vec![], json!({ "data": data }).to_string())
}

/// A connection page: nodes and `pageInfo`.
fn page(nodes: Vec<Value>, offset: usize, total: usize) -> Value {
    let end = offset + nodes.len();
    json!({
        "pageInfo": { "hasNextPage": end < total, "endCursor": format!("cursor:{end}") },
        "nodes": nodes,
    })
}

fn logins(members: &Value) -> Vec<Value> {
    members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            // Profiles as GitHub returns them: a name, and a public email
            // only for some.
            let login = m.as_str().unwrap();
            let email = login.ends_with('0').then(|| format!("{login}@acme.example"));
            json!({ "login": login, "name": format!("Name of {login}"), "email": email })
        })
        .collect()
}

fn names(repos: &Value) -> Vec<Value> {
    repos
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"nameWithOwner": r}))
        .collect()
}

/// What the refresh listing asks for.
fn listing(repo: &Value) -> Value {
    json!({
        "id": repo["id"], "nameWithOwner": repo["nameWithOwner"], "pushedAt": repo["pushedAt"],
        "isArchived": repo["isArchived"], "isFork": repo["isFork"],
    })
}

/// `i` hours before 2026-10-28T23:00Z (so a higher `i` is older).
fn hours_ago(i: usize) -> String {
    format!("2026-10-{:02}T{:02}:00:00Z", 28 - i / 24, 23 - i % 24)
}

/// Repository `i` as GitHub's GraphQL answers the scanner's fragment.
fn repo(i: usize, pushed_at: &str) -> Value {
    let blob = |text: String| json!({ "text": text });
    let codeowners = format!("* @{ORG}/team-{}\n/docs/ @{ORG}/writers\n", i % 7);
    let workflow = format!(
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2\n        with:\n          service: svc-{i}\n          cluster: prod\n"
    );
    let mut top = vec![
        json!({"name": "README.md", "type": "blob", "object": {}}),
        json!({"name": "src", "type": "tree", "object": {"entries": [
            {"name": "main.rs", "type": "blob"}, {"name": "api", "type": "tree"}
        ]}}),
        json!({"name": "docs", "type": "tree", "object": {"entries": [{"name": "guide.md", "type": "blob"}]}}),
    ];
    if i.is_multiple_of(5) {
        top.push(json!({"name": "catalog-info.yaml", "type": "blob", "object": {}}));
    }
    let commit = |date: &str, n: usize| json!({"committedDate": date, "author": {"email": format!("Dev{n}@Acme.com"), "user": if n == 3 { Value::Null } else { json!({"login": format!("dev{n}")}) }}});
    json!({
        "id": format!("R_{i}"),
        "nameWithOwner": format!("{ORG}/svc-{i:03}"),
        "pushedAt": pushed_at,
        "isArchived": false,
        "isFork": false,
        "languages": {"edges": [
            {"size": 1000 + i, "node": {"name": if i.is_multiple_of(2) { "Rust" } else { "Go" }}},
            {"size": 120, "node": {"name": "Shell"}}
        ]},
        "codeowners0": if i.is_multiple_of(3) { blob(codeowners.clone()) } else { Value::Null },
        "codeowners1": if i % 3 == 1 { blob(codeowners) } else { Value::Null },
        "codeowners2": Value::Null,
        "readme": blob(format!("# svc-{i}\n\n[![ci](https://x/badge.svg)](https://x)\n\nService number {i} of acme.\n")),
        "workflows": if i.is_multiple_of(4) { json!({"entries": [{"name": "deploy.yml", "object": {"text": workflow}}, {"name": "README", "object": {"text": "x"}}]}) } else { Value::Null },
        "tree": {"entries": top},
        "defaultBranchRef": {"target": {
            "committedDate": pushed_at,
            "history": {"nodes": [commit(pushed_at, i % 4), commit("2026-09-20T00:00:00Z", (i + 1) % 4), commit("2025-01-01T00:00:00Z", 2)]}
        }}
    })
}

/// An organisation of `active` repositories, plus `archived` archived ones
/// and `forks` forks mixed in, and `teams` teams (from 40 teams on, team-0 has 130
/// members, more than a page).
fn world(active: usize, archived: usize, forks: usize, teams: usize) -> World {
    let mut repos: Vec<Value> = (0..active).map(|i| repo(i, &hours_ago(i))).collect();
    for k in 0..archived + forks {
        let i = active + k;
        let mut node = repo(i, &hours_ago(k * 7 + 3));
        node[if k < archived { "isArchived" } else { "isFork" }] = json!(true);
        repos.push(node);
    }
    repos.sort_by(|a, b| {
        b["pushedAt"]
            .as_str()
            .cmp(&a["pushedAt"].as_str())
            .then(a["id"].as_str().cmp(&b["id"].as_str()))
    });
    let teams = (0..teams)
        .map(|k| {
            let members: Vec<String> = (0..if k == 0 && teams >= 40 { 130 } else { 2 }).map(|m| format!("user-{:03}", (k + m) % 200)).collect();
            json!({
                "slug": format!("team-{k}"),
                "name": format!("Team {k}"),
                "members": members,
                "repos": [format!("{ORG}/svc-{:03}", k % active.max(1)), format!("{ORG}/svc-{:03}", (k + 1) % active.max(1))],
            })
        })
        .collect();
    World {
        repos,
        teams,
        ..World::default()
    }
}

/// `cairn discover github` against the fake, with the token set.
fn discover(catalog: &TestCatalog, github: &FakeGitHub, extra: &[&str]) -> Run {
    let mut args = vec![
        "discover",
        "github",
        "--org",
        ORG,
        "--api-url",
        &github.url,
        "--backoff-ms",
        "10",
    ];
    args.extend_from_slice(extra);
    let mut command = catalog.command(&args);
    command.env("GITHUB_TOKEN", TOKEN);
    let run = run(&mut command);
    assert_no_token(catalog.path(), &run);
    run
}

/// The token is in no output and no file.
fn assert_no_token(root: &Path, run: &Run) {
    assert!(!run.stdout.contains(TOKEN), "token in stdout");
    assert!(!run.stderr.contains(TOKEN), "token in stderr");
    for entry in walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(!text.contains(TOKEN), "token in {}", entry.path().display());
    }
}

fn facts(catalog: &TestCatalog) -> Value {
    serde_json::from_slice(&std::fs::read(catalog.path().join("discovered/github.json")).unwrap()).unwrap()
}

fn scan(catalog: &TestCatalog) -> Value {
    serde_json::from_slice(&std::fs::read(catalog.path().join("discovered/github.scan.json")).unwrap()).unwrap()
}

fn assert_schema_valid(facts: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../../schemas/facts.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(facts).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "facts do not match the schema: {errors:#?}");
}

#[test]
fn a_150_repo_org_over_two_pages_with_paginated_teams() {
    let github = FakeGitHub::start(world(150, 3, 2, 105));
    let catalog = TestCatalog::empty();
    let first = discover(&catalog, &github, &[]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    // Two pages of repositories, two of teams, one more for team-0's members.
    assert_eq!(github.log(), ["repos:1", "repos:2", "teams:1", "team:2", "teams:2"]);
    let authorizations = github.world.lock().unwrap().authorizations.clone();
    assert!(authorizations
        .iter()
        .all(|a| a.as_deref() == Some(format!("Bearer {TOKEN}").as_str())));

    let facts = facts(&catalog);
    assert_schema_valid(&facts);
    let repos = facts["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 150, "archived repositories and forks are left out");
    assert!(repos.iter().all(|r| r["slug"].as_str().unwrap() < "acme/svc-150"));
    let teams = facts["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 105);
    let team0 = teams.iter().find(|t| t["slug"] == "team-0").unwrap();
    assert_eq!(team0["members"].as_array().unwrap().len(), 130);
    // Org data for the build's Groups and Users: the org, each team's
    // parent, and every member's profile (also those of the member pages).
    assert_eq!(facts["org"], "acme");
    assert_eq!(team0.get("parent"), None);
    let team1 = teams.iter().find(|t| t["slug"] == "team-1").unwrap();
    assert_eq!(team1["parent"], "team-0");
    let users = facts["users"].as_array().unwrap();
    let logins: std::collections::BTreeSet<&str> = teams
        .iter()
        .flat_map(|t| t["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()))
        .collect();
    assert_eq!(users.len(), logins.len(), "every member once");
    let user = users.iter().find(|u| u["login"] == "user-120").unwrap();
    assert_eq!(user["name"], "Name of user-120");
    assert_eq!(user["email"], "user-120@acme.example");
    assert_eq!(
        users.iter().find(|u| u["login"] == "user-121").unwrap().get("email"),
        None
    );
    let scan = scan(&catalog);
    assert_eq!(scan["requests"], 5);
    assert_eq!(scan["mode"], "full");
    let sample = json!({
        "format": facts["format"],
        "source": facts["source"],
        "repos": repos[..4],
        "teams": teams.iter().filter(|t| t["slug"] == "team-1" || t["slug"] == "team-104").collect::<Vec<_>>(),
    });
    insta::assert_snapshot!(serde_json::to_string_pretty(&sample).unwrap());

    // Again with nothing changed: a refresh, identical bytes.
    let bytes = std::fs::read(catalog.path().join("discovered/github.json")).unwrap();
    let again = discover(&catalog, &github, &[]);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read(catalog.path().join("discovered/github.json")).unwrap(),
        bytes
    );
    // And a full re-read.
    let full = discover(&catalog, &github, &["--full"]);
    assert_eq!(full.status, 0, "{}", full.stderr);
    assert_eq!(
        std::fs::read(catalog.path().join("discovered/github.json")).unwrap(),
        bytes
    );
}

#[test]
fn a_rate_limit_waits_for_the_reset() {
    let mut world = world(5, 0, 0, 2);
    world
        .faults
        .insert("repos:1".into(), VecDeque::from([Fault::RateLimited]));
    let github = FakeGitHub::start(world);
    let catalog = TestCatalog::empty();
    let started = Instant::now();
    let run = discover(&catalog, &github, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for the reset");
    assert_eq!(github.log(), ["repos:1", "repos:1", "teams:1"]);
    let scan = scan(&catalog);
    assert_eq!(scan["rate_limit_waits"], 1);
    assert_eq!(facts(&catalog)["repos"].as_array().unwrap().len(), 5);
}

#[test]
fn a_rate_limit_beyond_max_wait_gives_a_partial_snapshot() {
    let mut world = world(5, 0, 0, 2);
    world
        .faults
        .insert("repos:1".into(), VecDeque::from([Fault::RateLimited]));
    let github = FakeGitHub::start(world);
    let catalog = TestCatalog::empty();
    let run = discover(&catalog, &github, &["--max-wait", "0"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--max-wait"), "{}", run.stderr);
    // No further request once the budget is spent.
    assert_eq!(github.log(), ["repos:1"]);
    let facts = facts(&catalog);
    assert_eq!(facts["partial"], true);
    let scopes: Vec<&str> = facts["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["repos:page-1", "teams:page-1"]);
}

#[test]
fn secondary_rate_limits_back_off() {
    let mut world = world(5, 0, 0, 2);
    world
        .faults
        .insert("repos:1".into(), VecDeque::from([Fault::Secondary]));
    world
        .faults
        .insert("teams:1".into(), VecDeque::from([Fault::SecondaryNoRetryAfter]));
    let github = FakeGitHub::start(world);
    let catalog = TestCatalog::empty();
    let started = Instant::now();
    let run = discover(&catalog, &github, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Retry-After: 1, then 60 backoff units of 10 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(1600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(github.log(), ["repos:1", "repos:1", "teams:1", "teams:1"]);
    let scan = scan(&catalog);
    assert_eq!(scan["rate_limit_waits"], 2);
    assert_eq!(scan["waited_ms"], 1600);
}

#[test]
fn the_token_is_redacted_from_errors() {
    let mut world = world(5, 0, 0, 1);
    world
        .faults
        .insert("repos:1".into(), VecDeque::from([Fault::EchoAuthorization]));
    let github = FakeGitHub::start(world);
    let catalog = TestCatalog::empty();
    // `discover` asserts the token is nowhere in the output or the files.
    let run = discover(&catalog, &github, &[]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("Bad credentials: Bearer ***"), "{}", run.stderr);
    assert!(run.stderr.contains("GITHUB_TOKEN"), "{}", run.stderr);
}

#[test]
fn a_502_is_retried() {
    let mut world = world(120, 0, 0, 1);
    world
        .faults
        .insert("repos:2".into(), VecDeque::from([Fault::BadGateway]));
    let github = FakeGitHub::start(world);
    let catalog = TestCatalog::empty();
    let run = discover(&catalog, &github, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(github.log(), ["repos:1", "repos:2", "repos:2", "teams:1"]);
    assert_eq!(scan(&catalog)["retries"], 1);
    let facts = facts(&catalog);
    assert_eq!(facts.get("partial"), None);
    assert_eq!(facts["repos"].as_array().unwrap().len(), 120);
}

#[test]
fn a_page_that_keeps_failing_leaves_a_partial_snapshot() {
    let mut world = world(150, 0, 0, 3);
    world
        .faults
        .insert("repos:2".into(), VecDeque::from([Fault::AlwaysBadGateway]));
    let github = FakeGitHub::start(world);
    let catalog = TestCatalog::empty();
    let run = discover(&catalog, &github, &[]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("repos:page-2"), "{}", run.stderr);
    assert_eq!(
        github.log(),
        ["repos:1", "repos:2", "repos:2", "repos:2", "repos:2", "teams:1"]
    );
    let facts = facts(&catalog);
    assert_schema_valid(&facts);
    assert_eq!(facts["partial"], true);
    assert_eq!(facts["errors"][0]["scope"], "repos:page-2");
    assert!(facts["errors"][0]["message"].as_str().unwrap().contains("502"));
    assert_eq!(facts["repos"].as_array().unwrap().len(), 100, "the first page is kept");
    assert_eq!(facts["teams"].as_array().unwrap().len(), 3);
    assert_eq!(scan(&catalog)["partial"], true);
}

#[test]
fn a_refresh_reads_only_what_was_pushed_since() {
    let github = FakeGitHub::start(world(150, 0, 0, 1));
    let catalog = TestCatalog::empty();
    assert_eq!(discover(&catalog, &github, &[]).status, 0);
    let before = facts(&catalog);
    {
        let mut world = github.world.lock().unwrap();
        // Two repositories pushed since, one deleted, one new but with an
        // old push (e.g. transferred in), one archived since.
        for id in ["R_40", "R_120"] {
            let node = world.repos.iter_mut().find(|r| r["id"] == id).unwrap();
            node["pushedAt"] = json!("2026-11-15T00:00:00Z");
            node["readme"] = json!({"text": "Rewritten.\n"});
        }
        world.repos.retain(|r| r["id"] != "R_7");
        world.repos.iter_mut().find(|r| r["id"] == "R_9").unwrap()["isArchived"] = json!(true);
        world.repos.push(repo(500, &hours_ago(149)));
        world
            .repos
            .sort_by(|a, b| b["pushedAt"].as_str().cmp(&a["pushedAt"].as_str()));
        world.log.clear();
    }
    let run = discover(&catalog, &github, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Two listing pages, one query for the repositories to re-read, teams.
    assert_eq!(github.log(), ["list:1", "list:2", "nodes:1", "teams:1"]);
    let mut fetched = github.world.lock().unwrap().fetched_ids.concat();
    fetched.sort();
    // R_0 was the newest push of the snapshot: pushed at `since`, re-read.
    assert_eq!(fetched, ["R_0", "R_120", "R_40", "R_500"]);
    let after = facts(&catalog);
    assert_schema_valid(&after);
    let slugs = |f: &Value| -> Vec<String> {
        f["repos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["slug"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(slugs(&after).len(), 149);
    assert!(!slugs(&after).contains(&"acme/svc-007".to_string()), "deleted");
    assert!(!slugs(&after).contains(&"acme/svc-009".to_string()), "archived");
    let repo = |f: &Value, slug: &str| {
        f["repos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["slug"] == slug)
            .cloned()
            .unwrap()
    };
    assert_eq!(repo(&after, "acme/svc-040")["description"], "Rewritten.");
    assert_eq!(
        repo(&after, "acme/svc-500")["description"],
        "Service number 500 of acme."
    );
    assert_eq!(repo(&after, "acme/svc-041"), repo(&before, "acme/svc-041"));
    assert_eq!(scan(&catalog)["mode"], "refresh");
    assert_eq!(scan(&catalog)["since"], "2026-10-28T23:00:00Z");

    // An explicit --since later than every push re-reads nothing.
    github.world.lock().unwrap().log.clear();
    let run = discover(&catalog, &github, &["--since", "2026-12-01T00:00:00Z"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(github.log(), ["list:1", "list:2", "teams:1"]);
    assert_eq!(facts(&catalog), after);
}

#[test]
fn an_unknown_organisation_fails_without_writing() {
    let github = FakeGitHub::start(world(3, 0, 0, 1));
    let catalog = TestCatalog::empty();
    let mut command = catalog.command(&["discover", "github", "--org", "nope", "--api-url", &github.url]);
    command.env("GITHUB_TOKEN", TOKEN);
    let run = run(&mut command);
    assert_no_token(catalog.path(), &run);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(!catalog.path().join("discovered/github.json").exists());
}

/// The benchmark of BENCHMARKS.md ("Discovery: GitHub"): a 500-repository
/// organisation with 40 teams through the fake server. Run with
/// `scripts/bench-discover-github.sh` to see the wall time.
#[test]
fn bench_a_500_repo_org_takes_at_most_10_requests() {
    let github = FakeGitHub::start(world(500, 20, 10, 40));
    let catalog = TestCatalog::empty();
    let started = Instant::now();
    let run = discover(&catalog, &github, &[]);
    let elapsed = started.elapsed();
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(facts(&catalog)["repos"].as_array().unwrap().len(), 500);
    assert!(github.requests() <= 10, "{:?}", github.log());
    let bytes = std::fs::metadata(catalog.path().join("discovered/github.json"))
        .unwrap()
        .len();
    println!(
        "discover github, 500 repos + 40 teams: {} requests, {:.2} s, facts {} KiB",
        github.requests(),
        elapsed.as_secs_f64(),
        bytes / 1024
    );
    github.world.lock().unwrap().log.clear();
    let started = Instant::now();
    let refresh = discover(&catalog, &github, &[]);
    assert_eq!(refresh.status, 0, "{}", refresh.stderr);
    println!(
        "refresh, nothing pushed since: {} requests, {:.2} s",
        github.requests(),
        started.elapsed().as_secs_f64()
    );
}
