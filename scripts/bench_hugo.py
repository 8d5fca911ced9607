#!/usr/bin/env python3
"""Hugo building as many pages as cairn's portal, for BENCHMARKS.md.

    python3 scripts/bench_hugo.py [--pages 16436] [--runs 3]

Generates a Hugo site under target/bench/hugo-N/ with N content pages (one
per entity page cairn writes at 10,000 services: title, description, owner,
tier, tags, a few links in front matter) and one layout with a header, a
facts table and a footer — about what cairn's entity template renders — then
times `hugo` (Debian's package; `apt-get install hugo`) over --runs runs,
after a warm-up. Taxonomies, RSS and the sitemap are off: cairn writes none.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIG = """baseURL = "/portal/"
title = "Generated catalog"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""

BASEOF = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ site.Title }}</title>
<link rel="stylesheet" href="{{ "site.css" | relURL }}"></head><body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a> <nav><a href="{{ "/p/" | relURL }}">Services</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main><footer>Built by Hugo</footer></body></html>
"""

SINGLE = """{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ .Description }}</p>
<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul>
<dl><dt>Owner</dt><dd><a href="{{ printf "/teams/%s/" .Params.owner | relURL }}">{{ .Params.owner }}</a></dd>
<dt>Tier</dt><dd>{{ .Params.tier }}</dd><dt>Lifecycle</dt><dd>{{ .Params.lifecycle }}</dd></dl>
<h2>Dependencies</h2><ul>{{ range .Params.depends }}<li><a href="{{ printf "/p/%s/" . | relURL }}">{{ . }}</a></li>{{ end }}</ul>
{{ .Content }}{{ end }}
"""

LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Description }}</li>{{ end }}</ul>{{ end }}
"""


def generate(site, pages):
    shutil.rmtree(site, ignore_errors=True)
    os.makedirs(os.path.join(site, "layouts", "_default"))
    os.makedirs(os.path.join(site, "content", "p"))
    os.makedirs(os.path.join(site, "static"))
    write = lambda path, text: open(os.path.join(site, path), "w").write(text)
    write("config.toml", CONFIG + "paginate = 500\n")
    write("layouts/_default/baseof.html", BASEOF)
    write("layouts/_default/single.html", SINGLE)
    write("layouts/_default/list.html", LIST)
    write("static/site.css", "body { font: 16px system-ui; }\n")
    for i in range(pages):
        name = f"service-{i:06d}"
        depends = ", ".join(f'"service-{(i * 7 + k) % pages:06d}"' for k in range(1, 4))
        write(f"content/p/{name}.md", f"""---
title: "{name}"
description: "Handles part {i} of the generated shop: orders, payments and fulfilment for region {i % 17}."
owner: "team-{i % 200}"
tier: "tier{i % 3 + 1}"
lifecycle: "production"
tags: ["java", "payments", "region-{i % 17}"]
depends: [{depends}]
---
Runbook: see the team's wiki.
""")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=16436)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    hugo = shutil.which("hugo")
    if not hugo:
        sys.exit("hugo is not installed (apt-get install hugo)")
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip()
    site = os.path.join(ROOT, "target", "bench", f"hugo-{opts.pages}")
    generate(site, opts.pages)
    out = os.path.join(site, "public")
    times = []
    for run in range(opts.runs + 1):
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run([hugo, "--quiet", "-s", site, "-d", out], check=True)
        if run:
            times.append(time.perf_counter() - start)
    html = sum(1 for d, _, f in os.walk(out) for n in f if n.endswith(".html"))
    print(version)
    print(f"hugo, {html} pages: median {statistics.median(times):.2f} s, best {min(times):.2f} s over {opts.runs} runs")


if __name__ == "__main__":
    main()
