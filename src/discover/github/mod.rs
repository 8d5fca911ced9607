//! `cairn discover github --org ORG`: facts from a GitHub organisation,
//! read through octocrab with batched GraphQL queries.
//!
//! **Full scan** (no previous snapshot, or `--full`): one query per 100
//! repositories (`organization.repositories`, newest push first) fetches
//! everything a repo entry needs — languages with their sizes, the three
//! CODEOWNERS locations, `README.md`, the `.github/workflows` blobs, the
//! default branch's last 100 commits and the top-level tree — then the
//! teams, 100 per query with their members and repositories (a team with
//! more than 100 of either is paged on its own). A 500-repository
//! organisation takes 6 requests.
//!
//! **Refresh** (a snapshot exists at `--out`, or `--since` is given): a
//! light listing (ids, names, `pushedAt`; 100 per query) finds what is
//! there; only repositories pushed at or after the snapshot's newest
//! `pushed_at` (or `--since`), or missing from the snapshot, are fetched in
//! full, 100 per `nodes(ids:)` query. The others keep their previous entry;
//! repositories that disappeared, or are now archived or forks, are dropped.
//! The listing reads every repository (not only the newer ones) because a
//! deleted repository can only be noticed by its absence.
//!
//! Approximations, because GraphQL cannot list a whole tree in one request:
//! CODEOWNERS shares are computed over the top-level entries and one level
//! below (a directory two levels down counts as one entry); commit authors
//! are those of the last 100 commits on the default branch inside the
//! window (`--window-days`, ending at the last commit, not the clock, so an
//! unchanged repository gives identical facts); the description comes from
//! `README.md` only.
//!
//! Requests go through one loop that owns retries, so behaviour is
//! deterministic (octocrab's own retry layer is not compiled in): a 403 or
//! 429 with `Retry-After` waits that long; with `X-RateLimit-Remaining: 0`
//! it waits until `X-RateLimit-Reset`; a secondary rate limit without
//! `Retry-After` backs off from 60 s; 5xx and transport errors are retried
//! with exponential backoff, 4 attempts in all. A wait longer than
//! `--max-wait` (in all) gives up. A query that still fails becomes a
//! [`ScanError`] (`repos:page-N`, `repos:batch-N`, `teams:page-N`) and the
//! snapshot is marked partial, with everything read so far kept. Bad
//! credentials or an unknown organisation fail the whole scan.
//!
//! The token comes from `GITHUB_TOKEN` and is only ever put in the
//! `Authorization` header: it is redacted from every message.

mod client;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::codeowners::{self, CodeOwners};
use super::git::{first_paragraph, DEFAULT_WINDOW_DAYS};
use super::workflows::deploy_targets;
use crate::facts::{self, Author, Facts, Repo, ScanError, Source, Team, User};
use client::*;

/// GitHub's API; GraphQL is at `{api}/graphql`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// Repositories (or teams) per query: GraphQL's maximum page size.
const PAGE: usize = 100;
/// Attempts per query on server errors (5xx, transport errors).
const ATTEMPTS: u32 = 4;
/// A secondary rate limit without `Retry-After` waits this many backoff
/// units (60 s by default), doubling each time.
const SECONDARY_UNITS: u64 = 60;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the facts (relative to the catalog root). An existing
    /// snapshot there makes the scan a refresh.
    #[arg(long, default_value = "discovered/github.json")]
    pub out: PathBuf,
    /// The organisation to scan.
    #[arg(long)]
    pub org: String,
    /// The API's base URL (GitHub Enterprise Server: `https://HOST/api`).
    #[arg(long, default_value = DEFAULT_API_URL)]
    pub api_url: String,
    /// Re-read only repositories pushed at or after this time (RFC 3339).
    /// Default: the newest `pushed_at` of the snapshot at `--out`.
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// Re-read every repository even when a snapshot exists.
    #[arg(long, conflicts_with = "since")]
    pub full: bool,
    /// Include archived repositories.
    #[arg(long)]
    pub include_archived: bool,
    /// Include forks.
    #[arg(long)]
    pub include_forks: bool,
    /// Count commit authors over this many days before each repository's
    /// last commit.
    #[arg(long, default_value_t = DEFAULT_WINDOW_DAYS)]
    pub window_days: u32,
    /// Give up (and write a partial snapshot) rather than wait longer than
    /// this many seconds in all for rate limits.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub max_wait: u64,
    /// The backoff unit in milliseconds (5xx retries wait 1, 2, 4 units; a
    /// secondary rate limit 60 units). For tests.
    #[arg(long, default_value_t = 1000, hide = true)]
    pub backoff_ms: u64,
}

