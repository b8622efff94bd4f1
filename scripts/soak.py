#!/usr/bin/env python3
"""Idle-connection soak for http-from-scratch.

Starts the release binary on a free port over a small directory, opens N
keep-alive connections (each completes one request, then sits idle), then
times fresh requests on new connections while the idle ones are held, and
reads the server's resident memory from /proc. Prints one line per N.

    cargo build --release
    python3 scripts/soak.py                 # N = 1000 and 10000
    python3 scripts/soak.py --n 2000

The server runs with its default flags: idle connections park in its poller
and hold no thread. This process raises its own open-file limit to make
room for N client sockets. The memory per idle connection is the server's
RSS with N held, less its RSS before any was opened, over N.
"""
import argparse
import os
import resource
import socket
import subprocess
import tempfile
import time

REQUEST = b"GET /small.txt HTTP/1.1\r\nHost: soak\r\n\r\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def server_threads(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def one_request(port, timeout=10):
    conn = socket.create_connection(("127.0.0.1", port), timeout)
    conn.settimeout(timeout)
    conn.sendall(REQUEST)
    answer = conn.recv(4096)
    return conn, answer.startswith(b"HTTP/1.1 200")


def soak(binary, root, n):
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--quiet", root],
        stdout=subprocess.DEVNULL,
    )
    held = []
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        warm, _ = one_request(port)
        warm.close()
        base = rss_mb(server.pid)
        started = time.time()
        for _ in range(n):
            if time.time() - started > 120:
                break
            try:
                conn, ok = one_request(port)
            except OSError:
                break
            if not ok:
                conn.close()
                break
            held.append(conn)
        latencies = []
        for _ in range(200):
            begin = time.perf_counter()
            try:
                conn, ok = one_request(port)
                conn.close()
            except OSError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - begin) * 1000)
        latencies.sort()
        p50 = latencies[len(latencies) // 2] if latencies else float("nan")
        p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
        memory = rss_mb(server.pid)
        per_connection = (memory - base) * 1024 * 1024 / max(len(held), 1)
        threads = server_threads(server.pid)
        print(
            f"idle={len(held)}/{n} fresh: {len(latencies)}/200 ok, "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms; server RSS {memory:.1f} MB, "
            f"{threads} threads (~{per_connection:.0f} bytes per idle connection)",
            flush=True,
        )
    finally:
        for conn in held:
            conn.close()
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="idle connections (repeatable)")
    parser.add_argument("--binary", default="target/release/http-from-scratch")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "small.txt"), "wb") as f:
            f.write(b"x" * 1024)
        for n in args.n or [1000, 10000]:
            soak(args.binary, root, n)


if __name__ == "__main__":
    main()
