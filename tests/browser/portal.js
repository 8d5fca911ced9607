// Drives headless Chromium (Debian's, through playwright-core) over a built
// portal served by a plain static file server, and prints a JSON report
// that tests/it/portal.rs asserts on:
//   node portal.js BASE_URL ARTIFACT_DIR
// BASE_URL ends in the sub-path the site was built for, e.g.
// http://127.0.0.1:8123/portal/.
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const [base, artifacts] = process.argv.slice(2);
const origin = new URL(base).origin;
const prefix = new URL(base).pathname;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const report = { pages: 0, assets: 0, failed: [], external: [], outside: [], dialogs: [], errors: [], pwned: [] };
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("dialog", (d) => { report.dialogs.push(`${page.url()}: ${d.message()}`); d.dismiss(); });
  page.on("pageerror", (e) => report.errors.push(`${page.url()}: ${e.message}`));
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.origin !== origin && url.protocol !== "data:") report.external.push(r.url());
    else if (url.origin === origin && !url.pathname.startsWith(prefix)) report.outside.push(r.url());
  });
  page.on("response", (r) => { if (r.status() >= 400) report.failed.push(`${r.status()} ${r.url()}`); });

  // Crawl every page reachable from the front page, and every asset.
  const seen = new Set([base + "index.html"]);
  const queue = [base + "index.html"];
  const assets = new Set();
  while (queue.length) {
    const url = queue.shift();
    const response = await page.goto(url, { waitUntil: "load" });
    if (!response || !response.ok()) continue;
    report.pages++;
    const pwned = await page.evaluate(() => window.__pwned);
    if (pwned !== undefined) report.pwned.push(`${url}: ${pwned}`);
    const found = await page.evaluate(() => ({
      // getAttribute: an SVG <a>'s `href` is not a string.
      links: Array.from(document.querySelectorAll("a[href]"), (a) => new URL(a.getAttribute("href"), document.baseURI).href),
      assets: Array.from(document.querySelectorAll("script[src], link[href]"), (e) => e.src || e.href),
    }));
    for (const href of found.links) {
      const u = new URL(href);
      u.hash = "";
      if (u.origin !== origin) continue;
      if (!u.pathname.startsWith(prefix)) { report.outside.push(`${url} → ${href}`); continue; }
      if (u.pathname.endsWith(".html") && !seen.has(u.href)) { seen.add(u.href); queue.push(u.href); }
      else if (!u.pathname.endsWith(".html")) assets.add(u.href);
    }
    found.assets.forEach((a) => assets.add(a));
  }
  for (const asset of assets) {
    const r = await context.request.get(asset);
    report.assets++;
    if (!r.ok()) report.failed.push(`${r.status()} ${asset}`);
  }

  // Screenshots: the front page and a service page, desktop and phone.
  await page.goto(base + "index.html");
  await page.screenshot({ path: path.join(artifacts, "home.png"), fullPage: true });
  await page.goto(base + "component/default/checkout-service/index.html");
  await page.screenshot({ path: path.join(artifacts, "service.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(artifacts, "service-phone.png"), fullPage: true });
  report.phone_overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  await page.setViewportSize({ width: 1280, height: 800 });

  // Search: Cmd+K (Control+K here), a typo, arrow keys, Enter.
  await page.goto(base + "index.html");
  await page.keyboard.press("Control+k");
  const input = page.locator("#search-input");
  report.search_focused = await input.evaluate((el) => el === document.activeElement);
  report.search_role = await input.getAttribute("role");
  await input.pressSequentially("chekout servce", { delay: 20 });
  await page.locator("#search-results [role=option]").first().waitFor();
  report.search_results = await page.locator("#search-results [role=option]").allInnerTexts();
  report.search_expanded = await input.getAttribute("aria-expanded");
  report.search_ms = Number(await page.evaluate(() => document.body.dataset.searchMs));
  await page.keyboard.press("Enter");
  await page.waitForURL(/component\/default\/checkout-service\/index\.html$/);
  report.search_opened = page.url();
  await page.keyboard.press("/");
  report.slash_opens = await page.locator("#search").isVisible();
  await page.keyboard.press("Escape");

  // The request form: a value that breaks the pattern is refused; valid
  // values produce the claim.
  await page.goto(base + "resourcedefinition/aws-rds-postgres/index.html");
  await page.fill("#claim-name", "orders-db");
  await page.fill("#claim-owner", "fulfillment");
  await page.fill("#input-instance_class", "m5.large");
  await page.fill("#input-allocated_storage", "100");
  await page.fill("#input-db_subnet_group_name", "main-vpc");
  await page.click("form.request button[type=submit]");
  report.form_error = (await page.locator("#input-instance_class-error").isVisible())
    ? await page.locator("#input-instance_class-error").innerText() : null;
  report.form_claim_hidden = await page.locator(".claim").isHidden();
  await page.fill("#input-instance_class", "db.m5.large");
  await page.click("form.request button[type=submit]");
  report.form_claim = await page.locator(".claim-yaml").innerText();

  // The graph page computes a whole closure from api/v1/graph.json: the
  // service page links it, and it lists every entity both ways.
  await page.goto(base + "component/default/checkout-service/index.html");
  await page.click("a[href*='graph/index.html#']");
  await page.waitForSelector("#closure ol");
  report.closure_title = await page.locator("#closure h1").innerText();
  report.closure_headings = await page.locator("#closure h2").allInnerTexts();
  report.closure_upstream = await page.locator("#closure section").first().locator("li a").allInnerTexts();

  await browser.close();
  process.stdout.write(JSON.stringify(report));
})().catch((e) => { console.error(e); process.exit(1); });
