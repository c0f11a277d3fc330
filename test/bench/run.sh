#!/usr/bin/env bash
# valuecheck benchmark driver: `make bench` runs it (through test/run.sh,
# on a throwaway cluster); it also runs by hand against any local cluster:
#
#   PGHOST=/tmp/sock PGPORT=5433 PGUSER=postgres bash test/bench/run.sh [options] [suite...]
#
# Suites are the scripts test/bench/bench_<suite>.sh, each self-contained
# (it sets up its own tables in the bench database and prints its figures
# and verdicts); the default is all of them, known ones first:
#   trigger     COPY side by side (unprotected / valuecheck / PL/pgSQL /
#               no-op trigger kinds) and single-row INSERT with pgbench
#   memory      peak backend memory of a big COPY
#   approvals   approved below-floor inserts vs plain enforced inserts
#   aggregates  discount-leakage aggregates vs count(*) and plain SQL over
#               BENCH_AGG_ROWS order lines, serial and 2 workers; leakage_report
#   catalog     floors at catalog scale (1M products + 100k campaign floors):
#               upload, first write, write after an edit, memory, INSERT tps by
#               isolation level, COPY over 1M distinct products, leakage_report
#               (about 13 minutes; BENCH_CAT_* in bench_catalog.sh)
# A new bench_<name>.sh in this directory is picked up automatically.
#
# Options:
#   --quick        small sizes for a smoke run (100k-line COPY, 3 reps,
#                  5 s pgbench runs, 1M-line memory COPY, 2000 approved inserts,
#                  200k aggregated lines)
#   --keep-db      leave the bench database in place at the end
#   -h, --help
# Environment (defaults in test/bench/lib.sh): BENCH_ROWS (1000000),
# BENCH_REPS (5), BENCH_SECONDS (30), BENCH_PGBENCH_REPS (3),
# BENCH_CLIENTS (2), BENCH_BIG_ROWS (10000000), BENCH_APPROVAL_TX (10000),
# BENCH_APPROVAL_REPS (3), BENCH_AGG_ROWS (5000000), BENCH_AGG_REPORT_REPS
# (3), BENCH_AGG_JIT (server's setting), BENCH_PRODUCTS (10000), BENCH_PGBENCH_MODE
# (prepared), BENCH_PK (0; 1 = order tables get a primary key), BENCH_DB
# (bench), BENCH_MAINT_DB (postgres), BENCH_STRICT (0; 1 = exit 1 when a
# target is missed).
#
# Needs: a superuser connection, a server on this machine (the memory bench
# reads /proc/<backend pid>/status), psql and pgbench.  The no-op trigger
# variants need test/bench/noop_trigger installed in the server's pkglibdir:
#     make -C test/bench/noop_trigger install        (as root)
# run.sh builds and installs it itself when it may write there; otherwise
# those variants are reported as "not measured".
#
# Results: stdout, and test/bench/results/latest.txt.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export BENCH_DIR

QUICK=0
KEEP_DB=0
SUITES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --keep-db) KEEP_DB=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) SUITES+=("$1") ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    export BENCH_ROWS="${BENCH_ROWS:-100000}" BENCH_REPS="${BENCH_REPS:-3}"
    export BENCH_SECONDS="${BENCH_SECONDS:-5}" BENCH_PGBENCH_REPS="${BENCH_PGBENCH_REPS:-1}"
    export BENCH_BIG_ROWS="${BENCH_BIG_ROWS:-1000000}" BENCH_APPROVAL_TX="${BENCH_APPROVAL_TX:-2000}"
    export BENCH_APPROVAL_REPS="${BENCH_APPROVAL_REPS:-1}"
    export BENCH_AGG_ROWS="${BENCH_AGG_ROWS:-200000}" BENCH_AGG_REPORT_REPS="${BENCH_AGG_REPORT_REPS:-1}"
fi

# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

if [ ${#SUITES[@]} -eq 0 ]; then
    for s in trigger memory approvals aggregates; do
        [ -f "$BENCH_DIR/bench_$s.sh" ] && SUITES+=("$s")
    done
    for f in "$BENCH_DIR"/bench_*.sh; do
        [ -f "$f" ] || continue
        s="$(basename "$f" .sh)"; s="${s#bench_}"
        case " ${SUITES[*]} " in *" $s "*) ;; *) SUITES+=("$s") ;; esac
    done
fi
for s in "${SUITES[@]}"; do
    [ -f "$BENCH_DIR/bench_$s.sh" ] || die "no such suite: $s (no $BENCH_DIR/bench_$s.sh)"
done

RESULTS_DIR="$BENCH_DIR/results"
mkdir -p "$RESULTS_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/valuecheck-bench.XXXXXX")"
export BENCH_SUMMARY="$WORK/summary"
: > "$BENCH_SUMMARY"

# a directory on the server's side for the data files, made (in prepare) and
# removed (here) by the server itself
SERVER_DIR="/tmp/valuecheck-bench-$(mval "SELECT current_setting('port')")-$$" ||
    die "cannot connect to the server (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGUSER=${PGUSER:-})"
