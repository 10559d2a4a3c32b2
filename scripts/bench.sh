#!/usr/bin/env bash
# Whole-process figures of issue 6, against a lab Exchange on 127.0.0.1
# (examples/lab_server.rs): decode wall time, probe beside curl fetching the
# same URL with the same CA, peak RSS, DNS with a dead resolver beside a live
# one, and a batch of 200 tokens on one host. Prints a table.
#
#   scripts/bench.sh [RUNS]            RUNS: timed runs per figure (default 30)
#   scripts/bench.sh --rtt MS [RUNS]   the same lab behind a latency proxy
#                                      (examples/latency_proxy.rs) that delays
#                                      every TCP chunk and DNS datagram by MS/2
#                                      each way: curl's GET beside probe
#                                      (pinned, and with DNS), diagnose, and the
#                                      batch figures (default 11 runs)
#
# Only 127.0.0.1 is contacted. The criterion micro-benchmarks of the offline
# work are separate: `cargo bench --bench links`.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C # EPOCHREALTIME and awk agree on the decimal point

usage() {
  echo "usage: scripts/bench.sh [--rtt MS] [RUNS]" >&2
  exit 2
}
RTT=
if [[ ${1:-} == --rtt ]]; then
  RTT=${2:-}
  [[ $RTT =~ ^[0-9]+$ ]] || usage
  shift 2
fi
if [[ -n $RTT ]]; then
  RUNS=${1:-11}
else
  RUNS=${1:-30}
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
if [[ -n $RTT ]]; then
  exec bash "$(dirname "$0")/bench-rtt.sh" "$RTT" "$RUNS"
fi
BATCH_RUNS=$(((RUNS + 5) / 6)) # a batch is 200 probes' worth of work
DNS_RUNS=$(((RUNS + 2) / 3))

echo "== building (release)" >&2
cargo build --release --quiet --bin idtoken-doctor --example lab_server
TOOL=$PWD/target/release/idtoken-doctor
LAB=$PWD/target/release/examples/lab_server

