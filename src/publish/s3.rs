//! The network half of publishing, with the AWS SDK for Rust: list the
//! objects under the prefix, upload, delete, invalidate. Credentials, region
//! and profile come from the SDK's usual chain (environment, profile files,
//! SSO, instance roles); `--endpoint-url` points everything at another
//! S3-compatible endpoint (path-style addressing, as emulators need).

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context};
use aws_sdk_s3::config::{Region, RequestChecksumCalculation};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures_util::{StreamExt, TryStreamExt};

use super::{invalidation_paths, Plan, Target, Upload};

/// Uploads in flight at once.
const CONCURRENT_UPLOADS: usize = 32;
/// DeleteObjects takes at most this many keys per request.
const DELETE_BATCH: usize = 1000;

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// The clients of one publish, with credentials already checked.
pub struct Clients {
    s3: aws_sdk_s3::Client,
    cloudfront: aws_sdk_cloudfront::Client,
}

impl Clients {
    /// Loads the SDK configuration and fails early — before anything is
    /// listed, uploaded or deleted — when there are no credentials.
    pub async fn connect(connection: &Connection) -> anyhow::Result<Clients> {
        let mut loader = crate::util::aws::loader(connection.profile.as_deref(), connection.endpoint_url.as_deref());
        if let Some(region) = &connection.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let shared = crate::util::aws::load(loader).await?;
        let region = shared.region().cloned().unwrap_or_else(|| Region::new("us-east-1"));
        let s3 = aws_sdk_s3::config::Builder::from(&shared)
            .region(region)
            .force_path_style(connection.endpoint_url.is_some())
            // Checksums only where S3 requires them: S3-compatible stores
            // (and emulators) differ in which trailing checksums they accept.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        let cloudfront = aws_sdk_cloudfront::config::Builder::from(&shared)
            .region(Region::new("us-east-1"))
            .build();
        Ok(Clients {
            s3: aws_sdk_s3::Client::from_conf(s3),
            cloudfront: aws_sdk_cloudfront::Client::from_conf(cloudfront),
        })
    }

    /// Key → ETag of every object under the prefix. Fails (before any
    /// change) when the bucket does not exist or cannot be listed.
    pub async fn list(&self, target: &Target) -> anyhow::Result<BTreeMap<String, String>> {
        let mut objects = BTreeMap::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&target.bucket)
            .prefix(&target.prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                let code = error
                    .as_service_error()
                    .and_then(|e| e.meta().code())
                    .map(str::to_string);
                match code.as_deref() {
                    Some("NoSuchBucket") => anyhow!("bucket `{}` does not exist", target.bucket),
                    Some("AccessDenied") => anyhow!("access denied listing `{target}`"),
                    _ => anyhow!("cannot list `{target}`: {}", DisplayErrorContext(&error)),
                }
            })?;
            for object in page.contents() {
                if let (Some(key), Some(etag)) = (object.key(), object.e_tag()) {
                    objects.insert(key.to_string(), etag.to_string());
                }
            }
        }
        Ok(objects)
    }

    /// Uploads in three waves — assets and data, pages, the front page — so
    /// a page is never live before what it references.
    pub async fn upload(&self, target: &Target, uploads: &[Upload<'_>]) -> anyhow::Result<()> {
        let mut start = 0;
        while start < uploads.len() {
            let rank = super::upload_rank(&uploads[start].file.relative);
            let end = start
                + uploads[start..]
                    .iter()
                    .take_while(|u| super::upload_rank(&u.file.relative) == rank)
                    .count();
            futures_util::stream::iter(&uploads[start..end])
                .map(|upload| self.put(target, upload))
                .buffer_unordered(CONCURRENT_UPLOADS)
                .try_collect::<Vec<()>>()
                .await?;
            start = end;
        }
        Ok(())
    }

    async fn put(&self, target: &Target, upload: &Upload<'_>) -> anyhow::Result<()> {
        let bytes = std::fs::read(&upload.file.path)
            .with_context(|| format!("cannot read `{}`", upload.file.path.display()))?;
        self.s3
            .put_object()
            .bucket(&target.bucket)
            .key(&upload.key)
            .body(ByteStream::from(bytes))
            .content_type(super::content_type(&upload.file.relative))
            .cache_control(super::cache_control(&upload.file.relative))
            .send()
            .await
            .map_err(|error| anyhow!("cannot upload `{}`: {}", upload.key, DisplayErrorContext(&error)))?;
        Ok(())
    }

    /// Deletes keys in batches; any key S3 refuses is an error.
    pub async fn delete(&self, target: &Target, keys: &[String]) -> anyhow::Result<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()?;
            let delete = Delete::builder().set_objects(Some(objects)).quiet(true).build()?;
            let output = self
                .s3
                .delete_objects()
                .bucket(&target.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|error| anyhow!("cannot delete from `{target}`: {}", DisplayErrorContext(&error)))?;
            if let Some(failed) = output.errors().first() {
                bail!(
                    "cannot delete `{}`: {}",
                    failed.key().unwrap_or("?"),
                    failed.message().unwrap_or("no reason given")
                );
            }
        }
        Ok(())
    }

    /// Creates a CloudFront invalidation for `paths`; returns its id.
    pub async fn invalidate(&self, distribution_id: &str, paths: &[String], reference: &str) -> anyhow::Result<String> {
        use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
        let batch = InvalidationBatch::builder()
            .paths(
                Paths::builder()
                    .quantity(i32::try_from(paths.len())?)
                    .set_items(Some(paths.to_vec()))
                    .build()?,
            )
            .caller_reference(reference)
            .build()?;
        let output = self
            .cloudfront
            .create_invalidation()
            .distribution_id(distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|error| {
                anyhow!(
                    "the files are published, but invalidating CloudFront distribution `{distribution_id}` failed: {}",
                    DisplayErrorContext(&error)
                )
            })?;
        Ok(output.invalidation().map(|i| i.id().to_string()).unwrap_or_default())
    }
}

/// What a publish did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub uploaded: usize,
    pub deleted: usize,
    pub unchanged: usize,
    /// The invalidated paths and the invalidation's id.
    pub invalidation: Option<(Vec<String>, String)>,
}

/// Runs a plan: uploads, then deletes, then the invalidation.
pub async fn execute(
    clients: &Clients,
    target: &Target,
    plan: &Plan<'_>,
    distribution_id: Option<&str>,
) -> anyhow::Result<Outcome> {
    clients.upload(target, &plan.upload).await?;
    clients.delete(target, &plan.delete).await?;
    let mut outcome = Outcome {
        uploaded: plan.upload.len(),
        deleted: plan.delete.len(),
        unchanged: plan.unchanged,
        invalidation: None,
    };
    if let Some(id) = distribution_id {
        let paths = invalidation_paths(plan, target);
        if !paths.is_empty() {
            let reference = invalidation_reference(plan);
            let invalidation = clients.invalidate(id, &paths, &reference).await?;
            outcome.invalidation = Some((paths, invalidation));
        }
    }
    Ok(outcome)
}

/// A caller reference unique to this publish (CloudFront treats a repeated
/// reference as the same invalidation): the time and a hash of the change.
fn invalidation_reference(plan: &Plan<'_>) -> String {
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    for upload in &plan.upload {
        hasher.update(upload.key.as_bytes());
        hasher.update(upload.file.md5.as_bytes());
    }
    for key in &plan.delete {
        hasher.update(key.as_bytes());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("cairn-{now}-{}", &super::hex(&hasher.finalize())[..12])
}
