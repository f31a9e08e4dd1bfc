"""appId tenants never see each other."""

from chorus_client import Client, close_all, logged_in, run


def test_same_user_ids_in_two_apps_are_different_users(server):
    async def main():
        a1 = await logged_in(server, 1, appId="101")
        a2 = await logged_in(server, 2, appId="101")
        b1 = await logged_in(server, 1, appId="102")
        b2 = await logged_in(server, 2, appId="102")
        try:
            r = await a1.sendmsg("in 101", toUid="2")
            assert r["conv"] == "d:1|2" and r["convSeq"] == 1
            m = await a2.next_message()
            assert m["appId"] == "101" and m["content"] == "in 101"

            # 102's conversation d:1|2 is a different one: it starts at 1, and
            # the first thing 2@102 gets is 102's message, not 101's.
            r = await b1.sendmsg("in 102", toUid="2")
            assert r["convSeq"] == 1, "tenant 102 shares tenant 101's conversation"
            m = await b2.next_message()
            assert m["appId"] == "102" and m["content"] == "in 102" and m["convSeq"] == 1
            for c in (a1, a2, b1, b2):
                assert await c.sync() == 0 and c.pending_messages() == [], c.name

            h = await b2.call("history", {"toUid": "1"})
            assert [x["content"] for x in h["messages"]] == ["in 102"]
            h = await a2.call("history", {"toUid": "1"})
            assert [x["content"] for x in h["messages"]] == ["in 101"]
        finally:
            await close_all(a1, a2, b1, b2)

        # Offline delivery per tenant too; the login default is appId 101.
        n2 = await logged_in(server, 2, deviceId="new")
        try:
            assert (await n2.next_message())["content"] == "in 101"
            assert await n2.sync() == 0 and n2.pending_messages() == []
        finally:
            await n2.close()

        # Idempotency keys are per tenant: the same msgId in 102 is a new message.
        a1 = await logged_in(server, 1, appId="101")
        b1 = await logged_in(server, 1, appId="102")
        try:
            x = await a1.sendmsg("k", toUid="2", msgId="tenant-key")
            y = await b1.sendmsg("k", toUid="2", msgId="tenant-key")
            assert x["duplicate"] is False and y["duplicate"] is False
        finally:
            await close_all(a1, b1)

    run(main())


def test_rooms_with_the_same_id_are_separate(server):
    async def main():
        a = await logged_in(server, "u", appId="101", groupsId="7")
        a_peer = await logged_in(server, "v", appId="101", groupsId="7")
        b = await logged_in(server, "u", appId="102", groupsId="7")
        try:
            # Only 101's member sees 101's enter event.
            await a.next_event("enter", **{"from": "v", "appId": "101"})
            r = await a.sendmsg("room in 101", groupsId="7")
            assert r["convSeq"] == 1
            for c in (a, a_peer):
                assert (await c.next_message(conv="r:7"))["appId"] == "101"
            r = await b.sendmsg("room in 102", groupsId="7")
            assert r["convSeq"] == 1, "rooms of two tenants share a sequence"
            m = await b.next_message(conv="r:7")
            assert m["appId"] == "102" and m["content"] == "room in 102"
            for c in (a, a_peer, b):
                assert await c.sync() == 0 and c.pending_messages() == [], c.name
            assert not [p for p in b.pushes if p["data"].get("appId") == "101"], b.pushes

            status, body = server.http_json("/user/list?groupsId=7&appId=101")
            assert sorted(body["data"]["userList"]) == ["u", "v"] and body["data"]["memberCount"] == 2
            status, body = server.http_json("/user/list?groupsId=7&appId=102")
            assert body["data"]["userList"] == ["u"] and body["data"]["memberCount"] == 1
            status, body = server.http_json("/user/groupslist?appId=102")
            assert body["data"]["groupsList"] == [{"groupsId": "7", "members": 1}]
            rooms = (await b.call("rooms", {}))["rooms"]
            assert rooms == [{"groupsId": "7", "members": 1, "member": True}]
        finally:
            await close_all(a, a_peer, b)

    run(main())


def test_app_id_allow_list(chorus):
    server = chorus("--app-id", "101", "--app-id", "102")

    async def main():
        ok = await logged_in(server, 1, appId="102")
        try:
            c = await Client.connect(server)
            try:
                await c.call("login", {"userId": "1", "appId": "999"}, expect=1011)
                await c.call("login", {"userId": "1"})  # the default 101 is allowed
            finally:
                await c.close()
        finally:
            await ok.close()

    run(main())
