//! What `cairn serve` adds to the HTML it serves (never to what `cairn
//! build` writes): a script that listens on `/api/v1/events` and reloads
//! the page when a rebuild changed it, the build failed or recovered; and,
//! while the catalog is broken, an overlay with the diagnostics. Both go in
//! just before `</body>`. Every piece of catalog text in the overlay is
//! HTML-escaped.

use std::fmt::Write as _;

use crate::diagnostics::Diagnostic;

/// Diagnostics shown in the overlay; the rest are counted.
const OVERLAY_LIMIT: usize = 50;

/// `html` (the page at `path` in the build) with the live-reload script
/// and, when `failure` holds diagnostics, the overlay.
pub fn page(html: &[u8], path: &str, failure: Option<&[Diagnostic]>) -> Vec<u8> {
    let mut extra = String::new();
    if let Some(diagnostics) = failure {
        extra.push_str(&overlay(diagnostics));
    }
    extra.push_str(&script(path));
    let at = find_last(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + extra.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// A page for when no build has succeeded yet: the overlay and the script.
pub fn error_page(diagnostics: &[Diagnostic]) -> Vec<u8> {
    let body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cairn: the catalog has errors</title></head><body></body></html>";
    page(body.as_bytes(), "", Some(diagnostics))
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The live-reload script. `path` is a build path (validated names only),
/// written as a JSON string with `<` escaped so it cannot end the script.
fn script(path: &str) -> String {
    let path = serde_json::to_string(path)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c");
    format!(
        r#"<script data-cairn-serve>(function () {{
  var page = {path};
  var source = new EventSource("/api/v1/events");
  function reload() {{ source.close(); location.reload(); }}
  source.onopen = function () {{ document.documentElement.dataset.cairnLive = "open"; }};
  source.addEventListener("build.completed", function (event) {{
    var changed = JSON.parse(event.data);
    if (changed.all || changed.pages.indexOf(page) >= 0) reload();
  }});
  source.addEventListener("build.failed", reload);
  source.addEventListener("build.recovered", reload);
}})();</script>
"#
    )
}

/// The diagnostics overlay: fixed at the top of the page, above the last
/// good build.
fn overlay(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == crate::diagnostics::Severity::Error)
        .count();
    let mut html = String::from(
        "<div id=\"cairn-overlay\" role=\"alert\" style=\"position:fixed;inset:0 0 auto 0;z-index:2147483647;\
max-height:60vh;overflow:auto;margin:0;padding:1em 1.5em;background:#2b0b0e;color:#ffd7d7;\
font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;box-shadow:0 2px 12px #0008\">",
    );
    let _ = write!(
        html,
        "<p style=\"margin:0 0 .5em;font-weight:bold\">cairn: the catalog has {errors} error{} — showing the last good build</p><ul style=\"margin:0;padding-left:1.2em\">",
        if errors == 1 { "" } else { "s" }
    );
    for diagnostic in diagnostics.iter().take(OVERLAY_LIMIT) {
        let _ = write!(
            html,
            "<li><code>{}:{}</code> {}[{}]: {}</li>",
            escape(&diagnostic.location.file),
            diagnostic.location.line,
            diagnostic.severity.as_str(),
            escape(diagnostic.code.as_str()),
            escape(&diagnostic.message)
        );
    }
    if diagnostics.len() > OVERLAY_LIMIT {
        let _ = write!(
            html,
            "<li>… and {} more (see the terminal)</li>",
            diagnostics.len() - OVERLAY_LIMIT
        );
    }
    html.push_str("</ul></div>\n");
    html
}

/// Escapes text for an HTML element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Code, FilePosition};

    #[test]
    fn injects_before_the_last_body_end_and_escapes_the_overlay() {
        let diagnostic = Diagnostic::new(
            Code::UnresolvedRef,
            FilePosition::file_only("<img src=x onerror=alert(1)>.yaml"),
            "`spec.owner` refers to `<script>alert(1)</script>`",
        );
        let html = b"<html><body><p>x</p></body></html>";
        let out = String::from_utf8(page(html, "a/index.html", Some(&[diagnostic]))).unwrap();
        assert!(out.ends_with("</script>\n</body></html>"), "{out}");
        assert!(out.contains("var page = \"a/index.html\";"));
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{out}");
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;.yaml:0"), "{out}");
        assert!(!out.contains("<img") && !out.contains("<script>alert"), "{out}");
        assert!(out.contains("the catalog has 1 error "), "{out}");
    }

    #[test]
    fn a_page_without_body_gets_the_script_at_the_end() {
        let out = String::from_utf8(page(b"{}", "x</script>", None)).unwrap();
        assert!(out.starts_with("{}<script data-cairn-serve>"));
        assert!(out.contains(r#""x\u003c/script>""#), "{out}");
        assert!(!out.contains("cairn-overlay"));
    }
}
