"""Helpers for the chorusd integration tests: a server process wrapper, an
asyncio WebSocket client that matches responses to requests by seq and
buffers pushes, and a minimal raw (socket level) WebSocket client for the
frames a normal client library refuses to send or for a reader that stops
reading.

Everything waits with a timeout and fails with a message saying what it was
waiting for; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import itertools
import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / "build" / "dev" / "chorusd"
LISTEN_RE = re.compile(r"listening on http://([0-9.]+):(\d+)")
DEFAULT_TIMEOUT = 5.0


def chorusd_path() -> str:
    p = os.environ.get("CHORUSD") or str(DEFAULT_BINARY)
    if not os.path.isabs(p):
        p = str((Path.cwd() / p).resolve())
    return p


def start_expecting_refusal(tmp_path, *args):
    """Runs chorusd expecting it to refuse to start; never leaves it running.
    Returns (exit code, stdout, stderr)."""
    import pytest
    port = [] if "--port" in args else ["--port", "0"]
    cmd = [chorusd_path(), *port, "--db", str(tmp_path / "refused.db"), "--threads", "1", *args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.communicate(timeout=10)
        pytest.fail(f"chorusd {' '.join(args)} kept running; it must refuse to start")
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def run(coro, timeout: float = 60.0):
    """Runs a coroutine to completion in a fresh event loop, bounded in time."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------


class Server:
    """One chorusd process (and its restarts) on one database file.

    stdout and stderr are merged and drained by a thread into `lines` (and a
    log file next to the database), so the server never blocks on a full
    pipe and tests can wait for log lines.
    """

    def __init__(self, workdir: Path, extra_args=(), threads: int = 2, wrapper=(), name: str = "chorusd"):
        self.workdir = Path(workdir)
        self.db = self.workdir / "chorus.db"
        self.extra_args = list(extra_args)
        self.threads = threads
        self.wrapper = list(wrapper)
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.lines: list[str] = []
        self._lines_lock = threading.Condition()
        self._reader: threading.Thread | None = None
        self.starts = 0
        self.log_path = self.workdir / f"{name}.log"

    # -- addresses
    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    def args(self) -> list[str]:
        return self.wrapper + [chorusd_path(), "--port", "0", "--db", str(self.db),
                               "--threads", str(self.threads)] + self.extra_args

    # -- lifecycle
    def start(self, timeout: float = 20.0) -> "Server":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        binary = chorusd_path()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"chorusd binary not found or not executable: {binary} (set CHORUSD)")
        self.starts += 1
        with self._lines_lock:
            self.lines = []
        log = open(self.log_path, "a", buffering=1)
        log.write(f"==== start #{self.starts}: {' '.join(self.args())}\n")
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(self.workdir))
        proc = self.proc

        def drain():
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(line + "\n")
                with self._lines_lock:
                    self.lines.append(line)
                    self._lines_lock.notify_all()
            log.close()
            with self._lines_lock:
                self._lines_lock.notify_all()

        self._reader = threading.Thread(target=drain, daemon=True)
        self._reader.start()
        try:
            m = self.wait_for_log(LISTEN_RE, timeout)
        except Exception:
            self._hard_stop()
            raise
        self.host, self.port = m.group(1), int(m.group(2))
        assert self.host == "127.0.0.1", f"server must listen on 127.0.0.1, got {self.host}"
        return self

    def wait_for_log(self, pattern, timeout: float = DEFAULT_TIMEOUT):
        """Waits for a log line (of the current process) matching a regex or substring."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        seen = 0
        with self._lines_lock:
            while True:
                while seen < len(self.lines):
                    m = rx.search(self.lines[seen])
                    seen += 1
                    if m:
                        return m
                if self.proc is not None and self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(
                        f"chorusd exited with {self.proc.returncode} before logging {rx.pattern!r}; "
                        f"output:\n" + "\n".join(self.lines[-40:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for log {rx.pattern!r}; "
                                         f"last output:\n" + "\n".join(self.lines[-40:]))
                self._lines_lock.wait(min(left, 0.2))

    def log_text(self) -> str:
        with self._lines_lock:
            return "\n".join(self.lines)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> int:
        """SIGKILL, by PID; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        rc = self.proc.wait(timeout=10)
        self._join_reader()
        return rc

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, by PID; waits for the exit and returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._hard_stop()
            raise AssertionError(f"chorusd did not exit within {timeout}s of SIGTERM")
        self._join_reader()
        return rc

    def restart(self, kill: bool = False) -> "Server":
        if self.alive():
            self.kill9() if kill else self.terminate()
        return self.start()

    def _join_reader(self):
        if self._reader is not None:
            self._reader.join(timeout=5)

    def _hard_stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._join_reader()

    def stop(self):
        """Finalizer: SIGTERM, then SIGKILL if it lingers. By PID only."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=8)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self._hard_stop()

    # -- HTTP
    def http(self, path: str, method: str = "GET", headers=None, timeout: float = DEFAULT_TIMEOUT):
        """Sends the path as given (no normalisation). Returns (status, headers, body bytes)."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            c.endheaders()
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def http_json(self, path: str):
        status, _, body = self.http(path)
        return status, json.loads(body)

    def metrics(self) -> dict[str, float]:
        status, headers, body = self.http("/metrics")
        assert status == 200, (status, body)
        out = {}
        for line in body.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
        return out


