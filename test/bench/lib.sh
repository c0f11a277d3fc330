# test/bench/lib.sh: helpers shared by test/bench/run.sh and its bench_*.sh
# scripts (sourced, not run).  Every bench script sources this file and can
# then run on its own against the database run.sh prepared:
#     bash test/bench/bench_trigger.sh
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER); the
# database is $BENCH_DB (default "bench"), the maintenance database
# $BENCH_MAINT_DB (default "postgres").  The role must be a superuser: the
# bench reads and writes server-side files (COPY ... FROM 'file'), runs
# CHECKPOINT and protects tables.

BENCH_DIR="${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
export BENCH_DIR
export BENCH_DB="${BENCH_DB:-bench}"
export BENCH_MAINT_DB="${BENCH_MAINT_DB:-postgres}"

# sizes and repetitions (run.sh --quick lowers them)
export BENCH_ROWS="${BENCH_ROWS:-1000000}"            # lines per COPY
export BENCH_REPS="${BENCH_REPS:-5}"                  # COPY runs per variant
export BENCH_SECONDS="${BENCH_SECONDS:-30}"           # pgbench -T per run
export BENCH_PGBENCH_REPS="${BENCH_PGBENCH_REPS:-3}"  # pgbench runs per variant
export BENCH_CLIENTS="${BENCH_CLIENTS:-2}"            # pgbench -c / -j
export BENCH_BIG_ROWS="${BENCH_BIG_ROWS:-10000000}"   # lines of the memory COPY
export BENCH_APPROVAL_TX="${BENCH_APPROVAL_TX:-10000}" # inserts per approvals run
export BENCH_APPROVAL_REPS="${BENCH_APPROVAL_REPS:-3}"
export BENCH_PRODUCTS="${BENCH_PRODUCTS:-10000}"
export BENCH_PGBENCH_MODE="${BENCH_PGBENCH_MODE:-prepared}" # pgbench -M

# where run.sh collects the summary lines (ratios and verdicts)
export BENCH_SUMMARY="${BENCH_SUMMARY:-/dev/null}"

# ------------------------------------------------------------- programs ---
_find_pg_program() { # name -> path
    local name="$1" d
    for d in "${VALUECHECK_PG_BIN:-}" \
             "$( { "${VALUECHECK_PG_CONFIG:-pg_config}" --bindir; } 2>/dev/null || true)"; do
        if [ -n "$d" ] && [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
    done
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
    done
    return 1
}
PSQL_BIN="${PSQL_BIN:-$(_find_pg_program psql || echo psql)}"
PGBENCH_BIN="${PGBENCH_BIN:-$(_find_pg_program pgbench || echo pgbench)}"

# ---------------------------------------------------------------- output ---
say()     { printf '%s\n' "$*"; }
heading() { printf '\n==== %s ====\n' "$*"; }
die()     { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
# a line for the final summary (also printed where it is measured)
summary() { printf '%s\n' "$*"; printf '%s\n' "$*" >> "$BENCH_SUMMARY"; }

# ------------------------------------------------------------------ psql ---
# bpsql ARGS...: psql on the bench database, stop at the first error
bpsql() { "$PSQL_BIN" -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" "$@"; }
# bval SQL: one value, unaligned
bval()  { "$PSQL_BIN" -X -q -At -v ON_ERROR_STOP=1 -d "$BENCH_DB" -c "$1"; }
mval()  { "$PSQL_BIN" -X -q -At -v ON_ERROR_STOP=1 -d "$BENCH_MAINT_DB" -c "$1"; }

# ---------------------------------------------------------------- maths ---
# median of the numbers on stdin (one per line)
median() {
    sort -g | awk '{ a[NR] = $1 }
        END { if (NR == 0) print "nan";
              else if (NR % 2) print a[(NR + 1) / 2];
              else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# median of a space-separated list
median_of() { printf '%s\n' $* | median; }
# ratio A B -> A/B with 3 decimals ("nan" if B is 0 or either is nan)
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "nan" || b == "nan" || b + 0 == 0) print "nan";
        else printf "%.3f\n", a / b }'
}
# verdict VALUE OP TARGET (OP is <= or >=) -> "target met" / "MISSED"
verdict() {
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
        if (v == "nan") { print "not measured"; exit }
        ok = (op == "<=") ? (v + 0 <= t + 0) : (v + 0 >= t + 0);
        print ok ? "target met" : "MISSED" }'
}
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "nan") print "nan"; else printf "%.1f", v }'; }

