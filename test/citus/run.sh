#!/usr/bin/env bash
# valuecheck on Citus: the scenarios behind `make test-citus`.
#
# `make test-citus PG_CONFIG=...` (test/run.sh citus) starts a coordinator and
# two workers with Citus preloaded and runs this script as the cluster's OS
# user.  It can also run against any empty Citus-enabled cluster on this
# machine:
#   PGHOST=<socket dir or 127.0.0.1> PGPORT=<coordinator> PGUSER=<superuser> \
#   CITUS_WORKER_PORTS="<port> <port>" bash test/citus/run.sh
# It creates the database `vc_citus` on every node (and drops it first), adds
# the workers to the coordinator, and ends with "N passed, M failed".
set -uo pipefail

: "${PGPORT:?coordinator port}" "${CITUS_WORKER_PORTS:?worker ports}" "${PGUSER:?superuser}"
export PGHOST="${PGHOST:-127.0.0.1}"
BIN="${VALUECHECK_PG_BIN:-$(dirname "$(command -v psql)")}"
COORD="$PGPORT"
read -r -a WORKERS <<<"$CITUS_WORKER_PORTS"
DB=vc_citus
SU="$PGUSER"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/vc_citus.XXXXXX")"
trap 'rm -rf -- "$SCRATCH"' EXIT
export LC_ALL="${LC_ALL:-C}" PGOPTIONS="-c client_min_messages=warning"

PASS=0
FAIL=0
FAILED=()
pass() { PASS=$((PASS + 1)); printf 'ok %d - %s\n' $((PASS + FAIL)) "$1"; }
fail() { # fail NAME [WHAT]
    FAIL=$((FAIL + 1))
    FAILED+=("$1")
    printf 'not ok %d - %s\n' $((PASS + FAIL)) "$1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 30 | sed 's/^/    # /'; fi
}
finish() {
    printf '\n'
    if [ "$FAIL" -gt 0 ]; then printf 'failed: %s\n' "${FAILED[*]}"; fi
    printf '%d passed, %d failed\n' "$PASS" "$FAIL"
    [ "$FAIL" -eq 0 ]
    exit
}
section() { printf '\n# %s\n' "$*"; }

# run PORT USER SQL [STDIN_FILE]: one psql session; sets OUT (tuples,
# unaligned), ERR (messages) and RC.  Several statements in SQL run as one
# implicit transaction unless they say BEGIN/COMMIT themselves.
run() {
    OUT="$("$BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$1" -U "$2" -d "$DB" \
        -c "$3" 2>"$SCRATCH/err" <"${4:-/dev/null}")"
    RC=$?
    ERR="$(cat "$SCRATCH/err")"
}
# a psql script (meta-commands allowed) from standard input; same variables
run_script() { # run_script PORT USER < script
    OUT="$("$BIN/psql" -X -qAt -v ON_ERROR_STOP=0 -h "$PGHOST" -p "$1" -U "$2" -d "$DB" \
        -f - 2>"$SCRATCH/err")"
    RC=$?
    ERR="$(cat "$SCRATCH/err")"
}
# must PORT USER SQL: set-up step; a failure ends the suite
must() {
    run "$@"
    if [ "$RC" -ne 0 ]; then
        fail "set-up: $3" "$ERR"
        finish
    fi
}
# must_file PORT USER FILE: a set-up script, statement by statement
must_file() {
    OUT="$("$BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$1" -U "$2" -d "$DB" \
        -f "$3" 2>"$SCRATCH/err")"
    RC=$?
    ERR="$(cat "$SCRATCH/err")"
    if [ "$RC" -ne 0 ]; then
        fail "set-up: $(basename "$3")" "$ERR"
        finish
    fi
}
# qu USER SQL: output of SQL on the coordinator, or the error (which then
# fails the comparison it is used in)
qu() {
    run "$COORD" "$1" "$2"
    if [ "$RC" -eq 0 ]; then printf '%s' "$OUT"; else printf 'ERROR: %s' "$ERR"; fi
}
q() { qu "$SU" "$1"; }
expect_eq() { # expect_eq NAME ACTUAL EXPECTED
    if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected: $3"$'\n'"got:      $2"; return 1; fi
}
expect_ok() { # expect_ok NAME PORT USER SQL [STDIN]
    run "$2" "$3" "$4" "${5:-}"
    if [ "$RC" -eq 0 ]; then pass "$1"; else fail "$1" "$ERR"; fi
}
# expect_refused NAME PORT USER SQL PATTERN [STDIN]: fails, and its messages match PATTERN (ERE)
expect_refused() {
    run "$2" "$3" "$4" "${6:-}"
    if [ "$RC" -ne 0 ] && grep -Eq -- "$5" <<<"$ERR"; then
        pass "$1"
    elif [ "$RC" -eq 0 ]; then
        fail "$1" "accepted, expected an error matching /$5/"
    else
        fail "$1" "error does not match /$5/:"$'\n'"$ERR"
    fi
}
# came_from PORT NAME: the last error was relayed from the node on PORT
came_from() {
    if grep -q "on 127.0.0.1:$1\b" <<<"$ERR"; then pass "$2"; else fail "$2" "$ERR"; fi
}
# same_result NAME SQL_A SQL_B: text-equal output on the coordinator
same_result() {
    local a b
    a="$(q "$2")"
    b="$(q "$3")"
    if [ -z "$a" ]; then
        fail "$1" "no rows from: $2"
    elif [ "$a" == "$b" ]; then
        pass "$1"
    else
        fail "$1" "$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 20)"
    fi
}

