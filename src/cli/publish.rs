//! `cairn publish --to s3://bucket/prefix`: build the site (or take
//! `--dist`), upload what changed, delete what is gone, invalidate
//! CloudFront. See the `publish` module for the order that keeps the live
//! site whole.

use std::path::PathBuf;

use super::build::build_site;
use super::{Global, EXIT_ERRORS, EXIT_OK};
use crate::publish::{self, s3, Target};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to publish: `s3://bucket` or `s3://bucket/prefix/`.
    #[arg(long, value_name = "S3_URL")]
    to: String,
    /// Publish this already-built directory instead of building.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// The URL path the site is built for (default: the prefix's path).
    #[arg(long, value_name = "PATH", conflicts_with = "dist")]
    base_url: Option<String>,
    /// An S3-compatible endpoint instead of AWS (also `AWS_ENDPOINT_URL`).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The AWS profile to use (also `AWS_PROFILE`).
    #[arg(long)]
    profile: Option<String>,
    /// The bucket's region (also `AWS_REGION`; default us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// Invalidate the changed paths in this CloudFront distribution.
    #[arg(long, value_name = "ID")]
    cloudfront_distribution_id: Option<String>,
    /// Print what would be uploaded and deleted; change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let target = Target::parse(&args.to)?;
    let built;
    let dist = match &args.dist {
        Some(dist) => dist.clone(),
        None => {
            built = tempfile::Builder::new().prefix("cairn-publish-").tempdir()?;
            let out_dir = built.path().join("site");
            let base_url = args.base_url.clone().unwrap_or_else(|| target.url_path());
            match build_site(global, &out_dir, Some(&base_url), false)? {
                Some(_) => out_dir,
                None => {
                    global.status("nothing published: the catalog has errors");
                    return Ok(EXIT_ERRORS);
                }
            }
        }
    };
    if let Some(warning) = publish::base_url_mismatch(&publish::site_base_url(&dist)?, &target) {
        eprintln!("warning: {warning}");
    }
    let files = publish::scan_site(&dist)?;
    let connection = s3::Connection {
        profile: args.profile,
        region: args.region,
        endpoint_url: args.endpoint_url,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let clients = s3::Clients::connect(&connection).await?;
        let remote = clients.list(&target).await?;
        let plan = publish::plan(&files, &remote, &target);
        if args.dry_run {
            for upload in &plan.upload {
                println!("upload {}", upload.key);
            }
            for key in &plan.delete {
                println!("delete {key}");
            }
            println!(
                "dry run for {target}: {} to upload, {} to delete, {} unchanged",
                plan.upload.len(),
                plan.delete.len(),
                plan.unchanged
            );
            return Ok(EXIT_OK);
        }
        let outcome = s3::execute(&clients, &target, &plan, args.cloudfront_distribution_id.as_deref()).await?;
        println!(
            "published to {target}: {} uploaded, {} deleted, {} unchanged",
            outcome.uploaded, outcome.deleted, outcome.unchanged
        );
        if let Some((paths, id)) = &outcome.invalidation {
            println!("invalidation {id}: {}", paths.join(" "));
        }
        Ok(EXIT_OK)
    })
}
