use super::*;

#[test]
fn formats_come_from_the_type_or_the_first_key() {
    assert_eq!(Format::of(Some("openapi"), ""), Some(Format::OpenApi));
    assert_eq!(Format::of(Some("gRPC"), ""), Some(Format::Grpc));
    assert_eq!(Format::of(None, "# spec\nswagger: '2.0'\n"), Some(Format::OpenApi));
    assert_eq!(
        Format::of(Some("other"), "{\"asyncapi\": \"3.0.0\"}"),
        Some(Format::AsyncApi)
    );
    assert_eq!(Format::of(Some("thrift"), "service X {}"), None);
}

#[test]
fn offsets_become_lines_and_columns() {
    assert_eq!(line_column("ab\ncdé\nf", 7), (2, 4));
    assert_eq!(line_column("x", 99), (1, 2));
}

const PETS: &str = r#"openapi: 3.1.0
info: { title: Pets, version: '1' }
paths:
  /pets/{id}:
    get:
      tags: [pets]
      summary: Get a pet
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Pet' }
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: { type: [string, 'null'] }
        owner:
          type: object
          properties:
            email: { type: string, format: email }
        parent: { $ref: '#/components/schemas/Pet' }
"#;

#[test]
fn openapi_operations_schemas_and_cycles() {
    let reference = parse(Format::OpenApi, PETS).unwrap();
    assert_eq!(reference.dialect, "OpenAPI 3.1.0");
    let op = reference.operations().next().unwrap();
    assert_eq!(
        (op.method.as_str(), op.path.as_str(), op.anchor.as_str()),
        ("GET", "/pets/{id}", "op-get-pets-id")
    );
    assert_eq!(op.search_text(), "GET /pets/{id} Get a pet");
    assert_eq!(op.parameters[0].location.as_deref(), Some("path"));
    let rows = &op.responses[0].bodies[0].fields;
    let names: Vec<&str> = rows.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["name", "owner", "parent"]);
    assert_eq!(rows[0].ty, "string | null");
    assert!(rows[0].required);
    assert_eq!(rows[1].fields[0].notes, ["format: email"], "inline objects nest");
    assert_eq!(
        (rows[2].ty.as_str(), rows[2].link.as_deref(), rows[2].fields.len()),
        ("Pet", Some("schema-pet"), 0),
        "the cycle ends at a link"
    );
    assert_eq!(reference.types[0].anchor, "schema-pet");
}

#[test]
fn unreadable_definitions_say_where() {
    let invalid = parse(Format::OpenApi, "openapi: 3.0.0\npaths: [\n").unwrap_err();
    assert_eq!(invalid.line, 3, "{invalid:?}");
    let invalid = parse(Format::OpenApi, "openapi: 4.0.0\n").unwrap_err();
    assert!(invalid.message.contains("unsupported version"), "{invalid:?}");
    let invalid = parse(Format::GraphQl, "type Query {\n  a(: Int): Int\n}\n").unwrap_err();
    assert_eq!(invalid.line, 2, "{invalid:?}");
    let invalid = parse(Format::Grpc, "syntax = \"proto3\";\nmessage A {\n  string a = ;\n}\n").unwrap_err();
    assert_eq!(invalid.line, 3, "{invalid:?}");
}

#[test]
fn every_format_compares() {
    let removed = PETS.replace("        parent: { $ref: '#/components/schemas/Pet' }\n", "");
    let changes = compare((Format::OpenApi, PETS), (Format::OpenApi, &removed)).unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.breaking && c.reason.contains("property `parent` removed")),
        "{changes:#?}"
    );
    assert_eq!(
        compare((Format::OpenApi, PETS), (Format::OpenApi, PETS)).unwrap(),
        vec![]
    );
    let changes = compare(
        (Format::GraphQl, "type Query { a: Int }"),
        (Format::GraphQl, "type Query { a: Int! b: Int }"),
    )
    .unwrap();
    assert_eq!(changes.iter().filter(|c| c.breaking).count(), 0, "{changes:#?}");
    assert_eq!(changes.len(), 2);
    let changes = compare(
        (Format::GraphQl, "type Query { a: Int }"),
        (Format::Grpc, "syntax = \"proto3\";"),
    )
    .unwrap();
    assert!(changes[0].breaking && changes[0].reason.contains("format changed"));
    assert_eq!(
        compare((Format::Grpc, "syntax = "), (Format::Grpc, "syntax = \"proto3\";")),
        None
    );
}
