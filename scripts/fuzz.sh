#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (zt-core's request parsers).
#
#   scripts/fuzz.sh --short          each target for 5 seconds (a CI smoke run)
#   scripts/fuzz.sh                  each target for 10 million executions
#   scripts/fuzz.sh [--short] T...   only the named targets
#
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags.
# The sanitizer defaults to none (zt-core forbids unsafe code); set FUZZ_SANITIZER=address
# to use ASan on a toolchain that has it. New corpus entries go to fuzz/corpus/<target>,
# crashes to fuzz/artifacts/<target>; both are ignored by git. Exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

mode=long
targets=()
for arg in "$@"; do
  case "$arg" in
    --short) mode=short ;;
    --long) mode=long ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
sanitizer="${FUZZ_SANITIZER:-none}"
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

case "$mode" in
  short) limit=(-max_total_time=5) ;;
  long) limit=(-runs=10000000) ;;
esac

cargo fuzz build --release -s "$sanitizer"
for target in "${targets[@]}"; do
  echo "== $target ($mode)"
  mkdir -p "corpus/$target"
  cargo fuzz run --release -s "$sanitizer" "$target" "corpus/$target" "seeds/$target" -- \
    "${limit[@]}" -max_len=8192 -print_final_stats=1
done
echo "fuzzing finished without a finding: ${targets[*]}"
