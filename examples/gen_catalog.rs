//! Generates a synthetic catalog for benchmarks:
//!
//! ```text
//! cargo run --release --example gen_catalog -- --services 10000 --definitions 200 --versions 5 --out target/bench/10k
//! ```
//!
//! `--api-operations N` adds one API, `big-api`, whose OpenAPI 3.0
//! definition (`apis/big-api.openapi.yaml`, read with `$text`) has N
//! operations over ten tags, with parameters, bodies and responses that
//! `$ref` N/4 component schemas (nested objects, arrays, enums, a cycle):
//! a large reference page.
//! `--governance true` puts the demo catalog's rules and scorecard in
//! `cairn.yaml` (errors lowered to warnings): what evaluating them costs.
//!
//! `--resources N` also writes discovered facts: `discovered/aws.json` with
//! N AWS resources (a stack and an ECS service for declared services, the
//! rest Lambdas in name-prefix groups and databases, tagged with teams)
//! and `discovered/git.json` with a repository per stack (CODEOWNERS,
//! authors, a deploy target) — what reconciliation has to chew on.
//!
//! The catalog is deterministic (a fixed-seed generator), checks clean, and
//! has the shape of a real one: teams of ~20 services with members, systems,
//! APIs, resources and ResourceDefinitions with several versions each, one
//! file per entity. `--shape` chooses the dependency graph:
//!
//! * `clustered` (the default): chains inside clusters of 50 services, so
//!   every closure is small — the shape cairn was first measured on;
//! * `dag`: each service depends on ~2.1 services created before it, chosen
//!   uniformly (a random DAG: a core service gets thousands of transitive
//!   dependents, as auth, config and the database tier do in real catalogs);
//! * `hub`: the same out-degree, targets chosen in proportion to how many
//!   dependents they already have (preferential attachment: a power law of
//!   in-degrees, a few hubs with a large share of every closure).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

struct Args {
    services: usize,
    definitions: usize,
    versions: usize,
    resources: usize,
    api_operations: usize,
    /// Whether `cairn.yaml` holds the demo's rules and scorecard.
    governance: bool,
    shape: Shape,
    out: PathBuf,
}

/// The dependency graph's shape (see the module docs).
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Clustered,
    Dag,
    Hub,
}

fn parse_args() -> Args {
    let mut args = Args {
        services: 1000,
        definitions: 0,
        versions: 5,
        resources: 0,
        api_operations: 0,
        governance: false,
        shape: Shape::Clustered,
        out: PathBuf::from("target/bench/catalog"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--services" => args.services = value.parse().expect("--services N"),
            "--definitions" => args.definitions = value.parse().expect("--definitions N"),
            "--versions" => args.versions = value.parse().expect("--versions N"),
            "--resources" => args.resources = value.parse().expect("--resources N"),
            "--api-operations" => args.api_operations = value.parse().expect("--api-operations N"),
            "--governance" => args.governance = value.parse().expect("--governance true|false"),
            "--shape" => {
                args.shape = match value.as_str() {
                    "clustered" => Shape::Clustered,
                    "dag" => Shape::Dag,
                    "hub" => Shape::Hub,
                    other => panic!("unknown shape {other}: clustered, dag or hub"),
                }
            }
            "--out" => args.out = PathBuf::from(value),
            other => {
                panic!("unknown flag {other}; flags: --services --definitions --versions --resources --api-operations --governance --shape --out")
            }
        }
    }
    args
}

/// A small deterministic generator (SplitMix64), so catalogs are identical
/// across runs and machines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "billing",
    "checkout",
    "cart",
    "orders",
    "payments",
    "search",
    "catalog",
    "pricing",
    "inventory",
    "shipping",
    "identity",
    "notify",
    "ledger",
    "fraud",
    "reviews",
    "media",
    "profile",
    "session",
    "gateway",
    "reports",
];
const TECH: &[&str] = &[
    "java",
    "go",
    "rust",
    "python",
    "typescript",
    "kotlin",
    "grpc",
    "kafka",
    "postgres",
    "redis",
];

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
    std::fs::write(path, contents).expect("write file");
}

