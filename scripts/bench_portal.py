#!/usr/bin/env python3
"""Benchmarks the portal: build time with the site and search index, the
search payload of a first query, and search latency in headless Chromium.

    python3 scripts/bench_portal.py                  # 10k services
    python3 scripts/bench_portal.py --services 100000 --no-browser

Builds the release binary and the generator, generates the catalog under
target/bench/, builds it (median of --runs after a warm-up, with `-v` stage
times from the last run), then measures what the browser downloads for a few
first queries (scripts/search_payload.js: every fetched file, gzip-compressed
as a static host sends it) and, unless --no-browser, the time from keystroke
to rendered results in Chromium (tests/browser must be installed:
scripts/test.sh does it).
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.path.join(ROOT, "target", "release", "cairn")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_catalog")
QUERIES = ["checkout", "chekout", "payments cart", "orders-billing-42", "sear"]

BROWSER = r"""
const { chromium } = require(process.argv[1] + "/node_modules/playwright-core");
(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
  const page = await browser.newPage();
  await page.goto(process.argv[2] + "index.html");
  const out = [];
  for (const q of JSON.parse(process.argv[3])) {
    for (const cold of [true, false]) {
      if (cold) { await page.goto(process.argv[2] + "index.html"); }
      await page.keyboard.press("Control+k");
      await page.fill("#search-input", "");
      const started = Date.now();
      await page.fill("#search-input", q);
      await page.locator("#search-results [role=option]").first().waitFor();
      out.push({ query: q, cold, ms: Date.now() - started, engine_ms: Number(await page.evaluate(() => document.body.dataset.searchMs)) });
      await page.keyboard.press("Escape");
    }
  }
  await browser.close();
  process.stdout.write(JSON.stringify(out));
})();
"""


def timed(args):
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="skip the builds; measure the existing one")
    opts = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--bin", "cairn", "--example", "gen_catalog"], cwd=ROOT, check=True)
    bench = os.path.join(ROOT, "target", "bench", f"portal-{opts.services}")
    catalog, serve = os.path.join(bench, "catalog"), os.path.join(bench, "serve")
    dist = os.path.join(serve, "portal")
    if not os.path.exists(catalog):
        subprocess.run([GEN, "--services", str(opts.services), "--definitions", "200", "--versions", "5", "--out", catalog],
                       check=True, stderr=subprocess.DEVNULL)
    build = [CAIRN, "--root", catalog, "-v", "build", "--base-url", "/portal/", "--out", dist]
    if not (opts.reuse and os.path.exists(dist)):
        timed(build)  # warm-up
        times, last = [], None
        for _ in range(opts.runs):
            elapsed, last = timed(build)
            times.append(elapsed)
        print(f"build: median {statistics.median(times):.2f} s, best {min(times):.2f} s over {opts.runs} runs")
        print("stages of the last run (-v):\n" + "\n".join("    " + l for l in last.stderr.splitlines() if "ms" in l))
    files = sum(len(f) for _, _, f in os.walk(dist))
    html = sum(1 for d, _, f in os.walk(dist) for n in f if n.endswith(".html"))
    print(f"## {opts.services} services: {files} files, {html} pages\n")

    _, payload = timed(["node", os.path.join(ROOT, "scripts", "search_payload.js"), dist] + QUERIES)
    print("\n| first query | files fetched | gzip bytes | query time (Node) | top results |")
    print("| --- | ---: | ---: | ---: | --- |")
    for row in json.loads(payload.stdout):
        print(f"| `{row['query']}` | {row['files']} | {row['gzip_bytes'] / 1024:.0f} KB | {row['ms']:.1f} ms | {', '.join(row['top'])} |")

    if opts.no_browser:
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", serve],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        _, out = timed(["node", "-e", BROWSER, os.path.join(ROOT, "tests", "browser"), f"http://127.0.0.1:{port}/portal/", json.dumps(QUERIES)])
    finally:
        server.terminate()
    print("\n| query in Chromium | index cached | keystroke → results rendered | search.js time |")
    print("| --- | --- | ---: | ---: |")
    for row in json.loads(out.stdout):
        print(f"| `{row['query']}` | {'no' if row['cold'] else 'yes'} | {row['ms']} ms | {row['engine_ms']} ms |")


if __name__ == "__main__":
    main()
