//! What scorecards add to the output, and the services export:
//!
//! * `api/v1/scorecards/{name}.json` — the scorecard, its levels and
//!   checks, how many services stand at each level, and every service's
//!   level and failing checks (paginated like every list, later pages at
//!   `api/v1/pages/scorecards/{name}/N.json`);
//! * `scorecards/{name}/index.html` — a team × level matrix and the
//!   failing checks, each with the first services that fail it;
//! * the `scorecards` of a service's API file and page, and of its team's
//!   page;
//! * `api/v1/exports/services.csv` — one row per service (RFC 4180,
//!   formulas neutralised), linked from the dashboard.
//!
//! Every file here summarises the whole catalog and is rendered on every
//! build; what shows one service's standing is selected by
//! `Selection::affected` when its verdicts change.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::site::Page;
use super::view::{page_link, to_json};
use crate::config::rules::{Rules, Scorecard};
use crate::pipeline::Compilation;
use crate::resolve::rules::scorecards::{of, Standing};
use crate::resolve::Catalog;

const PREFIX: &str = "api/v1";

/// How many failing services a check lists on the scorecard page.
const SHOWN: usize = 20;

/// `api/v1/scorecards/{name}.json` (and its later pages) and the services
/// export.
pub fn api_files(compilation: &Compilation) -> Vec<(String, Vec<u8>)> {
    let catalog = &compilation.catalog;
    let rules = &catalog.verdicts.rules;
    let mut files = Vec::new();
    for (s, scorecard) in rules.scorecards.iter().enumerate() {
        let rows: Vec<(usize, Standing)> = catalog
            .services
            .iter()
            .map(|service| (service.entity, of(catalog, service.entity).swap_remove(s)))
            .collect();
        let row = |(entity, standing): &(usize, Standing)| service_row(catalog, *entity, standing);
        let list = format!("scorecards/{}", scorecard.name);
        for (page, (path, mut value)) in super::api::paginate(&list, &rows, super::api::PAGE_SIZE, |_| true, row)
            .into_iter()
            .enumerate()
        {
            if page == 0 {
                let summary = summary(scorecard, rows.iter().map(|(_, s)| s.reached));
                value["scorecard"] = describe(scorecard, rules);
                value["summary"] = summary;
            }
            files.push((path, to_bytes(&value)));
        }
    }
    files.push((format!("{PREFIX}/exports/services.csv"), services_csv(catalog)));
    files
}

fn to_bytes(value: &Json) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("JSON values serialize");
    bytes.push(b'\n');
    bytes
}

fn ref_of(catalog: &Catalog, index: usize) -> String {
    crate::output::ref_of(&catalog.entities[index])
}

/// The scorecard itself: its levels, each with its checks.
fn describe(scorecard: &Scorecard, rules: &Rules) -> Json {
    let levels: Vec<Json> = scorecard
        .levels
        .iter()
        .map(|level| {
            let checks: Vec<Json> = level
                .checks
                .iter()
                .map(|&c| json!({ "rule": rules.rules[c].id, "message": rules.rules[c].message_for_services() }))
                .collect();
            json!({ "name": level.name, "rules": checks })
        })
        .collect();
    json!({
        "name": scorecard.name,
        "title": scorecard.title,
        "description": scorecard.description,
        "levels": levels,
    })
}

/// How many services stand at each level (`none`: below the first).
fn summary(scorecard: &Scorecard, reached: impl Iterator<Item = Option<usize>>) -> Json {
    let mut counts = vec![0usize; scorecard.levels.len() + 1];
    for level in reached {
        counts[level.map_or(0, |l| l + 1)] += 1;
    }
    let mut map = serde_json::Map::new();
    map.insert("none".into(), json!(counts[0]));
    for (level, count) in scorecard.levels.iter().zip(&counts[1..]) {
        map.insert(level.name.clone(), json!(count));
    }
    Json::Object(map)
}

fn failing_json(catalog: &Catalog, entity: usize, standing: &Standing) -> Vec<Json> {
    standing
        .failing
        .iter()
        .map(|f| {
            json!({
                "level": standing.scorecard.levels[f.level].name,
                "rule": f.rule.id,
                "message": crate::resolve::rules::message_for(f.rule, &catalog.entities[entity]),
                "error": f.error,
            })
        })
        .collect()
}