/// Scans the organisation; the facts are normalized. The returned value is
/// the scan metadata (requests, retries, waits…), never facts.
pub fn scan(args: &Args) -> anyhow::Result<(Facts, Value)> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s).ok_or_else(|| anyhow!("--since `{s}` is not an RFC 3339 time")))
        .transpose()?;
    let previous = if args.full { None } else { previous_snapshot(&args.out) };
    let since = since.or_else(|| previous.as_ref().and_then(newest_push));
    let token = std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.trim().is_empty());
    let mut client = Client::new(args, token)?;
    let progress = Progress::new();
    let mut scan = Scan {
        args,
        facts: Facts::new(Source::Github),
        progress: &progress,
        fetched: 0,
    };
    match since {
        None => scan.full(&mut client)?,
        Some(since) => scan.refresh(
            &mut client,
            since,
            previous.unwrap_or_else(|| Facts::new(Source::Github)),
        )?,
    }
    scan.teams(&mut client);
    progress.finish();
    let mut facts = scan.facts;
    let fetched = scan.fetched;
    facts.org = Some(args.org.clone());
    facts.normalize();
    let metadata = json!({
        "org": args.org,
        "mode": if since.is_some() { "refresh" } else { "full" },
        "since": since.and_then(|t| t.format(&Rfc3339).ok()),
        "requests": client.stats.requests,
        "retries": client.stats.retries,
        "rate_limit_waits": client.stats.rate_limit_waits,
        "waited_ms": client.stats.waited.as_millis() as u64,
        "repos": facts.repos.len(),
        "repos_fetched": fetched,
        "teams": facts.teams.len(),
        "window_days": args.window_days,
    });
    Ok((facts, metadata))
}

/// The snapshot a refresh starts from: the GitHub facts at `out`, if any.
fn previous_snapshot(out: &std::path::Path) -> Option<Facts> {
    let bytes = std::fs::read(out).ok()?;
    match serde_json::from_slice::<Facts>(&bytes) {
        Ok(facts) if facts.source == Source::Github => Some(facts),
        Ok(_) => None,
        Err(error) => {
            eprintln!(
                "warning: ignoring `{}` ({error}); reading every repository",
                out.display()
            );
            None
        }
    }
}

/// The newest `pushed_at` of a snapshot.
fn newest_push(facts: &Facts) -> Option<OffsetDateTime> {
    facts
        .repos
        .iter()
        .filter_map(|r| r.pushed_at.as_deref().and_then(parse_time))
        .max()
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

struct Scan<'a> {
    args: &'a Args,
    facts: Facts,
    progress: &'a Progress,
    /// Repositories read in full.
    fetched: usize,
}