export BENCH_SERVER_DIR="$SERVER_DIR"
cleanup() {
    local rc=$?
    if [ -n "$SERVER_DIR" ]; then
        # the server removes the data files it wrote
        "$PSQL_BIN" -X -q -d "$BENCH_MAINT_DB" \
            -c "COPY (SELECT 1) TO PROGRAM 'rm -rf $SERVER_DIR'" >/dev/null 2>&1 || true
    fi
    if [ "$KEEP_DB" = 0 ] &&
       [ "$(mval "SELECT shobj_description(oid, 'pg_database') FROM pg_database
                   WHERE datname = '$BENCH_DB'" 2>/dev/null)" = "valuecheck bench" ]; then
        "$PSQL_BIN" -X -q -d "$BENCH_MAINT_DB" -c "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prepare() {
    heading "valuecheck bench: set-up"
    [ "$(mval "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" = t ] ||
        die "the bench needs a superuser connection (server-side COPY files, CHECKPOINT)"
    say "server: $(mval "SELECT version()")"
    say "host: $(uname -n), $(nproc 2>/dev/null || echo '?') CPUs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
    say "settings: $(mval "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name)
                           FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit',
                                 'max_wal_size', 'wal_level', 'jit', 'autovacuum')")"
    say "sizes: COPY $BENCH_ROWS lines x $BENCH_REPS reps; pgbench $BENCH_CLIENTS clients x ${BENCH_SECONDS}s x $BENCH_PGBENCH_REPS reps (-M $BENCH_PGBENCH_MODE); memory COPY $BENCH_BIG_ROWS lines; approvals $BENCH_APPROVAL_TX inserts x $BENCH_APPROVAL_REPS reps; $BENCH_PRODUCTS products${BENCH_PK:+; BENCH_PK=$BENCH_PK}"
    say "suites: ${SUITES[*]}"

    # our own database: (re)created unless someone else's database has the name
    local exists comment
    exists="$(mval "SELECT count(*) FROM pg_database WHERE datname = '$BENCH_DB'")"
    if [ "$exists" = 1 ]; then
        comment="$(mval "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '$BENCH_DB'")"
        if [ "$comment" != "valuecheck bench" ] &&
           [ "$(bval "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')")" != 0 ]; then
            die "database $BENCH_DB exists, holds tables and is not the bench's: set BENCH_DB to another name"
        fi
        mval "DROP DATABASE $BENCH_DB" >/dev/null
    fi
    mval "CREATE DATABASE $BENCH_DB" >/dev/null
    mval "COMMENT ON DATABASE $BENCH_DB IS 'valuecheck bench'" >/dev/null

    mval "COPY (SELECT 1) TO PROGRAM 'mkdir -p -m 700 $SERVER_DIR'" >/dev/null
    bpsql -v products="$BENCH_PRODUCTS" -v dir="$SERVER_DIR" -f "$BENCH_DIR/setup.sql"
    bpsql -f "$BENCH_DIR/plpgsql_trigger.sql"
    say "floors: $(bval "SELECT count(*) FROM valuecheck.floors") for $(bval "SELECT count(*) FROM bench_products") products"

    # the no-op C trigger (test/bench/noop_trigger)
    local noop_sql="CREATE FUNCTION bench_noop_trigger() RETURNS trigger
                        AS '\$libdir/noop_trigger', 'noop_trigger' LANGUAGE C"
    if ! bpsql -c "$noop_sql" 2>/dev/null; then
        local pg_config pkglibdir
        pg_config="${VALUECHECK_PG_CONFIG:-$(_find_pg_program pg_config || echo pg_config)}"
        pkglibdir="$("$pg_config" --pkglibdir 2>/dev/null || true)"
        if [ -n "$pkglibdir" ] && [ -w "$pkglibdir" ] && [ -w "$BENCH_DIR/noop_trigger" ] &&
           make -s -C "$BENCH_DIR/noop_trigger" PG_CONFIG="$pg_config" install >&2 &&
           bpsql -c "$noop_sql" 2>/dev/null; then
            say "built and installed the no-op trigger module (test/bench/noop_trigger)"
        else
            say "NOTE: the no-op trigger module is not installed: the no-op variants are not measured."
            say "      Install it as root first: make -C test/bench/noop_trigger install"
        fi
    fi
}

main() {
    prepare
    local s rc=0
    for s in "${SUITES[@]}"; do
        if ! bash "$BENCH_DIR/bench_$s.sh"; then
            say "bench: suite $s FAILED"
            echo "suite $s: FAILED (see above)" >> "$BENCH_SUMMARY"
            rc=1
        fi
    done
    heading "summary"
    cat "$BENCH_SUMMARY"
    say ""
    say "finished $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    return $rc
}

set +e
main 2>&1 | tee "$WORK/out.txt"
rc=${PIPESTATUS[0]}
set -e
cp "$WORK/out.txt" "$RESULTS_DIR/latest.txt"
echo "results written to $RESULTS_DIR/latest.txt"
if [ "$rc" = 0 ] && [ "${BENCH_STRICT:-0}" = 1 ] && grep -q 'MISSED' "$BENCH_SUMMARY"; then
    echo "BENCH_STRICT=1 and a target was missed"
    rc=1
fi
exit "$rc"
