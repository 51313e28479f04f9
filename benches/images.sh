#!/usr/bin/env bash
# Resident memory of a conversation of generated images: the real orchat
# binary in tmux (120x40, half-block images) against its own local server
# (`orchat serve`), which draws a noisy 1024x1024 PNG (~1.6 MB, as big as
# Gemini 2.5 Flash Image's) for each "draw picture N 1024x1024".
#
#   bash benches/images.sh                 # builds orchat (release), ~2 minutes
#   N=20 ORCHAT_BIN=target/release/orchat bash benches/images.sh
#
# Measured (VmRSS of the orchat process, /proc/PID/status): before the first
# prompt, after every tenth image is saved (its PNG in the data directory),
# then the same conversation reopened with --continue: after the first frame
# and after PageUp through every answer (each image drawn once).
# Writes a markdown report to stdout and to benches/results/images-latest.md.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${N:-50}
MODEL=google/gemini-2.5-flash-image
OUT="$ROOT/benches/results/images-latest.md"
log() { printf '%s\n' "$*" >&2; }

# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"
bench_setup images
start_server images

launch() {
    local extra=$1
    T kill-session -t app 2>/dev/null || true
    T new-session -d -s app -x 120 -y 40 \
        "exec env -i HOME=$TMP/home PATH=$PATH TERM=tmux-256color LANG=C.UTF-8 \
ORCHAT_DATA_DIR=$TMP/data ORCHAT_STATE_DIR=$TMP/state ORCHAT_CACHE_DIR=$TMP/cache \
$BIN --provider openrouter --base-url $URL -m $MODEL $extra"
    for _ in $(seq 200); do
        [[ $(T capture-pane -p -t app 2>/dev/null) == *"Enter send"* ]] && break
        sleep 0.05
    done
    PID=$(T list-panes -t app -F '#{pane_pid}')
}
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
saved() { find "$TMP/data/images" -name '*.png' 2>/dev/null | wc -l; }

launch ""
sleep 1
ROWS=("| images | resident MiB |" "|---|---|" "| 0 | $(rss) |")
for i in $(seq "$N"); do
    T send-keys -t app -l -- "draw picture $i 1024x1024"
    T send-keys -t app Enter
    for _ in $(seq 600); do
        (($(saved) >= i)) && break
        sleep 0.05
    done
    (($(saved) >= i)) || { log "images: image $i was not saved"; T capture-pane -p -t app >&2; exit 1; }
    if ((i % 10 == 0 || i == N)); then
        sleep 1
        ROWS+=("| $i | $(rss) |")
        log "images: $i saved, $(rss) MiB"
    fi
done
PEAK=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status")
FILES=$(du -sm "$TMP/data/images" | cut -f1)
T send-keys -t app C-d
sleep 1

launch "--continue"
sleep 1
OPENED=$(rss)
for _ in $(seq $((N * 2))); do
    T send-keys -t app PageUp
    sleep 0.05
done
sleep 1
SCROLLED=$(rss)
SCREEN=$(T capture-pane -p -t app)
T send-keys -t app C-d

{
    echo "# Generated images in one conversation ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "$($BIN --version 2>/dev/null || echo orchat), $N prompts to $MODEL at the local server (1024x1024 PNGs, $FILES MB on disk), tmux 120x40, half-block images."
    echo
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Peak resident while drawing: $PEAK MiB. Reopened with --continue: $OPENED MiB after the first frame, $SCROLLED MiB after PageUp through all $N answers."
} | tee "$OUT"
if [[ $SCREEN != *"▄"* && $SCREEN != *"▀"* ]]; then
    log "images: no image on the screen after scrolling:"
    log "$SCREEN"
fi
