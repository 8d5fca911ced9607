//! Step 2, repository links: the repository a unit belongs to, first rule
//! that finds one wins; and the normalised names services are matched by.

use super::*;

/// Repositories by slug, normalised name, deploy target, and a deletion
/// index for names within Levenshtein 2.
pub(super) struct RepoIndex {
    /// Each repository's match key.
    pub(super) keys: Vec<String>,
    /// (match key, repo), sorted: repositories by key prefix.
    pub(super) sorted: Vec<(String, usize)>,
    pub(super) by_slug: HashMap<String, usize>,
    pub(super) by_key: HashMap<String, Vec<usize>>,
    pub(super) by_target: HashMap<(TargetKind, String), Vec<usize>>,
    /// Hash of every string two deletions or fewer from a repo's match key
    /// → repos.
    pub(super) deletions: FxHashMap<u64, Vec<usize>>,
}

impl RepoIndex {
    pub(super) fn new(repos: &[MergedRepo]) -> RepoIndex {
        let mut index = RepoIndex {
            keys: repos.iter().map(|m| match_key(repo_name(&m.repo))).collect(),
            sorted: Vec::new(),
            by_slug: HashMap::new(),
            by_key: HashMap::new(),
            by_target: HashMap::new(),
            deletions: FxHashMap::default(),
        };
        for (r, merged) in repos.iter().enumerate() {
            let repo = &merged.repo;
            if repo.path.is_empty() {
                index.by_slug.entry(repo.slug.to_ascii_lowercase()).or_insert(r);
            }
            let key = index.keys[r].clone();
            for variant in deletion_hashes(&key) {
                index.deletions.entry(variant).or_default().push(r);
            }
            index.by_key.entry(key).or_default().push(r);
            for target in &repo.deploy_targets {
                index
                    .by_target
                    .entry((target.kind, target.name.to_ascii_lowercase()))
                    .or_default()
                    .push(r);
            }
        }
        index.sorted = index.keys.iter().cloned().zip(0..).collect();
        index.sorted.sort_unstable();
        index
    }

    /// Repositories whose match key starts with `prefix`, shortest name
    /// first.
    pub(super) fn with_prefix(&self, prefix: &str, repos: &[MergedRepo]) -> Option<usize> {
        let start = self.sorted.partition_point(|(key, _)| key.as_str() < prefix);
        self.sorted[start..]
            .iter()
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|&(_, r)| (repo_name(&repos[r].repo).len(), r))
            .min()
            .map(|(_, r)| r)
    }

    /// Repositories whose name is within Levenshtein 2 of `key`, closest
    /// first.
    pub(super) fn near(&self, key: &str) -> Vec<usize> {
        if let Some(exact) = self.by_key.get(key) {
            return exact.clone();
        }
        // Two edits turn any short name into any other.
        if key.chars().count() < 5 {
            return Vec::new();
        }
        let mut candidates: Vec<usize> = deletion_hashes(key)
            .iter()
            .filter_map(|variant| self.deletions.get(variant))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut found: Vec<(usize, usize)> = candidates
            .into_iter()
            .map(|r| (strsim::levenshtein(key, &self.keys[r]), r))
            .filter(|&(distance, _)| distance <= 2)
            .collect();
        found.sort_unstable();
        found.into_iter().map(|(_, r)| r).collect()
    }
}

/// The base of the polynomial string hash of [`deletion_hashes`].
pub(super) const HASH_BASE: u64 = 0x100_0000_01b3;

