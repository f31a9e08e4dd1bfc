"""Bad input: every bad frame gets a clear error response (or the documented
close code), and the server stays up for everyone else."""

import asyncio
import itertools
import json

import pytest

from chorus_client import Client, RawWs, close_all, logged_in, run, OP_BINARY

_pairs = itertools.count(1)


async def chat_still_works(server):
    """Two fresh users exchange a message both ways."""
    n = next(_pairs)
    a, b = f"ok{n}a", f"ok{n}b"
    ca = await logged_in(server, a)
    cb = await logged_in(server, b)
    try:
        r = await ca.sendmsg("still fine?", toUid=b)
        assert r["convSeq"] == 1
        assert (await cb.next_message())["content"] == "still fine?"
        await cb.sendmsg("yes", toUid=a)
        assert (await ca.next_message())["convSeq"] == 2
    finally:
        await close_all(ca, cb)
    assert server.alive()


def error_of(frame):
    return frame["response"]["code"], frame["response"]["msg"]


def test_unparseable_frames(server):
    async def main():
        c = await Client.connect(server)
        try:
            cases = [
                ('{"seq": "x1", "action": ', 1016),        # malformed JSON
                ("not json at all", 1016),
                ('[{"seq": "x2", "action": "heartbeat"}]', 1016),  # an array, not an object
                ('"just a string"', 1016),
                ("", 1016),
            ]
            for text, code in cases:
                resp = await c.raw_request(text, seq="")
                assert resp["action"] == "" and resp["seq"] == "", resp
                got, msg = error_of(resp)
                assert got == code, (text, resp)
                assert isinstance(msg, str) and msg, "an error needs a message"
            # Binary frame: 1016.
            resp = await c.raw_request(b'{"seq":"b1","action":"heartbeat"}', seq="")
            assert error_of(resp)[0] == 1016, resp
            # 100 levels deep: 1016 (the limit is 16).
            deep = "[" * 100 + "]" * 100
            resp = await c.raw_request('{"seq":"d1","action":"heartbeat","data":{"x":' + deep + "}}", seq="")
            assert error_of(resp)[0] == 1016, resp
            deep = "{\"a\":" * 100 + "1" + "}" * 100
            resp = await c.raw_request('{"seq":"d2","action":"heartbeat","data":' + deep + "}", seq="")
            assert error_of(resp)[0] == 1016, resp
            # The connection is still usable.
            await c.login("bad1")
            assert "serverTime" in await c.call("heartbeat", {})
        finally:
            await c.close()
        await chat_still_works(server)

    run(main())


def test_envelope_errors(server):
    async def main():
        c = await Client.connect(server)
        try:
            resp = await c.raw_request(json.dumps({"seq": "m1", "data": {}}), seq="m1")
            assert error_of(resp)[0] == 1001, resp                      # missing action
            resp = await c.raw_request(json.dumps({"seq": "m2", "action": ""}), seq="m2")
            assert error_of(resp)[0] == 1001, resp                      # empty action
            resp = await c.raw_request(json.dumps({"seq": "m3", "action": "a" * 33}), seq="m3")
            assert error_of(resp)[0] == 1001, resp                      # action over 32 bytes
            resp = await c.raw_request(json.dumps({"seq": "m4", "action": "heartbeat", "data": [1]}), seq="m4")
            assert error_of(resp)[0] == 1001, resp                      # data not an object
            resp = await c.raw_request(json.dumps({"seq": "s" * 129, "action": "heartbeat"}), seq="")
            assert error_of(resp)[0] == 1001, resp                      # seq over 128 bytes
            resp = await c.raw_request(json.dumps({"seq": 42, "action": "nosuch"}), seq="42")
            assert error_of(resp)[0] == 1010 and resp["action"] == "nosuch", resp  # unknown action, int seq
            resp = await c.request("fly", {})
            assert error_of(resp)[0] == 1010 and resp["action"] == "fly"
        finally:
            await c.close()
        await chat_still_works(server)

    run(main())


def test_before_login_and_login_errors(server):
    async def main():
        c = await Client.connect(server)
        try:
            await c.call("sendmsg", {"toUid": "2", "message": "hi"}, expect=1000)
            await c.call("heartbeat", {}, expect=1000)
            await c.call("join", {"groupsId": "1"}, expect=1000)
            await c.call("rooms", {}, expect=1000)
            await c.call("login", {}, expect=1002)
            await c.call("login", {"appId": "101"}, expect=1002)
            await c.call("login", {"userId": "has space"}, expect=1002)
            await c.call("login", {"userId": "x" * 65}, expect=1002)
            await c.call("login", {"userId": {"id": 1}}, expect=1002)
            await c.call("login", {"userId": "1", "ackMode": "sometimes"}, expect=1001)
            await c.call("login", {"userId": "1", "deviceId": "bad/device"}, expect=1001)
            # Failed logins leave the connection able to log in.
            d = await c.login("1", deviceId="x" * 64)
            assert d["userId"] == "1"
            await c.call("login", {"userId": "1"}, expect=1015)
            await c.call("login", {"userId": "2"}, expect=1015)
            # Still logged in as 1.
            await c.call("heartbeat", {})
        finally:
            await c.close()
        await chat_still_works(server)

    run(main())


