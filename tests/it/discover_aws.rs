//! `cairn discover aws` against a local AWS (moto's server) with resources
//! created through the SDK, and against a small fake endpoint for what moto
//! cannot do on demand: a service that refuses, and throttling.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::aws::{block_on, Moto};
use crate::harness::{run, Run, TestCatalog};

/// The secret key the scans run with; it must never be written anywhere.
const SECRET_KEY: &str = "cairn-test-secret-key-do-not-print";
/// Secret values given to the resources; they must never be read.
const SECRETS: [&str; 3] = ["hunter2", "s3cr3t-pw", SECRET_KEY];

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/payments-api:1.4";

const TEMPLATE: &str = r#"{
  "Resources": {
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": "payments-lambda",
        "AssumeRolePolicyDocument": {
          "Version": "2012-10-17",
          "Statement": [{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }]
        }
      }
    },
    "Queue": { "Type": "AWS::SQS::Queue", "Properties": { "QueueName": "payments-events" } },
    "Topic": {
      "Type": "AWS::SNS::Topic",
      "Properties": { "TopicName": "payments-alerts", "Tags": [{ "Key": "team", "Value": "payments" }] }
    },
    "Worker": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": "payments-worker",
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": { "Fn::GetAtt": ["Role", "Arn"] },
        "Code": { "ZipFile": "def handler(event, context):\n    return None\n" },
        "Environment": { "Variables": { "DB_PASSWORD": "hunter2" } }
      }
    }
  }
}"#;

/// Runs `cairn discover aws` against `endpoint` in `catalog`.
fn discover(catalog: &TestCatalog, endpoint: &str) -> Run {
    run(&mut discover_command(catalog, endpoint, &[]))
}

/// `cairn discover aws` against `endpoint` in us-east-1 with test
/// credentials and nothing from this machine's AWS configuration.
fn discover_command(catalog: &TestCatalog, endpoint: &str, extra: &[&str]) -> Command {
    let mut args = vec!["discover", "aws", "--endpoint-url", endpoint, "--region", "us-east-1"];
    args.extend_from_slice(extra);
    let mut command = catalog.command(&args);
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn read(catalog: &TestCatalog, relative: &str) -> String {
    std::fs::read_to_string(catalog.path().join(relative)).unwrap()
}

fn facts(catalog: &TestCatalog) -> serde_json::Value {
    serde_json::from_str(&read(catalog, "discovered/aws.json")).unwrap()
}

fn assert_valid(facts: &serde_json::Value) {
    let schema_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/facts.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(facts).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "the facts do not validate: {errors:?}");
}

fn assert_no_secrets(catalog: &TestCatalog, run: &Run) {
    let places = [
        ("facts", read(catalog, "discovered/aws.json")),
        ("scan metadata", read(catalog, "discovered/aws.scan.json")),
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
    ];
    for (place, text) in places {
        for secret in SECRETS {
            assert!(!text.contains(secret), "`{secret}` is in the {place}:\n{text}");
        }
    }
}

