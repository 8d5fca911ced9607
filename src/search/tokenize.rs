//! Text → index terms. The browser's `search.js` mirrors this exactly (the
//! golden-vector test holds them together): NFD with combining marks
//! removed, lowercase, split on anything not a letter or digit and at
//! lower→upper case changes (`checkoutService`), and for names and titles
//! the joined slug as well (`checkout-service` is also `checkoutservice`).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The words of `text`, in order, lowercased and without diacritics.
pub fn words(text: &str) -> Vec<String> {
    // ASCII is its own NFD and has no combining marks: most catalog text
    // skips the normalizer, which was most of the time spent here.
    if text.is_ascii() {
        split(text.chars())
    } else {
        split(text.nfd().filter(|c| !is_combining_mark(*c)))
    }
}

/// `chars` (normalized) cut into lowercase words.
fn split(chars: impl Iterator<Item = char>) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in chars {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_lowercase() || c.is_numeric();
            current.extend(c.to_lowercase());
        } else {
            previous_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The terms a field's text is indexed under: its words, and when there
/// are several, their concatenation too (`joined` is for names and titles,
/// so `checkoutservice` finds `checkout-service`).
pub fn terms(text: &str, joined: bool) -> Vec<String> {
    let mut terms = words(text);
    if joined && terms.len() > 1 {
        terms.push(terms.concat());
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_text_is_cut_as_its_normalized_form_is() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        for text in [
            all_ascii.as_str(),
            "checkoutService-V2_api/x9Y",
            "ABCdefGHI jkl",
            "a1B2c3",
        ] {
            assert_eq!(
                words(text),
                split(text.nfd().filter(|c| !is_combining_mark(*c))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn words_split_on_punctuation_and_case_changes() {
        assert_eq!(words("checkout-service"), ["checkout", "service"]);
        assert_eq!(words("CheckoutService v2"), ["checkout", "service", "v2"]);
        assert_eq!(words("payments_api/v1.2"), ["payments", "api", "v1", "2"]);
        assert_eq!(words("  "), Vec::<String>::new());
    }

    #[test]
    fn diacritics_are_removed() {
        assert_eq!(words("Crème Brûlée Ünïcode"), ["creme", "brulee", "unicode"]);
    }

    #[test]
    fn names_are_also_indexed_joined() {
        assert_eq!(
            terms("checkout-service", true),
            ["checkout", "service", "checkoutservice"]
        );
        assert_eq!(terms("checkout-service", false), ["checkout", "service"]);
        assert_eq!(terms("checkout", true), ["checkout"]);
    }
}
