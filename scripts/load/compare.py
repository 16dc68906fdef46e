#!/usr/bin/env python3
"""Drives wrk against zt-load-server and prints the comparison as Markdown.

Rounds alternate the targets (plain, httpauth, zt uncached, zt cached) so that drift in the
machine's speed spreads over all of them; the table gives medians over rounds and ratios
against the unprotected handler. Then an unknown-kid storm: valid traffic alone, then the same
valid traffic beside a second wrk sending tokens with unknown key ids.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

TARGETS = [
    ("plain", "unprotected handler"),
    ("httpauth", "actix-web-httpauth + jsonwebtoken per request"),
    ("zt/uncached", "#[zero_trust], verified-token cache off"),
    ("zt/cached", "#[zero_trust], verified-token cache on (default)"),
]
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url, token, duration, connections, script=None, script_arg=None):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}", "--latency"]
    if script:
        cmd += ["-s", script]
    else:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    cmd.append(url)
    if script_arg:
        cmd += ["--", script_arg]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        lat[pct] = float(m.group(1)) * UNITS[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def stats(base):
    with urllib.request.urlopen(f"{base}/stats") as response:
        return json.load(response)


def main():
    base, workdir = sys.argv[1], sys.argv[2]
    rounds = int(os.environ.get("ROUNDS", "5"))
    duration = os.environ.get("DURATION", "5s")
    connections = int(os.environ.get("CONNECTIONS", "16"))
    token = open(os.path.join(workdir, "token")).read().strip()

    for target, _ in TARGETS:  # warm-up, and a check that every target answers 200
        result = wrk(f"{base}/{target}", token, "1s", connections)
        if result["non2xx"]:
            sys.exit(f"{target} answered {result['non2xx']} non-2xx responses during warm-up")

    runs = {target: [] for target, _ in TARGETS}
    for round_no in range(rounds):
        order = TARGETS if round_no % 2 == 0 else list(reversed(TARGETS))
        for target, _ in order:
            runs[target].append(wrk(f"{base}/{target}", token, duration, connections))
            print(f"round {round_no + 1} {target}: {runs[target][-1]}", file=sys.stderr)

    med = {t: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
           for t, rs in runs.items()}
    plain = med["plain"]["rps"]
    print(f"wrk -t1 -c{connections} -d{duration}, {rounds} alternating rounds, medians\n")
    print("| handler | requests/s | ratio to unprotected | p50 | p99 |")
    print("|---|---|---|---|---|")
    for target, label in TARGETS:
        m = med[target]
        print(f"| {label} | {m['rps']:.0f} | {m['rps'] / plain:.2f} | "
              f"{m['p50']:.2f} ms | {m['p99']:.2f} ms |")

    before = stats(base)["uncached_key_fetches"]
    quiet = wrk(f"{base}/zt/uncached", token, duration, connections // 2)
    storm_proc = subprocess.Popen(
        ["wrk", "-t1", f"-c{connections // 2}", f"-d{duration}", "-s",
         os.path.join(os.path.dirname(__file__), "storm.lua"),
         f"{base}/zt/uncached", "--", os.path.join(workdir, "storm-tokens")],
        stdout=subprocess.PIPE, text=True)
    time.sleep(0.2)
    stormy = wrk(f"{base}/zt/uncached", token, duration, connections // 2)
    storm_out = storm_proc.communicate()[0]
    storm_requests = int(re.search(r"(\d+) requests in", storm_out).group(1))
    fetches = stats(base)["uncached_key_fetches"] - before
    print(f"\nUnknown-kid storm on `/zt/uncached` ({duration}, {connections // 2} valid "
          f"connections, {connections // 2} storm connections):\n")
    print("| valid traffic | requests/s | p50 | p99 |")
    print("|---|---|---|---|")
    print(f"| alone | {quiet['rps']:.0f} | {quiet['p50']:.2f} ms | {quiet['p99']:.2f} ms |")
    print(f"| beside the storm | {stormy['rps']:.0f} | {stormy['p50']:.2f} ms | "
          f"{stormy['p99']:.2f} ms |")
    print(f"\nStorm requests sent: {storm_requests}; key-set fetches they caused: {fetches}; "
          f"valid p99 ratio (storm / alone): {stormy['p99'] / quiet['p99']:.2f}; "
          f"valid requests refused during the storm: {stormy['non2xx']}")


if __name__ == "__main__":
    main()