fn service_row(catalog: &Catalog, entity: usize, standing: &Standing) -> Json {
    let e = &catalog.entities[entity];
    let owner = catalog.service_of(entity).and_then(|s| s.owner);
    json!({
        "ref": ref_of(catalog, entity),
        "namespace": e.metadata.namespace,
        "name": e.metadata.name,
        "title": e.metadata.title,
        "owner": owner.map(|o| ref_of(catalog, o)),
        "level": standing.level(),
        "failing": failing_json(catalog, entity, standing),
    })
}

/// The `scorecards` of a service's API file: each scorecard's level and
/// the checks it fails.
pub fn service_json(catalog: &Catalog, entity: usize) -> Json {
    let standings: Vec<Json> = of(catalog, entity)
        .iter()
        .map(|standing| {
            json!({
                "scorecard": standing.scorecard.name,
                "level": standing.level(),
                "failing": failing_json(catalog, entity, standing),
                "url": format!("{PREFIX}/scorecards/{}.json", standing.scorecard.name),
            })
        })
        .collect();
    Json::Array(standings)
}

fn scorecard_path(scorecard: &Scorecard) -> String {
    format!("scorecards/{}/index.html", scorecard.name)
}

/// The scorecards section of a service's page.
pub fn service_context(catalog: &Catalog, entity: usize) -> Json {
    let standings: Vec<Json> = of(catalog, entity)
        .iter()
        .map(|standing| {
            let scorecard = standing.scorecard;
            let next = standing.reached.map_or(0, |l| l + 1);
            json!({
                "label": scorecard.label(),
                "path": scorecard_path(scorecard),
                "level": standing.level(),
                "next": scorecard.levels.get(next).map(|l| &l.name),
                "failing": failing_json(catalog, entity, standing),
            })
        })
        .collect();
    Json::Array(standings)
}

/// The scorecards section of a team's page: its services' levels.
pub fn team_context(catalog: &Catalog, team: usize) -> Json {
    let rules = &catalog.verdicts.rules;
    let services: Vec<usize> = catalog.owned_services(team).map(|s| s.entity).collect();
    let standings: Vec<Vec<Standing>> = services.iter().map(|&s| of(catalog, s)).collect();
    let cards: Vec<Json> = rules
        .scorecards
        .iter()
        .enumerate()
        .map(|(c, scorecard)| {
            let rows: Vec<Json> = services
                .iter()
                .zip(&standings)
                .map(|(&s, standing)| {
                    let mut row = to_json(page_link(catalog, s));
                    row["level"] = json!(standing[c].level());
                    row["failing"] = json!(standing[c].failing.len());
                    row
                })
                .collect();
            json!({ "label": scorecard.label(), "path": scorecard_path(scorecard), "services": rows })
        })
        .collect();
    Json::Array(cards)
}

/// The scorecards the dashboard links, with their summaries.
pub fn dashboard_context(catalog: &Catalog) -> Json {
    let cards: Vec<Json> = catalog
        .verdicts
        .rules
        .scorecards
        .iter()
        .enumerate()
        .map(|(c, scorecard)| {
            let reached = catalog.services.iter().map(|s| of(catalog, s.entity)[c].reached);
            let counts = summary(scorecard, reached);
            let levels: Vec<Json> = std::iter::once("none")
                .chain(scorecard.levels.iter().map(|l| l.name.as_str()))
                .map(|name| json!({ "name": name, "count": counts[name] }))
                .collect();
            json!({ "label": scorecard.label(), "path": scorecard_path(scorecard), "levels": levels })
        })
        .collect();
    json!({ "scorecards": cards, "export": format!("{PREFIX}/exports/services.csv") })
}