/// Hashes of every string made by deleting at most two characters
/// (SymSpell): two strings within Levenshtein 2 share one. Hashing the
/// variants instead of building them keeps the index to one `u64` per
/// variant; a collision only adds a candidate, which `near` re-checks with
/// the real edit distance.
pub(super) fn deletion_hashes(key: &str) -> Vec<u64> {
    let chars: Vec<u64> = key.chars().map(|c| u64::from(c) + 1).collect();
    let n = chars.len();
    // powers[k] = HASH_BASE^k; prefix[k] = hash of the first k characters.
    let mut powers = vec![1u64; n + 1];
    let mut prefix = vec![0u64; n + 1];
    for k in 0..n {
        powers[k + 1] = powers[k].wrapping_mul(HASH_BASE);
        prefix[k + 1] = prefix[k].wrapping_mul(HASH_BASE).wrapping_add(chars[k]);
    }
    let span = |a: usize, b: usize| prefix[b].wrapping_sub(prefix[a].wrapping_mul(powers[b - a]));
    let join = |left: u64, right: u64, right_len: usize| left.wrapping_mul(powers[right_len]).wrapping_add(right);
    let mut out = Vec::with_capacity(1 + n + n * n.saturating_sub(1) / 2);
    out.push(mix(prefix[n]));
    // `head`: the hash of the characters before the first one dropped.
    for (i, &head) in prefix[..n].iter().enumerate() {
        let tail = span(i + 1, n);
        out.push(mix(join(head, tail, n - i - 1)));
        for j in i + 1..n {
            let middle = join(head, span(i + 1, j), j - i - 1);
            out.push(mix(join(middle, span(j + 1, n), n - j - 1)));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// splitmix64's finaliser: spreads a polynomial hash over all 64 bits.
pub(super) fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The repository a unit comes from (module docs, step 2): index, rule.
pub(super) fn link_repo(unit: &Unit, world: &World, index: &RepoIndex) -> Option<(usize, LinkRule)> {
    let resources: Vec<&Resource> = unit.resources.iter().map(|&r| &world.resources[r].resource).collect();
    let first = |found: Vec<usize>| -> Option<usize> {
        let mut found = found;
        found.sort_unstable();
        found.dedup();
        found.first().copied()
    };
    let explicit = resources.iter().filter_map(|r| tag(r, &REPO_TAGS)).find_map(|value| {
        let slug = value
            .trim()
            .trim_end_matches(".git")
            .trim_start_matches("https://github.com/")
            .trim_start_matches("git@github.com:")
            .to_ascii_lowercase();
        index.by_slug.get(&slug).copied()
    });
    if let Some(r) = explicit {
        return Some((r, LinkRule::ExplicitTag));
    }
    let targets: Vec<usize> = resources
        .iter()
        .filter_map(|r| {
            let kind = match r.kind {
                ResourceKind::CloudformationStack => TargetKind::CloudformationStack,
                ResourceKind::EcsService => TargetKind::EcsService,
                ResourceKind::LambdaFunction => TargetKind::LambdaFunction,
                _ => return None,
            };
            index.by_target.get(&(kind, r.name.to_ascii_lowercase()))
        })
        .flatten()
        .copied()
        .collect();
    if let Some(r) = first(targets) {
        return Some((r, LinkRule::DeployWorkflow));
    }
    let images: Vec<usize> = resources
        .iter()
        .flat_map(|r| r.images.iter())
        .filter_map(|image| index.by_key.get(&match_key(image_repository(image))))
        .flatten()
        .copied()
        .collect();
    if let Some(r) = first(images) {
        return Some((r, LinkRule::ContainerImage));
    }
    if let Some(&r) = index.near(&match_key(&unit.name)).first() {
        return Some((r, LinkRule::NameMatch));
    }
    let lambda_only = resources.iter().all(|r| r.kind == ResourceKind::LambdaFunction);
    if lambda_only {
        if let Some(r) = index.with_prefix(&name_prefix(&unit.name), &world.repos) {
            return Some((r, LinkRule::LambdaPrefix));
        }
    }
    None
}

/// `123.dkr.ecr.us-east-1.amazonaws.com/team/payments-api:1.4` →
/// `payments-api`.
pub(super) fn image_repository(image: &str) -> &str {
    let path = image.split('@').next().unwrap_or(image);
    let last = path.rsplit('/').next().unwrap_or(path);
    last.split(':').next().unwrap_or(last)
}

/// A repository's name: the directory for a monorepo entry, else the last
/// part of the slug.
pub(super) fn repo_name(repo: &Repo) -> &str {
    let from = if repo.path.is_empty() { &repo.slug } else { &repo.path };
    from.rsplit('/').next().unwrap_or(from)
}

/// Deployment and packaging suffixes that do not change which service a
/// name means (`payments-svc-prod` is `payments`).
pub(super) const NOISE_SUFFIXES: [&str; 15] = [
    "prod",
    "production",
    "staging",
    "stage",
    "dev",
    "test",
    "qa",
    "live",
    "service",
    "svc",
    "stack",
    "app",
    "function",
    "fn",
    "lambda",
];

/// The key names are compared by: lowercase, `_`/`.`/space as `-`, noise
/// suffixes dropped.
pub fn match_key(name: &str) -> String {
    let mut key: String = name
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if matches!(c, '_' | '.' | ' ') { '-' } else { c })
        .collect();
    loop {
        let stripped = NOISE_SUFFIXES
            .iter()
            .find_map(|suffix| key.strip_suffix(&format!("-{suffix}")).filter(|rest| !rest.is_empty()));
        match stripped {
            Some(rest) => key = rest.to_string(),
            None => return key,
        }
    }
}

/// A valid Backstage name for a discovered service: lowercase letters,
/// digits and `-`, environment suffixes dropped, at most 63 characters.
pub(super) fn service_name(name: &str) -> String {
    let mut key = name.trim().to_ascii_lowercase();
    for suffix in ["prod", "production", "staging", "stage", "dev", "live", "stack"] {
        if let Some(rest) = key.strip_suffix(&format!("-{suffix}")).filter(|r| !r.is_empty()) {
            key = rest.to_string();
        }
    }
    let cleaned: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut name = cleaned
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    name.truncate(63);
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        "unnamed".to_string()
    } else {
        name
    }
}
