#!/usr/bin/env bash
# Issue 9, floors at catalog scale (run by test/bench/run.sh; see there;
# `bash test/bench/run.sh catalog`, or `make bench BENCH_ARGS=catalog`, runs
# this suite alone).
#
# First, in the trigger suite's conditions (the bench's 10,000 products and
# 13,000 floors): COPY of $BENCH_ROWS lines over those products into an
# unprotected (a) and a protected (b) table, interleaved, b/a of medians.
#
# Then the catalog: $BENCH_CAT_PRODUCTS products (default 1,000,000) with a
# general floor each, loaded in bulk (floors_check disabled for the load),
# plus a price list of a campaign floor for every 10th product (100,000),
# uploaded with every trigger on: its time is the "floor upload" figure
# (median of $BENCH_CAT_UPLOAD_REPS uploads, each after deleting the last).
# With those floors in place:
#   - first protected write in a new connection (median of 5), and the same
#     write into the unprotected table;
#   - the next write of a session after another session edited one floor
#     (median of 5, in one session; the edit runs in psql through \!);
#   - valuecheck memory of a backend after 10,000 single-row inserts of
#     random products (pg_backend_memory_contexts, from inside the session);
#   - single-row INSERT, pgbench 1 client x $BENCH_CAT_SECONDS s, random
#     products: unprotected at READ COMMITTED, protected at READ COMMITTED,
#     REPEATABLE READ and SERIALIZABLE, $BENCH_CAT_PGBENCH_REPS interleaved
#     runs, medians;
#   - COPY of $BENCH_CAT_COPY_ROWS lines (default 1,000,000), every line
#     another product, random order: a vs b, $BENCH_CAT_REPS interleaved runs;
#   - leakage_report() over $BENCH_CAT_REPORT_ROWS lines (default 5,000,000)
#     spread over all the catalog's products, and over the bench's 10,000
#     products, $BENCH_CAT_REPORT_REPS runs each (0 skips it).
# Runs against any valuecheck version (the "before" figures were taken with
# the same script); valuecheck.floor_cache_size is reported where it exists.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

CAT_PRODUCTS="${BENCH_CAT_PRODUCTS:-1000000}"
CAT_COPY_ROWS="${BENCH_CAT_COPY_ROWS:-$CAT_PRODUCTS}"
CAT_REPS="${BENCH_CAT_REPS:-3}"
CAT_SECONDS="${BENCH_CAT_SECONDS:-10}"
CAT_PGBENCH_REPS="${BENCH_CAT_PGBENCH_REPS:-3}"
CAT_UPLOAD_REPS="${BENCH_CAT_UPLOAD_REPS:-3}"
CAT_REPORT_ROWS="${BENCH_CAT_REPORT_ROWS:-5000000}"
CAT_REPORT_REPS="${BENCH_CAT_REPORT_REPS:-3}"
CAT_CAMPAIGN=$(( CAT_PRODUCTS / 10 ))

BENCH_POSTMASTER_PID="$(bval "SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)" 2>/dev/null || true)"
export BENCH_POSTMASTER_PID

