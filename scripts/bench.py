#!/usr/bin/env python3
"""Benchmarks `cairn check` and `cairn build` on generated catalogs.

    python3 scripts/bench.py            # 1k and 10k services, 1k definition versions
    python3 scripts/bench.py --runs 10

Builds the release binary and the generator (examples/gen_catalog.rs),
generates the catalogs under target/bench/, runs each command several times
and prints a Markdown table of the median and best wall time and the peak
memory (max RSS), ready to paste into BENCHMARKS.md. Targets (2 cores):
check of 10k services <= 0.5 s, build <= 1 s, peak memory <= 300 MB.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.path.join(ROOT, "target", "release", "cairn")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_catalog")

CATALOGS = [
    # name, services, definitions, versions per definition
    ("1k", 1000, 200, 5),
    ("10k", 10000, 200, 5),
]


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
    if code not in (0,):
        sys.exit(f"{' '.join(args)} exited with {code}")
    return elapsed, usage.ru_maxrss


def measure(args, runs):
    run_once(args)  # warm the page cache
    results = [run_once(args) for _ in range(runs)]
    times = [t for t, _ in results]
    return statistics.median(times), min(times), max(m for _, m in results)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--bin", "cairn", "--example", "gen_catalog"], cwd=ROOT, check=True)
    rows = []
    for name, services, definitions, versions in CATALOGS:
        catalog = os.path.join(ROOT, "target", "bench", name)
        subprocess.run([GEN, "--services", str(services), "--definitions", str(definitions), "--versions", str(versions), "--out", catalog], check=True, stderr=subprocess.DEVNULL)
        out = os.path.join(ROOT, "target", "bench", f"{name}-dist")
        for command in (["check"], ["build", "--out", out]):
            median, best, rss = measure([CAIRN, "--root", catalog, "-q"] + command, opts.runs)
            rows.append((name, services, definitions * versions, command[0], median, best, rss))
        shutil.rmtree(out, ignore_errors=True)
    print(f"cairn {subprocess.run([CAIRN, '--version'], capture_output=True, text=True).stdout.strip()}, {os.cpu_count()} cores, {opts.runs} runs each\n")
    print("| catalog | services | definition versions | command | median | best | peak memory |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, services, versions, command, median, best, rss in rows:
        print(f"| {name} | {services} | {versions} | `{command}` | {median * 1000:.0f} ms | {best * 1000:.0f} ms | {rss / 1024:.0f} MB |")


if __name__ == "__main__":
    main()
