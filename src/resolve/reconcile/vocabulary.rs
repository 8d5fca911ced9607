//! The names discovery writes into the API and pages: the rules that link a
//! service to its repository, the ownership signals, how stale a discovered
//! service is, and the service fields it fills. Each is one table of its
//! names and the number that goes with each (confidence, weight, snapshots).

use crate::util::vocabulary;

vocabulary! {
    /// The rule that tied a service to its repository (module docs, step 2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum LinkRule(
        /// How sure a link by this rule is.
        confidence: f64
    ) {
        /// A resource's tag names the repository (`github_repo`, `repo`…).
        ExplicitTag = ("explicit-tag", 0.95),
        /// A deploy workflow names the stack, ECS service or Lambda.
        DeployWorkflow = ("deploy-workflow", 0.90),
        /// A container image is named like the repository.
        ContainerImage = ("container-image", 0.85),
        /// Normalised names within Levenshtein 2.
        NameMatch = ("name-match", 0.75),
        /// Lambdas only, and a repository named like their name prefix.
        LambdaPrefix = ("lambda-prefix", 0.70),
        /// The service is the repository.
        Repository = ("repository", 0.60),
    }
}

vocabulary! {
    /// A source of evidence for who owns a service (PRODUCT.md, "Ownership
    /// inference"), in the order they are weighed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Signal(
        /// How much the signal counts towards a candidate's score.
        weight: f64
    ) {
        /// CODEOWNERS lines, by share of the repository they own.
        Codeowners = ("codeowners", 0.40),
        /// `team` / `owner` tags of AWS resources.
        Tags = ("tags", 0.20),
        /// Commit authors, by share of commits.
        Commits = ("commits", 0.25),
        /// GitHub teams with access to the repository.
        GithubTeams = ("github-teams", 0.15),
    }
}

vocabulary! {
    /// How stale a discovered service whose facts went missing is; it is
    /// also the lifecycle its Component gets.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Staleness(
        /// In how many of the latest complete snapshots the facts of a
        /// service this stale are missing, at least.
        missing_from: usize
    ) {
        Deprecated = ("deprecated", 3),
        Eol = ("eol", 5),
    }
}

impl Staleness {
    /// The staleness of a service whose facts are missing from the latest
    /// `missing_from` complete snapshots, if any.
    pub fn after(missing_from: usize) -> Option<Staleness> {
        [Staleness::Eol, Staleness::Deprecated]
            .into_iter()
            .find(|staleness| missing_from >= staleness.missing_from())
    }
}

vocabulary! {
    /// A first-class field of a service, as `sources.declared` /
    /// `sources.discovered` name it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ServiceField {
        Owner = "owner",
        Tier = "tier",
        Repo = "repo",
        OnCall = "on_call",
        Slack = "slack",
        Runbooks = "runbooks",
        Description = "description",
        Lifecycle = "lifecycle",
        System = "system",
        Tech = "tech",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_missing_from_more_snapshots_is_more_stale() {
        let stale: Vec<Option<&str>> = (0..7).map(|n| Staleness::after(n).map(Staleness::as_str)).collect();
        let (deprecated, eol) = (Some("deprecated"), Some("eol"));
        assert_eq!(stale, [None, None, None, deprecated, deprecated, eol, eol]);
    }
}