# ms of the last "Time:" line psql printed in $1
last_ms() { sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$1" | tail -n 1; }

# the setting exists once the library is loaded (floor_for loads it)
guc="$(bpsql -At -c "SELECT valuecheck.floor_for('x')" -c "SELECT coalesce((SELECT setting || unit FROM pg_settings WHERE name = 'valuecheck.floor_cache_size'), 'none (no such setting)')" | tail -n 1)"

# copy_a_b PREFIX FILE REPS: COPY FILE into PREFIXa and PREFIXb (a warm-up,
# then REPS interleaved runs), emptied after; the medians land in
# CPU_A CPU_B WALL_A WALL_B (ms).
copy_a_b() {
    local prefix="$1" file="$2" reps="$3" rep k wall cpu line
    local -A tw=() tc=()
    for k in a b; do time_copy "$prefix$k" "$file" >/dev/null; done
    for rep in $(seq 1 "$reps"); do
        line="  run $rep:"
        for k in a b; do
            read -r wall cpu < <(time_copy "$prefix$k" "$file")
            tw[$k]="${tw[$k]:-} $wall"; tc[$k]="${tc[$k]:-} $cpu"
            line+="  $k $(fmt_ms "$wall")/$(fmt_ms "$cpu")"
        done
        say "$line"
    done
    for k in a b; do bpsql -c "TRUNCATE $prefix$k"; done
    CPU_A="$(median_of ${tc[a]})"; CPU_B="$(median_of ${tc[b]})"
    WALL_A="$(median_of ${tw[a]})"; WALL_B="$(median_of ${tw[b]})"
}

# ------------------------------------------- the trigger suite's COPY ---
heading "catalog: COPY of $BENCH_ROWS lines over $BENCH_PRODUCTS products ($(bval "SELECT count(*) FROM valuecheck.floors") floors), $BENCH_REPS interleaved runs"
for k in a b; do make_variant "cat_$k" "$k"; done
FILE10K="$(data_file "$BENCH_ROWS")"
copy_a_b cat_ "$FILE10K" "$BENCH_REPS"
C10A="$CPU_A"; C10B="$CPU_B"; W10A="$WALL_A"; W10B="$WALL_B"

# ---------------------------------------------------------------- catalog ---
heading "catalog: $CAT_PRODUCTS products, a floor each, and $CAT_CAMPAIGN campaign floors (valuecheck.floor_cache_size: $guc)"
t0=$SECONDS
bpsql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS cat_products" -c "
    CREATE TABLE cat_products (i int PRIMARY KEY, sku text NOT NULL, list_price numeric(12,2) NOT NULL)" -c "
    INSERT INTO cat_products
    SELECT i, 'CAT-' || lpad(i::text, 7, '0'), 5.99 + (i * 37) % 995
      FROM generate_series(1, $CAT_PRODUCTS) i" -c "ANALYZE cat_products"
# the general floors in bulk: the overlap message trigger is not what this
# part measures (the exclusion constraint still checks every row)
bpsql -c "ALTER TABLE valuecheck.floors DISABLE TRIGGER floors_check" -c "
    INSERT INTO valuecheck.floors (product, min_price, max_discount, note)
    SELECT sku, round(list_price * 0.70, 2), CASE WHEN i % 4 = 0 THEN 0.25 END, 'catalog'
      FROM cat_products" -c "ALTER TABLE valuecheck.floors ENABLE TRIGGER floors_check"
say "  $CAT_PRODUCTS general floors loaded in $((SECONDS - t0)) s"

# the price list: $CAT_CAMPAIGN campaign floors, every trigger on; side by
# side with the overlap check of 1.0 (PL/pgSQL, one query per row), each
# upload in a transaction that is rolled back, then one kept
UPLOAD="INSERT INTO valuecheck.floors (product, campaign, min_price, valid, note)
        SELECT sku, 'SPRING', round(list_price * 0.50, 2), tstzrange(now() - interval '1 day', now() + interval '90 days'), 'catalog upload'
          FROM cat_products WHERE i % 10 = 0"
PLPGSQL_CHECK="CREATE OR REPLACE FUNCTION valuecheck.floors_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS \$fn\$
DECLARE other record;
BEGIN
    SELECT f.floor_id, f.valid INTO other FROM valuecheck.floors f
     WHERE f.product = NEW.product AND f.campaign IS NOT DISTINCT FROM NEW.campaign
       AND f.currency IS NOT DISTINCT FROM NEW.currency
       AND f.valid OPERATOR(pg_catalog.&&) NEW.valid AND f.floor_id <> NEW.floor_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'value floor for product % (campaign %, currency %) overlaps floor % in time',
            quote_literal(NEW.product), COALESCE(quote_literal(NEW.campaign), 'any'),
            COALESCE(quote_literal(NEW.currency), 'any'), other.floor_id
        USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'floors_no_overlap';
    END IF;
    RETURN NEW;
END \$fn\$;"
# upload_once SETUP -> "WALL_MS CPU_MS" of the upload (rolled back)
upload_once() {
    local out
    out="$(bpsql -At 2>&1 <<SQL
CHECKPOINT;
BEGIN;
$1
SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1) AS cpu0 \gset
\timing on
$UPLOAD;
\timing off
SELECT 'cpu_ms=' || round((split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint - :'cpu0'::bigint) / 1e6, 1);
ROLLBACK;
SQL
)" || { printf '%s\n' "$out" >&2; return 1; }
    echo "$(last_ms "$out") $(sed -n 's/^cpu_ms=//p' <<<"$out")"
}
declare -A UW UC
for rep in $(seq 1 "$CAT_UPLOAD_REPS"); do
    for v in cur plpgsql; do
        setup=""
        [ "$v" = plpgsql ] && setup="$PLPGSQL_CHECK"
        read -r w c < <(upload_once "$setup")
        UW[$v]="${UW[$v]:-} $w"; UC[$v]="${UC[$v]:-} $c"
        say "  upload $rep ($v): $CAT_CAMPAIGN floors in $(fmt_ms "$w") ms, backend CPU $(fmt_ms "$c") ms"
    done
