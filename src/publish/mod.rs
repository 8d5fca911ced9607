//! Publish: incremental upload of a built site to S3, then a CloudFront
//! invalidation of what changed. Runs after `emit`, on its output directory.
//!
//! The order of operations is what keeps a live site whole: the remote
//! listing is compared with the local files by MD5 (S3's ETag of a
//! single-part upload), changed and new files are uploaded — data and assets
//! before the HTML pages that reference them — and only then are removed
//! files deleted. A publish that dies half-way leaves every old object in
//! place; the next publish sees what already matches and completes the rest.
//!
//! This module holds the pure part — the target, the local scan, the plan,
//! the headers, the invalidation paths — and [`s3`] the network calls.

pub mod s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use md5::{Digest, Md5};
use rayon::prelude::*;

/// Where a site is published: `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub bucket: String,
    /// Empty, or a key prefix ending in `/` (normalized, whatever the user typed).
    pub prefix: String,
}

impl Target {
    /// Parses `s3://bucket`, `s3://bucket/prefix` or `s3://bucket/prefix/`.
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let Some(rest) = url.strip_prefix("s3://") else {
            bail!("--to must be an S3 URL such as `s3://my-bucket/portal/`, found `{url}`");
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            bail!("`{bucket}` is not an S3 bucket name (3–63 characters: lowercase letters, digits, `-` and `.`)");
        }
        let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        if segments.iter().any(|s| *s == "." || *s == "..") {
            bail!("the prefix in `{url}` must not contain `.` or `..` segments");
        }
        let prefix = if segments.is_empty() {
            String::new()
        } else {
            format!("{}/", segments.join("/"))
        };
        Ok(Target {
            bucket: bucket.to_string(),
            prefix,
        })
    }

    /// The URL path the prefix is served under by a CloudFront distribution
    /// whose origin is the bucket root: `/` or `/portal/`.
    pub fn url_path(&self) -> String {
        format!("/{}", self.prefix)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// One file of the built site.
#[derive(Debug, Clone)]
pub struct LocalFile {
    /// The path relative to the site root, with `/` separators.
    pub relative: String,
    pub path: PathBuf,
    /// Lowercase hex MD5 of the contents, comparable with an S3 ETag.
    pub md5: String,
}

/// The marker every cairn build has; a directory without it is not
/// published (publishing deletes what the directory lacks).
pub const BUILD_MARKER: &str = "api/v1/status.json";

/// Lists and hashes every file of a built site, sorted by path.
pub fn scan_site(dist: &Path) -> anyhow::Result<Vec<LocalFile>> {
    if !dist.join(BUILD_MARKER).is_file() {
        bail!(
            "`{}` is not a cairn build (no `{BUILD_MARKER}`); run `cairn build` or pass the output directory with --dist",
            dist.display()
        );
    }
    let mut paths = Vec::new();
    for entry in walkdir::WalkDir::new(dist).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot read `{}`", dist.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dist)
            .expect("walkdir yields paths under its root")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if !crate::output::safe_relative_path(&relative) {
            bail!("refusing to publish `{relative}`: not a plain relative path");
        }
        paths.push((relative, entry.into_path()));
    }
    paths
        .into_par_iter()
        .map(|(relative, path)| {
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
            Ok(LocalFile {
                relative,
                path,
                md5: hex(&Md5::digest(&bytes)),
            })
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// What a publish does: upload these, delete those.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// In upload order: everything else first, HTML pages last, the site's
    /// front page very last.
    pub upload: Vec<Upload<'a>>,
    /// Keys under the prefix that the site no longer has.
    pub delete: Vec<String>,
    pub unchanged: usize,
}

#[derive(Debug)]
pub struct Upload<'a> {
    pub file: &'a LocalFile,
    pub key: String,
    /// The object existed with other contents (so caches may hold it).
    pub replaces: bool,
}

/// Compares the site with the objects under the prefix (key → ETag).
pub fn plan<'a>(files: &'a [LocalFile], remote: &BTreeMap<String, String>, target: &Target) -> Plan<'a> {
    let mut plan = Plan::default();
    let mut local_keys = std::collections::BTreeSet::new();
    for file in files {
        let key = format!("{}{}", target.prefix, file.relative);
        match remote.get(&key) {
            Some(etag) if etag.trim_matches('"').eq_ignore_ascii_case(&file.md5) => plan.unchanged += 1,
            existing => plan.upload.push(Upload {
                file,
                key: key.clone(),
                replaces: existing.is_some(),
            }),
        }
        local_keys.insert(key);
    }
    plan.upload.sort_by_key(|u| upload_rank(&u.file.relative));
    plan.delete = remote.keys().filter(|k| !local_keys.contains(*k)).cloned().collect();
    plan
}

