use super::*;
use std::collections::HashMap;

fn reader(files: &[(&str, &str)]) -> impl Fn(&str) -> Result<Target, TargetError> {
    let files: HashMap<String, String> = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
    move |path: &str| {
        files
            .get(path)
            .map(|text| Target {
                display: path.to_string(),
                text: text.clone(),
            })
            .ok_or(TargetError::Missing)
    }
}

fn resolved(text: &str, files: &[(&str, &str)]) -> (serde_json::Value, Vec<String>, Vec<Inlined>) {
    let mut parsed = parse_yaml("apis/x.yaml", text);
    let read = reader(files);
    let out = resolve("apis/x.yaml", text, "apis", &mut parsed.documents, &read);
    let codes = out.diagnostics.iter().map(|d| d.code.as_str().to_string()).collect();
    let document = parsed.documents.remove(0);
    (document.root.to_json(), codes, document.inlined)
}

const HEAD: &str = "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: x\nspec:\n";

#[test]
fn text_json_and_yaml_are_replaced() {
    let text = format!(
            "{HEAD}  definition:\n    $text: ./openapi.yaml\n  data:\n    $json: ../shared/data.json\n  more:\n    $yaml: /common/more.yaml\n"
        );
    let (json, codes, inlined) = resolved(
        &text,
        &[
            ("apis/openapi.yaml", "openapi: 3.0.0\n"),
            ("shared/data.json", "{\"a\": [\"b\", 7]}"),
            ("common/more.yaml", "foo:\n  - bar: 7\n"),
        ],
    );
    assert_eq!(codes, Vec::<String>::new());
    assert_eq!(json["spec"]["definition"], "openapi: 3.0.0\n");
    assert_eq!(json["spec"]["data"], serde_json::json!({ "a": ["b", 7] }));
    assert_eq!(json["spec"]["more"], serde_json::json!({ "foo": [{ "bar": 7 }] }));
    assert_eq!(inlined.len(), 3);
    assert_eq!(inlined[0].pointer, "/spec/definition");
    assert_eq!(inlined[0].file, "apis/openapi.yaml");
    assert_eq!(inlined[1].pointer, "/spec/data");
    assert_eq!(inlined[1].file, "shared/data.json");
}

#[test]
fn bad_targets_are_diagnostics_and_urls_stay() {
    let text = format!(
            "{HEAD}  a:\n    $text: ./missing.txt\n  b:\n    $text: ../../../etc/passwd\n  c:\n    $text: https://example.com/spec.yaml\n  d:\n    $json: [not, a, string]\n  e:\n    $foo: left alone\n  f:\n    $text: ./a\n    $json: ./b\n"
        );
    let (json, codes, _) = resolved(&text, &[]);
    assert_eq!(
        codes,
        [
            "placeholder-target-missing",
            "path-outside-root",
            "placeholder-url",
            "placeholder-invalid"
        ]
    );
    assert_eq!(
        json["spec"]["c"],
        serde_json::json!({ "$text": "https://example.com/spec.yaml" })
    );
    assert_eq!(json["spec"]["e"], serde_json::json!({ "$foo": "left alone" }));
    assert_eq!(json["spec"]["f"]["$text"], "./a");
}

#[test]
fn openapi_refs_to_other_files_are_bundled_and_cycles_cut() {
    let spec = "openapi: 3.0.0\npaths:\n  /pets:\n    get:\n      responses:\n        '200':\n          content:\n            application/json:\n              schema:\n                $ref: ./schemas/pet.yaml#/Pet\n";
    let pet =
        "Pet:\n  type: object\n  properties:\n    owner:\n      $ref: ./owner.yaml\n    parent:\n      $ref: '#/Pet'\n";
    let owner = "type: object\nproperties:\n  pets:\n    $ref: ./pet.yaml#/Pet\n";
    let text = format!("{HEAD}  definition:\n    $openapi: ./openapi.yaml\n");
    let (json, codes, _) = resolved(
        &text,
        &[
            ("apis/openapi.yaml", spec),
            ("apis/schemas/pet.yaml", pet),
            ("apis/schemas/owner.yaml", owner),
        ],
    );
    assert_eq!(codes, Vec::<String>::new());
    let definition: serde_json::Value = serde_json::from_str(json["spec"]["definition"].as_str().unwrap()).unwrap();
    let schema = &definition["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["owner"]["type"], "object");
    // The cycle back to Pet keeps its `$ref`; internal refs stay too.
    assert_eq!(
        schema["properties"]["owner"]["properties"]["pets"]["$ref"],
        "./pet.yaml#/Pet"
    );
    assert_eq!(schema["properties"]["parent"]["$ref"], "#/Pet");
    // Without file refs the text is kept as written.
    let (json, _, _) = resolved(&text, &[("apis/openapi.yaml", "openapi: 3.0.0 # as written\n")]);
    assert_eq!(json["spec"]["definition"], "openapi: 3.0.0 # as written\n");
}

#[test]
fn paths_join_without_leaving_the_root() {
    assert_eq!(join("apis", "./a.yaml").as_deref(), Some("apis/a.yaml"));
    assert_eq!(join("apis/v1", "../b.yaml").as_deref(), Some("apis/b.yaml"));
    assert_eq!(join("apis", "/c.yaml").as_deref(), Some("c.yaml"));
    assert_eq!(join("", "../x"), None);
    assert_eq!(join("apis", "../../x"), None);
}
