// Fills the request form of every ResourceDefinition version of a built
// portal in headless Chromium (Debian's, through playwright-core) and prints
// a JSON report that tests/it/claims.rs asserts on:
//   node claims.js BASE_URL SAMPLES_JSON
// SAMPLES_JSON maps input names to a valid value for inputs that have no
// default (patterns cannot be guessed). For each version page the report
// has the claim YAML the form writes for each version choice (exact, ^major)
// and, for each input, the values the form refuses with its message.
"use strict";
const { chromium } = require("playwright-core");

const [base, samplesJson] = process.argv.slice(2);
const samples = JSON.parse(samplesJson);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));

  // Every version page, from the list of definitions and each one's versions.
  await page.goto(base + "all/resourcedefinition/index.html");
  const definitions = await page.$$eval("table.list tbody a", (as) => as.map((a) => a.href));
  const versions = [];
  for (const definition of definitions) {
    await page.goto(definition);
    for (const href of await page.$$eval("#versions ~ table a, section[aria-labelledby=versions] a", (as) => as.map((a) => a.href))) {
      if (!versions.includes(href)) versions.push(href);
    }
  }

  const report = { pages: [], errors };
  let n = 0;
  for (const url of versions) {
    await page.goto(url);
    const fields = await page.$$eval("form.request [name]:not([name^='__'])", (els) => els.map((e) => ({
      name: e.name, tag: e.tagName, type: e.type, dataType: e.dataset.type, min: e.dataset.min, max: e.dataset.max,
      pattern: e.dataset.pattern, required: e.required, value: e.value,
    })));
    const choices = await page.$$eval("#claim-version option", (os) => os.map((o) => o.value));
    const selector = (f) => `[name="${f.name}"]`;
    const fillValid = async (name, choice) => {
      await page.fill("#claim-name", name);
      await page.fill("#claim-owner", "platform");
      await page.selectOption("#claim-version", choice);
      for (const f of fields) {
        if (f.tag === "SELECT" || f.type === "checkbox") continue;
        let value = f.value;
        if (value === "") {
          if (samples[f.name] !== undefined) value = samples[f.name];
          else if (f.dataType === "integer" || f.dataType === "number") value = f.min !== undefined ? f.min : "1";
          else if (f.dataType === "array") value = "[]";
          else if (f.dataType === "object") value = "{}";
        }
        await page.fill(selector(f), value);
      }
    };
    const submit = async () => {
      await page.click("form.request button[type=submit]");
      return (await page.locator(".claim").isVisible()) ? await page.locator(".claim-yaml").innerText() : null;
    };
    const entry = { url, claims: [], rejected: [] };
    for (const choice of choices) {
      n += 1;
      await fillValid(`form-claim-${n}`, choice);
      entry.claims.push({ choice, yaml: await submit() });
    }
    // Values the form refuses: each kind of rule an input has.
    for (const f of fields) {
      if (f.tag === "SELECT" || f.type === "checkbox") continue;
      const bad = [];
      if (f.required) bad.push("");
      if (f.dataType === "integer" || f.dataType === "number") {
        if (f.min !== undefined) bad.push(String(Number(f.min) - 1));
        if (f.max !== undefined) bad.push(String(Number(f.max) + 1));
        if (f.dataType === "integer") bad.push(f.min !== undefined ? String(Number(f.min) + 0.5) : "2.5");
      } else if (f.dataType === "array" || f.dataType === "object") {
        bad.push("not json");
      } else if (f.pattern) {
        bad.push("Not Valid!");
      }
      for (const typed of bad) {
        await fillValid("form-rejected", choices[0]);
        await page.fill(selector(f), typed);
        const yaml = await submit();
        const message = page.locator(`#input-${f.name}-error`);
        const error = (await message.isVisible()) ? await message.innerText() : null;
        entry.rejected.push({ input: f.name, dataType: f.dataType, typed, error, written: yaml !== null });
      }
    }
    report.pages.push(entry);
  }
  await browser.close();
  process.stdout.write(JSON.stringify(report));
})().catch((e) => { console.error(e); process.exit(1); });