impl Scan<'_> {
    /// Every repository in full, 100 per query.
    fn full(&mut self, client: &mut Client) -> anyhow::Result<()> {
        let query = format!("{}\n{}", REPOS_QUERY, repo_fragment());
        let mut cursor: Option<String> = None;
        for page in 1.. {
            let variables = self.page_variables(&cursor);
            let data = match client.graphql(&query, variables) {
                Ok(data) => data,
                Err(Failure::Fatal(message)) if page == 1 => return Err(anyhow!(message)),
                Err(failure) => {
                    self.fail(format!("repos:page-{page}"), failure.message());
                    break;
                }
            };
            let connection = organization(&data, &self.args.org)?
                .get("repositories")
                .unwrap_or(&Value::Null);
            self.progress.total(connection["totalCount"].as_u64());
            let nodes = connection["nodes"].as_array().map(Vec::as_slice).unwrap_or_default();
            for node in nodes {
                if let Some(repo) = self.wanted_repo(node) {
                    self.facts.repos.push(repo);
                }
            }
            self.fetched += nodes.len();
            self.progress.advance(nodes.len());
            match next_cursor(connection) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(())
    }

    /// Lists every repository, then reads in full only those pushed since
    /// `since` or missing from `previous`; keeps the others' entries.
    fn refresh(&mut self, client: &mut Client, since: OffsetDateTime, previous: Facts) -> anyhow::Result<()> {
        let mut listed: Vec<Listed> = Vec::new();
        let mut complete = true;
        let mut cursor: Option<String> = None;
        for page in 1.. {
            let variables = self.page_variables(&cursor);
            let data = match client.graphql(LIST_QUERY, variables) {
                Ok(data) => data,
                Err(Failure::Fatal(message)) if page == 1 => return Err(anyhow!(message)),
                Err(failure) => {
                    self.fail(format!("repos:page-{page}"), failure.message());
                    complete = false;
                    break;
                }
            };
            let connection = organization(&data, &self.args.org)?
                .get("repositories")
                .unwrap_or(&Value::Null);
            self.progress.total(connection["totalCount"].as_u64());
            for node in connection["nodes"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let (Some(id), Some(slug)) = (node["id"].as_str(), node["nameWithOwner"].as_str()) else {
                    continue;
                };
                if self.wanted(node) {
                    listed.push(Listed {
                        id: id.to_string(),
                        slug: slug.to_string(),
                        pushed_at: node["pushedAt"].as_str().and_then(parse_time),
                    });
                }
            }
            match next_cursor(connection) {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }

        let mut previous: HashMap<String, Repo> = previous
            .repos
            .into_iter()
            .filter(|r| r.path.is_empty())
            .map(|r| (r.slug.clone(), r))
            .collect();
        let (fetch, keep): (Vec<Listed>, Vec<Listed>) = listed
            .into_iter()
            .partition(|l| l.pushed_at.is_none_or(|p| p >= since) || !previous.contains_key(&l.slug));
        for listed in &keep {
            if let Some(repo) = previous.remove(&listed.slug) {
                self.facts.repos.push(repo);
            }
            self.progress.advance(1);
        }

        let query = format!("{}\n{}", NODES_QUERY, repo_fragment());
        for (batch, chunk) in fetch.chunks(PAGE).enumerate() {
            let ids: Vec<&str> = chunk.iter().map(|l| l.id.as_str()).collect();
            match client.graphql(&query, json!({ "ids": ids })) {
                Ok(data) => {
                    for node in data["nodes"].as_array().map(Vec::as_slice).unwrap_or_default() {
                        if let Some(repo) = self.wanted_repo(node) {
                            previous.remove(&repo.slug);
                            self.facts.repos.push(repo);
                        }
                    }
                    self.fetched += chunk.len();
                }
                Err(failure) => {
                    // Keep the previous (older) entries of what could not be
                    // re-read; the snapshot says it is partial.
                    self.fail(format!("repos:batch-{}", batch + 1), failure.message());
                    for listed in chunk {
                        if let Some(repo) = previous.remove(&listed.slug) {
                            self.facts.repos.push(repo);
                        }
                    }
                }
            }
            self.progress.advance(chunk.len());
        }
        if !complete {
            // Whatever the listing did not reach may still exist.
            self.facts.repos.extend(previous.into_values());
        }
        Ok(())
    }

    /// Teams with their members and repositories.
    fn teams(&mut self, client: &mut Client) {
        let mut cursor: Option<String> = None;
        for page in 1.. {
            let variables = json!({ "org": self.args.org, "cursor": cursor });
            let data = match client.graphql(TEAMS_QUERY, variables) {
                Ok(data) => data,
                Err(failure) => {
                    self.fail(format!("teams:page-{page}"), failure.message());
                    return;
                }
            };
            let connection = &data["organization"]["teams"];
            for node in connection["nodes"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let Some(slug) = node["slug"].as_str() else { continue };
                let members = self.team_connection(client, slug, node, "members", "login");
                let repos = self.team_connection(client, slug, node, "repositories", "nameWithOwner");
                self.facts.teams.push(Team {
                    slug: slug.to_string(),
                    name: node["name"].as_str().unwrap_or(slug).to_string(),
                    members,
                    repos,
                    parent: node["parentTeam"]["slug"].as_str().map(str::to_string),
                });
            }
            match next_cursor(connection) {
                Some(next) => cursor = Some(next),
                None => return,
            }
        }
    }

    /// The values of `field` over a team's `connection` (`members` or
    /// `repositories`): the first 100 came with the team; the rest are
    /// paged here.
    fn team_connection(
        &mut self,
        client: &mut Client,
        slug: &str,
        team: &Value,
        connection: &str,
        field: &str,
    ) -> Vec<String> {
        // Members come with their profile's name and public email.
        let collect = |conn: &Value, into: &mut Vec<String>, users: &mut Vec<User>| {
            for node in conn["nodes"].as_array().map(Vec::as_slice).unwrap_or_default() {
                if let Some(value) = node[field].as_str() {
                    into.push(value.to_string());
                    if connection == "members" {
                        let text = |key: &str| node[key].as_str().filter(|v| !v.is_empty()).map(str::to_string);
                        users.push(User {
                            login: value.to_string(),
                            name: text("name"),
                            email: text("email"),
                        });
                    }
                }
            }
        };
        let mut values = Vec::new();
        collect(&team[connection], &mut values, &mut self.facts.users);
        let mut cursor = next_cursor(&team[connection]);
        let query = team_connection_query(connection, field);
        while let Some(after) = cursor {
            let variables = json!({ "org": self.args.org, "slug": slug, "cursor": after });
            match client.graphql(&query, variables) {
                Ok(data) => {
                    let conn = &data["organization"]["team"][connection];
                    collect(conn, &mut values, &mut self.facts.users);
                    cursor = next_cursor(conn);
                }
                Err(failure) => {
                    self.fail(format!("teams:{slug}/{connection}"), failure.message());
                    break;
                }
            }
        }
        values
    }

    fn page_variables(&self, cursor: &Option<String>) -> Value {
        json!({
            "org": self.args.org,
            "cursor": cursor,
            "isArchived": (!self.args.include_archived).then_some(false),
            "isFork": (!self.args.include_forks).then_some(false),
        })
    }

    /// Whether the flags keep this repository (the query filters already;
    /// this keeps the result right whatever the server did).
    fn wanted(&self, node: &Value) -> bool {
        (self.args.include_archived || node["isArchived"] != Value::Bool(true))
            && (self.args.include_forks || node["isFork"] != Value::Bool(true))
    }

    fn wanted_repo(&self, node: &Value) -> Option<Repo> {
        if !self.wanted(node) {
            return None;
        }
        repo_of(node, self.args.window_days)
    }

    fn fail(&mut self, scope: String, message: String) {
        self.facts.partial = true;
        self.facts.errors.push(ScanError { scope, message });
    }
}

/// A repository as the refresh listing sees it.
struct Listed {
    id: String,
    slug: String,
    pushed_at: Option<OffsetDateTime>,
}

/// `data.organization`, or an error naming the organisation.
fn organization<'a>(data: &'a Value, org: &str) -> anyhow::Result<&'a Value> {
    match &data["organization"] {
        Value::Null => Err(anyhow!(
            "GitHub has no organisation `{org}` (or the token cannot see it)"
        )),
        organization => Ok(organization),
    }
}

