#!/usr/bin/env python3
"""Benchmarks `cairn discover github` on a 500-repository organisation.

    python3 scripts/bench_discover_github.py            # 5 runs, debug build
    python3 scripts/bench_discover_github.py --runs 10 --release

Runs the integration test `discover_github::bench_a_500_repo_org_takes_at_most_10_requests`
(a fake GitHub on 127.0.0.1 answering the GraphQL queries, 500 repositories
plus 20 archived and 10 forks, 40 teams), which asserts at most 10 requests
for the bulk scan and prints the request count and wall time of a full scan
and of a refresh with nothing pushed since. Prints the median and best of
each, ready for BENCHMARKS.md ("Discovery: GitHub").
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

TEST = "discover_github::bench_a_500_repo_org_takes_at_most_10_requests"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--release", action="store_true")
    args = parser.parse_args()
    command = ["cargo", "test", "-j", "1", "--test", "it"]
    if args.release:
        command.append("--release")
    command += [TEST, "--", "--exact", "--nocapture"]
    full, refresh, requests = [], [], {}
    for _ in range(args.runs):
        out = subprocess.run(command, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if out.returncode != 0:
            sys.exit(out.stdout + out.stderr)
        m = re.search(r"500 repos \+ 40 teams: (\d+) requests, ([\d.]+) s, facts (\d+) KiB", out.stdout)
        r = re.search(r"refresh, nothing pushed since: (\d+) requests, ([\d.]+) s", out.stdout)
        full.append(float(m.group(2)))
        refresh.append(float(r.group(2)))
        requests = {"full": int(m.group(1)), "refresh": int(r.group(1)), "facts_kib": int(m.group(3))}
    print("| scan | requests | median | best |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| full, 500 repos + 40 teams | {requests['full']} | {statistics.median(full):.2f} s | {min(full):.2f} s |")
    print(f"| refresh, nothing pushed since | {requests['refresh']} | {statistics.median(refresh):.2f} s | {min(refresh):.2f} s |")
    print(f"\nfacts file: {requests['facts_kib']} KiB")


if __name__ == "__main__":
    main()
