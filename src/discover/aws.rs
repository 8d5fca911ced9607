//! `cairn discover aws`: an AWS account through the AWS SDK for Rust,
//! read-only calls only.
//!
//! Per region, concurrently: CloudFormation stacks (tags, and which stack
//! manages each resource), ECS services (tags, the images of their task
//! definitions), Lambda functions (runtime, tags, event source mappings),
//! API Gateway REST and HTTP APIs (tags), RDS instances and clusters
//! (engine, tags), and the Resource Groups Tagging API (tags merged by ARN;
//! ARNs seen nowhere else become `kind: other`).
//!
//! Invariants:
//! * No secret is ever read into facts: of a function only its name, ARN,
//!   runtime and tags (never `Environment`); of a task definition only the
//!   containers' `image` (never environment or secrets); of a database its
//!   identifier, engine and tags (never passwords or parameters).
//! * Every list is paginated; throttling is retried by the SDK's standard
//!   retry (up to [`MAX_ATTEMPTS`]). Every call has a deadline (`--timeout`):
//!   an endpoint that never answers fails its service, never hangs the scan.
//! * A failing service or region is a [`ScanError`] scoped
//!   `region:<r>/<service>` and makes the facts `partial`; everything else
//!   is still scanned. Only when nothing at all could be read (no
//!   credentials, every call failed) is the scan an error.
//! * Counts per region and service go to the scan metadata, never into the
//!   facts.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::bail;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::Region;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::facts::{Facts, Resource, ResourceKind, ScanError, Source};

/// Attempts per call, first included; throttling and transient errors are
/// retried with the SDK's exponential backoff.
pub const MAX_ATTEMPTS: u32 = 5;

/// DescribeServices takes at most this many services per call.
const ECS_DESCRIBE_BATCH: usize = 10;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the facts (relative to the catalog root).
    #[arg(long, default_value = "discovered/aws.json")]
    pub out: std::path::PathBuf,
    /// A region to scan (repeatable). Default: the profile's or the
    /// environment's region.
    #[arg(long)]
    pub region: Vec<String>,
    /// The profile of the shared AWS config files to use.
    #[arg(long)]
    pub profile: Option<String>,
    /// Send every call to this endpoint instead of AWS (an emulator).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Seconds one AWS call may take, retries included, before it is
    /// abandoned and recorded as an error of its service.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

/// A call gives up after `seconds`, retries included; one attempt after a
/// third of that, so a connection that never answers is retried on a fresh
/// one instead of holding the scan (the SDK sets no read timeout).
fn timeouts(seconds: u64) -> TimeoutConfig {
    let operation = Duration::from_secs(seconds);
    TimeoutConfig::builder()
        .operation_timeout(operation)
        .operation_attempt_timeout(operation / 3)
        .build()
}

/// Scans every region; returns the facts and the scan metadata.
pub fn scan(args: &Args) -> anyhow::Result<(Facts, serde_json::Value)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(scan_all(args))
}

async fn scan_all(args: &Args) -> anyhow::Result<(Facts, serde_json::Value)> {
    let loader = crate::util::aws::loader(args.profile.as_deref(), args.endpoint_url.as_deref())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(timeouts(args.timeout));
    let shared = crate::util::aws::load(loader).await?;
    let mut regions = args.region.clone();
    if regions.is_empty() {
        match shared.region() {
            Some(region) => regions.push(region.to_string()),
            None => bail!("no region: pass --region, or set AWS_REGION or a region in the profile"),
        }
    }
    regions.sort();
    regions.dedup();

    let mut facts = Facts::new(Source::Aws);
    let mut counts = serde_json::Map::new();
    let mut scanned = 0;
    let scans = regions.iter().map(|region| scan_region(&shared, region));
    for (region, outcome) in regions.iter().zip(futures_util::future::join_all(scans).await) {
        let mut region_counts = serde_json::Map::new();
        for (service, count) in &outcome.counts {
            region_counts.insert(service.to_string(), (*count).into());
        }
        scanned += outcome.counts.len();
        counts.insert(region.clone(), region_counts.into());
        facts.errors.extend(outcome.errors);
        facts.resources.extend(outcome.resources);
    }
    if scanned == 0 {
        let reasons: Vec<String> = facts
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.scope, e.message))
            .collect();
        bail!("nothing could be scanned:\n  {}", reasons.join("\n  "));
    }
    facts.partial = !facts.errors.is_empty();
    facts.normalize();
    let scan = serde_json::json!({
        "regions": regions,
        "endpoint_url": args.endpoint_url,
        "resources": facts.resources.len(),
        "counts": counts,
    });
    Ok((facts, scan))
}