done
bpsql -c "$UPLOAD"
bpsql -c "VACUUM ANALYZE valuecheck.floors"
NFLOORS="$(bval "SELECT count(*) FROM valuecheck.floors")"
say "  floors: $NFLOORS ($(bval "SELECT pg_size_pretty(pg_total_relation_size('valuecheck.floors'))") with indexes)"

for k in a b; do make_variant "catb_$k" "$k"; done
# a line at or above its floor of a random catalog product (80..100% of list)
ROW_SQL="INSERT INTO catb_%s (id, sku, unit_price, list_price, qty, campaign, rep)
         SELECT p.i, p.sku, round(p.list_price * 0.9, 2), p.list_price, 1,
                CASE WHEN p.i %% 3 = 0 THEN 'SPRING' END, 'rep01'
           FROM cat_products p WHERE p.i = (SELECT 1 + floor(random() * $CAT_PRODUCTS)::int)"

# first protected write in a new connection
declare -A FW
for rep in 1 2 3 4 5; do
    for k in a b; do
        # shellcheck disable=SC2059
        out="$(bpsql -c '\timing on' -c "$(printf "$ROW_SQL" "$k")" 2>&1)"
        FW[$k]="${FW[$k]:-} $(last_ms "$out")"
    done
done
say "  first write in a new connection, ms: unprotected${FW[a]}; protected${FW[b]}"

# next write after another session's one-floor edit (the edit commits in
# its own connection, through psql's \!), 5 times in one session
EDIT="$PSQL_BIN -X -q -d $BENCH_DB -c \"UPDATE valuecheck.floors SET note = 'catalog edited' WHERE product = 'CAT-0000007' AND campaign IS NULL\""
script="$(printf "$ROW_SQL" b);"
for rep in 1 2 3 4 5; do
    script+="
\\! $EDIT
\\timing on
$(printf "$ROW_SQL" b);
\\timing off"
done
out="$(bpsql <<<"$script" 2>&1)"
AE="$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tr '\n' ' ')"
say "  next write after another session's one-floor edit, ms: $AE"

# valuecheck memory after 10,000 random-product inserts in one session
MEMSQL="SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts
         WHERE name ILIKE '%valuecheck%' OR name ILIKE '%floor%'"
out="$(bpsql -At <<EOF 2>&1
DO \$\$ BEGIN FOR n IN 1..10000 LOOP
  INSERT INTO catb_b (id, sku, unit_price, list_price, qty, campaign, rep)
  SELECT p.i, p.sku, round(p.list_price * 0.9, 2), p.list_price, 1,
         CASE WHEN p.i % 3 = 0 THEN 'SPRING' END, 'rep01'
    FROM cat_products p WHERE p.i = (SELECT 1 + floor(random() * $CAT_PRODUCTS)::int);
END LOOP; END \$\$;
SELECT 'mem=' || ($MEMSQL);
SELECT 'ctx=' || string_agg(name || coalesce(' (' || ident || ')', '') || ': ' || total_bytes, ', ')
  FROM pg_backend_memory_contexts WHERE name ILIKE '%valuecheck%' OR name ILIKE '%floor%';
EOF
)"
MEM="$(sed -n 's/^mem=//p' <<<"$out")"
say "  valuecheck memory after 10,000 inserts: $(sed -n 's/^ctx=//p' <<<"$out")"

# ------------------------------------------------------------- pgbench ---
WORK="$(mktemp -d "${TMPDIR:-/tmp}/valuecheck-bench-cat.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
for k in a b; do
    # the trigger suite's products (bench_products, 13,000 floors among the catalog's)
    cat > "$WORK/ins10k_$k.sql" <<EOF
\\set p random(1, $BENCH_PRODUCTS)
\\set id random(1, 1000000000000000)
INSERT INTO catb_$k (id, sku, unit_price, list_price, qty, campaign, rep)
VALUES (:id, 'SKU-' || lpad(:p::text, 5, '0'),
        round((5.99 + (:p * 37) % 995) * 0.9, 2), 5.99 + (:p * 37) % 995, 1, NULL, 'rep01');
