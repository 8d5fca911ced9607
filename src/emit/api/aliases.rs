//! `lookup/aliases.json`: every alias of a service (see
//! `resolve::aliases`) → the service, its owner, who is on call and its
//! routing file, so a tool holding only a Datadog service name or a
//! PagerDuty service id finds the owner with one static fetch.
//!
//! Keys are the aliases' canonical form (trimmed, lowercase, selector terms
//! sorted; a PagerDuty integration key as `sha256:<hex>` — the key itself is
//! never written, not even in the on-call list). Past [`SHARD_THRESHOLD`]
//! aliases the file is a manifest and the entries live in 256 shards by
//! hash prefix, like the search index: the shard of key `k` is
//! `lookup/aliases/{hex(sha256(k))[..2]}.json`. Every shard is written,
//! empty or not, so a missing alias is an answer, never a 404.

use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use super::owner_json;
use crate::emit::view::{object, url_links};
use crate::output::{path_of, ref_of, API as PREFIX};
use crate::resolve::aliases::{hashed_key, hex, Entry, INTEGRATION_KEY};
use crate::resolve::{Catalog, Service};

/// More aliases than this, and the table is sharded.
pub const SHARD_THRESHOLD: usize = 2000;

/// Hex digits of the shard prefix (256 shards).
const PREFIX_DIGITS: usize = 2;

/// The file of the table (a manifest when sharded).
pub fn table_path() -> String {
    format!("{PREFIX}/lookup/aliases.json")
}

/// The shard holding the canonical alias `key`.
pub fn shard_path(key: &str) -> String {
    let digest = hex(&Sha256::digest(key.as_bytes()));
    format!("{PREFIX}/lookup/aliases/{}.json", &digest[..PREFIX_DIGITS])
}

/// Every shard path, in order.
pub fn shard_paths() -> impl Iterator<Item = String> {
    (0..=255u8).map(|b| format!("{PREFIX}/lookup/aliases/{b:02x}.json"))
}

/// The alias table's files: one, or a manifest and 256 shards.
pub fn files(catalog: &Catalog) -> Vec<(String, Json)> {
    files_with(catalog, SHARD_THRESHOLD)
}

/// Whether `catalog`'s table is sharded (its shard files exist).
pub fn sharded(catalog: &Catalog) -> bool {
    catalog.aliases.entries.len() > SHARD_THRESHOLD
}

fn files_with(catalog: &Catalog, threshold: usize) -> Vec<(String, Json)> {
    let total = catalog.aliases.entries.len();
    let rows = catalog
        .aliases
        .entries
        .iter()
        .map(|(key, entry)| (key.clone(), entry_json(catalog, entry)));
    if total <= threshold {
        let mut table = json!({ "sharded": false, "total_count": total });
        table["data"] = Json::Object(rows.collect());
        return vec![(table_path(), table)];
    }
    let mut shards: std::collections::BTreeMap<String, Map<String, Json>> =
        shard_paths().map(|path| (path, Map::new())).collect();
    for (key, row) in rows {
        shards
            .get_mut(&shard_path(&key))
            .expect("every prefix has a shard")
            .insert(key, row);
    }
    let manifest = json!({
        "sharded": true,
        "total_count": total,
        "hash": "sha256",
        "prefix_length": PREFIX_DIGITS,
        "shards": format!("{PREFIX}/lookup/aliases/{{prefix}}.json"),
    });
    std::iter::once((table_path(), manifest))
        .chain(
            shards
                .into_iter()
                .map(|(path, data)| (path, object([("data", Json::Object(data))]))),
        )
        .collect()
}

/// One alias: who claims it, and for each service what a pager needs.
pub fn entry_json(catalog: &Catalog, entry: &Entry) -> Json {
    let services: Vec<Json> = entry
        .claims
        .iter()
        .filter_map(|claim| {
            let mut row = service_json(catalog, catalog.service_of(claim.entity)?);
            row["sources"] = json!(claim.sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>());
            Some(row)
        })
        .collect();
    let mut row = json!({ "alias": entry.alias, "conflict": entry.conflicting() });
    row["services"] = Json::Array(services);
    row
}

