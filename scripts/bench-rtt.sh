#!/usr/bin/env bash
# Round-trip figures of issue 14 (run through `scripts/bench.sh --rtt MS [RUNS]`).
#
# A lab Exchange (examples/lab_server.rs) sits behind two forwarding proxies
# (examples/latency_proxy.rs): one delays every TCP chunk and DNS datagram by
# RTT/2 each way (the first chunk of a connection one RTT more, for the TCP
# handshake), the other forwards without delay. Measured side by side:
#   - curl's GET of the amurl, probe pinned with --resolve, probe asking the
#     lab DNS through the proxy, diagnose of a token, with the connections and
#     DNS datagrams each made (counted by the proxy) and the round trips each
#     waited: (time behind the delayed proxy - time behind the undelayed one) / RTT;
#   - diagnose and probe of an Entra token (the NAA chain: the discovery
#     document, then its JWKS, from a lab Entra ID behind its own delayed
#     proxy), beside the legacy chain's;
#   - a batch of 1,000 distinct targets (mail-1 … mail-1000.contoso.test) at
#     --jobs 64: wall time, peak RSS, ratio to ceil(1000/64) x one probe;
#   - 10,000 tokens of one host (and 1,000, for the RSS comparison): wall
#     time beside one probe, peak RSS.
# Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

RTT=$1
RUNS=$2
TOKENS=10000
NAMES=1000
JOBS=64

