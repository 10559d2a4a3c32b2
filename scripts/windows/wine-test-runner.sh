#!/usr/bin/env bash
# The runner of the Windows test binaries (`cargo test --target
# x86_64-pc-windows-gnu`, see scripts/windows-check.sh): `wine TEST.exe ARGS`.
#
# Now and then wine loses a process while loading it (inside the tests the
# same shows as ERROR_INTERNAL_ERROR from CreateProcess, see
# tests/spawn_support). The test binary then never ran: a Rust test binary
# writes `running N tests` before anything else, so a failed run with nothing
# on standard output is such a start. It is tried once more, saying so; a run
# that printed anything is passed on as it is, whatever its outcome.
set -uo pipefail

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for attempt in 1 2; do
  wine "$@" >"$out"
  rc=$?
  if [[ $rc == 0 || -s $out || $attempt == 2 ]]; then
    cat "$out"
    exit "$rc"
  fi
  printf 'wine-test-runner: %s exited %s before writing anything (wine lost it while loading); starting it again\n' \
    "$(basename "$1")" "$rc" >&2
done
