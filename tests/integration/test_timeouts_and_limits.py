"""Idle and login timeouts; the slow consumer is cut loose, never slowing the sender."""

import asyncio
import time

from chorus_client import Client, RawWs, close_all, logged_in, run


def test_idle_timeout_closes_silent_connection_keeps_heartbeating_one(chorus):
    server = chorus("--idle-timeout", "2")

    async def main():
        silent = await logged_in(server, "silent")
        active = await logged_in(server, "active")
        peer = await logged_in(server, "peer")
        try:
            t0 = time.monotonic()
            stop = asyncio.Event()

            async def heartbeats():
                while not stop.is_set():
                    await active.call("heartbeat", {})
                    try:
                        await asyncio.wait_for(stop.wait(), 0.5)  # the client's heartbeat interval
                    except asyncio.TimeoutError:
                        pass

            hb = asyncio.create_task(heartbeats())
            code = await silent.wait_closed(6)
            waited = time.monotonic() - t0
            assert code == 4000, f"close code {code}, expected 4000"
            assert 1.5 <= waited <= 5.0, f"closed after {waited:.1f}s with --idle-timeout 2"
            # Keep the active one going past twice the timeout.
            while time.monotonic() - t0 < 4.5:
                assert not active.closed, f"heartbeating connection closed with {active.close_code}"
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.wait_for(hb, 3)
            assert not active.closed
            # peer kept being silent as well: it is gone too; active still chats.
            assert await peer.wait_closed(1) == 4000
            await active.sendmsg("still here", toUid="silent")
            assert server.metrics()["chorus_idle_closes_total"] >= 2
        finally:
            await close_all(silent, active, peer)

    run(main())


def test_login_timeout_closes_with_4002(chorus):
    server = chorus("--login-timeout", "2")

    async def main():
        c = await Client.connect(server)
        busy = await Client.connect(server)
        ok = await Client.connect(server)
        try:
            await ok.login("quick")
            t0 = time.monotonic()

            async def keep_busy():
                # Frames without logging in do not extend the login time.
                while not busy.closed and time.monotonic() - t0 < 6:
                    try:
                        await busy.call("heartbeat", {}, expect=1000)
                    except Exception:
                        return
                    await asyncio.sleep(0.3)

            task = asyncio.create_task(keep_busy())
            code = await c.wait_closed(6)
            waited = time.monotonic() - t0
            assert code == 4002, f"close code {code}, expected 4002"
            assert waited <= 5.0, f"closed after {waited:.1f}s with --login-timeout 2"
            assert await busy.wait_closed(3) == 4002
            await task
            assert not ok.closed, "a logged-in connection was closed by the login timeout"
            await ok.call("heartbeat", {})
        finally:
            await close_all(c, busy, ok)

    run(main())


N_SLOW = 500
CONTENT = "s" * 15000  # 500 of them (7.5 MB) exceed what the kernel buffers absorb


def make_slow_consumer(chorus):
    """Starts a node with --send-queue-frames 50; user 2 (device "slow",
    manual ack) logs in on a raw socket with a tiny receive buffer and stops
    reading; user 1 sends N_SLOW messages. Then reads what the slow
    connection got until it is closed. Returns (server, acked, took, code, pushed)."""
    server = chorus("--send-queue-frames", "50", "--rate", "5000", "--burst", "5000")
    slow = RawWs.for_server(server, rcvbuf=4096)
    try:
        resp = slow.request("login", {"userId": "2", "deviceId": "slow", "ackMode": "manual"}, seq="L")
        assert resp["response"]["code"] == 200, resp

        async def send_all():
            sender = await logged_in(server, 1, name="fast-sender")
            acked = {}
            window = asyncio.Semaphore(16)

            async def one(i):
                async with window:
                    acked[i] = await sender.sendmsg(f"{i}:{CONTENT}", toUid="2", msgId=f"slow-{i}", timeout=5)

            t0 = time.monotonic()
            try:
                await asyncio.gather(*(one(i) for i in range(N_SLOW)))
            finally:
                await sender.close()
            return acked, time.monotonic() - t0

        acked, took = run(send_all(), timeout=60)
        # Now read: what was buffered, then the close (4001) or the end of TCP.
        code, texts = slow.wait_close(15)
    finally:
        slow.close()
    pushed = [t["data"]["convSeq"] for t in texts if "data" in t and t["data"].get("action") == "sendmsg"]
    return server, acked, took, code, pushed


def test_slow_consumer_is_closed_and_sender_never_blocked(chorus):
    server, acked, took, code, pushed = make_slow_consumer(chorus)
    assert len(acked) == N_SLOW
    assert sorted(r["convSeq"] for r in acked.values()) == list(range(1, N_SLOW + 1))
    assert took < 30, f"the sender took {took:.1f}s: blocked by the slow reader?"
    assert code in (4001, None), f"slow consumer closed with {code}, expected 4001 or a TCP close"
    assert len(pushed) < N_SLOW, "every message fit in the buffers: no slow consumer was produced"
    assert pushed == list(range(1, len(pushed) + 1)), "pushes before the close out of order"
    assert server.metrics()["chorus_slow_consumer_closes_total"] == 1


def test_slow_consumer_gets_everything_after_reconnecting(chorus):
    """Docs, close code 4001: "the send queue overflowed; reconnect and sync"."""
    server, acked, took, code, pushed = make_slow_consumer(chorus)
    assert len(acked) == N_SLOW and code in (4001, None)

    async def reconnect():
        rcv = await logged_in(server, 2, deviceId="slow", ackMode="manual")
        try:
            got = await rcv.messages(N_SLOW, timeout=20)
            assert [m["convSeq"] for m in got] == list(range(1, N_SLOW + 1))
            assert sorted(m["clientMsgId"] for m in got) == sorted(f"slow-{i}" for i in range(N_SLOW))
            assert all(m["content"] == f"{m['clientMsgId'][5:]}:{CONTENT}" for m in got)
            assert await rcv.sync() == 0 and rcv.pending_messages() == []
            await rcv.call("ack", {"conv": "d:1|2", "convSeq": N_SLOW})
        finally:
            await rcv.close()

    run(reconnect(), timeout=60)
