#!/usr/bin/env bash
# valuecheck test / demo / bench harness.
#
#   bash test/run.sh test    every suite: pg_regress, isolation, pgTAP
#   bash test/run.sh demo    psql -a test/demo.sql against a fresh cluster
#   bash test/run.sh bench   bash test/bench/run.sh [$BENCH_ARGS] [extra args]
#   bash test/run.sh citus   test/citus/run.sh against a coordinator and two
#                            workers (Citus must be installed for PG_CONFIG)
#
# Each mode is self-contained on a fresh Debian machine (root, or a user with
# sudo): it installs the missing Debian packages, builds and installs the
# extension, starts a throwaway cluster in a fresh temporary directory as an
# unprivileged OS user (`postgres` when run as root, else the caller), runs,
# and always stops the cluster and removes the directory on exit.
#
# Layout the suites are taken from (each is optional; a missing one is
# skipped with a note, except demo/bench, whose script is the whole point):
#   sql/*.sql, expected/*.out               pg_regress (minus sql/valuecheck--*.sql),
#                                           run twice: the second time (pg_regress_min)
#                                           with valuecheck.floor_cache_size at its minimum
#   test/isolation/specs/*.spec,
#   test/isolation/expected/*.out           pg_isolation_regress
#   test/pgtap/*.sql                        pgTAP via pg_prove (one fresh database per file)
#   test/demo.sql                           make demo
#   test/bench/run.sh                       make bench
#   test/citus/run.sh                       make test-citus
#
# Environment seen by the suites, demo.sql and test/bench/run.sh:
#   PGHOST (socket directory), PGPORT, PGUSER (the cluster superuser, `postgres`),
#   PGDATABASE, PATH (server bin dir first), VALUECHECK_PG_BIN (server bin dir),
#   VALUECHECK_PG_CONFIG, VALUECHECK_WORKDIR (the writable copy of the repo, also
#   the working directory), VALUECHECK_REPO (the original checkout; may not be
#   readable by the cluster user).
#
# Which server (default: Debian's packaged PostgreSQL, installed if missing):
#   PG_CONFIG=/path          that installation (`make test PG_CONFIG=...`): no
#                            Debian server package is installed for it; pgTAP
#                            is copied into it if it has none
#   VALUECHECK_BUILD_MAJOR=NN  PostgreSQL NN built from Debian's source package
#                            (`make test PG_MAJOR=NN`; test/scripts/build_postgres.sh,
#                            cached in $VALUECHECK_PG_CACHE/pg-NN), then as PG_CONFIG
#
# Knobs (environment):
#   VALUECHECK_PG_MAJOR=NN   Debian's PostgreSQL major to use (default: detected)
#   VALUECHECK_SKIP_BUILD=1  do not build/install (use what is installed)
#   VALUECHECK_KEEP=1        keep the temporary directory (server still stopped)
#   BENCH_ARGS="..."         extra arguments for test/bench/run.sh (word-split)
set -euo pipefail

MODE="${1:-}"
case "$MODE" in
    test|demo|bench|citus) shift ;;
    *) echo "usage: bash test/run.sh test|demo|bench|citus [extra args for the bench]" >&2; exit 2 ;;
esac
EXTRA_ARGS=("$@")

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$REPO"

# stable sorting and messages; C.UTF-8 keeps perl (pg_prove) quiet about locales
export LC_ALL=C.UTF-8
has_c_utf8() { # no `| grep -q` under pipefail: an early exit of grep fails the pipe
    local l
    l="$(locale -a 2>/dev/null || true)"
    grep -qixE 'c\.utf-?8' <<<"$l"
}
has_c_utf8 || export LC_ALL=C