# -------------------------------------------------------- server files ---
# The bench's data files live on the server's side (COPY FROM 'file' reads
# them as the server's OS user), in a directory the server itself creates
# and removes (COPY ... TO PROGRAM runs as the server's OS user), so the
# bench works whichever OS user runs this script.
server_dir() {
    if [ -z "${BENCH_SERVER_DIR:-}" ]; then
        BENCH_SERVER_DIR="$(bval "SELECT coalesce((SELECT dir FROM bench_meta), '')" 2>/dev/null || true)"
        [ -n "$BENCH_SERVER_DIR" ] || die "bench database not prepared (run test/bench/run.sh)"
    fi
    echo "$BENCH_SERVER_DIR"
}
# server_sh CMD: run a shell command as the server's OS user
server_sh() {
    local cmd="${1//\'/\'\'}"
    bpsql -c "COPY (SELECT 1) TO PROGRAM '$cmd'"
}

# data_file ROWS -> server path of a CSV of ROWS order lines (made once)
data_file() {
    local rows="$1" dir path
    dir="$(server_dir)"
    path="$dir/orders_$rows.csv"
    if [ "$(bval "SELECT (pg_stat_file('$path', true)).size IS NOT NULL")" != t ]; then
        local t0=$SECONDS
        bpsql -o /dev/null -c "SELECT setseed(0.42)" -c "
            COPY (SELECT g.id, p.sku, round(p.list_price * (0.80 + 0.20 * g.r1)::numeric, 2),
                         p.list_price, g.qty,
                         CASE WHEN g.r2 < 0.2 THEN 'SPRING' WHEN g.r2 < 0.3 THEN 'SUMMER' END,
                         'rep' || lpad((1 + g.id % 12)::text, 2, '0')
                    FROM (SELECT id, 1 + floor(random() * $BENCH_PRODUCTS)::int AS i,
                                 random() AS r1, random() AS r2,
                                 1 + floor(random() * 10)::int AS qty
                            FROM generate_series(1, $rows) id) g
                    JOIN bench_products p USING (i)
                   ORDER BY g.id)
              TO '$path' (FORMAT csv)" >&2
        say "  (generated $path: $rows lines in $((SECONDS - t0)) s)" >&2
    fi
    echo "$path"
}
drop_data_file() {
    local path
    path="$(server_dir)/orders_$1.csv"
    server_sh "rm -f $path" || true
}

# ------------------------------------------------------------ variants ---
# Is the no-op C trigger module (test/bench/noop_trigger) usable?
have_noop() { [ "$(bval "SELECT to_regprocedure('bench_noop_trigger()') IS NOT NULL")" = t ]; }

# the order-line table of the bench, with NAME, plus optional extra columns
create_orders_table() {
    local name="$1" extra="${2:-}"
    local pk=""
    [ "${BENCH_PK:-0}" = 1 ] && pk=" PRIMARY KEY"
    bpsql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS $name" -c "
        CREATE TABLE $name (
            id         bigint$pk,
            sku        text,
            unit_price numeric(12,2),
            list_price numeric(12,2),
            qty        int,
            campaign   text,
            rep        text$extra)"
}

# make_variant TABLE KIND: the bench's order table with one kind of check
#   a  unprotected                      b  valuecheck.protect()
#   c  PL/pgSQL AFTER ROW trigger       n  no-op C AFTER ROW trigger
#   s  no-op C AFTER STATEMENT trigger with a transition table
#   r  no-op C BEFORE ROW trigger
make_variant() {
    local t="$1" kind="$2"
    create_orders_table "$t"
    case "$kind" in
        a) ;;
        b) bpsql -c "SELECT valuecheck.protect('$t', product => 'sku', price => 'unit_price',
                         list_price => 'list_price', quantity => 'qty',
                         campaign => 'campaign', rep => 'rep')" >/dev/null ;;
        c) bpsql -c "CREATE TRIGGER bench_plpgsql_floor_check
                         AFTER INSERT OR UPDATE OF sku, unit_price, list_price, campaign ON $t
                         FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_floor_check()" ;;
        n) bpsql -c "CREATE TRIGGER bench_noop AFTER INSERT OR UPDATE ON $t
                         FOR EACH ROW EXECUTE FUNCTION bench_noop_trigger()" ;;
        s) bpsql -c "CREATE TRIGGER bench_noop AFTER INSERT ON $t
                         REFERENCING NEW TABLE AS new_rows
                         FOR EACH STATEMENT EXECUTE FUNCTION bench_noop_trigger()" ;;
        r) bpsql -c "CREATE TRIGGER bench_noop BEFORE INSERT OR UPDATE ON $t
                         FOR EACH ROW EXECUTE FUNCTION bench_noop_trigger()" ;;
        *) die "unknown variant kind $kind" ;;
    esac
}
variant_label() {
    case "$1" in
        a) echo "unprotected" ;;
        b) echo "valuecheck (C AFTER ROW)" ;;
        c) echo "PL/pgSQL AFTER ROW check" ;;
        n) echo "no-op C AFTER ROW" ;;
        s) echo "no-op C AFTER STATEMENT + transition table" ;;
        r) echo "no-op C BEFORE ROW" ;;
        *) echo "$1" ;;
    esac
}