WORK=$(mktemp -d)
LAB_PID=
cleanup() {
  if [[ -n $LAB_PID ]]; then
    kill "$LAB_PID" 2>/dev/null || true
    wait "$LAB_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$LAB" --dir "$WORK" --tokens 200 >"$WORK/lab.out" 2>"$WORK/lab.err" &
LAB_PID=$!
for _ in $(seq 1 600); do
  [[ -s $WORK/lab.out ]] && break
  if ! kill -0 "$LAB_PID" 2>/dev/null; then
    echo "lab_server died:" >&2
    cat "$WORK/lab.err" >&2
    exit 1
  fi
  sleep 0.1
done
read -r PORT_KV DNS_KV DEAD_KV <"$WORK/lab.out" || true
PORT=${PORT_KV#port=}
LAB_DNS=${DNS_KV#dns=}
DEAD_DNS=${DEAD_KV#dead_dns=}
if ! [[ $PORT =~ ^[0-9]+$ ]]; then
  echo "lab_server did not say its port (got: $(cat "$WORK/lab.out"))" >&2
  exit 1
fi

HOST=mail.contoso.test
URL="https://$HOST:$PORT/autodiscover/metadata/json/1"
EWS="https://$HOST:$PORT/EWS/Exchange.asmx"
CA=$WORK/ca.pem
PIN="$HOST:$PORT:127.0.0.1"
TOKEN=$(cat "$WORK/token.jwt")

# Wall time in ms of one run of a command (output discarded); its exit code
# is left in LAST_RC.
LAST_RC=0
wall_ms() {
  local start=$EPOCHREALTIME end
  set +e
  "$@" >/dev/null 2>&1
  LAST_RC=$?
  set -e
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# Median of the numbers in a file.
median() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Runs each named command once to warm up, then RUNS rounds taking them in
# turn (so that drift in the machine's load hits all alike); the times land
# in $WORK/t.NAME and the first timed run's exit code in RC_NAME.
# Usage: measure RUNS NAME1 NAME2 ...; each NAME's command is the function cmd_NAME.
measure() {
  local runs=$1 name i
  shift
  for name in "$@"; do
    : >"$WORK/t.$name"
    wall_ms "cmd_$name" >/dev/null
  done
  for ((i = 0; i < runs; i++)); do
    for name in "$@"; do
      wall_ms "cmd_$name" >>"$WORK/t.$name"
      if ((i == 0)); then printf -v "RC_$name" '%s' "$LAST_RC"; fi
    done
  done
}

net=(--allow-private --ca-file "$CA" --no-system-dns)
cmd_decode() { "$TOOL" decode "$TOKEN"; }
cmd_probe() { "$TOOL" probe "$URL" --resolve "$PIN" "${net[@]}"; }
cmd_curl() { curl -sS -o /dev/null --cacert "$CA" --resolve "$PIN" "$URL"; }
# What probe asks of the server: the metadata document and EWS, in one process.
# The lab answers one request per connection, so curl connects twice (resuming
# the TLS session); probe connects three times (tls stage, http, ews).
cmd_curl_ews() { curl -sS -o /dev/null -o /dev/null --cacert "$CA" --resolve "$PIN" "$URL" "$EWS"; }
cmd_dns_lab() { "$TOOL" probe "$URL" --dns-server "$LAB_DNS" "${net[@]}"; }
cmd_dns_dead() { "$TOOL" probe "$URL" --dns-server "$DEAD_DNS" --dns-server "$LAB_DNS" "${net[@]}"; }
cmd_single() { "$TOOL" probe "$TOKEN" --resolve "$PIN" "${net[@]}"; }
cmd_batch() { "$TOOL" probe --batch "$WORK/tokens.txt" --jobs 8 --resolve "$PIN" "${net[@]}"; }

HAVE_CURL=yes
command -v curl >/dev/null || HAVE_CURL=

echo "== decode ($RUNS runs)" >&2
measure "$RUNS" decode
echo "== probe beside curl ($RUNS runs each, interleaved)" >&2
if [[ -n $HAVE_CURL ]]; then
  measure "$RUNS" probe curl curl_ews
else
  echo "curl is not installed: probe is measured alone" >&2
  measure "$RUNS" probe
fi
echo "== DNS: lab resolver alone, then a dead resolver beside it ($DNS_RUNS runs)" >&2
measure "$DNS_RUNS" dns_lab dns_dead
echo "== batch of 200 tokens, --jobs 8, beside one token ($BATCH_RUNS runs)" >&2
measure "$BATCH_RUNS" single batch
# How many reports the batch printed, and how often the metadata was fetched.
BATCH_REPORTS=$("$TOOL" probe --batch "$WORK/tokens.txt" --jobs 8 --resolve "$PIN" "${net[@]}" --format json 2>/dev/null |
  grep -c '"command"' || true)

# Peak resident set size (KiB) of one probe, and of curl for scale.
peak_rss_kib() {
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || true
    tail -n 1 "$WORK/rss"
  else
    # No GNU time: the largest child's maxrss, as getrusage reports it (KiB on Linux).
    python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
  fi
}
RSS_PROBE=$(peak_rss_kib "$TOOL" probe "$URL" --resolve "$PIN" "${net[@]}")
RSS_DECODE=$(peak_rss_kib "$TOOL" decode "$TOKEN")
RSS_BATCH=$(peak_rss_kib "$TOOL" probe --batch "$WORK/tokens.txt" --jobs 8 --resolve "$PIN" "${net[@]}")
RSS_CURL=
[[ -n $HAVE_CURL ]] && RSS_CURL=$(peak_rss_kib curl -sS -o /dev/null --cacert "$CA" --resolve "$PIN" "$URL")

m() { median "$WORK/t.$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v < lim) ? "met" : "MISSED" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

DECODE=$(m decode)
PROBE=$(m probe)
DNS_LAB=$(m dns_lab)
DNS_DEAD=$(m dns_dead)
SINGLE=$(m single)
BATCH=$(m batch)

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "tool: $("$TOOL" --version 2>/dev/null | head -n 1)"
[[ -n $HAVE_CURL ]] && echo "curl: $(curl --version | head -n 1 | cut -d' ' -f1-2)"
echo
printf '%-44s %12s %10s %s\n' "figure" "median" "target" "verdict"
printf '%-44s %12s %10s %s\n' "--------------------------------------------" "------------" "----------" "-------"
printf '%-44s %9s ms %10s %s\n' "decode, whole process (exit $RC_decode)" "$DECODE" "< 5 ms" "$(verdict "$DECODE" 5)"
printf '%-44s %9s ms\n' "probe, pinned, lab CA (exit $RC_probe)" "$PROBE"
if [[ -n $HAVE_CURL ]]; then
  CURL=$(m curl)
  CURL_EWS=$(m curl_ews)
  R=$(ratio "$PROBE" "$CURL")
  R_EWS=$(ratio "$PROBE" "$CURL_EWS")
  printf '%-44s %9s ms\n' "curl, metadata URL (exit $RC_curl)" "$CURL"
  printf '%-44s %9s ms\n' "curl, metadata + EWS URL (exit $RC_curl_ews)" "$CURL_EWS"
  printf '%-44s %10s x %10s %s\n' "probe / curl (metadata)" "$R" "< 1.5x" "$(verdict "$R" 1.5)"
  printf '%-44s %10s x %10s %s\n' "probe / curl (metadata + EWS, same work)" "$R_EWS" "< 1.5x" "$(verdict "$R_EWS" 1.5)"
fi
printf '%-44s %12s %10s %s\n' "peak RSS, one probe" "$(mib "$RSS_PROBE")" "< 20 MiB" "$(verdict "$RSS_PROBE" 20480)"
printf '%-44s %12s\n' "peak RSS, decode" "$(mib "$RSS_DECODE")"
printf '%-44s %12s\n' "peak RSS, batch of 200 (--jobs 8)" "$(mib "$RSS_BATCH")"
[[ -n $RSS_CURL ]] && printf '%-44s %12s\n' "peak RSS, curl" "$(mib "$RSS_CURL")"
printf '%-44s %9s ms\n' "probe via lab DNS alone (exit $RC_dns_lab)" "$DNS_LAB"
printf '%-44s %9s ms\n' "probe via dead + lab DNS (exit $RC_dns_dead)" "$DNS_DEAD"
DNS_EXTRA=$(awk -v a="$DNS_DEAD" -v b="$DNS_LAB" 'BEGIN { printf "%.1f", a - b }')
printf '%-44s %9s ms %10s %s\n' "  cost of the dead resolver" "$DNS_EXTRA" "~0" "$(verdict "$DNS_EXTRA" 50)"
printf '%-44s %9s ms\n' "probe of one token (exit $RC_single)" "$SINGLE"
printf '%-44s %9s ms\n' "batch of 200 tokens, --jobs 8 (exit $RC_batch)" "$BATCH"
RB=$(ratio "$BATCH" "$SINGLE")
printf '%-44s %10s x %10s %s\n' "batch / single" "$RB" "< 3x" "$(verdict "$RB" 3)"
echo
echo "runs: $RUNS per figure (DNS $DNS_RUNS, batch $BATCH_RUNS); batch printed $BATCH_REPORTS reports; lab server on 127.0.0.1:$PORT"