# =================================================================== set-up
section "cluster: coordinator 127.0.0.1:$COORD, workers ${WORKERS[*]}"
for port in "$COORD" "${WORKERS[@]}"; do
    "$BIN/psql" -X -q -h "$PGHOST" -p "$port" -U "$SU" -d postgres \
        -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null ||
        { fail "set-up: database on port $port"; finish; }
done
# Each worker needs the citus extension before the coordinator adds it.
for port in "${WORKERS[@]}"; do must "$port" "$SU" "CREATE EXTENSION citus"; done
must "$COORD" "$SU" "CREATE EXTENSION citus"
must "$COORD" "$SU" "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)"
for port in "${WORKERS[@]}"; do must "$COORD" "$SU" "SELECT citus_add_node('127.0.0.1', $port)"; done
expect_eq "citus: ${#WORKERS[@]} workers active" \
    "$(q "SELECT count(*) FROM pg_dist_node WHERE isactive AND groupid <> 0")" "${#WORKERS[@]}"

# the README's walk-through, steps 1-3 (citus/setup.sql)
must_file "$COORD" "$SU" "$HERE/setup.sql"
must_file "$COORD" "$SU" "$HERE/fixtures.sql"
ok=1
for port in "${WORKERS[@]}"; do
    run "$port" "$SU" "SELECT extversion FROM pg_extension WHERE extname = 'valuecheck'"
    [ "$OUT" == "$(q "SELECT extversion FROM pg_extension WHERE extname = 'valuecheck'")" ] || ok=0
done
expect_eq "CREATE EXTENSION valuecheck on the coordinator reaches every worker" "$ok" 1

# ids of orders that land on each worker
declare -A IDS
for port in "${WORKERS[@]}"; do
    IDS[$port]="$(q "SELECT string_agg(i::text, ' ' ORDER BY i) FROM (
        SELECT i FROM generate_series(1, 400) i
          JOIN citus_shards s ON s.shardid = get_shard_id_for_distribution_column('orders', i)
         WHERE s.table_name = 'orders'::regclass AND s.nodeport = $port
         ORDER BY i LIMIT 12) x")"
    [ -n "${IDS[$port]}" ] || { fail "set-up: no shard of orders on worker $port"; finish; }
done
id() { # id PORT N: the N-th id (0-based) landing on worker PORT
    local a
    read -r -a a <<<"${IDS[$1]}"
    printf '%s' "${a[$2]}"
}
count_ids() { q "SELECT count(*) FROM orders WHERE id IN ($1)"; }

