//! `cairn notify`: the entity changes between two revisions as signed
//! webhook deliveries, one per change.
//!
//! Each body is the JSON of `cairn serve`'s `entity.*` / `resource.*` event
//! — built by the same code, `serve::watch::entity_payload` —
//! (`ref`, `kind`, `name`, `owner`, `version`, `path`; for a
//! ResourceDefinition version `version` is its number and `hash` the
//! content's), plus `event` and the `commit` (`id`, `base`, `message`).
//! Here an entity changed when its document or its owner did, and
//! `version` is a hash of its document (the preview server hashes the
//! rendered page, which neighbours change too).
//!
//! Every delivery carries `X-Cairn-Event`, `X-Cairn-Delivery` (an id
//! derived from the commit and the change, so a re-run sends the same ids
//! and receivers can drop repeats) and `X-Cairn-Signature-256:
//! sha256=<hex HMAC-SHA256 of the body>` with the secret from
//! `CAIRN_WEBHOOK_SECRET`, which is never printed.
//!
//! Architecture: this module is pure — two catalogs and a commit in,
//! deliveries out; `cli/notify.rs` loads the revisions and posts through
//! `crate::client`.

use std::collections::BTreeMap;

use hmac::{KeyInit, Mac};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use crate::load::revision::CommitInfo;
use crate::resolve::aliases::hex;
use crate::resolve::Catalog;
use crate::serve::{Change, EntityInfo};

/// The header holding the signature.
pub const SIGNATURE_HEADER: &str = "X-Cairn-Signature-256";
pub const EVENT_HEADER: &str = "X-Cairn-Event";
pub const DELIVERY_HEADER: &str = "X-Cairn-Delivery";

/// One webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `entity.created`, `resource.updated`…
    pub event: &'static str,
    /// The changed entity's key: its ref, `@version` for a definition.
    pub key: String,
    pub id: String,
    /// The exact bytes that are signed and sent (compact JSON).
    pub body: Vec<u8>,
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// An entity as the events see it, with its document (for the comparison).
struct Seen {
    info: EntityInfo,
    document: Json,
}

/// Every entity with a page, by its events key (its ref, `@version` for a
/// ResourceDefinition version), described as the preview server does but
/// versioned by a hash of its document.
fn seen(catalog: &Catalog) -> BTreeMap<String, Seen> {
    (0..catalog.entities.len())
        .filter_map(|i| {
            let document = catalog.entities[i].to_json();
            let bytes = serde_json::to_vec(&document).expect("JSON serializes");
            let hash = hex(&Sha256::digest(&bytes))[..16].to_string();
            let (key, info) = crate::serve::describe(catalog, i, hash)?;
            Some((key, Seen { info, document }))
        })
        .collect()
}

/// The deliveries for the changes from `base` to `head`: created, updated
/// and deleted entities in key order.
pub fn deliveries(base: &Catalog, head: &Catalog, base_commit: &CommitInfo, head_commit: &CommitInfo) -> Vec<Delivery> {
    let (before, after) = (seen(base), seen(head));
    let commit = json!({ "id": head_commit.id, "base": base_commit.id, "message": head_commit.summary });
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let (change, seen) = match (before.get(key), after.get(key)) {
            (None, Some(new)) => (Change::Created, new),
            (Some(old), None) => (Change::Deleted, old),
            (Some(old), Some(new)) if old.document != new.document || old.info.owner != new.info.owner => {
                (Change::Updated, new)
            }
            _ => continue,
        };
        let (event, mut body) = crate::serve::watch::entity_payload(change, &seen.info);
        body["event"] = json!(event);
        body["commit"] = commit.clone();
        let id = delivery_id(&head_commit.id, event, key, &seen.info.version);
        out.push(Delivery {
            event,
            key: key.clone(),
            id,
            body: serde_json::to_vec(&body).expect("JSON serializes"),
        });
    }
    out
}

/// A UUID-shaped id from the commit and the change: the same change of the
/// same commit always has the same id.
fn delivery_id(commit: &str, event: &str, key: &str, hash: &str) -> String {
    let digest = hex(&Sha256::digest(format!("{commit}\0{event}\0{key}\0{hash}").as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &digest[..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(text: &str) -> Catalog {
        crate::resolve::catalog_of(text)
    }

    fn commit(id: &str) -> CommitInfo {
        CommitInfo {
            id: id.into(),
            summary: "Merge pull request #7".into(),
        }
    }

    const TEAM: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: payments }\nspec: { type: team, children: [] }\n";

    fn component(name: &str, description: &str) -> String {
        format!("---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{ name: {name}, description: {description} }}\nspec: {{ type: service, lifecycle: production, owner: payments }}\n")
    }

    #[test]
    fn one_delivery_per_change_with_stable_ids() {
        let base = catalog(&format!("{TEAM}{}{}", component("a", "one"), component("b", "two")));
        let head = catalog(&format!(
            "{TEAM}{}{}---\napiVersion: catalog.nestor.io/v1\nkind: ResourceDefinition\nmetadata: {{ name: db, version: '1.0.0' }}\nspec: {{}}\n",
            component("a", "changed"),
            component("c", "new")
        ));
        let out = deliveries(&base, &head, &commit("b4se"), &commit("he4d"));
        let events: Vec<(&str, &str)> = out.iter().map(|d| (d.event, d.key.as_str())).collect();
        assert_eq!(
            events,
            [
                ("entity.updated", "component:default/a"),
                ("entity.deleted", "component:default/b"),
                ("entity.created", "component:default/c"),
                ("resource.created", "resourcedefinition:default/db@1.0.0"),
            ]
        );
        let body: Json = serde_json::from_slice(&out[0].body).unwrap();
        assert_eq!(body["ref"], "component:default/a");
        assert_eq!(body["owner"], "payments");
        assert_eq!(body["path"], "component/default/a/index.html");
        assert_eq!(
            body["commit"],
            json!({ "id": "he4d", "base": "b4se", "message": "Merge pull request #7" })
        );
        let definition: Json = serde_json::from_slice(&out[3].body).unwrap();
        assert_eq!(
            (
                definition["version"].as_str(),
                definition["hash"].as_str().map(str::len)
            ),
            (Some("1.0.0"), Some(16))
        );
        let again = deliveries(&base, &head, &commit("b4se"), &commit("he4d"));
        assert_eq!(out, again, "a re-run sends the same ids and bytes");
        assert_ne!(out[0].id, out[1].id);
        assert!(deliveries(&base, &base, &commit("b4se"), &commit("b4se")).is_empty());
    }

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
