// Drives headless Chromium over the API reference pages of a built
// portal (tests/fixtures/contracts), served by a plain static file server,
// and prints a JSON report that tests/it/contracts.rs asserts on:
//   node contracts.js BASE_URL ARTIFACT_DIR PAGE…
// PAGE is a path under BASE_URL, e.g. api/default/payments-api/index.html.
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const [base, artifacts, ...pages] = process.argv.slice(2);
const origin = new URL(base).origin;
const prefix = new URL(base).pathname;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const report = { pages: {}, failed: [], external: [], outside: [], dialogs: [], errors: [], pwned: [] };
  // JavaScript off: the reference must be readable without it.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  page.on("dialog", (d) => { report.dialogs.push(`${page.url()}: ${d.message()}`); d.dismiss(); });
  page.on("pageerror", (e) => report.errors.push(`${page.url()}: ${e.message}`));
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.origin !== origin && url.protocol !== "data:") report.external.push(r.url());
    else if (url.origin === origin && !url.pathname.startsWith(prefix)) report.outside.push(r.url());
  });
  page.on("response", (r) => { if (r.status() >= 400) report.failed.push(`${r.status()} ${r.url()}`); });
  for (const p of pages) {
    const response = await page.goto(base + p, { waitUntil: "load" });
    if (!response || !response.ok()) { report.failed.push(`${p}: ${response && response.status()}`); continue; }
    const found = await page.evaluate(() => {
      const text = (el) => el.textContent.replace(/\s+/g, " ").trim();
      const links = Array.from(document.querySelectorAll("a[href]"), (a) => a.getAttribute("href"));
      const ids = new Set(Array.from(document.querySelectorAll("[id]"), (e) => e.id));
      return {
        operations: Array.from(document.querySelectorAll("article.operation h4"), (h) => text(h).replace(/ #$/, "")),
        anchors: Array.from(document.querySelectorAll("article.operation"), (a) => a.id),
        // In-page links whose target is not on the page.
        dangling: links.filter((h) => h.startsWith("#") && h.length > 1 && !ids.has(decodeURIComponent(h.slice(1)))),
        links: links.map((h) => new URL(h, document.baseURI).href),
        nested_tables: document.querySelectorAll("table.schema table.schema").length,
        types: Array.from(document.querySelectorAll("section.type h4 code"), text),
        error_line: (document.querySelector(".source .line.error") || { textContent: "" }).textContent.trim(),
        notice: text(document.querySelector(".notice") || document.createElement("p")),
        scripts_in_main: document.querySelectorAll("main script").length,
        handlers: document.querySelectorAll("main [onmouseover], main [onerror], main [onclick]").length,
        javascript_links: links.filter((h) => h.trim().toLowerCase().startsWith("javascript:")).length,
      };
    });
    const pwned = await page.evaluate(() => window.__pwned);
    if (pwned !== undefined) report.pwned.push(`${p}: ${pwned}`);
    for (const href of found.links) {
      const u = new URL(href);
      if (u.origin === origin && !u.pathname.startsWith(prefix)) report.outside.push(`${p} → ${href}`);
    }
    delete found.links;
    report.pages[p] = found;
    const name = p.split("/").slice(1, 3).join("-");
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  }
  // With JavaScript on, scripts from the spec still do not run, and the
  // search box finds an API by one of its operations.
  const live = await browser.newContext();
  const tab = await live.newPage();
  tab.on("dialog", (d) => { report.dialogs.push(`${tab.url()}: ${d.message()}`); d.dismiss(); });
  for (const p of pages) {
    await tab.goto(base + p, { waitUntil: "load" });
    const pwned = await tab.evaluate(() => window.__pwned);
    if (pwned !== undefined) report.pwned.push(`${p} (scripts on): ${pwned}`);
  }
  await tab.goto(base + "index.html");
  await tab.keyboard.press("Control+k");
  await tab.locator("#search-input").pressSequentially("GET /payments/{id}", { delay: 10 });
  await tab.locator("#search-results [role=option]").first().waitFor();
  report.search_results = await tab.locator("#search-results [role=option]").allInnerTexts();
  await browser.close();
  process.stdout.write(JSON.stringify(report));
})().catch((e) => { console.error(e); process.exit(1); });