# ================================================================ refusals
section "refusals on every worker: INSERT, multi-row INSERT, COPY, UPDATE"
BELOW='price 80(\.00)? for product "SKU-A" on "orders" is below its value floor 90'
for port in "${WORKERS[@]}"; do
    w="worker $port"
    expect_refused "$w: INSERT below the floor is refused, naming the distributed table" "$COORD" rep \
        "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 0), 'SKU-A', 80, 100)" "$BELOW"
    came_from "$port" "$w: ... and that refusal came from the worker"
    expect_refused "$w: multi-row INSERT with one line below is refused" "$COORD" rep \
        "INSERT INTO orders (id, sku, unit_price, list_price) VALUES
            ($(id "$port" 1), 'SKU-A', 95, 100), ($(id "$port" 2), 'SKU-A', 80, 100)" "$BELOW"
    came_from "$port" "$w: ... and that refusal came from the worker"
    printf '%s,SKU-A,95,100\n%s,SKU-A,80,100\n' "$(id "$port" 3)" "$(id "$port" 4)" >"$SCRATCH/copy.csv"
    expect_refused "$w: COPY with one line below is refused" "$COORD" rep \
        "COPY orders (id, sku, unit_price, list_price) FROM STDIN (FORMAT csv)" "$BELOW" "$SCRATCH/copy.csv"
    # (Citus relays a COPY error without the node it came from)
    expect_eq "$w: no line of the refused statements was stored" \
        "$(count_ids "$(id "$port" 0), $(id "$port" 1), $(id "$port" 2), $(id "$port" 3), $(id "$port" 4)")" 0
    must "$COORD" rep "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 5), 'SKU-A', 95, 100)"
    expect_refused "$w: UPDATE to a price below the floor is refused" "$COORD" rep \
        "UPDATE orders SET unit_price = 80 WHERE id = $(id "$port" 5)" "$BELOW"
    came_from "$port" "$w: ... and that refusal came from the worker"
    expect_ok "$w: UPDATE leaving mapped columns alone is accepted" "$COORD" rep \
        "UPDATE orders SET ordered_at = ordered_at WHERE id = $(id "$port" 5)"
    expect_eq "$w: the updated line keeps its price" \
        "$(q "SELECT unit_price FROM orders WHERE id = $(id "$port" 5)")" "95.00"
done
# a multi-shard INSERT .. SELECT, lines on both workers
expect_refused "INSERT ... SELECT over both workers is refused" "$COORD" "$SU" \
    "INSERT INTO orders (id, sku, unit_price, list_price)
     SELECT i, 'SKU-A', 80, 100 FROM unnest(ARRAY[$(id "${WORKERS[0]}" 6), $(id "${WORKERS[1]}" 6)]) i" "$BELOW"
q "DELETE FROM orders" >/dev/null

# =========================================================== floor changes
section "floor changes: commit, same transaction, rollback"
a="$(id "${WORKERS[0]}" 0)"
b="$(id "${WORKERS[1]}" 0)"
# one session: its cached worker connections must see a change committed by another
run_script "$COORD" "$SU" <<SQL
INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($a, 'SKU-A', 95, 100), ($b, 'SKU-A', 95, 100);
DELETE FROM orders;
\\! "$BIN/psql" -X -q -h "$PGHOST" -p $COORD -U $SU -d $DB -c "UPDATE valuecheck.floors SET min_price = 96 WHERE product = 'SKU-A' AND campaign IS NULL"
INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($a, 'SKU-A', 95, 100);
INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($b, 'SKU-A', 95, 100);
SQL
expect_eq "a committed floor change is in force on both workers for the next statement (cached connections)" \
    "$(grep -c 'below its value floor 96' <<<"$ERR")" 2 || printf '%s\n' "$ERR" | sed 's/^/    # /'
