#!/usr/bin/env bash
# Issue 2, speed of enforcement (run by test/bench/run.sh; see there):
#  1. COPY of $BENCH_ROWS order lines, every line at or above its floor, into
#     the same table (a) unprotected, (b) protected by valuecheck.protect(),
#     (c) checked by the hand-written PL/pgSQL trigger of plpgsql_trigger.sql,
#     (n) with a no-op C AFTER ROW trigger (the kind valuecheck uses), and the
#     other no-op kinds: (s) AFTER STATEMENT with a transition table, (r)
#     BEFORE ROW.  Runs interleaved (a b c n s r a b c ...), $BENCH_REPS each,
#     medians compared: of the elapsed time, and of the CPU time the backend
#     spent (steadier on a shared machine: waiting for a CPU is not counted).
#  2. single-row INSERT throughput with pgbench ($BENCH_CLIENTS clients,
#     $BENCH_SECONDS s a run, $BENCH_PGBENCH_REPS interleaved runs) for a, b,
#     c (and n, the no-op AFTER ROW trigger, when installed): tps, and the
#     backends' CPU time per insert.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

KINDS=(a b c)
if have_noop; then KINDS+=(n s r); fi

heading "trigger: COPY of $BENCH_ROWS order lines, $BENCH_REPS interleaved runs per variant"
for k in "${KINDS[@]}"; do make_variant "bench_$k" "$k"; done
FILE="$(data_file "$BENCH_ROWS")"

# a first, untimed load per variant (warms caches: floors, plans, relcache)
for k in "${KINDS[@]}"; do time_copy "bench_$k" "$FILE" >/dev/null; done

say "  elapsed ms / backend CPU ms per run:"
declare -A TW TC
for rep in $(seq 1 "$BENCH_REPS"); do
    line="  run $rep:"
    for k in "${KINDS[@]}"; do
        res="$(time_copy "bench_$k" "$FILE")"
        read -r wall cpu <<<"$res"
        TW[$k]="${TW[$k]:-} $wall"
        TC[$k]="${TC[$k]:-} $cpu"
        line+="  $k $(fmt_ms "$wall")/$(fmt_ms "$cpu")"
    done
    say "$line"
done
# leave the tables small for what follows
for k in "${KINDS[@]}"; do bpsql -c "TRUNCATE bench_$k"; done

declare -A MW MC
for k in a b c n s r; do
    MW[$k]=nan MC[$k]=nan
    case " ${KINDS[*]} " in *" $k "*) ;; *) continue ;; esac
    MW[$k]="$(median_of ${TW[$k]})"
    MC[$k]="$(median_of ${TC[$k]})"
done
added() { # (c-a)/(b-a) of the medians in array $1
    local -n m="$1"
    awk -v a="${m[a]}" -v b="${m[b]}" -v c="${m[c]}" 'BEGIN {
        if (a == "nan" || b == "nan" || c == "nan") print "nan";
        else if (b - a <= 0) print "inf"; else printf "%.1f\n", (c - a) / (b - a) }'
}

summary ""
summary "COPY of $BENCH_ROWS lines, medians of $BENCH_REPS runs:      elapsed ms  backend CPU ms   CPU x unprotected"
for k in a b c n s r; do
    [ "${MW[$k]}" = nan ] && continue
    summary "$(printf '  (%s) %-44s %10s %10s %10s' "$k" "$(variant_label "$k")" \
        "$(fmt_ms "${MW[$k]}")" "$(fmt_ms "${MC[$k]}")" "$(ratio "${MC[$k]}" "${MC[a]}")")"
done
summary "$(printf '  %-46s %7s %7s' "ratios" "by CPU" "by wall")"
ratio_line "COPY b/a (valuecheck / unprotected)" "$(ratio "${MC[b]}" "${MC[a]}")" "$(ratio "${MW[b]}" "${MW[a]}")" '<=' 1.35
ratio_line "COPY b/n (valuecheck / no-op AFTER ROW)" "$(ratio "${MC[b]}" "${MC[n]}")" "$(ratio "${MW[b]}" "${MW[n]}")" '<=' 1.10
ratio_line "COPY (c-a)/(b-a) (PL/pgSQL adds / vc adds)" "$(added MC)" "$(added MW)" '>=' 10
summary "  trigger kinds, no-op C functions, COPY time / unprotected"
summary "  (issue 2 measured: AFTER ROW 1.2-1.3, AFTER STATEMENT + transition table 1.4, BEFORE ROW 1.7):"
ratio_line "n  no-op AFTER ROW" "$(ratio "${MC[n]}" "${MC[a]}")" "$(ratio "${MW[n]}" "${MW[a]}")"
ratio_line "s  no-op AFTER STATEMENT + transition table" "$(ratio "${MC[s]}" "${MC[a]}")" "$(ratio "${MW[s]}" "${MW[a]}")"
ratio_line "r  no-op BEFORE ROW" "$(ratio "${MC[r]}" "${MC[a]}")" "$(ratio "${MW[r]}" "${MW[a]}")"
ratio_line "b  valuecheck" "$(ratio "${MC[b]}" "${MC[a]}")" "$(ratio "${MW[b]}" "${MW[a]}")"
ratio_line "c  PL/pgSQL check" "$(ratio "${MC[c]}" "${MC[a]}")" "$(ratio "${MW[c]}" "${MW[a]}")"

