// cairn portal: the Cmd+K search dialog (WAI-ARIA combobox with a listbox)
// and the request form of ResourceDefinition pages. Pages work without it;
// only search and the form need it.
(function () {
  "use strict";
  const body = document.body;
  const root = body.dataset.root || "";

  // --- search --------------------------------------------------------------
  const dialog = document.getElementById("search");
  const input = document.getElementById("search-input");
  const kind = document.getElementById("search-kind");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  let search = null;
  let results = [];
  let active = -1;
  let lastFocus = null;
  let generation = 0;

  function open() {
    if (!search) search = CairnSearch.open(body.dataset.search);
    lastFocus = document.activeElement;
    dialog.hidden = false;
    input.focus();
    input.select();
    if (input.value) run();
  }

  function close() {
    dialog.hidden = true;
    input.setAttribute("aria-expanded", "false");
    if (lastFocus && lastFocus.focus) lastFocus.focus();
  }

  function select(index) {
    active = index;
    Array.from(list.children).forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", list.children[active].id);
      list.children[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function go(index) {
    const hit = results[index];
    if (hit) window.location.href = root + hit.path;
  }

  async function run() {
    const mine = ++generation;
    const started = performance.now();
    const query = input.value;
    const hits = query.trim() ? await search.query(query, { kind: kind.value || undefined }, 12) : [];
    if (mine !== generation) return;
    results = hits;
    list.textContent = "";
    hits.forEach((hit, i) => {
      const li = document.createElement("li");
      li.id = "search-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const title = document.createElement("div");
      title.textContent = hit.title || hit.name;
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = [hit.kind, hit.owner, hit.description].filter(Boolean).join(" · ");
      li.append(title, meta);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); go(i); });
      list.appendChild(li);
    });
    input.setAttribute("aria-expanded", String(hits.length > 0));
    select(hits.length ? 0 : -1);
    const ms = Math.round(performance.now() - started);
    status.textContent = query.trim() ? `${hits.length ? hits.length : "No"} results` : "";
    body.dataset.searchMs = String(ms);
  }

  if (dialog && input && window.CairnSearch) {
    document.querySelectorAll("[data-search-open]").forEach((el) => {
      el.hidden = false;
      el.addEventListener("click", open);
      el.addEventListener("focus", (e) => { if (el.tagName === "INPUT") { e.preventDefault(); open(); } });
    });
    document.addEventListener("keydown", (e) => {
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
      if ((e.key === "k" && (e.metaKey || e.ctrlKey)) || (e.key === "/" && !typing && dialog.hidden)) {
        e.preventDefault();
        open();
      } else if (e.key === "Escape" && !dialog.hidden) {
        close();
      }
    });
    input.addEventListener("input", run);
    kind.addEventListener("change", run);
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") { e.preventDefault(); select(Math.min(active + 1, results.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); select(Math.max(active - 1, 0)); }
      else if (e.key === "Enter") { e.preventDefault(); go(active); }
    });
    dialog.addEventListener("mousedown", (e) => { if (e.target === dialog) close(); });
  }

  // --- the request form ----------------------------------------------------
  // The rules and the words of `cairn check` (model::Input::breach and
  // Breach::reason): type, enum, min/max (a number's value, a string's or
  // an array's length), pattern, in that order — a claim the form writes
  // passes check, and a value it refuses, check refuses for the same reason.
  function check(field) {
    const type = field.dataset.type || "string";
    if (field.type === "checkbox") return [null, field.checked];
    const value = field.value.trim();
    if (value === "") return field.required ? ["Required."] : [null, undefined];
    let parsed = value;
    if (type === "integer" || type === "number") {
      parsed = Number(value);
      if (type === "integer" && !Number.isInteger(parsed)) return ["Must be a whole number."];
      if (!Number.isFinite(parsed)) return ["Must be a number."];
    } else if (type === "array" || type === "object") {
      try { parsed = JSON.parse(value); } catch (e) { parsed = undefined; }
      const isArray = Array.isArray(parsed);
      const ok = type === "array" ? isArray : parsed !== null && typeof parsed === "object" && !isArray;
      if (!ok) return [`Must be a JSON ${type}.`];
    }
    if (field.dataset.enum) {
      const allowed = JSON.parse(field.dataset.enum);
      const match = allowed.find((a) => String(a) === value);
      if (match === undefined) return [`Must be one of ${allowed.join(", ")}.`];
      parsed = match;
    }
    const isNumber = typeof parsed === "number";
    const measure = isNumber ? parsed : typeof parsed === "string" ? [...parsed].length
      : Array.isArray(parsed) ? parsed.length : null;
    const { min, max } = field.dataset;
    if (measure !== null && min !== undefined && measure < Number(min)) {
      return [isNumber ? `Must be at least ${min}.` : Array.isArray(parsed)
        ? `Must have at least ${min} items.` : `Must be at least ${min} characters long.`];
    }
    if (measure !== null && max !== undefined && measure > Number(max)) {
      return [isNumber ? `Must be at most ${max}.` : Array.isArray(parsed)
        ? `Must have at most ${max} items.` : `Must be at most ${max} characters long.`];
    }
    // As JSON Schema's `pattern`: an ECMAScript regex that matches anywhere.
    if (typeof parsed === "string" && field.dataset.pattern && !new RegExp(field.dataset.pattern, "u").test(parsed)) {
      return [`Must match the pattern ${field.dataset.pattern}.`];
    }
    return [null, parsed];
  }

  function yamlScalar(value) {
    return typeof value === "string" || typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  document.querySelectorAll("form.request").forEach((form) => {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const inputs = {};
      const claim = {};
      let firstBad = null;
      form.querySelectorAll("input, select, textarea").forEach((field) => {
        const [error, value] = check(field);
        const message = document.getElementById(field.id + "-error");
        field.setAttribute("aria-invalid", String(Boolean(error)));
        if (message) { message.hidden = !error; message.textContent = error || ""; }
        if (error && !firstBad) firstBad = field;
        if (!error && value !== undefined) {
          if (field.name.startsWith("__")) claim[field.name.slice(2)] = value;
          else inputs[field.name] = value;
        }
      });
      const out = form.querySelector(".claim");
      if (firstBad) { out.hidden = true; firstBad.focus(); return; }
      const lines = [
        "apiVersion: catalog.nestor.io/v1",
        "kind: ResourceClaim",
        "metadata:",
        "  name: " + yamlScalar(claim.name),
        "spec:",
        "  resource: " + yamlScalar(form.dataset.definition),
        "  version: " + yamlScalar(claim.version),
        "  owner: " + yamlScalar(claim.owner),
        "  inputs:" + (Object.keys(inputs).length ? "" : " {}"),
      ];
      for (const [key, value] of Object.entries(inputs)) lines.push(`    ${key}: ${yamlScalar(value)}`);
      out.querySelector(".claim-yaml").textContent = lines.join("\n") + "\n";
      out.hidden = false;
    });
  });
})();

