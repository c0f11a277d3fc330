#!/usr/bin/env bash
# Issue 3, cost of approvals (run by test/bench/run.sh; see there):
# $BENCH_APPROVAL_TX single-row inserts, each its own transaction, into a
# table protected with an approval column:
#   (b) plain enforced lines, at or above their floor (approval column NULL);
#   (x) approved lines, below their floor, each naming an unlimited approval
#       (max_uses NULL) for its product: the trigger checks the approval
#       (SELECT ... FOR UPDATE), takes a use (UPDATE) and writes a row into
#       valuecheck.exceptions;
#   (a) the same plain lines into an unprotected table, for reference.
#
# Why pgbench -t and not a psql script of INSERTs or a DO block: a DO block
# is one transaction and one statement (not what an application does, and
# the approvals' row locks would be held throughout); a psql script measures
# psql's parsing and round trips as well.  pgbench runs each insert as its
# own transaction over a prepared statement, spreads $BENCH_APPROVAL_TX
# transactions over $BENCH_CLIENTS clients (-t TX/clients) and reports
# throughput; ms per insert = 1000 / tps (wall clock, all clients).  The
# lines pick one of up to 1000 products, each with its own approval, at
# random, so the clients rarely wait for each other's lock on an approval.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

NPROD=$(( BENCH_PRODUCTS < 1000 ? BENCH_PRODUCTS : 1000 ))
TX_PER_CLIENT=$(( (BENCH_APPROVAL_TX + BENCH_CLIENTS - 1) / BENCH_CLIENTS ))
TX=$(( TX_PER_CLIENT * BENCH_CLIENTS ))
heading "approvals: $TX single-row inserts (pgbench -c $BENCH_CLIENTS -t $TX_PER_CLIENT -M $BENCH_PGBENCH_MODE), $BENCH_APPROVAL_REPS interleaved runs"

create_orders_table bench_appr_a ", approval_id bigint"
create_orders_table bench_appr_b ", approval_id bigint"
bpsql -c "SELECT valuecheck.protect('bench_appr_b', product => 'sku', price => 'unit_price',
              list_price => 'list_price', quantity => 'qty', campaign => 'campaign',
              rep => 'rep', approval => 'approval_id')" >/dev/null

# one unlimited approval per product 1..NPROD, down to 30% of list (the
# approved lines are at 40%); their ids must be consecutive
bpsql -c "DELETE FROM valuecheck.approvals WHERE reason = 'bench'" -c "
    SELECT count(valuecheck.approve(sku, round(list_price * 0.30, 2), 'bench',
                                    now() + interval '1 day', NULL, NULL, NULL))
      FROM (SELECT * FROM bench_products WHERE i <= $NPROD ORDER BY i) p" >/dev/null
ABASE="$(bval "SELECT min(approval_id) FROM valuecheck.approvals WHERE reason = 'bench'")"
[ "$(bval "SELECT max(approval_id) - min(approval_id) + 1 = count(*) AND count(*) = $NPROD
             FROM valuecheck.approvals WHERE reason = 'bench'")" = t ] ||
    die "the bench's approvals do not have consecutive ids"
say "  $NPROD approvals (max_uses NULL), ids $ABASE.. "

WORK="$(mktemp -d "${TMPDIR:-/tmp}/valuecheck-bench-appr.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
write_script() { # FILE TABLE PRICE_FACTOR_SQL APPROVAL_SQL
    cat > "$1" <<EOF
\\set p random(1, $NPROD)
\\set f random(800, 1000)
\\set id random(1, 1000000000000000)
INSERT INTO $2 (id, sku, unit_price, list_price, qty, campaign, rep, approval_id)
VALUES (:id, 'SKU-' || lpad(:p::text, 5, '0'),
        round((5.99 + (:p * 37) % 995) * $3, 2),
        5.99 + (:p * 37) % 995,
        1, NULL, 'rep01', $4);
EOF
}
write_script "$WORK/a.sql" bench_appr_a ":f / 1000" "NULL"
write_script "$WORK/b.sql" bench_appr_b ":f / 1000" "NULL"
write_script "$WORK/x.sql" bench_appr_b "0.40" ":p + $((ABASE - 1))"

