//! The typed form of a `catalog.nestor.io/v1` ResourceClaim: a request for
//! a version of a ResourceDefinition, with the inputs to fill it. Its refs
//! (`spec.owner`, `spec.system`, `spec.dependencyOf`) are ordinary
//! [`super::SpecRef`]s; what it resolves to is `resolve::claims`' business.

use serde_json::Value as Json;

use crate::parse::Node;

/// One ResourceClaim, as written.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceClaim {
    /// `spec.resource`: the name of the ResourceDefinition claimed.
    pub resource: Option<String>,
    /// `spec.version`: an exact version (`2.0.0`) or a requirement (`^2.0`)
    /// when it is a string (anything else is the schema check's).
    pub version: Option<String>,
    /// `spec.inputs`, in source order.
    #[serde(with = "crate::util::json_text")]
    pub inputs: Vec<(String, Json)>,
}

impl ResourceClaim {
    /// The value written for input `name`.
    pub fn input(&self, name: &str) -> Option<&Json> {
        self.inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

pub(super) fn build(root: &Node) -> ResourceClaim {
    let spec = root.get("spec");
    let text = |key: &str| spec.and_then(|s| s.get_str(key)).map(str::to_string);
    let inputs = super::json_entries(spec.and_then(|s| s.get("inputs")));
    ResourceClaim {
        resource: text("resource"),
        version: text("version"),
        inputs,
    }
}