/// What one region gave.
struct RegionOutcome {
    resources: Vec<Resource>,
    errors: Vec<ScanError>,
    /// Resources read per service that answered.
    counts: BTreeMap<&'static str, usize>,
}

/// What one service of a region gave.
#[derive(Default)]
struct Found {
    resources: Vec<Resource>,
    /// Physical resource id (or ARN) → the CloudFormation stack managing it.
    stacks: HashMap<String, String>,
    /// ARN → tags, from the tagging API.
    tags: BTreeMap<String, BTreeMap<String, String>>,
}

type ServiceFuture<'a> = Pin<Box<dyn Future<Output = (&'static str, Result<Found, String>)> + 'a>>;

async fn scan_region(shared: &aws_config::SdkConfig, region: &str) -> RegionOutcome {
    let region_name = Region::new(region.to_string());
    let futures: Vec<ServiceFuture<'_>> = vec![
        Box::pin(async {
            let config = aws_sdk_cloudformation::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            let client = aws_sdk_cloudformation::Client::from_conf(config);
            ("cloudformation", cloudformation(&client, region).await)
        }),
        Box::pin(async {
            let config = aws_sdk_ecs::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            ("ecs", ecs(&aws_sdk_ecs::Client::from_conf(config), region).await)
        }),
        Box::pin(async {
            let config = aws_sdk_lambda::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            (
                "lambda",
                lambda(&aws_sdk_lambda::Client::from_conf(config), region).await,
            )
        }),
        Box::pin(async {
            let config = aws_sdk_apigateway::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            (
                "apigateway",
                rest_apis(&aws_sdk_apigateway::Client::from_conf(config), region).await,
            )
        }),
        Box::pin(async {
            let config = aws_sdk_apigatewayv2::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            (
                "apigatewayv2",
                http_apis(&aws_sdk_apigatewayv2::Client::from_conf(config), region).await,
            )
        }),
        Box::pin(async {
            let config = aws_sdk_rds::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            ("rds", rds(&aws_sdk_rds::Client::from_conf(config), region).await)
        }),
        Box::pin(async {
            let config = aws_sdk_resourcegroupstagging::config::Builder::from(shared)
                .region(region_name.clone())
                .build();
            (
                "tagging",
                tagging(&aws_sdk_resourcegroupstagging::Client::from_conf(config)).await,
            )
        }),
    ];
    let mut outcome = RegionOutcome {
        resources: Vec::new(),
        errors: Vec::new(),
        counts: BTreeMap::new(),
    };
    let mut stacks = HashMap::new();
    let mut tags = BTreeMap::new();
    for (service, result) in futures_util::future::join_all(futures).await {
        match result {
            Ok(found) => {
                let count = found.resources.len() + found.tags.len();
                outcome.counts.insert(service, count);
                outcome.resources.extend(found.resources);
                stacks.extend(found.stacks);
                tags.extend(found.tags);
            }
            Err(message) => outcome.errors.push(ScanError {
                scope: format!("region:{region}/{service}"),
                message,
            }),
        }
    }
    merge(&mut outcome.resources, &stacks, tags, region);
    outcome
}

/// Sets `stack` on resources a stack manages (matched by ARN, name or the
/// id at the end of the ARN), and merges the tagging API's tags by ARN;
/// ARNs no service listed become `kind: other`.
fn merge(
    resources: &mut Vec<Resource>,
    stacks: &HashMap<String, String>,
    tags: BTreeMap<String, BTreeMap<String, String>>,
    region: &str,
) {
    for resource in resources.iter_mut() {
        if resource.kind == ResourceKind::CloudformationStack {
            continue;
        }
        let id = last_segment(&resource.arn);
        resource.stack = [resource.arn.as_str(), resource.name.as_str(), id]
            .into_iter()
            .find_map(|key| stacks.get(key).cloned());
    }
    let mut index: HashMap<String, usize> = resources.iter().enumerate().map(|(i, r)| (r.arn.clone(), i)).collect();
    for (arn, arn_tags) in tags {
        match index.get(&arn) {
            Some(&i) => resources[i].tags.extend(arn_tags),
            None => {
                index.insert(arn.clone(), resources.len());
                let name = other_name(&arn).to_string();
                let stack = [arn.as_str(), name.as_str(), last_segment(&arn)]
                    .into_iter()
                    .find_map(|key| stacks.get(key).cloned());
                resources.push(Resource {
                    stack,
                    name: if name.is_empty() { arn.clone() } else { name },
                    arn,
                    kind: ResourceKind::Other,
                    region: region.to_string(),
                    tags: arn_tags,
                    images: Vec::new(),
                    runtime: None,
                    event_sources: Vec::new(),
                });
            }
        }
    }
}

