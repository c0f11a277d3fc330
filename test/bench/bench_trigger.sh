#!/usr/bin/env bash
# Issue 2, speed of enforcement (run by test/bench/run.sh; see there):
#  1. COPY of $BENCH_ROWS order lines, every line at or above its floor, into
#     the same table (a) unprotected, (b) protected by valuecheck.protect(),
#     (c) checked by the hand-written PL/pgSQL trigger of plpgsql_trigger.sql,
#     (n) with a no-op C AFTER ROW trigger (the kind valuecheck uses), and the
#     other no-op kinds: (s) AFTER STATEMENT with a transition table, (r)
#     BEFORE ROW.  Runs interleaved (a b c n s r a b c ...), $BENCH_REPS each,
#     medians compared.
#  2. single-row INSERT throughput with pgbench ($BENCH_CLIENTS clients,
#     $BENCH_SECONDS s a run, $BENCH_PGBENCH_REPS interleaved runs) for a, b, c.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

KINDS=(a b c)
if have_noop; then KINDS+=(n s r); fi

heading "trigger: COPY of $BENCH_ROWS order lines, $BENCH_REPS interleaved runs per variant"
for k in "${KINDS[@]}"; do make_variant "bench_$k" "$k"; done
FILE="$(data_file "$BENCH_ROWS")"

# a first, untimed load per variant (warms caches: floors, plans, relcache)
for k in "${KINDS[@]}"; do time_copy "bench_$k" "$FILE" >/dev/null; done

declare -A T
for rep in $(seq 1 "$BENCH_REPS"); do
    line="  run $rep:"
    for k in "${KINDS[@]}"; do
        ms="$(time_copy "bench_$k" "$FILE")"
        T[$k]="${T[$k]:-} $ms"
        line+="  $k $(fmt_ms "$ms")"
    done
    say "$line ms"
done
# leave the tables small for what follows
for k in "${KINDS[@]}"; do bpsql -c "TRUNCATE bench_$k"; done

declare -A M
say ""
say "  median COPY time (ms), $BENCH_ROWS lines:"
for k in a b c n s r; do
    M[$k]=nan
    case " ${KINDS[*]} " in *" $k "*) ;; *) continue ;; esac
    M[$k]="$(median_of ${T[$k]})"
    printf '    (%s) %-44s %10s ms  %6s x unprotected\n' "$k" "$(variant_label "$k")" \
        "$(fmt_ms "${M[$k]}")" "$(ratio "${M[$k]}" "${M[a]}")"
done

r_ba="$(ratio "${M[b]}" "${M[a]}")"
r_bn="$(ratio "${M[b]}" "${M[n]}")"
r_ca_ba="$(awk -v a="${M[a]}" -v b="${M[b]}" -v c="${M[c]}" 'BEGIN {
    if (b - a <= 0) print "inf"; else printf "%.1f\n", (c - a) / (b - a) }')"
summary ""
summary "COPY $BENCH_ROWS lines, medians of $BENCH_REPS (ms): a=$(fmt_ms "${M[a]}") b=$(fmt_ms "${M[b]}") c=$(fmt_ms "${M[c]}") n=$(fmt_ms "${M[n]}") s=$(fmt_ms "${M[s]}") r=$(fmt_ms "${M[r]}")"
summary "$(printf '  COPY b/a (valuecheck / unprotected)          %7s  target <= 1.35  %s' "$r_ba" "$(verdict "$r_ba" '<=' 1.35)")"
summary "$(printf '  COPY b/n (valuecheck / no-op AFTER ROW)      %7s  target <= 1.10  %s' "$r_bn" "$(verdict "$r_bn" '<=' 1.10)")"
if [ "$r_ca_ba" = inf ]; then
    summary "  COPY (c-a)/(b-a) (PL/pgSQL adds / valuecheck adds)  valuecheck adds nothing measurable (b <= a)  target met"
else
    summary "$(printf '  COPY (c-a)/(b-a) (PL/pgSQL adds / vc adds)  %7s  target >= 10    %s' "$r_ca_ba" "$(verdict "$r_ca_ba" '>=' 10)")"
fi
summary "  trigger kinds, no-op C functions, COPY time / unprotected (issue 2 measured: AFTER ROW ~1.2-1.3, AFTER STATEMENT + transition table ~1.4, BEFORE ROW ~1.7):"
summary "$(printf '    n  no-op AFTER ROW                          %7s' "$(ratio "${M[n]}" "${M[a]}")")"
summary "$(printf '    s  no-op AFTER STATEMENT + transition table %7s' "$(ratio "${M[s]}" "${M[a]}")")"
summary "$(printf '    r  no-op BEFORE ROW                         %7s' "$(ratio "${M[r]}" "${M[a]}")")"
summary "$(printf '    b  valuecheck                               %7s' "$r_ba")"
summary "$(printf '    c  PL/pgSQL check                           %7s' "$(ratio "${M[c]}" "${M[a]}")")"

# ------------------------------------------------------------ pgbench ---
heading "trigger: single-row INSERT, pgbench -c $BENCH_CLIENTS -T $BENCH_SECONDS -M $BENCH_PGBENCH_MODE, $BENCH_PGBENCH_REPS interleaved runs"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/valuecheck-bench-ins.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# one line at or above its floor per transaction: a random product (sku and
# list price by the formulas of setup.sql), 80..100% of list, a campaign
# now and then
for k in a b c; do
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

declare -A P
for rep in $(seq 1 "$BENCH_PGBENCH_REPS"); do
    for k in a b c; do
        bpsql -c "TRUNCATE bench_$k" -c "CHECKPOINT"
        say "  run $rep, ($k) $(variant_label "$k"):"
        tps="$(run_pgbench "$WORK/insert_$k.sql" -c "$BENCH_CLIENTS" -j "$BENCH_CLIENTS" -T "$BENCH_SECONDS")"
        say "      tps $tps"
        P[$k]="${P[$k]:-} $tps"
    done
done
for k in a b c; do bpsql -c "TRUNCATE bench_$k"; done

declare -A PM
say ""
say "  median tps:"
for k in a b c; do
    PM[$k]="$(median_of ${P[$k]})"
    printf '    (%s) %-30s %10s tps  %6.3f ms/insert  time x unprotected %s\n' "$k" "$(variant_label "$k")" \
        "${PM[$k]}" "$(awk -v t="${PM[$k]}" 'BEGIN { print (t > 0) ? 1000 / t : 0 }')" \
        "$(ratio "${PM[a]}" "${PM[$k]}")"
done
p_ba="$(ratio "${PM[a]}" "${PM[b]}")"
summary ""
summary "single-row INSERT, pgbench $BENCH_CLIENTS clients x ${BENCH_SECONDS}s, medians of $BENCH_PGBENCH_REPS (tps): a=${PM[a]} b=${PM[b]} c=${PM[c]}"
summary "$(printf '  INSERT b/a (time ratio = tps_a/tps_b)       %7s  target <= 1.05  %s' "$p_ba" "$(verdict "$p_ba" '<=' 1.05)")"
summary "$(printf '  INSERT c/a (time ratio = tps_a/tps_c)       %7s' "$(ratio "${PM[a]}" "${PM[c]}")")"
