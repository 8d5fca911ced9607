//! Scaffolder Templates beyond their JSON Schema: each page of
//! `spec.parameters` is itself a JSON Schema (draft-07, as Backstage's form
//! reads it), so it is checked against draft-07's meta-schema — a mistyped
//! `type: strng` or a `required` that is not a list fails here, at its
//! line, instead of in the form of whoever runs the template.

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Entity;
use crate::parse::Node;

/// Checks one Template.
pub fn check(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let Some(parameters) = entity.node.pointer("/spec/parameters") else {
        return;
    };
    let pages: Vec<(String, &Node)> = match parameters.as_seq() {
        Some(items) => items
            .iter()
            .enumerate()
            .map(|(i, page)| (format!("/spec/parameters/{i}"), page))
            .collect(),
        None => vec![("/spec/parameters".to_string(), parameters)],
    };
    for (pointer, page) in pages {
        if page.as_map().is_none() {
            // Not an object: the Template schema reports it.
            continue;
        }
        let schema = page.to_json();
        if let Err(error) = jsonschema::draft7::meta::validate(&schema) {
            let at = format!("{pointer}{}", error.instance_path().as_str());
            diagnostics.push(
                Diagnostic::new(
                    Code::SchemaViolation,
                    entity.location(&at),
                    format!(
                        "`{}` is not a valid JSON Schema for the template's form: {error}",
                        at.trim_start_matches('/').replace('/', ".")
                    ),
                )
                .with_help("each page of `spec.parameters` is a JSON Schema (draft-07), e.g. `properties: { name: { type: string } }`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_yaml(parameters: &str) -> Vec<(String, u32)> {
        let yaml = format!(
            "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  steps: []\n  parameters:\n{parameters}"
        );
        let parsed = crate::parse::parse_yaml("t.yaml", &yaml);
        let mut diagnostics = Vec::new();
        let entity =
            crate::model::lower_document("t.yaml", parsed.documents.into_iter().next().unwrap(), &mut diagnostics)
                .unwrap();
        check(&entity, &mut diagnostics);
        diagnostics
            .into_iter()
            .map(|d| (d.location.pointer, d.location.line))
            .collect()
    }

    #[test]
    fn each_parameter_page_is_a_json_schema() {
        let good = "    - title: Service\n      required: [name]\n      properties:\n        name: { type: string, ui:autofocus: true }\n";
        assert_eq!(check_yaml(good), []);
        let bad = "    - title: Service\n      properties:\n        name:\n          type: strng\n";
        assert_eq!(
            check_yaml(bad),
            [("/spec/parameters/0/properties/name/type".to_string(), 12)]
        );
        let single = "    required: name\n";
        assert_eq!(check_yaml(single), [("/spec/parameters/required".to_string(), 9)]);
    }
}
