//! Step 4, ownership: the signals of every candidate Group weighed as
//! PRODUCT.md says.

use super::*;

/// Ownership inference (module docs, step 4).
pub(super) fn infer_owner(
    repos: &[&MergedRepo],
    resources: &[&MergedResource],
    world: &World,
    people: &People,
) -> Ownership {
    // Signal → group → share.
    let mut signals: Vec<(Signal, BTreeMap<EntityKey, f64>)> = Vec::new();

    let with_codeowners: Vec<_> = repos.iter().filter_map(|r| r.repo.codeowners.as_ref()).collect();
    if with_codeowners.iter().any(|c| !c.shares.is_empty()) {
        let mut shares: BTreeMap<EntityKey, f64> = BTreeMap::new();
        for codeowners in &with_codeowners {
            let mut per_repo: BTreeMap<EntityKey, f64> = BTreeMap::new();
            for (owner, share) in &codeowners.shares {
                for group in people.owner_groups(owner) {
                    *per_repo.entry(group).or_default() += share;
                }
            }
            for (group, share) in per_repo {
                *shares.entry(group).or_default() += share.min(1.0) / with_codeowners.len() as f64;
            }
        }
        signals.push((Signal::Codeowners, shares));
    }

    let tagged: Vec<&str> = resources.iter().filter_map(|r| tag(&r.resource, &OWNER_TAGS)).collect();
    if !tagged.is_empty() {
        let mut shares: BTreeMap<EntityKey, f64> = BTreeMap::new();
        for value in &tagged {
            let name = value.rsplit([':', '/']).next().unwrap_or(value);
            if let Some(group) = people.team(name) {
                *shares.entry(group.clone()).or_default() += 1.0 / tagged.len() as f64;
            }
        }
        signals.push((Signal::Tags, shares));
    }

    let authors: Vec<_> = repos.iter().flat_map(|r| r.repo.authors.iter()).collect();
    let total: u64 = authors.iter().map(|a| a.commits).sum();
    if total > 0 {
        let mut shares: BTreeMap<EntityKey, f64> = BTreeMap::new();
        for author in &authors {
            if let Some(user) = people.author(&author.email, author.login.as_deref()) {
                for group in people.groups_of(user) {
                    *shares.entry(group.clone()).or_default() += author.commits as f64 / total as f64;
                }
            }
        }
        signals.push((Signal::Commits, shares));
    }

    let teams: BTreeSet<&String> = repos
        .iter()
        .flat_map(|r| {
            world
                .team_access
                .get(&r.repo.slug.to_ascii_lowercase())
                .into_iter()
                .flatten()
        })
        .collect();
    if !teams.is_empty() {
        let mut shares: BTreeMap<EntityKey, f64> = BTreeMap::new();
        for slug in &teams {
            let team = &world.teams[*slug];
            if let Some(group) = people.team(&team.slug) {
                *shares.entry(group.clone()).or_default() += 1.0 / teams.len() as f64;
            }
        }
        signals.push((Signal::GithubTeams, shares));
    }

    let total_weight: f64 = signals.iter().map(|(signal, _)| signal.weight()).sum();
    let groups: BTreeSet<&EntityKey> = signals.iter().flat_map(|(_, s)| s.keys()).collect();
    let mut candidates: Vec<Candidate> = groups
        .into_iter()
        .map(|group| {
            let shares: Vec<(Signal, f64)> = signals
                .iter()
                .filter_map(|(signal, s)| s.get(group).map(|share| (*signal, round4(share.min(1.0)))))
                .collect();
            let score: f64 = signals
                .iter()
                .map(|(signal, s)| signal.weight() * s.get(group).copied().unwrap_or(0.0).min(1.0))
                .sum::<f64>()
                / total_weight;
            Candidate {
                group: group.clone(),
                score: round4(score),
                shares,
            }
        })
        .collect();
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.group.cmp(&b.group)));
    candidates.truncate(3);
    let status = match candidates.as_slice() {
        [] => OwnershipStatus::Unowned,
        [best, ..] if best.score < OWNED_THRESHOLD => OwnershipStatus::Unowned,
        [best, second, ..] if best.score - second.score < AMBIGUITY_MARGIN => OwnershipStatus::Ambiguous,
        _ => OwnershipStatus::Owned,
    };
    Ownership {
        status,
        candidates,
        signals: signals.iter().map(|(signal, _)| *signal).collect(),
    }
}
