// cairn's search in the browser: the query half of the search core in
// src/search/ (tokenize.rs, typo.rs, engine.rs), line for line, over the
// sharded static index that src/search/shards.rs writes. A test runs the
// same queries through both and requires the same results in the same
// order (tests/it/search.rs).
//
// Usage: const search = CairnSearch.open(baseUrl + "search/");
//        const hits = await search.query("chekout", { kind: "component" }, 10);
(function (root) {
  "use strict";

  // --- tokenize.rs -------------------------------------------------------
  const ALNUM = /[\p{Alphabetic}\p{N}]/u;
  const UPPER = /\p{Uppercase}/u;
  const LOWER = /\p{Lowercase}/u;
  const NUMERIC = /\p{N}/u;

  function words(text) {
    const out = [];
    let current = "";
    let previousLower = false;
    for (const c of text.normalize("NFD").replace(/\p{M}/gu, "")) {
      if (ALNUM.test(c)) {
        if (UPPER.test(c) && previousLower && current !== "") {
          out.push(current);
          current = "";
        }
        previousLower = LOWER.test(c) || NUMERIC.test(c);
        current += c.toLowerCase();
      } else {
        previousLower = false;
        if (current !== "") {
          out.push(current);
          current = "";
        }
      }
    }
    if (current !== "") out.push(current);
    return out;
  }

  // --- typo.rs -----------------------------------------------------------
  function budget(len) {
    return len <= 4 ? 0 : len <= 8 ? 1 : 2;
  }

  // The last row of the edit-distance table of a against b (typo.rs).
  function lastRow(a, b) {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    let current = new Array(b.length + 1).fill(0);
    for (let i = 0; i < a.length; i++) {
      current[0] = i + 1;
      for (let j = 0; j < b.length; j++) {
        const substitution = previous[j] + (a[i] !== b[j] ? 1 : 0);
        current[j + 1] = Math.min(substitution, previous[j + 1] + 1, current[j] + 1);
      }
      [previous, current] = [current, previous];
    }
    return previous;
  }

  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) >= limit) return null;
    const d = lastRow(a, b)[b.length];
    return d < limit ? d : null;
  }

  function prefixDistance(word, term, max) {
    const d = Math.min(...lastRow(word, term));
    return d <= max ? d : null;
  }

  // word and term are arrays of code points. Returns {typos, exact} or null.
  function matches(word, term, prefix) {
    const max = budget(word.length);
    const firstLetter = word[0] !== term[0] ? 1 : 0;
    if (firstLetter * 2 > max) return null;
    let exact = distance(word, term, max + 1);
    if (exact !== null) exact += firstLetter;
    if (exact !== null && exact > max) exact = null;
    if (exact !== null && (exact === 0 || !prefix)) return { typos: exact, exact: true };
    if (prefix) {
      let p = prefixDistance(word, term, max);
      if (p !== null) p += firstLetter;
      if (p !== null && p > max) p = null;
      if (exact !== null && p !== null && p < exact) return { typos: p, exact: false };
      if (exact !== null) return { typos: exact, exact: true };
      if (p !== null) return { typos: p, exact: false };
      return null;
    }
    return null;
  }

  // --- engine.rs over the shards -----------------------------------------
  function hex(c) {
    return c.codePointAt(0).toString(16);
  }

  function asciiLower(s) {
    return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  }

  // Compares arrays of numbers lexicographically.
  function compareTuples(a, b) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  }

  // load(path) returns a promise of the parsed JSON file at search/<path>.
  function open(load) {
    if (typeof load === "string") {
      const base = load;
      load = (path) => fetch(base + path).then((r) => {
        if (!r.ok) throw new Error(`search index: ${path}: HTTP ${r.status}`);
        return r.json();
      });
    }
    const cache = new Map();
    const get = (path) => {
      if (!cache.has(path)) cache.set(path, load(path));
      return cache.get(path);
    };
    const manifest = get("manifest.json");

    async function termsOf(kind, letter) {
      const m = await manifest;
      const file = m[kind][letter];
      return file ? get(file) : [];
    }

    async function postingsOf(term) {
      const m = await manifest;
      let lo = 0;
      let hi = m.postings.length - 1;
      if (hi < 0 || term < m.postings[0][0]) return [];
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (m.postings[mid][0] <= term) lo = mid;
        else hi = mid - 1;
      }
      const shard = await get(m.postings[lo][1]);
      const encoded = shard[term] || [];
      const out = [];
      let doc = 0;
      for (const value of encoded) {
        doc += Math.floor(value / 4);
        out.push([doc, value % 4]);
      }
      return out;
    }

    // The terms `word` matches: its first letter's shard, and for words
    // that can afford a first-letter typo the shards that can hold one.
    async function candidates(word, prefix) {
      const chars = Array.from(word);
      const lists = [await termsOf("vocab", chars[0])];
      if (budget(chars.length) >= 2) {
        lists.push(await termsOf("vocab", chars[1]));
        lists.push(await termsOf("tails", chars[1]));
        lists.push(await termsOf("tails", chars[0]));
      }
      const seen = new Set();
      const out = [];
      for (const list of lists) {
        for (const term of list) {
          if (seen.has(term)) continue;
          seen.add(term);
          const m = matches(chars, Array.from(term), prefix);
          if (m) out.push([term, m]);
        }
      }
      return out;
    }

    async function allowed(filters) {
      const active = Object.entries(filters || {}).filter(([, v]) => v !== undefined && v !== null && v !== "");
      if (active.length === 0) return () => true;
      const m = await manifest;
      const facets = await get(m.facets);
      return (doc) =>
        active.every(([name, wanted]) => {
          const facet = facets[name];
          return asciiLower(facet.values[facet.column[doc]]) === asciiLower(String(wanted));
        });
    }

    async function display(id) {
      const m = await manifest;
      const shard = await get(m.doc_shards[Math.floor(id / m.docs_per_shard)]);
      const [name, title, kind, ref, owner, description, path] = shard[id % m.docs_per_shard];
      return { id, name, title, kind, ref, owner, description, path };
    }

    async function query(text, filters, limit) {
      limit = limit || 10;
      const queryWords = words(text);
      if (queryWords.length === 0) return [];
      const lastIsPrefix = !/\s$/u.test(text);
      const found = new Map();
      for (let w = 0; w < queryWords.length; w++) {
        const prefix = lastIsPrefix && w + 1 === queryWords.length;
        for (const [term, m] of await candidates(queryWords[w], prefix)) {
          for (const [doc, field] of await postingsOf(term)) {
            if (!found.has(doc)) found.set(doc, new Array(queryWords.length).fill(null));
            const slots = found.get(doc);
            const mine = [m.typos, field, m.exact ? 0 : 1];
            if (slots[w] === null || compareTuples(mine, slots[w]) < 0) slots[w] = mine;
          }
        }
      }
      const allow = await allowed(filters);
      const hits = [];
      for (const [doc, slots] of found) {
        if (!allow(doc)) continue;
        const matched = slots.filter((s) => s !== null);
        const rank = [
          slots.length - matched.length,
          matched.reduce((sum, s) => sum + s[0], 0),
          matched.reduce((sum, s) => sum + s[1], 0),
          matched.filter((s) => s[2] === 1).length,
        ];
        hits.push({ id: doc, rank });
      }
      // Documents are numbered in name order: the id breaks ties by name.
      hits.sort((a, b) => compareTuples(a.rank, b.rank) || a.id - b.id);
      const top = hits.slice(0, limit);
      return Promise.all(top.map(async (h) => ({ ...(await display(h.id)), rank: h.rank })));
    }

    return { query };
  }

  const api = { open, words, matches, budget };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.CairnSearch = api;
})(typeof self !== "undefined" ? self : this);
