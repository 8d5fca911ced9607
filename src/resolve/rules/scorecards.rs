//! Where each service stands on each scorecard: the highest level it
//! reaches — it passes that level's rules and every lower level's — and
//! the checks it fails, level by level; and, between two catalogs, which
//! services moved up or down (`cairn diff`, the job summary).

use serde::Serialize;

use super::Failure;
use crate::config::rules::{Rule, Rules, Scorecard};
use crate::resolve::Catalog;

/// One service on one scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing<'a> {
    pub scorecard: &'a Scorecard,
    /// Index of the highest level reached; `None` below the first.
    pub reached: Option<usize>,
    pub failing: Vec<Failing<'a>>,
}

impl Standing<'_> {
    /// The name of the level reached, if any.
    pub fn level(&self) -> Option<&str> {
        self.reached.map(|l| self.scorecard.levels[l].name.as_str())
    }
}

/// A check a service fails, with the level it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Failing<'a> {
    pub level: usize,
    /// Index into the rules, and the rule.
    pub check: usize,
    pub rule: &'a Rule,
    /// Why the check could not be evaluated, if that is why it failed.
    pub error: Option<&'a str>,
}

/// The standing of an entity with `failures` on every scorecard.
pub fn standings<'a>(rules: &'a Rules, failures: &'a [Failure]) -> Vec<Standing<'a>> {
    rules
        .scorecards
        .iter()
        .map(|scorecard| {
            let mut failing = Vec::new();
            let mut reached = None;
            let mut blocked = false;
            for (l, level) in scorecard.levels.iter().enumerate() {
                let before = failing.len();
                for &check in &level.checks {
                    if let Some(failure) = failures.iter().find(|f| f.rule == check) {
                        failing.push(Failing {
                            level: l,
                            check,
                            rule: &rules.rules[check],
                            error: failure.error.as_deref(),
                        });
                    }
                }
                blocked |= failing.len() > before;
                if !blocked {
                    reached = Some(l);
                }
            }
            Standing {
                scorecard,
                reached,
                failing,
            }
        })
        .collect()
}

/// The standings of entity `index` of `catalog` (a service).
pub fn of(catalog: &Catalog, index: usize) -> Vec<Standing<'_>> {
    standings(&catalog.verdicts.rules, catalog.verdicts.of(index))
}

/// A service whose level on a scorecard differs between two catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelMove {
    #[serde(rename = "ref")]
    pub service: String,
    pub scorecard: String,
    /// The level before and after (`None`: below the first level, or not
    /// in that catalog).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Whether it moved up.
    pub up: bool,
}

/// The services of both catalogs whose level changes from `base` to
/// `head`, in `head`'s order, on each scorecard of `head` (and of the same
/// name in `base`; a scorecard new in `head` moves nothing).
pub fn moves(base: &Catalog, head: &Catalog) -> Vec<LevelMove> {
    if head.verdicts.rules.scorecards.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for service in &head.services {
        let entity = &head.entities[service.entity];
        let Some(&before) = base.index.get(&entity.key()) else {
            continue;
        };
        let old = of(base, before);
        for now in of(head, service.entity) {
            let Some(was) = old.iter().find(|o| o.scorecard.name == now.scorecard.name) else {
                continue;
            };
            let (from, to) = (was.level(), now.level());
            if from == to {
                continue;
            }
            // By rank in the head's scorecard; a level it no longer has
            // ranks lowest.
            let rank = |level: Option<&str>| {
                level.map_or(0, |name| {
                    now.scorecard
                        .levels
                        .iter()
                        .position(|l| l.name == name)
                        .map_or(0, |p| p + 1)
                })
            };
            out.push(LevelMove {
                service: entity.key().to_string(),
                scorecard: now.scorecard.name.clone(),
                from: from.map(str::to_string),
                to: to.map(str::to_string),
                up: rank(to) > rank(from),
            });
        }
    }
    out
}
