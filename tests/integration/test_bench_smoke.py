"""chorus-bench against a fresh chorusd: every scenario runs for a couple of
seconds with small numbers, and must report no lost, duplicated or
out-of-order message and exit 0. Speeds are never asserted.

The bench binary: $CHORUS_BENCH, else chorus-bench next to chorusd.
"""

import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from chorus_client import chorusd_path

# Bench traffic is far above the per-connection default (50 frames/s).
BENCH_FLAGS = ("--rate", "100000", "--burst", "100000", "--sqlite-sync", "normal")


@pytest.fixture(scope="module")
def bench_binary():
    path = os.environ.get("CHORUS_BENCH") or str(Path(chorusd_path()).parent / "chorus-bench")
    if not os.access(path, os.X_OK):
        pytest.fail(f"chorus-bench not found at {path}; build it or set CHORUS_BENCH")
    return path


def run_bench(bench_binary, srv, tmp_path, *args, timeout=60):
    out = tmp_path / "bench.jsonl"
    cmd = [bench_binary, *args, "--port", str(srv.port), "--json", str(out), "--no-progress",
           "--timeout", "40"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    lines = out.read_text().splitlines() if out.exists() else []
    assert lines, f"no JSON line written\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result = json.loads(lines[-1])
    return proc, result


def assert_clean(proc, result):
    c = result["counters"]
    detail = f"\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    assert c.get("lost", 0) == 0, detail
    assert c.get("duplicated", 0) == 0, detail
    assert c.get("out_of_order", 0) == 0, detail
    assert proc.returncode == 0, detail
    assert result["exit_code"] == 0, detail


def test_connect(chorus, bench_binary, tmp_path):
    srv = chorus(*BENCH_FLAGS)
    proc, result = run_bench(bench_binary, srv, tmp_path, "connect", "--connections", "50", "--hold", "1",
                             "--server-pid", str(srv.pid))
    assert_clean(proc, result)
    assert result["counters"]["logged_in"] == 50
    assert "rss_after_kib" in result["gauges"]


def test_connect_at_a_fixed_rate_over_two_workers(chorus, bench_binary, tmp_path):
    """Open-loop handshakes: each worker starts its share on a schedule; all
    log in, and the handshake's parts are reported."""
    srv = chorus(*BENCH_FLAGS)
    proc, result = run_bench(bench_binary, srv, tmp_path, "connect", "--connections", "200", "--hold", "0.5",
                             "--connect-rate", "400", "--workers", "2")
    assert_clean(proc, result)
    assert result["counters"]["logged_in"] == 200
    assert result["params"]["connect_rate"] == 400
    lat = result["latency_us"]
    assert lat["handshake"]["count"] == 200
    assert all(lat[part]["count"] == 200 for part in ("hs_tcp", "hs_upgrade", "hs_login"))
    # 200 due over half a second: the run takes about that, not as fast as it could.
    assert result["gauges"]["connect_s"] >= 0.4


def test_direct(chorus, bench_binary, tmp_path):
    srv = chorus(*BENCH_FLAGS)
    proc, result = run_bench(bench_binary, srv, tmp_path, "direct", "--pairs", "10", "--rate", "200",
                             "--duration", "2")
    assert_clean(proc, result)
    c = result["counters"]
    assert c["acked"] == c["sent"] > 0
    assert c["delivered"] == c["expected_deliveries"]
    assert c["own_pushes"] == 0  # a sender is answered, never pushed its own message
    # Which machine measured it, in the JSON line and the table.
    box = result["machine"]
    assert box["cpus"] == os.cpu_count()
    assert box["kernel"] == os.uname().release
    assert proc.stdout.startswith(f"machine: {box['cpu_model'] or 'CPU model unknown'}, {box['cpus']} CPUs")


def test_direct_over_two_workers_and_sources(chorus, bench_binary, tmp_path):
    srv = chorus(*BENCH_FLAGS)
    proc, result = run_bench(bench_binary, srv, tmp_path, "direct", "--pairs", "6", "--rate", "120",
                             "--duration", "1", "--workers", "2", "--sources", "2")
    assert_clean(proc, result)
    assert result["params"]["workers"] == 2
    assert result["counters"]["logged_in"] == 12


def test_room(chorus, bench_binary, tmp_path):
    srv = chorus(*BENCH_FLAGS)
    proc, result = run_bench(bench_binary, srv, tmp_path, "room", "--rooms", "2", "--members", "5",
                             "--senders", "2", "--rate", "100", "--duration", "2")
    assert_clean(proc, result)
    c = result["counters"]
    assert c["delivered"] == c["expected_deliveries"] == 5 * c["acked"] > 0


def test_recover(chorus, bench_binary, tmp_path):
    srv = chorus(*BENCH_FLAGS)
    proc, result = run_bench(bench_binary, srv, tmp_path, "recover", "--users", "20", "--messages", "5")
    assert_clean(proc, result)
    c = result["counters"]
    assert c["acked"] == 100
    assert c["not_caught_up"] == 0


def test_a_close_from_the_server_is_reported_with_its_code(chorus, bench_binary, tmp_path):
    """The tool reads the server's close frame: frames over the server's
    limit close every sender with 1009, and the run says so and fails."""
    srv = chorus(*BENCH_FLAGS, "--max-message-bytes", "100", "--max-frame-bytes", "1200")
    proc, result = run_bench(bench_binary, srv, tmp_path, "direct", "--pairs", "2", "--rate", "20",
                             "--duration", "1", "--size", "2000", "--drain", "1")
    c = result["counters"]
    assert c["closed_by_server"] == 2, proc.stderr
    assert "closed by server: 1009" in proc.stderr
    assert c.get("acked", 0) == 0
    assert proc.returncode != 0


def test_a_refused_upgrade_is_reported_with_its_status(bench_binary, tmp_path):
    """A server that answers the upgrade with 403 and a body (as chorusd
    does for a refused Origin): every connection fails, and the tool names
    the status."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"Origin not allowed\n"
            self.send_response(403)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        out = tmp_path / "bench.jsonl"
        proc = subprocess.run([bench_binary, "connect", "--connections", "3", "--hold", "0", "--port",
                               str(httpd.server_address[1]), "--json", str(out), "--no-progress", "--timeout", "20"],
                              capture_output=True, text=True, timeout=60)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "upgrade: HTTP 403" in proc.stderr, proc.stderr
    result = json.loads(out.read_text().splitlines()[-1])
    assert result["counters"]["login_failed"] == 3
    assert proc.returncode == 2


def test_refuses_a_non_loopback_target(bench_binary):
    proc = subprocess.run([bench_binary, "connect", "--host", "192.0.2.1"], capture_output=True, text=True,
                          timeout=10)
    assert proc.returncode == 2
    assert "non-loopback" in proc.stderr
