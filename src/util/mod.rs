//! The ground floor: small helpers every stage may use, knowing nothing of
//! the catalog — JSON pointers and JSON differences, which URLs may be
//! linked, the AWS SDK's HTTP client ([`aws`]), and [`vocabulary`] for the
//! enums of closed sets of names.

pub mod aws;
pub mod json_text;
pub mod markdown;

use serde_json::Value as Json;

/// `Display` and `Serialize` for types with an `as_str` method: a value of
/// a closed vocabulary (a relation kind, a discovery rule…) is written as
/// its name in text and JSON alike.
macro_rules! written_as_str {
    ($($vocabulary:ty),+ $(,)?) => {$(
        impl std::fmt::Display for $vocabulary {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $vocabulary {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    )+};
}
pub(crate) use written_as_str;

/// `items` without spare capacity, for a list that is kept. A filtered
/// `collect` starts at four elements and a pushed `Vec` doubles: at 100,000
/// services the spare room of the entities' and services' lists was a tenth
/// of `check`'s memory.
pub fn exact<T>(mut items: Vec<T>) -> Vec<T> {
    items.shrink_to_fit();
    items
}

/// `parts` joined into one string of the right size, each part lowercased
/// (ASCII) or not as its flag says: how entity refs and output paths are
/// spelled. One allocation, where `format!` of lowercased copies made three
/// (and rendering a 10k catalog spells a million of them).
pub fn joined_lowercase(parts: &[(&str, bool)]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|(part, _)| part.len()).sum());
    for &(part, lowercase) in parts {
        let start = out.len();
        out.push_str(part);
        if lowercase {
            // In place, ASCII letters only: multi-byte characters are
            // left as they are.
            out[start..].make_ascii_lowercase();
        }
    }
    out
}

/// Declares a closed vocabulary as one table: an enum whose variants each
/// carry the name outputs write (`as_str`, and `Display` and `Serialize`
/// through [`written_as_str`]) and, when a column is declared after the
/// enum's name, one value more, read by the method named like the column.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+ }
    ) => {
        $(#[$meta])*
        $vis enum $name { $( $(#[$variant_meta])* $variant, )+ }

        impl $name {
            /// The name outputs write.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }
        }

        $crate::util::written_as_str!($name);
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($(#[$column_meta:meta])* $column:ident: $type:ty) {
            $( $(#[$variant_meta:meta])* $variant:ident = ($text:literal, $value:expr), )+
        }
    ) => {
        $crate::util::vocabulary! {
            $(#[$meta])*
            $vis enum $name { $( $(#[$variant_meta])* $variant = $text, )+ }
        }

        impl $name {
            $(#[$column_meta])*
            pub fn $column(self) -> $type {
                match self { $( $name::$variant => $value, )+ }
            }
        }
    };
}
pub(crate) use vocabulary;

/// Escapes a key for use as a JSON pointer token (borrowed when it needs
/// no escaping, as nearly every key).
pub fn escape_pointer(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1").into()
    } else {
        key.into()
    }
}

/// `pointer: old → new` for every JSON leaf that differs.
pub fn json_diff(old: &Json, new: &Json, pointer: String, out: &mut Vec<String>) {
    walk_diff(old, new, pointer, &mut |pointer, old, new| {
        out.push(format!("{pointer}: {old} → {new}"))
    });
}

/// The JSON pointer of every leaf that differs (what [`json_diff`] names,
/// without the values).
pub fn changed_pointers(old: &Json, new: &Json) -> Vec<String> {
    let mut out = Vec::new();
    walk_diff(old, new, String::new(), &mut |pointer, _, _| out.push(pointer));
    out
}

/// Calls `leaf` with the pointer, old and new value of every leaf that
/// differs: objects key by key, arrays of one length item by item.
fn walk_diff(old: &Json, new: &Json, pointer: String, leaf: &mut dyn FnMut(String, &Json, &Json)) {
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = format!("{pointer}/{}", escape_pointer(key));
                walk_diff(
                    a.get(key).unwrap_or(&Json::Null),
                    b.get(key).unwrap_or(&Json::Null),
                    child,
                    leaf,
                );
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk_diff(x, y, format!("{pointer}/{i}"), leaf);
            }
        }
        _ if old != new => leaf(pointer, old, new),
        _ => {}
    }
}

/// Whether a link may be rendered as a link: http(s) or mailto only.
pub fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// Writes `path` whole or not at all: into a temporary file beside it
/// (creating the directory), then renamed over it, by `write`.
pub fn write_atomically(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut file =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in `{}`", dir.display()))?;
    let mut writer = std::io::BufWriter::new(file.as_file_mut());
    write(&mut writer)
        .and_then(|()| std::io::Write::flush(&mut writer))
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    drop(writer);
    file.persist(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_urls_are_safe() {
        assert!(safe_url("https://runbooks.acme.dev/x") && safe_url("mailto:oncall@acme.dev") && safe_url("HTTP://x"));
        assert!(!safe_url("javascript:alert(1)") && !safe_url(" data:text/html,x") && !safe_url("/relative"));
    }

    #[test]
    fn json_differences_name_their_pointers() {
        let mut out = Vec::new();
        let old = serde_json::json!({"a/b": 1, "list": [1, 2], "same": true});
        let new = serde_json::json!({"a/b": 2, "list": [1, 3], "same": true, "new": "x"});
        json_diff(&old, &new, String::new(), &mut out);
        assert_eq!(out, ["/a~1b: 1 → 2", "/list/1: 2 → 3", r#"/new: null → "x""#]);
    }

    #[test]
    fn joined_lowercase_lowers_only_the_flagged_parts_and_only_ascii() {
        let joined = joined_lowercase(&[
            ("Component", false),
            (":", false),
            ("DÉ-FAULT", true),
            ("/", false),
            ("Ab", true),
        ]);
        assert_eq!(joined, "Component:dÉ-fault/ab");
        assert_eq!(joined_lowercase(&[]), "");
    }
}
