"""Durability: kill -9 in the middle of a stream of sends, and SIGTERM."""

import asyncio

import websockets

from chorus_client import ChorusError, Client, close_all, logged_in, run

N = 300
KILL_AFTER = 100
WINDOW = 8


def test_kill9_mid_stream_loses_and_duplicates_nothing(chorus):
    server = chorus("--rate", "5000", "--burst", "5000")

    async def crash_phase():
        sender = await logged_in(server, 1, name="sender")
        acked: dict[int, dict] = {}
        attempted: set[int] = set()
        window = asyncio.Semaphore(WINDOW)
        killed = asyncio.Event()

        async def one(i):
            async with window:
                if killed.is_set():
                    return
                attempted.add(i)
                try:
                    r = await sender.sendmsg(f"crash {i}", toUid="2", msgId=f"crash-{i}", timeout=5)
                except (ChorusError, websockets.ConnectionClosed):
                    return
                acked[i] = r
                if len(acked) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    server.kill9()

        await asyncio.gather(*(one(i) for i in range(N)))
        await sender.close()
        return acked, attempted

    acked, attempted = run(crash_phase(), timeout=60)
    assert not server.alive()
    assert len(acked) >= KILL_AFTER, f"only {len(acked)} acknowledged before the kill"
    assert len(attempted) < N, "the kill came after everything was sent; the test proves nothing"
    acked_seqs = sorted(r["convSeq"] for r in acked.values())
    assert len(set(acked_seqs)) == len(acked_seqs), "two acknowledged messages share a convSeq"

    server.start()

    async def recovery():
        rcv = await logged_in(server, 2, name="receiver", deviceId="r", ackMode="manual")
        sender = await logged_in(server, 1, name="sender2", deviceId="s2")
        try:
            # The backlog: login's sync and this sync deliver everything stored
            # before the sync's answer.
            await rcv.sync()
            backlog = rcv.pending_messages()
            rcv.pushes.clear()
            seqs = [m["convSeq"] for m in backlog]
            assert seqs == list(range(1, len(seqs) + 1)), f"backlog not 1..n in order: {seqs[:20]}..."
            ids = [m["clientMsgId"] for m in backlog]
            assert len(set(ids)) == len(ids), "a message was stored twice"
            by_client_id = {m["clientMsgId"]: m for m in backlog}
            for i, r in acked.items():
                m = by_client_id.get(f"crash-{i}")
                assert m is not None, f"acknowledged message crash-{i} (convSeq {r['convSeq']}) lost in the crash"
                assert m["convSeq"] == r["convSeq"] and m["msgId"] == r["msgId"], (r, m)
                assert m["content"] == f"crash {i}"
            stored_before = len(backlog)
            print(f"acked {len(acked)} attempted {len(attempted)} stored {stored_before}")
            unacked_but_stored = stored_before - len(acked)
            assert unacked_but_stored <= WINDOW, f"{unacked_but_stored} stored but unacknowledged"

            # The sender retries everything not acknowledged, with the same msgIds.
            new_seqs = []
            for i in range(N):
                if i in acked:
                    continue
                r = await sender.sendmsg(f"crash {i}", toUid="2", msgId=f"crash-{i}")
                if r["duplicate"]:
                    m = by_client_id.get(f"crash-{i}")
                    assert m is not None, f"retry of crash-{i} says duplicate but it was not in the backlog"
                    assert r["convSeq"] == m["convSeq"] and r["msgId"] == m["msgId"]
                else:
                    assert f"crash-{i}" not in by_client_id, f"crash-{i} stored twice"
                    new_seqs.append(r["convSeq"])
            assert new_seqs == list(range(stored_before + 1, N + 1)), "retries did not continue the convSeqs"
            # Retrying acknowledged ones is answered from the store, too.
            for i in sorted(acked)[:5]:
                r = await sender.sendmsg(f"crash {i}", toUid="2", msgId=f"crash-{i}")
                assert r["duplicate"] is True and r["convSeq"] == acked[i]["convSeq"]

            live = await rcv.messages(len(new_seqs), timeout=15)
            assert [m["convSeq"] for m in live] == new_seqs
            assert await rcv.sync() == 0 and rcv.pending_messages() == []
            every = backlog + live
            assert sorted(m["clientMsgId"] for m in every) == sorted(f"crash-{i}" for i in range(N))
            assert [m["convSeq"] for m in every] == list(range(1, N + 1))
        finally:
            await close_all(rcv, sender)

    run(recovery(), timeout=60)


def test_manual_ack_survives_kill9(chorus):
    """Acks are durable once answered: after kill -9 only the unacked are redelivered."""
    server = chorus()

    async def before():
        s = await logged_in(server, 1)
        rcv = await logged_in(server, 2, deviceId="d", ackMode="manual")
        try:
            for i in range(6):
                await s.sendmsg(f"k{i}", toUid="2")
            got = await rcv.messages(6)
            assert [m["convSeq"] for m in got] == [1, 2, 3, 4, 5, 6]
            await rcv.call("ack", {"conv": "d:1|2", "convSeq": 4})
        finally:
            await close_all(s, rcv)

    run(before())
    server.kill9()
    server.start()

    async def after():
        rcv = await logged_in(server, 2, deviceId="d", ackMode="manual")
        try:
            await rcv.sync()
            assert [m["convSeq"] for m in rcv.pending_messages()] == [5, 6]
        finally:
            await rcv.close()

    run(after())


def test_sigterm_closes_with_1001_exits_0_and_keeps_messages(chorus):
    server = chorus()

    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        idle = await Client.connect(server)  # not logged in
        try:
            for i in range(3):
                await u1.sendmsg(f"t{i}", toUid="2", msgId=f"t-{i}")
            assert [m["convSeq"] for m in await u2.messages(3)] == [1, 2, 3]
            loop = asyncio.get_running_loop()
            rc_future = loop.run_in_executor(None, server.terminate)
            codes = await asyncio.gather(u1.wait_closed(10), u2.wait_closed(10), idle.wait_closed(10))
            assert codes == [1001, 1001, 1001], f"close codes {codes}, expected 1001 for each"
            rc = await asyncio.wait_for(rc_future, 20)
            assert rc == 0, f"exit status {rc}"
        finally:
            await close_all(u1, u2, idle)

    run(main())
    assert "stopped cleanly" in server.log_text()
    server.start()

    async def after():
        u2 = await logged_in(server, 2, deviceId="new")
        try:
            got = await u2.messages(3)
            assert [m["clientMsgId"] for m in got] == ["t-0", "t-1", "t-2"]
            assert await u2.sync() == 0 and u2.pending_messages() == []
            # The idempotency keys survive too.
            u1 = await logged_in(server, 1)
            try:
                r = await u1.sendmsg("t0", toUid="2", msgId="t-0")
                assert r["duplicate"] is True and r["convSeq"] == 1
            finally:
                await u1.close()
        finally:
            await u2.close()

    run(after())