q "UPDATE valuecheck.floors SET min_price = 90 WHERE product = 'SKU-A' AND campaign IS NULL" >/dev/null
expect_ok "after the floor is lowered back, the line is accepted on both workers" "$COORD" rep \
    "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($a, 'SKU-A', 95, 100), ($b, 'SKU-A', 95, 100)"
q "DELETE FROM orders" >/dev/null
for port in "${WORKERS[@]}"; do
    expect_refused "worker $port: a floor raised earlier in the same transaction is in force" "$COORD" "$SU" \
        "BEGIN; UPDATE valuecheck.floors SET min_price = 96 WHERE product = 'SKU-A' AND campaign IS NULL;
         INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 1), 'SKU-A', 95, 100); COMMIT" \
        'below its value floor 96'
    expect_ok "worker $port: a floor lowered earlier in the same transaction is in force" "$COORD" "$SU" \
        "BEGIN; UPDATE valuecheck.floors SET min_price = 50 WHERE product = 'SKU-A' AND campaign IS NULL;
         INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 1), 'SKU-A', 80, 100); ROLLBACK"
    must "$COORD" "$SU" "BEGIN; UPDATE valuecheck.floors SET min_price = 50 WHERE product = 'SKU-A' AND campaign IS NULL; ROLLBACK"
    expect_refused "worker $port: a rolled-back floor change is never in force" "$COORD" rep \
        "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 1), 'SKU-A', 80, 100)" \
        'below its value floor 90'
done
expect_eq "floors unchanged after the transactions" \
    "$(q "SELECT min_price FROM valuecheck.floors WHERE product = 'SKU-A' AND campaign IS NULL")" 90
expect_eq "no line left by the floor scenarios" "$(q "SELECT count(*) FROM orders")" 0

# =============================================================== warn mode
section "warn mode"
ids="$(q "SELECT string_agg(format('(%s, ''SKU-A'', %s, 100)', i, 80 + i % 5), ', ') FROM generate_series(1, 9) i")"
run "$COORD" rep "SET client_min_messages = warning; INSERT INTO orders_warn (id, sku, unit_price, list_price) VALUES $ids"
expect_eq "warn mode: a multi-row INSERT of 9 below-floor lines is stored" "$RC:$(q "SELECT count(*) FROM orders_warn")" "0:9"
expect_eq "warn mode: INSERT relays one WARNING per line" \
    "$(grep -c 'WARNING: .*on "orders_warn" is below its value floor' <<<"$ERR")" 9
q "SELECT i, 'SKU-A', 80 + i % 5, 100 FROM generate_series(11, 19) i" | tr '|' ',' >"$SCRATCH/warn.csv"
run "$COORD" rep "SET client_min_messages = warning; COPY orders_warn (id, sku, unit_price, list_price) FROM STDIN (FORMAT csv)" "$SCRATCH/warn.csv"
expect_eq "warn mode: a COPY of 9 below-floor lines is stored" "$RC:$(q "SELECT count(*) FROM orders_warn")" "0:18"
copy_warnings="$(grep -c 'WARNING: .*is below its value floor' <<<"$ERR")"
run "$COORD" rep "SET client_min_messages = debug1; COPY orders_warn (id, sku, unit_price, list_price) FROM STDIN (FORMAT csv)" \
    <(q "SELECT i, 'SKU-A', 80 + i % 5, 100 FROM generate_series(21, 29) i" | tr '|' ',')
expect_eq "warn mode: COPY relays its warnings only at DEBUG1, as the README says ($copy_warnings at WARNING)" \
    "$copy_warnings:$(grep -c 'DEBUG: .*on "orders_warn" is below its value floor' <<<"$ERR")" "0:9"
expect_eq "warn mode: the 27 violations are stored on the workers that stored the lines" \
    "$(q "SELECT sum(result::int) FROM run_command_on_workers(\$\$SELECT count(*) FROM valuecheck.violations WHERE relation = 'public.orders_warn'\$\$)")" 27

