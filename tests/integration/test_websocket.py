"""The WebSocket layer itself (RFC 6455), spoken byte by byte: the upgrade,
fragments, ping/pong, the closing handshake, and every framing violation
answered with the right close code while other users chat on."""

import base64
import json
import os
import socket
import struct
import time

import pytest

from chorus_client import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawClosed, RawWs,
                           close_code_of, run)
from test_bad_input import chat_still_works


def raw_request(server, lines, timeout=5.0):
    """Sends a raw HTTP request; returns (status, head) of the answer."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        head = buf.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        return int(head.split(" ", 2)[1]), head


def upgrade_lines(server, **override):
    h = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
         "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    h.update(override)
    return [f"GET /ws HTTP/1.1", f"Host: {server.host}:{server.port}"] + [f"{k}: {v}" for k, v in h.items() if v is not None]


def test_upgrade_answers_the_rfc_accept_key(server):
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    status, head = raw_request(server, upgrade_lines(server, **{"Sec-WebSocket-Key": key}))
    assert status == 101
    assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head


def test_upgrade_with_bad_version_or_key_is_refused(server):
    status, head = raw_request(server, upgrade_lines(server, **{"Sec-WebSocket-Version": "8"}))
    assert status == 426
    assert "Sec-WebSocket-Version: 13" in head
    status, _ = raw_request(server, upgrade_lines(server, **{"Sec-WebSocket-Key": "not-a-key"}))
    assert status == 400
    status, _ = raw_request(server, upgrade_lines(server, **{"Sec-WebSocket-Key": None}))
    assert status == 400
    run(chat_still_works(server))


def test_frames_sent_with_the_upgrade_request_are_read(server):
    """A client may send frames right behind its request, before the 101."""
    key = base64.b64encode(os.urandom(16)).decode()
    payload = json.dumps({"seq": "early", "action": "login", "data": {"userId": "early1"}}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(("\r\n".join(upgrade_lines(server, **{"Sec-WebSocket-Key": key})) + "\r\n\r\n").encode() + frame)
        buf = b""
        deadline = time.monotonic() + 5
        while b'"early"' not in buf and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        assert buf.startswith(b"HTTP/1.1 101")
        assert b'"seq":"early"' in buf and b'"code":200' in buf


def test_fragmented_message_with_ping_in_between(server):
    ws = RawWs.for_server(server)
    try:
        body = json.dumps({"seq": "frag", "action": "login", "data": {"userId": "frag1"}}).encode()
        ws.send_frame(OP_TEXT, body[:10], fin=False)
        ws.send_frame(OP_PING, b"between")
        ws.send_frame(OP_CONT, body[10:20], fin=False)
        ws.send_frame(OP_CONT, body[20:])
        op, payload = ws.recv_frame()
        assert (op, payload) == (OP_PONG, b"between")
        f = ws.recv_json()
        assert f["seq"] == "frag" and f["response"]["code"] == 200
    finally:
        ws.close()


def test_ping_gets_pong_with_its_payload(server):
    ws = RawWs.for_server(server)
    try:
        ws.send_frame(OP_PING, b"are you there")
        assert ws.recv_frame() == (OP_PONG, b"are you there")
        ws.send_frame(OP_PONG, b"unsolicited")  # ignored, as the RFC allows
        assert ws.request("heartbeat", {})["response"]["code"] == 1000  # not logged in, but alive
    finally:
        ws.close()


def test_client_close_is_echoed_then_tcp_closes(server):
    ws = RawWs.for_server(server)
    try:
        ws.request("login", {"userId": "closer"})
        ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"bye")
        op, payload = ws.recv_frame()
        assert op == OP_CLOSE and close_code_of(payload) == 1000
        with pytest.raises(RawClosed):
            ws.recv_frame(5)
    finally:
        ws.close()


def test_client_close_without_code_gets_empty_close(server):
    ws = RawWs.for_server(server)
    try:
        ws.send_frame(OP_CLOSE, b"")
        op, payload = ws.recv_frame()
        assert (op, payload) == (OP_CLOSE, b"")
    finally:
        ws.close()


def masked(op, payload, first_byte=None):
    mask = os.urandom(4)
    b0 = first_byte if first_byte is not None else 0x80 | op
    return bytes([b0, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("name,data,code", [
    ("unmasked frame", bytes([0x81, 0x02]) + b"hi", 1002),
    ("reserved bit set", masked(OP_TEXT, b"hi", first_byte=0xC1), 1002),
    ("unknown opcode", masked(0x3, b"x"), 1002),
    ("continuation without a message", masked(OP_CONT, b"x"), 1002),
    ("fragmented ping", masked(OP_PING, b"x", first_byte=0x09), 1002),
    ("close code 1005 on the wire", masked(OP_CLOSE, struct.pack("!H", 1005)), 1002),
    ("close with 1-byte payload", masked(OP_CLOSE, b"\x03"), 1002),
    ("close reason not UTF-8", masked(OP_CLOSE, struct.pack("!H", 1000) + b"\xff"), 1007),
])
def test_framing_violation_closes_with_code(server, name, data, code):
    ws = RawWs.for_server(server)
    try:
        assert ws.request("login", {"userId": "violator"})["response"]["code"] == 200
        ws.sock.sendall(data)
        got, _ = ws.wait_close(5)
        assert got == code, f"{name}: close code {got}, expected {code}"
        with pytest.raises(RawClosed):  # and the server closes TCP
            ws.recv_frame(5)
    finally:
        ws.close()
    run(chat_still_works(server))


def test_many_pushes_arrive_whole_and_in_order(server):
    """Frames written several per system call still arrive one JSON each, in order."""
    sender = RawWs.for_server(server)
    receiver = RawWs.for_server(server)
    try:
        assert receiver.request("login", {"userId": "burst-to"})["response"]["code"] == 200
        assert sender.request("login", {"userId": "burst-from"})["response"]["code"] == 200
        n = 40  # within the default rate burst
        for i in range(n):
            sender.send_json({"seq": f"s{i}", "action": "sendmsg",
                              "data": {"toUid": "burst-to", "message": f"m{i}" + "x" * (i * 300)}})
        seqs = []
        deadline = time.monotonic() + 10
        while len(seqs) < n and time.monotonic() < deadline:
            f = receiver.recv_json()
            d = f.get("data") or {}
            if d.get("action") == "sendmsg":
                seqs.append(d["convSeq"])
                assert d["content"].startswith(f"m{len(seqs) - 1}")
        assert seqs == list(range(1, n + 1))
    finally:
        sender.close()
        receiver.close()
