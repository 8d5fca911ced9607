#!/usr/bin/env python3
"""Benchmarks `cairn check` and `cairn build` on generated catalogs of several
dependency-graph shapes and sizes.

    python3 scripts/bench.py                                  # 10k, every shape
    python3 scripts/bench.py --sizes 10000,100000 --runs 3    # and 100k
    python3 scripts/bench.py --shapes dag --sizes 100000 --commands build
    python3 scripts/bench.py --shapes clustered --governance --commands check   # rules + scorecards
    python3 scripts/bench.py --binary /tmp/cairn-before        # another build, for before/after
    python3 scripts/bench.py --floor                           # and what the machine allows

Builds the release binary and the generator (examples/gen_catalog.rs),
generates each catalog (in /dev/shm when it exists, so the disk's speed does
not drown the measurement; else under target/bench/), runs each command
several times after one warm-up run, and prints a Markdown table: median and
best wall time, peak memory (max RSS), and for `build` the files written,
their bytes and the bytes per entity. Shapes (see gen_catalog.rs):
`clustered` (small closures), `dag` (a random DAG, mean out-degree 2.1),
`hub` (preferential attachment: a power law of dependents). `check` is
measured twice: as a developer runs it again and again (reading the cache the
previous check left, `.cairn/cache/check.bin`) and with `--no-cache` (every
file parsed, as on a fresh clone).

Targets (issue #20, 2 cores, every shape): check 10k <= 0.3 s, 100k <= 3 s
and <= 1 GB; build 10k <= 1.5 s and <= 300 MB, 100k <= 15 s and <= 2 GB;
bytes per service roughly constant from 10k to 100k.

`--governance` measures each catalog a second time with the demo catalog's
rules and scorecard in its cairn.yaml (`gen_catalog --governance true`) and
prints what they add (target, issue #24: <= 10% of `check` at 10k).

`--floor` also runs examples/io_floor.rs on each catalog and its output:
reading the catalog, the YAML event stream alone, writing the output's files,
hard-linking them and removing such a tree, with nothing else done — the part of each target no
change to cairn can remove on this machine.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.path.join(ROOT, "target", "release", "cairn")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_catalog")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "io_floor")
SCRATCH = "/dev/shm/cairn-bench" if os.path.isdir("/dev/shm") else os.path.join(ROOT, "target", "bench")


def run_once(args):
    """Wall time and the child's max RSS (KB) of one run, in a fresh process."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(args[0], args)
    start = time.perf_counter()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(args)} exited with {code}")
    return elapsed, usage.ru_maxrss


def measure(args, runs):
    run_once(args)  # warm the page cache
    results = [run_once(args) for _ in range(runs)]
    times = [t for t, _ in results]
    return statistics.median(times), min(times), max(m for _, m in results)


def tree_size(path):
    files = total = 0
    for directory, _, names in os.walk(path):
        for name in names:
            files += 1
            total += os.path.getsize(os.path.join(directory, name))
    return files, total


def entities(catalog):
    out = subprocess.run([CAIRN, "--root", catalog, "--format", "json", "check"], capture_output=True, text=True)
    return json.loads(out.stdout)["summary"]["entities"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10000", help="comma-separated service counts")
    parser.add_argument("--shapes", default="clustered,dag,hub")
    parser.add_argument("--commands", default="check,check --no-cache,build", help="`check` reads the cache the previous check left; `check --no-cache` parses every file")
    parser.add_argument("--governance", action="store_true", help="also measure with the demo's rules and scorecard")
    parser.add_argument("--floor", action="store_true", help="also measure the I/O and parsing floor (examples/io_floor.rs)")
    parser.add_argument("--binary", help="measure this cairn binary (e.g. an older build) instead of target/release/cairn")
    opts = parser.parse_args()
    global CAIRN
    CAIRN = opts.binary or CAIRN
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--bin", "cairn", "--example", "gen_catalog", "--example", "io_floor"], cwd=ROOT, check=True)
    os.makedirs(SCRATCH, exist_ok=True)
    rows = []
    floors = []
    for services in [int(s) for s in opts.sizes.split(",")]:
        for shape in opts.shapes.split(","):
            for governance in [False, True] if opts.governance else [False]:
                label = f"{shape} + rules" if governance else shape
                catalog = os.path.join(SCRATCH, f"{shape}-{services}")
                subprocess.run([GEN, "--services", str(services), "--definitions", "200", "--versions", "5", "--shape", shape, "--governance", str(governance).lower(), "--out", catalog], check=True, stderr=subprocess.DEVNULL)
                # `check` keeps in its cache only files modified more than
                # two seconds before it ran.
                time.sleep(2)
                count = entities(catalog)
                out = os.path.join(SCRATCH, f"{shape}-{services}-dist")
                for command in opts.commands.split(","):
                    args = [CAIRN, "--root", catalog, "-q", *command.split()] + (["--out", out] if command == "build" else [])
                    median, best, rss = measure(args, opts.runs)
                    files, size = tree_size(out) if command == "build" else (None, None)
                    rows.append((services, label, count, command, median, best, rss, files, size))
                if opts.floor:
                    dist = ["--dist", out] if os.path.isdir(out) else []
                    report = subprocess.run([FLOOR, "--catalog", catalog, "--runs", str(opts.runs)] + dist, capture_output=True, text=True, check=True)
                    floors.append((services, label, json.loads(report.stdout)))
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(catalog, ignore_errors=True)
    version = subprocess.run([CAIRN, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{version}, {os.cpu_count()} cores, {opts.runs} runs each, catalogs and output in {SCRATCH}\n")
    print("| services | shape | entities | command | median | best | peak memory | files | output | bytes / entity |")
    print("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for services, shape, count, command, median, best, rss, files, size in rows:
        output = f"{files:,} | {size / 1e6:.0f} MB | {size / count:,.0f}" if files else "— | — | —"
        print(f"| {services:,} | {shape} | {count:,} | `{command}` | {median * 1000:,.0f} ms | {best * 1000:,.0f} ms | {rss / 1024:,.0f} MB | {output} |")
    if floors:
        print("\nThe floor (examples/io_floor.rs; milliseconds, median):\n")
        print("| services | shape | read the catalog | YAML events | `check` floor | write the output | `build --full` floor | link the output | remove the old output | incremental `build` floor |")
        print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for services, label, f in floors:
            check = f["read_ms"] + f["parse_ms"]
            cells = [f"{f['read_ms']:,.0f}", f"{f['parse_ms']:,.0f}", f"{check:,.0f}"]
            if "write_ms" in f:
                incremental = check + f["link_ms"] + f["remove_ms"]
                cells += [f"{f['write_ms']:,.0f}", f"{check + f['write_ms']:,.0f}", f"{f['link_ms']:,.0f}", f"{f['remove_ms']:,.0f}", f"{incremental:,.0f}"]
            else:
                cells += ["—"] * 5
            print(f"| {services:,} | {label} | " + " | ".join(cells) + " |")
    if opts.governance:
        plain = {(r[0], r[1], r[3]): r[4] for r in rows}
        print()
        for services, label, _, command, median, *_ in rows:
            if label.endswith(" + rules"):
                base = plain[(services, label[: -len(" + rules")], command)]
                print(f"rules and scorecards add {(median / base - 1) * 100:+.1f}% to `{command}` ({label[: -len(' + rules')]}, {services:,} services)")


if __name__ == "__main__":
    main()
