# Shared by e2e.sh, compare.sh and images.sh (sourced, after ROOT is set and
# log() defined): the binary to measure, a temp dir and a private tmux server
# cleaned up on exit, and the local server (`orchat serve`).
#
#   bench_setup NAME     sets BIN (ORCHAT_BIN=path measures that binary as it
#                        is; else a release build), TMP, SOCK, T (tmux on
#                        the private socket), and the exit trap
#   start_server NAME    starts `orchat serve` with its own directories under
#                        $TMP; sets URL and SERVER_PID

bench_setup() {
    local name=$1
    if [[ -n ${ORCHAT_BIN:-} ]]; then
        BIN=$(cd "$(dirname "$ORCHAT_BIN")" && pwd)/$(basename "$ORCHAT_BIN")
    else
        log "$name: building orchat (release)…"
        cargo build --release --quiet --bin orchat
        BIN="$ROOT/target/release/orchat"
    fi
    TMP=$(mktemp -d "/tmp/orchat-$name.XXXXXX")
    SOCK="orchat-$name-$$"
    SERVER_PID=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

T() { tmux -u -L "$SOCK" "$@"; }

bench_cleanup() {
    T kill-server 2>/dev/null || true
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}

start_server() {
    local name=$1
    mkdir -p "$TMP/home"
    env -i HOME="$TMP/home" PATH="$PATH" ORCHAT_DATA_DIR="$TMP/srv-data" \
        ORCHAT_STATE_DIR="$TMP/srv-state" ORCHAT_CACHE_DIR="$TMP/srv-cache" \
        "$BIN" serve >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVER_PID=$!
    URL=""
    for _ in $(seq 100); do
        URL=$(head -n1 "$TMP/serve.out" 2>/dev/null || true)
        [[ -n "$URL" ]] && return 0
        sleep 0.05
    done
    log "$name: the server did not start: $(cat "$TMP/serve.err")"
    exit 1
}
