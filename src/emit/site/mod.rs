//! The portal: HTML pages rendered with minijinja from the compilation's
//! templates (`load::templates`: the built-in ones, each replaced by the
//! catalog's own file of the same name). Autoescape is on
//! for every template, escaping what Jinja2's markupsafe escapes (`&`, `<`,
//! `>`, `"`, `'`; every attribute is quoted) — not `/`, which minijinja's
//! own escaping writes as `&#x2f;` (six bytes for every slash of every
//! link); catalog Markdown goes through `util::markdown`.
//!
//! Every page is `…/index.html` and every link is relative to the page
//! (`root` is `../` once per directory level) and names `index.html`
//! explicitly, so the site works from any sub-path of a plain file host —
//! S3 behind CloudFront, GitHub Pages, nginx, `file://` — with no rewrite
//! rules. No page lists the whole catalog except the paginated lists, so a
//! page's size does not grow with the catalog.

mod definition;
mod entity;
mod home;
mod lists;
mod service;

use std::collections::HashMap;

use anyhow::Context;
use minijinja::{AutoEscape, Environment, Value};
use rayon::prelude::*;
use serde_json::{json, Value as Json};

use super::assets::AssetNames;
use super::Selection;
use crate::load::history::Change;
use crate::load::templates::Templates;
use crate::model::Kind;
use crate::pipeline::Compilation;
use crate::resolve::Service;
use definition::definition_pages;
use entity::entity_page;
use home::{dashboard_page, home_page};
use lists::list_pages;

/// The template environment of `templates` (`load::templates`), with
/// HTML autoescape.
pub fn environment(templates: &Templates) -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => Ok(write_html_escaped(out, text)?),
        _ => minijinja::escape_formatter(out, state, value),
    });
    for (name, source) in templates.texts() {
        env.add_template_owned(name.clone(), source.to_string())
            .with_context(|| format!("template `{name}` does not parse"))?;
    }
    Ok(env)
}

/// `text` into `out` with `&`, `<`, `>`, `"` and `'` escaped.
fn write_html_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut written = 0;
    for (at, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.write_str(&text[written..at])?;
        out.write_str(entity)?;
        written = at + 1;
    }
    out.write_str(&text[written..])
}

/// One page to render: output path, template, page context.
pub(super) struct Page {
    pub(super) path: String,
    pub(super) template: &'static str,
    pub(super) title: String,
    pub(super) context: Json,
}

/// Renders the pages of the portal `selection` selects into `(path, bytes)`.
///
/// `history` (catalog path → last commit, [`crate::load::history`]) feeds
/// the home page's "recently changed".
pub fn pages(
    compilation: &Compilation,
    assets: &AssetNames,
    history: &HashMap<String, Change>,
    selection: &Selection,
    sink: &dyn super::Sink,
) -> anyhow::Result<()> {
    let catalog = &compilation.catalog;
    let env = environment(&compilation.templates)?;
    let services: HashMap<usize, &Service> = catalog.services.iter().map(|s| (s.entity, &**s)).collect();
    let common = json!({
        "site": { "title": compilation.config.site.title },
        "assets": assets,
        "cairn_version": env!("CARGO_PKG_VERSION"),
    });
    let render = |page: Page| -> anyhow::Result<(String, Vec<u8>)> {
        let mut context = page.context;
        context["root"] = json!("../".repeat(page.path.matches('/').count()));
        context["page_title"] = json!(page.title);
        for (key, value) in common.as_object().expect("an object") {
            context[key] = value.clone();
        }
        let html = env
            .get_template(page.template)
            .and_then(|t| t.render(Value::from_serialize(&context)))
            .with_context(|| format!("cannot render `{}` with template `{}`", page.path, page.template))?;
        Ok((page.path, html.into_bytes()))
    };
    // Each entity page's context is built and rendered in one task and
    // dropped at once: holding all 16,000 contexts of a 10k catalog before
    // rendering doubled peak memory, and the kernel zeroing that fresh
    // memory was a quarter of the build.
    // Each page goes to the sink as soon as it is rendered.
    catalog
        .entities
        .par_iter()
        .enumerate()
        .filter(|(i, e)| !matches!(e.kind, Kind::Location | Kind::ResourceDefinition) && selection.entity(*i))
        .try_for_each(|(i, entity)| {
            let (path, html) = render(entity_page(compilation, i, entity, services.get(&i).copied()))?;
            sink.put(path, html);
            anyhow::Ok(())
        })?;
    let mut pages = definition_pages(compilation, selection);
    pages.extend(list_pages(catalog, selection));
    pages.push(dashboard_page(compilation));
    pages.push(Page {
        path: "graph/index.html".into(),
        template: "graph.html",
        title: "Dependency graph".into(),
        context: json!({}),
    });
    pages.push(home_page(compilation, history));
    pages.extend(super::governance::pages(compilation));
    pages.into_par_iter().try_for_each(|page| {
        let (path, html) = render(page)?;
        sink.put(path, html);
        anyhow::Ok(())
    })
}

/// A JSON value as a page shows it: a string as itself, anything else
/// as JSON.
fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_leaves_slashes_and_escapes_the_five() {
        let mut escaped = String::new();
        write_html_escaped(&mut escaped, r#"a/b <i>"x" & 'y'</i> é/"#).unwrap();
        assert_eq!(escaped, "a/b &lt;i&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;/i&gt; é/");
    }

    #[test]
    fn pages_escape_catalog_text_but_not_safe_values_or_numbers() {
        let mut templates = Templates::default();
        let page = r#"<a href="{{ url }}" title='{{ title }}'>{{ n }} {{ html|safe }}</a>"#;
        templates.overrides.insert("graph.html".into(), page.into());
        let env = environment(&templates).unwrap();
        let html = env
            .get_template("graph.html")
            .unwrap()
            .render(minijinja::context! { url => "../x/\"><script>", title => "it's", n => 3, html => "<b>/</b>" })
            .unwrap();
        assert_eq!(
            html,
            r#"<a href="../x/&quot;&gt;&lt;script&gt;" title='it&#x27;s'>3 <b>/</b></a>"#
        );
    }
}
