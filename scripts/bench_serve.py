#!/usr/bin/env python3
"""Benchmarks `cairn serve` (the preview server) on a generated catalog.

    python3 scripts/bench_serve.py                   # 10k services
    python3 scripts/bench_serve.py --services 1000 --edits 10
    python3 scripts/bench_serve.py --binary /tmp/cairn-before    # another build

Builds the release binary and the generator, generates the catalog under
target/bench/serve-N/ (once), starts `cairn serve --port 0` on it and:

* edit latency: rewrites one service file (a new description) and measures
  the time from the file being saved (written and closed) to the rebuilt
  page being served with the new text (the page is polled every 2 ms), and
  to the `build.completed` event arriving on an SSE stream; median and best
  of --edits edits, with the server's own "rebuilt in N ms". Between
  edits it waits for the previous build's search index (built in the
  background after the pages are served);
* throughput: `wrk` (Debian's package) with 100 connections on two threads
  for --seconds against a cached service page (HTML, with the live-reload
  script injected per request) and a JSON API file: requests per second and
  the 50th/99th percentile latency.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAIRN = os.path.join(ROOT, "target", "release", "cairn")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_catalog")


def find_service(catalog):
    """The first generated service file and its entity name."""
    for directory, _, names in sorted(os.walk(catalog)):
        for name in sorted(names):
            path = os.path.join(directory, name)
            if not name.endswith(".yaml"):
                continue
            text = open(path).read()
            if "kind: Component" in text and "\n  description:" in text:
                entity = re.search(r"\n  name: ([^\n]+)", text).group(1).strip()
                return path, entity
    sys.exit("no service with a description in the catalog")


class Events(threading.Thread):
    """Reads the SSE stream; records when each build.completed arrived."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        self.completed = []
        self.lock = threading.Lock()

    def run(self):
        buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return
            now = time.perf_counter()
            buffer += data
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                if b"event: build.completed" in frame:
                    with self.lock:
                        self.completed.append(now)


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c100", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return rps, latency.get("50"), latency.get("99"), errors.group(0) if errors else "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--edits", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--binary", help="measure this cairn binary (e.g. an older build) instead of target/release/cairn")
    opts = parser.parse_args()
    cairn = opts.binary or CAIRN
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "--bin", "cairn", "--example", "gen_catalog"],
                   cwd=ROOT, check=True)
    catalog = os.path.join(ROOT, "target", "bench", f"serve-{opts.services}", "catalog")
    if not os.path.exists(catalog):
        subprocess.run([GEN, "--services", str(opts.services), "--definitions", "200", "--versions", "5",
                        "--out", catalog], check=True, stderr=subprocess.DEVNULL)
    path, name = find_service(catalog)
    original = open(path).read()
    log = open(os.path.join(os.path.dirname(catalog), "serve.log"), "w+")
    server = subprocess.Popen([cairn, "--root", catalog, "serve", "--port", "0"], stdout=subprocess.PIPE,
                              stderr=log, text=True)
    try:
        url = re.search(r"http://\S+", server.stdout.readline()).group(0)
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        threading.Thread(target=lambda: server.stdout.read(), daemon=True).start()
        started = time.perf_counter()
        while True:
            try:
                if get(url + "ready").startswith(b"ready"):
                    break
            except OSError:
                pass
            time.sleep(0.05)
        print(f"first build served after {time.perf_counter() - started:.2f} s")
        events = Events(port)
        events.start()
        page = f"{url}component/default/{name.lower()}/index.html"
        assert get(page)

        served, announced = [], []
        for n in range(opts.edits):
            marker = f"bench-edit-{n}-{time.time_ns()}"
            with events.lock:
                seen = len(events.completed)
            text = original.replace("\n  description:", f"\n  description: {marker}", 1)
            with open(path, "w") as f:
                f.write(text)
            saved = time.perf_counter()
            while marker.encode() not in get(page):
                time.sleep(0.002)
            served.append(time.perf_counter() - saved)
            while True:
                with events.lock:
                    if len(events.completed) > seen:
                        announced.append(events.completed[seen] - saved)
                        break
                time.sleep(0.002)
            # Let the build finish its background work (the search index,
            # which a search request waits for) before the next edit.
            get(f"{url}api/v1/search?q={marker}&limit=1")
            time.sleep(0.2)
        with open(path, "w") as f:
            f.write(original)
        log.flush()
        log.seek(0)
        rebuilt = [int(m) for m in re.findall(r"rebuilt in (\d+) ms", log.read())]
        ms = lambda xs: f"median {statistics.median(xs) * 1000:.0f} ms, best {min(xs) * 1000:.0f} ms"
        print(f"save → page served: {ms(served)} over {opts.edits} edits")
        print(f"save → build.completed event: {ms(announced)}")
        if rebuilt:
            print(f"server's rebuild (compile + render + diff + swap): median {statistics.median(rebuilt)} ms")
        time.sleep(1)

        for label, target in [("service page (HTML)", page), ("JSON API file", f"{url}api/v1/status.json")]:
            rps, p50, p99, errors = wrk(target, opts.seconds)
            print(f"{label}: {rps:,.0f} requests/s, p50 {p50}, p99 {p99}, errors: {errors}")
    finally:
        with open(path, "w") as f:
            f.write(original)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
