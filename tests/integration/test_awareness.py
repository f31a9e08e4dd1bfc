"""Awareness: the conversation list with unread counts, read marks, typing,
presence, and delivered marks (docs/protocol.md)."""

import asyncio

from chorus_client import close_all, logged_in, run


def test_conversation_list_with_unread_counts_and_read_marks(server):
    async def main():
        u1 = await logged_in(server, 1)
        u3 = await logged_in(server, 3, groupsId="9")
        try:
            for i in range(3):
                await u1.sendmsg(f"to two {i}", toUid="2")
            await u3.sendmsg("room hello", groupsId="9")
            u2 = await logged_in(server, 2, groupsId="9")
            await u2.messages(3, conv="d:1|2")
            convs = (await u2.call("conversations", {}))["conversations"]
            by_conv = {c["conv"]: c for c in convs}
            assert set(by_conv) == {"d:1|2", "r:9"}
            d = by_conv["d:1|2"]
            assert (d["kind"], d["peer"], d["lastSeq"], d["readSeq"], d["unread"]) == ("direct", "1", 3, 0, 3)
            assert d["last"]["content"] == "to two 2"
            # u2 joined room 9 after its only message: nothing unread there.
            r = by_conv["r:9"]
            assert (r["kind"], r["groupsId"], r["lastSeq"], r["unread"]) == ("room", "9", 1, 0)

            await u2.call("read", {"conv": "d:1|2", "convSeq": 2})
            ev = await u1.next_event("read", conv="d:1|2")
            assert (ev["from"], ev["convSeq"]) == ("2", 2)
            d = {c["conv"]: c for c in (await u2.call("conversations", {}))["conversations"]}["d:1|2"]
            assert (d["readSeq"], d["unread"]) == (2, 1)
            # Read marks never move back, and never past what was delivered.
            await u2.call("read", {"toUid": "1", "convSeq": 1})
            d = {c["conv"]: c for c in (await u2.call("conversations", {}))["conversations"]}["d:1|2"]
            assert d["readSeq"] == 2
            await u2.call("read", {"conv": "d:1|2", "convSeq": 99}, expect=1001)
            await u2.call("read", {"conv": "d:5|6", "convSeq": 1}, expect=1014)
            await u2.close()
        finally:
            await close_all(u1, u3)

    run(main())


def test_typing_reaches_the_other_side_but_not_the_typist(server):
    async def main():
        u1 = await logged_in(server, 1)
        u1b = await logged_in(server, 1, deviceId="b")
        u2 = await logged_in(server, 2)
        try:
            await u1.call("typing", {"toUid": "2"})
            ev = await u2.next_event("typing")
            assert (ev["conv"], ev["from"], ev["typing"], ev["to"]) == ("d:1|2", "1", True, "2")
            assert (await u1b.next_event("typing"))["from"] == "1"  # own other device
            await u1.call("typing", {"toUid": "2", "typing": False})
            assert (await u2.next_event("typing"))["typing"] is False
            await u1.call("typing", {"toUid": "2", "typing": "yes"}, expect=1001)
            await u1.call("sendmsg", {"toUid": "2", "message": "done typing"})
            # The typist's own connection got no typing event of its own.
            assert not [p for p in u1.pushes if (p.get("data") or {}).get("action") == "typing"]
        finally:
            await close_all(u1, u1b, u2)

    run(main())


def test_typing_after_a_send_is_stamped_after_the_message(server):
    """Send, then start typing the next one without waiting: the typing event
    is relayed at once, the message only once stored, so it may arrive
    second. Its serverTime is never earlier than the message's msgTimeMs
    (both stamped when the server read them), which is how a client tells
    that this typing began after the message (docs/webapp.md)."""
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            # 40 rounds: 81 frames with the login, within the default burst
            # of 100 however fast they go (50 rounds were 101: rate limited
            # when a round took under 20 ms).
            for i in range(40):
                send = asyncio.ensure_future(u1.call("sendmsg", {"toUid": "2", "message": f"m{i}"}))
                typing = asyncio.ensure_future(u1.call("typing", {"toUid": "2"}))
                ack, _ = await asyncio.gather(send, typing)
                ev = await u2.next_event("typing")
                msg = await u2.next_message()
                assert msg["convSeq"] == ack["convSeq"] and msg["msgTimeMs"] == ack["msgTimeMs"]
                assert ev["serverTime"] >= msg["msgTimeMs"], (ev, msg)
        finally:
            await close_all(u1, u2)

    run(main())


def test_presence_action_and_events(server):
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            await u1.sendmsg("hi", toUid="2")
            await u2.next_message()
            assert sorted((await u1.call("presence", {"toUid": "2"}))["online"]) == ["1", "2"]
            await u2.close()
            # (An "online" event from u2's login may still be on its way:
            # it goes out once u2's first sync round has run.)
            ev = await u1.next_event("presence", conv="d:1|2", online=False)
            assert ev["from"] == "2"
            assert (await u1.call("presence", {"toUid": "2"}))["online"] == ["1"]
            # Forget older presence events, so the next one is the re-login's.
            u1.pushes = [p for p in u1.pushes if (p.get("data") or {}).get("action") != "presence"]
            u2 = await logged_in(server, 2)
            ev = await u1.next_event("presence", conv="d:1|2", online=True)
            assert ev["from"] == "2"
            # A room: its online members.
            await u1.call("join", {"groupsId": "4"})
            await u2.call("join", {"groupsId": "4"})
            assert sorted((await u1.call("presence", {"groupsId": "4"}))["online"]) == ["1", "2"]
            await u2.close()
        finally:
            await close_all(u1)

    run(main())


def test_delivered_marks_of_a_burst_rise_to_the_last(server):
    """Delivered marks are collapsed per recipient connection and
    conversation for a moment: the sender's events only ever rise, and the
    last names the last message."""
    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            sent = await asyncio.gather(*(u1.sendmsg(f"b{i}", toUid="2") for i in range(30)))
            assert sorted(r["convSeq"] for r in sent) == list(range(1, 31))
            assert [m["convSeq"] for m in await u2.messages(30)] == list(range(1, 31))
            marks = []
            while not marks or marks[-1] < 30:
                marks.append((await u1.next_event("delivered", conv="d:1|2"))["convSeq"])
            assert marks == sorted(set(marks)) and len(marks) <= 30, marks
            await asyncio.sleep(0.1)
            assert [p for p in u1.pushes if (p.get("data") or {}).get("action") == "delivered"] == []
        finally:
            await close_all(u1, u2)

    run(main())


def test_delivered_marks_reach_the_sender(server):
    async def main():
        u1 = await logged_in(server, 1)
        auto = await logged_in(server, 2)
        manual = await logged_in(server, 2, deviceId="m", ackMode="manual")
        try:
            r = await u1.sendmsg("one", toUid="2")
            ev = await u1.next_event("delivered", conv="d:1|2")
            assert (ev["from"], ev["convSeq"]) == ("2", r["convSeq"])
            await manual.next_message()
            await manual.call("ack", {"conv": "d:1|2", "convSeq": r["convSeq"]})
            ev = await u1.next_event("delivered", conv="d:1|2")
            assert ev["convSeq"] == r["convSeq"]
            # The marks are news to the sender only, not to the recipient's
            # other device (docs/protocol.md).
            await asyncio.sleep(0.1)
            for own in (auto, manual):
                assert [p for p in own.pushes if (p.get("data") or {}).get("action") == "delivered"] == []
        finally:
            await close_all(u1, auto, manual)

    run(main())