# ===================================================== logs from the coordinator
section "violations and exceptions read from the coordinator"
expect_eq "cluster_violations(): every node's violations, for a role granted SELECT on the coordinator only" \
    "$(qu analyst "SELECT count(*), count(DISTINCT nodeport), count(DISTINCT (nodeport, violation_id)) FROM valuecheck.cluster_violations() WHERE relation = 'public.orders_warn'")" \
    "27|2|27"
cols="violation_id, relation, product, campaign, rep, price, floor, floor_id, logged_at, logged_by"
direct=""
for port in $(printf '%s\n' "${WORKERS[@]}" | sort -n); do
    run "$port" "$SU" "SELECT $port, $cols FROM valuecheck.violations ORDER BY violation_id"
    direct+="$OUT"$'\n'
done
expect_eq "cluster_violations(): the workers' rows exactly as each worker stores them" \
    "$(qu analyst "SELECT nodeport, $cols FROM valuecheck.cluster_violations() WHERE nodeport <> $COORD")" \
    "${direct%$'\n'}"
expect_refused "cluster_violations(): refused to a role without SELECT on valuecheck.violations" "$COORD" outsider \
    "SELECT count(*) FROM valuecheck.cluster_violations()" 'permission denied for table violations'
expect_refused "cluster_exceptions(): refused to a role without SELECT on valuecheck.exceptions" "$COORD" outsider \
    "SELECT count(*) FROM valuecheck.cluster_exceptions()" 'permission denied for table exceptions'
# exceptions happen on single-node tables only: one on a coordinator-local table
must "$COORD" "$SU" "SELECT valuecheck.approve('SKU-A', 80, 'test', max_uses => 2)"
appr="$OUT"
must "$COORD" rep "INSERT INTO orders_single (id, sku, unit_price, list_price, approval_id) VALUES (1, 'SKU-A', 85, 100, $appr)"
expect_eq "cluster_exceptions(): the coordinator's exception rows" \
    "$(qu analyst "SELECT string_agg(format('%s %s %s %s', relation, approval_id, price, nodeport IS NOT NULL), ',') FROM valuecheck.cluster_exceptions()")" \
    "public.orders_single $appr 85.00 t"

# ============================================================== approvals
section "approvals refuse clearly on a distributed table"
expect_refused "protect(..., approval => ...) on a distributed table is refused: approvals are single-node" "$COORD" "$SU" \
    "SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', approval => 'approval_id')" \
    'approvals are single-node'
expect_eq "the refused protect() left the protection as it was" \
    "$(q "SELECT approval IS NULL, mode FROM valuecheck.protected WHERE relation = 'orders'::regclass")" "t|enforce"
for port in "${WORKERS[@]}"; do
    expect_refused "worker $port: a line naming an approval on a table distributed after protect() is refused as single-node" \
        "$COORD" rep "INSERT INTO orders_late (id, sku, unit_price, list_price, approval_id) VALUES ($(id "$port" 2), 'SKU-A', 85, 100, $appr)" \
        'approvals are single-node'
    if grep -q 'approve()' <<<"$ERR"; then fail "worker $port: that refusal does not suggest approve()" "$ERR"
    else pass "worker $port: that refusal does not suggest approve()"; fi
    run "$COORD" rep "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 2), 'SKU-A', 80, 100)"
    if [ "$RC" -ne 0 ] && grep -q 'is below its value floor' <<<"$ERR" && ! grep -q 'approve()' <<<"$ERR"; then
        pass "worker $port: a refusal on a distributed table does not suggest approve()"
    else fail "worker $port: a refusal on a distributed table does not suggest approve()" "$ERR"; fi
done
expect_eq "no use of the approval was taken on the workers" \
    "$(q "SELECT uses FROM valuecheck.approvals WHERE approval_id = $appr")" 1

