use super::*;

fn a(n: usize) -> String {
    "a".repeat(n)
}

/// `KubernetesValidatorFunctions.test.ts`'s `isValidObjectName` table
/// (the rows with strings), plus Backstage's observed default-name
/// cases.
#[test]
fn names_as_backstage() {
    let cases: Vec<(String, bool)> = vec![
        ("".into(), false),
        ("a".into(), true),
        ("AZ09".into(), true),
        (a(63), true),
        (a(64), false),
        ("a/b".into(), false),
        ("a-b".into(), true),
        ("-a-b".into(), false),
        ("a-b-".into(), false),
        ("a--b".into(), true),
        ("a_b".into(), true),
        ("a.b".into(), true),
        ("a..b".into(), true),
        ("_a".into(), false),
        ("a_".into(), false),
        (".a".into(), false),
        ("a.".into(), false),
        ("0".into(), true),
        ("Foo_Bar.Baz".into(), true),
        ("a b".into(), false),
        ("ü".into(), false),
        ("../../x".into(), false),
    ];
    for (name, valid) in cases {
        assert_eq!(name_problem(&name).is_none(), valid, "{name:?}");
    }
}

/// `isValidNamespace` (= `isValidDnsLabel`).
#[test]
fn namespaces_as_backstage() {
    for (namespace, valid) in [
        ("", false),
        ("a", true),
        ("AZ09", false),
        (&a(63), true),
        (&a(64), false),
        ("a/b", false),
        ("a-b", true),
        ("-a-b", false),
        ("a-b-", false),
        ("a--b", true),
        ("xn--c6h", true),
        ("a_b", false),
        ("a.b", false),
    ] {
        assert_eq!(namespace_problem(namespace).is_none(), valid, "{namespace:?}");
    }
}

/// `isValidLabelKey` and `isValidAnnotationKey` (the same table), and
/// `isValidDnsSubdomain`.
#[test]
fn keys_as_backstage() {
    let long_prefix = |last: usize| format!("{}.{}.{}.{}", a(63), a(63), a(63), a(last));
    let cases: Vec<(String, bool)> = vec![
        ("".into(), false),
        ("a".into(), true),
        ("AZ09".into(), true),
        (a(63), true),
        (a(64), false),
        ("a/b".into(), true),
        ("a-b".into(), true),
        ("-a-b".into(), false),
        ("a-b-".into(), false),
        ("a--b".into(), true),
        ("a_b".into(), true),
        ("a.b".into(), true),
        ("a..b".into(), true),
        ("a/a".into(), true),
        ("a-b.c/a".into(), true),
        ("a--b.c/a".into(), true),
        (format!("{}/a", long_prefix(61)), true),
        (format!("{}/a", long_prefix(62)), false),
        (format!("a/{}", a(63)), true),
        (format!("a/{}", a(64)), false),
        ("a/b/c".into(), false),
        ("Backstage.io/x".into(), false),
        ("backstage.io/techdocs-ref".into(), true),
    ];
    for (key, valid) in cases {
        assert_eq!(key_problem(&key).is_none(), valid, "{key:?}");
    }
    for (name, valid) in [
        ("adam.bertil.caesar", true),
        ("adam.ber-til.caesar", true),
        ("adam.-bertil.caesar", false),
        ("adam.bertil-.caesar", false),
        ("adam/bertil.caesar", false),
        ("a--b", true),
        ("a_b", false),
        ("", false),
    ] {
        assert_eq!(is_dns_subdomain(name), valid, "{name:?}");
    }
    assert!(is_dns_subdomain(&format!("a.{}.c", a(63))));
    assert!(!is_dns_subdomain(&format!("a.{}.c", a(64))));
}

/// `isValidTag` of `makeValidator` (with `:`), from Backstage's tables.
#[test]
fn tags_as_backstage() {
    for (tag, valid) in [
        ("", false),
        ("a", true),
        ("a-b", true),
        ("-a-b", false),
        ("a-b-", false),
        ("a--b", false),
        ("a_b", false),
        (&a(63), true),
        (&a(64), false),
        ("a+b", true),
        ("+a+b", true),
        ("a+b+", true),
        ("a++b", true),
        ("c++", true),
        ("c#", true),
        ("#c++", true),
        ("a:b", true),
        (":a", true),
        ("k8s:prod", true),
        ("Java", false),
        ("a.b", false),
        ("a b", false),
        ("ü", false),
    ] {
        assert_eq!(tag_problem(tag).is_none(), valid, "{tag:?}");
    }
    assert_eq!(suggest_tag("Go 1.15.3"), "go-1-15-3");
}
