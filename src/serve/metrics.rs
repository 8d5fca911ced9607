//! `/metrics`: counters kept by the workers and the rebuild loop, and the
//! age of each `git:` source and discovery snapshot of the served build
//! (counted from now, when asked — unlike the build's output), written in
//! Prometheus' text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::Snapshot;
use crate::pipeline::Compilation;

#[derive(Default)]
pub struct Metrics {
    builds_ok: AtomicU64,
    builds_failed: AtomicU64,
    build_micros_sum: AtomicU64,
    build_micros_last: AtomicU64,
    requests: Mutex<BTreeMap<u16, u64>>,
    sources: Mutex<Vec<SourceAge>>,
}

/// An input from outside the catalog, for the source health metrics.
struct SourceAge {
    /// `git` or `snapshot`.
    kind: &'static str,
    /// The redacted URL, or the snapshot's file.
    name: String,
    /// When it was last fetched or scanned (seconds since the epoch).
    at: Option<i64>,
    /// A git source that could not be fetched.
    stale: bool,
    /// A snapshot older than this many days is stale.
    max_age_days: Option<u32>,
}

/// Label values are quoted strings: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Counts one build (compile and render) that took `took`.
    pub fn build(&self, ok: bool, took: Duration) {
        let counter = if ok { &self.builds_ok } else { &self.builds_failed };
        counter.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.build_micros_sum.fetch_add(micros, Ordering::Relaxed);
        self.build_micros_last.store(micros, Ordering::Relaxed);
    }

    /// Remembers the `git:` sources and snapshots of the build being served.
    pub fn sources(&self, compilation: &Compilation) {
        let mut ages: Vec<SourceAge> = compilation
            .git_sources
            .iter()
            .map(|s| SourceAge {
                kind: "git",
                name: s.url.clone(),
                at: s.fetched_at,
                stale: s.stale,
                max_age_days: None,
            })
            .collect();
        ages.extend(compilation.snapshots.files.iter().map(|s| SourceAge {
            kind: "snapshot",
            name: s.display.clone(),
            at: s.scanned_at,
            stale: false,
            max_age_days: Some(compilation.config.max_age_days),
        }));
        *self.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = ages;
    }

    /// Counts one response with `status`.
    pub fn request(&self, status: u16) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(status)
            .or_default() += 1;
    }

    /// The exposition text.
    pub fn render(&self, snapshot: &Snapshot, sse_clients: usize) -> String {
        let ok = self.builds_ok.load(Ordering::Relaxed);
        let failed = self.builds_failed.load(Ordering::Relaxed);
        let seconds = |micros: &AtomicU64| micros.load(Ordering::Relaxed) as f64 / 1e6;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, String)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        metric(
            "cairn_builds_total",
            "counter",
            "Builds since the server started, by result.",
            &[
                ("{result=\"ok\"}", ok.to_string()),
                ("{result=\"failed\"}", failed.to_string()),
            ],
        );
        metric(
            "cairn_build_duration_seconds",
            "summary",
            "Time to compile and render the catalog.",
            &[
                ("_sum", seconds(&self.build_micros_sum).to_string()),
                ("_count", (ok + failed).to_string()),
            ],
        );
        metric(
            "cairn_last_build_duration_seconds",
            "gauge",
            "Time the last build took.",
            &[("", seconds(&self.build_micros_last).to_string())],
        );
        let build = snapshot.build.as_deref();
        metric(
            "cairn_entities",
            "gauge",
            "Entities in the build being served.",
            &[("", build.map_or(0, |b| b.entities.len()).to_string())],
        );
        let (errors, warnings) = match (&snapshot.failure, build) {
            (Some(failure), _) => {
                let counts = crate::diagnostics::Counts::of(&failure.diagnostics);
                (counts.errors, counts.warnings)
            }
            (None, Some(build)) => (build.errors, build.warnings),
            (None, None) => (0, 0),
        };
        metric(
            "cairn_diagnostics",
            "gauge",
            "Diagnostics of the last build, by severity.",
            &[
                ("{severity=\"error\"}", errors.to_string()),
                ("{severity=\"warning\"}", warnings.to_string()),
            ],
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let (mut ages, mut stale) = (Vec::new(), Vec::new());
        for source in self
            .sources
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
        {
            let labels = format!("{{kind=\"{}\",source=\"{}\"}}", source.kind, label(&source.name));
            let age = source.at.map(|at| (now - at).max(0));
            if let Some(age) = age {
                ages.push((labels.clone(), age.to_string()));
            }
            let old = matches!((age, source.max_age_days), (Some(age), Some(days)) if age > i64::from(days) * 86_400);
            stale.push((labels, u8::from(source.stale || old).to_string()));
        }
        metric(
            "cairn_source_age_seconds",
            "gauge",
            "Seconds since each git source was last fetched and each discovery snapshot was scanned.",
            &ages.iter().map(|(l, v)| (l.as_str(), v.clone())).collect::<Vec<_>>(),
        );
        metric(
            "cairn_source_stale",
            "gauge",
            "1 for a git source that could not be fetched or a snapshot older than discovery.max_age_days.",
            &stale.iter().map(|(l, v)| (l.as_str(), v.clone())).collect::<Vec<_>>(),
        );
        metric(
            "cairn_sse_clients",
            "gauge",
            "Clients connected to /api/v1/events.",
            &[("", sse_clients.to_string())],
        );
        let requests: Vec<(String, String)> = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(status, count)| (format!("{{status=\"{status}\"}}"), count.to_string()))
            .collect();
        let requests: Vec<(&str, String)> = requests.iter().map(|(l, v)| (l.as_str(), v.clone())).collect();
        metric(
            "cairn_http_requests_total",
            "counter",
            "Responses sent, by status.",
            &requests,
        );
        out
    }
}