/// The cursor of the next page, if there is one.
fn next_cursor(connection: &Value) -> Option<String> {
    let info = &connection["pageInfo"];
    if info["hasNextPage"].as_bool() == Some(true) {
        info["endCursor"].as_str().map(str::to_string)
    } else {
        None
    }
}

/// One page of the organization's repositories (archived and forks as the
/// variables say, most recently pushed first), each node as `$nodes`.
macro_rules! repositories_query {
    ($nodes:literal) => {
        concat!(
            "\
query($org: String!, $cursor: String, $isArchived: Boolean, $isFork: Boolean) {
  organization(login: $org) {
    repositories(first: 100, after: $cursor, isArchived: $isArchived, isFork: $isFork, orderBy: {field: PUSHED_AT, direction: DESC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ",
            $nodes,
            " }
    }
  }
}"
        )
    };
}

const REPOS_QUERY: &str = repositories_query!("...Repo");

const LIST_QUERY: &str = repositories_query!("id nameWithOwner pushedAt isArchived isFork");

const NODES_QUERY: &str = "\
query($ids: [ID!]!) {
  nodes(ids: $ids) { ...Repo }
}";

const TEAMS_QUERY: &str = "\
query($org: String!, $cursor: String) {
  organization(login: $org) {
    teams(first: 100, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {
        slug name parentTeam { slug }
        members(first: 100) { pageInfo { hasNextPage endCursor } nodes { login name email } }
        repositories(first: 100) { pageInfo { hasNextPage endCursor } nodes { nameWithOwner } }
      }
    }
  }
}";

/// The rest of one team's `members` or `repositories`.
fn team_connection_query(connection: &str, field: &str) -> String {
    let fields = if connection == "members" {
        format!("{field} name email")
    } else {
        field.to_string()
    };
    format!(
        "query($org: String!, $slug: String!, $cursor: String) {{
  organization(login: $org) {{
    team(slug: $slug) {{
      {connection}(first: 100, after: $cursor) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }}
    }}
  }}
}}"
    )
}