/// `scorecards/{name}/index.html` for every scorecard.
pub(super) fn pages(compilation: &Compilation) -> Vec<Page> {
    let catalog = &compilation.catalog;
    let rules = &catalog.verdicts.rules;
    if rules.scorecards.is_empty() {
        return Vec::new();
    }
    let standings: Vec<(usize, Vec<Standing>)> = catalog
        .services
        .iter()
        .map(|s| (s.entity, of(catalog, s.entity)))
        .collect();
    rules
        .scorecards
        .iter()
        .enumerate()
        .map(|(c, scorecard)| {
            let levels = scorecard.levels.len();
            // Team (by owner name; unowned last) → services per level,
            // `none` first.
            let mut matrix: BTreeMap<(bool, String), (Option<usize>, Vec<usize>)> = BTreeMap::new();
            let mut failing: Vec<Vec<(usize, Vec<usize>)>> = scorecard
                .levels
                .iter()
                .map(|level| level.checks.iter().map(|&check| (check, Vec::new())).collect())
                .collect();
            for (entity, standing) in &standings {
                let standing = &standing[c];
                let owner = catalog
                    .services
                    .binary_search_by_key(entity, |s| s.entity)
                    .ok()
                    .and_then(|s| catalog.services[s].owner);
                let key = match owner {
                    Some(o) => (false, catalog.entities[o].metadata.name.to_ascii_lowercase()),
                    None => (true, String::new()),
                };
                let row = matrix.entry(key).or_insert_with(|| (owner, vec![0; levels + 1]));
                row.1[standing.reached.map_or(0, |l| l + 1)] += 1;
                for f in &standing.failing {
                    if let Some(slot) = failing[f.level].iter_mut().find(|(check, _)| *check == f.check) {
                        slot.1.push(*entity);
                    }
                }
            }
            let rows: Vec<Json> = matrix
                .into_values()
                .map(|(owner, counts)| {
                    json!({ "team": owner.map(|o| page_link(catalog, o)), "counts": counts, "total": counts.iter().sum::<usize>() })
                })
                .collect();
            let checks: Vec<Json> = failing
                .into_iter()
                .enumerate()
                .flat_map(|(l, checks)| {
                    let level = &scorecard.levels[l].name;
                    checks.into_iter().map(move |(check, services)| (level, check, services))
                })
                .map(|(level, check, services)| {
                    let rule = &rules.rules[check];
                    json!({
                        "level": level,
                        "rule": rule.id,
                        "message": rule.message_for_services(),
                        "count": services.len(),
                        "services": services.iter().take(SHOWN).map(|&s| page_link(catalog, s)).collect::<Vec<_>>(),
                        "more": services.len().saturating_sub(SHOWN),
                    })
                })
                .collect();
            let summary = summary(scorecard, standings.iter().map(|(_, s)| s[c].reached));
            Page {
                path: scorecard_path(scorecard),
                template: "scorecard.html",
                title: scorecard.label().to_string(),
                context: json!({
                    "scorecard": describe(scorecard, rules),
                    "label": scorecard.label(),
                    "levels": std::iter::once("none").chain(scorecard.levels.iter().map(|l| l.name.as_str())).collect::<Vec<_>>(),
                    "summary": summary,
                    "total": standings.len(),
                    "rows": rows,
                    "checks": checks,
                    "api": format!("{PREFIX}/scorecards/{}.json", scorecard.name),
                }),
            }
        })
        .collect()
}

