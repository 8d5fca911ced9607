//! The typo policy (Meilisearch's): a query word of 1–4 letters must match
//! exactly, 5–8 letters may have one typo, 9 or more two; a typo on the
//! first letter counts as two. Only the last query word may match as a
//! prefix of a longer term.

/// How many typos a query word of `len` characters may have.
pub fn budget(len: usize) -> u8 {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// How a query word matched a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordMatch {
    pub typos: u8,
    /// The whole term, not a prefix of it.
    pub exact: bool,
}

/// Whether `word` matches `term` within its typo budget, as a whole word or
/// (when `prefix`) as the beginning of the term.
pub fn matches(word: &[char], term: &[char], prefix: bool) -> Option<WordMatch> {
    let budget = budget(word.len());
    let first_letter = u8::from(word.first() != term.first());
    if first_letter * 2 > budget {
        return None;
    }
    let exact = distance(word, term, budget as usize + 1)
        .map(|d| d as u8 + first_letter)
        .filter(|&typos| typos <= budget);
    if let Some(typos) = exact {
        if typos == 0 || !prefix {
            return Some(WordMatch { typos, exact: true });
        }
    }
    if prefix {
        let best_prefix = prefix_distance(word, term, budget as usize)
            .map(|d| d as u8 + first_letter)
            .filter(|&typos| typos <= budget);
        return match (exact, best_prefix) {
            (Some(e), Some(p)) if p < e => Some(WordMatch { typos: p, exact: false }),
            (Some(e), _) => Some(WordMatch { typos: e, exact: true }),
            (None, Some(p)) => Some(WordMatch { typos: p, exact: false }),
            (None, None) => None,
        };
    }
    None
}

/// Levenshtein distance, or `None` when it reaches `limit`.
fn distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) >= limit {
        return None;
    }
    Some(last_row(a, b)[b.len()]).filter(|&d| d < limit)
}

/// The smallest distance between `word` and any prefix of `term`, or
/// `None` when above `budget`.
fn prefix_distance(word: &[char], term: &[char], budget: usize) -> Option<usize> {
    last_row(word, term).into_iter().min().filter(|&d| d <= budget)
}

/// The last row of the edit-distance table of `a` against `b`: entry j is
/// the distance between all of `a` and the first j characters of `b`.
fn last_row(a: &[char], b: &[char]) -> Vec<usize> {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(word: &str, term: &str, prefix: bool) -> Option<(u8, bool)> {
        let w: Vec<char> = word.chars().collect();
        let t: Vec<char> = term.chars().collect();
        matches(&w, &t, prefix).map(|m| (m.typos, m.exact))
    }

    #[test]
    fn short_words_must_match_exactly() {
        assert_eq!(m("cart", "cart", false), Some((0, true)));
        assert_eq!(m("cart", "card", false), None);
        assert_eq!(m("cart", "carts", false), None);
        assert_eq!(m("car", "carts", true), Some((0, false)));
    }

    #[test]
    fn five_to_eight_letters_allow_one_typo_not_on_the_first_letter() {
        assert_eq!(m("checkot", "checkout", false), Some((1, true)));
        assert_eq!(m("chekcout", "checkout", false), None, "a transposition is two edits");
        assert_eq!(
            m("xheckout", "checkout", false),
            None,
            "a first-letter typo counts as two"
        );
        assert_eq!(m("payment", "payments", false), Some((1, true)));
    }

    #[test]
    fn nine_letters_allow_two_typos_or_one_on_the_first_letter() {
        assert_eq!(m("inventroy", "inventory", false), Some((2, true)));
        assert_eq!(
            m("nventory", "inventory", false),
            None,
            "8 letters: one typo, and it is the first"
        );
        assert_eq!(m("xnventory", "inventory", false), Some((2, true)));
        assert_eq!(m("recomendations", "recommendations", false), Some((1, true)));
    }

    #[test]
    fn the_last_word_matches_prefixes_with_typos() {
        assert_eq!(m("chec", "checkout", true), Some((0, false)));
        assert_eq!(m("chekou", "checkout", true), Some((1, false)));
        assert_eq!(m("checkout", "checkout", true), Some((0, true)));
        assert_eq!(m("chec", "checkout", false), None);
    }
}
