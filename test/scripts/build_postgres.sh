#!/usr/bin/env bash
# build_postgres.sh NN: build PostgreSQL NN from the upstream tarball inside
# Debian's source package, once per machine, and print its pg_config path
# (the only line on stdout; progress goes to stderr).
#
#   bash test/scripts/build_postgres.sh 18
#
# The installation is $VALUECHECK_PG_CACHE/pg-NN, by default
# /var/cache/valuecheck/pg-NN as root, else ~/.cache/valuecheck/pg-NN.
# A complete installation there is reused as it is; remove the directory to
# build again (say, after a new minor release).
#
# It holds: the server (plain `./configure --prefix=...`), contrib/btree_gist
# (valuecheck needs it), pg_regress and the isolation tester (the test
# harness needs them, under lib/.../pgxs/src/test/).
#
# The source package comes from the Debian archive this machine's apt sources
# already name (its main archive, not the security one), looked up in the
# suites $VALUECHECK_PG_SUITES (default: this release's codename, trixie and
# sid; the newest postgresql-NN among them wins) through a private apt
# configuration under the cache directory: the machine's apt configuration
# is left as it is.  apt checks the archive's signature and the tarball's
# checksum.
#
# Runs as root, or as a user with sudo (for apt-get install of the build
# dependencies only).
set -euo pipefail
umask 022
# run from `make test`: PostgreSQL's makefiles build their generated headers
# only at MAKELEVEL 0, and an outer make's flags are not for this build
unset MAKEFLAGS MFLAGS MAKELEVEL

MAJOR="${1:-}"
[[ "$MAJOR" =~ ^[0-9]+$ ]] && [ "$MAJOR" -ge 13 ] ||
    { echo "usage: build_postgres.sh MAJOR   (13 or later, e.g. 18)" >&2; exit 2; }

say() { printf 'build_postgres: %s\n' "$*" >&2; }
die() { printf 'build_postgres: error: %s\n' "$*" >&2; exit 1; }
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -- "$@"
    else die "installing build dependencies needs root or sudo ($*)"
    fi
}

if [ -n "${VALUECHECK_PG_CACHE:-}" ]; then
    CACHE="$VALUECHECK_PG_CACHE"
elif [ "$(id -u)" -eq 0 ]; then
    CACHE=/var/cache/valuecheck
else
    CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/valuecheck"
fi
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
PREFIX="$CACHE/pg-$MAJOR"
STAMP="$PREFIX/.valuecheck-build-complete"

complete() { [ -f "$STAMP" ] && [ -x "$PREFIX/bin/pg_config" ]; }
done_msg() {
    say "using $("$PREFIX/bin/pg_config" --version) in $PREFIX"
    printf '%s\n' "$PREFIX/bin/pg_config"
    exit 0
}
complete && done_msg

# one build at a time per major (a second run waits, then reuses it)
exec 8>>"$CACHE/pg-$MAJOR.lock"
if ! flock -n 8; then
    say "waiting for another build of PostgreSQL $MAJOR ($CACHE/pg-$MAJOR.lock) ..."
    flock -w 7200 8 || die "gave up waiting for $CACHE/pg-$MAJOR.lock"
fi
complete && done_msg
t0=$(date +%s)

# ---- build dependencies (Debian packages)
deps=(build-essential bison flex libreadline-dev zlib1g-dev libicu-dev pkg-config
      perl dpkg-dev bzip2 xz-utils ca-certificates)
