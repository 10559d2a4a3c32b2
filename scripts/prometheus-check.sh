#!/usr/bin/env bash
# The Prometheus side of docs/monitoring.md, for CI (.ci/run calls it before
# `cargo test`): installs Debian's `prometheus` package when `promtool` or
# `prometheus` is missing (the monitoring tests run both), then checks the
# alert rules with `promtool check rules` and runs their unit tests with
# `promtool test rules`. Fails, never skips, when the tools cannot be had.
#
#   scripts/prometheus-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  echo "promtool or prometheus is missing: installing Debian's prometheus package" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "no apt-get here: install Prometheus (promtool and prometheus on PATH) by hand" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package's service must not start: the tests run the binary
  # themselves, on 127.0.0.1, with a temporary configuration. Debian's
  # policy-rc.d answer 101 tells the package scripts so.
  POLICY=/usr/sbin/policy-rc.d
  if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod +x "$POLICY"
    trap 'rm -f "$POLICY"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version | head -n 1

RULES=docs/monitoring/idtoken-doctor.rules.yml
promtool check rules "$RULES"
(cd docs/monitoring && promtool test rules idtoken-doctor.rules.test.yml)