label() {
    case "$1" in
        a) echo "unprotected, plain lines" ;;
        b) echo "protected, plain lines (at/above floor)" ;;
        x) echo "protected, approved lines (below floor)" ;;
    esac
}
exc0="$(bval "SELECT count(*) FROM valuecheck.exceptions")"
uses0="$(bval "SELECT coalesce(sum(uses), 0) FROM valuecheck.approvals WHERE reason = 'bench'")"
declare -A P PC
for rep in $(seq 1 "$BENCH_APPROVAL_REPS"); do
    for k in a b x; do
        t=bench_appr_b; [ "$k" = a ] && t=bench_appr_a
        bpsql -c "TRUNCATE $t" -c "VACUUM valuecheck.approvals" -c "CHECKPOINT"
        say "  run $rep, ($k) $(label "$k"):"
        res="$(run_pgbench "$WORK/$k.sql" -c "$BENCH_CLIENTS" -j "$BENCH_CLIENTS" -t "$TX_PER_CLIENT")"
        read -r tps ntx cpu <<<"$res"
        say "      tps $tps, backend CPU $cpu us per insert"
        P[$k]="${P[$k]:-} $tps"
        PC[$k]="${PC[$k]:-} $cpu"
    done
done
exc="$(( $(bval "SELECT count(*) FROM valuecheck.exceptions") - exc0 ))"
uses="$(( $(bval "SELECT coalesce(sum(uses), 0) FROM valuecheck.approvals WHERE reason = 'bench'") - uses0 ))"
say "  check: $exc exceptions recorded and $uses uses taken for $((TX * BENCH_APPROVAL_REPS)) approved inserts"
for t in bench_appr_a bench_appr_b; do bpsql -c "TRUNCATE $t"; done

declare -A PM MS PCM
for k in a b x; do
    PM[$k]="$(median_of ${P[$k]})"
    PCM[$k]="$(median_of ${PC[$k]})"
    MS[$k]="$(awk -v t="${PM[$k]}" 'BEGIN { printf "%.3f", (t > 0) ? 1000 / t : 0 }')"
done
summary ""
summary "approvals: $TX single-row inserts, pgbench $BENCH_CLIENTS clients, medians of $BENCH_APPROVAL_REPS runs:"
summary "$(printf '  %-46s %10s %10s' "" "ms/insert" "CPU us/insert")"
for k in a b x; do
    summary "$(printf '  (%s) %-42s %10s %10s' "$k" "$(label "$k")" "${MS[$k]}" "${PCM[$k]}")"
done
summary "$(printf '  (ms per insert = 1000/tps, wall clock, all clients; CPU = the backends%s CPU time per insert)' "'")"
summary "$(printf '  %-46s %7s %7s' "ratios" "by CPU" "by wall")"
ratio_line "approved / plain enforced insert" "$(ratio "${PCM[x]}" "${PCM[b]}")" "$(ratio "${PM[b]}" "${PM[x]}")"
ratio_line "plain enforced / unprotected insert" "$(ratio "${PCM[b]}" "${PCM[a]}")" "$(ratio "${PM[a]}" "${PM[b]}")"
summary "$(printf '  an approved insert costs %s ms more wall clock, %s us more backend CPU, than a plain enforced one' \
    "$(awk -v x="${MS[x]}" -v b="${MS[b]}" 'BEGIN { printf "%.3f", x - b }')" \
    "$(awk -v x="${PCM[x]}" -v b="${PCM[b]}" 'BEGIN { if (x == "nan" || b == "nan") print "nan"; else printf "%.1f", x - b }')")"
if [ "$exc" -ne $((TX * BENCH_APPROVAL_REPS)) ] || [ "$uses" -ne $((TX * BENCH_APPROVAL_REPS)) ]; then
    summary "  WARNING: expected $((TX * BENCH_APPROVAL_REPS)) exceptions and uses, found $exc and $uses"
fi