missing=()
for p in "${deps[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# ---- the archive address, from the machine's own apt sources
# Prints "URI KEYRING" for the first source that serves this release's main
# suite (deb822 *.sources first, then one-line *.list files).
codename="$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")"
[ -n "$codename" ] || die "cannot tell this machine's Debian release (/etc/os-release)"
main_archive() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # one stanza per paragraph
        awk -v want="$codename" '
            function flush() {
                if (enabled && uri != "" && (" " suites " ") ~ (" " want " ") && types ~ /deb/)
                    { print uri, (key == "" ? "-" : key); found = 1; exit }
                uri = ""; suites = ""; types = ""; key = ""; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            tolower($1) == "uris:"      { uri = $2 }
            tolower($1) == "suites:"    { $1 = ""; suites = $0 }
            tolower($1) == "types:"     { $1 = ""; types = $0 }
            tolower($1) == "signed-by:" { key = $2 }
            tolower($1) == "enabled:"   { enabled = (tolower($2) != "no") }
            END { if (!found) flush() }
        ' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI SUITE COMPONENT...
        awk -v want="$codename" '
            $1 != "deb" && $1 != "deb-src" { next }
            {
                key = "-"; i = 2
                if ($2 ~ /^\[/) {
                    for (; i <= NF; i++) {
                        if ($i ~ /^\[?signed-by=/) { key = $i; sub(/^\[?signed-by=/, "", key); sub(/\]$/, "", key) }
                        if ($i ~ /\]$/) { i++; break }
                    }
                } else i = 2
                if ($(i + 1) == want) { print $i, key; exit }
            }
        ' "$f"
    done
}
read -r URI KEY < <(main_archive | head -n 1) || true
[ -n "${URI:-}" ] || die "no apt source for '$codename' found in /etc/apt/sources.list{,.d/}: cannot tell where Debian's archive is"
say "Debian archive: $URI (from this machine's apt sources)"

# ---- the source package, through a private apt configuration
APT_DIR="$CACHE/apt"
mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
suites="${VALUECHECK_PG_SUITES:-$codename trixie sid}"
suites="$(tr ' ' '\n' <<<"$suites" | awk 'NF && !seen[$0]++' | paste -sd ' ')"
{
    echo "Types: deb-src"
    echo "URIs: $URI"
    echo "Suites: $suites"
    echo "Components: main"
    if [ "$KEY" != - ]; then echo "Signed-By: $KEY"; fi
} > "$APT_DIR/sources.list.d/valuecheck.sources"
apt_private() {
    apt-get -q \
        -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$APT_DIR/sources.list.d" \
        -o Dir::State::Lists="$APT_DIR/lists" \
        -o Dir::Cache="$APT_DIR/cache" \
        "$@"
}
say "apt-get update (private: $APT_DIR; suites: $suites)"
apt_private update >&2 || die "apt-get update of the private source lists failed"

WORK="$CACHE/build-$MAJOR"
rm -rf -- "$WORK"
mkdir -p "$WORK/dl"
# apt downloads as its unprivileged _apt user where it can
if [ "$(id -u)" -eq 0 ] && id -u _apt >/dev/null 2>&1; then chown _apt "$WORK/dl"; fi
version="$(apt_private -qq source --download-only --print-uris "postgresql-$MAJOR" 2>/dev/null |
           sed -nE "s/^'[^']*' postgresql-${MAJOR}_([^ ]+)\.dsc .*/\1/p" | head -n 1 || true)"
[ -n "$version" ] ||
    die "no source package postgresql-$MAJOR in Debian's suites $suites (VALUECHECK_PG_SUITES picks others)"
(cd "$WORK/dl" && apt_private source --download-only "postgresql-$MAJOR" >&2) ||
    die "could not download the source package postgresql-$MAJOR $version from $URI (see apt's errors above)"
tarball=""
for f in "$WORK"/dl/postgresql-"$MAJOR"_*.orig.tar.*; do
    if [ -f "$f" ] && [[ "$f" != *.asc ]]; then tarball="$f"; fi
done
[ -n "$tarball" ] || die "no upstream tarball in the source package: $(ls "$WORK/dl")"
say "upstream tarball: $(basename "$tarball")"

# ---- build and install
mkdir -p "$WORK/src"
tar -C "$WORK/src" -xf "$tarball"
SRC="$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
[ -x "$SRC/configure" ] || die "no configure script in $tarball"
LOG="$CACHE/pg-$MAJOR.build.log"
jobs="$(nproc 2>/dev/null || echo 2)"
say "building $(basename "$SRC") into $PREFIX (make -j$jobs; log: $LOG)"
rm -rf -- "$PREFIX"
# (no set -e in a subshell left of ||: hence the &&)
(
    cd "$SRC" &&
    ./configure --prefix="$PREFIX" &&
    make -j"$jobs" &&
    make install &&
    # valuecheck's dependency, and the isolation tester (pg_regress is
    # installed with the server)
    make -j"$jobs" -C contrib/btree_gist install &&
    make -j"$jobs" -C src/test/isolation install
) > "$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "the build failed (log: $LOG)"; }

pgxs="$(dirname "$("$PREFIX/bin/pg_config" --pgxs)")/../.."
for f in "$pgxs/src/test/regress/pg_regress" "$pgxs/src/test/isolation/pg_isolation_regress" \
         "$("$PREFIX/bin/pg_config" --sharedir)/extension/btree_gist.control"; do
    [ -e "$f" ] || die "the build did not install $f"
done
"$PREFIX/bin/pg_config" --version > "$STAMP"
rm -rf -- "$WORK" "$APT_DIR/lists" "$APT_DIR/cache"   # (the next build fetches them anew)
say "built in $(( $(date +%s) - t0 ))s"
done_msg
