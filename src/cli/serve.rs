//! `cairn serve`: the local preview server (see `crate::serve`). Flags
//! become `serve::Options`; diagnostics of failed builds are printed with
//! the same renderer as `cairn check`.

use std::net::IpAddr;
use std::time::Duration;

use super::{Global, EXIT_OK};
use crate::serve::{run, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on. Anything but a loopback address exposes
    /// the catalog to the network.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Open the portal in the default browser.
    #[arg(long)]
    open: bool,
    /// Seconds between keep-alive comments on idle event streams.
    #[arg(long, default_value_t = 15, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    heartbeat: u64,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let reporter = global.clone();
    run(Options {
        root: global.root.clone(),
        base: global.base.clone(),
        bind: args.bind,
        port: args.port,
        open: args.open,
        heartbeat: Duration::from_secs(args.heartbeat),
        report: Box::new(move |compilation| {
            reporter.report(compilation, &compilation.diagnostics, compilation.files.len());
        }),
    })?;
    Ok(EXIT_OK)
}
