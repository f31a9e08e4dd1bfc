"""One user on several connections (devices)."""

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