/// `api/v1/exports/services.csv`: one row per service, RFC 4180.
fn services_csv(catalog: &Catalog) -> Vec<u8> {
    let scorecards = &catalog.verdicts.rules.scorecards;
    let mut out = csv_writer();
    let mut header: Vec<String> = [
        "name",
        "namespace",
        "owner",
        "owner_confidence",
        "tier",
        "lifecycle",
        "on_call",
        "slack",
        "repo",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(scorecards.iter().map(|s| format!("scorecard:{}", s.name)));
    write_row(&mut out, &header);
    for service in &catalog.services {
        let entity = &catalog.entities[service.entity];
        let confidence = service
            .owner
            .map(|_| format!("{:.2}", catalog.owner_confidence(service).0));
        let on_call: Vec<String> = service
            .on_call
            .iter()
            .map(|o| format!("{}: {}", o.annotation, o.value))
            .collect();
        let mut row = vec![
            entity.metadata.name.clone(),
            entity.metadata.namespace.to_string(),
            service.owner.map(|o| ref_of(catalog, o)).unwrap_or_default(),
            confidence.unwrap_or_default(),
            service.tier.clone().unwrap_or_default(),
            entity.lifecycle.as_deref().unwrap_or_default().to_string(),
            on_call.join("; "),
            service.slack.clone().unwrap_or_default(),
            service.repo.clone().unwrap_or_default(),
        ];
        row.extend(
            of(catalog, service.entity)
                .iter()
                .map(|s| s.level().unwrap_or_default().to_string()),
        );
        write_row(&mut out, &row);
    }
    out.into_inner().expect("writing CSV to memory cannot fail")
}

/// RFC 4180: CRLF, fields quoted when they hold a comma, quote or line
/// break, quotes doubled.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// One record; a field that a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-` or `@`) is prefixed with `'`.
fn write_row(out: &mut csv::Writer<Vec<u8>>, fields: &[String]) {
    let neutral = fields.iter().map(|field| {
        if field.starts_with(['=', '+', '-', '@']) {
            format!("'{field}")
        } else {
            field.clone()
        }
    });
    out.write_record(neutral).expect("writing CSV to memory cannot fail");
}

/// What these files add to `openapi.json`: (path, summary, media type,
/// schema, path parameters).
pub const PATHS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "/api/v1/scorecards/{name}.json",
        "A scorecard: its levels and checks, the count at each level, and every service's level and failing checks (first page)",
        "application/json",
        "Scorecard",
        &["name"],
    ),
    (
        "/api/v1/pages/scorecards/{name}/{page}.json",
        "A scorecard's services (later pages)",
        "application/json",
        "Scorecard",
        &["name", "page"],
    ),
    (
        "/api/v1/exports/services.csv",
        "Every service as CSV (RFC 4180): name, namespace, owner, owner confidence, tier, lifecycle, on-call, Slack, repo and a column per scorecard; a cell starting with =, +, - or @ is prefixed with '",
        "text/csv",
        "ServicesCsv",
        &[],
    ),
];

/// The schemas [`PATHS`] name.
pub fn schemas() -> Json {
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    let failing = json!({ "type": "array", "items": { "type": "object", "required": ["level", "rule", "message"], "properties": {
        "level": { "type": "string" }, "rule": { "type": "string" }, "message": { "type": "string" },
        "error": { "type": ["string", "null"], "description": "Why the check could not be evaluated, when that is why it failed" } } } });
    json!({
        "Scorecard": { "type": "object", "required": ["data", "pagination"], "properties": {
            "scorecard": { "type": "object", "description": "On the first page: the scorecard's name, title, description and levels (lowest first), each with its rules", "properties": {
                "name": { "type": "string" }, "title": nullable("string"), "description": nullable("string"),
                "levels": { "type": "array", "items": { "type": "object", "properties": { "name": { "type": "string" },
                    "rules": { "type": "array", "items": { "type": "object", "properties": { "rule": { "type": "string" }, "message": { "type": "string" } } } } } } } } },
            "summary": { "type": "object", "description": "On the first page: how many services stand at each level (`none`: below the first)", "additionalProperties": { "type": "integer" } },
            "data": { "type": "array", "items": { "type": "object", "required": ["ref", "name", "level", "failing"], "properties": {
                "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" }, "title": nullable("string"),
                "owner": nullable("string"), "level": { "type": ["string", "null"], "description": "The highest level whose rules, and every lower level's, the service passes" },
                "failing": failing.clone() } } },
            "pagination": { "$ref": "#/components/schemas/Pagination" } } },
        "ServiceScorecards": { "type": "array", "items": { "type": "object", "required": ["scorecard", "level", "failing", "url"], "properties": {
            "scorecard": { "type": "string" }, "level": nullable("string"), "failing": failing, "url": { "type": "string" } } } },
        "ServicesCsv": { "type": "string", "description": "text/csv with a header row" },
    })
}

#[cfg(test)]
mod tests {
    use super::{csv_writer, write_row};

    fn row(fields: &[&str]) -> String {
        let mut out = csv_writer();
        write_row(&mut out, &fields.iter().map(|f| f.to_string()).collect::<Vec<_>>());
        String::from_utf8(out.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn csv_quotes_as_rfc_4180_says_and_neutralises_formulas() {
        assert_eq!(row(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            row(&["a,b", "say \"hi\"", "two\nlines"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(
            row(&["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "a=b"]),
            "\"'=HYPERLINK(\"\"x\"\")\",'+1,'-2,'@SUM(A1),a=b\r\n"
        );
        assert_eq!(row(&[""]), "\"\"\r\n", "one empty field is not an empty line");
    }
}
