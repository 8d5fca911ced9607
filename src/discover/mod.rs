//! Discovery: scanners that read the world (local git clones, a GitHub
//! organisation, an AWS account) and write facts files into the catalog
//! repository. A discovery run is a commit; the build only ever reads the
//! committed facts and never calls the network.
//!
//! * [`facts`] — the versioned JSON format every scanner writes.
//! * [`git`] — local clones with git2: CODEOWNERS, README, languages,
//!   commit authors, deploy workflows.
//! * [`github`] — a GitHub organisation through octocrab (batched GraphQL).
//! * [`aws`] — an AWS account through the AWS SDK, read-only calls only.
//!
//! Reconciling facts with the declared catalog happens in the build, in
//! `resolve::reconcile`.

pub mod aws;
pub mod codeowners;
pub mod git;
pub mod github;
pub mod workflows;

use std::path::Path;

use crate::util::write_atomically;

use crate::facts::Facts;

/// Writes a facts file atomically (temporary file in the same directory,
/// then rename), and the scan metadata beside it as `NAME.scan.json`, which
/// the build ignores. Creates the directory.
pub fn write_facts(out: &Path, facts: &Facts, scan: &serde_json::Value) -> anyhow::Result<()> {
    let bytes = facts.to_bytes();
    write_atomically(out, |file| file.write_all(&bytes))?;
    let mut scan_bytes = serde_json::to_vec_pretty(scan).expect("scan metadata serializes");
    scan_bytes.push(b'\n');
    write_atomically(&crate::facts::scan_path(out), |file| file.write_all(&scan_bytes))
}
