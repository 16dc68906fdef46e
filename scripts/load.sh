#!/usr/bin/env bash
# Load test on loopback: one handler unprotected, protected the usual way, and protected by
# #[zero_trust] with and without the verified-token cache, in alternating wrk runs; then an
# unknown-kid storm. Prints Markdown tables for BENCHMARKS.md.
#
# Settings (environment): ROUNDS (default 5), DURATION (wrk -d, default 5s), CONNECTIONS
# (default 16). The server runs one worker; wrk runs one thread on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y wrk >/dev/null
fi

cargo build --release -p zt-load-server
workdir="$(mktemp -d)"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
"$target_dir/release/zt-load-server" "$workdir" 2>"$workdir/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$workdir"' EXIT

for _ in $(seq 100); do
    [ -s "$workdir/ready" ] && break
    sleep 0.1
done
[ -s "$workdir/ready" ] || { echo "zt-load-server did not start:" >&2; cat "$workdir/server.log" >&2; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "versions: $(rustc --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo
python3 scripts/load/compare.py "http://$(cat "$workdir/ready")" "$workdir"