EOF
    cat > "$WORK/ins_$k.sql" <<EOF
\\set p random(1, $CAT_PRODUCTS)
\\set id random(1, 1000000000000000)
INSERT INTO catb_$k (id, sku, unit_price, list_price, qty, campaign, rep)
VALUES (:id, 'CAT-' || lpad(:p::text, 7, '0'),
        round((5.99 + (:p * 37) % 995) * 0.9, 2), 5.99 + (:p * 37) % 995, 1,
        CASE WHEN :p % 3 = 0 THEN 'SPRING' END, 'rep01');
EOF
done
heading "catalog: single-row INSERT, pgbench 1 client x ${CAT_SECONDS}s, $CAT_PGBENCH_REPS interleaved runs"
say "  isolation through PGOPTIONS: $(PGOPTIONS='-c default_transaction_isolation=repeatable\ read' bval "SHOW transaction_isolation")"
declare -A PT PCPU
VARIANTS=("a rc" "b rc" "b rr" "b ser" "a rc10k" "b rc10k")
iso_of() { case "$1" in rc|rc10k) echo "read committed" ;; rr) echo "repeatable read" ;; ser) echo "serializable" ;; esac; }
for rep in $(seq 1 "$CAT_PGBENCH_REPS"); do
    for v in "${VARIANTS[@]}"; do
        read -r k iso <<<"$v"
        bpsql -c "TRUNCATE catb_$k" -c "CHECKPOINT"
        level="$(iso_of "$iso")"
        # (PGOPTIONS: a space inside a value is escaped with a backslash)
        script="$WORK/ins_$k.sql"
        [ "$iso" = rc10k ] && script="$WORK/ins10k_$k.sql"
        res="$(PGOPTIONS="-c default_transaction_isolation=${level// /\\ }" \
               run_pgbench "$script" -c 1 -j 1 -T "$CAT_SECONDS" 2>"$WORK/pgbench.err")" ||
            { cat "$WORK/pgbench.err" >&2; exit 1; }
        read -r tps ntx cpu <<<"$res"
        say "  run $rep, $k $iso: tps $tps ($ntx inserts), backend CPU $cpu us per insert"
        PT[$k.$iso]="${PT[$k.$iso]:-} $tps"; PCPU[$k.$iso]="${PCPU[$k.$iso]:-} $cpu"
    done
done
for k in a b; do bpsql -c "TRUNCATE catb_$k"; done
declare -A PM PC
for v in "${VARIANTS[@]}"; do
    read -r k iso <<<"$v"
    PM[$k.$iso]="$(median_of ${PT[$k.$iso]})"; PC[$k.$iso]="$(median_of ${PCPU[$k.$iso]})"
done

# -------------------------------------------------------- COPY, distinct ---
heading "catalog: COPY of $CAT_COPY_ROWS lines, each another product, $CAT_REPS interleaved runs"
SD="$(server_dir)"
FILE1M="$SD/catalog_$CAT_COPY_ROWS.csv"
bpsql -o /dev/null -c "SELECT setseed(0.9)" -c "
    COPY (SELECT row_number() OVER (), p.sku, round(p.list_price * 0.9, 2), p.list_price, 1,
                 CASE WHEN p.i % 3 = 0 THEN 'SPRING' END, 'rep01'
            FROM (SELECT * FROM cat_products ORDER BY random() LIMIT $CAT_COPY_ROWS) p)
      TO '$FILE1M' (FORMAT csv)"
copy_a_b catb_ "$FILE1M" "$CAT_REPS"
server_sh "rm -f $FILE1M"
D1A="$CPU_A"; D1B="$CPU_B"; DW1A="$WALL_A"; DW1B="$WALL_B"