/// Upload order: assets and data (0) before pages (1) before the front page (2).
fn upload_rank(relative: &str) -> u8 {
    if relative == "index.html" {
        2
    } else if relative.ends_with(".html") {
        1
    } else {
        0
    }
}

/// The Content-Type for a file, by extension.
pub fn content_type(relative: &str) -> String {
    if let Some(json) = crate::emit::backstage::content_type(relative) {
        return json.to_string();
    }
    let guess = mime_guess::from_path(relative).first_or_octet_stream();
    match guess.type_() {
        mime_guess::mime::TEXT => format!("{guess}; charset=utf-8"),
        _ if guess.subtype() == mime_guess::mime::JSON || guess.subtype() == "javascript" => {
            format!("{guess}; charset=utf-8")
        }
        _ => guess.to_string(),
    }
}

/// Cache-Control: content-hashed assets (`app.3f9a1c2e.js`) never change
/// under their name, so caches keep them for a year; everything else —
/// pages, JSON — is revalidated after a minute so a publish shows quickly.
pub fn cache_control(relative: &str) -> &'static str {
    if is_content_hashed(relative) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60, must-revalidate"
    }
}

/// `name.<8+ hex digits>.ext`, the naming of content-hashed assets.
fn is_content_hashed(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(_stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// More changed paths than this are invalidated with one wildcard (a
/// wildcard is billed as one path; a long list is slower to apply).
pub const MAX_INVALIDATION_PATHS: usize = 20;

/// The CloudFront paths to invalidate: objects that were replaced or
/// deleted (new objects cannot be in a cache), with `dir/` beside each
/// `dir/index.html`; or the prefix with a wildcard when that is shorter.
pub fn invalidation_paths(plan: &Plan<'_>, target: &Target) -> Vec<String> {
    let mut paths = std::collections::BTreeSet::new();
    let replaced = plan.upload.iter().filter(|u| u.replaces).map(|u| u.key.as_str());
    for key in replaced.chain(plan.delete.iter().map(String::as_str)) {
        paths.insert(format!("/{key}"));
        if let Some(dir) = key.strip_suffix("index.html") {
            paths.insert(format!("/{dir}"));
        }
    }
    if paths.len() > MAX_INVALIDATION_PATHS {
        return vec![format!("{}*", target.url_path())];
    }
    paths.into_iter().collect()
}

/// A warning when the site was built for another URL path than the one the
/// prefix serves it under (unless the distribution maps the prefix away, its
/// links will not resolve).
pub fn base_url_mismatch(site_base_url: &str, target: &Target) -> Option<String> {
    let wanted = target.url_path();
    (site_base_url != wanted).then(|| {
        format!(
            "the site was built for base URL `{site_base_url}` but is published under `{wanted}`; \
             its links resolve only if the CDN maps `{wanted}` to `{site_base_url}` — \
             otherwise build with `--base-url {wanted}`"
        )
    })
}

/// The base URL a build was made for, from its `status.json`.
pub fn site_base_url(dist: &Path) -> anyhow::Result<String> {
    let path = dist.join(BUILD_MARKER);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let status: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("`{}` is not JSON", path.display()))?;
    Ok(status["base_url"].as_str().unwrap_or("/").to_string())
}

#[cfg(test)]
mod tests;