/// The demo catalog's `rules:` and `scorecards:` (every rule a warning at
/// most, so the catalog still checks clean).
fn governance() -> String {
    let demo = include_str!("../catalog-repo-template/cairn.yaml");
    let start = demo.find("\nrules:").expect("the demo has rules");
    demo[start + 1..].replace("severity: error", "severity: warning")
}

fn main() {
    let args = parse_args();
    let root = &args.out;
    if root.exists() {
        std::fs::remove_dir_all(root).expect("remove old catalog");
    }
    let mut rng = Rng(42);
    let teams = args.services.div_ceil(20).max(1);
    let systems = args.services.div_ceil(50).max(1);
    let mut config = String::from("site: { title: Generated catalog }\n");
    if args.governance {
        config.push_str(&governance());
    }
    write(root, "cairn.yaml", &config);

    for t in 0..teams {
        let mut doc = format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-{t}\n  annotations:\n    slack.com/channel: '#team-{t}'\n    pagerduty.com/service-id: P{t:06}\nspec:\n  type: team\n  profile: {{ displayName: Team {t}, email: team-{t}@example.com }}\n  children: []\n"
        );
        for u in 0..3 {
            write!(
                doc,
                "---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: user-{t}-{u}\nspec:\n  profile: {{ email: user-{t}-{u}@example.com }}\n  memberOf: [team-{t}]\n"
            )
            .unwrap();
        }
        write(root, &format!("teams/team-{t}.yaml"), &doc);
    }
    write(
        root,
        "domains/commerce.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: { name: commerce }\nspec: { owner: team-0 }\n",
    );
    for s in 0..systems {
        write(
            root,
            &format!("systems/system-{s}.yaml"),
            &format!("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {{ name: system-{s} }}\nspec: {{ owner: team-{}, domain: commerce }}\n", s % teams),
        );
    }
    // For `hub`: every service once, plus once more per dependent it has,
    // so a uniform pick from it prefers the services many depend on.
    let mut attachment: Vec<usize> = Vec::new();
    for i in 0..args.services {
        let name = service_name(i);
        let tier = ["tier1", "tier2", "tier3"][rng.below(3)];
        let mut deps: Vec<String> = dependencies(args.shape, i, &mut rng, &mut attachment)
            .into_iter()
            .map(|j| format!("component:{}", service_name(j)))
            .collect();
        if i % 10 == 0 {
            deps.push(format!("resource:db-{}", i / 10));
            write(
                root,
                &format!("resources/db-{}.yaml", i / 10),
                &format!("apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {{ name: db-{} }}\nspec: {{ type: database, owner: team-{} }}\n", i / 10, (i / 20) % teams),
            );
        }
        if i == 0 && args.api_operations > 0 {
            write(root, "apis/big-api.openapi.yaml", &big_openapi(args.api_operations));
            write(
                root,
                "apis/big-api.yaml",
                "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: { name: big-api }\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-0\n  definition:\n    $text: ./big-api.openapi.yaml\n",
            );
        }
        let apis = if i % 5 == 0 {
            write(
                root,
                &format!("apis/{name}-api.yaml"),
                &format!("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {{ name: {name}-api }}\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-{}\n  definition: |\n    openapi: 3.0.3\n    info: {{ title: {name}, version: 1.0.0 }}\n    paths: {{}}\n", (i / 20) % teams),
            );
            format!("  providesApis: [{name}-api]\n")
        } else {
            String::new()
        };
        let tags = format!("[{}, {}]", TECH[rng.below(TECH.len())], WORDS[rng.below(WORDS.len())]);
        let deps_yaml = if deps.is_empty() {
            String::new()
        } else {
            format!("  dependsOn: [{}]\n", deps.join(", "))
        };
        let doc = format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  title: {title}\n  description: Handles {w1} for the {w2} flow of the platform.\n  tags: {tags}\n  annotations:\n    cairn.dev/tier: {tier}\n    github.com/project-slug: example/{name}\n  links:\n    - {{ url: 'https://runbooks.example.com/{name}', title: Runbook, type: runbook }}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{team}\n  system: system-{system}\n{deps_yaml}{apis}",
            title = name.replace('-', " "),
            w1 = WORDS[rng.below(WORDS.len())],
            w2 = WORDS[rng.below(WORDS.len())],
            team = (i / 20) % teams,
            system = i % systems,
        );
        write(root, &format!("services/{name}.yaml"), &doc);
    }
    for d in 0..args.definitions {
        for v in 0..args.versions {
            let optional: String = (0..v).map(|k| format!("    - {{ name: option_{k}, type: integer, default: {k}, validation: {{ min: 0, max: 100 }} }}\n")).collect();
            let doc = format!(
                "apiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata:\n  name: definition-{d}\n  version: \"1.{v}.0\"\n  provider: aws\n  category: database\n  description: Generated definition {d}\nspec:\n  supported_engines: [terraform]\n  required_inputs:\n    - name: instance_class\n      type: string\n      validation: {{ pattern: \"^db\\\\.[a-z0-9]+\\\\.[a-z]+$\" }}\n  optional_inputs:\n{optional}    - {{ name: storage_gb, type: integer, default: 20, validation: {{ min: 20, max: 1000 }} }}\n  outputs:\n    - {{ name: endpoint, type: string }}\n  engine_configs:\n    terraform: {{ module_source: example/db/aws, module_version: \"5.{v}.0\" }}\n"
            );
            write(root, &format!("resource-definitions/definition-{d}/1.{v}.0.yaml"), &doc);
        }
    }
    if args.resources > 0 {
        write_facts(root, &args, teams);
    }
    eprintln!(
        "wrote {} services, {teams} teams, {systems} systems, {} definition versions to {}",
        args.services,
        args.definitions * args.versions,
        root.display()
    );
}