/// A service as routing sees it: owner, tier, on-call and Slack, with the
/// integration key hashed.
pub fn service_json(catalog: &Catalog, service: &Service) -> Json {
    let entity = &catalog.entities[service.entity];
    let on_call: Vec<Json> = service
        .on_call
        .iter()
        .map(|o| {
            let value = if o.annotation == INTEGRATION_KEY {
                hashed_key(&o.value)
            } else {
                o.value.clone()
            };
            json!({ "annotation": o.annotation, "value": value, "inherited_from_owner": o.from_owner })
        })
        .collect();
    let mut row = json!({
        "ref": ref_of(entity),
        "name": entity.metadata.name,
        "title": entity.metadata.title,
        "tier": service.tier,
        "slack": service.slack,
        "runbooks": url_links(&service.runbooks),
        "url": format!("{PREFIX}/services/{}.json", path_of(entity)),
        "routing": format!("{PREFIX}/services/{}/routing.json", path_of(entity)),
    });
    row["owner"] = owner_json(catalog, service);
    row["on_call"] = Json::Array(on_call);
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        crate::resolve::catalog_of(text)
    }

    fn service(name: &str, annotations: &str) -> String {
        format!("---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: {name}, annotations: {{ {annotations} }} }}\nspec: {{ type: service, lifecycle: production, owner: payments }}\n")
    }

    const TEAM: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: payments, annotations: { slack.com/channel: '#pay' } }\nspec: { type: team, children: [] }\n";

    #[test]
    fn aliases_route_to_owner_and_on_call_without_the_key() {
        let text = format!(
            "{TEAM}{}{}",
            service(
                "checkout",
                "datadoghq.com/service-name: Checkout, pagerduty.com/integration-key: s3cr3t-key, cairn.dev/aliases: 'chk, checkout-prod'"
            ),
            service("cart", "backstage.io/kubernetes-label-selector: 'team=pay, app=cart'")
        );
        let catalog = catalog(&text);
        let files = files(&catalog);
        assert_eq!(files.len(), 1);
        let table = &files[0].1;
        assert_eq!(table["sharded"], false);
        let entry = &table["data"]["checkout"];
        assert_eq!(entry["alias"], "Checkout");
        let service = &entry["services"][0];
        assert_eq!(service["ref"], "component:default/checkout");
        assert_eq!(service["owner"]["ref"], "group:default/payments");
        assert_eq!(service["slack"], "#pay");
        assert_eq!(service["routing"], "api/v1/services/default/checkout/routing.json");
        assert_eq!(service["sources"], json!(["datadoghq.com/service-name"]));
        assert!(table["data"]["chk"].is_object() && table["data"]["checkout-prod"].is_object());
        assert!(table["data"]["app=cart,team=pay"].is_object());
        let hashed = hashed_key("s3cr3t-key");
        assert_eq!(
            table["data"][&hashed]["services"][0]["ref"],
            "component:default/checkout"
        );
        assert!(
            !table.to_string().contains("s3cr3t"),
            "the integration key is never written"
        );
        assert_eq!(catalog.aliases.find(" s3cr3t-key").unwrap().0, hashed);
        assert_eq!(
            catalog.aliases.find("TEAM=pay,app=cart").unwrap().0,
            "app=cart,team=pay"
        );
    }

    #[test]
    fn large_tables_are_sharded_by_hash_prefix() {
        let mut text = TEAM.to_string();
        for n in 0..40 {
            text.push_str(&service(
                &format!("s{n}"),
                &format!("datadoghq.com/service-name: dd-{n}"),
            ));
        }
        let catalog = catalog(&text);
        let files = files_with(&catalog, 10);
        assert_eq!(files.len(), 257);
        assert_eq!(files[0].1["sharded"], true);
        assert_eq!(files[0].1["total_count"], 40);
        let key = "dd-7";
        let shard = files.iter().find(|(path, _)| *path == shard_path(key)).unwrap();
        assert_eq!(shard.1["data"][key]["services"][0]["name"], "s7");
        let rows: usize = files[1..]
            .iter()
            .map(|(_, f)| f["data"].as_object().unwrap().len())
            .sum();
        assert_eq!(rows, 40, "each alias in exactly one shard");
        assert!(files[1..].iter().all(|(path, _)| shard_paths().any(|p| p == *path)));
    }

    #[test]
    fn a_shared_repository_is_not_a_conflict_but_a_shared_id_is() {
        let text = format!(
            "{TEAM}{}{}",
            service("a", "github.com/project-slug: acme/mono, pagerduty.com/service-id: P1"),
            service("b", "github.com/project-slug: acme/mono, pagerduty.com/service-id: p1")
        );
        let catalog = catalog(&text);
        let entries = &catalog.aliases.entries;
        assert_eq!(entries["acme/mono"].claims.len(), 2);
        assert!(!entries["acme/mono"].conflicting());
        assert!(entries["p1"].conflicting());
    }
}
