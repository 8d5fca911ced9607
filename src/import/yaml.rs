//! JSON values written as block-style YAML for people to edit: keys in
//! the order catalog files use (`apiVersion`, `kind`, `metadata`, `spec`;
//! `name`, `namespace`, `title`, `description` first in `metadata`), the
//! rest alphabetically; a string plain only when no YAML 1.1 or 1.2 reader
//! could take it for anything else, a multi-line string as a literal block,
//! everything else double-quoted with JSON's escapes (a subset of YAML's).
//!
//! Hand-written rather than a library: the one YAML library that pairs with
//! our parser (saphyr) would move the parser to another version and bring
//! its own crates; this is the little an import needs, and a test reads
//! every emitted document back with our parser.

use std::fmt::Write as _;

use serde_json::Value as Json;

/// `value` as a YAML document (no `---`), ending with a newline.
pub fn to_yaml(value: &Json) -> String {
    let mut out = String::new();
    match value {
        Json::Object(map) if !map.is_empty() => mapping(&mut out, map, 0, &[]),
        Json::Array(items) if !items.is_empty() => sequence(&mut out, items, 0, &[]),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// Keys written first, in this order, at each path.
fn leading_keys(path: &[&str]) -> &'static [&'static str] {
    match path {
        [] => &["apiVersion", "kind", "metadata", "spec"],
        ["metadata"] => &["name", "namespace", "title", "description"],
        ["spec"] => &["type", "lifecycle", "owner", "system"],
        _ => &["name"],
    }
}

fn ordered<'a>(map: &'a serde_json::Map<String, Json>, path: &[&str]) -> Vec<(&'a String, &'a Json)> {
    let leading = leading_keys(path);
    let mut entries: Vec<(&String, &Json)> = map.iter().collect();
    entries.sort_by_key(|(key, _)| {
        (
            leading.iter().position(|l| l == key).unwrap_or(leading.len()),
            key.as_str(),
        )
    });
    entries
}

fn mapping(out: &mut String, map: &serde_json::Map<String, Json>, indent: usize, path: &[&str]) {
    for (key, value) in ordered(map, path) {
        let _ = write!(out, "{:indent$}{}:", "", scalar_text(key));
        let mut child: Vec<&str> = path.to_vec();
        child.push(key);
        block_value(out, value, indent, &child);
    }
}

fn sequence(out: &mut String, items: &[Json], indent: usize, path: &[&str]) {
    for item in items {
        let _ = write!(out, "{:indent$}-", "");
        match item {
            // A mapping starts on the dash's line, its keys aligned after it.
            Json::Object(map) if !map.is_empty() => {
                let item: Vec<&str> = path.iter().copied().chain(["-"]).collect();
                let mut first = true;
                for (key, value) in ordered(map, &item) {
                    if first {
                        let _ = write!(out, " {}:", scalar_text(key));
                        first = false;
                    } else {
                        let _ = write!(out, "{:width$}{}:", "", scalar_text(key), width = indent + 2);
                    }
                    let mut child = item.clone();
                    child.push(key);
                    block_value(out, value, indent + 2, &child);
                }
            }
            Json::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, indent + 2, path);
            }
            other => write_scalar(out, other, indent + 2),
        }
    }
}

/// After `key:` — a nested block on the next lines, or a scalar on this one.
fn block_value(out: &mut String, value: &Json, indent: usize, path: &[&str]) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + 2, path);
        }
        Json::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent + 2, path);
        }
        other => write_scalar(out, other, indent + 2),
    }
}

/// ` value\n`, or a literal block indented by `indent`.
fn write_scalar(out: &mut String, value: &Json, indent: usize) {
    if let Json::String(text) = value {
        if let Some(chomp) = literal_block(text) {
            let _ = writeln!(out, " |{chomp}");
            for line in text.trim_end_matches('\n').split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "{:indent$}{line}", "");
                }
            }
            if chomp == "+" {
                // `|+` keeps the trailing newlines: one is the last line's.
                for _ in 1..text.len() - text.trim_end_matches('\n').len() {
                    out.push('\n');
                }
            }
            return;
        }
    }
    let _ = writeln!(out, " {}", inline(value));
}