/// `arn:aws:lambda:r:a:function:name` → `name`; `…/restapis/id` → `id`.
fn last_segment(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

/// The name of a resource only the tagging API listed: its ARN's resource
/// part without the type (`…:task-definition/api:3` → `api:3`,
/// `…:sns:r:a:alerts` → `alerts`).
fn other_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    match resource.find(['/', ':']) {
        Some(at) => &resource[at + 1..],
        None => resource,
    }
}

/// An SDK error as one line, without request ids (so an unchanged failure
/// writes unchanged facts).
fn describe<E>(operation: &str, error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error.as_service_error() {
        Some(service) => {
            let status = error.raw_response().map(|r| r.status().as_u16()).unwrap_or_default();
            format!(
                "{operation}: {} (HTTP {status}): {}",
                service.code().unwrap_or("error"),
                service.message().unwrap_or("no message")
            )
        }
        None => format!("{operation}: {}", DisplayErrorContext(error)),
    }
}

fn resource(arn: String, kind: ResourceKind, name: String, region: &str) -> Resource {
    Resource {
        arn,
        kind,
        name,
        region: region.to_string(),
        tags: BTreeMap::new(),
        stack: None,
        images: Vec::new(),
        runtime: None,
        event_sources: Vec::new(),
    }
}

async fn cloudformation(client: &aws_sdk_cloudformation::Client, region: &str) -> Result<Found, String> {
    use aws_sdk_cloudformation::types::StackStatus;
    let mut found = Found::default();
    let mut stacks = client.list_stacks().into_paginator().items().send();
    let mut names = Vec::new();
    while let Some(summary) = stacks.next().await {
        let summary = summary.map_err(|e| describe("ListStacks", &e))?;
        if summary.stack_status() == Some(&StackStatus::DeleteComplete) {
            continue;
        }
        if let (Some(id), Some(name)) = (summary.stack_id(), summary.stack_name()) {
            names.push((id.to_string(), name.to_string()));
        }
    }
    for (id, name) in names {
        let described = client
            .describe_stacks()
            .stack_name(&id)
            .send()
            .await
            .map_err(|e| describe("DescribeStacks", &e))?;
        let mut stack = resource(id.clone(), ResourceKind::CloudformationStack, name.clone(), region);
        for described in described.stacks() {
            for tag in described.tags() {
                if let (Some(key), Some(value)) = (tag.key(), tag.value()) {
                    stack.tags.insert(key.to_string(), value.to_string());
                }
            }
        }
        found.resources.push(stack);
        let mut children = client
            .list_stack_resources()
            .stack_name(&id)
            .into_paginator()
            .items()
            .send();
        while let Some(child) = children.next().await {
            let child = child.map_err(|e| describe("ListStackResources", &e))?;
            if let Some(physical) = child.physical_resource_id() {
                found.stacks.insert(physical.to_string(), name.clone());
            }
        }
    }
    Ok(found)
}

