#!/usr/bin/env bash
# Compare mode's cost: the release binary in tmux (120x40) with four
# columns, each streaming a 1,000-token answer at 100 events a second from
# the local server (`orchat serve`), one token per event: the realistic doc
# answer by default (WORKLOAD=flat: the one-paragraph answer). Reports
# the client's CPU time over the round as a share of one core (schedstat of
# every thread), its wall time and peak RSS; medians of REPEAT runs.
#
#   bash benches/compare.sh                 # ~1 minute
#   WORKLOAD=flat bash benches/compare.sh   # the one-paragraph answer
#   WORDS=3 WORKLOAD=flat bash benches/compare.sh   # three words per event
#   REPEAT=5 bash benches/compare.sh
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
REPEAT=${REPEAT:-3}
WORDS=${WORDS:-1}
TOKENS=${TOKENS:-1000}
PACE=${PACE:-100}
WORKLOAD=${WORKLOAD:-doc}
MODELS=${MODELS:-google/gemini-2.5-flash,google/gemini-2.5-pro,google/gemini-2.5-flash-lite,google/gemini-2.0-flash-001}
log() { printf '%s\n' "$*" >&2; }

# ORCHAT_BIN=path measures that binary as it is (no build).
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"
bench_setup compare
start_server compare

cpu_ns() {
    local f a sum=0
    for f in /proc/"$1"/task/*/schedstat; do
        read -r a _ <"$f" 2>/dev/null && sum=$((sum + a))
    done
    echo "$sum"
}

results=()
for run in $(seq "$REPEAT"); do
    T new-session -d -s "r$run" -x 120 -y 40 \
        "exec env -i HOME=$TMP/home PATH=$PATH TERM=xterm-256color LANG=C.UTF-8 ORCHAT_DATA_DIR=$TMP/data ORCHAT_STATE_DIR=$TMP/state ORCHAT_CACHE_DIR=$TMP/cache $BIN --provider openrouter --base-url $URL --compare $MODELS"
    for _ in $(seq 200); do
        T capture-pane -p -t "r$run" | grep -q "Enter send" && break
        sleep 0.05
    done
    PID=$(T display -p -t "r$run" '#{pane_pid}')
    if [[ $WORKLOAD == doc ]]; then
        T send-keys -t "r$run" -l -- "[[fault:doc:$TOKENS]] [[fault:pace:$PACE]] go"
    else
        T send-keys -t "r$run" -l -- "[[fault:long:$TOKENS]] [[fault:pace:$PACE]] [[fault:words:$WORDS]] go"
    fi
    start_cpu=$(cpu_ns "$PID")
    start=${EPOCHREALTIME/./}
    T send-keys -t "r$run" Enter
    for _ in $(seq 1200); do
        s=$(T capture-pane -p -t "r$run")
        # Done: four columns ended (each header says so) and the round settled.
        if [[ $(grep -o ' reported' <<<"$s" | wc -l) -ge 4 && $s != *"streaming"* && $s != *"≈"* ]]; then
            break
        fi
        sleep 0.05
    done
    end=${EPOCHREALTIME/./}
    end_cpu=$(cpu_ns "$PID")
    rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
    wall_us=$((end - start))
    cpu_us=$(((end_cpu - start_cpu) / 1000))
    pct=$(awk -v c="$cpu_us" -v w="$wall_us" 'BEGIN { printf "%.2f", 100 * c / w }')
    log "run $run: wall $((wall_us / 1000)) ms, cpu $((cpu_us / 1000)) ms, $pct% of a core, peak RSS $((rss / 1024)) MiB"
    results+=("$pct $((wall_us / 1000)) $((cpu_us / 1000)) $((rss / 1024))")
    T send-keys -t "r$run" C-d
    sleep 0.3
    T kill-session -t "r$run" 2>/dev/null || true
done
printf '%s\n' "${results[@]}" | sort -n | awk -v n="$REPEAT" -v words="$WORDS" -v tokens="$TOKENS" -v pace="$PACE" -v wl="$WORKLOAD" '
    { a[NR] = $0 }
    END {
        split(a[int((n + 1) / 2)], m, " ")
        printf "4 columns × %d tokens (%s) at %d events/s (%d word(s) an event for flat): median %s%% of a core (wall %s ms, CPU %s ms, peak RSS %s MiB)\n", tokens, wl, pace, words, m[1], m[2], m[3], m[4]
    }'
