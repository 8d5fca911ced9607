//! CODEOWNERS with GitHub's semantics: the file is looked for in
//! `.github/`, the root and `docs/` (first found wins); patterns follow
//! gitignore rules (the `ignore` crate's matcher); the last matching pattern
//! wins; a pattern with no owners leaves its files unowned; `!` negation is
//! not supported by GitHub and such lines are skipped.

use std::collections::{BTreeMap, HashMap};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::facts::round4;

/// Where GitHub looks for CODEOWNERS, in order.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// A parsed CODEOWNERS file.
pub struct CodeOwners {
    matcher: Gitignore,
    /// Owners and position of each pattern as written; a repeated pattern
    /// keeps its last line, which is the one the matcher reports anyway.
    rules: HashMap<String, (usize, Vec<String>)>,
}

impl CodeOwners {
    pub fn parse(text: &str) -> CodeOwners {
        let mut builder = GitignoreBuilder::new("");
        let mut rules = HashMap::new();
        for (line_number, line) in text.lines().enumerate() {
            let line = strip_comment(line);
            let mut words = line.split_whitespace();
            let Some(pattern) = words.next() else { continue };
            if pattern.starts_with('!') {
                continue;
            }
            // `\#` stays escaped: gitignore reads it as a literal `#`.
            let pattern = pattern.to_string();
            if builder.add_line(None, &pattern).is_err() {
                continue;
            }
            rules.insert(pattern, (line_number, words.map(str::to_string).collect()));
        }
        let matcher = builder.build().unwrap_or_else(|_| Gitignore::empty());
        CodeOwners { matcher, rules }
    }

    /// The owners of a file (path relative to the repository root, `/`
    /// separated): those of the last pattern matching the file or one of
    /// its directories. (The matcher reports the last pattern matching at
    /// one level; the latest of those over all levels is the last overall.)
    pub fn owners_of(&self, path: &str) -> &[String] {
        let mut best: Option<&(usize, Vec<String>)> = None;
        let mut level = Some((path, false));
        while let Some((current, is_dir)) = level {
            if let Match::Ignore(glob) = self.matcher.matched(current, is_dir) {
                if let Some(rule) = self.rules.get(glob.original()) {
                    if best.is_none_or(|b| rule.0 > b.0) {
                        best = Some(rule);
                    }
                }
            }
            level = current.rsplit_once('/').map(|(parent, _)| (parent, true));
        }
        best.map(|(_, owners)| owners.as_slice()).unwrap_or(&[])
    }

    /// Per owner, the fraction of `files` whose last matching rule names
    /// it, rounded to four decimals.
    pub fn shares<'a>(&self, files: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, f64> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut total = 0usize;
        for file in files {
            total += 1;
            for owner in self.owners_of(file) {
                *counts.entry(owner.clone()).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .map(|(owner, n)| (owner, round4(n as f64 / total as f64)))
            .collect()
    }
}
/// Drops a `#` comment (an escaped `\#` stays).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] != b'\\') {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# Default owners
*       @acme/platform
*.js    @acme/frontend   # trailing comment
/docs/  @writer docs@acme.com
apps/payments/ @acme/payments
apps/payments/vendor/
\\#notes @acme/notes
!keep @acme/nobody
";

    #[test]
    fn last_matching_pattern_wins() {
        let owners = CodeOwners::parse(FILE);
        assert_eq!(owners.owners_of("src/main.rs"), ["@acme/platform"]);
        assert_eq!(owners.owners_of("web/app.js"), ["@acme/frontend"]);
        assert_eq!(owners.owners_of("docs/guide.md"), ["@writer", "docs@acme.com"]);
        // `/docs/` is anchored: a nested docs directory is not matched.
        assert_eq!(owners.owners_of("apps/docs/x.md"), ["@acme/platform"]);
        assert_eq!(owners.owners_of("apps/payments/src/lib.rs"), ["@acme/payments"]);
        // A later pattern with no owners un-owns its files.
        assert!(owners.owners_of("apps/payments/vendor/lib.js").is_empty());
        assert_eq!(owners.owners_of("#notes"), ["@acme/notes"]);
    }

    #[test]
    fn shares_are_fractions_of_files() {
        let owners = CodeOwners::parse(FILE);
        let shares = owners.shares(["a.rs", "b.rs", "c.js", "apps/payments/x.rs"]);
        assert_eq!(shares["@acme/platform"], 0.5);
        assert_eq!(shares["@acme/frontend"], 0.25);
        assert_eq!(shares["@acme/payments"], 0.25);
    }

    #[test]
    fn empty_and_comment_only_files_own_nothing() {
        let owners = CodeOwners::parse("# nothing here\n\n");
        assert!(owners.owners_of("a.rs").is_empty());
        assert!(owners.shares(["a.rs"]).is_empty());
    }
}