# --------------------------------------------------------------------------
# The asyncio client
# --------------------------------------------------------------------------

_client_ids = itertools.count(1)


class ChorusError(AssertionError):
    pass


class Client:
    """A WebSocket client: request() sends with a unique seq and waits for the
    response with that seq; pushes (frames without "response") are buffered
    in arrival order and taken with next_push()."""

    def __init__(self, ws, name: str):
        self.ws = ws
        self.name = name
        self._seq = itertools.count(1)
        self._waiting: dict[str, asyncio.Future] = {}
        self.pushes: list[dict] = []          # pushes not yet taken, in arrival order
        self.all_pushes: list[dict] = []      # every push received, in arrival order
        self.responses: list[dict] = []       # every response frame, in arrival order
        self._changed = asyncio.Event()
        self.closed = False
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, server_or_url, name: str | None = None, timeout: float = DEFAULT_TIMEOUT, **kw):
        url = server_or_url if isinstance(server_or_url, str) else server_or_url.ws_url
        kw.setdefault("max_size", 4 * 1024 * 1024)
        kw.setdefault("ping_interval", None)  # the server's idleness rules are under test
        ws = await asyncio.wait_for(websockets.connect(url, **kw), timeout)
        return cls(ws, name or f"client{next(_client_ids)}")

    async def _read(self):
        try:
            async for raw in self.ws:
                if isinstance(raw, bytes):
                    frame = {"__binary__": raw}
                else:
                    frame = json.loads(raw)
                if isinstance(frame, dict) and "response" in frame:
                    self.responses.append(frame)
                    fut = self._waiting.pop(str(frame.get("seq")), None)
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                else:
                    self.pushes.append(frame)
                    self.all_pushes.append(frame)
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ChorusError(
                        f"{self.name}: connection closed (code {self.close_code}) while waiting for a response"))
            self._waiting.clear()
            self._changed.set()

    def next_seq(self) -> str:
        return f"{self.name}-{next(self._seq)}"

    async def send_raw(self, text):
        await self.ws.send(text)

    async def request(self, action: str, data=None, timeout: float = DEFAULT_TIMEOUT, seq: str | None = None):
        """Returns the whole response frame; frame["response"]["code"] etc."""
        seq = seq or self.next_seq()
        fut = asyncio.get_running_loop().create_future()
        self._waiting[seq] = fut
        frame = {"seq": seq, "action": action}
        if data is not None:
            frame["data"] = data
        if self.closed:
            raise ChorusError(f"{self.name}: connection is closed (code {self.close_code}); cannot send {action}")
        await self.ws.send(json.dumps(frame))
        try:
            resp = await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            self._waiting.pop(seq, None)
            raise ChorusError(f"{self.name}: no response to {action} seq={seq} within {timeout}s") from None
        assert resp["seq"] == seq and resp["action"] == action, resp
        return resp

    async def raw_request(self, text, seq: str = "", timeout: float = DEFAULT_TIMEOUT):
        """Sends a raw frame (str: text, bytes: binary) and waits for the
        response carrying `seq` ("" for a frame whose seq could not be read)."""
        fut = asyncio.get_running_loop().create_future()
        assert seq not in self._waiting, f"a request with seq {seq!r} is already waiting"
        self._waiting[seq] = fut
        await self.ws.send(text)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            self._waiting.pop(seq, None)
            raise ChorusError(f"{self.name}: no response with seq {seq!r} within {timeout}s "
                              f"to raw frame {str(text)[:80]!r}") from None

    async def call(self, action: str, data=None, expect: int = 200, timeout: float = DEFAULT_TIMEOUT):
        """request() that asserts the code and returns response.data."""
        resp = await self.request(action, data, timeout)
        code = resp["response"]["code"]
        if code != expect:
            raise ChorusError(f"{self.name}: {action} {data!r} returned {code} "
                              f"({resp['response'].get('msg')!r}), expected {expect}")
        return resp["response"].get("data")

    async def login(self, user, expect: int = 200, **fields):
        data = {"userId": str(user)}
        data.update({k: v for k, v in fields.items() if v is not None})
        return await self.call("login", data, expect)

    async def sendmsg(self, message: str, expect: int = 200, **fields):
        data = {"message": message}
        data.update({k: v for k, v in fields.items() if v is not None})
        return await self.call("sendmsg", data, expect)

    async def sync(self):
        """Runs sync; returns `delivered`. Pushes it caused are already buffered."""
        return (await self.call("sync", {}))["delivered"]

    # -- pushes
    def _take(self, pred):
        for i, p in enumerate(self.pushes):
            if pred(p):
                return self.pushes.pop(i)
        return None

    async def next_push(self, pred=None, timeout: float = DEFAULT_TIMEOUT, what: str = "a push"):
        pred = pred or (lambda p: True)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            p = self._take(pred)
            if p is not None:
                return p
            if self.closed:
                raise ChorusError(f"{self.name}: connection closed (code {self.close_code}) "
                                  f"while waiting for {what}; pending pushes: {self.pushes[:5]}")
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise ChorusError(f"{self.name}: timed out after {timeout}s waiting for {what}; "
                                  f"pending pushes: {self.pushes[:5]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def next_message(self, timeout: float = DEFAULT_TIMEOUT, **match):
        """Next message push (data.action == sendmsg) whose data has the given fields."""
        def pred(p):
            d = p.get("data") or {}
            return d.get("action") == "sendmsg" and all(d.get(k) == v for k, v in match.items())
        return (await self.next_push(pred, timeout, what=f"a message push {match}"))["data"]

    async def messages(self, n: int, timeout: float = DEFAULT_TIMEOUT, **match):
        """The next n message pushes (data only)."""
        out = []
        deadline = asyncio.get_running_loop().time() + timeout
        for i in range(n):
            left = max(0.01, deadline - asyncio.get_running_loop().time())
            try:
                out.append(await self.next_message(left, **match))
            except ChorusError as e:
                raise ChorusError(f"{self.name}: got {i} of {n} expected messages: {e}") from None
        return out

    async def next_event(self, action: str, timeout: float = DEFAULT_TIMEOUT, **match):
        def pred(p):
            d = p.get("data") or {}
            return d.get("action") == action and all(d.get(k) == v for k, v in match.items())
        return (await self.next_push(pred, timeout, what=f"a {action} event {match}"))["data"]

    def pending_messages(self, **match):
        return [p["data"] for p in self.pushes
                if (p.get("data") or {}).get("action") == "sendmsg"
                and all(p["data"].get(k) == v for k, v in match.items())]

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        """Waits for the server to close the connection; returns the close code."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except asyncio.TimeoutError:
            raise ChorusError(f"{self.name}: still open after {timeout}s; expected the server to close it") from None
        return self.close_code

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 3)
        except Exception:
            pass
        try:
            await asyncio.wait_for(self._reader, 3)
        except Exception:
            self._reader.cancel()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()


async def logged_in(server, user, name=None, **login_fields) -> Client:
    c = await Client.connect(server, name=name or f"u{user}-{next(_client_ids)}")
    await c.login(user, **login_fields)
    return c


async def close_all(*clients):
    await asyncio.gather(*(c.close() for c in clients if c is not None), return_exceptions=True)


# --------------------------------------------------------------------------
# A minimal raw WebSocket client (blocking sockets)
# --------------------------------------------------------------------------

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class RawClosed(Exception):
    """The TCP connection ended (EOF or reset) without a close frame."""


class RawWs:
    def __init__(self, host, port, path="/ws", rcvbuf: int | None = None, headers=None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.buf = b""
        self.other: list[dict] = []
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill(timeout)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise AssertionError(f"raw handshake failed: {head.decode(errors='replace')}")

    @classmethod
    def for_server(cls, server, **kw):
        return cls(server.host, server.port, **kw)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            raise RawClosed("connection reset") from None
        if not chunk:
            raise RawClosed("EOF")
        self.buf += chunk

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def recv_frame(self, timeout: float = DEFAULT_TIMEOUT):
        """Returns (opcode, payload) of the next whole frame (no reassembly)."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 2:
                b0, b1 = self.buf[0], self.buf[1]
                n = b1 & 0x7F
                off = 2
                if n == 126 and len(self.buf) >= 4:
                    n = struct.unpack("!H", self.buf[2:4])[0]
                    off = 4
                elif n == 127 and len(self.buf) >= 10:
                    n = struct.unpack("!Q", self.buf[2:10])[0]
                    off = 10
                if (b1 & 0x7F) < 126 or off > 2:
                    if len(self.buf) >= off + n:
                        payload = self.buf[off:off + n]
                        self.buf = self.buf[off + n:]
                        return b0 & 0x0F, payload
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no WebSocket frame within {timeout}s")
            try:
                self._fill(left)
            except socket.timeout:
                raise TimeoutError(f"no WebSocket frame within {timeout}s") from None

    def recv_json(self, timeout: float = DEFAULT_TIMEOUT):
        while True:
            op, payload = self.recv_frame(timeout)
            if op == OP_TEXT:
                return json.loads(payload)
            if op == OP_CLOSE:
                raise AssertionError(f"connection closed with {close_code_of(payload)} while expecting JSON")

    def request(self, action, data=None, seq="raw-1", timeout: float = DEFAULT_TIMEOUT):
        frame = {"seq": seq, "action": action}
        if data is not None:
            frame["data"] = data
        self.send_json(frame)
        while True:
            f = self.recv_json(timeout)
            if "response" in f and f.get("seq") == seq:
                return f
            self.other.append(f)  # pushes (and other responses) read on the way

    def wait_close(self, timeout: float = DEFAULT_TIMEOUT):
        """Reads until a close frame (returns its code) or the end of TCP (returns None).
        Also returns the text frames read on the way."""
        texts = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                op, payload = self.recv_frame(left)
            except RawClosed:
                return None, texts
            except TimeoutError:
                raise TimeoutError(f"connection not closed within {timeout}s "
                                   f"({len(texts)} text frames read meanwhile)") from None
            if op == OP_CLOSE:
                return close_code_of(payload), texts
            if op == OP_TEXT:
                texts.append(json.loads(payload))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def close_code_of(payload: bytes):
    if len(payload) >= 2:
        return struct.unpack("!H", payload[:2])[0]
    return 1005


def ws_url_with(server, **params):
    q = urllib.parse.urlencode(params)
    return server.ws_url + ("?" + q if q else "")