# ------------------------------------------------------ leakage_report ---
REP1M=nan; REP10K=nan; REPC1M=nan; REPC10K=nan; REP1MB=nan; REPC1MB=nan
if [ "$CAT_REPORT_REPS" -gt 0 ]; then
    heading "catalog: leakage_report() over $CAT_REPORT_ROWS lines, $CAT_PRODUCTS products vs $BENCH_PRODUCTS products"
    t0=$SECONDS
    for spec in "1m cat_products $CAT_PRODUCTS" "10k bench_products $BENCH_PRODUCTS"; do
        read -r tag src n <<<"$spec"
        T="cat_lines_$tag"
        create_orders_table "$T" ", ordered_at timestamptz"
        bpsql -o /dev/null -c "SELECT setseed(0.5)" -c "
            INSERT INTO $T
            SELECT g.id, p.sku, round(p.list_price * (0.70 + 0.30 * g.r)::numeric, 2), p.list_price,
                   1 + (g.id % 10)::int, CASE WHEN g.id % 5 = 0 THEN 'SPRING' END,
                   'rep' || lpad((g.id % 50)::text, 2, '0'), now() - interval '1 hour'
              FROM (SELECT id, 1 + (id * 7919) % $n AS i, random() AS r
                      FROM generate_series(1::bigint, $CAT_REPORT_ROWS) id) g
              JOIN $src p USING (i)"
        bpsql -c "VACUUM (FREEZE, ANALYZE) $T"
        bpsql -o /dev/null -c "SELECT valuecheck.protect('$T', product => 'sku', price => 'unit_price',
                                   list_price => 'list_price', quantity => 'qty', campaign => 'campaign',
                                   rep => 'rep', ordered_at => 'ordered_at')"
    done
    say "  2 tables of $CAT_REPORT_ROWS lines made in $((SECONDS - t0)) s"
    declare -A RW RC
    # 1m+: the same report in a session with a memo that holds every product
    big="SELECT 1"
    [ "$guc" != "none (no such setting)" ] && big="SET valuecheck.floor_cache_size = '1GB'"
    for rep in $(seq 1 "$CAT_REPORT_REPS"); do
        line="  run $rep:"
        for tag in 1m 10k 1m+; do
            set_sql="SELECT 1"
            [ "$tag" = "1m+" ] && set_sql="$big"
            c0="$(server_children_cpu_ms)"
            out="$(bpsql -c "$set_sql" -c '\timing on' -c "SELECT * FROM valuecheck.leakage_report('cat_lines_${tag%+}')" -o /dev/null 2>&1)"
            sleep 0.3
            c1="$(server_children_cpu_ms)"
            RW[$tag]="${RW[$tag]:-} $(last_ms "$out")"
            RC[$tag]="${RC[$tag]:-} $(awk -v a="$c0" -v b="$c1" 'BEGIN { print (a == "nan" || b == "nan") ? "nan" : b - a }')"
            line+="  $tag $(fmt_ms "$(last_ms "$out")") ms"
        done
        say "$line"
    done
    REP1M="$(median_of ${RW[1m]})"; REP10K="$(median_of ${RW[10k]})"
    REPC1M="$(median_of ${RC[1m]})"; REPC10K="$(median_of ${RC[10k]})"
    REP1MB="$(median_of ${RW[1m+]})"; REPC1MB="$(median_of ${RC[1m+]})"
    for tag in 1m 10k; do bpsql -o /dev/null -c "SELECT valuecheck.unprotect('cat_lines_$tag')" -c "DROP TABLE cat_lines_$tag"; done
fi

# ---------------------------------------------------------------- summary ---
summary ""
summary "catalog ($NFLOORS floors: $CAT_PRODUCTS products + $CAT_CAMPAIGN campaign floors; floor_cache_size $guc)"
summary "$(printf '  %-58s %s ms (CPU %s ms)' "floor upload, $CAT_CAMPAIGN floors (median of $CAT_UPLOAD_REPS)" "$(fmt_ms "$(median_of ${UW[cur]})")" "$(fmt_ms "$(median_of ${UC[cur]})")")"
summary "$(printf '  %-58s %s ms (CPU %s ms)' "  same with 1.0's PL/pgSQL overlap check" "$(fmt_ms "$(median_of ${UW[plpgsql]})")" "$(fmt_ms "$(median_of ${UC[plpgsql]})")")"
summary "$(printf '  %-58s %8s   <= 2 ms: %s   (unprotected: %s)' "first protected write, new connection (median of 5), ms" \
    "$(fmt_ms "$(median_of ${FW[b]})")" "$(verdict "$(median_of ${FW[b]})" '<=' 2)" "$(fmt_ms "$(median_of ${FW[a]})")")"
summary "$(printf '  %-58s %8s   <= 2 ms: %s' "next write after a one-floor edit (median of 5), ms" \
    "$(fmt_ms "$(median_of $AE)")" "$(verdict "$(median_of $AE)" '<=' 2)")"