# time_copy TABLE FILE -> "WALL_MS CPU_MS": elapsed time of COPY TABLE FROM
# FILE and the CPU time its backend spent on it (from the backend's own
# /proc/self/schedstat; "nan" where the server has none).  The table is
# emptied and a checkpoint taken first, outside the timing.  On a shared,
# noisy machine the backend's CPU time is the steadier measure: it does not
# count the time the backend waited for a CPU.
time_copy() {
    local out wall cpu
    out="$(bpsql -At 2>&1 <<EOF
TRUNCATE $1;
CHECKPOINT;
SELECT coalesce(split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1), '') AS cpu0 \gset
\timing on
COPY $1 FROM '$2' (FORMAT csv);
\timing off
SELECT 'cpu_ms=' || coalesce(round((nullif(split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1), '')::bigint
                                    - nullif(:'cpu0', '')::bigint) / 1e6, 1)::text, 'nan');
EOF
)" || { printf '%s\n' "$out" >&2; return 1; }
    wall="$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -n 1)"
    cpu="$(sed -n 's/^cpu_ms=//p' <<<"$out" | tail -n 1)"
    echo "${wall:-nan} ${cpu:-nan}"
}

# CPU time (ms) of the server's exited backends so far: the postmaster's
# cutime + cstime (/proc/<postmaster>/stat), which grow when it reaps a
# backend.  Brackets a pgbench run (its connections end with it); "nan"
# where /proc is not readable.
server_children_cpu_ms() {
    local pm tck
    if [ -z "${BENCH_POSTMASTER_PID:-}" ]; then
        BENCH_POSTMASTER_PID="$(bval "SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)" 2>/dev/null || true)"
    fi
    pm="$BENCH_POSTMASTER_PID"
    tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"
    if [ -n "$pm" ] && [ -r "/proc/$pm/stat" ]; then
        # after "(comm) ", cutime and cstime (fields 16 and 17) are $14 and $15
        sed 's/^.*) //' "/proc/$pm/stat" | awk -v t="$tck" '{ printf "%.0f\n", ($14 + $15) * 1000 / t }'
    else
        echo nan
    fi
}

# run_pgbench SCRIPT [pgbench args...] -> "TPS TRANSACTIONS CPU_US": tps
# (excluding connection time), transactions processed, and the CPU time the
# run's backends spent per transaction in microseconds (with their start-up
# and exit; "nan" if not measurable).  pgbench's own report goes to stderr.
run_pgbench() {
    local script="$1" out tps ntx cpu0 cpu1 cpu
    shift
    cpu0="$(server_children_cpu_ms)"
    out="$("$PGBENCH_BIN" -n -M "$BENCH_PGBENCH_MODE" -f "$script" "$@" "$BENCH_DB" 2>&1)" ||
        { printf '%s\n' "$out" >&2; return 1; }
    sleep 0.3   # let the postmaster reap the backends
    cpu1="$(server_children_cpu_ms)"
    tps="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' <<<"$out" | tail -n 1)"
    [ -n "$tps" ] || tps="$(sed -n 's/^tps = \([0-9.]*\) (excluding connections establishing).*/\1/p' <<<"$out" | tail -n 1)"
    [ -n "$tps" ] || { printf '%s\n' "$out" >&2; return 1; }
    ntx="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out" | tail -n 1)"
    cpu="$(awk -v a="$cpu0" -v b="$cpu1" -v n="${ntx:-0}" 'BEGIN {
        if (a == "nan" || b == "nan" || n == 0) print "nan"; else printf "%.2f\n", (b - a) * 1000 / n }')"
    grep -E '^(number of failed|latency average)' <<<"$out" | sed 's/^/      /' >&2 || true
    printf '%.1f %s %s\n' "$tps" "${ntx:-0}" "$cpu"
}

# ratio_line LABEL CPU_RATIO WALL_RATIO [OP TARGET]: a summary line with
# both ratios and, given a target, a verdict for each
ratio_line() {
    local label="$1" rc="$2" rw="$3" op="${4:-}" t="${5:-}"
    if [ -n "$op" ]; then
        summary "$(printf '  %-46s %7s %7s   %s %-5s  cpu: %s, wall: %s' "$label" "$rc" "$rw" "$op" "$t" \
            "$(verdict "$rc" "$op" "$t")" "$(verdict "$rw" "$op" "$t")")"
    else
        summary "$(printf '  %-46s %7s %7s' "$label" "$rc" "$rw")"
    fi
}