# ============================================== protect / unprotect / protect
section "protect, unprotect, protect again on a distributed table (no session setting)"
shard_triggers() {
    q "SELECT sum(result::int) FROM run_command_on_shards('orders',
        \$\$SELECT count(*) FROM pg_trigger WHERE tgrelid = '%s'::regclass AND tgfoid = 'valuecheck.enforce()'::regprocedure\$\$)"
}
nshards="$(q "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'orders'::regclass")"
expect_eq "protect() put the trigger on every shard" "$(shard_triggers)" "$nshards"
expect_ok "unprotect() on a distributed table" "$COORD" dba "SELECT valuecheck.unprotect('orders')"
expect_eq "unprotect() removed the trigger from every shard" "$(shard_triggers)" 0
expect_ok "an unprotected distributed table takes a below-floor line" "$COORD" rep \
    "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "${WORKERS[0]}" 3), 'SKU-A', 80, 100), ($(id "${WORKERS[1]}" 3), 'SKU-A', 80, 100)"
expect_ok "protect() again on a distributed table" "$COORD" dba \
    "SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', list_price => 'list_price',
            quantity => 'qty', campaign => 'campaign', rep => 'rep', ordered_at => 'ordered_at', mode => 'warn');
     SELECT valuecheck.protect('orders', product => 'sku', price => 'unit_price', list_price => 'list_price',
            quantity => 'qty', campaign => 'campaign', rep => 'rep', ordered_at => 'ordered_at');
     SELECT current_setting('citus.enable_unsafe_triggers')"
expect_eq "protect() leaves citus.enable_unsafe_triggers of the session as it was" "$(tail -n 1 <<<"$OUT")" off
expect_eq "protect() again put one trigger on every shard" "$(shard_triggers)" "$nshards"
for port in "${WORKERS[@]}"; do
    expect_refused "worker $port: refused again after protect()" "$COORD" rep \
        "INSERT INTO orders (id, sku, unit_price, list_price) VALUES ($(id "$port" 4), 'SKU-A', 80, 100)" "$BELOW"
done

# ======================================================= aggregates, reports
section "aggregates: pushed down, equal to a local copy"
must_file "$COORD" "$SU" "$HERE/sales.sql"
forms="$(q "SELECT p.proname || '(' || array_to_string(ARRAY(
            SELECT CASE n WHEN 'list_price' THEN 'l' WHEN 'price' THEN 'p' WHEN 'floor' THEN 'f'
                   ELSE CASE t WHEN 'numeric'::regtype THEN 'q' WHEN 'smallint'::regtype THEN 'q2'
                               WHEN 'integer'::regtype THEN 'q4' ELSE 'q8' END END
              FROM unnest(p.proargnames, p.proargtypes::regtype[]) AS a(n, t)), ', ') || ')'
       FROM pg_proc p WHERE p.pronamespace = 'valuecheck'::regnamespace AND p.prokind = 'a'
      ORDER BY 1")"
expect_eq "every aggregate call form found" "$(wc -l <<<"$forms")" 19
while IFS= read -r f; do
    plan="$(q "EXPLAIN (VERBOSE, COSTS OFF) SELECT rep, valuecheck.$f FROM sales GROUP BY rep")"
    if grep -q 'worker_partial_agg' <<<"$plan" && grep -q 'coord_combine_agg' <<<"$plan"; then
        pass "$f: partial aggregates on the workers, combined on the coordinator"
    else fail "$f: partial aggregates on the workers, combined on the coordinator" "$plan"; fi
    same_result "$f: GROUP BY rep equal to the local copy" \
        "SELECT rep, valuecheck.$f FROM sales GROUP BY rep ORDER BY rep COLLATE \"C\"" \
        "SELECT rep, valuecheck.$f FROM sales_local GROUP BY rep ORDER BY rep COLLATE \"C\""
    same_result "$f: whole table equal to the local copy" \
        "SELECT valuecheck.$f FROM sales" "SELECT valuecheck.$f FROM sales_local"
done <<<"$forms"

section "leakage_report and audit on a distributed table"
same_result "leakage_report equal to the local copy" \
    "SELECT * FROM valuecheck.leakage_report('sales')" "SELECT * FROM valuecheck.leakage_report('sales_local')"
same_result "leakage_report with bounds equal to the local copy" \
    "SELECT * FROM valuecheck.leakage_report('sales', '2024-02-01', '2024-03-01')" \
    "SELECT * FROM valuecheck.leakage_report('sales_local', '2024-02-01', '2024-03-01')"
