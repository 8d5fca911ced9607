//! The portal's static assets (`assets/`: `site.css`, `search.js`,
//! `app.js`), embedded in the binary and written under content-hashed
//! names, so a page can let them be cached forever.

use std::collections::BTreeMap;

use super::Sink;
use crate::output::hashed_name;

/// The hashed names of the assets, relative to the site root.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssetNames {
    pub css: String,
    pub search: String,
    pub app: String,
}

/// Static assets, embedded: (name, extension, contents). Each is written
/// as `assets/<name>.<hash>.<extension>`, cacheable forever.
const ASSETS: [(&str, &str, &[u8]); 3] = [
    ("site", "css", include_bytes!("../../assets/site.css")),
    ("search", "js", include_bytes!("../../assets/search.js")),
    ("app", "js", include_bytes!("../../assets/app.js")),
];

/// Puts every asset into `sink` under its hashed name, and returns the
/// names.
pub fn write(sink: &dyn Sink) -> AssetNames {
    let mut names = BTreeMap::new();
    for (name, extension, contents) in ASSETS {
        let hashed = format!("assets/{}", hashed_name(name, extension, contents));
        sink.put(hashed.clone(), contents.to_vec());
        names.insert(name, hashed);
    }
    AssetNames {
        css: names["site"].clone(),
        search: names["search"].clone(),
        app: names["app"].clone(),
    }
}
