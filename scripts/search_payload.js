// Measures what the browser downloads for one search query: runs the query
// with assets/search.js over a built site's search/ directory, with a loader
// that records every file it fetches and its gzip size (what a static host
// with compression sends). Used by scripts/bench_portal.py.
//   node scripts/search_payload.js DIST QUERY...
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const [dist, ...queries] = process.argv.slice(2);
const searchJs = fs.readdirSync(path.join(dist, "assets")).find((f) => f.startsWith("search."));
const CairnSearch = require(path.resolve(dist, "assets", searchJs));

(async () => {
  const out = [];
  for (const query of queries) {
    const fetched = new Map();
    const search = CairnSearch.open((p) => {
      const bytes = fs.readFileSync(path.join(dist, "search", p));
      fetched.set(p, zlib.gzipSync(bytes, { level: 6 }).length);
      return Promise.resolve(JSON.parse(bytes));
    });
    const started = process.hrtime.bigint();
    const hits = await search.query(query, {}, 10);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const total = [...fetched.values()].reduce((a, b) => a + b, 0);
    out.push({ query, files: fetched.size, gzip_bytes: total, ms, top: hits.slice(0, 3).map((h) => h.name) });
  }
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
})();
