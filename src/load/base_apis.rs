//! The API definitions at the base revision (`--base`, or the default base
//! of `load::published`), which `validate::apis` compares with the working
//! tree's for breaking changes: every `kind: API` document of the catalog's
//! tree at that commit, placeholders resolved in that tree, read from the
//! object database without a checkout. Only files that mention `API` are
//! parsed. A long-running compile remembers the answer per base commit
//! (`pipeline::Cache`), since `cairn serve` compiles again on every save.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::{EntityKey, Kind};

/// An API's definition as the base revision has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseApi {
    pub spec_type: Option<String>,
    pub definition: String,
    /// Where it was defined at the base (for messages).
    pub file: String,
}

/// Every API of the base revision that has a definition, by identity.
pub type BaseApis = BTreeMap<EntityKey, BaseApi>;

/// The APIs at the commit `base` (a full hex id, as `Published::base`
/// holds it) of the repository holding `root`. A revision that cannot be
/// read has none: the published set already reported a bad `--base`.
pub fn read(root: &Path, base: &str) -> BaseApis {
    load(root, base).unwrap_or_default()
}

fn load(root: &Path, base: &str) -> anyhow::Result<BaseApis> {
    let mut loaded = super::revision::load_revision_where(root, base, &|text| text.contains("API"))?;
    let (entities, _) = crate::model::lower_files(&mut loaded.files);
    Ok(entities
        .into_iter()
        .filter(|e| e.kind == Kind::Api)
        .filter_map(|e| {
            Some((
                e.key(),
                BaseApi {
                    definition: e.definition.clone()?,
                    spec_type: e.spec_type.as_deref().map(str::to_string),
                    file: e.file.clone(),
                },
            ))
        })
        .collect())
}