// The graph page (graph/index.html#kind:namespace/name): every entity a
// service depends on and every one that depends on it, computed here from
// api/v1/graph.json — the build lists only each closure's nearest entities,
// which keeps its output linear in the catalog's size.
(function () {
  "use strict";
  const view = document.getElementById("closure");
  if (!view) return;
  const root = document.body.dataset.root || "";
  const pathOf = (ref) => {
    const [kind, rest] = ref.split(":");
    return root + kind + "/" + rest + "/index.html";
  };
  function closure(start, edges) {
    const depth = new Map([[start, 0]]);
    let level = [start];
    while (level.length) {
      const next = [];
      for (const node of level) {
        for (const target of edges[node]) {
          if (!depth.has(target)) {
            depth.set(target, depth.get(node) + 1);
            next.push(target);
          }
        }
      }
      level = next;
    }
    depth.delete(start);
    return depth;
  }
  function list(title, nodes, depths) {
    const section = document.createElement("section");
    const heading = document.createElement("h2");
    heading.textContent = `${title} (${depths.size})`;
    section.append(heading);
    const ol = document.createElement("ol");
    ol.className = "plain";
    const sorted = [...depths].sort((a, b) => a[1] - b[1] || nodes[a[0]].localeCompare(nodes[b[0]]));
    for (const [node, depth] of sorted) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = pathOf(nodes[node]);
      a.textContent = nodes[node];
      const note = document.createElement("span");
      note.className = "muted";
      note.textContent = ` ${depth} step${depth === 1 ? "" : "s"} away`;
      li.append(a, note);
      ol.append(li);
    }
    section.append(ol);
    return section;
  }
  function show(graph) {
    const ref = decodeURIComponent(location.hash.slice(1)).toLowerCase();
    const start = graph.nodes.indexOf(ref);
    view.replaceChildren();
    const title = document.createElement("h1");
    title.textContent = start < 0 ? "Not in the dependency graph: " + ref : ref;
    view.append(title);
    if (start < 0) return;
    const up = graph.dependsOn;
    const down = graph.nodes.map(() => []);
    up.forEach((targets, node) => targets.forEach((target) => down[target].push(node)));
    view.append(
      list("Depends on", graph.nodes, closure(start, up)),
      list("Depended on by", graph.nodes, closure(start, down)),
    );
  }
  fetch(root + "api/v1/graph.json")
    .then((response) => response.json())
    .then((graph) => {
      show(graph);
      window.addEventListener("hashchange", () => show(graph));
    })
    .catch((error) => {
      view.textContent = "Could not load the dependency graph: " + error;
    });
})();
