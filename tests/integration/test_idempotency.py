"""sendmsg with a client msgId is idempotent per (sender, msgId)."""

from chorus_client import close_all, logged_in, run


def test_same_msgid_twice_stores_and_pushes_once(server):
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            first = await u1.sendmsg("only once", toUid="2", msgId="idem-1")
            again = await u1.sendmsg("only once", toUid="2", msgId="idem-1")
            assert first["duplicate"] is False
            assert again["duplicate"] is True
            for k in ("msgId", "clientMsgId", "conv", "convSeq", "msgTimeMs", "msgTimestamp"):
                assert again[k] == first[k], (k, first, again)

            # A sentinel after the retry: the recipient's pushes come in
            # convSeq order, so a second push of convSeq 1 would come before it.
            sentinel = await u1.sendmsg("sentinel", toUid="2", msgId="idem-2")
            assert sentinel["convSeq"] == first["convSeq"] + 1, "the retry took a convSeq"
            got = await u2.messages(2)
            assert [m["convSeq"] for m in got] == [1, 2], got
            assert got[0]["msgId"] == first["msgId"]
            assert await u2.sync() == 0 and u2.pending_messages() == []

            h = await u1.call("history", {"toUid": "2"})
            assert [m["clientMsgId"] for m in h["messages"]] == ["idem-2", "idem-1"]

            m = server.metrics()
            assert m["chorus_messages_stored_total"] == 2
            assert m["chorus_messages_duplicate_total"] == 1
        finally:
            await close_all(u1, u2)

    run(main())


def test_retry_from_another_connection_and_after_restart(chorus):
    server = chorus()

    async def first():
        u1 = await logged_in(server, 1, deviceId="a")
        try:
            return await u1.sendmsg("x", toUid="2", msgId="idem-x")
        finally:
            await u1.close()

    r1 = run(first())
    server.restart()

    async def second():
        u1 = await logged_in(server, 1, deviceId="b")
        try:
            r2 = await u1.sendmsg("x", toUid="2", msgId="idem-x")
            assert r2["duplicate"] is True and r2["msgId"] == r1["msgId"] and r2["convSeq"] == r1["convSeq"]
            h = await u1.call("history", {"toUid": "2"})
            assert len(h["messages"]) == 1
        finally:
            await u1.close()

    run(second())


def test_msgid_is_per_sender(server):
    async def main():
        u1 = await logged_in(server, 1)
        u3 = await logged_in(server, 3)
        u2 = await logged_in(server, 2)
        try:
            a = await u1.sendmsg("from 1", toUid="2", msgId="same-id")
            b = await u3.sendmsg("from 3", toUid="2", msgId="same-id")
            assert a["duplicate"] is False and b["duplicate"] is False
            assert a["msgId"] != b["msgId"]
            got = await u2.messages(2)
            assert sorted(m["from"] for m in got) == ["1", "3"]
        finally:
            await close_all(u1, u2, u3)

    run(main())


def test_room_message_idempotent(server):
    async def main():
        a = await logged_in(server, "a", groupsId="5")
        b = await logged_in(server, "b", groupsId="5")
        try:
            r1 = await a.sendmsg("room once", groupsId="5", msgId="rid-1")
            r2 = await a.sendmsg("room once", groupsId="5", msgId="rid-1")
            assert r2["duplicate"] is True and r2["convSeq"] == r1["convSeq"] == 1
            r3 = await a.sendmsg("room sentinel", groupsId="5", msgId="rid-2")
            assert r3["convSeq"] == 2
            for c in (a, b):
                assert [m["convSeq"] for m in await c.messages(2, conv="r:5")] == [1, 2]
                assert await c.sync() == 0 and c.pending_messages() == []
        finally:
            await close_all(a, b)

    run(main())
