//! `cairn discover aws`: not written yet (issue #6).

use super::facts::Facts;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the facts (relative to the catalog root).
    #[arg(long, default_value = "discovered/aws.json")]
    pub out: std::path::PathBuf,
    /// Regions to scan.
    #[arg(long)]
    pub region: Vec<String>,
}

pub fn scan(_args: &Args) -> anyhow::Result<(Facts, serde_json::Value)> {
    anyhow::bail!("`cairn discover aws` is not implemented yet")
}