/// Creates one of everything the scanner reads; returns the ids moto made
/// up, each with the placeholder the snapshot shows instead.
fn create_world(moto: &Moto) -> Vec<(String, &'static str)> {
    let config = moto.config();
    block_on(async {
        let cloudformation = aws_sdk_cloudformation::Client::new(&config);
        let stack = cloudformation
            .create_stack()
            .stack_name("payments")
            .template_body(TEMPLATE)
            .tags(
                aws_sdk_cloudformation::types::Tag::builder()
                    .key("team")
                    .value("payments")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let stack_id = stack.stack_id().unwrap().to_string();

        let lambda = aws_sdk_lambda::Client::new(&config);
        let function_arn = "arn:aws:lambda:us-east-1:123456789012:function:payments-worker";
        lambda
            .tag_resource()
            .resource(function_arn)
            .tags("team", "payments")
            .tags("service", "checkout")
            .send()
            .await
            .unwrap();
        lambda
            .create_event_source_mapping()
            .function_name("payments-worker")
            .event_source_arn("arn:aws:sqs:us-east-1:123456789012:payments-events")
            .send()
            .await
            .unwrap();

        let ecs = aws_sdk_ecs::Client::new(&config);
        // Tagged: moto's tagging API fails on an untagged cluster.
        ecs.create_cluster()
            .cluster_name("prod")
            .tags(aws_sdk_ecs::types::Tag::builder().key("team").value("platform").build())
            .send()
            .await
            .unwrap();
        ecs.register_task_definition()
            .family("payments-api")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("api")
                    .image(IMAGE)
                    .memory(512)
                    .environment(
                        aws_sdk_ecs::types::KeyValuePair::builder()
                            .name("DB_PASSWORD")
                            .value("hunter2")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .cluster("prod")
            .service_name("payments-api")
            .task_definition("payments-api")
            .desired_count(1)
            .tags(aws_sdk_ecs::types::Tag::builder().key("team").value("payments").build())
            .send()
            .await
            .unwrap();

        let rest = aws_sdk_apigateway::Client::new(&config)
            .create_rest_api()
            .name("payments-public")
            .tags("team", "payments")
            .send()
            .await
            .unwrap();
        let http = aws_sdk_apigatewayv2::Client::new(&config)
            .create_api()
            .name("payments-http")
            .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
            .tags("team", "payments")
            .send()
            .await
            .unwrap();

        aws_sdk_rds::Client::new(&config)
            .create_db_instance()
            .db_instance_identifier("payments-db")
            .db_instance_class("db.t3.micro")
            .engine("postgres")
            .allocated_storage(20)
            .master_username("payments")
            .master_user_password("s3cr3t-pw")
            .tags(aws_sdk_rds::types::Tag::builder().key("team").value("payments").build())
            .send()
            .await
            .unwrap();

        let stack_uuid = stack_id.rsplit('/').next().unwrap().to_string();
        vec![
            (stack_uuid, "[stack-uuid]"),
            (rest.id().unwrap().to_string(), "[rest-api-id]"),
            (http.api_id().unwrap().to_string(), "[http-api-id]"),
        ]
    })
}

#[test]
fn discovers_an_account_without_reading_secrets() {
    let moto = Moto::start();
    let ids = create_world(&moto);
    let catalog = TestCatalog::empty();
    let first = discover(&catalog, &moto.endpoint);
    assert_eq!(first.status, 0, "{}\n{}", first.stdout, first.stderr);
    let bytes = read(&catalog, "discovered/aws.json");
    assert_valid(&facts(&catalog));
    assert_no_secrets(&catalog, &first);

    let second = discover(&catalog, &moto.endpoint);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert_eq!(
        read(&catalog, "discovered/aws.json"),
        bytes,
        "a second scan changed the facts"
    );

    let scan: serde_json::Value = serde_json::from_str(&read(&catalog, "discovered/aws.scan.json")).unwrap();
    assert_eq!(scan["regions"], serde_json::json!(["us-east-1"]));
    assert_eq!(scan["counts"]["us-east-1"]["rds"], 1);

    let mut redacted = bytes;
    for (id, placeholder) in &ids {
        redacted = redacted.replace(id.as_str(), placeholder);
    }
    insta::assert_snapshot!(redacted);

    // The build merges what the SDK read: every workload ARN routes to the
    // service it was grouped into, and no secret reaches the outputs.
    let build = catalog.cairn(&["build"]);
    assert_eq!(build.status, 0, "{}\n{}", build.stdout, build.stderr);
    let lookup: serde_json::Value = serde_json::from_str(&read(&catalog, "dist/api/v1/lookup/aws.json")).unwrap();
    let routed = |arn: &str| {
        lookup["data"][arn]["ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{arn} is not in lookup/aws.json:\n{lookup:#}"))
            .to_string()
    };
    assert_eq!(
        routed("arn:aws:ecs:us-east-1:123456789012:service/prod/payments-api"),
        "component:default/payments-api"
    );
    assert_eq!(
        routed("arn:aws:lambda:us-east-1:123456789012:function:payments-worker"),
        routed(&format!(
            "arn:aws:cloudformation:us-east-1:123456789012:stack/payments/{}",
            stack_uuid(&ids)
        )),
        "a stack's function belongs to the stack's service"
    );
    for entry in walkdir::WalkDir::new(catalog.path().join("dist"))
        .into_iter()
        .map(Result::unwrap)
    {
        if entry.file_type().is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
            for secret in SECRETS {
                assert!(!text.contains(secret), "`{secret}` is in {}", entry.path().display());
            }
        }
    }
}

