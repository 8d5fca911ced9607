//! Discovery accuracy on a labelled world (the dd0c design's definition,
//! our bar 90%): real git repositories built with git2 and scanned by
//! `cairn discover git`, AWS and GitHub-team facts as those scanners write
//! them, and a ground truth of which services exist, who owns them and
//! which repository each comes from. The hard cases are there on purpose:
//! renamed repositories, a shared monorepo, repositories without
//! CODEOWNERS, teams whose GitHub slug differs from their name, Lambdas
//! grouped by name prefix, explicit repo tags, truly unowned code and
//! services that only exist as a repository.
//!
//! accuracy = services right without correction / services discovered,
//! where right means: it exists in the ground truth, its owner is right
//! (or it is unowned when nobody owns it) and its repository link is right.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::discover::GitRepo;
use crate::harness::TestCatalog;

const T0: i64 = 1_780_000_000;
const DAY: i64 = 86_400;

/// Teams: name, GitHub slug (another name for some), members.
const TEAMS: [(&str, &str); 10] = [
    ("payments", "pay-team"),
    ("checkout", "checkout"),
    ("search", "search-eng"),
    ("identity", "identity"),
    ("billing", "billing"),
    ("data", "data-platform"),
    ("platform", "platform"),
    ("mobile", "mobile"),
    ("growth", "growth"),
    ("infra", "sre"),
];

/// One labelled service: how its facts look and what the truth is.
struct Case {
    /// The service name discovery should produce.
    name: String,
    /// `org/name` and directory of the repository it comes from.
    repo: (String, String),
    /// The owning team, or `None` for truly unowned code.
    owner: Option<&'static str>,
}

fn member(team: &str, n: usize) -> (String, String) {
    let login = format!("{team}-dev{n}");
    (login.clone(), format!("{login}@acme.com"))
}

/// The catalog's people: every team as a Group, four Users each.
fn people() -> String {
    let mut yaml = String::new();
    for (team, slug) in TEAMS {
        yaml.push_str(&format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {team}\n  annotations: {{ github.com/team-slug: acme/{slug} }}\nspec: {{ type: team, children: [] }}\n---\n"
        ));
        for n in 0..4 {
            let (login, email) = member(team, n);
            yaml.push_str(&format!(
                "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {login}\n  annotations: {{ github.com/user-login: {login} }}\nspec: {{ profile: {{ email: {email} }}, memberOf: [{team}] }}\n---\n"
            ));
        }
    }
    yaml
}

/// The world under construction: repositories on disk, AWS resources,
/// GitHub teams' repository access, and the labels.
struct World {
    dir: tempfile::TempDir,
    scan_paths: Vec<String>,
    resources: Vec<Value>,
    team_repos: BTreeMap<&'static str, Vec<String>>,
    cases: Vec<Case>,
}

impl World {
    /// A repository with `files` committed by `authors` (login, e-mail,
    /// commits each).
    fn repo(&mut self, name: &str, files: &[(String, String)], authors: &[(String, String, usize)]) {
        let path = self.dir.path().join(name);
        let repo = GitRepo::init(&path, Some(&format!("git@github.com:acme/{name}.git")));
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let mut time = T0;
        repo.commit(&borrowed, "init", "init-bot@acme.com", time);
        for (login, email, commits) in authors {
            for c in 0..*commits {
                time += DAY / 4;
                let file = format!("src/{login}-{c}.rs");
                repo.commit(&[(&file, "pub fn f() {}\n")], login, email, time);
            }
        }
    }

    fn scan(&mut self, relative: &str) {
        self.scan_paths
            .push(self.dir.path().join(relative).display().to_string());
    }

    fn label(&mut self, name: &str, repo: &str, path: &str, owner: Option<&'static str>) {
        self.cases.push(Case {
            name: name.to_string(),
            repo: (format!("acme/{repo}"), path.to_string()),
            owner,
        });
    }

    fn stack(&mut self, name: &str, tags: Value, children: &[(&str, &str)]) {
        self.resources.push(json!({
            "arn": format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/1"),
            "kind": "cloudformation-stack", "name": name, "region": "us-east-1", "tags": tags,
        }));
        for (kind, child) in children {
            let arn = match *kind {
                "ecs-service" => format!("arn:aws:ecs:us-east-1:123456789012:service/prod/{child}"),
                "lambda-function" => format!("arn:aws:lambda:us-east-1:123456789012:function:{child}"),
                _ => format!("arn:aws:rds:us-east-1:123456789012:db:{child}"),
            };
            self.resources.push(json!({
                "arn": arn, "kind": kind, "name": child, "region": "us-east-1", "stack": name,
            }));
        }
    }
}

