//! The search index as emit writes it: the browser's static shards
//! (`search/`, part of every build) and the terminal's tantivy index
//! (`cairn search`, in the catalog's `.cairn/`). Both index
//! `search::documents` of the catalog.

use std::path::Path;

use super::write::replace_dir;
use crate::output::{Files, SEARCH_INDEX_DIR};
use crate::pipeline::Compilation;

/// The browser's static search index.
pub fn search_shards(compilation: &Compilation) -> Files {
    let index = crate::search::Index::new(crate::search::documents(&compilation.catalog));
    let mut files = Files::new();
    crate::search::shards::write(&index, &mut files);
    files
}

/// Writes the tantivy search index of `catalog` to [`SEARCH_INDEX_DIR`],
/// atomically, stamped with `stamp`: [`crate::load::source_stamp`] of the
/// sources, taken before they were read.
pub fn search_index(root: &Path, catalog: &crate::resolve::Catalog, stamp: &str) -> anyhow::Result<()> {
    let docs = crate::search::documents(catalog);
    replace_dir(root, &root.join(SEARCH_INDEX_DIR), |staging| {
        crate::search::store::write(staging, &docs, stamp)
    })
}