/// The stack id moto made up, from `create_world`'s placeholders.
fn stack_uuid(ids: &[(String, &'static str)]) -> String {
    ids.iter()
        .find(|(_, placeholder)| *placeholder == "[stack-uuid]")
        .unwrap()
        .0
        .clone()
}

/// A fake AWS endpoint answering every service with an empty result, except
/// that `refused` answers AccessDenied and the tagging API is throttled
/// `throttled` times before it answers one tagged topic. Returns the
/// endpoint and the requests seen per service.
fn fake_aws(refused: &'static str, throttled: usize) -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", server.server_addr().to_ip().unwrap());
    let seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let mut body = String::new();
            std::io::Read::read_to_string(request.as_reader(), &mut body).unwrap();
            let target = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("x-amz-target"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let url = request.url().to_string();
            let action = body
                .split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .map(str::to_string);
            let service = if target.starts_with("ResourceGroupsTaggingAPI") {
                "tagging"
            } else if target.starts_with("AmazonEC2ContainerService") {
                "ecs"
            } else if url.starts_with("/2015-03-31/") {
                "lambda"
            } else if url.starts_with("/v2/") {
                "apigatewayv2"
            } else if url.starts_with("/restapis") {
                "apigateway"
            } else if body.contains("Version=2014-10-31") {
                "rds"
            } else {
                "cloudformation"
            };
            let count = {
                let mut seen = counter.lock().unwrap();
                let count = seen.entry(service.to_string()).or_default();
                *count += 1;
                *count
            };
            let json = |status: u16, body: &str, error: Option<&str>| {
                let mut response = tiny_http::Response::from_string(body)
                    .with_status_code(status)
                    .with_header(
                        "Content-Type: application/x-amz-json-1.1"
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    );
                if let Some(code) = error {
                    response = response.with_header(
                        format!("x-amzn-ErrorType: {code}")
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    );
                }
                response
            };
            let response = if service == refused {
                json(
                    403,
                    r#"{"__type":"AccessDeniedException","message":"not authorized"}"#,
                    Some("AccessDeniedException"),
                )
            } else if let Some(action) = action {
                tiny_http::Response::from_string(format!(
                    "<{action}Response><{action}Result></{action}Result></{action}Response>"
                ))
                .with_header("Content-Type: text/xml".parse::<tiny_http::Header>().unwrap())
            } else if service == "tagging" && count <= throttled {
                json(
                    400,
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                    None,
                )
            } else if service == "tagging" {
                json(
                    200,
                    r#"{"ResourceTagMappingList":[{"ResourceARN":"arn:aws:sns:us-east-1:123456789012:alerts","Tags":[{"Key":"team","Value":"ops"}]}]}"#,
                    None,
                )
            } else {
                json(200, "{}", None)
            };
            let _ = request.respond(response);
        }
    });
    (endpoint, seen)
}

#[test]
fn a_refusing_service_is_recorded_and_the_rest_still_scanned() {
    let (endpoint, seen) = fake_aws("lambda", 0);
    let catalog = TestCatalog::empty();
    let run = discover(&catalog, &endpoint);
    assert_eq!(run.status, 1, "{}\n{}", run.stdout, run.stderr);
    let facts = facts(&catalog);
    assert_valid(&facts);
    assert_eq!(facts["partial"], true);
    let errors = facts["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["scope"], "region:us-east-1/lambda");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("AccessDeniedException"),
        "{errors:?}"
    );
    assert!(run.stderr.contains("region:us-east-1/lambda"), "{}", run.stderr);
    // The other services were asked and what they gave is kept.
    assert_eq!(
        facts["resources"][0]["arn"],
        "arn:aws:sns:us-east-1:123456789012:alerts"
    );
    let scan: serde_json::Value = serde_json::from_str(&read(&catalog, "discovered/aws.scan.json")).unwrap();
    let counts = scan["counts"]["us-east-1"].as_object().unwrap();
    let answered: Vec<&String> = counts.keys().collect();
    assert_eq!(
        answered,
        ["apigateway", "apigatewayv2", "cloudformation", "ecs", "rds", "tagging"]
    );
    let seen = seen.lock().unwrap();
    for service in ["cloudformation", "ecs", "apigateway", "apigatewayv2", "rds", "tagging"] {
        assert!(seen.contains_key(service), "{service} was not asked: {seen:?}");
    }
    assert_no_secrets(&catalog, &run);
}

#[test]
fn throttling_is_retried_to_success() {
    let (endpoint, seen) = fake_aws("none", 2);
    let catalog = TestCatalog::empty();
    let run = discover(&catalog, &endpoint);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let facts = facts(&catalog);
    assert_valid(&facts);
    assert!(facts.get("errors").is_none(), "{facts}");
    assert_eq!(facts["resources"][0]["kind"], "other");
    assert_eq!(facts["resources"][0]["tags"]["team"], "ops");
    assert_eq!(
        seen.lock().unwrap()["tagging"],
        3,
        "two throttled calls, then one answered"
    );
}

#[test]
fn no_credentials_is_a_failure_and_writes_nothing() {
    let catalog = TestCatalog::empty();
    let mut command = catalog.command(&[
        "discover",
        "aws",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--region",
        "us-east-1",
    ]);
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let run = run(&mut command);
    assert_eq!(run.status, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no AWS credentials"), "{}", run.stderr);
    assert!(!catalog.path().join("discovered/aws.json").exists());
}

#[test]
fn an_endpoint_that_never_answers_times_out_instead_of_hanging() {
    // Accepts connections and reads nothing, answers nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let catalog = TestCatalog::empty();
    let mut command = discover_command(&catalog, &endpoint, &["--timeout", "1"]);
    let started = std::time::Instant::now();
    let run = run(&mut command);
    // Not a performance bound: without a timeout this call never returns.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.status, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("timed out") || run.stderr.contains("timeout"),
        "{}",
        run.stderr
    );
    assert!(!catalog.path().join("discovered/aws.json").exists());
}

#[test]
fn a_zero_timeout_is_refused() {
    let catalog = TestCatalog::empty();
    let run = run(&mut discover_command(
        &catalog,
        "http://127.0.0.1:9",
        &["--timeout", "0"],
    ));
    assert_eq!(run.status, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
    assert!(!catalog.path().join("discovered/aws.json").exists());
}
