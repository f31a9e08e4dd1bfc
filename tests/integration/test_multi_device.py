"""One user on several connections (devices)."""

import asyncio

from chorus_client import close_all, logged_in, run


def test_every_device_of_the_recipient_gets_every_message(server):
    async def main():
        u1 = await logged_in(server, 1)
        a = await logged_in(server, 2, deviceId="a")
        b = await logged_in(server, 2, deviceId="b")
        try:
            sent = [await u1.sendmsg(f"m{i}", toUid="2", msgId=f"md-{i}") for i in range(10)]
            assert [r["convSeq"] for r in sent] == list(range(1, 11))
            for dev in (a, b):
                got = await dev.messages(10)
                assert [m["convSeq"] for m in got] == list(range(1, 11)), dev.name
                assert [m["clientMsgId"] for m in got] == [f"md-{i}" for i in range(10)]
            for dev in (a, b):
                assert await dev.sync() == 0 and dev.pending_messages() == [], dev.name
        finally:
            await close_all(u1, a, b)

    run(main())


def test_same_device_id_on_two_connections(server):
    """Two live connections with the same deviceId still each get every message."""
    async def main():
        u1 = await logged_in(server, 1)
        a1 = await logged_in(server, 2, deviceId="same")
        a2 = await logged_in(server, 2, deviceId="same")
        try:
            for i in range(5):
                await u1.sendmsg(f"m{i}", toUid="2")
            for c in (a1, a2):
                assert [m["convSeq"] for m in await c.messages(5)] == [1, 2, 3, 4, 5]
        finally:
            await close_all(u1, a1, a2)

    run(main())


def test_senders_other_device_gets_the_message_but_not_the_sending_connection(server):
    async def main():
        first = await logged_in(server, 1, deviceId="first")
        second = await logged_in(server, 1, deviceId="second")
        u2 = await logged_in(server, 2)
        try:
            r = await first.sendmsg("from my first device", toUid="2")
            assert r["convSeq"] == 1
            m = await second.next_message()
            assert m["from"] == "1" and m["to"] == "2" and m["convSeq"] == 1 and m["msgId"] == r["msgId"]
            assert (await u2.next_message())["convSeq"] == 1

            # u2 answers; the sending connection gets convSeq 2 and must not
            # have been pushed its own convSeq 1 (it would arrive before 2).
            await u2.sendmsg("answer", toUid="1")
            m2 = await first.next_message()
            assert m2["convSeq"] == 2, f"the sending connection was pushed its own message: {m2}"
            assert (await second.next_message())["convSeq"] == 2
            assert first.pending_messages() == []
            # Its cursor knows it has convSeq 1: a sync delivers nothing.
            assert await first.sync() == 0 and first.pending_messages() == []
        finally:
            await close_all(first, second, u2)

    run(main())


def test_senders_device_logging_in_later_gets_the_message(server):
    """The sending connection's sync does not push its own message; a device of
    the sender that logs in later gets it from the store."""
    async def main():
        first = await logged_in(server, 1, deviceId="first", ackMode="manual")
        try:
            await first.sendmsg("offline recipient", toUid="2")
            assert await first.sync() == 0
        finally:
            await first.close()
        other = await logged_in(server, 1, deviceId="other")
        try:
            m = await other.next_message()
            assert m["convSeq"] == 1 and m["from"] == "1"
        finally:
            await other.close()

    run(main())


def test_same_device_connection_logging_in_under_traffic_gets_all_after_its_login(server):
    """A connection that logs in while messages of a new conversation arrive,
    and while another connection of its device acks them (moving the cursor
    they share), gets every message sent after its login was answered, and
    what it gets is gapless: it resumes where the device was when its login
    was answered, never where the other connection got to later."""
    async def main():
        loop = asyncio.get_running_loop()
        for r in range(20):
            sender, peer = f"s{r}", f"p{r}"
            u1 = await logged_in(server, sender)
            a1 = await logged_in(server, peer, deviceId="same")
            try:
                issued = []

                async def burst():
                    for i in range(40):
                        issued.append(loop.time())
                        await u1.sendmsg(f"m{i}", toUid=peer)
                sending = asyncio.ensure_future(burst())
                await asyncio.sleep(0.001 * r)
                a2 = await logged_in(server, peer, deviceId="same")
                answered = loop.time()
                await sending
                assert [m["convSeq"] for m in await a1.messages(40)] == list(range(1, 41))
                after = [seq for seq, t in enumerate(issued, 1) if t > answered]
                first = after[0] if after else 41  # 41: all were sent before the answer
                # A barrier: a sync is answered once everything a2 is owed
                # was pushed (in order) before the answer.
                await a2.sync()
                got = [m["convSeq"] for m in a2.pending_messages()]
                # Gapless to the end; from no later than the first message
                # sent after the login's answer (nothing, if none was).
                start = got[0] if got else 41
                assert start <= first and got == list(range(start, 41)), (r, first, got)
                await asyncio.sleep(0.05)
                assert len(a2.pending_messages()) == len(got), r  # nothing came twice
                await a2.close()
            finally:
                await close_all(u1, a1)

    run(main())
