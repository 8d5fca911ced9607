#!/usr/bin/env python3
"""Benchmarks `cairn publish` against `aws s3 sync` on a local S3 (moto).

    python3 scripts/bench_publish.py              # 10k services
    python3 scripts/bench_publish.py --services 1000

Generates a catalog (examples/gen_catalog.rs), publishes its portal to an
empty prefix, changes one service's description and publishes again; then
does the same with `aws s3 sync` (AWS CLI v1 from PyPI, in its own virtualenv
under target/tools/) on another prefix. Prints a Markdown table of objects
uploaded and wall time, ready for BENCHMARKS.md. moto's server comes from
target/tools/venv (scripts/test.sh installs it).
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.path.join(ROOT, "target", "release", "cairn")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_catalog")
TOOLS = os.path.join(ROOT, "target", "tools")
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
           AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(args, **kwargs):
    start = time.perf_counter()
    result = subprocess.run(args, env=ENV, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def change_one_service(catalog):
    for dirpath, _, files in sorted(os.walk(catalog)):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            text = open(path).read()
            if "kind: Component" in text and "description:" in text:
                open(path, "w").write(text.replace("description: ", "description: Changed for the benchmark. ", 1))
                return path
    sys.exit("no service with a description to change")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=10000)
    opts = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--bin", "cairn", "--example", "gen_catalog"], cwd=ROOT, check=True)
    awscli = os.path.join(TOOLS, "awscli-venv")
    if not os.path.exists(os.path.join(awscli, "bin", "aws")):
        subprocess.run([sys.executable, "-m", "venv", awscli], check=True)
        subprocess.run([os.path.join(awscli, "bin", "pip"), "install", "-q", "awscli==1.*"], check=True)
    aws = os.path.join(awscli, "bin", "aws")
    moto_server = os.path.join(TOOLS, "venv", "bin", "moto_server")
    if not os.path.exists(moto_server):
        sys.exit("moto_server is missing: run scripts/test.sh once (it installs target/tools/venv)")

    bench = os.path.join(ROOT, "target", "bench", "publish")
    shutil.rmtree(bench, ignore_errors=True)
    catalog = os.path.join(bench, "catalog")
    subprocess.run([GEN, "--services", str(opts.services), "--definitions", "200", "--versions", "5", "--out", catalog],
                   check=True, stderr=subprocess.DEVNULL)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        timed([aws, "--endpoint-url", endpoint, "s3", "mb", "s3://bench"])
        rows = []

        # cairn: build once into dist, publish; change a service, rebuild, publish.
        dist = os.path.join(bench, "dist")
        publish = [CAIRN, "--root", catalog, "-q", "publish", "--to", "s3://bench/cairn/", "--endpoint-url", endpoint, "--dist", dist]
        build = [CAIRN, "--root", catalog, "-q", "build", "--out", dist, "--base-url", "/cairn/"]
        timed(build)
        files = sum(len(f) for _, _, f in os.walk(dist))
        elapsed, out = timed(publish)
        rows.append(("`cairn publish`", "first publish (empty prefix)", out.strip(), elapsed))
        changed = change_one_service(catalog)
        timed(build)
        elapsed, out = timed(publish)
        rows.append(("`cairn publish`", "one service changed", out.strip(), elapsed))

        # aws s3 sync on the same trees (rebuilt: every file has a new mtime).
        build_sync = [CAIRN, "--root", catalog, "-q", "build", "--out", dist, "--base-url", "/sync/"]
        restored = open(changed).read().replace("description: Changed for the benchmark. ", "description: ", 1)
        open(changed, "w").write(restored)
        timed(build_sync)
        sync = [aws, "--endpoint-url", endpoint, "s3", "sync", "--delete", "--no-progress", dist, "s3://bench/sync/"]
        elapsed, out = timed(sync)
        rows.append(("`aws s3 sync --delete`", "first sync (empty prefix)", f"{len(re.findall('^upload:', out, re.M))} uploaded", elapsed))
        change_one_service(catalog)
        time.sleep(1.1)  # sync compares size and mtime at one-second resolution
        timed(build_sync)
        elapsed, out = timed(sync)
        rows.append(("`aws s3 sync --delete`", "one service changed", f"{len(re.findall('^upload:', out, re.M))} uploaded, {len(re.findall('^delete:', out, re.M))} deleted", elapsed))
    finally:
        moto.terminate()
        moto.wait()

    print(f"{opts.services} services, {files} files in the portal; moto {endpoint}; {os.cpu_count()} cores\n")
    print("| tool | run | objects | wall time |")
    print("| --- | --- | --- | ---: |")
    for tool, run, objects, elapsed in rows:
        print(f"| {tool} | {run} | {objects} | {elapsed:.1f} s |")


if __name__ == "__main__":
    main()