# ---------------------------------------------------------------- helpers ---
say()     { printf '%s\n' "$*"; }
heading() { printf '\n==== %s ====\n' "$*"; }
warn()    { printf 'run.sh: warning: %s\n' "$*" >&2; }
die()     { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
now_ms()  { date +%s%3N; }
elapsed() { # elapsed START_MS -> "1.23s"
    local d=$(( $(now_ms) - $1 ))
    printf '%d.%02ds' $(( d / 1000 )) $(( (d % 1000) / 10 ))
}
# print a file, at most N lines (default 3000)
show_file() {
    local f="$1" max="${2:-3000}" n
    [ -f "$f" ] || return 0
    n=$(wc -l < "$f")
    head -n "$max" "$f"
    if [ "$n" -gt "$max" ]; then say "... ($n lines in all, first $max shown)"; fi
}

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

# as_root CMD...: run as root (directly, or through sudo)
as_root() {
    if [ "$IS_ROOT" = 1 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -- "$@"
    else
        die "this step needs root and sudo is not installed: run as root, or install sudo ($*)"
    fi
}

# ------------------------------------------------- PostgreSQL major + apt ---
pg_major_of() { # pg_major_of PG_CONFIG -> "15"
    { "$1" --version 2>/dev/null || true; } | sed -nE '1s/^PostgreSQL ([0-9]+).*/\1/p'
}
highest_major_with() { # highest_major_with REL_PATH under /usr/lib/postgresql/N/
    local d m best=""
    for d in /usr/lib/postgresql/*/; do
        m="$(basename "$d")"
        [[ "$m" =~ ^[0-9]+$ ]] || continue
        [ -x "$d$1" ] || continue
        if [ -z "$best" ] || [ "$m" -gt "$best" ]; then best="$m"; fi
    done
    printf '%s' "$best"
}
APT_UPDATED=0
apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
}
major_from_apt() {
    command -v apt-cache >/dev/null 2>&1 || return 0
    # the `postgresql` metapackage depends on postgresql-NN (15 on Debian 12)
    { apt-cache show postgresql 2>/dev/null || true; } |
        sed -nE 's/^Depends:.*\<postgresql-([0-9]+)\>.*/\1/p' | sort -n | tail -n 1
}
detect_major() {
    local m=""
    if [ -n "${VALUECHECK_PG_MAJOR:-}" ]; then printf '%s' "$VALUECHECK_PG_MAJOR"; return; fi
    if [ "$OWN_SERVER" = 1 ]; then
        pg_major_of "$PG_CONFIG"
        return
    fi
    [ -n "$m" ] || m="$(highest_major_with bin/pg_config)"
    [ -n "$m" ] || m="$(highest_major_with bin/postgres)"
    if [ -z "$m" ] && command -v pg_config >/dev/null 2>&1; then m="$(pg_major_of pg_config)"; fi
    [ -n "$m" ] || m="$(major_from_apt)"
    if [ -z "$m" ] && command -v apt-get >/dev/null 2>&1; then
        apt_update_once
        m="$(major_from_apt)"
    fi
    printf '%s' "$m"
}

pkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

ensure_packages() {
    local pkgs=(make gcc) missing=() p
    # a given installation brings its own server, headers and test tools
    [ "$OWN_SERVER" = 1 ] || pkgs+=("postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR")
    if [ "$MODE" = test ]; then
        [ "$OWN_SERVER" = 1 ] || pkgs+=("postgresql-$PG_MAJOR-pgtap")
        pkgs+=(libtap-parser-sourcehandler-pgtap-perl)
    fi
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "dpkg-query not found: not a Debian system, assuming the build dependencies are installed (${pkgs[*]})"
        return 0
    fi
    for p in "${pkgs[@]}"; do pkg_installed "$p" || missing+=("$p"); done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "packages: all present (${pkgs[*]})"
        return 0
    fi
    say "packages: installing ${missing[*]}"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# pgTAP is plain SQL: a server of our own gets the extension files of
# Debian's pgTAP package for Debian's own major (postgresql-15-pgtap on
# Debian 12), from the installed package or else from its .deb (downloaded,
# not installed: it would pull in Debian's server).
ensure_pgtap() {
    [ -f "$SHAREDIR/extension/pgtap.control" ] && return 0
    command -v apt-get >/dev/null 2>&1 || { warn "pgTAP is not installed in $SHAREDIR/extension"; return 0; }
    local deb_major pkg from tmp
    deb_major="$(major_from_apt)"
    if [ -z "$deb_major" ]; then apt_update_once; deb_major="$(major_from_apt)"; fi
    [ -n "$deb_major" ] || { warn "cannot tell Debian's PostgreSQL major: pgTAP not installed"; return 0; }
    pkg="postgresql-$deb_major-pgtap"
    tmp="$(mktemp -d)"
    if pkg_installed "$pkg"; then
        from="/usr/share/postgresql/$deb_major/extension"
    else
        # apt downloads as its unprivileged _apt user where it can
        if [ "$IS_ROOT" = 1 ] && id -u _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
        if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1); then
            apt_update_once
            (cd "$tmp" && apt-get download -q "$pkg" >/dev/null) ||
                { warn "could not download $pkg: pgTAP not installed"; rm -rf -- "$tmp"; return 0; }
        fi
        dpkg-deb -x "$tmp"/*.deb "$tmp/x"
        from="$tmp/x/usr/share/postgresql/$deb_major/extension"
    fi
    say "pgTAP: copying $pkg's extension files into $SHAREDIR/extension"
    if [ -w "$SHAREDIR/extension" ]; then
        cp "$from"/pgtap* "$SHAREDIR/extension/"
    else
        as_root cp "$from"/pgtap* "$SHAREDIR/extension/"
    fi
    rm -rf -- "$tmp"
}

# ---------------------------------------------------------- install lock ---
# Several checkouts on one machine share the server's extension directory.
# Build + install hold an exclusive lock; a run then holds a shared lock until
# it exits, so another run's `make install` waits instead of swapping the
# library under a running suite.
# One lock per server installation: runs against different installations
# do not wait for each other.
LOCK_FILE=""
LOCK_OK=0
lock_open() {
    command -v flock >/dev/null 2>&1 || return 0
    LOCK_FILE="/tmp/valuecheck-install.$(printf '%s' "$PKGLIBDIR" | cksum | cut -d' ' -f1).lock"
    if { exec 9>>"$LOCK_FILE"; } 2>/dev/null || { exec 9<"$LOCK_FILE"; } 2>/dev/null; then
        chmod 666 "$LOCK_FILE" 2>/dev/null || true
        LOCK_OK=1
    fi
}
lock_take() { # lock_take -x|-s
    [ "$LOCK_OK" = 1 ] || return 0
    if ! flock -n "$1" 9; then
        say "waiting for another valuecheck run to finish with the installed extension ($LOCK_FILE) ..."
        flock -w 3600 "$1" 9 || die "gave up waiting for $LOCK_FILE"
    fi
}

# ---------------------------------------------------------------- cluster ---
TMP=""
NODES=()         # data directories of the servers we started (stopped at exit)
OS_USER=""
FAILED_HINTS=()   # files to show on failure at exit (besides the server log)

as_pg() { # run a command as the cluster's OS user, with our environment
    if [ "$IS_ROOT" = 1 ]; then
        # runuser keeps the environment but for HOME/SHELL/USER/LOGNAME;
        # pass ours explicitly anyway (only those that are set: an empty
        # PGPORT, for one, breaks initdb)
        local v vars=()
        for v in PATH LC_ALL PGHOST PGPORT PGUSER PGDATABASE VALUECHECK_PG_BIN \
                 VALUECHECK_PG_CONFIG VALUECHECK_WORKDIR VALUECHECK_REPO BENCH_ARGS \
                 CITUS_WORKER_PORTS; do
            if [ -n "${!v:-}" ]; then vars+=("$v=${!v}"); fi
        done
        runuser -u "$OS_USER" -- env "${vars[@]}" "$@"
    else
        "$@"
    fi
}

server_running() { # server_running [DATA_DIR]
    as_pg "$BINDIR/pg_ctl" -D "${1:-$TMP/data}" status >/dev/null 2>&1
}

stop_server() { # stops every server we started
    local d
    for d in "${NODES[@]}"; do
        if ! server_running "$d"; then
            warn "the server in $d was no longer running at the end (crashed or killed?)"
        elif ! as_pg "$BINDIR/pg_ctl" -D "$d" -m fast -w -t 60 stop >/dev/null 2>&1; then
            warn "fast shutdown failed; trying immediate"
            as_pg "$BINDIR/pg_ctl" -D "$d" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
            if [ -f "$d/postmaster.pid" ]; then
                local pid
                pid="$(head -n 1 "$d/postmaster.pid" 2>/dev/null || true)"
                # only if that pid still is our postmaster (pid files go stale)
                if [[ "$pid" =~ ^[0-9]+$ ]] &&
                        [[ "$(ps -o args= -p "$pid" 2>/dev/null || true)" == *"$d"* ]]; then
                    warn "killing postmaster $pid"
                    kill -KILL "$pid" 2>/dev/null || true
                fi
            fi
        fi
    done
    NODES=()
}

SERVER_LOG_SHOWN=0
SUMMARY_DONE=0
TOTAL_PASS=0
TOTAL_FAIL=0
show_server_log() {
    [ "$SERVER_LOG_SHOWN" = 0 ] && [ -n "$TMP" ] && [ -s "$TMP/server.log" ] || return 0
    SERVER_LOG_SHOWN=1
    heading "server log (last 80 lines)"
    tail -n 80 "$TMP/server.log"
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    # (after the summary, the count line stays last: what failed was shown)
    if [ "$rc" -ne 0 ] && [ -n "$TMP" ] && [ "$SUMMARY_DONE" = 0 ]; then
        local f
        for f in "${FAILED_HINTS[@]}"; do
            if [ -s "$f" ]; then heading "$(basename "$f")"; show_file "$f" 200; fi
        done
        show_server_log
    fi
    stop_server
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        if [ "${VALUECHECK_KEEP:-0}" = 1 ]; then
            say "kept $TMP (VALUECHECK_KEEP=1)"
        else
            rm -rf -- "$TMP"
        fi
    fi
    if { [ "$MODE" = test ] || [ "$MODE" = citus ]; } && [ "$SUMMARY_DONE" = 0 ]; then
        # aborted (set-up failure, interrupt): still end with the count line
        say ""
        say "!! the run was aborted (exit status $rc): counted as one failure"
        say "$TOTAL_PASS passed, $(( TOTAL_FAIL + 1 )) failed"
        [ "$rc" -ne 0 ] || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

make_cluster() { # make_cluster [EXTRA_CONF_LINE...]: the temporary directory and one server
    heading "cluster"
    if [ "$IS_ROOT" = 1 ]; then
        command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is required when running as root"
        OS_USER=postgres
        if ! id -u "$OS_USER" >/dev/null 2>&1; then
            # Debian's server package makes it; a server of our own does not
            say "creating the OS user $OS_USER"
            if command -v adduser >/dev/null 2>&1; then
                adduser --system --quiet --home /var/lib/postgresql --no-create-home \
                    --shell /bin/bash --group --gecos "PostgreSQL administrator" "$OS_USER"
            else
                useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$OS_USER"
            fi
        fi
        as_pg test -x "$BINDIR/postgres" ||
            die "$BINDIR/postgres cannot be run by the OS user $OS_USER (directory permissions?)"
    else
        OS_USER="$(id -un)"
    fi

    # short path: the unix socket path must stay under ~100 bytes
    local base="${TMPDIR:-/tmp}"
    if [ "$IS_ROOT" = 1 ] || [ "${#base}" -gt 50 ] || [ ! -d "$base" ] || [ ! -w "$base" ]; then base=/tmp; fi
    TMP="$(mktemp -d "$base/valuecheck.XXXXXX")"
    mkdir -p "$TMP/work" "$TMP/sock" "$TMP/out"
    # a writable copy of the checkout for the unprivileged user (the checkout
    # itself may be unreadable for it, and is never chowned)
    tar -C "$REPO" \
        --exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        --exclude=./results --exclude=./output_iso --exclude=./tmp_check --exclude=./log \
        --exclude='./regression.*' \
        -cf - . | tar -C "$TMP/work" -xf -
    if [ "$IS_ROOT" = 1 ]; then chown -R "$OS_USER": "$TMP"; fi
    chmod 700 "$TMP"
    say "directory: $TMP (OS user: $OS_USER)"

    start_node "$TMP/data" "$TMP/server.log" "$@"
    # the superuser is `postgres` whoever runs the cluster: expected outputs name it
    export PGHOST="$TMP/sock" PGPORT="$NODE_PORT" PGUSER=postgres PGDATABASE=postgres
    say "server: PostgreSQL $PG_MAJOR on 127.0.0.1:$PGPORT and $PGHOST (user $PGUSER)"
}

# start_node DATA_DIR LOG [EXTRA_CONF_LINE...]: initdb and start a server on
# a free port (set in NODE_PORT), its socket in $TMP/sock
start_node() {
    local data="$1" log="$2"
    shift 2
    local loc=C.UTF-8
    has_c_utf8 || loc=C
    if ! as_pg "$BINDIR/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 --locale="$loc" \
            >"$TMP/initdb.log" 2>&1; then
        cat "$TMP/initdb.log"
        die "initdb failed"
    fi

    local dsm=posix shm_kb line
    shm_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')"
    if [ -z "$shm_kb" ] || [ "$shm_kb" -lt 524288 ]; then dsm=mmap; fi # small /dev/shm (containers)
    {
        echo ""
        echo "# valuecheck test/run.sh"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$TMP/sock'"
        echo "fsync = off"
        echo "shared_buffers = 256MB"
        echo "max_worker_processes = 8"
        echo "max_parallel_workers_per_gather = 2"
        echo "dynamic_shared_memory_type = $dsm"
        echo "log_min_messages = warning"
        echo "log_checkpoints = off"
        echo "lc_messages = 'C'"
        if [ "$MODE" = bench ]; then
            echo "autovacuum = off"
            # no checkpoint in the middle of a 10M-line COPY
            echo "max_wal_size = 8GB"
            echo "checkpoint_timeout = 30min"
        fi
        for line in "$@"; do echo "$line"; done
    } >> "$data/postgresql.conf"

    # a free port in 54321..54400, starting at a random offset; retry on a
    # bind race with a concurrent run
    local i p off port="" loglines started=0
    local tried=" "
    for _ in $(seq 1 12); do
        port=""
        off=$RANDOM
        for i in $(seq 0 79); do
            p=$(( 54321 + (off + i) % 80 ))
            [[ "$tried" == *" $p "* ]] && continue
            if port_free "$p"; then port="$p"; break; fi
        done
        tried+="$port "
        [ -n "$port" ] || die "no free TCP port in 54321..54400"
        loglines=0
        [ -f "$log" ] && loglines=$(wc -l < "$log")
        # fd 9 (install lock) must not be inherited by the server
        if as_pg "$BINDIR/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 120 start \
                >"$TMP/pg_ctl.log" 2>&1 9>&-; then
            NODES+=("$data")
            started=1
            break
        fi
        if tail -n +"$(( loglines + 1 ))" "$log" 2>/dev/null |
                grep -E 'could not bind|Address already in use|could not create any TCP/IP sockets' >/dev/null; then
            say "port $port was taken, retrying"
            continue
        fi
        cat "$TMP/pg_ctl.log"
        die "the server did not start"
    done
    [ "$started" = 1 ] || die "the server did not start (no usable port)"
    NODE_PORT="$port"
}

psql_q() { # psql_q DB SQL: run one statement quietly, stop on error
    as_pg "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -c 'SET client_min_messages = warning' -c "$2"
}

# --------------------------------------------------------------- suites ---
SUITE_LINES=()
FAILED_NAMES=()

# tally_regress SUITE LOG RC TEST...: count pg_regress-style results.
# PG <= 15: "test foo ... ok" / "     foo ... FAILED" / "... failed (ignored)";
# PG >= 16: "ok 1 - foo" / "not ok 2 + foo" (TAP).
tally_regress() {
    local suite="$1" log="$2" rc="$3" parsed pass fail names t
    shift 3
    local ntests="$#"
    parsed="$(awk '
        /^not ok [0-9]+ +[-+] +[^ ]/        { print "F " $5; next }
        /^ok [0-9]+ +[-+] +[^ ]/            { print "P " $4; next }
        /^(test +| +)[^ ]+ +\.\.\. +ok/     { print "P " ($1 == "test" ? $2 : $1); next }
        /^(test +| +)[^ ]+ +\.\.\. +failed \(ignored\)/ { print "P " ($1 == "test" ? $2 : $1); next }
        /^(test +| +)[^ ]+ +\.\.\. +FAILED/ { print "F " ($1 == "test" ? $2 : $1); next }
    ' "$log")"
    pass="$(grep -c '^P ' <<<"$parsed" || true)"
    fail="$(grep -c '^F ' <<<"$parsed" || true)"
    names="$(sed -n 's/^F //p' <<<"$parsed")"
    local n
    while IFS= read -r n; do [ -n "$n" ] && FAILED_NAMES+=("$suite/$n"); done <<<"$names"
    if [ $(( pass + fail )) -lt "$ntests" ]; then
        # pg_regress stops at e.g. a missing expected file: the tests it did
        # not report are failures too
        local nmissing=$(( ntests - pass - fail )) unreported=()
        for t in "$@"; do
            grep -qxE "[PF] $t" <<<"$parsed" || unreported+=("$t")
        done
        say "!! $suite: no result for $nmissing of $ntests tests (exit status $rc): ${unreported[*]}: counted as failed"
        fail=$(( fail + nmissing ))
        for t in "${unreported[@]}"; do FAILED_NAMES+=("$suite/$t(no result)"); done
    elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        say "!! $suite: exited with status $rc although no test failed: counted as one failure"
        fail=1
        FAILED_NAMES+=("$suite/(exit status $rc)")
    fi
    TALLY_PASS="$pass"
    TALLY_FAIL="$fail"
}

record() { # record SUITE PASS FAIL ELAPSED [NOTE]
    TOTAL_PASS=$(( TOTAL_PASS + $2 ))
    TOTAL_FAIL=$(( TOTAL_FAIL + $3 ))
    SUITE_LINES+=("$(printf '%-16s %3d passed, %3d failed  (%s)%s' "$1:" "$2" "$3" "$4" "${5:+  $5}")")
}

sorted_basenames() { # sorted_basenames DIR SUFFIX [EXCLUDE_PREFIX]
    local f b
    for f in "$1"/*"$2"; do
        [ -e "$f" ] || continue
        b="$(basename "$f" "$2")"
        if [ -n "${3:-}" ] && [[ "$b" == "$3"* ]]; then continue; fi
        printf '%s\n' "$b"
    done | LC_ALL=C sort
}

tool_present() { # tool_present PATH SUITE NTESTS T0: else the suite's tests fail
    [ -x "$1" ] && return 0
    local dir="${1%/*}"
    say "!! $1 not found: that installation lacks it (make -C src/test/${dir##*/} install"
    say "   in its source tree; Debian ships it in postgresql-server-dev-$PG_MAJOR)"
    FAILED_NAMES+=("$2/($(basename "$1") missing)")
    record "$2" 0 "$3" "$(elapsed "$4")" "($(basename "$1") missing)"
    return 1
}

# run_regress_suite SUITE OUTNAME TOOL INPUTDIR DBNAME PGOPTIONS TEST...: one
# run of pg_regress or pg_isolation_regress (same options, same output),
# tallied into the summary; PGOPTIONS, when not empty, goes to its sessions.
run_regress_suite() {
    local suite="$1" outname="$2" tool="$3" inputdir="$4" dbname="$5" pgoptions="$6"
    shift 6
    local t0 rc=0 out="$TMP/out/$outname" envs=()
    heading "$suite${pgoptions:+ (PGOPTIONS=$pgoptions)}"
    t0="$(now_ms)"
    if [ "$#" -eq 0 ]; then
        say "no tests in $inputdir: skipped"
        record "$suite" 0 0 "$(elapsed "$t0")" "(skipped: no tests)"
        return 0
    fi
    tool_present "$tool" "$outname" "$#" "$t0" || return 0
    if [ -n "$pgoptions" ]; then envs=("PGOPTIONS=$pgoptions"); fi
    as_pg mkdir -p "$out"
    as_pg env "${envs[@]}" "$tool" \
        --bindir="$BINDIR" --inputdir="$inputdir" --outputdir="$out" \
        --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
        --dbname="$dbname" --load-extension=btree_gist \
        "$@" 2>&1 | tee "$TMP/out/$outname.log" || rc=$?
    tally_regress "$outname" "$TMP/out/$outname.log" "$rc" "$@"
    if [ -n "$pgoptions" ]; then
        # the setting must have reached the sessions: a placeholder that the
        # library did not take over would make this run the first one again
        local shown
        shown="$(as_pg env "${envs[@]}" "$BINDIR/psql" -X -q -At -d postgres \
                     -c "LOAD 'valuecheck'" -c "SELECT current_setting('valuecheck.floor_cache_size')" 2>&1 || true)"
        say "$suite: valuecheck.floor_cache_size in its sessions: $shown"
        if [ "$shown" != 1kB ]; then
            say "!! $suite: PGOPTIONS ($pgoptions) did not take effect: counted as one failure"
            TALLY_FAIL=$(( TALLY_FAIL + 1 ))
            FAILED_NAMES+=("$outname/(setting not in effect)")
        fi
    fi
    if { [ "$rc" -ne 0 ] || [ "$TALLY_FAIL" -gt 0 ]; } && [ -s "$out/regression.diffs" ]; then
        heading "$suite: regression.diffs"
        show_file "$out/regression.diffs"
    fi
    say "$suite: $TALLY_PASS passed, $TALLY_FAIL failed in $(elapsed "$t0")"
    record "$suite" "$TALLY_PASS" "$TALLY_FAIL" "$(elapsed "$t0")" "${pgoptions:+($pgoptions)}"
}

# run_pg_regress [SUITE OUTNAME PGOPTIONS]: the pg_regress suite, setup
# first (it creates what the other tests share).  make test runs it a second
# time as "pg_regress_min" with valuecheck.floor_cache_size at its minimum,
# so that every test also runs with a floor memo that evicts at almost every
# lookup.
run_pg_regress() {
    local tests=()
    mapfile -t tests < <(sorted_basenames "$W/sql" .sql valuecheck-- | grep -vx setup)
    [ -f "$W/sql/setup.sql" ] && tests=(setup "${tests[@]}")
    run_regress_suite "${1:-pg_regress}" "${2:-regress}" "$PGXS_ROOT/src/test/regress/pg_regress" \
        "$W" contrib_regression "${3:-}" "${tests[@]}"
}

run_isolation() {
    local specs=()
    mapfile -t specs < <(sorted_basenames "$W/test/isolation/specs" .spec)
    run_regress_suite isolation isolation "$PGXS_ROOT/src/test/isolation/pg_isolation_regress" \
        "$W/test/isolation" isolation_regression "" "${specs[@]}"
}

# pgTAP: the unit counted is a test FILE (a file passes when pg_prove passes
# it: every assertion ok and the plan matched). Each file gets a fresh
# database `tap` (cloned from a template holding only pgtap), so files cannot
# leak state (e.g. an extension created without a rollback) into each other.
run_pgtap() {
    heading "pgTAP"
    local t0 files=() f rc pass=0 fail=0 asserts=0 n
    t0="$(now_ms)"
    mapfile -t files < <(sorted_basenames "$W/test/pgtap" .sql)
    if [ "${#files[@]}" -eq 0 ]; then
        say "no test/pgtap/*.sql: skipped"
        record pgTAP 0 0 "$(elapsed "$t0")" "(skipped: no files)"
        return 0
    fi
    if ! command -v pg_prove >/dev/null 2>&1; then
        say "!! pg_prove not found"
        FAILED_NAMES+=("pgtap/(pg_prove missing)")
        record pgTAP 0 "${#files[@]}" "$(elapsed "$t0")" "(pg_prove missing)"
        return 0
    fi
    if ! { psql_q postgres 'CREATE DATABASE tap_template' && psql_q tap_template 'CREATE EXTENSION pgtap'; }; then
        say "!! could not prepare a database with pgtap"
        FAILED_NAMES+=("pgtap/(set-up)")
        record pgTAP 0 "${#files[@]}" "$(elapsed "$t0")" "(set-up failed)"
        return 0
    fi
    for f in "${files[@]}"; do
        rc=0
        psql_q postgres 'DROP DATABASE IF EXISTS tap WITH (FORCE)' &&
            psql_q postgres 'CREATE DATABASE tap TEMPLATE tap_template' || rc=$?
        if [ "$rc" -eq 0 ]; then
            as_pg pg_prove --nocolor --failures --psql-bin "$BINDIR/psql" \
                -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d tap \
                "test/pgtap/$f.sql" 2>&1 | tee "$TMP/out/pgtap-$f.log" || rc=$?
            n="$(sed -nE 's/^Files=[0-9]+, Tests=([0-9]+),.*/\1/p' "$TMP/out/pgtap-$f.log" | tail -n 1)"
            asserts=$(( asserts + ${n:-0} ))
        else
            say "!! could not create database tap for $f.sql"
        fi
        if [ "$rc" -eq 0 ]; then
            pass=$(( pass + 1 ))
        else
            fail=$(( fail + 1 ))
            FAILED_NAMES+=("pgtap/$f.sql")
        fi
    done
    say "pgTAP: $pass passed, $fail failed ($asserts assertions run) in $(elapsed "$t0")"
    record pgTAP "$pass" "$fail" "$(elapsed "$t0")" "(files; $asserts assertions)"
}

# ------------------------------------------------------------------ main ---
T_START="$(now_ms)"
heading "set-up ($MODE)"
if [ -n "${VALUECHECK_BUILD_MAJOR:-}" ]; then
    heading "PostgreSQL $VALUECHECK_BUILD_MAJOR from Debian's source package"
    t0="$(now_ms)"
    PG_CONFIG="$(bash "$SCRIPT_DIR/scripts/build_postgres.sh" "$VALUECHECK_BUILD_MAJOR")" ||
        die "could not build PostgreSQL $VALUECHECK_BUILD_MAJOR"
    say "ready in $(elapsed "$t0")"
fi
# a server of our own: PG_CONFIG names a pg_config (`pg_config` alone means
# whatever PATH finds: Debian's, as before)
OWN_SERVER=0
if [ -n "${PG_CONFIG:-}" ] && [ "$PG_CONFIG" != pg_config ]; then
    command -v "$PG_CONFIG" >/dev/null 2>&1 || die "PG_CONFIG=$PG_CONFIG: no such program"
    PG_CONFIG="$(command -v "$PG_CONFIG")"
    OWN_SERVER=1
fi
PG_MAJOR="$(detect_major)"
[ -n "$PG_MAJOR" ] || die "cannot tell which PostgreSQL major to use: set VALUECHECK_PG_MAJOR"
say "PostgreSQL major: $PG_MAJOR"
ensure_packages

if [ "$OWN_SERVER" = 1 ]; then
    :
elif [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" ]; then
    PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
elif command -v pg_config >/dev/null 2>&1; then
    PG_CONFIG="$(command -v pg_config)"
else
    die "no pg_config found for PostgreSQL $PG_MAJOR"
fi
[ "$(pg_major_of "$PG_CONFIG")" = "$PG_MAJOR" ] ||
    die "$PG_CONFIG is PostgreSQL $(pg_major_of "$PG_CONFIG"), not $PG_MAJOR"
BINDIR="$("$PG_CONFIG" --bindir)"
PGXS_ROOT="$(cd "$(dirname "$("$PG_CONFIG" --pgxs)")/../.." && pwd)"
SHAREDIR="$("$PG_CONFIG" --sharedir)"
PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"
[ -x "$BINDIR/postgres" ] || die "$BINDIR/postgres missing (is postgresql-$PG_MAJOR installed?)"
PG_VERSION_STR="$("$PG_CONFIG" --version)"
if [ "$OWN_SERVER" = 1 ]; then
    [ -f "$SHAREDIR/extension/btree_gist.control" ] ||
        die "btree_gist is not installed in $SHAREDIR/extension (valuecheck requires it: make -C contrib/btree_gist install in that server's source tree)"
    [ "$MODE" != test ] || ensure_pgtap
elif [ ! -f "$SHAREDIR/extension/btree_gist.control" ] && command -v apt-get >/dev/null 2>&1; then
    # in postgresql-NN itself on Debian 12; a separate contrib package elsewhere
    say "btree_gist missing: installing postgresql-contrib"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-contrib ||
        warn "could not install postgresql-contrib"
fi
[ -f "$SHAREDIR/extension/btree_gist.control" ] ||
    warn "btree_gist is not installed in $SHAREDIR/extension (valuecheck requires it)"
export PG_CONFIG PATH="$BINDIR:$PATH" VALUECHECK_PG_BIN="$BINDIR" VALUECHECK_PG_CONFIG="$PG_CONFIG"
export VALUECHECK_REPO="$REPO"
say "server: $PG_VERSION_STR ($PG_CONFIG)"
if [ "$MODE" = citus ] && { [ ! -f "$SHAREDIR/extension/citus.control" ] || [ ! -f "$PKGLIBDIR/citus.so" ]; }; then
    die "Citus is not installed for $PG_CONFIG ($PKGLIBDIR/citus.so, $SHAREDIR/extension/citus.control): build Citus from its source against this PostgreSQL and install it, or point PG_CONFIG at an installation that has it (README, section Citus)"
fi

lock_open
if [ "${VALUECHECK_SKIP_BUILD:-0}" = 1 ]; then
    heading "build"
    say "skipped (VALUECHECK_SKIP_BUILD=1): using the installed extension"
    lock_take -s
else
    heading "build"
    lock_take -x
    # and one build at a time in this checkout: its objects are shared by
    # runs against different servers (which hold different install locks)
    if command -v flock >/dev/null 2>&1; then
        f="/tmp/valuecheck-build.$(printf '%s' "$REPO" | cksum | cut -d' ' -f1).lock"
        if { exec 7>>"$f"; } 2>/dev/null || { exec 7<"$f"; } 2>/dev/null; then
            chmod 666 "$f" 2>/dev/null || true
            flock -w 3600 7 || die "gave up waiting for $f"
        fi
    fi
    t0="$(now_ms)"
    # MAKEFLAGS from an outer `make test` would leak into this build
    BUILD_LOG="$(mktemp)"
    rc=0
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$REPO" PG_CONFIG="$PG_CONFIG" 2>&1 |
        tee "$BUILD_LOG" || rc=$?
    warnings="$(grep -E '(warning|error):' "$BUILD_LOG" || true)"
    rm -f -- "$BUILD_LOG"
    if [ -n "$warnings" ]; then
        heading "compiler diagnostics (gcc, and clang for the JIT bitcode)"
        say "$warnings"
    fi
    [ "$rc" -eq 0 ] || die "build failed"
    if [ -w "$PKGLIBDIR" ] && [ -w "$SHAREDIR/extension" ]; then
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$REPO" PG_CONFIG="$PG_CONFIG" install ||
            die "make install failed"
    else
        as_root env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$REPO" PG_CONFIG="$PG_CONFIG" install ||
            die "make install failed"
    fi
    say "build + install: $(elapsed "$t0")"
    lock_take -s
    if [ -f "$REPO/valuecheck.so" ] && ! cmp -s "$REPO/valuecheck.so" "$PKGLIBDIR/valuecheck.so"; then
        warn "the installed $PKGLIBDIR/valuecheck.so is not the one just built (another run installed its own?)"
    fi
    exec 7>&-
fi

if [ "$MODE" = citus ]; then
    make_cluster "shared_preload_libraries = 'citus'" "max_connections = 200"
else
    make_cluster
fi
# an early, plain hint when the library cannot even be loaded (an undefined
# symbol, say); the suites below report the failures themselves
if [ -f "$PKGLIBDIR/valuecheck.so" ]; then
    if ! as_pg "$BINDIR/psql" -X -q -d postgres -c "LOAD 'valuecheck'" >"$TMP/load.log" 2>&1; then
        warn "LOAD 'valuecheck' failed: $(cat "$TMP/load.log")"
    fi
else
    warn "$PKGLIBDIR/valuecheck.so is not installed"
fi
W="$TMP/work"
export VALUECHECK_WORKDIR="$W"
cd "$W"

case "$MODE" in
test)
    FAILED_HINTS=("$TMP/out/regress/regression.diffs" "$TMP/out/regress_min/regression.diffs"
                  "$TMP/out/isolation/regression.diffs")
    run_pg_regress
    run_pg_regress pg_regress_min regress_min "-c valuecheck.floor_cache_size=1"
    run_isolation
    run_pgtap
    FAILED_HINTS=() # diffs were already shown next to their suite
    server_ok=1
    server_running || server_ok=0
    if [ "$TOTAL_FAIL" -gt 0 ] || [ "$server_ok" = 0 ]; then show_server_log; fi
    heading "summary"
    for l in "${SUITE_LINES[@]}"; do say "$l"; done
    if [ "${#FAILED_NAMES[@]}" -gt 0 ]; then
        say "failed: ${FAILED_NAMES[*]}"
    fi
    say "server: $PG_VERSION_STR ($PG_CONFIG)"
    say "total time: $(elapsed "$T_START")"
    if [ "$server_ok" = 0 ]; then
        say "!! the server is no longer running (see the server log above): counted as one failure"
        TOTAL_FAIL=$(( TOTAL_FAIL + 1 ))
    fi
    if [ $(( TOTAL_PASS + TOTAL_FAIL )) -eq 0 ]; then
        say "!! no test found in any suite: counted as one failure"
        TOTAL_FAIL=1
    fi
    # the one machine-readable line, last on stdout
    SUMMARY_DONE=1
    say "$TOTAL_PASS passed, $TOTAL_FAIL failed"
    [ "$TOTAL_FAIL" -eq 0 ] || exit 1
    ;;
citus)
    # the coordinator is the server make_cluster started; two workers more
    CITUS_WORKER_PORTS=""
    for w in worker1 worker2; do
        start_node "$TMP/$w" "$TMP/$w.log" "shared_preload_libraries = 'citus'" "max_connections = 200"
        CITUS_WORKER_PORTS+="${CITUS_WORKER_PORTS:+ }$NODE_PORT"
    done
    export CITUS_WORKER_PORTS
    say "workers: 127.0.0.1 ports $CITUS_WORKER_PORTS (coordinator: $PGPORT)"
    heading "citus scenarios"
    [ -f "$W/test/citus/run.sh" ] || die "test/citus/run.sh does not exist"
    rc=0
    as_pg bash test/citus/run.sh 2>&1 | tee "$TMP/out/citus.log" || rc=$?
    if [ "$rc" -ne 0 ]; then
        for w in server worker1 worker2; do
            if [ -s "$TMP/$w.log" ]; then heading "$w log (last 40 lines)"; tail -n 40 "$TMP/$w.log"; fi
        done
        SERVER_LOG_SHOWN=1
    fi
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/out/citus.log" | tail -n 1 || true)"
    SUMMARY_DONE=1
    # the count line last (again, after the logs)
    if [ "$rc" -ne 0 ] && [ -n "$line" ] && [[ "$line" != *" 0 failed" ]]; then say ""; say "$line"; fi
    if [ -z "$line" ]; then
        say "!! test/citus/run.sh printed no count line (exit status $rc)"
        say "0 passed, 1 failed"
        exit 1
    fi
    if [ "$rc" -ne 0 ] && [[ "$line" == *" 0 failed" ]]; then
        say "!! test/citus/run.sh exited with status $rc"
        say "${line%% passed*} passed, 1 failed"
        exit 1
    fi
    [ "$rc" -eq 0 ] || exit 1
    ;;
