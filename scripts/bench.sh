#!/usr/bin/env bash
# Benchmark http-from-scratch against nginx (one worker) on this machine.
#
#   scripts/bench.sh            # all scenarios, 8 s each
#   DURATION=3 scripts/bench.sh # quicker
#
# Each server is pinned to CPU 0 and wrk to CPU 1, so the figures compare
# work per core. Both serve the same directory; scenarios alternate between
# the two servers so that drift on a shared machine hits both. Ratios are
# ours / nginx: above 1.0 we are faster. Installs wrk and nginx with apt-get
# if they are missing. Quote ratios from one run, not absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx; then
    echo "installing wrk and nginx..." >&2
    apt-get install -y wrk nginx >/dev/null || sudo apt-get install -y wrk nginx >/dev/null
fi
cargo build --release --quiet
OURS=target/release/http-from-scratch

WORK=$(mktemp -d)
ROOT="$WORK/root"
mkdir -p "$ROOT" "$WORK/nginx/logs"
head -c 1024 /dev/zero | tr '\0' x >"$ROOT/small.txt"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$ROOT/large.bin"
chmod -R a+rX "$WORK"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

OURS_PORT=$(free_port)
taskset -c 0 "$OURS" --port "$OURS_PORT" --quiet "$ROOT" >/dev/null &
PIDS+=($!)

NGINX_PORT=$(free_port)
cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log crit; worker_rlimit_nofile 30000;
events { worker_connections 20000; }
http {
    access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 1000000;
    include /etc/nginx/mime.types;
    client_body_temp_path $WORK/nginx/t1; proxy_temp_path $WORK/nginx/t2;
    fastcgi_temp_path $WORK/nginx/t3; uwsgi_temp_path $WORK/nginx/t4; scgi_temp_path $WORK/nginx/t5;
    server { listen 127.0.0.1:$NGINX_PORT; root $ROOT; }
}
CONF
taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
PIDS+=($!)

wait_for() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    exit 1
}
wait_for "$OURS_PORT"
wait_for "$NGINX_PORT"

# wrk prints "Requests/sec: N"; take the best of the rounds.
requests_per_second() {
    local port=$1 path=$2 connections=$3
    shift 3
    taskset -c 1 wrk -t1 -c"$connections" -d"${DURATION}s" "$@" "http://127.0.0.1:$port$path" |
        awk '/Requests\/sec/ { print $2 }'
}

printf '%-14s %12s %12s %8s\n' scenario ours nginx ratio
run() {
    local name=$1 path=$2 connections=$3
    shift 3
    local best_ours=0 best_nginx=0
    for _ in $(seq "$ROUNDS"); do
        local a b
        a=$(requests_per_second "$OURS_PORT" "$path" "$connections" "$@")
        b=$(requests_per_second "$NGINX_PORT" "$path" "$connections" "$@")
        best_ours=$(python3 -c "print(max($best_ours, $a))")
        best_nginx=$(python3 -c "print(max($best_nginx, $b))")
    done
    printf '%-14s %12.0f %12.0f %8.2f\n' "$name" "$best_ours" "$best_nginx" \
        "$(python3 -c "print($best_ours / $best_nginx)")"
}

run small_c8 /small.txt 8
run small_c256 /small.txt 256
run close_c8 /small.txt 8 -H 'Connection: close'
run notfound_c8 /missing.txt 8
run large_c8 /large.bin 8
