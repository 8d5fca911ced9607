"""A paging tool's side of the alias lookup, with nothing but the static
files of a built catalog: given only the name an alert carries (a Datadog
monitor's `service:` tag), one GET of `api/v1/lookup/aliases.json` says who
owns the service and who is on call. A large catalog's table is a manifest
naming its shards; the tool then fetches the one shard the alias hashes to
(and may keep the manifest: it changes only with the threshold).

Usage: pager.py BASE_URL ALIAS
Prints {"alias", "services": [{"ref", "owner", "on_call", "slack", "routing"}]}
as JSON, or {"alias", "services": []} when no service has the alias.
"""

import hashlib
import json
import sys
import urllib.request


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def lookup(base, alias):
    # The table's keys are canonical: trimmed and lowercase.
    key = alias.strip().lower()
    table = fetch(f"{base}/api/v1/lookup/aliases.json")
    if table["sharded"]:
        prefix = hashlib.sha256(key.encode()).hexdigest()[: table["prefix_length"]]
        table = fetch(f"{base}/" + table["shards"].replace("{prefix}", prefix))
    entry = table["data"].get(key) or {"services": []}
    return {
        "alias": key,
        "services": [
            {
                "ref": service["ref"],
                "owner": service["owner"]["ref"] if service.get("owner") else None,
                "on_call": [row["value"] for row in service.get("on_call", [])],
                "slack": service.get("slack"),
                "routing": service.get("routing"),
            }
            for service in entry["services"]
        ],
    }


if __name__ == "__main__":
    print(json.dumps(lookup(sys.argv[1].rstrip("/"), sys.argv[2])))
