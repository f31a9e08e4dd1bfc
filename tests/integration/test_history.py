"""history: newest first, paging with beforeSeq, membership."""

from chorus_client import close_all, logged_in, run


def test_history_paging(chorus):
    server = chorus("--rate", "1000", "--burst", "1000")

    async def main():
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        u3 = await logged_in(server, 3)
        try:
            for i in range(1, 31):
                who, to = (u1, "2") if i % 2 else (u2, "1")
                r = await who.sendmsg(f"h{i}", toUid=to, msgId=f"h-{i}")
                assert r["convSeq"] == i

            page = await u1.call("history", {"toUid": "2", "limit": 10})
            assert page["conv"] == "d:1|2"
            assert [m["convSeq"] for m in page["messages"]] == list(range(30, 20, -1))
            assert page["more"] is True
            m = page["messages"][0]
            assert m["content"] == "h30" and m["from"] == "2" and m["to"] == "1" and m["clientMsgId"] == "h-30"
            assert m["action"] == "sendmsg" and m["conv"] == "d:1|2" and m["appId"] == "101"

            seen = [x["convSeq"] for x in page["messages"]]
            before = seen[-1]
            pages = 1
            while page["more"]:
                page = await u2.call("history", {"conv": "d:1|2", "beforeSeq": before, "limit": 10})
                seqs = [x["convSeq"] for x in page["messages"]]
                assert seqs == sorted(seqs, reverse=True) and all(s < before for s in seqs), seqs
                seen += seqs
                before = seqs[-1]
                pages += 1
                assert pages <= 5, "paging does not end"
            assert seen == list(range(30, 0, -1))
            assert page["more"] is False and pages == 3

            # Default limit (50) returns all 30, and the contents match.
            full = await u1.call("history", {"conv": "d:1|2"})
            assert [x["content"] for x in full["messages"]] == [f"h{i}" for i in range(30, 0, -1)]
            assert full["more"] is False

            # Limits on limit.
            await u1.call("history", {"toUid": "2", "limit": 0}, expect=1001)
            await u1.call("history", {"toUid": "2", "limit": 101}, expect=1001)
            assert len((await u1.call("history", {"toUid": "2", "limit": 100}))["messages"]) == 30

            # Not in the conversation: 1014.
            await u3.call("history", {"conv": "d:1|2"}, expect=1014)
            # Nothing named: 1001.
            await u1.call("history", {}, expect=1001)
            await u1.call("history", {"conv": "garbage"}, expect=1001)
        finally:
            await close_all(u1, u2, u3)

    run(main())


def test_room_history_membership(server):
    async def main():
        a = await logged_in(server, "a", groupsId="3")
        outsider = await logged_in(server, "z")
        try:
            for i in range(3):
                await a.sendmsg(f"r{i}", groupsId="3")
            h = await a.call("history", {"groupsId": "3", "limit": 2})
            assert [m["convSeq"] for m in h["messages"]] == [3, 2] and h["more"] is True
            await outsider.call("history", {"groupsId": "3"}, expect=1014)
            await outsider.call("history", {"conv": "r:3"}, expect=1014)
        finally:
            await close_all(a, outsider)

    run(main())


def test_history_of_empty_direct_conversation(server):
    """d:1|3 is user 3's conversation by its very name (docs: a pair of users)
    even before anything was sent in it: history answers 200 with no
    messages, not 1014 ("not a member")."""
    async def main():
        u3 = await logged_in(server, 3)
        try:
            empty = await u3.call("history", {"toUid": "1"})
            assert empty["conv"] == "d:1|3" and empty["messages"] == [] and empty["more"] is False
        finally:
            await u3.close()

    run(main())
