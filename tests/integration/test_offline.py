"""Offline delivery: the device cursor, auto and manual ack, new devices."""

import asyncio

from chorus_client import Client, close_all, logged_in, run


async def send_n(sender, n, to="2", prefix="off"):
    out = []
    for i in range(n):
        out.append(await sender.sendmsg(f"{prefix} {i}", toUid=to, msgId=f"{prefix}-{i}"))
    return out


async def login_and_collect(server, user, n, **login):
    """Logs in, takes n message pushes, then syncs: returns (client, messages, delivered-by-sync)."""
    c = await logged_in(server, user, **login)
    got = await c.messages(n) if n else []
    delivered = await c.sync()
    return c, got, delivered


def test_offline_messages_delivered_once_in_order(server):
    async def main():
        u1 = await logged_in(server, 1)
        try:
            sent = await send_n(u1, 5)
            assert [r["convSeq"] for r in sent] == [1, 2, 3, 4, 5]

            c, got, delivered = await login_and_collect(server, 2, 5, deviceId="phone")
            try:
                assert [m["convSeq"] for m in got] == [1, 2, 3, 4, 5]
                assert [m["msgId"] for m in got] == [r["msgId"] for r in sent]
                assert [m["content"] for m in got] == [f"off {i}" for i in range(5)]
                assert delivered == 0 and c.pending_messages() == [], "delivered twice"
            finally:
                await c.close()

            # Same device, auto ack: it has them all; nothing is sent again.
            c, got, delivered = await login_and_collect(server, 2, 0, deviceId="phone")
            try:
                assert delivered == 0
                assert c.pending_messages() == [], f"redelivered after auto ack: {c.pending_messages()}"
            finally:
                await c.close()

            # A new device gets everything from the start.
            c, got, delivered = await login_and_collect(server, 2, 5, deviceId="tablet")
            try:
                assert [m["convSeq"] for m in got] == [1, 2, 3, 4, 5]
                assert delivered == 0 and c.pending_messages() == []
            finally:
                await c.close()
        finally:
            await u1.close()

    run(main())


def test_manual_ack_redelivers_what_was_not_acked(server):
    async def main():
        u1 = await logged_in(server, 1)
        try:
            await send_n(u1, 5)
            # No ack: everything again at the next login.
            for _ in range(2):
                c, got, delivered = await login_and_collect(server, 2, 5, deviceId="m", ackMode="manual")
                try:
                    assert [m["convSeq"] for m in got] == [1, 2, 3, 4, 5]
                    assert delivered == 0 and c.pending_messages() == []
                finally:
                    await c.close()

            c, got, _ = await login_and_collect(server, 2, 5, deviceId="m", ackMode="manual")
            try:
                a = await c.call("ack", {"conv": "d:1|2", "convSeq": 3})
                assert a == {"conv": "d:1|2", "convSeq": 3}
                # Beyond what this connection was sent: 1001. Not in the conversation: 1014.
                await c.call("ack", {"conv": "d:1|2", "convSeq": 6}, expect=1001)
                await c.call("ack", {"conv": "d:1|3", "convSeq": 1}, expect=1014)
                await c.call("ack", {"conv": "d:1|2"}, expect=1001)
            finally:
                await c.close()

            c, got, delivered = await login_and_collect(server, 2, 2, deviceId="m", ackMode="manual")
            try:
                assert [m["convSeq"] for m in got] == [4, 5]
                assert delivered == 0 and c.pending_messages() == []
                # ack by toUid; a lower ack never moves the cursor back.
                assert (await c.call("ack", {"toUid": "1", "convSeq": 5}))["convSeq"] == 5
                await c.call("ack", {"toUid": "1", "convSeq": 2})
            finally:
                await c.close()

            c, got, delivered = await login_and_collect(server, 2, 0, deviceId="m", ackMode="manual")
            try:
                assert delivered == 0 and c.pending_messages() == [], c.pending_messages()
                # Live messages keep coming after the acked point.
                await u1.sendmsg("six", toUid="2")
                m = await c.next_message()
                assert m["convSeq"] == 6 and m["content"] == "six"
            finally:
                await c.close()

            # Another device was never involved: it gets all 6.
            c, got, delivered = await login_and_collect(server, 2, 6, deviceId="fresh", ackMode="manual")
            try:
                assert [m["convSeq"] for m in got] == [1, 2, 3, 4, 5, 6]
            finally:
                await c.close()
        finally:
            await u1.close()

    run(main())


def test_offline_across_several_conversations(server):
    async def main():
        senders = [await logged_in(server, u) for u in ("1", "3", "4")]
        try:
            for i in range(4):
                for s in senders:
                    await s.sendmsg(f"{s.name} {i}", toUid="2")
            c, got, delivered = await login_and_collect(server, 2, 12)
            try:
                by_conv = {}
                for m in got:
                    by_conv.setdefault(m["conv"], []).append(m["convSeq"])
                assert by_conv == {"d:1|2": [1, 2, 3, 4], "d:2|3": [1, 2, 3, 4], "d:2|4": [1, 2, 3, 4]}
                assert delivered == 0 and c.pending_messages() == []
            finally:
                await c.close()
        finally:
            await close_all(*senders)

    run(main())


def test_login_during_a_stream_loses_and_duplicates_nothing(chorus):
    """The receiver logs in while the sender is sending: backlog (sync) and
    live pushes must merge into one ordered stream without gaps or repeats."""
    N = 120
    server = chorus("--rate", "5000", "--burst", "5000")

    async def main():
        u1 = await logged_in(server, 1)
        try:
            started = asyncio.Event()

            async def sender():
                for i in range(N):
                    await u1.sendmsg(f"s{i}", toUid="2", msgId=f"s-{i}")
                    if i == 30:
                        started.set()

            task = asyncio.create_task(sender())
            await asyncio.wait_for(started.wait(), 10)
            c = await logged_in(server, 2)
            try:
                got, _ = await asyncio.gather(c.messages(N, timeout=20), asyncio.wait_for(task, 20))
                assert [m["convSeq"] for m in got] == list(range(1, N + 1))
                assert await c.sync() == 0 and c.pending_messages() == []
            finally:
                await c.close()
        finally:
            await u1.close()

    run(main())


def test_sync_before_login_refused(server):
    async def main():
        c = await Client.connect(server)
        try:
            await c.call("sync", {}, expect=1000)
            await c.call("ack", {"conv": "d:1|2", "convSeq": 1}, expect=1000)
            await c.call("history", {"toUid": "2"}, expect=1000)
        finally:
            await c.close()

    run(main())


def test_large_offline_backlog_is_delivered_with_default_limits(chorus):
    """300 offline messages of 15000 bytes (4.5 MB, more than the default
    4 MiB send queue in total, each far below every limit): login must
    deliver them all ("every message this device has not had yet"), pacing
    its sync by the send queue, not overflow it and close the connection."""
    server = chorus("--rate", "5000", "--burst", "5000")
    N = 300
    body = "b" * 15000

    async def main():
        u1 = await logged_in(server, 1)
        try:
            for i in range(N):
                await u1.sendmsg(f"{i}:{body}", toUid="2")
        finally:
            await u1.close()
        rcv = await logged_in(server, 2, ackMode="manual")
        try:
            got = await rcv.messages(N, timeout=20)
            assert [m["convSeq"] for m in got] == list(range(1, N + 1))
            assert await rcv.sync() == 0 and rcv.pending_messages() == []
        finally:
            await rcv.close()
        assert server.metrics()["chorus_slow_consumer_closes_total"] == 0

    run(main(), timeout=60)
