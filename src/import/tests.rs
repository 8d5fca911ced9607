use super::*;

fn served(kind: &str, name: &str, owner: Option<&str>) -> Json {
    let mut entity = json!({
        "apiVersion": "backstage.io/v1alpha1", "kind": kind,
        "metadata": { "name": name, "namespace": "default", "uid": "9f0c", "etag": "e1",
                      "annotations": { "backstage.io/managed-by-location": "url:https://x", "backstage.io/managed-by-origin-location": "url:https://x", "acme.com/tier": "1" } },
        "spec": { "type": "service" },
        "relations": [{ "type": "ownedBy", "targetRef": "group:default/payments" }],
        "status": { "items": [] },
    });
    if let Some(owner) = owner {
        entity["spec"]["owner"] = json!(owner);
    }
    entity
}

#[test]
fn server_fields_are_dropped_and_files_laid_out() {
    let entities = vec![
        served("Component", "checkout", Some("payments")),
        served("Group", "payments", None),
        served("Location", "root", None),
        served("Component", "Odd Name/..", Some("user:ana")),
        served("AiResource", "skill", None),
    ];
    let plan = plan(entities.clone(), Layout::Entity);
    assert_eq!(plan.entities, 4);
    assert_eq!(
        plan.files.keys().collect::<Vec<_>>(),
        [
            "default/airesource/skill.yaml",
            "default/component/checkout.yaml",
            "default/component/odd_name_...yaml",
            "default/group/payments.yaml"
        ]
    );
    let checkout = &plan.files["default/component/checkout.yaml"];
    for gone in ["uid", "etag", "relations", "status", "managed-by"] {
        assert!(!checkout.contains(gone), "{gone} in {checkout}");
    }
    assert!(checkout.contains("acme.com/tier: \"1\""), "{checkout}");
    let notes = plan.notes.join("\n");
    assert!(notes.contains("skipped location:default/root"), "{notes}");
    assert!(notes.contains("does not know kind `AiResource`"), "{notes}");
    assert!(notes.contains("its name is no file name"), "{notes}");

    let by_owner = super::plan(entities, Layout::Owner);
    assert_eq!(
        by_owner.files.keys().collect::<Vec<_>>(),
        ["group/default/payments.yaml", "unowned.yaml", "user/default/ana.yaml"]
    );
    assert_eq!(
        by_owner.files["group/default/payments.yaml"].matches("---\n").count(),
        1,
        "two documents"
    );
}

#[test]
fn writes_only_changes_and_removes_what_left() {
    let dir = tempfile::tempdir().unwrap();
    let first = plan(
        vec![served("Component", "a", Some("x")), served("Component", "b", Some("x"))],
        Layout::Entity,
    );
    assert_eq!(
        write(dir.path(), &first, "https://b/").unwrap(),
        Written {
            written: 2,
            unchanged: 0,
            removed: 0
        }
    );
    assert_eq!(
        write(dir.path(), &first, "https://b/").unwrap(),
        Written {
            written: 0,
            unchanged: 2,
            removed: 0
        }
    );
    let second = plan(vec![served("Component", "a", Some("x"))], Layout::Entity);
    assert_eq!(
        write(dir.path(), &second, "https://b/").unwrap(),
        Written {
            written: 0,
            unchanged: 1,
            removed: 1
        }
    );
    assert!(!dir.path().join("default/component/b.yaml").exists());
}

#[test]
fn the_catalog_api_is_found_from_either_url() {
    assert_eq!(
        catalog_api("https://b.example.com/"),
        "https://b.example.com/api/catalog"
    );
    assert_eq!(
        catalog_api("https://b.example.com/api/catalog"),
        "https://b.example.com/api/catalog"
    );
    assert_eq!(
        query(&[("filter", "kind=component,spec.type=service")]),
        "filter=kind%3Dcomponent%2Cspec%2Etype%3Dservice"
    );
}