fn team_authors(team: &str, commits: &[usize]) -> Vec<(String, String, usize)> {
    commits
        .iter()
        .enumerate()
        .map(|(n, &c)| {
            let (login, email) = member(team, n);
            (login, email, c)
        })
        .collect()
}

fn codeowners(team: &str) -> (String, String) {
    let slug = TEAMS.iter().find(|(t, _)| *t == team).unwrap().1;
    (".github/CODEOWNERS".into(), format!("* @acme/{slug}\n"))
}

fn readme(text: &str) -> (String, String) {
    (
        "README.md".into(),
        format!("# title\n\n![badge](https://x/b.svg)\n\n{text}\n"),
    )
}

fn workflow_deploying(stack: &str) -> (String, String) {
    (
        ".github/workflows/deploy.yml".to_string(),
        format!(
            "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/aws-cloudformation-github-deploy@v1\n        with: {{ name: {stack}, template: cfn.yaml }}\n"
        ),
    )
}

/// Builds the labelled world (≥ 50 services, plus declared ones that are
/// not counted).
fn build_world() -> World {
    let mut world = World {
        dir: tempfile::tempdir().unwrap(),
        scan_paths: Vec::new(),
        resources: Vec::new(),
        team_repos: BTreeMap::new(),
        cases: Vec::new(),
    };
    let team = |i: usize| TEAMS[i % TEAMS.len()].0;
    // 1. The common case: CODEOWNERS, the team's commits, a stack tagged
    //    with the team and deployed by the repo's workflow.
    for i in 0..24 {
        let owner = team(i);
        let name = format!("{owner}-svc{i}");
        world.repo(
            &name,
            &[
                codeowners(owner),
                readme(&format!("The {name} service.")),
                workflow_deploying(&format!("{name}-prod")),
            ],
            &team_authors(owner, &[3, 2, 1]),
        );
        world.scan(&name);
        world.stack(
            &format!("{name}-prod"),
            json!({ "team": owner }),
            &[("ecs-service", &name)],
        );
        world.team_repos.entry(owner).or_default().push(format!("acme/{name}"));
        world.label(&name, &name, "", Some(owner));
    }
    // 2. Renamed repositories: the stack keeps the old service name, the
    //    deploy workflow ties them.
    for (i, (stack, repo)) in [
        ("refunds-prod", "money-back-v2"),
        ("ledger-prod", "bookkeeping-core"),
        ("ratelimit-prod", "gatekeeper"),
        ("geo-prod", "atlas-next"),
        ("pricing-prod", "tariffs"),
    ]
    .into_iter()
    .enumerate()
    {
        let owner = team(i + 3);
        world.repo(
            repo,
            &[codeowners(owner), workflow_deploying(stack)],
            &team_authors(owner, &[2, 2]),
        );
        world.scan(repo);
        world.stack(
            stack,
            json!({}),
            &[(
                "lambda-function",
                &format!("{}-handler", stack.trim_end_matches("-prod")),
            )],
        );
        world.label(stack.trim_end_matches("-prod"), repo, "", Some(owner));
    }
    // 3. A shared monorepo: one directory per service, owners per
    //    directory, ECS services whose images are named like the directory.
    let mono_services = [
        "cart",
        "wishlist",
        "reviews",
        "recommendations",
        "inventory",
        "shipping",
    ];
    let mut mono_files = vec![(
        "CODEOWNERS".to_string(),
        format!(
            "* @acme/platform\n{}",
            mono_services
                .iter()
                .enumerate()
                .map(|(i, s)| format!("services/{s}/ @acme/{}\n", TEAMS[(i + 1) % 10].1))
                .collect::<String>()
        ),
    )];
    for service in mono_services {
        mono_files.push((format!("services/{service}/main.go"), format!("package {service}\n")));
    }
    world.repo("shop-mono", &mono_files, &[]);
    for (i, service) in mono_services.iter().enumerate() {
        world.scan(&format!("shop-mono/services/{service}"));
        world.resources.push(json!({
            "arn": format!("arn:aws:ecs:us-east-1:123456789012:service/shop/{service}-svc"),
            "kind": "ecs-service", "name": format!("{service}-svc"), "region": "us-east-1",
            "images": [format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{service}:2.{i}")],
        }));
        world.label(
            &format!("{service}-svc"),
            "shop-mono",
            &format!("services/{service}"),
            Some(TEAMS[(i + 1) % 10].0),
        );
    }
    // 4. No CODEOWNERS: commits decide.
    for i in 0..6 {
        let owner = team(i + 5);
        let name = format!("{owner}-worker{i}");
        world.repo(&name, &[readme("A worker.")], &team_authors(owner, &[4, 1]));
        world.scan(&name);
        world.resources.push(json!({
            "arn": format!("arn:aws:ecs:us-east-1:123456789012:service/prod/{name}"),
            "kind": "ecs-service", "name": name, "region": "us-east-1",
        }));
        world.label(&name, &name, "", Some(owner));
    }
    // 5. Lambdas grouped by name prefix, deployed from one repository.
    for (i, prefix) in ["notify", "audit", "thumbnails", "webhooks"].into_iter().enumerate() {
        let owner = team(i + 2);
        let repo = format!("{prefix}-functions");
        world.repo(&repo, &[codeowners(owner)], &team_authors(owner, &[1, 1]));
        world.scan(&repo);
        for function in ["sender", "retry", "dlq"] {
            world.resources.push(json!({
                "arn": format!("arn:aws:lambda:us-east-1:123456789012:function:{prefix}-{function}"),
                "kind": "lambda-function", "name": format!("{prefix}-{function}"), "region": "us-east-1",
                "runtime": "python3.12",
            }));
        }
        world.label(&repo, &repo, "", Some(owner));
    }
    // 6. Explicit repo tags on stacks whose names share nothing with the
    //    repository.
    for (i, (stack, repo)) in [
        ("edge-cdn", "fastly-config"),
        ("mq", "rabbit-ops"),
        ("sso", "keycloak-themes"),
        ("etl", "pipelines"),
    ]
    .into_iter()
    .enumerate()
    {
        let owner = team(i + 6);
        world.repo(repo, &[codeowners(owner)], &team_authors(owner, &[1]));
        world.scan(repo);
        world.stack(
            stack,
            json!({ "github_repo": format!("acme/{repo}"), "team": owner }),
            &[],
        );
        world.label(stack, repo, "", Some(owner));
    }
    // 7. Truly unowned: contractors no catalog team knows.
    for i in 0..3 {
        let name = format!("orphan-tool{i}");
        world.repo(
            &name,
            &[readme("Nobody knows.")],
            &[("contractor".to_string(), format!("c{i}@contractor.example"), 3)],
        );
        world.scan(&name);
        world.label(&name, &name, "", None);
    }
    // 8. Libraries: repositories only, no infrastructure; GitHub team
    //    access agrees with CODEOWNERS.
    for i in 0..5 {
        let owner = team(i + 1);
        let name = format!("lib-{owner}-{i}");
        world.repo(
            &name,
            &[codeowners(owner), readme("A library.")],
            &team_authors(owner, &[1]),
        );
        world.scan(&name);
        world.team_repos.entry(owner).or_default().push(format!("acme/{name}"));
        world.label(&name, &name, "", Some(owner));
    }
    // 9. CODEOWNERS and the stack's tag name one team, most commits come
    //    from another (a helper team): the owner is the first.
    for i in 0..2 {
        let owner = team(i);
        let helper = team(i + 4);
        let name = format!("shared-{owner}-{i}");
        let mut authors = team_authors(helper, &[5, 4]);
        authors.extend(team_authors(owner, &[1]));
        world.repo(
            &name,
            &[codeowners(owner), workflow_deploying(&format!("{name}-prod"))],
            &authors,
        );
        world.scan(&name);
        world.stack(&format!("{name}-prod"), json!({ "team": owner }), &[]);
        world.label(&name, &name, "", Some(owner));
    }
    // 10. Standalone Lambdas with a team tag and no repository.
    for (i, function) in ["cron-cleanup", "s3-indexer", "cost-reporter"].into_iter().enumerate() {
        let owner = team(i + 7);
        world.resources.push(json!({
            "arn": format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"),
            "kind": "lambda-function", "name": function, "region": "us-east-1", "tags": { "owner": owner },
        }));
        world.cases.push(Case {
            name: function.to_string(),
            repo: (String::new(), String::new()),
            owner: Some(owner),
        });
    }
    // 11. A decoy repository one edit away from the stack's name; the real
    //    one deploys the stack. The decoy is a library of its own.
    for (i, (stack, real, decoy)) in [
        ("quotes-api-prod", "quote-engine", "quotes-apis"),
        ("media-api-prod", "media-pipeline", "media-apis"),
    ]
    .into_iter()
    .enumerate()
    {
        let owner = team(i + 8);
        let other = team(i + 2);
        world.repo(
            real,
            &[codeowners(owner), workflow_deploying(stack)],
            &team_authors(owner, &[2]),
        );
        world.repo(decoy, &[codeowners(other)], &team_authors(other, &[1]));
        world.scan(real);
        world.scan(decoy);
        world.stack(stack, json!({}), &[]);
        world.label(stack.trim_end_matches("-prod"), real, "", Some(owner));
        world.label(decoy, decoy, "", Some(other));
    }
    // 12. A miss discovery cannot make: the stack's name is three edits
    //    from its repository's and nothing else ties them, so discovery
    //    reports an unlinked stack and a repository-only service (both
    //    count as wrong).
    world.repo(
        "invoicing-svc",
        &[codeowners("billing")],
        &team_authors("billing", &[2]),
    );
    world.scan("invoicing-svc");
    world.stack("invoicer-prod", json!({ "team": "billing" }), &[]);
    world.label("invoicer", "invoicing-svc", "", Some("billing"));
    world
}

#[test]
fn discovery_is_at_least_ninety_percent_accurate_on_the_labelled_world() {
    let world = build_world();
    assert!(world.cases.len() >= 50, "{} labelled services", world.cases.len());
    let catalog = TestCatalog::empty();
    catalog.write("catalog/people.yaml", people());
    let mut args = vec!["discover", "git"];
    args.extend(world.scan_paths.iter().map(String::as_str));
    let run = catalog.cairn(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    catalog.write(
        "discovered/aws.json",
        serde_json::to_vec_pretty(
            &json!({ "format": "cairn.dev/facts/v1", "source": "aws", "resources": world.resources }),
        )
        .unwrap(),
    );
    let teams: Vec<Value> = TEAMS
        .iter()
        .map(|(team, slug)| {
            json!({ "slug": slug, "name": team,
                    "members": (0..4).map(|n| member(team, n).0).collect::<Vec<_>>(),
                    "repos": world.team_repos.get(team).cloned().unwrap_or_default() })
        })
        .collect();
    catalog.write(
        "discovered/github.json",
        serde_json::to_vec_pretty(&json!({ "format": "cairn.dev/facts/v1", "source": "github", "teams": teams }))
            .unwrap(),
    );
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);

    let api = catalog.path().join("dist/api/v1");
    let services = super::discover::read_json(&api.join("services.json"));
    let truth: BTreeMap<&str, &Case> = world.cases.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut right = 0;
    let mut discovered = 0;
    let mut wrong = Vec::new();
    for row in services["data"].as_array().unwrap() {
        let name = row["name"].as_str().unwrap();
        let detail = super::discover::read_json(&api.join(format!("services/default/{name}.json")));
        if detail["discovery"]["discovered"] != true {
            continue;
        }
        discovered += 1;
        let Some(case) = truth.get(name) else {
            wrong.push(format!("{name}: not a service (phantom or misnamed)"));
            continue;
        };
        let owner = detail["owner"]["name"].as_str();
        let repo = &detail["discovery"]["repo"];
        let repo = (
            repo["slug"].as_str().unwrap_or_default().to_string(),
            repo["path"].as_str().unwrap_or_default().to_string(),
        );
        if owner == case.owner && repo == case.repo {
            right += 1;
        } else {
            wrong.push(format!(
                "{name}: owner {owner:?} (truth {:?}), repo {repo:?} (truth {:?}), ownership {}",
                case.owner, case.repo, detail["discovery"]["ownership"]
            ));
        }
    }
    let missing: Vec<&str> = world
        .cases
        .iter()
        .map(|c| c.name.as_str())
        .filter(|name| !api.join(format!("services/default/{name}.json")).exists())
        .collect();
    let accuracy = right as f64 / discovered as f64;
    println!(
        "discovery accuracy: {right}/{discovered} = {:.1}% ({} labelled, {} not found)",
        accuracy * 100.0,
        world.cases.len(),
        missing.len()
    );
    for line in &wrong {
        println!("  wrong: {line}");
    }
    for name in &missing {
        println!("  missing: {name}");
    }
    assert!(
        accuracy >= 0.90,
        "accuracy {:.1}% < 90%:\n{}",
        accuracy * 100.0,
        wrong.join("\n")
    );
    assert!(
        missing.len() * 10 <= world.cases.len(),
        "too many labelled services not found: {missing:?}"
    );
}
