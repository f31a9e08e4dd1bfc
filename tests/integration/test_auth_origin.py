"""JWT authentication, refusing to start unprotected on a public address,
and the Origin check of the WebSocket upgrade."""

import time

import jwt
import pytest
import websockets

from chorus_client import Client, close_all, logged_in, run, start_expecting_refusal

SECRET = "0123456789abcdef0123456789ABCDEF"  # 32 characters


def token(sub="1", secret=SECRET, exp_in=300, algorithm="HS256", **claims):
    payload = {"sub": sub, **claims}
    if exp_in is not None:
        payload["exp"] = int(time.time()) + exp_in
    return jwt.encode(payload, secret, algorithm=algorithm)


@pytest.fixture
def jwt_server(chorus):
    return chorus("--auth=jwt", f"--jwt-secret={SECRET}")


def test_jwt_login(jwt_server):
    server = jwt_server

    async def attempt(data):
        c = await Client.connect(server)
        try:
            return (await c.request("login", data))["response"]
        finally:
            await c.close()

    async def main():
        ok = await attempt({"userId": "1", "token": token("1")})
        assert ok["code"] == 200 and ok["data"]["userId"] == "1", ok

        cases = {
            "wrong signature": ({"userId": "1", "token": token("1", secret="X" * 32)}, 1003),
            "expired": ({"userId": "1", "token": token("1", exp_in=-600)}, 1003),
            "missing token": ({"userId": "1"}, 1003),
            "empty token": ({"userId": "1", "token": ""}, 1003),
            "garbage token": ({"userId": "1", "token": "not.a.jwt"}, 1003),
            "no exp": ({"userId": "1", "token": token("1", exp_in=None)}, 1003),
            "nbf in the future": ({"userId": "1", "token": token("1", nbf=int(time.time()) + 600)}, 1003),
            "HS512, not HS256": ({"userId": "1", "token": token("1", algorithm="HS512")}, 1003),
            "alg none": ({"userId": "1", "token": jwt.encode({"sub": "1", "exp": int(time.time()) + 300},
                                                              None, algorithm="none")}, 1003),
            "sub is another user": ({"userId": "1", "token": token("2")}, 1002),
            "appId claim mismatch": ({"userId": "1", "appId": "102", "token": token("1", appId="101")}, 1003),
        }
        for what, (data, code) in cases.items():
            r = await attempt(data)
            assert r["code"] == code, f"{what}: got {r['code']} ({r.get('msg')!r}), expected {code}"

        # nbf in the past is fine; the appId claim fixes the tenant.
        r = await attempt({"userId": "1", "token": token("1", nbf=int(time.time()) - 60)})
        assert r["code"] == 200, r
        r = await attempt({"userId": "1", "appId": "102", "token": token("1", appId="102")})
        assert r["code"] == 200 and r["data"]["appId"] == "102", r
        r = await attempt({"userId": "1", "token": token("1", appId="102")})
        assert r["code"] == 200 and r["data"]["appId"] == "102", f"the appId claim must fix the tenant: {r}"

        # A failed login leaves the connection able to log in properly.
        c = await Client.connect(server)
        try:
            await c.call("login", {"userId": "1", "token": token("1", exp_in=-600)}, expect=1003)
            await c.call("login", {"userId": "1", "token": token("1")})
        finally:
            await c.close()

        # Authenticated users chat as usual.
        u1 = await logged_in(server, 1, token=token("1"))
        u2 = await logged_in(server, 2, token=token("2"))
        try:
            await u1.sendmsg("signed", toUid="2")
            assert (await u2.next_message())["from"] == "1"
        finally:
            await close_all(u1, u2)

    run(main())


@pytest.mark.parametrize("args", [
    ("--listen", "0.0.0.0"),
    ("--listen", "0.0.0.0", "--auth=jwt"),
    ("--listen", "0.0.0.0", "--auth=open"),
])
def test_public_address_without_secret_refuses_to_start(tmp_path, chorusd_binary, args):
    rc, out, err = start_expecting_refusal(tmp_path, *args)
    assert rc != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected a one-line message on stderr, got: {err!r}"
    assert "--jwt-secret" in lines[0], lines[0]
    assert "listening on" not in out


def test_short_jwt_secret_refused(tmp_path, chorusd_binary):
    rc, out, err = start_expecting_refusal(tmp_path, "--auth=jwt", "--jwt-secret=short")
    assert rc != 0 and "--jwt-secret" in err


def handshake_status(server, origin=None, path="/ws"):
    """Status of a raw WebSocket upgrade request."""
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    if origin is not None:
        headers["Origin"] = origin
    status, _, _ = server.http(path, headers=headers)
    return status


def test_origin_check(chorus):
    server = chorus()

    async def main():
        with pytest.raises(websockets.InvalidStatusCode) as e:
            await Client.connect(server, origin="http://evil.example")
        assert e.value.status_code == 403
        for origin in (f"http://127.0.0.1:{server.port}", None):
            c = await Client.connect(server, origin=origin)
            try:
                await c.login("o1")
            finally:
                await c.close()

    run(main())
    assert handshake_status(server, "http://evil.example") == 403
    assert handshake_status(server, f"http://127.0.0.1:{server.port + 1}") == 403
    assert handshake_status(server, f"https://evil.example:{server.port}") == 403
    assert handshake_status(server, "null") == 403
    assert handshake_status(server, f"http://127.0.0.1:{server.port}") == 101
    assert handshake_status(server) == 101


def test_allowed_origin_flag(chorus):
    server = chorus("--allowed-origin", "http://app.example")

    async def main():
        c = await Client.connect(server, origin="http://app.example")
        try:
            await c.login("o2")
        finally:
            await c.close()
        with pytest.raises(websockets.InvalidStatusCode) as e:
            await Client.connect(server, origin="http://evil.example")
        assert e.value.status_code == 403

    run(main())
    assert handshake_status(server, f"http://127.0.0.1:{server.port}") == 101
    assert handshake_status(server, "http://app.example.evil.example") == 403