echo "== building (release)" >&2
cargo build --release --quiet --bin idtoken-doctor --example lab_server --example latency_proxy
TOOL=$PWD/target/release/idtoken-doctor
LAB=$PWD/target/release/examples/lab_server
PROXY=$PWD/target/release/examples/latency_proxy

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until FILE has a first line (a server saying where it listens).
await_line() {
  local file=$1 pid=$2
  for _ in $(seq 1 1200); do
    [[ -s $file ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "a helper died:" >&2
      cat "$file" "$file.err" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  echo "a helper did not start" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SLOW_PORT=$(free_port)
ENTRA_SLOW_PORT=$(free_port)
echo "== starting the lab ($TOKENS tokens, $NAMES names)" >&2
"$LAB" --dir "$WORK" --tokens "$TOKENS" --names "$NAMES" --amurl-port "$SLOW_PORT" \
  --entra-port "$ENTRA_SLOW_PORT" \
  >"$WORK/lab.out" 2>"$WORK/lab.out.err" &
PIDS+=($!)
await_line "$WORK/lab.out" "${PIDS[-1]}"
read -r PORT_KV DNS_KV _ <"$WORK/lab.out"
PORT=${PORT_KV#port=}
LAB_DNS=${DNS_KV#dns=}

start_proxy() {
  local name=$1 rtt=$2 listen=$3 to=${4:-$PORT}
  "$PROXY" --rtt-ms "$rtt" --tcp-to "127.0.0.1:$to" --udp-to "$LAB_DNS" \
    --log "$WORK/$name.log" --listen "$listen" >"$WORK/$name.out" 2>"$WORK/$name.out.err" &
  PIDS+=($!)
  await_line "$WORK/$name.out" "${PIDS[-1]}"
}
start_proxy slow "$RTT" "127.0.0.1:$SLOW_PORT"
start_proxy fast 0 "127.0.0.1:0"
start_proxy entra "$RTT" "127.0.0.1:$ENTRA_SLOW_PORT" "$(cat "$WORK/entra.port")"
read -r TCP_KV _ <"$WORK/fast.out"
FAST_PORT=${TCP_KV##*:}
SLOW_DNS=127.0.0.1:$SLOW_PORT
read -r _ UDP_KV <"$WORK/fast.out"
FAST_DNS=${UDP_KV#udp=}

HOST=mail.contoso.test
CA=$WORK/ca.pem
TOKEN=$(cat "$WORK/token.jwt")
ENTRA_TOKEN=$(cat "$WORK/entra-token.jwt")
url() { echo "https://$HOST:$1/autodiscover/metadata/json/1"; }
net=(--allow-private --ca-file "$CA" --no-system-dns)

# The commands, each through the proxy on port $1 with its DNS at $2.
cmd_curl() { curl -sS -o /dev/null --cacert "$CA" --resolve "$HOST:$1:127.0.0.1" "$(url "$1")"; }
cmd_pinned() { "$TOOL" probe "$(url "$1")" --resolve "$HOST:$1:127.0.0.1" "${net[@]}"; }
cmd_dns() { "$TOOL" probe "$(url "$1")" --dns-server "$2" "${net[@]}"; }
cmd_diagnose() { "$TOOL" diagnose "$TOKEN" --dns-server "$2" "${net[@]}"; }
cmd_probe_token() { "$TOOL" probe "$TOKEN" --dns-server "$2" "${net[@]}"; }
entra_net=(--allow-private --ca-file "$WORK/entra-ca.pem" --no-system-dns)
cmd_naa_probe() { "$TOOL" probe "$ENTRA_TOKEN" --dns-server "$2" "${entra_net[@]}"; }
cmd_naa_diagnose() { "$TOOL" diagnose "$ENTRA_TOKEN" --dns-server "$2" "${entra_net[@]}"; }

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
median() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
best() { sort -n "$1" | head -n 1; }

# Every command in turn, RUNS rounds, behind both proxies; times in
# $WORK/t.NAME.slow and .fast, exit codes of the first slow run in RC_NAME.
# The diagnose token names the slow proxy's port, so it runs there only.
NAMES_MEASURED=(curl pinned dns probe_token diagnose naa_probe naa_diagnose)
declare -A RC
echo "== $RUNS rounds of curl, probe (pinned, DNS), probe and diagnose of a token at RTT $RTT ms and 0" >&2
for name in "${NAMES_MEASURED[@]}"; do
  : >"$WORK/t.$name.slow"
  : >"$WORK/t.$name.fast"
  wall_ms "cmd_$name" "$SLOW_PORT" "$SLOW_DNS" >/dev/null
done
for ((i = 0; i < RUNS; i++)); do
  for name in "${NAMES_MEASURED[@]}"; do
    wall_ms "cmd_$name" "$SLOW_PORT" "$SLOW_DNS" >>"$WORK/t.$name.slow"
    ((i == 0)) && RC[$name]=$LAST_RC
    if [[ $name != diagnose && $name != probe_token && $name != naa_* ]]; then
      wall_ms "cmd_$name" "$FAST_PORT" "$FAST_DNS" >>"$WORK/t.$name.fast"
    fi
  done
done

# Connections and DNS datagrams of one run of each, as the slow proxy saw them.
declare -A CONNS DGRAMS
for name in "${NAMES_MEASURED[@]}"; do
  before_tcp=$(cat "$WORK/slow.log" "$WORK/entra.log" | grep -c '^tcp' || true)
  before_udp=$(cat "$WORK/slow.log" "$WORK/entra.log" | grep -c '^udp' || true)
  "cmd_$name" "$SLOW_PORT" "$SLOW_DNS" >/dev/null 2>&1 || true
  sleep 0.2
  CONNS[$name]=$(($(cat "$WORK/slow.log" "$WORK/entra.log" | grep -c '^tcp' || true) - before_tcp))
  DGRAMS[$name]=$(($(cat "$WORK/slow.log" "$WORK/entra.log" | grep -c '^udp' || true) - before_udp))
done

peak_rss_kib() {
  /usr/bin/time -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$WORK/rss"
}

echo "== batch of $NAMES distinct targets, --jobs $JOBS, at RTT $RTT ms" >&2
for n in $(seq 1 "$NAMES"); do
  echo "https://mail-$n.contoso.test:$SLOW_PORT/autodiscover/metadata/json/1"
done >"$WORK/targets.txt"
BATCH_START=$EPOCHREALTIME
/usr/bin/time -f %M -o "$WORK/rss.targets" "$TOOL" probe --batch "$WORK/targets.txt" --jobs "$JOBS" \
  --dns-server "$SLOW_DNS" "${net[@]}" --format json >"$WORK/targets.json" 2>/dev/null || true
BATCH_WALL=$(awk -v a="$BATCH_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
BATCH_RSS=$(tail -n 1 "$WORK/rss.targets")
BATCH_HEALTHY=$(grep -c '"status":"healthy"' "$WORK/targets.json" || true)
BATCH_REPORTS=$(grep -c '"command"' "$WORK/targets.json" || true)

echo "== $TOKENS tokens of one host, and 1,000 of them, at RTT $RTT ms" >&2
head -n 1000 "$WORK/tokens.txt" >"$WORK/tokens1000.txt"
tokens_run() {
  local file=$1 start=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$WORK/rss.tokens" "$TOOL" probe --batch "$file" \
    --dns-server "$SLOW_DNS" "${net[@]}" --format json >"$WORK/tokens.json" 2>/dev/null || true
  TOKENS_WALL=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
  TOKENS_RSS=$(tail -n 1 "$WORK/rss.tokens")
  TOKENS_HEALTHY=$(grep -c '"status":"healthy"' "$WORK/tokens.json" || true)
}
tokens_run "$WORK/tokens1000.txt"
T1000_WALL=$TOKENS_WALL T1000_RSS=$TOKENS_RSS T1000_HEALTHY=$TOKENS_HEALTHY
tokens_run "$WORK/tokens.txt"
T10000_WALL=$TOKENS_WALL T10000_RSS=$TOKENS_RSS T10000_HEALTHY=$TOKENS_HEALTHY
RSS_ONE=$(peak_rss_kib "$TOOL" probe "$(url "$SLOW_PORT")" --dns-server "$SLOW_DNS" "${net[@]}")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rtts() { awk -v s="$1" -v f="$2" -v r="$RTT" 'BEGIN { if (r > 0) printf "%.1f", (s - f) / r; else print "-" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
met() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v <= lim) ? "met" : "MISSED" }'; }

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "tool: $("$TOOL" --version 2>/dev/null | head -n 1); curl: $(curl --version | head -n 1 | cut -d' ' -f1-2)"
echo "RTT $RTT ms (each TCP chunk and DNS datagram +$((RTT / 2)) ms each way, +$RTT ms before a connection's first chunk); $RUNS runs each"
echo
printf '%-38s %10s %10s %10s %5s %5s %4s\n' "command (exit code)" "median" "best" "at RTT 0" "RTTs" "conns" "dns"
printf '%-38s %10s %10s %10s %5s %5s %4s\n' "" "" "" "" "" "" "sent"
for name in "${NAMES_MEASURED[@]}"; do
  slow=$(median "$WORK/t.$name.slow")
  fast=-
  trips=-
  if [[ -s $WORK/t.$name.fast ]]; then
    fast=$(awk -v v="$(median "$WORK/t.$name.fast")" 'BEGIN { printf "%.1f", v }')
    trips=$(rtts "$slow" "$fast")
  fi
  label=$name
  case $name in
    curl) label="curl GET, pinned" ;;
    pinned) label="probe, pinned (--resolve)" ;;
    dns) label="probe, DNS via the proxy" ;;
    probe_token) label="probe TOKEN, DNS via the proxy" ;;
    diagnose) label="diagnose TOKEN, DNS via the proxy" ;;
    naa_probe) label="probe ENTRA-TOKEN, DNS via the proxy" ;;
    naa_diagnose) label="diagnose ENTRA-TOKEN, DNS via proxy" ;;
  esac
  printf '%-38s %7.1f ms %7.1f ms %7s ms %5s %5s %4s\n' "$label (${RC[$name]})" "$slow" "$(best "$WORK/t.$name.slow")" \
    "$fast" "$trips" "${CONNS[$name]}" "${DGRAMS[$name]}"
