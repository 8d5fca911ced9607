use super::*;

#[test]
fn match_keys_drop_noise_suffixes() {
    assert_eq!(match_key("Payment_Service"), "payment");
    assert_eq!(match_key("payment-svc-prod"), "payment");
    assert_eq!(match_key("payments-api"), "payments-api");
    assert_eq!(match_key("service"), "service");
}

#[test]
fn service_names_are_valid_backstage_names() {
    assert_eq!(service_name("Payments API (prod)"), "payments-api-prod");
    assert_eq!(service_name("payments-api-prod"), "payments-api");
    assert_eq!(service_name("***"), "unnamed");
    assert!(service_name(&"x".repeat(100)).len() <= 63);
}

#[test]
fn deletion_hashes_are_the_hashes_of_the_deleted_strings() {
    // Every variant, built as a real string, hashes to a value in the
    // key's list: the O(1) hashing matches hashing the string itself.
    let whole = |s: &str| {
        let hash = s
            .chars()
            .fold(0u64, |h, c| h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(c) + 1));
        mix(hash)
    };
    let key = "paymént";
    let chars: Vec<char> = key.chars().collect();
    let hashes = deletion_hashes(key);
    for i in 0..chars.len() {
        let one: String = chars
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != i)
            .map(|(_, c)| c)
            .collect();
        assert!(hashes.contains(&whole(&one)), "{one}");
        assert!(deletion_hashes(&one).contains(&whole(&one)), "{one} holds itself");
        for j in i + 1..chars.len() {
            let two: String = chars
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != i && k != j)
                .map(|(_, c)| c)
                .collect();
            assert!(hashes.contains(&whole(&two)), "{two}");
            assert!(deletion_hashes(&two).contains(&whole(&two)), "{two} holds itself");
        }
    }
    assert!(!hashes.contains(&whole("paymnet")));
}

#[test]
fn deletion_index_finds_names_within_two_edits() {
    let near = |a: &str, b: &str| {
        let b = deletion_hashes(b);
        deletion_hashes(a).iter().any(|h| b.binary_search(h).is_ok())
    };
    assert!(near("payment", "payments"));
    assert!(near("payment", "paymnt"));
    assert!(near("billing", "biling"));
    assert!(!near("billing", "shipping"));
}

#[test]
fn image_repositories() {
    assert_eq!(
        image_repository("123.dkr.ecr.us-east-1.amazonaws.com/team/payments-api:1.4"),
        "payments-api"
    );
    assert_eq!(image_repository("nginx@sha256:abc"), "nginx");
}