# what a backend pays once, at its first check: loading the floor cache
# (every floor, through SPI); each COPY above ran in a new session, so each
# paid it once
LOADS=""
for i in 1 2 3; do
    out="$(bpsql -At -c '\timing on' -c "SELECT valuecheck.floor_for('SKU-00001') IS NOT NULL" 2>&1)"
    LOADS+=" $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -n 1)"
done
summary "$(printf '  floor cache load in a new backend (%s floors): %s ms (median of 3), included once in every COPY above' \
    "$(bval "SELECT count(*) FROM valuecheck.floors")" "$(fmt_ms "$(median_of $LOADS)")")"

# ------------------------------------------------------------ pgbench ---
heading "trigger: single-row INSERT, pgbench -c $BENCH_CLIENTS -T $BENCH_SECONDS -M $BENCH_PGBENCH_MODE, $BENCH_PGBENCH_REPS interleaved runs"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/valuecheck-bench-ins.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# one line at or above its floor per transaction: a random product (sku and
# list price by the formulas of setup.sql), 80..100% of list, a campaign
# now and then
PKINDS=(a b c)
if have_noop; then PKINDS+=(n); fi
for k in "${PKINDS[@]}"; do
    cat > "$WORK/insert_$k.sql" <<EOF
\\set p random(1, $BENCH_PRODUCTS)
\\set f random(800, 1000)
\\set c random(1, 10)
\\set id random(1, 1000000000000000)
\\set q random(1, 10)
\\set r random(1, 12)
INSERT INTO bench_$k (id, sku, unit_price, list_price, qty, campaign, rep)
VALUES (:id, 'SKU-' || lpad(:p::text, 5, '0'),
        round((5.99 + (:p * 37) % 995) * :f / 1000, 2),
        5.99 + (:p * 37) % 995,
        :q,
        CASE WHEN :c <= 2 THEN 'SPRING' WHEN :c = 3 THEN 'SUMMER' END,
        'rep' || lpad(:r::text, 2, '0'));
EOF
done

declare -A P PC
for rep in $(seq 1 "$BENCH_PGBENCH_REPS"); do
    for k in "${PKINDS[@]}"; do
        bpsql -c "TRUNCATE bench_$k" -c "CHECKPOINT"
        say "  run $rep, ($k) $(variant_label "$k"):"
        res="$(run_pgbench "$WORK/insert_$k.sql" -c "$BENCH_CLIENTS" -j "$BENCH_CLIENTS" -T "$BENCH_SECONDS")"
        read -r tps ntx cpu <<<"$res"
        say "      tps $tps, $ntx inserts, backend CPU $cpu us per insert"
        P[$k]="${P[$k]:-} $tps"
        PC[$k]="${PC[$k]:-} $cpu"
    done
done
for k in "${PKINDS[@]}"; do bpsql -c "TRUNCATE bench_$k"; done

declare -A PM PCM
PM[n]=nan PCM[n]=nan
for k in "${PKINDS[@]}"; do
    PM[$k]="$(median_of ${P[$k]})"
    PCM[$k]="$(median_of ${PC[$k]})"
done
summary ""
summary "single-row INSERT, pgbench $BENCH_CLIENTS clients x ${BENCH_SECONDS}s, medians of $BENCH_PGBENCH_REPS runs:   tps   backend CPU us/insert"
for k in "${PKINDS[@]}"; do
    summary "$(printf '  (%s) %-44s %10s %10s' "$k" "$(variant_label "$k")" "${PM[$k]}" "${PCM[$k]}")"
done
summary "$(printf '  %-46s %7s %7s' "ratios (time: wall = tps_a/tps_x)" "by CPU" "by wall")"
ratio_line "INSERT b/a (valuecheck / unprotected)" "$(ratio "${PCM[b]}" "${PCM[a]}")" "$(ratio "${PM[a]}" "${PM[b]}")" '<=' 1.05
ratio_line "INSERT b/n (valuecheck / no-op AFTER ROW)" "$(ratio "${PCM[b]}" "${PCM[n]}")" "$(ratio "${PM[n]}" "${PM[b]}")"
ratio_line "INSERT n/a (no-op AFTER ROW / unprotected)" "$(ratio "${PCM[n]}" "${PCM[a]}")" "$(ratio "${PM[a]}" "${PM[n]}")"
ratio_line "INSERT c/a (PL/pgSQL / unprotected)" "$(ratio "${PCM[c]}" "${PCM[a]}")" "$(ratio "${PM[a]}" "${PM[c]}")"