done
CURL=$(median "$WORK/t.curl.slow")
PINNED=$(median "$WORK/t.pinned.slow")
DNS=$(median "$WORK/t.dns.slow")
DIAG=$(median "$WORK/t.diagnose.slow")
PTOKEN=$(median "$WORK/t.probe_token.slow")
echo
printf '%-52s %8s %12s %s\n' "target" "figure" "limit" "verdict"
R=$(ratio "$PINNED" "$CURL")
printf '%-52s %7sx %12s %s\n' "probe pinned / curl GET" "$R" "<= 1.2x" "$(met "$R" 1.2)"
printf '%-52s %8s %12s %s\n' "probe pinned: connections" "${CONNS[pinned]}" "<= 2" "$(met "${CONNS[pinned]}" 2)"
EXTRA=$(awk -v a="$DNS" -v b="$PINNED" -v r="$RTT" 'BEGIN { printf "%.2f", (a - b) / r }')
# A tenth of an RTT is within the noise of these timings.
printf '%-52s %7s RTT %10s %s\n' "probe with DNS - pinned (medians)" "$EXTRA" "<= 1 RTT" "$(met "$EXTRA" 1.1)"
R=$(ratio "$DIAG" "$PTOKEN")
printf '%-52s %7sx %12s %s\n' "diagnose / probe (same token)" "$R" "<= 1.1x" "$(met "$R" 1.1)"
NAA=$(median "$WORK/t.naa_diagnose.slow")
printf '%-52s %7s RTT %12s\n' "NAA diagnose - legacy diagnose (medians)" "$(awk -v a="$NAA" -v b="$DIAG" -v r="$RTT" 'BEGIN { printf "%.2f", (a - b) / r }')" ""
BOUND=$(awk -v n="$NAMES" -v j="$JOBS" -v p="$DNS" 'BEGIN { printf "%.0f", (int((n + j - 1) / j)) * p }')
R=$(ratio "$BATCH_WALL" "$BOUND")
printf '%-52s %7sx %12s %s\n' "$NAMES targets, --jobs $JOBS: $BATCH_WALL ms / ${BOUND} ms" "$R" "<= 1.5x" "$(met "$R" 1.5)"
printf '%-52s %8s %12s %s\n' "$NAMES targets: peak RSS" "$(mib "$BATCH_RSS")" "< 64 MiB" "$(met "$BATCH_RSS" 65535)"
echo "   ($BATCH_REPORTS reports, $BATCH_HEALTHY healthy)"
R=$(ratio "$T10000_WALL" "$DNS")
printf '%-52s %7sx %12s\n' "$TOKENS tokens of one host: $T10000_WALL ms / one probe" "$R" ""
printf '%-52s %8s %12s %s\n' "$TOKENS tokens: peak RSS (1,000: $(mib "$T1000_RSS"))" "$(mib "$T10000_RSS")" "<= 1,000's" "$(met "$T10000_RSS" "$((T1000_RSS + T1000_RSS / 20))")"
echo "   (1,000 tokens: $T1000_WALL ms, $T1000_HEALTHY healthy; $TOKENS tokens: $T10000_HEALTHY healthy; one probe: $(mib "$RSS_ONE"))"
