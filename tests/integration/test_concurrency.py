"""Concurrent senders: per-conversation order and exactly-once delivery hold
when pushes, own sends and sync rounds interleave (several shards)."""

import asyncio

from chorus_client import close_all, logged_in, run

FAST = ("--rate", "5000", "--burst", "5000")


async def send_many(client, n, window=8, **fields):
    sem = asyncio.Semaphore(window)
    results = []

    async def one(i):
        async with sem:
            results.append(await client.sendmsg(f"{client.name} {i}", msgId=f"{client.name}-{i}", **fields))

    await asyncio.gather(*(one(i) for i in range(n)))
    return results


def test_both_ends_sending_at_once(chorus):
    server = chorus(*FAST, threads=4)
    N = 100

    async def main():
        # Several connections per user so that some share a shard and some do not.
        u1 = await logged_in(server, 1, name="one-a", deviceId="a")
        u1b = await logged_in(server, 1, name="one-b", deviceId="b")
        u2 = await logged_in(server, 2, name="two-a", deviceId="a")
        u2b = await logged_in(server, 2, name="two-b", deviceId="b")
        try:
            r1, r2 = await asyncio.gather(send_many(u1, N, toUid="2"), send_many(u2, N, toUid="1"))
            own1 = {r["convSeq"] for r in r1}
            own2 = {r["convSeq"] for r in r2}
            assert own1.isdisjoint(own2) and own1 | own2 == set(range(1, 2 * N + 1))

            expect = {
                u1: sorted(own2),          # the sending connection: only the other side's
                u2: sorted(own1),
                u1b: list(range(1, 2 * N + 1)),  # the other devices: everything
                u2b: list(range(1, 2 * N + 1)),
            }
            for c, want in expect.items():
                got = [m["convSeq"] for m in await c.messages(len(want), timeout=15)]
                assert await c.sync() == 0
                got += [m["convSeq"] for m in c.pending_messages()]
                assert got == want, (
                    f"{c.name}: {len(got)} pushes; out of order: {got != sorted(got)}; "
                    f"duplicates: {len(got) - len(set(got))}; own pushed back: "
                    f"{sorted(set(got) - set(want))[:10]}; missing: {sorted(set(want) - set(got))[:10]}")
        finally:
            await close_all(u1, u1b, u2, u2b)

    run(main(), timeout=90)


def test_room_many_senders(chorus):
    server = chorus(*FAST, threads=4)
    N = 60
    members = ["m1", "m2", "m3", "m4"]

    async def main():
        clients = [await logged_in(server, m, name=m, groupsId="42") for m in members]
        listener = await logged_in(server, "listener", name="listener", groupsId="42")
        try:
            results = await asyncio.gather(*(send_many(c, N, groupsId="42") for c in clients))
            seqs = sorted(r["convSeq"] for rs in results for r in rs)
            assert seqs == list(range(1, len(members) * N + 1))
            total = len(members) * N
            for c in clients + [listener]:
                got = [m["convSeq"] for m in await c.messages(total, conv="r:42", timeout=15)]
                assert await c.sync() == 0
                got += [m["convSeq"] for m in c.pending_messages(conv="r:42")]
                assert got == list(range(1, total + 1)), (
                    f"{c.name}: {len(got)} pushes; duplicates {len(got) - len(set(got))}; "
                    f"in order: {got == sorted(got)}")
        finally:
            await close_all(*clients, listener)

    run(main(), timeout=90)


def test_many_users_one_receiver_login_storm(chorus):
    """20 senders, and the receiver logs in and out with the same manual
    device while they send, acking what it got each time: no login may
    deliver again what the device acked before (docs: only what was not
    acked is sent again), and after a final login it has every message of
    every conversation exactly once, in order per conversation."""
    server = chorus(*FAST, threads=4)
    senders_n, per, rounds = 20, 15, 6

    async def main():
        senders = [await logged_in(server, f"s{i}", name=f"s{i}") for i in range(senders_n)]
        seen: dict[str, list[int]] = {}
        acked_upto: dict[str, int] = {}
        redelivered = []
        try:
            task = asyncio.gather(*(send_many(s, per, window=2, toUid="rcv") for s in senders))
            for rnd in range(rounds + 1):
                if rnd == rounds:
                    await asyncio.wait_for(task, 30)  # the final login, after all sends
                c = await logged_in(server, "rcv", deviceId="d", ackMode="manual")
                try:
                    await c.sync()
                    for m in c.pending_messages():
                        conv, seq = m["conv"], m["convSeq"]
                        if seq <= acked_upto.get(conv, 0):
                            redelivered.append((rnd, conv, seq, acked_upto[conv]))
                        else:
                            seen.setdefault(conv, []).append(seq)
                    c.pushes.clear()
                    for conv, seqs in seen.items():
                        if seqs and seqs[-1] > acked_upto.get(conv, 0):
                            await c.call("ack", {"conv": conv, "convSeq": seqs[-1]})
                            acked_upto[conv] = seqs[-1]
                finally:
                    await c.close()
            assert not redelivered, (
                f"{len(redelivered)} acked messages delivered again at a later login "
                f"(round, conv, convSeq, acked up to): {redelivered[:8]}")
            assert len(seen) == senders_n
            for conv, seqs in seen.items():
                assert seqs == list(range(1, per + 1)), f"{conv}: {seqs}"
        finally:
            await close_all(*senders)

    run(main(), timeout=90)


def test_ack_holds_for_an_immediate_relogin_while_the_store_is_busy(chorus):
    """ack answers 200, the device logs in again at once: the acked messages
    must not come again, even while other users keep the store busy."""
    server = chorus(*FAST, threads=4)

    async def main():
        u1 = await logged_in(server, 1)
        flooder = await logged_in(server, "x", name="flooder")
        redelivered = []
        try:
            for i in range(3):
                await u1.sendmsg(f"a{i}", toUid="2")
            flood = asyncio.ensure_future(send_many(flooder, 1500, window=64, toUid="y"))
            acked = 0
            rounds = 0
            while rounds < 10:
                rounds += 1
                c = await logged_in(server, 2, deviceId="quick", ackMode="manual")
                try:
                    await c.sync()
                    got = [m["convSeq"] for m in c.pending_messages(conv="d:1|2")]
                    redelivered += [(rounds, s) for s in got if s <= acked]
                    c.pushes.clear()
                    await u1.sendmsg(f"more {rounds}", toUid="2")
                    m = await c.next_message(conv="d:1|2")
                    await c.call("ack", {"conv": "d:1|2", "convSeq": m["convSeq"]})
                    acked = m["convSeq"]
                finally:
                    await c.close()
            await asyncio.wait_for(flood, 30)
            assert not redelivered, (
                f"acked messages delivered again at the next login (round, convSeq): {redelivered[:10]}")
        finally:
            await close_all(u1, flooder)

    run(main(), timeout=60)
