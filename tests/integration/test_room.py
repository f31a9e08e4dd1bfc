"""Rooms: enter/exit events, fan-out to every member (sender included),
join/leave, membership checks and the Go system's HTTP room routes."""

from chorus_client import close_all, logged_in, run


def event_fields_ok(ev, action, user, room="7", app="101"):
    assert ev["action"] == action
    assert ev["from"] == user and ev["to"] == "0" and ev["groupsId"] == room and ev["appId"] == app, ev
    assert isinstance(ev["msgTimestamp"], str) and ev["msgTimestamp"].isdigit(), ev


def test_room_enter_send_exit(server):
    async def main():
        a = await logged_in(server, "a", groupsId="7")
        b = c = None
        try:
            b = await logged_in(server, "b", groupsId="7")
            event_fields_ok(await a.next_event("enter", **{"from": "b"}), "enter", "b")
            c = await logged_in(server, "c", groupsId="7")
            event_fields_ok(await a.next_event("enter", **{"from": "c"}), "enter", "c")
            event_fields_ok(await b.next_event("enter", **{"from": "c"}), "enter", "c")

            r = await b.sendmsg("hello room", groupsId="7", msgId="r-1")
            assert r["conv"] == "r:7" and r["convSeq"] == 1 and r["duplicate"] is False
            r2 = await c.sendmsg("second", groupsId="7")
            assert r2["convSeq"] == 2
            for member in (a, b, c):
                got = await member.messages(2, conv="r:7")
                assert [m["convSeq"] for m in got] == [1, 2], (member.name, got)
                m = got[0]
                assert m["from"] == "b" and m["to"] == "0" and m["groupsId"] == "7" and m["appId"] == "101"
                assert m["content"] == "hello room" and m["clientMsgId"] == "r-1" and m["msgId"] == r["msgId"]
            # Once each: a sync finds nothing more and nothing else was pushed.
            for member in (a, b, c):
                assert await member.sync() == 0
                assert member.pending_messages() == [], member.name

            # /user/list shows the online members.
            status, body = server.http_json("/user/list?groupsId=7&appId=101")
            assert status == 200 and body["code"] == 200, body
            assert sorted(body["data"]["userList"]) == ["a", "b", "c"]
            assert body["data"]["userCount"] == 3 and body["data"]["memberCount"] == 3

            await c.close()
            c = None
            for member in (a, b):
                event_fields_ok(await member.next_event("exit", **{"from": "c"}), "exit", "c")
            status, body = server.http_json("/user/list?groupsId=7&appId=101")
            assert sorted(body["data"]["userList"]) == ["a", "b"], body
            assert body["data"]["userCount"] == 2 and body["data"]["memberCount"] == 3

            status, body = server.http_json("/user/groupslist?appId=101")
            assert status == 200 and body["code"] == 200, body
            rooms = {g["groupsId"]: g["members"] for g in body["data"]["groupsList"]}
            assert rooms == {"7": 3}, body
        finally:
            await close_all(a, b, c)

    run(main())


def test_join_leave_and_membership(server):
    async def main():
        a = await logged_in(server, "a", groupsId="7")
        d = await logged_in(server, "d")
        try:
            await a.sendmsg("before d joined", groupsId="7")
            # Not a member: 1014 for sending, for history.
            await d.sendmsg("not a member", groupsId="7", expect=1014)
            await d.call("history", {"groupsId": "7"}, expect=1014)
            await d.call("leave", {"groupsId": "7"}, expect=1014)

            j = await d.call("join", {"groupsId": "7"})
            assert j["groupsId"] == "7" and j["conv"] == "r:7" and j["joined"] is True
            assert j["joinedSeq"] == 1, j  # the join point: messages after it are d's
            j2 = await d.call("join", {"groupsId": "7"})
            assert j2["joined"] is False

            r = await a.sendmsg("after d joined", groupsId="7")
            assert r["convSeq"] == 2
            m = await d.next_message(conv="r:7")
            assert m["convSeq"] == 2 and m["content"] == "after d joined"
            # The message from before the join is not pushed, but history has it.
            assert await d.sync() == 0 and d.pending_messages() == []
            h = await d.call("history", {"groupsId": "7"})
            assert [x["convSeq"] for x in h["messages"]] == [2, 1]

            r = await d.sendmsg("d speaks", groupsId="7")
            assert r["convSeq"] == 3
            assert (await a.next_message(convSeq=3))["from"] == "d"
            assert (await d.next_message(convSeq=3))["from"] == "d"  # the sender's own connection too

            rooms = (await d.call("rooms", {}))["rooms"]
            assert {x["groupsId"]: (x["members"], x["member"]) for x in rooms} == {"7": (2, True)}

            left = await d.call("leave", {"groupsId": "7"})
            assert left == {"groupsId": "7", "left": True}
            await d.call("leave", {"groupsId": "7"}, expect=1014)
            await d.sendmsg("gone", groupsId="7", expect=1014)
            r = await a.sendmsg("after d left", groupsId="7")
            assert r["convSeq"] == 4
            assert (await a.next_message(convSeq=4))["content"] == "after d left"
            assert await d.sync() == 0 and d.pending_messages() == [], "a member that left got a message"

            # join/leave need a groupsId other than "0".
            await d.call("join", {"groupsId": "0"}, expect=1001)
            await d.call("join", {}, expect=1001)
        finally:
            await close_all(a, d)

    run(main())


def test_room_membership_is_durable(chorus):
    server = chorus()

    async def first():
        a = await logged_in(server, "a", groupsId="9")
        b = await logged_in(server, "b")
        try:
            await b.call("join", {"groupsId": "9"})
        finally:
            await close_all(a, b)

    run(first())
    server.restart()

    async def second():
        a = await logged_in(server, "a")
        b = await logged_in(server, "b")
        try:
            r = await a.sendmsg("still members?", groupsId="9")
            assert r["convSeq"] == 1
            assert (await b.next_message(conv="r:9"))["content"] == "still members?"
            assert (await a.next_message(conv="r:9"))["content"] == "still members?"
        finally:
            await close_all(a, b)

    run(second())


def test_room_send_to_other_room_refused(server):
    async def main():
        a = await logged_in(server, "a", groupsId="7")
        try:
            await a.sendmsg("wrong room", groupsId="8", expect=1014)
            # Still works in its own room afterwards.
            r = await a.sendmsg("right room", groupsId="7")
            assert r["convSeq"] == 1
        finally:
            await a.close()

    run(main())


def test_user_list_bad_params(server):
    status, body = server.http_json("/user/list?groupsId=0&appId=101")
    assert body["code"] == 1001 and status != 200
    status, body = server.http_json("/user/list?appId=101")
    assert body["code"] == 1001


def test_join_and_leave_are_announced_to_the_room(server):
    async def main():
        u1 = await logged_in(server, 1, groupsId="12")
        u2 = await logged_in(server, 2)
        try:
            await u2.call("join", {"groupsId": "12"})
            ev = await u1.next_event("join", groupsId="12")
            assert (ev["from"], ev["conv"]) == ("2", "r:12")
            await u2.call("leave", {"groupsId": "12"})
            ev = await u1.next_event("leave", groupsId="12")
            assert ev["from"] == "2"
        finally:
            await close_all(u1, u2)

    run(main())
