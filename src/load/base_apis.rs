//! The API definitions at the base revision (`--base`, or the default base
//! of `load::published`), which `validate::apis` compares with the working
//! tree's for breaking changes: every `kind: API` document of the catalog's
//! tree at that commit, placeholders resolved in that tree, read from the
//! object database without a checkout. Only files that mention `API` are
//! parsed. The answer is remembered per root and base commit for the life
//! of the process (`cairn serve` compiles again on every save).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

type Remembered = Option<(PathBuf, String, Arc<BaseApis>)>;
static LAST: Mutex<Remembered> = Mutex::new(None);

/// The APIs at the commit `base` (a full hex id, as `Published::base`
/// holds it) of the repository holding `root`; none without a base or
/// outside git. A revision that cannot be read has none either: the
/// published set already reported a bad `--base`.
pub fn read(root: &Path, base: Option<&str>) -> Arc<BaseApis> {
    let Some(base) = base else {
        return Arc::default();
    };
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((r, b, apis)) = last.as_ref() {
        if r == root && b == base {
            return apis.clone();
        }
    }
    let apis = Arc::new(load(root, base).unwrap_or_default());
    *last = Some((root.to_path_buf(), base.to_string(), apis.clone()));
    apis
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
                    spec_type: e.spec_type.clone(),
                    file: e.file.clone(),
                },
            ))
        })
        .collect())
}
