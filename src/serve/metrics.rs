//! `/metrics`: counters kept by the workers and the rebuild loop, written
//! in Prometheus' text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::Snapshot;

#[derive(Default)]
pub struct Metrics {
    builds_ok: AtomicU64,
    builds_failed: AtomicU64,
    build_micros_sum: AtomicU64,
    build_micros_last: AtomicU64,
    requests: Mutex<BTreeMap<u16, u64>>,
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
