"""One-to-one chat: responses, pushes, convSeq order, login defaults."""

from chorus_client import Client, close_all, logged_in, run

PUSH_FIELDS = {"action", "msgId", "clientMsgId", "msgType", "content", "from", "to", "groupsId", "appId",
               "msgTimestamp", "msgTimeMs", "conv", "convSeq"}


def check_response(r, conv, seq, client_msg_id):
    assert set(r) >= {"msgId", "clientMsgId", "conv", "convSeq", "msgTimestamp", "msgTimeMs", "duplicate"}, r
    assert isinstance(r["msgId"], str) and len(r["msgId"]) == 16 and int(r["msgId"], 16) >= 0, r
    assert r["clientMsgId"] == client_msg_id
    assert r["conv"] == conv
    assert r["convSeq"] == seq
    assert r["duplicate"] is False
    assert isinstance(r["msgTimestamp"], str) and r["msgTimestamp"].isdigit()
    assert isinstance(r["msgTimeMs"], int) and int(r["msgTimestamp"]) == r["msgTimeMs"] // 1000


def test_login_response(server):
    async def main():
        c = await Client.connect(server)
        try:
            d = await c.login("6", toUid="5", deviceId="phone", ackMode="manual")
        finally:
            await c.close()
        assert d["userId"] == "6" and d["appId"] == "101" and d["deviceId"] == "phone"
        assert d["toUid"] == "5" and d["groupsId"] == "0" and d["ackMode"] == "manual"
        assert isinstance(d["serverTime"], int) and d["serverTime"] > 1_600_000_000_000
        c = await Client.connect(server)
        try:
            d = await c.login(7)
        finally:
            await c.close()
        assert d["userId"] == "7" and d["deviceId"] == "default" and d["ackMode"] == "auto"
        assert d["toUid"] == "0" and d["groupsId"] == "0" and d["appId"] == "101"

    run(main())


def test_send_reply_and_order(server):
    async def main():
        u1 = await logged_in(server, 1, toUid="2")
        u2 = await logged_in(server, 2, toUid="1")
        try:
            r1 = await u1.sendmsg("hello 2", toUid="2", msgId="m-1")
            check_response(r1, "d:1|2", 1, "m-1")

            p = await u2.next_message()
            assert set(p) == PUSH_FIELDS, f"push fields differ from docs: {sorted(set(p) ^ PUSH_FIELDS)}"
            assert p == {
                "action": "sendmsg", "msgId": r1["msgId"], "clientMsgId": "m-1", "msgType": "text",
                "content": "hello 2", "from": "1", "to": "2", "groupsId": "0", "appId": "101",
                "msgTimestamp": r1["msgTimestamp"], "msgTimeMs": r1["msgTimeMs"], "conv": "d:1|2", "convSeq": 1,
            }

            r2 = await u2.sendmsg("hello 1", toUid="1", msgId="m-2", msgType="emoji")
            check_response(r2, "d:1|2", 2, "m-2")
            p = await u1.next_message()
            assert (p["from"], p["to"], p["content"], p["msgType"], p["convSeq"]) == ("2", "1", "hello 1", "emoji", 2)

            r3 = await u1.sendmsg("again", toUid="2", msgId="m-3")
            check_response(r3, "d:1|2", 3, "m-3")
            p = await u2.next_message()
            assert p["convSeq"] == 3 and p["content"] == "again" and p["msgId"] == r3["msgId"]
            assert len({r1["msgId"], r2["msgId"], r3["msgId"]}) == 3

            # Nothing else was pushed: u1 must not have got its own messages, u2 neither.
            assert await u1.sync() == 0 and await u2.sync() == 0
            assert u1.pending_messages() == [] and u2.pending_messages() == []
        finally:
            await close_all(u1, u2)

    run(main())


def test_many_in_order_no_gaps(server):
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            seqs = []
            for i in range(20):
                sender, to = (u1, "2") if i % 3 else (u2, "1")
                r = await sender.sendmsg(f"m{i}", toUid=to)
                seqs.append(r["convSeq"])
            assert seqs == list(range(1, 21))
            # u1 gets the ones u2 sent, u2 the ones u1 sent, each in convSeq order.
            want_u2 = [s for i, s in enumerate(seqs) if i % 3]
            want_u1 = [s for i, s in enumerate(seqs) if not i % 3]
            got_u2 = [m["convSeq"] for m in await u2.messages(len(want_u2))]
            got_u1 = [m["convSeq"] for m in await u1.messages(len(want_u1))]
            assert got_u2 == want_u2 and got_u1 == want_u1
            assert await u1.sync() == 0 and await u2.sync() == 0
            assert u1.pending_messages() == [] and u2.pending_messages() == []
        finally:
            await close_all(u1, u2)

    run(main())


def test_default_recipient_from_login(server):
    async def main():
        u1 = await logged_in(server, 1, toUid="2")
        u2 = await logged_in(server, 2)
        u3 = await logged_in(server, 3)
        try:
            r = await u1.sendmsg("to the login's toUid")
            assert r["conv"] == "d:1|2" and r["convSeq"] == 1
            p = await u2.next_message()
            assert p["to"] == "2" and p["from"] == "1" and p["content"] == "to the login's toUid"
            # An explicit toUid wins over the login's.
            r = await u1.sendmsg("to 3", toUid="3")
            assert r["conv"] == "d:1|3"
            assert (await u3.next_message())["content"] == "to 3"
            # toUid "0" means none: the login's applies.
            r = await u1.sendmsg("zero", toUid="0")
            assert r["conv"] == "d:1|2" and r["convSeq"] == 2
            # No toUid at login nor in sendmsg: 1001.
            await u3.sendmsg("to nobody", expect=1001)
        finally:
            await close_all(u1, u2, u3)

    run(main())


def test_userid_in_sendmsg_is_ignored(server):
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            r = await u1.sendmsg("spoof?", toUid="2", userId="99", appId="555", **{"from": "99"})
            assert r["conv"] == "d:1|2"
            p = await u2.next_message()
            assert p["from"] == "1" and p["appId"] == "101" and p["conv"] == "d:1|2"
        finally:
            await close_all(u1, u2)

    run(main())


def test_integer_ids_accepted(server):
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            r = await u1.call("sendmsg", {"toUid": 2, "message": "int ids"})
            assert r["conv"] == "d:1|2"
            p = await u2.next_message()
            assert p["from"] == "1" and p["to"] == "2"
        finally:
            await close_all(u1, u2)

    run(main())
