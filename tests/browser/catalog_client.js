// Reads a cairn build's static Backstage catalog API with Backstage's own
// client, @backstage/catalog-client, as a tool written for Backstage
// would, and prints what it got as JSON for tests/it/contracts.rs:
//   node catalog_client.js BASE_URL
// BASE_URL is the catalog API's base, e.g. http://127.0.0.1:8123/portal/api/catalog.
"use strict";
const { CatalogClient } = require("@backstage/catalog-client");

const [baseUrl] = process.argv.slice(2);

(async () => {
  const client = new CatalogClient({ discoveryApi: { getBaseUrl: async () => baseUrl } });
  const storefront = await client.getEntityByRef("component:default/storefront");
  const api = await client.getEntityByRef({ kind: "api", namespace: "default", name: "payments-api" });
  const missing = await client.getEntityByRef("component:default/no-such-thing");
  const query = await client.queryEntities();
  process.stdout.write(JSON.stringify({ storefront, api, missing: missing === undefined, query }));
})().catch((e) => { console.error(e); process.exit(1); });
