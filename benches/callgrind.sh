#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) for the claims that must not
# depend on how loaded the machine is: a frame's cost as the history grows,
# the markdown of one frame of a 20,000-token answer, and the cost meter's
# work per delta. Only the measured loop is counted (--toggle-collect), not
# building the conversation.
#
#   bash benches/callgrind.sh      # ~30 minutes (the 100,000-message rows
#                                  # take 4 minutes each); needs valgrind
#
# Writes a markdown table to stdout and to benches/results/callgrind-latest.md.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
command -v valgrind >/dev/null || { echo "callgrind: valgrind is needed" >&2; exit 2; }
OUT="$ROOT/benches/results/callgrind-latest.md"
TMP=$(mktemp -d /tmp/orchat-callgrind.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

bench_bin() {
    cargo bench --bench "$1" --no-run 2>&1 | grep -o "target/release/deps/$1-[0-9a-f]*" | tail -n1
}
echo "callgrind: building the benchmarks…" >&2
FRAME=$(bench_bin frame)
MD=$(bench_bin markdown)
COST=$(bench_bin cost)
EVENT=$(bench_bin event)
TREE=$(bench_bin tree)
LONG=$(bench_bin long)

# Instructions counted inside the measured function for one run.
count() {
    local bin=$1 spec=$2 f="$TMP/cg.out"
    ORCHAT_CALLGRIND="$spec" valgrind --tool=callgrind --callgrind-out-file="$f" \
        --toggle-collect='*measured_*' "$bin" >/dev/null 2>"$TMP/vg.err" ||
        { cat "$TMP/vg.err" >&2; return 1; }
    awk '/^(summary|totals):/ { print $2; exit }' "$f"
}
per() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%\047.0f", a / n }'; }

{
    echo "## Instruction counts (callgrind)"
    echo
    echo "- when: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with local changes)'); $(valgrind --version)"
    echo
    echo "### One delta and one frame (120x40), by history length"
    echo
    echo "The streaming answer holds about 2,000 tokens; 100 steps counted, per step shown."
    echo "Workloads: doc (the realistic answer, one piece of about four characters a"
    echo "delta) and words (the earlier answer, 1-12 words a delta)."
    echo
    echo "| workload | messages | delta (Ir) | frame (Ir) | delta + frame (Ir) | conversation pane alone (Ir) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for wl in doc words; do
        # The words workload's 100,000 messages add ~15 minutes and say
        # what the doc row says about history length.
        sizes="10 1000 100000"
        [[ $wl == words ]] && sizes="10 1000"
        for n in $sizes; do
            echo "callgrind: frame, $wl, $n messages" >&2
            d=$(count "$FRAME" "delta:$n:100:$wl")
            f=$(count "$FRAME" "frame:$n:100:$wl")
            b=$(count "$FRAME" "both:$n:100:$wl")
            p=$(count "$FRAME" "pane:$n:100:$wl")
            echo "| $wl | $n | $(per "$d" 100) | $(per "$f" 100) | $(per "$b" 100) | $(per "$p" 100) |"
        done
    done
    echo
    echo "### Markdown of one frame at the end of a 20,000-token answer (118 columns)"
    echo
    echo "| rendering | Ir per frame |"
    echo "|---|---:|"
    for m in scratch incremental; do
        echo "callgrind: markdown, $m" >&2
        echo "| $m | $(per "$(count "$MD" "$m:20")" 20) |"
    done
    echo
    echo "### The session's first code block against its second (Rust, 118 columns)"
    echo
    echo "Rendered with the grammars warmed as the app warms them after its first"
    echo "frame, and cold (nothing warmed: the grammar compiles in the block)."
    echo
    echo "| | first block (Ir) | second block (Ir) |"
    echo "|---|---:|---:|"
    for w in warm cold; do
        echo "callgrind: markdown, code blocks, $w" >&2
        sfx=$([ "$w" = cold ] && echo ":cold" || echo "")
        echo "| $w | $(per "$(count "$MD" "codeblock:first$sfx")" 1) | $(per "$(count "$MD" "codeblock:second$sfx")" 1) |"
    done
    echo
    echo "### Cost meter per delta (fold the delta in, estimate, price, format)"
    echo
    echo "| answer so far | Ir per delta |"
    echo "|---:|---:|"
    for t in 2000 20000; do
        echo "callgrind: cost, $t tokens" >&2
        echo "| $t tokens | $(per "$(count "$COST" "$t:100")" 100) |"
    done
    echo
    echo "### The per-event path, one token an SSE event (decode, update, meter)"
    echo
    echo "An answer's events off the network (realistic reads), each"
    echo "applied by \`update\` and the turn's live cost formatted; per event."
    echo
    echo "| workload | answer | events | Ir per event |"
    echo "|---|---:|---:|---:|"
    for wl in doc words; do
        for t in 2000 20000; do
            echo "callgrind: event, $wl, $t tokens" >&2
            n=$(ORCHAT_CALLGRIND="$t:$wl" "$EVENT" | awk '{print $(NF-1)}')
            echo "| $wl | $t tokens | $n | $(per "$(count "$EVENT" "$t:$wl")" "$n") |"
        done
    done
    echo
    echo "### The conversation as a tree (120x40): 10 messages against 10,000 in 100 branches"
    echo
    echo "A delta and its frame with a 2,000-token answer streaming at the end of"
    echo "the path; a walk (← or → in the pane on a trunk answer with a sibling,"
    echo "which swaps the rest of the path) and its frame; 100 steps, per step."
    echo
    echo "| conversation | delta + frame (Ir) | walk + frame (Ir) |"
    echo "|---|---:|---:|"
    for shape in linear tree; do
        echo "callgrind: tree, $shape" >&2
        f=$(count "$TREE" "frame:$shape:100")
        w=$(count "$TREE" "walk:$shape:100")
        label=$([ "$shape" = tree ] && echo "10,000 messages, 100 branches" || echo "10 messages")
        echo "| $label | $(per "$f" 100) | $(per "$w" 100) |"
    done
    echo
    echo "### Long conversations: 1,000 answers of ~1,000 tokens (doc) against one"
    echo
    echo "From the bottom, 100 keys each with its frame (120x40), per step: PageUp and"
    echo "PageDown in turn (the same two screens), and PageUp only (walking up"
    echo "through the answers, each rendered when it first comes into view)."
    echo
    echo "| conversation | PageUp/PageDown + frame (Ir) | PageUp + frame (Ir) |"
    echo "|---|---:|---:|"
    for n in 1 1000; do
        echo "callgrind: long, $n answers" >&2
        bo=$(count "$LONG" "bounce:$n:100")
        up=$(count "$LONG" "up:$n:100")
        echo "| $n answer(s) | $(per "$bo" 100) | $(per "$up" 100) |"
    done
} | tee "$TMP/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$TMP/report.md" "$OUT"
echo "callgrind: written to ${OUT#"$ROOT"/}" >&2
