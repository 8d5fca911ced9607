//! Step 1, units: AWS resources grouped into service candidates (see
//! `reconcile`'s module docs for the rules and their confidences).

use super::*;

/// A service candidate made of AWS resources.
pub(super) struct Unit {
    pub(super) name: String,
    /// Made of Lambdas only (by name prefix): function names are not service
    /// names, so a linked repository names the service instead.
    pub(super) lambdas: bool,
    pub(super) existence: f64,
    /// Indices into `World::resources`, in ARN order.
    pub(super) resources: Vec<usize>,
}

/// Tags that name the service a resource belongs to.
pub(super) const SERVICE_TAGS: [&str; 4] = ["service", "app", "application", "project"];
/// Tags that name a repository.
pub(super) const REPO_TAGS: [&str; 5] = ["github_repo", "repo", "repository", "git_repo", "source_repo"];
/// Tags that name the owning team.
pub(super) const OWNER_TAGS: [&str; 2] = ["team", "owner"];

pub(super) fn tag<'a>(resource: &'a Resource, names: &[&str]) -> Option<&'a str> {
    resource
        .tags
        .iter()
        .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// Groups resources into units (module docs, step 1).
pub(super) fn group_units(resources: &[MergedResource]) -> Vec<Unit> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    let mut unit_of: HashMap<usize, String> = HashMap::new();
    let add = |units: &mut BTreeMap<String, Unit>, key: String, name: &str, existence: f64, r: usize| {
        let unit = units.entry(key.clone()).or_insert_with(|| Unit {
            name: name.to_string(),
            lambdas: key.starts_with("lambda"),
            existence,
            resources: Vec::new(),
        });
        unit.existence = unit.existence.max(existence);
        unit.resources.push(r);
        key
    };
    // Stacks first: their resources follow them.
    let mut stack_units: HashMap<(String, String), String> = HashMap::new();
    for (r, merged) in resources.iter().enumerate() {
        let resource = &merged.resource;
        if resource.kind != ResourceKind::CloudformationStack {
            continue;
        }
        let key = match tag(resource, &SERVICE_TAGS) {
            Some(service) => add(&mut units, format!("tag:{}", match_key(service)), service, 0.95, r),
            None => add(
                &mut units,
                format!("stack:{}/{}", resource.region, resource.name),
                &resource.name,
                0.95,
                r,
            ),
        };
        stack_units.insert((resource.region.clone(), resource.name.clone()), key.clone());
        unit_of.insert(r, key);
    }
    // APIs before Lambdas, so a Lambda an API triggers joins the API.
    let order = |kind: ResourceKind| match kind {
        ResourceKind::CloudformationStack => 0,
        ResourceKind::EcsService | ResourceKind::RestApi | ResourceKind::HttpApi => 1,
        ResourceKind::LambdaFunction => 2,
        _ => 3,
    };
    let mut rest: Vec<usize> = (0..resources.len()).filter(|r| !unit_of.contains_key(r)).collect();
    rest.sort_by_key(|&r| (order(resources[r].resource.kind), r));
    let arn_index: HashMap<&str, usize> = resources
        .iter()
        .enumerate()
        .map(|(r, m)| (m.resource.arn.as_str(), r))
        .collect();
    let mut lambdas_by_prefix: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut databases = Vec::new();
    for r in rest {
        let resource = &resources[r].resource;
        let in_stack = resource
            .stack
            .as_ref()
            .map(|stack| (resource.region.clone(), stack.clone()));
        let key = if let Some(key) = in_stack.as_ref().and_then(|s| stack_units.get(s)) {
            add(&mut units, key.clone(), "", 0.95, r)
        } else if let Some((region, stack)) = in_stack {
            let key = add(&mut units, format!("stack:{region}/{stack}"), &stack, 0.95, r);
            stack_units.insert((region, stack), key.clone());
            key
        } else if let Some(service) = tag(resource, &SERVICE_TAGS) {
            add(&mut units, format!("tag:{}", match_key(service)), service, 0.80, r)
        } else {
            match resource.kind {
                ResourceKind::EcsService => add(&mut units, format!("ecs:{}", resource.arn), &resource.name, 0.90, r),
                ResourceKind::RestApi | ResourceKind::HttpApi => {
                    add(&mut units, format!("api:{}", resource.arn), &resource.name, 0.85, r)
                }
                ResourceKind::LambdaFunction => {
                    let api = resource
                        .event_sources
                        .iter()
                        .filter_map(|source| arn_index.get(source.as_str()))
                        .find_map(|a| unit_of.get(a).filter(|k| k.starts_with("api:")));
                    match api {
                        Some(key) => add(&mut units, key.clone(), "", 0.85, r),
                        None => {
                            lambdas_by_prefix
                                .entry(name_prefix(&resource.name))
                                .or_default()
                                .push(r);
                            continue;
                        }
                    }
                }
                _ => {
                    databases.push(r);
                    continue;
                }
            }
        };
        unit_of.insert(r, key);
    }
    for (prefix, lambdas) in lambdas_by_prefix {
        if lambdas.len() == 1 {
            let r = lambdas[0];
            let name = resources[r].resource.name.clone();
            add(&mut units, format!("lambda:{name}"), &name, 0.60, r);
        } else {
            for r in lambdas {
                add(&mut units, format!("lambda-prefix:{prefix}"), &prefix, 0.70, r);
            }
        }
    }
    // Databases join the unit named like them; alone they are not services.
    let by_name: HashMap<String, String> = units.iter().map(|(k, u)| (match_key(&u.name), k.clone())).collect();
    for r in databases {
        if let Some(key) = by_name.get(&match_key(&resources[r].resource.name)) {
            units.get_mut(key).expect("indexed above").resources.push(r);
        }
    }
    let mut units: Vec<Unit> = units.into_values().collect();
    for unit in &mut units {
        unit.resources.sort_unstable();
    }
    units
}

/// `payments-webhook-handler` → `payments`.
pub(super) fn name_prefix(name: &str) -> String {
    name.split(['-', '_']).next().unwrap_or(name).to_ascii_lowercase()
}
