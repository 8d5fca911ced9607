//! `cairn notify --base REF --to URL…`: posts the entity changes between
//! `--base` and HEAD to each webhook, one signed delivery per change (see
//! `crate::notify`), retrying timeouts and 5xx with backoff. A target that
//! keeps failing gets no more deliveries and makes the exit status 1;
//! `--dry-run` prints the deliveries instead of sending them.

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::json;

use super::{Global, EXIT_ERRORS, EXIT_OK};
use crate::client::{display_url, Client, Request, Retry};
use crate::diagnostics::render::Format;
use crate::load::revision::commit_info;
use crate::notify::{deliveries, signature, Delivery, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
use crate::pipeline::catalog_at;

/// The environment variable holding the signing secret.
pub const SECRET_VAR: &str = "CAIRN_WEBHOOK_SECRET";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A webhook URL to post each change to (repeat for more).
    #[arg(long = "to", value_name = "URL", required_unless_present = "dry_run")]
    to: Vec<String>,
    /// Print the deliveries (headers and bodies) instead of sending them.
    #[arg(long)]
    dry_run: bool,
    /// Seconds one attempt may take.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=300))]
    timeout: u64,
    /// Retries of a delivery that timed out or got a 5xx or 429, with
    /// backoff from half a second, doubling.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    retries: u32,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let base_rev = global
        .base
        .as_deref()
        .context("`cairn notify` needs `--base REF`: the revision the changes are counted from")?;
    for url in &args.to {
        check_url(url)?;
    }
    let secret = std::env::var(SECRET_VAR).ok().filter(|s| !s.is_empty());
    if secret.is_none() && !args.dry_run {
        bail!("{SECRET_VAR} is not set: every delivery is signed with it");
    }
    let base_commit = commit_info(&global.root, base_rev)?;
    let head_commit = commit_info(&global.root, "HEAD")?;
    let base = catalog_at(&global.root, &base_commit.id)?;
    let head = catalog_at(&global.root, &head_commit.id)?;
    let deliveries = deliveries(&base, &head, &base_commit, &head_commit);
    let short = |id: &str| id.chars().take(12).collect::<String>();
    if args.dry_run {
        print_dry_run(global, &deliveries, secret.as_deref());
        return Ok(EXIT_OK);
    }
    if deliveries.is_empty() {
        global.status(format!(
            "no entity changed between {} and {}: nothing to deliver",
            short(&base_commit.id),
            short(&head_commit.id)
        ));
        return Ok(EXIT_OK);
    }
    let secret = secret.expect("checked above");
    let client = Client::new(Retry {
        attempts: args.retries + 1,
        backoff: Duration::from_millis(500),
        max_wait: Duration::from_secs(60),
        timeout: Duration::from_secs(args.timeout),
    })?;
    let mut failed_targets = 0;
    let mut delivered = 0;
    for (n, url) in args.to.iter().enumerate() {
        let target = format!("target {} ({})", n + 1, display_url(url));
        for (sent, delivery) in deliveries.iter().enumerate() {
            let request = Request {
                method: http::Method::POST,
                url: url.clone(),
                headers: headers(delivery, &secret),
                body: delivery.body.clone(),
            };
            let outcome = client.send(&request, |attempt, why, wait| {
                global.status(format!(
                    "{target}: {} {} failed ({why}) on attempt {attempt}; retrying in {:.1} s",
                    delivery.event,
                    delivery.key,
                    wait.as_secs_f64()
                ));
            });
            if outcome.success().is_some() {
                delivered += 1;
                if global.verbose {
                    eprintln!(
                        "{target}: delivered {} {} ({})",
                        delivery.event, delivery.key, delivery.id
                    );
                }
                continue;
            }
            failed_targets += 1;
            eprintln!(
                "error: {target} kept failing: {} after {} attempt{}; {} of {} deliveries not sent to it",
                outcome.failure(),
                outcome.attempts,
                if outcome.attempts == 1 { "" } else { "s" },
                deliveries.len() - sent,
                deliveries.len()
            );
            break;
        }
    }
    global.status(format!(
        "{delivered} of {} deliveries sent ({} change{} from {} to {}, {} target{})",
        deliveries.len() * args.to.len(),
        deliveries.len(),
        if deliveries.len() == 1 { "" } else { "s" },
        short(&base_commit.id),
        short(&head_commit.id),
        args.to.len(),
        if args.to.len() == 1 { "" } else { "s" },
    ));
    Ok(if failed_targets > 0 { EXIT_ERRORS } else { EXIT_OK })
}

/// An http(s) URL with a host, or an error before anything is sent.
fn check_url(url: &str) -> anyhow::Result<()> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| anyhow::anyhow!("`--to {}` is not a URL", display_url(url)))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(()),
        _ => bail!("`--to {}` is not an http(s) URL", display_url(url)),
    }
}

fn headers(delivery: &Delivery, secret: &str) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("User-Agent".into(), format!("cairn/{}", env!("CARGO_PKG_VERSION"))),
        (EVENT_HEADER.into(), delivery.event.into()),
        (DELIVERY_HEADER.into(), delivery.id.clone()),
        (SIGNATURE_HEADER.into(), signature(secret.as_bytes(), &delivery.body)),
    ]
}

/// Each delivery's headers and body, signed when the secret is set.
fn print_dry_run(global: &Global, deliveries: &[Delivery], secret: Option<&str>) {
    let sign = |d: &Delivery| match secret {
        Some(secret) => signature(secret.as_bytes(), &d.body),
        None => format!("(unsigned: {SECRET_VAR} is not set)"),
    };
    if global.format == Format::Json {
        let rows: Vec<serde_json::Value> = deliveries
            .iter()
            .map(|d| {
                json!({
                    "event": d.event, "delivery": d.id, "signature": sign(d),
                    "body": serde_json::from_slice::<serde_json::Value>(&d.body).unwrap_or_default(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows).expect("JSON serializes"));
        return;
    }
    for d in deliveries {
        println!(
            "{EVENT_HEADER}: {}\n{DELIVERY_HEADER}: {}\n{SIGNATURE_HEADER}: {}\n\n{}\n",
            d.event,
            d.id,
            sign(d),
            String::from_utf8_lossy(&d.body)
        );
    }
    global.status(format!("{} deliveries (dry run: nothing sent)", deliveries.len()));
}