same_result "audit equal to the local copy (rows by key)" \
    "SELECT row_key, product, campaign, rep, price, floor, floor_id, approval_id, approved FROM valuecheck.audit('sales') ORDER BY row_key" \
    "SELECT row_key, product, campaign, rep, price, floor, floor_id, approval_id, approved FROM valuecheck.audit('sales_local') ORDER BY row_key"
expect_eq "audit on a distributed table: relation names the distributed table; row_id NULL; row_key unique" \
    "$(q "SELECT count(*) > 100, string_agg(DISTINCT relation::text, ','), count(row_id), count(DISTINCT row_key) = count(*)
            FROM valuecheck.audit('sales')")" "t|sales|0|t"
expect_eq "audit's row_key finds each line" \
    "$(q "SELECT count(*) FROM valuecheck.audit('sales') a JOIN sales s ON s.id = (a.row_key->>'id')::bigint AND s.p = a.price")" \
    "$(q "SELECT count(*) FROM valuecheck.audit('sales')")"

expect_ok "a distributed partitioned table is protected" "$COORD" "$SU" "
    CREATE TABLE parts (id bigint, region text, sku text, price numeric, PRIMARY KEY (id, region))
        PARTITION BY LIST (region);
    CREATE TABLE parts_n PARTITION OF parts FOR VALUES IN ('n');
    CREATE TABLE \"parts S\" PARTITION OF parts FOR VALUES IN ('s');
    SELECT create_distributed_table('parts', 'id');
    INSERT INTO parts VALUES (1, 'n', 'SKU-A', 80), (2, 's', 'SKU-A', 85), (3, 'n', 'SKU-A', 95);
    SELECT valuecheck.protect('parts', product => 'sku', price => 'price')"
expect_refused "a below-floor line into a distributed partition is refused, naming the partition" "$COORD" "$SU" \
    "INSERT INTO parts VALUES (4, 's', 'SKU-A', 80)" 'on "parts S" is below its value floor'
expect_eq "audit on a distributed partitioned table names each partition; row_key is the primary key" \
    "$(q "SELECT string_agg(format('%s %s %s', relation, row_key, row_id), ', ' ORDER BY price) FROM valuecheck.audit('parts')")" \
    'parts_n {"id": "1", "region": "n"} , "parts S" {"id": "2", "region": "s"} '
expect_refused "a protected table cannot be distributed without citus.enable_unsafe_triggers" "$COORD" "$SU" \
    "CREATE TABLE pre (id bigint PRIMARY KEY, sku text, price numeric);
     SELECT valuecheck.protect('pre', product => 'sku', price => 'price');
     SELECT create_distributed_table('pre', 'id')" 'trigger'

# ================================================================ pg_dump
section "pg_dump of the coordinator"
if "$BIN/pg_dump" -h "$PGHOST" -p "$COORD" -U "$SU" -d "$DB" -f "$SCRATCH/dump.sql" 2>"$SCRATCH/dump.err"; then
    pass "pg_dump of the coordinator succeeds"
else
    fail "pg_dump of the coordinator succeeds" "$(cat "$SCRATCH/dump.err")"
fi
expect_eq "the dump holds the floors, the trigger on orders and the distributed rows" \
    "$(grep -c '^CREATE TRIGGER valuecheck_enforce AFTER INSERT OR UPDATE ON public.orders ' "$SCRATCH/dump.sql"):$(
       awk '/^COPY valuecheck.floors /{c=1;next} c&&/^\\\.$/{c=0} c{n++} END{print n+0}' "$SCRATCH/dump.sql"):$(
       awk '/^COPY public.sales /{c=1;next} c&&/^\\\.$/{c=0} c{n++} END{print n+0}' "$SCRATCH/dump.sql")" \
    "1:$(q "SELECT count(*) FROM valuecheck.floors"):$(q "SELECT count(*) FROM sales")"

finish