/// The earlier services service `i` depends on, for `shape`.
fn dependencies(shape: Shape, i: usize, rng: &mut Rng, attachment: &mut Vec<usize>) -> Vec<usize> {
    let mut deps: Vec<usize> = Vec::new();
    match shape {
        // Up to three earlier services of the same cluster of 50 (a
        // system's worth): chains up to ~15 deep, closures bounded.
        Shape::Clustered => {
            let cluster_start = i - i % 50;
            for _ in 0..rng.below(4) {
                if i > cluster_start {
                    let j = cluster_start + rng.below(i - cluster_start);
                    if !deps.contains(&j) {
                        deps.push(j);
                    }
                }
            }
        }
        // 1–3 targets, one more one time in ten: a mean out-degree of 2.1.
        Shape::Dag | Shape::Hub => {
            let count = 1 + rng.below(3) + usize::from(rng.below(10) == 0);
            for _ in 0..count.min(i) {
                let j = match shape {
                    Shape::Dag => rng.below(i),
                    _ => attachment[rng.below(attachment.len())],
                };
                if !deps.contains(&j) {
                    deps.push(j);
                }
            }
        }
    }
    if shape == Shape::Hub {
        attachment.push(i);
        attachment.extend(deps.iter().copied());
    }
    deps
}

/// The name `main` gives service `i`.
fn service_name(i: usize) -> String {
    format!("{}-{}-{i}", WORDS[i % WORDS.len()], WORDS[(i / 7) % WORDS.len()])
}

