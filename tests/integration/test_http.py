"""The HTTP routes: health, readiness, metrics, pages, 404s and traversal."""

import re

from chorus_client import close_all, logged_in, run, start_expecting_refusal


def test_health_and_ready(server):
    status, _, body = server.http("/healthz")
    assert status == 200 and body.strip() == b"ok"
    status, _, body = server.http("/readyz")
    assert status == 200 and body.strip() == b"ready"


def test_metrics_prometheus_text(server):
    status, headers, body = server.http("/metrics")
    assert status == 200
    ctype = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert ctype.startswith("text/plain"), ctype
    text = body.decode()
    sample = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+(Inf|NaN)?$")
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE ") or not line:
            continue
        assert sample.match(line), f"not a Prometheus sample line: {line!r}"
    assert re.search(r"^# TYPE chorus_connections gauge$", text, re.M)
    assert re.search(r"^# TYPE chorus_messages_stored_total counter$", text, re.M)
    assert re.search(r"^# TYPE chorus_sendmsg_seconds histogram$", text, re.M)
    assert re.search(r"^# TYPE chorus_sqlite_wal_frames gauge$", text, re.M)
    assert re.search(r"^# TYPE chorus_sqlite_checkpoints_total counter$", text, re.M)
    assert re.search(r"^# TYPE chorus_sqlite_wal_cap_waits_total counter$", text, re.M)

    before = server.metrics()
    assert before["chorus_messages_stored_total"] == 0

    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            assert server.metrics()["chorus_connections"] == 2
            await u1.sendmsg("count me", toUid="2")
            await u2.next_message()
        finally:
            await close_all(u1, u2)

    run(main())
    after = server.metrics()
    assert after["chorus_messages_stored_total"] == before["chorus_messages_stored_total"] + 1
    # The message's commit left its frames in the WAL (the embedded SQLite
    # store; a restart would leave at least the commit's own).
    assert after["chorus_sqlite_wal_frames"] > 0
    # One sendmsg answered: one observation of its latency, on some shard,
    # in a finite bucket (the answer took less than a second).
    def sendmsg(m, series):
        return sum(v for k, v in m.items() if k.startswith("chorus_sendmsg_seconds_" + series))
    assert sendmsg(after, "count") == sendmsg(before, "count") + 1
    assert 0 < sendmsg(after, "sum") - sendmsg(before, "sum") < 1
    under_a_second = sum(v for k, v in after.items()
                         if k.startswith("chorus_sendmsg_seconds_bucket") and 'le="1"' in k)
    assert under_a_second == sendmsg(after, "count")


def test_pages(server):
    status, headers, body = server.http("/home/index?uid=1&to_uid=2")
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert status == 200, (status, body[:200])
    assert ctype.startswith("text/html"), ctype
    assert b"<html" in body.lower() or b"<!doctype html" in body.lower()
    status, headers, body = server.http("/home/room?uid=1&groupsId=7")
    assert status == 200, (status, body[:200])
    assert b"<html" in body.lower() or b"<!doctype html" in body.lower()


def test_unknown_path_and_traversal(server):
    assert server.http("/no/such/page")[0] == 404
    assert server.http("/nosuchfile.html")[0] == 404
    status, _, body = server.http("/../etc/passwd")
    assert status == 404, status
    assert b"root:" not in body
    for path in ("/home/../../etc/passwd", "/%2e%2e/etc/passwd", "/..%2fetc%2fpasswd", "/.%2e/etc/passwd",
                 "/home/%2e%2e/%2e%2e/etc/passwd", "/..\\etc\\passwd"):
        status, _, body = server.http(path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body, path


def test_double_slash_absolute_path_not_served(server):
    """A path starting with "//" must not reach outside the web root
    (e.g. GET //etc/passwd must not return /etc/passwd)."""
    for path in ("//etc/passwd", "//etc/hostname", "/%2fetc/passwd"):
        status, _, body = server.http(path)
        assert status in (400, 404), f"GET {path} answered {status}: {body[:60]!r}"
        assert b"root:" not in body


def test_http_methods_and_user_list(server):
    assert server.http("/healthz", method="POST")[0] == 405
    status, body = server.http_json("/user/groupslist?appId=101")
    assert status == 200 and body == {"code": 200, "msg": "success", "data": {"groupsList": []}}
    status, body = server.http_json("/user/list?groupsId=1&appId=101")
    assert status == 200 and body["data"] == {"userCount": 0, "userList": [], "memberCount": 0}


def test_ws_upgrade_on_other_path_refused(server):
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    assert server.http("/other", headers=headers)[0] == 404


def test_a_second_server_on_a_taken_port_refuses_to_start(server, tmp_path):
    """Shards share their port through SO_REUSEPORT; another process must not
    join them (the kernel would split the clients between two servers)."""
    rc, out, err = start_expecting_refusal(tmp_path, "--port", str(server.port))
    assert rc != 0
    assert "listening on" not in out
    assert f":{server.port}" in err and "in use" in err, err
    # The first one still serves.
    assert server.http("/healthz")[0] == 200