/// What one repository entry needs, as a fragment; the CODEOWNERS aliases
/// `codeowners0..2` follow [`codeowners::LOCATIONS`].
fn repo_fragment() -> String {
    let codeowners: String = codeowners::LOCATIONS
        .iter()
        .enumerate()
        .map(|(i, location)| {
            format!("  codeowners{i}: object(expression: \"HEAD:{location}\") {{ ... on Blob {{ text }} }}\n")
        })
        .collect();
    format!(
        "fragment Repo on Repository {{
  id nameWithOwner pushedAt isArchived isFork
  languages(first: 20, orderBy: {{field: SIZE, direction: DESC}}) {{ edges {{ size node {{ name }} }} }}
{codeowners}  readme: object(expression: \"HEAD:README.md\") {{ ... on Blob {{ text }} }}
  workflows: object(expression: \"HEAD:.github/workflows\") {{ ... on Tree {{ entries {{ name object {{ ... on Blob {{ text }} }} }} }} }}
  tree: object(expression: \"HEAD:\") {{ ... on Tree {{ entries {{ name type object {{ ... on Tree {{ entries {{ name type }} }} }} }} }} }}
  defaultBranchRef {{ target {{ ... on Commit {{ committedDate history(first: 100) {{ nodes {{ committedDate author {{ email user {{ login }} }} }} }} }} }} }}
}}"
    )
}

/// One repository node (the `Repo` fragment) as a repo entry; `None`
/// without a name.
fn repo_of(node: &Value, window_days: u32) -> Option<Repo> {
    let slug = node["nameWithOwner"].as_str()?.to_string();
    let languages = node["languages"]["edges"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|edge| Some((edge["node"]["name"].as_str()?.to_string(), edge["size"].as_u64()?)))
        .collect();

    let tree = node["tree"]["entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let files = tree_files(tree);
    let codeowners = codeowners::LOCATIONS.iter().enumerate().find_map(|(i, location)| {
        let text = node[format!("codeowners{i}")]["text"].as_str()?;
        Some(facts::CodeOwners {
            file: location.to_string(),
            shares: CodeOwners::parse(text).shares(files.iter().map(String::as_str)),
        })
    });
    let catalog_info = tree.iter().any(|entry| {
        entry["type"] == "blob" && matches!(entry["name"].as_str(), Some("catalog-info.yaml" | "catalog-info.yml"))
    });

    let workflows = node["workflows"]["entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut targets: Vec<_> = workflows
        .iter()
        .filter(|entry| {
            entry["name"]
                .as_str()
                .is_some_and(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        })
        .filter_map(|entry| entry["object"]["text"].as_str())
        .flat_map(deploy_targets)
        .collect();
    targets.sort();
    targets.dedup();

    let head = &node["defaultBranchRef"]["target"];
    let last_commit = head["committedDate"].as_str().map(str::to_string);
    let history = head["history"]["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let authors = authors(history, last_commit.as_deref().and_then(parse_time), window_days);

    Some(Repo {
        slug,
        path: String::new(),
        description: node["readme"]["text"].as_str().and_then(first_paragraph),
        languages,
        catalog_info,
        last_commit,
        pushed_at: node["pushedAt"].as_str().map(str::to_string),
        codeowners,
        authors,
        deploy_targets: targets,
    })
}

/// The paths CODEOWNERS shares are computed over: top-level blobs, and the
/// entries of each top-level directory; a directory at the second level
/// stands for its files as one entry, `dir/sub/*`.
fn tree_files(tree: &[Value]) -> Vec<String> {
    let mut files = Vec::new();
    for entry in tree {
        let Some(name) = entry["name"].as_str() else { continue };
        match entry["type"].as_str() {
            Some("blob") => files.push(name.to_string()),
            Some("tree") => {
                for sub in entry["object"]["entries"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    let Some(sub_name) = sub["name"].as_str() else { continue };
                    match sub["type"].as_str() {
                        Some("blob") => files.push(format!("{name}/{sub_name}")),
                        Some("tree") => files.push(format!("{name}/{sub_name}/*")),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    files
}

/// Commit authors of the commits at most `window_days` before `head`
/// (everything when the head's date is unknown), by lowercased e-mail.
fn authors(history: &[Value], head: Option<OffsetDateTime>, window_days: u32) -> Vec<Author> {
    let start = head.map(|h| h - time::Duration::days(i64::from(window_days)));
    let mut by_email: BTreeMap<String, Author> = BTreeMap::new();
    for commit in history {
        let date = commit["committedDate"].as_str().and_then(parse_time);
        if let (Some(start), Some(date)) = (start, date) {
            if date < start {
                continue;
            }
        }
        let Some(email) = commit["author"]["email"].as_str().map(str::to_lowercase) else {
            continue;
        };
        if email.is_empty() {
            continue;
        }
        let author = by_email.entry(email.clone()).or_insert_with(|| Author {
            email,
            login: None,
            commits: 0,
        });
        author.commits += 1;
        if author.login.is_none() {
            author.login = commit["author"]["user"]["login"].as_str().map(str::to_string);
        }
    }
    by_email.into_values().collect()
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new() -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("repositories {bar:30} {pos}/{len}") {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }

    fn total(&self, total: Option<u64>) {
        if let (Some(bar), Some(total)) = (&self.0, total) {
            bar.set_length(total);
        }
    }

    fn advance(&self, n: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(n as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests;
