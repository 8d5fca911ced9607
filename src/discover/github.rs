//! `cairn discover github --org ORG`: not written yet (issue #6).

use super::facts::Facts;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the facts (relative to the catalog root).
    #[arg(long, default_value = "discovered/github.json")]
    pub out: std::path::PathBuf,
    /// The organisation to scan.
    #[arg(long)]
    pub org: String,
}

pub fn scan(_args: &Args) -> anyhow::Result<(Facts, serde_json::Value)> {
    anyhow::bail!("`cairn discover github` is not implemented yet")
}
