// Drives headless Chromium (Debian's, through playwright-core) against a
// running `cairn serve`, edits the catalog file behind the open page, and
// prints a JSON report that tests/it/serve.rs asserts on:
//   node serve.js PAGE_URL CATALOG_FILE ARTIFACT_DIR
// The page must reload by itself after an edit (live reload over SSE), show
// the diagnostics overlay when the file breaks, and drop it once fixed.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");

const [url, file, artifacts] = process.argv.slice(2);
const TIMEOUT = 60000;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const report = { errors: [] };
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => report.errors.push(`${page.url()}: ${e.message}`));

  // Waits until the live-reload script's event stream is open, then marks
  // the document: a reload is a fresh document without the mark.
  async function openAndMark() {
    await page.waitForFunction(() => document.documentElement.dataset.cairnLive === "open");
    await page.evaluate(() => { window.__beforeReload = true; });
  }
  async function reloaded() {
    await page.waitForFunction(() => window.__beforeReload === undefined && document.readyState === "complete");
  }
  const original = fs.readFileSync(file, "utf8");
  function write(text) { fs.writeFileSync(file, text); }

  await page.goto(url, { waitUntil: "load" });
  await openAndMark();
  report.live = await page.evaluate(() => document.documentElement.dataset.cairnLive);

  // Edit: the page reloads by itself and shows the new text.
  write(original.replace("description:", "description: Live reload works."));
  await reloaded();
  report.reloaded_after_edit = true;
  report.edited_text_shown = (await page.locator("main").innerText()).includes("Live reload works.");

  // Break: the page reloads with the overlay over the last good build.
  await openAndMark();
  write(original + "\n  owner: [\n");
  await reloaded();
  await page.waitForSelector("#cairn-overlay");
  report.overlay_after_break = await page.locator("#cairn-overlay").isVisible();
  await page.screenshot({ path: path.join(artifacts, "overlay.png") });

  // Fix: it reloads again and the overlay is gone.
  await openAndMark();
  write(original);
  await reloaded();
  report.overlay_after_fix = (await page.locator("#cairn-overlay").count()) > 0;

  await browser.close();
  process.stdout.write(JSON.stringify(report));
})().catch((e) => { console.error(e); process.exit(1); });
