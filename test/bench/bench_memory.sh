#!/usr/bin/env bash
# Issue 2, memory (run by test/bench/run.sh; see there): peak memory of the
# backend running a COPY of $BENCH_BIG_ROWS lines into the unprotected table
# (a), the valuecheck-protected one (b) and, when the no-op module is
# installed, the no-op AFTER ROW one (n).  An AFTER ROW trigger queues an
# event per row until the end of the statement, as foreign-key checks do.
#
# Read from /proc/<backend pid>/status (the server must run on this machine):
#   VmHWM     the backend's peak resident set size, exact; it includes the
#             shared buffers the backend touched (up to shared_buffers);
#   RssAnon   private memory (the backend's palloc'd memory, among it the
#             after-trigger event queue), sampled every 0.1 s: its peak.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

heading "memory: peak backend memory of a COPY of $BENCH_BIG_ROWS lines"
KINDS=(a b)
if have_noop; then KINDS+=(n); fi
for k in "${KINDS[@]}"; do make_variant "bench_mem_$k" "$k"; done
FILE="$(data_file "$BENCH_BIG_ROWS")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/valuecheck-bench-mem.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# measure KIND: prints "elapsed_ms vmhwm_kb rssanon_peak_kb"
measure() {
    local t="bench_mem_$1" pidfile="$WORK/pid.$1" out="$WORK/out.$1"
    rm -f "$pidfile"
    bpsql -c "TRUNCATE $t" -c "CHECKPOINT"
    # one session: print its pid to a file, COPY, then linger a moment so
    # the last sample sees the peak
    bpsql -At -c "\\o $pidfile" -c "SELECT pg_backend_pid()" -c "\\o" -c '\timing on' \
          -c "COPY $t FROM '$FILE' (FORMAT csv)" -c "SELECT pg_sleep(0.3)" > "$out" 2>&1 &
    local psql_pid=$! pid="" i hwm=0 anon=0 h a
    for i in $(seq 1 600); do
        if [ -s "$pidfile" ]; then pid="$(tr -dc 0-9 < "$pidfile")"; [ -n "$pid" ] && break; fi
        sleep 0.05
    done
    [ -n "$pid" ] || { wait "$psql_pid" || true; cat "$out" >&2; die "no backend pid"; }
    [ -r "/proc/$pid/status" ] || { wait "$psql_pid" || true; die "cannot read /proc/$pid/status: is the server on this machine?"; }
    while kill -0 "$psql_pid" 2>/dev/null; do
        read -r h a < <(awk '$1 == "VmHWM:" { h = $2 } $1 == "RssAnon:" { a = $2 }
                             END { print h + 0, a + 0 }' "/proc/$pid/status" 2>/dev/null || echo 0 0)
        [ "${h:-0}" -gt "$hwm" ] && hwm=$h
        [ "${a:-0}" -gt "$anon" ] && anon=$a
        sleep 0.1
    done
    wait "$psql_pid" || { cat "$out" >&2; die "COPY into $t failed"; }
    local ms
    ms="$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out" | head -n 1)"
    echo "${ms:-nan} $hwm $anon"
}

mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
declare -A R
for k in "${KINDS[@]}"; do
    R[$k]="$(measure "$k")"
    read -r ms hwm anon <<<"${R[$k]}"
    printf '  (%s) %-28s COPY %8s ms   peak RSS (VmHWM) %6s MB   peak private (RssAnon) %6s MB\n' \
        "$k" "$(variant_label "$k")" "$(fmt_ms "$ms")" "$(mb "$hwm")" "$(mb "$anon")"
    bpsql -c "TRUNCATE bench_mem_$k"
done
drop_data_file "$BENCH_BIG_ROWS"

summary ""
summary "memory, COPY of $BENCH_BIG_ROWS lines, backend peak (shared_buffers=$(bval "SHOW shared_buffers")):"
for k in "${KINDS[@]}"; do
    read -r ms hwm anon <<<"${R[$k]}"
    summary "$(printf '  (%s) %-28s VmHWM %6s MB, private (RssAnon) peak %6s MB' "$k" "$(variant_label "$k")" "$(mb "$hwm")" "$(mb "$anon")")"
done
read -r _ _ anon_a <<<"${R[a]}"
read -r _ _ anon_b <<<"${R[b]}"
per_line() { awk -v d="$1" -v n="$BENCH_BIG_ROWS" 'BEGIN { printf "%.1f", d * 1024 / n }'; }
summary "$(printf '  valuecheck vs unprotected: +%s MB private memory at the peak (%s bytes per line)' \
    "$(mb $((anon_b - anon_a)))" "$(per_line $((anon_b - anon_a)))")"
if [ -n "${R[n]:-}" ]; then
    read -r _ _ anon_n <<<"${R[n]}"
    summary "$(printf '    of which the AFTER ROW event queue (no-op trigger vs unprotected): +%s MB (%s bytes per line),' \
        "$(mb $((anon_n - anon_a)))" "$(per_line $((anon_n - anon_a)))")"
    summary "$(printf '    and valuecheck itself (vs the no-op trigger): %s MB' "$(mb $((anon_b - anon_n)))")"
fi