demo)
    heading "demo"
    [ -f "$W/test/demo.sql" ] || die "test/demo.sql does not exist: nothing to demo"
    psql_q postgres 'CREATE DATABASE demo'
    export PGDATABASE=demo
    rc=0
    # ON_ERROR_STOP off: the demo deliberately shows refused writes
    as_pg "$BINDIR/psql" -X -a -v ON_ERROR_STOP=0 -d demo -f test/demo.sql 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || die "psql exited with status $rc"
    say ""
    say "demo done in $(elapsed "$T_START")"
    ;;
bench)
    heading "bench"
    [ -f "$W/test/bench/run.sh" ] || die "test/bench/run.sh does not exist: nothing to run"
    psql_q postgres 'CREATE DATABASE bench'
    export PGDATABASE=bench
    # the no-op C triggers the bench compares valuecheck with
    as_root env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$W/test/bench/noop_trigger" \
        PG_CONFIG="$PG_CONFIG" install >/dev/null ||
        warn "no-op trigger module not installed: the no-op variants will not be measured"
    bench_args=()
    read -r -a bench_args <<<"${BENCH_ARGS:-}" || true
    bench_args+=("${EXTRA_ARGS[@]}")
    say "bash test/bench/run.sh ${bench_args[*]}"
    rc=0
    as_pg bash test/bench/run.sh "${bench_args[@]}" || rc=$?
    # results the bench left in its (temporary) copy go back to the checkout
    if [ -d "$W/test/bench/results" ]; then
        if mkdir -p "$REPO/test/bench/results" &&
                cp -R "$W/test/bench/results/." "$REPO/test/bench/results/"; then
            say "bench results copied to $REPO/test/bench/results"
        else
            warn "could not copy bench results to $REPO/test/bench/results"
        fi
    fi
    [ "$rc" -eq 0 ] || die "test/bench/run.sh exited with status $rc"
    say "bench done in $(elapsed "$T_START")"
    ;;
esac