/// The chomping indicator for `text` as a literal block, or `None` when a
/// block cannot hold it exactly (one line, a leading space, carriage
/// returns or other control characters, trailing spaces).
fn literal_block(text: &str) -> Option<&'static str> {
    let body = text.trim_end_matches('\n');
    // The first line sets the block's indentation: it must be there and
    // start with no blank.
    if !body.contains('\n')
        || body.starts_with([' ', '\t', '\n'])
        || text.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        || text.contains('\u{feff}')
        || body.split('\n').any(|line| line.ends_with([' ', '\t']))
    {
        return None;
    }
    Some(match text.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    })
}

fn inline(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(text) => scalar_text(text),
        Json::Array(_) => "[]".into(),
        Json::Object(_) => "{}".into(),
    }
}

/// A string as a plain scalar when that is unambiguous, else double-quoted.
fn scalar_text(text: &str) -> String {
    if plain(text) {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("strings serialize")
    }
}

/// Whether `text` reads back as this same string, plain, in YAML 1.1 and
/// 1.2: letters, digits and `_-./@+()#` (no leading indicator or digit, so
/// no number, date or version), single inner spaces, and not a word some
/// reader takes for a boolean or null.
fn plain(text: &str) -> bool {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];
    let Some(first) = text.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !text.contains(" #")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " _-./@+()#".contains(c))
        && !WORDS.contains(&text.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_back(yaml: &str) -> Json {
        let parsed = crate::parse::parse_yaml("x.yaml", yaml);
        assert!(parsed.diagnostics.is_empty(), "{yaml}\n{:?}", parsed.diagnostics);
        parsed.documents[0].root.to_json()
    }

    #[test]
    fn entities_read_back_the_same() {
        let entity = json!({
            "spec": { "owner": "group:default/payments", "type": "service", "lifecycle": "production",
                      "dependsOn": ["component:cart", "resource:db"], "empty": [], "none": {}, "port": 8080,
                      "definition": "openapi: 3.0.0\ninfo:\n  title: x\n\n  version: '1'\n" },
            "metadata": { "name": "checkout", "annotations": { "backstage.io/kubernetes-id": "checkout", "x/on": "on" },
                          "tags": ["java", "1.0", "yes", ""], "links": [{ "url": "https://x/y?z=1#a", "title": "Run: book" }],
                          "description": "Line one.\n  indented\nlast", "title": "  padded ", "ratio": 0.5, "flag": true, "nil": null },
            "kind": "Component",
            "apiVersion": "backstage.io/v1alpha1",
        });
        let yaml = to_yaml(&entity);
        assert!(
            yaml.starts_with("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n"),
            "{yaml}"
        );
        assert!(yaml.contains("  definition: |\n    openapi: 3.0.0\n"), "{yaml}");
        assert!(yaml.contains("    - \"1.0\"\n    - \"yes\"\n"), "{yaml}");
        assert_eq!(read_back(&yaml), entity);
    }

    #[test]
    fn awkward_strings_read_back_the_same() {
        for text in [
            "",
            " ",
            "a\n",
            "a\n\n",
            "a\nb",
            "a\nb\n\n\n",
            "\na",
            " a\nb",
            "a \nb",
            "a\r\nb",
            "tab\there",
            "x: y",
            "- x",
            "#x",
            "@x",
            "`x`",
            "'q'",
            "\"q\"",
            "null",
            "~",
            "0x1F",
            "1e3",
            ".inf",
            "2024-01-01",
            "日本語",
            "a # b",
            "a  b",
            "{x}",
            "[x]",
            "x,y",
            "*x",
            "&x",
            "!x",
            "%x",
            "|",
            ">",
            "?",
            "a\u{7f}b",
        ] {
            let value = json!({ "k": text, "list": [text, { "k": text }] });
            assert_eq!(read_back(&to_yaml(&value)), value, "{text:?}");
        }
    }
}
