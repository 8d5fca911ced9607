//! Catalog text → safe HTML. Descriptions are Markdown (rendered with
//! pulldown-cmark) that may carry raw HTML; ammonia then keeps only inert
//! markup: no scripts, styles, event handlers, iframes or images (the portal
//! loads nothing from another host), and links only to absolute http(s) and
//! mailto URLs, with `rel="noopener noreferrer nofollow"`.

use std::collections::HashSet;
use std::sync::LazyLock;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Relative URLs would resolve against the page; images would be
        // fetched from wherever the catalog points.
        .url_relative(ammonia::UrlRelative::Deny)
        .rm_tags(["img"])
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

/// Markdown with raw HTML → sanitized HTML.
pub fn to_html(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    CLEANER.clean(&html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_scripts_are_removed() {
        let html = to_html(
            "**Bold** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) {{ 7*7 }}",
        );
        assert!(html.contains("<strong>Bold</strong>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"),
            "{html}"
        );
        assert!(html.contains("{{ 7*7 }}"), "template syntax stays text: {html}");
    }

    #[test]
    fn only_web_and_mail_links_are_links() {
        let html =
            to_html("[ok](https://acme.dev) [bad](vbscript:x) [rel](../../secrets) ![img](https://evil.example/x.png)");
        assert!(
            html.contains(r#"href="https://acme.dev""#) && !html.contains("vbscript"),
            "{html}"
        );
        assert!(!html.contains("secrets") && !html.contains("<img"), "{html}");
    }
}
