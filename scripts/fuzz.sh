#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/) for SECONDS each (default
# 60) from the committed seed corpus in fuzz/corpus/TARGET, and exits non-zero
# when any target crashes, hangs (over 10 s on one input) or runs out of
# memory. Not part of CI: it needs cargo-fuzz (`cargo install cargo-fuzz`)
# and a nightly compiler, or RUSTC_BOOTSTRAP=1 on a stable one (set here
# when the compiler is not nightly).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# New inputs the fuzzer finds go to fuzz/target/corpus/TARGET (not committed;
# later runs start from them too), crashes to fuzz/artifacts/TARGET/; replay
# one with `fuzz/target/<host>/release/TARGET fuzz/artifacts/TARGET/crash-...`
# and turn it into a test in tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

SECONDS_EACH=${1:-60}
if ! [[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
shift || true

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
  exit 2
fi
if ! rustc --version | grep -q nightly; then
  # cargo-fuzz passes -Z flags (sanitizer, coverage instrumentation).
  export RUSTC_BOOTSTRAP=1
fi

TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  mapfile -t TARGETS < <(cargo fuzz list)
fi

echo "== building ${TARGETS[*]} (release, with debug assertions)" >&2
cargo fuzz build -O --debug-assertions >&2

HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN_DIR=fuzz/target/$HOST_TRIPLE/release
LOG_DIR=fuzz/target/logs
mkdir -p "$LOG_DIR"

# The value of libFuzzer's final `stat::NAME:` line in a log.
stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1 || true; }

FAILED=()
ROWS=()
for target in "${TARGETS[@]}"; do
  seeds=fuzz/corpus/$target
  work=fuzz/target/corpus/$target
  artifacts=fuzz/artifacts/$target
  log=$LOG_DIR/$target.log
  dict=fuzz/dicts/$target.dict
  mkdir -p "$seeds" "$work" "$artifacts"
  options=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -f $dict ]] && options+=(-dict="$dict")
  echo "== $target: ${SECONDS_EACH} s" >&2
  set +e
  "$BIN_DIR/$target" "${options[@]}" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  # The last status line: `#RUNS ... cov: N ft: N corp: N/SIZE ... exec/s: N`.
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  runs=$(stat "$log" number_of_executed_units)
  speed=$(stat "$log" average_exec_per_sec)
  rss=$(stat "$log" peak_rss_mb)
  if ((rc == 0)); then
    result=ok
  else
    result="FAILED (exit $rc; see $log and $artifacts/)"
    FAILED+=("$target")
    grep -E -m 3 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" >&2 || true
  fi
  ROWS+=("$(printf '%-22s %10s %8s %6s %6s %6s %7s  %s' "$target" "${runs:-?}" "${speed:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result")")
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(rustc --version)"
printf '%-22s %10s %8s %6s %6s %6s %7s  %s\n' target runs exec/s cov ft corpus rss_mb result
for row in "${ROWS[@]}"; do echo "$row"; done
if ((${#FAILED[@]})); then
  echo "crashed: ${FAILED[*]}" >&2
  exit 1
fi