def test_sendmsg_field_errors(server):
    async def main():
        c = await logged_in(server, "1")
        r = await logged_in(server, "2")
        try:
            await c.call("sendmsg", {"toUid": {"x": 1}, "message": "m"}, expect=1001)
            await c.call("sendmsg", {"toUid": [2], "message": "m"}, expect=1001)
            await c.call("sendmsg", {"toUid": "2", "message": 12345}, expect=1001)
            await c.call("sendmsg", {"toUid": "2"}, expect=1001)
            await c.call("sendmsg", {"toUid": "2", "message": ""}, expect=1001)
            await c.call("sendmsg", {"toUid": "bad id!", "message": "m"}, expect=1001)
            await c.call("sendmsg", {"toUid": "2", "message": "m", "msgId": "bad id!"}, expect=1001)
            await c.call("sendmsg", {"toUid": "2", "message": "m", "msgType": "t" * 33}, expect=1013)
            await c.call("sendmsg", {"toUid": "2", "message": "x" * (16 * 1024 + 1)}, expect=1013)
            # Exactly the limit is fine (bytes, not characters: 4-byte emoji count 4).
            ok = await c.sendmsg("x" * (16 * 1024), toUid="2")
            assert ok["convSeq"] == 1
            await c.call("sendmsg", {"toUid": "2", "message": "\U0001F600" * 4097}, expect=1013)
            # Nothing of the refused ones was stored or pushed.
            m = await r.next_message()
            assert m["convSeq"] == 1 and len(m["content"]) == 16 * 1024
            assert await r.sync() == 0 and r.pending_messages() == []
            h = await c.call("history", {"toUid": "2"})
            assert len(h["messages"]) == 1
        finally:
            await close_all(c, r)
        await chat_still_works(server)

    run(main())


def test_frame_over_64k_closes_with_1009(server):
    async def main():
        c = await Client.connect(server, compression=None)  # the size must reach the server as is
        await c.login("big")
        try:
            await c.send_raw(json.dumps({"seq": "big", "action": "heartbeat", "data": {"pad": "x" * (70 * 1024)}}))
            code = await c.wait_closed(5)
            assert code == 1009, f"close code {code}, expected 1009"
        finally:
            await c.close()
        await chat_still_works(server)

    run(main())


def test_invalid_utf8_closes_with_1007(server):
    ws = RawWs.for_server(server)
    try:
        ws.send_text(b'{"seq":"u1","action":"heartbeat","data":{"x":"\xff\xfe\xc3\x28"}}')
        code, texts = ws.wait_close(5)
        assert code == 1007, f"close code {code} (None: TCP closed without a close frame), expected 1007"
    finally:
        ws.close()
    run(chat_still_works(server))


def test_raw_binary_frame_gets_1016(server):
    ws = RawWs.for_server(server)
    try:
        ws.send_frame(OP_BINARY, b"\x00\x01\x02")
        f = ws.recv_json()
        assert f["response"]["code"] == 1016, f
        assert ws.request("login", {"userId": "raw"})["response"]["code"] == 200
    finally:
        ws.close()


def test_rate_limit_every_request_answered_once(chorus):
    server = chorus("--rate", "10", "--burst", "20")

    async def main():
        c = await logged_in(server, "rl")
        try:
            n = 150  # fewer than the 200 refusals in a row that close the connection
            seqs = [f"hb-{i}" for i in range(n)]
            for s in seqs:
                await c.send_raw(json.dumps({"seq": s, "action": "heartbeat", "data": {}}))

            async def all_answered():
                while len([f for f in c.responses if f["seq"].startswith("hb-")]) < n and not c.closed:
                    c._changed.clear()
                    await c._changed.wait()
            await asyncio.wait_for(all_answered(), 5)
            answers = [f for f in c.responses if f["seq"].startswith("hb-")]
            assert [f["seq"] for f in answers] == seqs, "not exactly one response per request, in order"
            codes = [f["response"]["code"] for f in answers]
            assert set(codes) <= {200, 1012}, set(codes)
            ok, limited = codes.count(200), codes.count(1012)
            assert 19 <= ok <= 40, f"{ok} allowed with --burst 20 (the login took one)"
            assert limited >= 100
            assert all(codes[i] == 200 for i in range(19)), "the burst must be allowed first"
            # Tokens come back: a heartbeat is allowed again within a second or so.
            for _ in range(15):
                resp = await c.request("heartbeat", {})
                if resp["response"]["code"] == 200:
                    break
                await asyncio.sleep(0.2)  # waiting for the token bucket, not for the server
            else:
                pytest.fail("rate limit never lifted")
            assert server.metrics()["chorus_rate_limited_total"] >= limited
        finally:
            await c.close()
        await chat_still_works(server)

    run(main())


def test_rate_limit_flood_closes_with_1008(chorus):
    """Docs: a connection that keeps sending after more than 200 rate-limited
    frames in a row is closed with 1008; every frame before that is answered once."""
    # One token per 20 s after the burst: the 200 refusals come in a row
    # however slowly the server reads (at --rate 10 a token every 100 ms let
    # a frame through under TSan, and the count started over).
    server = chorus("--rate", "0.05", "--burst", "20")

    async def main():
        c = await logged_in(server, "flood")
        try:
            n = 300
            for i in range(n):
                if c.closed:
                    break
                try:
                    await c.send_raw(json.dumps({"seq": f"f-{i}", "action": "heartbeat", "data": {}}))
                except Exception:
                    break
            code = await c.wait_closed(5)
            assert code == 1008, f"close code {code}, expected 1008"
            answers = [f["seq"] for f in c.responses if f["seq"].startswith("f-")]
            assert answers == [f"f-{i}" for i in range(len(answers))], "answers not once each, in order"
            codes = [f["response"]["code"] for f in c.responses if f["seq"].startswith("f-")]
            assert codes.count(1012) >= 200 and len(answers) < n
            refusal = next(f for f in c.responses if f["seq"].startswith("f-") and f["response"]["code"] == 1012)
            assert refusal["response"]["msg"] == "rate limited: at most 0.05 frames per second"
        finally:
            await c.close()
        await chat_still_works(server)

    run(main())