/// `discovered/aws.json` and `discovered/git.json` (see the module docs).
fn write_facts(root: &Path, args: &Args, teams: usize) {
    use serde_json::json;
    let mut resources = Vec::new();
    let mut repos = Vec::new();
    let stacks = (args.resources / 4).min(args.services);
    for i in 0..stacks {
        let name = service_name(i);
        let team = (i / 20) % teams;
        resources.push(json!({ "arn": format!("arn:aws:cloudformation:us-east-1:1:stack/{name}-prod/1"), "kind": "cloudformation-stack",
            "name": format!("{name}-prod"), "region": "us-east-1", "tags": { "team": format!("team-{team}") } }));
        resources.push(
            json!({ "arn": format!("arn:aws:ecs:us-east-1:1:service/prod/{name}"), "kind": "ecs-service",
            "name": name, "region": "us-east-1", "stack": format!("{name}-prod"),
            "images": [format!("1.dkr.ecr.us-east-1.amazonaws.com/{name}:1")] }),
        );
        repos.push(json!({ "slug": format!("example/{name}"),
            "codeowners": { "file": ".github/CODEOWNERS", "shares": { format!("@example/team-{team}"): 1.0 } },
            "authors": [{ "email": format!("user-{team}-0@example.com"), "commits": 5 }],
            "deploy_targets": [{ "kind": "cloudformation-stack", "name": format!("{name}-prod") }],
            "languages": { "Rust": 1000 + i } }));
    }
    let mut k = 0;
    while resources.len() < args.resources {
        let team = k % teams;
        if k % 5 == 4 {
            resources.push(json!({ "arn": format!("arn:aws:rds:us-east-1:1:db:db-{k}"), "kind": "rds-instance",
                "name": format!("db-{k}"), "region": "us-east-1", "runtime": "postgres", "tags": { "team": format!("team-{team}") } }));
        } else {
            let prefix = format!("{}{}", WORDS[k % WORDS.len()], k / 40);
            resources.push(json!({ "arn": format!("arn:aws:lambda:us-east-1:1:function:{prefix}-fn-{k}"), "kind": "lambda-function",
                "name": format!("{prefix}-fn-{k}"), "region": "us-east-1", "runtime": "python3.12",
                "tags": { "team": format!("team-{team}") } }));
        }
        k += 1;
    }
    let aws = json!({ "format": "cairn.dev/facts/v1", "source": "aws", "resources": resources });
    let git = json!({ "format": "cairn.dev/facts/v1", "source": "git", "repos": repos });
    write(
        root,
        "discovered/aws.json",
        &serde_json::to_string_pretty(&aws).unwrap(),
    );
    write(
        root,
        "discovered/git.json",
        &serde_json::to_string_pretty(&git).unwrap(),
    );
}

/// An OpenAPI 3.0 document with `operations` operations (see the module
/// docs), as YAML.
fn big_openapi(operations: usize) -> String {
    let schemas = (operations / 4).max(1);
    let mut out = String::from("openapi: 3.0.3\ninfo:\n  title: Big API\n  version: 1.0.0\n  description: A large generated API.\nservers:\n  - url: https://big.example.com/v1\ntags:\n");
    for t in 0..10 {
        let _ = writeln!(out, "  - name: area-{t}\n    description: Operations of area {t}.");
    }
    out.push_str("paths:\n");
    let methods = ["get", "put", "post", "delete"];
    for path in 0..operations.div_ceil(methods.len()) {
        let _ = writeln!(out, "  /area-{}/things-{path}/{{id}}:", path % 10);
        for (m, method) in methods.iter().enumerate() {
            let op = path * methods.len() + m;
            if op >= operations {
                break;
            }
            let schema = op % schemas;
            let _ = writeln!(out, "    {method}:\n      tags: [area-{}]\n      operationId: op{op}\n      summary: Operation {op} on things {path}\n      description: Does **thing {op}**; see the area's guide.", path % 10);
            out.push_str("      parameters:\n        - { name: id, in: path, required: true, schema: { type: string, format: uuid } }\n        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 100 } }\n");
            if *method == "put" || *method == "post" {
                let _ = writeln!(out, "      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {{ $ref: '#/components/schemas/Thing{schema}' }}");
            }
            let _ = writeln!(out, "      responses:\n        '200':\n          description: The thing.\n          content:\n            application/json:\n              schema: {{ $ref: '#/components/schemas/Thing{schema}' }}\n        '404':\n          description: Not found.");
        }
    }
    out.push_str("components:\n  schemas:\n");
    for s in 0..schemas {
        let next = (s + 1) % schemas;
        let _ = writeln!(
            out,
            "    Thing{s}:\n      type: object\n      required: [id, name]\n      properties:\n        id: {{ type: string, format: uuid }}\n        name: {{ type: string, maxLength: 80 }}\n        status: {{ type: string, enum: [active, retired, draft] }}\n        size: {{ type: number }}\n        labels:\n          type: object\n          properties:\n            team: {{ type: string }}\n            tier: {{ type: integer }}\n        parts:\n          type: array\n          items: {{ $ref: '#/components/schemas/Thing{next}' }}"
        );
    }
    out
}
