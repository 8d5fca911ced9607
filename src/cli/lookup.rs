//! `cairn lookup ALIAS`: who owns an alias (a PagerDuty service id or
//! integration key, a Datadog service name, a Kubernetes id…), an AWS ARN
//! or an entity — owner, on-call, Slack, runbooks — answered from the
//! static JSON API exactly as a tool fetching `lookup/aliases.json` would
//! find it: compiled in memory, or read from a built `--dist`.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value as Json;

use super::{Global, EXIT_ERRORS, EXIT_OK};
use crate::diagnostics::render::Format;
use crate::query::{who_owns, Api};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An alias (`checkout`, `PCK2F8N`, `app=checkout`), an AWS ARN or an
    /// entity ref (`component:checkout-service`).
    alias: String,
    /// Answer from a built site's `api/v1/` instead of compiling the catalog.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let api = match &args.dist {
        Some(dist) => Api::from_dist(dist)?,
        None => {
            let mut compilation = crate::pipeline::compile(&global.root, None, global.base.as_deref())?;
            crate::pipeline::read_render_inputs(&mut compilation, None)?;
            global.timings(&compilation);
            Api::new(crate::emit::api_only(&compilation))
        }
    };
    let answer = match who_owns(&api, &args.alias) {
        Ok(answer) => answer,
        Err(miss) => {
            if global.format == Format::Json {
                println!("{}", serde_json::json!({ "query": args.alias, "error": miss.0 }));
            } else {
                eprintln!("{miss}");
            }
            return Ok(EXIT_ERRORS);
        }
    };
    if global.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print!("{}", human(&answer));
    }
    Ok(EXIT_OK)
}

/// The answer for a terminal.
fn human(answer: &Json) -> String {
    let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
    let mut out = String::new();
    let matched = text(&answer["match"]);
    let what = match matched.as_str() {
        "alias" => format!("alias `{}`", text(&answer["alias"])),
        "arn" => "ARN".to_string(),
        _ => "entity".to_string(),
    };
    if answer["conflict"] == true {
        let _ = writeln!(
            out,
            "warning[alias-conflict]: {what} is claimed by {} services",
            answer["services"].as_array().map_or(0, Vec::len)
        );
    }
    if let Some(entity) = answer.get("entity") {
        let owner = entity["owner"]["ref"].as_str().unwrap_or("no owner");
        let _ = writeln!(out, "{} ({what})\n  owner     {owner}", text(&entity["ref"]));
    }
    for service in answer["services"].as_array().into_iter().flatten() {
        let sources: Vec<String> = service["sources"].as_array().into_iter().flatten().map(text).collect();
        let via = if sources.is_empty() {
            String::new()
        } else {
            format!(" via {}", sources.join(", "))
        };
        let _ = writeln!(out, "{} ({what}{via})", text(&service["ref"]));
        let owner = &service["owner"];
        if owner.is_object() {
            let _ = writeln!(
                out,
                "  owner     {} ({}, confidence {:.2})",
                text(&owner["ref"]),
                text(&owner["source"]),
                owner["confidence"].as_f64().unwrap_or_default()
            );
        } else {
            let _ = writeln!(out, "  owner     none");
        }
        if let Some(tier) = service["tier"].as_str() {
            let _ = writeln!(out, "  tier      {tier}");
        }
        for on_call in service["on_call"].as_array().into_iter().flatten() {
            let inherited = if on_call["inherited_from_owner"] == true {
                " (from the owner)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  on-call   {} {}{inherited}",
                text(&on_call["annotation"]),
                text(&on_call["value"])
            );
        }
        if let Some(slack) = service["slack"].as_str() {
            let _ = writeln!(out, "  slack     {slack}");
        }
        for runbook in service["runbooks"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "  runbook   {}", text(&runbook["url"]));
        }
        let _ = writeln!(out, "  routing   {}", text(&service["routing"]));
    }
    out
}