summary "$(printf '  %-58s %8s   <= 16 MB: %s' "valuecheck memory after 10,000 random inserts, MB" \
    "$(awk -v b="${MEM:-nan}" 'BEGIN { if (b == "nan") print "nan"; else printf "%.2f", b / 1048576 }')" \
    "$(verdict "$(awk -v b="${MEM:-nan}" 'BEGIN { if (b == "nan") print "nan"; else print b / 1048576 }')" '<=' 16)")"
summary "$(printf '  %-58s %s / %s / %s / %s' "INSERT tps, 1 client: a RC / b RC / b RR / b SER" \
    "${PM[a.rc]}" "${PM[b.rc]}" "${PM[b.rr]}" "${PM[b.ser]}")"
summary "$(printf '  %-58s %s / %s / %s / %s' "  backend CPU us per insert" "${PC[a.rc]}" "${PC[b.rc]}" "${PC[b.rr]}" "${PC[b.ser]}")"
summary "$(printf '  %-46s %7s %7s' "ratios" "by CPU" "by wall")"
ratio_line "INSERT tps RR/RC (protected)" "$(ratio "${PC[b.rc]}" "${PC[b.rr]}")" "$(ratio "${PM[b.rr]}" "${PM[b.rc]}")" '>=' 0.9
ratio_line "INSERT tps SER/RC (protected)" "$(ratio "${PC[b.rc]}" "${PC[b.ser]}")" "$(ratio "${PM[b.ser]}" "${PM[b.rc]}")" '>=' 0.8
ratio_line "INSERT RC b/a, catalog products" "$(ratio "${PC[b.rc]}" "${PC[a.rc]}")" "$(ratio "${PM[a.rc]}" "${PM[b.rc]}")" '<=' 1.05
ratio_line "INSERT RC b/a, $BENCH_PRODUCTS products" "$(ratio "${PC[b.rc10k]}" "${PC[a.rc10k]}")" "$(ratio "${PM[a.rc10k]}" "${PM[b.rc10k]}")" '<=' 1.05
summary "$(printf '  %-46s a %s / b %s tps, CPU a %s / b %s us per insert' "" "${PM[a.rc10k]}" "${PM[b.rc10k]}" "${PC[a.rc10k]}" "${PC[b.rc10k]}")"
ratio_line "COPY $CAT_COPY_ROWS distinct products b/a" "$(ratio "$D1B" "$D1A")" "$(ratio "$DW1B" "$DW1A")" '<=' 1.8
summary "$(printf '  %-46s a %s / b %s ms CPU, a %s / b %s ms wall' "" "$(fmt_ms "$D1A")" "$(fmt_ms "$D1B")" "$(fmt_ms "$DW1A")" "$(fmt_ms "$DW1B")")"
ratio_line "COPY $BENCH_ROWS lines, $BENCH_PRODUCTS products b/a" "$(ratio "$C10B" "$C10A")" "$(ratio "$W10B" "$W10A")"
summary "$(printf '  %-46s a %s / b %s ms CPU, a %s / b %s ms wall' "" "$(fmt_ms "$C10A")" "$(fmt_ms "$C10B")" "$(fmt_ms "$W10A")" "$(fmt_ms "$W10B")")"
if [ "$CAT_REPORT_REPS" -gt 0 ]; then
    ratio_line "leakage_report $CAT_PRODUCTS / $BENCH_PRODUCTS products" "$(ratio "$REPC1M" "$REPC10K")" "$(ratio "$REP1M" "$REP10K")" '<=' 2
    summary "$(printf '  %-46s %s / %s ms CPU (all processes), %s / %s ms wall' "" "$(fmt_ms "$REPC1M")" "$(fmt_ms "$REPC10K")" "$(fmt_ms "$REP1M")" "$(fmt_ms "$REP10K")")"
    ratio_line "  same, floor_cache_size 1GB for the report" "$(ratio "$REPC1MB" "$REPC10K")" "$(ratio "$REP1MB" "$REP10K")" '<=' 2
    summary "$(printf '  %-46s %s ms CPU (all processes), %s ms wall' "" "$(fmt_ms "$REPC1MB")" "$(fmt_ms "$REP1MB")")"
fi

# leave the bench's floors as setup.sql made them
bpsql -c "DELETE FROM valuecheck.floors WHERE note LIKE 'catalog%'" -c "DROP TABLE cat_products, cat_a, cat_b, catb_a, catb_b" >/dev/null