async fn ecs(client: &aws_sdk_ecs::Client, region: &str) -> Result<Found, String> {
    use aws_sdk_ecs::types::ServiceField;
    let mut found = Found::default();
    let mut clusters = Vec::new();
    let mut pages = client.list_clusters().into_paginator().items().send();
    while let Some(cluster) = pages.next().await {
        clusters.push(cluster.map_err(|e| describe("ListClusters", &e))?);
    }
    let mut images: HashMap<String, Vec<String>> = HashMap::new();
    for cluster in clusters {
        let mut arns = Vec::new();
        let mut pages = client.list_services().cluster(&cluster).into_paginator().items().send();
        while let Some(arn) = pages.next().await {
            arns.push(arn.map_err(|e| describe("ListServices", &e))?);
        }
        for batch in arns.chunks(ECS_DESCRIBE_BATCH) {
            let described = client
                .describe_services()
                .cluster(&cluster)
                .set_services(Some(batch.to_vec()))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|e| describe("DescribeServices", &e))?;
            for service in described.services() {
                let (Some(arn), Some(name)) = (service.service_arn(), service.service_name()) else {
                    continue;
                };
                let mut found_service = resource(arn.to_string(), ResourceKind::EcsService, name.to_string(), region);
                for tag in service.tags() {
                    if let (Some(key), Some(value)) = (tag.key(), tag.value()) {
                        found_service.tags.insert(key.to_string(), value.to_string());
                    }
                }
                if let Some(task_definition) = service.task_definition() {
                    if !images.contains_key(task_definition) {
                        let definition = client
                            .describe_task_definition()
                            .task_definition(task_definition)
                            .send()
                            .await
                            .map_err(|e| describe("DescribeTaskDefinition", &e))?;
                        // Only the image of each container: never its
                        // environment or secrets.
                        let of_containers = definition
                            .task_definition()
                            .map(|d| {
                                d.container_definitions()
                                    .iter()
                                    .filter_map(|c| c.image().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default();
                        images.insert(task_definition.to_string(), of_containers);
                    }
                    found_service.images = images.get(task_definition).cloned().unwrap_or_default();
                }
                found.resources.push(found_service);
            }
        }
    }
    Ok(found)
}

async fn lambda(client: &aws_sdk_lambda::Client, region: &str) -> Result<Found, String> {
    let mut found = Found::default();
    let mut functions = Vec::new();
    let mut pages = client.list_functions().into_paginator().items().send();
    while let Some(function) = pages.next().await {
        let function = function.map_err(|e| describe("ListFunctions", &e))?;
        // Name, ARN and runtime only: `Environment` is never copied.
        if let (Some(arn), Some(name)) = (function.function_arn(), function.function_name()) {
            let mut found_function = resource(arn.to_string(), ResourceKind::LambdaFunction, name.to_string(), region);
            found_function.runtime = function.runtime().map(|r| r.as_str().to_string());
            functions.push(found_function);
        }
    }
    let mut sources: HashMap<String, Vec<String>> = HashMap::new();
    let mut pages = client.list_event_source_mappings().into_paginator().items().send();
    while let Some(mapping) = pages.next().await {
        let mapping = mapping.map_err(|e| describe("ListEventSourceMappings", &e))?;
        if let (Some(function), Some(source)) = (mapping.function_arn(), mapping.event_source_arn()) {
            // The function's name is the seventh field of its (possibly
            // qualified) ARN.
            let name = function.split(':').nth(6).unwrap_or(function);
            sources.entry(name.to_string()).or_default().push(source.to_string());
        }
    }
    for mut function in functions {
        let tags = client
            .list_tags()
            .resource(&function.arn)
            .send()
            .await
            .map_err(|e| describe("ListTags", &e))?;
        if let Some(tags) = tags.tags() {
            function.tags = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
        function.event_sources = sources.remove(&function.name).unwrap_or_default();
        found.resources.push(function);
    }
    Ok(found)
}

async fn rest_apis(client: &aws_sdk_apigateway::Client, region: &str) -> Result<Found, String> {
    let mut found = Found::default();
    let mut pages = client.get_rest_apis().into_paginator().items().send();
    while let Some(api) = pages.next().await {
        let api = api.map_err(|e| describe("GetRestApis", &e))?;
        let Some(id) = api.id() else { continue };
        let arn = format!("arn:aws:apigateway:{region}::/restapis/{id}");
        let mut found_api = resource(arn, ResourceKind::RestApi, api.name().unwrap_or(id).to_string(), region);
        if let Some(tags) = api.tags() {
            found_api.tags = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
        found.resources.push(found_api);
    }
    Ok(found)
}

async fn http_apis(client: &aws_sdk_apigatewayv2::Client, region: &str) -> Result<Found, String> {
    use aws_sdk_apigatewayv2::types::ProtocolType;
    let mut found = Found::default();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_apis()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| describe("GetApis", &e))?;
        for api in page.items() {
            // WebSocket APIs come back from the tagging API as `other`.
            if api.protocol_type() != Some(&ProtocolType::Http) {
                continue;
            }
            let Some(id) = api.api_id() else { continue };
            let arn = format!("arn:aws:apigateway:{region}::/apis/{id}");
            let mut found_api = resource(arn, ResourceKind::HttpApi, api.name().unwrap_or(id).to_string(), region);
            if let Some(tags) = api.tags() {
                found_api.tags = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            }
            found.resources.push(found_api);
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(found)
}

async fn rds(client: &aws_sdk_rds::Client, region: &str) -> Result<Found, String> {
    let mut found = Found::default();
    // Identifier, engine and tags only: never passwords or parameters.
    let mut instances = client.describe_db_instances().into_paginator().items().send();
    while let Some(instance) = instances.next().await {
        let instance = instance.map_err(|e| describe("DescribeDBInstances", &e))?;
        let (Some(arn), Some(name)) = (instance.db_instance_arn(), instance.db_instance_identifier()) else {
            continue;
        };
        let mut found_instance = resource(arn.to_string(), ResourceKind::RdsInstance, name.to_string(), region);
        found_instance.runtime = instance.engine().map(str::to_string);
        found_instance.tags = rds_tags(instance.tag_list());
        found.resources.push(found_instance);
    }
    let mut clusters = client.describe_db_clusters().into_paginator().items().send();
    while let Some(cluster) = clusters.next().await {
        let cluster = cluster.map_err(|e| describe("DescribeDBClusters", &e))?;
        let (Some(arn), Some(name)) = (cluster.db_cluster_arn(), cluster.db_cluster_identifier()) else {
            continue;
        };
        let mut found_cluster = resource(arn.to_string(), ResourceKind::RdsCluster, name.to_string(), region);
        found_cluster.runtime = cluster.engine().map(str::to_string);
        found_cluster.tags = rds_tags(cluster.tag_list());
        found.resources.push(found_cluster);
    }
    Ok(found)
}

fn rds_tags(tags: &[aws_sdk_rds::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .collect()
}

async fn tagging(client: &aws_sdk_resourcegroupstagging::Client) -> Result<Found, String> {
    let mut found = Found::default();
    let mut pages = client.get_resources().into_paginator().items().send();
    while let Some(mapping) = pages.next().await {
        let mapping = mapping.map_err(|e| describe("GetResources", &e))?;
        let Some(arn) = mapping.resource_arn() else { continue };
        let tags = found.tags.entry(arn.to_string()).or_default();
        for tag in mapping.tags() {
            tags.insert(tag.key().to_string(), tag.value().to_string());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_segment_of_arns() {
        assert_eq!(last_segment("arn:aws:lambda:us-east-1:1:function:pay"), "pay");
        assert_eq!(last_segment("arn:aws:apigateway:us-east-1::/restapis/abc"), "abc");
        assert_eq!(other_name("arn:aws:ecs:r:1:task-definition/api:3"), "api:3");
        assert_eq!(other_name("arn:aws:ecs:r:1:cluster/prod"), "prod");
        assert_eq!(other_name("arn:aws:sns:r:1:alerts"), "alerts");
    }

    #[test]
    fn merge_sets_stacks_and_tags_and_keeps_unknown_arns_as_other() {
        let mut resources = vec![resource(
            "arn:aws:lambda:r:1:function:pay".into(),
            ResourceKind::LambdaFunction,
            "pay".into(),
            "r",
        )];
        let stacks = HashMap::from([("pay".to_string(), "payments".to_string())]);
        let tags = BTreeMap::from([
            (
                "arn:aws:lambda:r:1:function:pay".to_string(),
                BTreeMap::from([("team".to_string(), "payments".to_string())]),
            ),
            (
                "arn:aws:sns:r:1:alerts".to_string(),
                BTreeMap::from([("team".to_string(), "ops".to_string())]),
            ),
        ]);
        merge(&mut resources, &stacks, tags, "r");
        assert_eq!(resources[0].stack.as_deref(), Some("payments"));
        assert_eq!(resources[0].tags["team"], "payments");
        assert_eq!(resources[1].kind, ResourceKind::Other);
        assert_eq!(resources[1].name, "alerts");
        assert_eq!(resources[1].tags["team"], "ops");
    }
}
