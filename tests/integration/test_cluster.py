"""The cluster: three chorusd nodes on one PostgreSQL, Redis for the node
registry and presence, gRPC between nodes, nginx in front (deploy/). Needs
CHORUS_TEST_POSTGRES (scripts/test starts a PostgreSQL) and redis-server and
nginx installed (scripts/deps.sh). Every process is stopped by its PID."""

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from chorus_client import close_all, logged_in, run

ROOT = Path(__file__).resolve().parents[2]
ADMIN = os.environ.get("CHORUS_TEST_POSTGRES")
HEARTBEAT_MS = 200        # the nodes' --heartbeat-ms
HEARTBEAT_COMMANDS = 3    # ZADD, ZREMRANGEBYSCORE, ZRANGEBYSCORE per heartbeat
PRESENCE_CACHE_MS = 500   # the default --presence-cache-ms: the presence cache's staleness bound


def ping_ms(bound_ms: int) -> int:
    """How often a node PINGs its subscription to advance its cache's fence
    (directory::ping_interval): a fifth of the bound, 10 ms to 1 s."""
    return min(1000, max(10, bound_ms // 5))


def presence_key(app: str, user: str) -> str:
    """A user's Redis presence key: the app's length first, so ':' in ids is no ambiguity."""
    return f"chorus:presence:{len(app)}:{app}{user}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    """A helper process (Redis, nginx) stopped by its PID."""

    def __init__(self, args, log: Path):
        self.args, self.log = args, log
        self.p = None

    def start(self):
        self.p = subprocess.Popen(self.args, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        return self

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Url:
    def __init__(self, port):
        self.ws_url = f"ws://127.0.0.1:{port}/ws"


class Cluster:
    def __init__(self, chorus, tmp: Path, database: str):
        self.chorus, self.tmp, self.database = chorus, tmp, database
        self.redis_port = free_port()
        self.redis = Proc(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no"], tmp / "redis.log")
        self.nodes = {}
        self.nginx = None

    def start_redis(self):
        self.redis.start()

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), 0.2):
                    return True
            except OSError:
                return False
        wait_until(up, 10, "redis to listen")

    def start_node(self, node_id, redis_port=None, extra=()):
        flags = {"--heartbeat-ms": str(HEARTBEAT_MS), "--node-ttl-ms": "1500", "--peer-port": "0"}
        flags.update(dict(zip(extra[::2], extra[1::2])))
        srv = self.chorus("--postgres", self.database, "--redis", f"127.0.0.1:{redis_port or self.redis_port}",
                          "--node-id", str(node_id), *(x for kv in flags.items() for x in kv),
                          workdir=self.tmp / f"node{node_id}")
        self.nodes[node_id] = srv
        return srv

    def wait_mesh(self):
        """Every running node knows every other one."""
        running = [n for n in self.nodes.values() if n.alive()]
        want = f"{len(running) - 1} peer node(s)"
        wait_until(lambda: all(want in readyz(n)[1] for n in running), 15, f"nodes to see {want}")

    def start_nginx(self):
        d = self.tmp / "nginx"
        (d / "tmp").mkdir(parents=True, exist_ok=True)
        os.chmod(d / "tmp", 0o777)
        self.nginx_port = free_port()
        ups = "".join(f"    server 127.0.0.1:{n.port} max_fails=1 fail_timeout=2s;\n" for n in self.nodes.values())
        conf = (ROOT / "deploy" / "nginx.conf.template").read_text()
        conf = conf.replace("@DIR@", str(d)).replace("@LISTEN@", f"127.0.0.1:{self.nginx_port}")
        conf = conf.replace("@UPSTREAMS@\n", ups)
        (d / "nginx.conf").write_text(conf)
        self.nginx = Proc(["nginx", "-c", str(d / "nginx.conf"), "-p", str(d), "-g", "daemon off;"],
                          self.tmp / "nginx.log").start()

        def up():
            try:
                with socket.create_connection(("127.0.0.1", self.nginx_port), 0.2):
                    return True
            except OSError:
                return False
        wait_until(up, 10, "nginx to listen")
        return Url(self.nginx_port)

    def redis_cli(self, *args) -> str:
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def cursor(self, user, device, conv, app="101") -> int:
        """A device's cursor in PostgreSQL (0 if it has none yet)."""
        out = subprocess.run(["psql", self.database, "-At", "-c",
                              f"SELECT seq FROM cursors WHERE app='{app}' AND user_id='{user}' "
                              f"AND device='{device}' AND conv='{conv}'"],
                             check=True, capture_output=True, text=True, timeout=10).stdout.strip()
        return int(out or 0)

    def presence(self, user, app="101") -> set[str]:
        """The node ids in Redis' presence set of a user."""
        return set(self.redis_cli("SMEMBERS", presence_key(app, str(user))).split())

    def stop(self):
        if self.nginx:
            self.nginx.stop()
        self.redis.stop()


class StallingProxy:
    """A TCP proxy in front of Redis that can hold back what Redis sends on
    subscribed connections (those that sent SUBSCRIBE), as a stalled network
    would: the node behind it stops hearing presence changes and pongs, while
    its other connection works. Threads, stopped with stop()."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.flowing = threading.Event()
        self.flowing.set()
        self.socks = []
        self.stopped = False

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def hold(self):
        self.flowing.clear()

    def release(self):
        self.flowing.set()

    def stop(self):
        self.stopped = True
        self.release()
        for s in [self.listener, *self.socks]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.socks += [client, upstream]
            subscriber = threading.Event()
            threading.Thread(target=self._pump, args=(client, upstream, subscriber, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, subscriber, False), daemon=True).start()

    def _pump(self, src, dst, subscriber, to_redis):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if to_redis and b"SUBSCRIBE" in data.upper():
                    subscriber.set()
                if not to_redis and subscriber.is_set():
                    self.flowing.wait()
                if self.stopped:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def cluster_db(chorus, tmp_path):
    """Redis and a fresh database; the test starts the nodes (cluster.start_node)."""
    if not ADMIN:
        pytest.skip("CHORUS_TEST_POSTGRES not set (scripts/test sets it)")
    for tool in ("redis-server", "nginx", "psql"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed (scripts/deps.sh installs it)")
    name = "chorus_cl_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", ADMIN, "-q", "-c", f"CREATE DATABASE {name}"], check=True)
    c = Cluster(chorus, tmp_path, f"{ADMIN} dbname={name}")
    c.start_redis()
    yield c
    for n in c.nodes.values():
        n.stop()
    c.stop()
    subprocess.run(["psql", ADMIN, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


@pytest.fixture
def cluster(cluster_db):
    """Three nodes with the default presence cache."""
    for i in (1, 2, 3):
        cluster_db.start_node(i)
    cluster_db.wait_mesh()
    return cluster_db


def readyz(node) -> tuple[int, str]:
    status, _, body = node.http("/readyz")
    return status, body.decode()


def peer_received(node):
    return node.metrics().get("chorus_peer_deliveries_received_total", 0)


def settle_syncs(node):
    return node.metrics().get("chorus_settle_syncs_total", 0)


def test_one_to_one_across_nodes_reaches_only_the_nodes_of_its_users(cluster):
    a, b, c = cluster.nodes[1], cluster.nodes[2], cluster.nodes[3]

    async def main():
        u1 = await logged_in(a, 1)
        u2 = await logged_in(b, 2)
        u2c = await logged_in(c, 2, deviceId="other")  # user 2's second device, on node C
        try:
            got = []
            for i in range(10):
                r = await u1.sendmsg(f"m{i}", toUid="2")
                got.append(r["convSeq"])
            assert got == list(range(1, 11))
            for dev in (u2, u2c):
                assert [m["convSeq"] for m in await dev.messages(10, conv="d:1|2")] == list(range(1, 11))
            await u2c.close()
            await asyncio.sleep(0.5)  # C's presence entry goes with its last connection
            before = peer_received(c)
            for i in range(5):
                await u1.sendmsg(f"n{i}", toUid="2")
            assert [m["convSeq"] for m in await u2.messages(5, conv="d:1|2")] == list(range(11, 16))
            # Node C holds neither user now: no peer traffic reached it.
            assert peer_received(c) == before
            # Routing asked Redis where user 2 is (and counted it).
            assert a.metrics()["chorus_redis_commands_total"] > 0
            # A's deliveries left in batches: at least one, never more than deliveries.
            m = a.metrics()
            assert 0 < m["chorus_peer_batches_sent_total"] <= m["chorus_peer_deliveries_sent_total"]
        finally:
            await close_all(u1, u2)

    run(main())


def redis_commands(nodes):
    return sum(n.metrics()["chorus_redis_commands_total"] for n in nodes)


def stale_lookups(nodes):
    return sum(n.metrics()["chorus_presence_stale_lookups_total"] for n in nodes)


def command_calls(cluster) -> dict[str, int]:
    """Redis' own count of the commands it ran, by name (for failure messages)."""
    out = {}
    for line in cluster.redis_cli("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, _, fields = line.partition(":")
            out[name[8:]] = int(fields.split(",")[0].split("=")[1])
    return out


def test_one_to_one_routing_costs_no_redis_command_per_message(cluster):
    nodes = list(cluster.nodes.values())
    a, b = cluster.nodes[1], cluster.nodes[2]
    N, DEVICES = 200, 4  # a connection may send 100 frames at once (--burst), then 50/s

    async def main():
        u1s = [await logged_in(a, 1, deviceId=f"d{i}") for i in range(DEVICES)]
        u1 = u1s[0]
        u2 = await logged_in(b, 2)
        try:
            # The logins' presence writes (and their publications, which drop
            # cache entries) are done once each login's settle round ran; a
            # publication landing after the warm-up would empty a cache entry
            # inside the window.
            wait_until(lambda: settle_syncs(a) >= DEVICES and settle_syncs(b) >= 1, 15, "the logins' settle rounds")
            # Warm-up: node A routes the message, node B the delivered mark back;
            # each then has both users cached.
            await u1.sendmsg("warm-up", toUid="2")
            await u2.next_message(conv="d:1|2")
            await u1.next_event("delivered", conv="d:1|2", convSeq=1)
            # The window: every command counted lies between start and end.
            start = time.monotonic()
            before, calls, stale_before = redis_commands(nodes), command_calls(cluster), stale_lookups(nodes)

            async def send(dev, k):
                for i in range(N // DEVICES):
                    await dev.sendmsg(f"m{k}-{i}", toUid="2")

            await asyncio.gather(*(send(d, k) for k, d in enumerate(u1s)))
            got = await u2.messages(N, conv="d:1|2", timeout=30)
            assert [m["convSeq"] for m in got] == list(range(2, N + 2))
            await u1.next_event("delivered", conv="d:1|2", convSeq=N + 1, timeout=10)
            # A node whose subscription fell more than the bound behind (a
            # loaded machine: the suite runs beside others) asks Redis
            # rather than trust its cache; it says so in its metrics, and
            # those lookups are the fence doing its job, not per-message cost.
            spent = redis_commands(nodes) - before - (stale_lookups(nodes) - stale_before)
            by_name = {k: v - calls.get(k, 0) for k, v in command_calls(cluster).items() if v != calls.get(k, 0)}
            elapsed = time.monotonic() - start
            return spent, elapsed, by_name
        finally:
            await close_all(*u1s, u2)

    spent, elapsed, by_name = run(main(), timeout=90)
    elapsed_ms = elapsed * 1000
    # What passing time costs whatever the traffic, per node: its heartbeats,
    # and the PINGs that advance its presence cache's fence (one in flight at
    # most, one per interval at most). Cached entries live until a change
    # invalidates them, and none changes here: the messages themselves cost
    # nothing (no SMEMBERS), however long the test takes.
    heartbeats = len(nodes) * HEARTBEAT_COMMANDS * (elapsed_ms // HEARTBEAT_MS + 1)
    pings = len(nodes) * (elapsed_ms // ping_ms(PRESENCE_CACHE_MS) + 1)
    # A login's presence publication may be applied on a node up to the
    # cache's bound late (a loaded machine), dropping an entry warmed before
    # it: then that node fetches the user once more. At most once per node
    # and user, whatever the number of messages.
    refetches = len(nodes) * 2
    print(f"{N} messages in {elapsed:.2f}s: {spent:.0f} Redis commands, at most {heartbeats:.0f} heartbeat, "
          f"{pings:.0f} PING and {refetches} re-fetch commands allowed ({(spent / N):.3f} per message); "
          f"Redis ran {by_name}")
    assert spent <= heartbeats + pings + refetches, (spent, elapsed, by_name)


def test_a_burst_across_nodes_arrives_live_in_commit_order(cluster):
    """The first route of a burst misses the presence cache and runs on the
    directory's thread; later ones the cache answers on the routing thread,
    and wait behind the queued one: the peer gets them in commit order, so
    the recipient gets every message live, none by sync."""
    a, b = cluster.nodes[1], cluster.nodes[2]
    N = 90  # within a connection's burst allowance

    async def main():
        settled_a, settled_b = settle_syncs(a), settle_syncs(b)
        u1 = await logged_in(a, 41)
        u2 = await logged_in(b, 42)
        try:
            # A settle round running during the burst could push a message
            # still on its way (counted as a sync message): wait them out.
            wait_until(lambda: settle_syncs(a) > settled_a and settle_syncs(b) > settled_b, 15,
                       "the logins' settle rounds")
            before = b.metrics().get("chorus_sync_messages_total", 0)
            acks = await asyncio.gather(*(u1.sendmsg(f"b{i}", toUid="42") for i in range(N)))
            assert sorted(r["convSeq"] for r in acks) == list(range(1, N + 1))
            got = await u2.messages(N, conv="d:41|42", timeout=30)
            assert [m["convSeq"] for m in got] == list(range(1, N + 1))
            assert b.metrics().get("chorus_sync_messages_total", 0) == before
        finally:
            await close_all(u1, u2)

    run(main())


def test_a_user_moving_to_another_node_gets_the_next_message_live(cluster):
    a, b, c = cluster.nodes[1], cluster.nodes[2], cluster.nodes[3]

    async def main():
        sender = await logged_in(c, 1)
        u2 = await logged_in(a, 2, deviceId="phone")
        u2b = None
        try:
            # Node C routes to user 2 and caches where they are: node A.
            await sender.sendmsg("on A", toUid="2")
            assert (await u2.next_message(conv="d:1|2"))["content"] == "on A"
            await u2.close()
            wait_until(lambda: cluster.presence(2) == set(), 10, "user 2 to leave node A")
            # Its cursor too: nothing orders node A's PostgreSQL commit before
            # the Redis change, and a login elsewhere before it would bring
            # "on A" again (at least once, by design), not what this tests.
            wait_until(lambda: cluster.cursor(2, "phone", "d:1|2") == 1, 10, "node A to save the cursor")
            settled = settle_syncs(b)
            u2b = await logged_in(b, 2, deviceId="phone")
            # Node B's settle sync starts once its presence write is done and
            # the staleness bound has passed: from then on no node routes
            # user 2 by what it knew before. Until then a message could reach
            # the new session by that sync rather than live.
            wait_until(lambda: settle_syncs(b) > settled, 15, "node B's settle sync")
            assert cluster.presence(2) == {"2"}
            assert await u2b.sync() == 0  # every sync is over: what comes next is live
            received, synced = peer_received(b), b.metrics()["chorus_sync_messages_total"]
            # Node C's entry (user 2 on node A) lives until invalidated: the
            # invalidation that node B published has reached it (or, were its
            # fence lagging, it would ask Redis): it routes to node B.
            seq = (await sender.sendmsg("on B", toUid="2"))["convSeq"]
            got = await u2b.next_message(conv="d:1|2", timeout=10)
            assert (got["content"], got["convSeq"]) == ("on B", seq)
            assert peer_received(b) > received  # node C sent it to node B
            assert b.metrics()["chorus_sync_messages_total"] == synced  # pushed, not synced
            assert await u2b.sync() == 0 and u2b.pending_messages() == []
            assert [p["data"]["convSeq"] for p in u2b.all_pushes
                    if (p.get("data") or {}).get("action") == "sendmsg"] == [seq]
        finally:
            await close_all(sender, u2, u2b)

    run(main(), timeout=60)


def test_a_sync_right_after_a_cluster_login_is_answered_by_its_settle_round(cluster):
    """In a cluster a login's settle round reads the store once routes are
    sure to include the new session; a client's sync before that waits for
    it and is answered by it (no read of its own), after every push."""
    a, b = cluster.nodes[1], cluster.nodes[2]

    async def main():
        sender = await logged_in(a, 1)
        u2 = None
        try:
            for text in ("one", "two", "three"):
                await sender.sendmsg(text, toUid="2")
            before = settle_syncs(b)
            u2 = await logged_in(b, 2)
            # Stored after the login: pushed live, or by the settle round.
            seq = (await sender.sendmsg("between", toUid="2"))["convSeq"]
            # `delivered`: the pushes after the request, "between" if the
            # settle round brought it (node A routing by its view before the
            # login), not the three the login's round queued before it.
            assert await u2.sync() in (0, 1)
            # The answer came once the settle round had run (the old way,
            # a read of its own, answered long before it).
            assert settle_syncs(b) > before
            contents = [m["content"] for m in u2.pending_messages(conv="d:1|2")]
            assert contents == ["one", "two", "three", "between"]
            assert u2.pending_messages(conv="d:1|2")[-1]["convSeq"] == seq
            # Nothing more comes, and a later sync reads for itself.
            assert await u2.sync() == 0 and len(u2.pending_messages(conv="d:1|2")) == 4
        finally:
            await close_all(sender, u2)

    run(main(), timeout=60)


SETTLE_BOUND_MS = 4000  # --presence-cache-ms in the next tests: room for its steps, however slow the build


def stale_route_nodes(cl):
    """Node A (the senders') reaches Redis through a StallingProxy, node B
    directly; both subscribed. Returns (a, b, proxy); the caller stops a and
    the proxy."""
    proxy = StallingProxy(cl.redis_port).start()
    # A silent subscription is dropped after --node-ttl-ms: longer than the test.
    flags = ("--presence-cache-ms", str(SETTLE_BOUND_MS), "--node-ttl-ms", "30000")
    a = cl.start_node(1, redis_port=proxy.port, extra=flags)
    b = cl.start_node(2, extra=flags)
    cl.wait_mesh()
    # Both nodes' presence subscriptions are up (before it, node A would not cache).
    wait_until(lambda: cl.redis_cli("PUBSUB", "NUMSUB", "chorus:presence-changed").split()[-1] == "2", 10,
               "both nodes to subscribe")
    return a, b, proxy


async def log_in_past_a_stale_route(cl, b, proxy, sender, witness):
    """Node A routes to user 2 (online nowhere) and caches that; then its
    subscription is held, so it keeps that entry for SETTLE_BOUND_MS, and
    user 2 logs in on node B. Returns user 2's client, the login's sync done
    and its presence in Redis."""
    await sender.sendmsg("while away", toUid="2")
    # Node A routes in order: once user 3 on node B has this, the routing
    # above is done and cached.
    await sender.sendmsg("hello 3", toUid="3")
    await witness.next_message(conv="d:1|3")
    # From now on node A hears neither publications nor pongs: its fence
    # stops, so it keeps using its entry for SETTLE_BOUND_MS.
    proxy.hold()
    u2 = await logged_in(b, 2)
    assert (await u2.next_message(conv="d:1|2"))["content"] == "while away"  # the login's sync
    wait_until(lambda: cl.presence(2) == {"2"}, 10, "user 2 to be on node B in Redis")
    return u2


def test_a_login_gets_what_a_stale_route_missed_by_one_more_sync(cluster_db):
    """A node routing by a stale presence entry misses a user's new node; the
    new session's settle sync (route_staleness() after its presence write)
    delivers what it missed, without a client sync or another message."""
    cl = cluster_db
    a, b, proxy = stale_route_nodes(cl)

    async def main():
        sender = await logged_in(a, 1)
        witness = await logged_in(b, 3)
        u2 = None
        try:
            u2 = await log_in_past_a_stale_route(cl, b, proxy, sender, witness)
            received, synced = peer_received(b), b.metrics()["chorus_sync_messages_total"]
            seq = (await sender.sendmsg("routed by a stale entry", toUid="2"))["convSeq"]
            # No client sync, no other message: the settle sync brings it.
            got = await u2.next_message(conv="d:1|2", timeout=SETTLE_BOUND_MS / 1000 + 15)
            assert (got["content"], got["convSeq"]) == ("routed by a stale entry", seq)
            # Node A did route it by its stale entry (to no node), and node B synced it.
            assert peer_received(b) == received, "node A sent it to node B: its cache was not stale"
            assert b.metrics()["chorus_sync_messages_total"] == synced + 1
            # Exactly once.
            assert await u2.sync() == 0 and u2.pending_messages() == []
            assert [p["data"]["convSeq"] for p in u2.all_pushes
                    if (p.get("data") or {}).get("action") == "sendmsg"] == [1, seq]
        finally:
            proxy.release()
            await close_all(sender, witness, u2)

    try:
        run(main(), timeout=90)
    finally:
        a.stop()
        proxy.stop()


def test_a_sync_that_waits_for_the_settle_round_gets_a_conversation_a_stale_route_missed(cluster_db):
    """A client's sync right after a cluster login waits for the login's
    settle round. Here a stale route missed the first message of a new
    conversation, which the settle round cannot place: it hands over to a
    sync round, and that round answers the client's sync, after the push."""
    cl = cluster_db
    a, b, proxy = stale_route_nodes(cl)

    async def main():
        sender = await logged_in(a, 1)
        stranger = await logged_in(a, 4)
        witness = await logged_in(b, 3)
        u2 = None
        try:
            u2 = await log_in_past_a_stale_route(cl, b, proxy, sender, witness)
            settled, synced = settle_syncs(b), b.metrics()["chorus_sync_messages_total"]
            # A conversation the session does not know, routed to no node.
            seq = (await stranger.sendmsg("a new conversation", toUid="2"))["convSeq"]
            delivered = (await u2.call("sync", {}, timeout=SETTLE_BOUND_MS / 1000 + 15))["delivered"]
            assert delivered == 1
            assert settle_syncs(b) > settled
            got = u2.pending_messages(conv="d:2|4")  # pushed before the answer
            assert [(m["content"], m["convSeq"]) for m in got] == [("a new conversation", seq)]
            assert b.metrics()["chorus_sync_messages_total"] == synced + 1
            assert await u2.sync() == 0 and len(u2.pending_messages(conv="d:2|4")) == 1
        finally:
            proxy.release()
            await close_all(sender, stranger, witness, u2)

    try:
        run(main(), timeout=90)
    finally:
        a.stop()
        proxy.stop()


def test_a_node_that_joins_gets_pushes_before_the_next_heartbeat(cluster_db):
    """A node joining the list publishes it: the others route to it at once,
    not one heartbeat later (until then they would not know its address, and
    its users would get what was sent to them only by their next sync)."""
    cl = cluster_db
    slow = ("--heartbeat-ms", "60000", "--node-ttl-ms", "120000")  # no heartbeat within the test
    a = cl.start_node(1, extra=slow)
    wait_until(lambda: cl.redis_cli("PUBSUB", "NUMSUB", "chorus:presence-changed").split()[-1] == "1", 10,
               "node A to subscribe")
    # Subscribed is not yet connected for commands: wait for the first round.
    wait_until(lambda: "redis ok, 0 peer node(s)" in readyz(a)[1], 10, "node A's first heartbeat")
    b = cl.start_node(2, extra=slow)
    cl.wait_mesh()  # node A learnt of node B from its announcement: no heartbeat came

    async def main():
        sender = await logged_in(a, 1)
        u2 = await logged_in(b, 2)
        try:
            wait_until(lambda: settle_syncs(b) >= 1, 15, "node B's settle sync")
            assert await u2.sync() == 0
            received, synced = peer_received(b), b.metrics()["chorus_sync_messages_total"]
            seq = (await sender.sendmsg("to the new node", toUid="2"))["convSeq"]
            got = await u2.next_message(conv="d:1|2", timeout=10)
            assert (got["content"], got["convSeq"]) == ("to the new node", seq)
            assert peer_received(b) == received + 1  # node A pushed it to node B
            assert b.metrics()["chorus_sync_messages_total"] == synced
        finally:
            await close_all(sender, u2)

    run(main(), timeout=60)
    # Leaving is announced too: node A forgets node B at once.
    b.stop()
    wait_until(lambda: "0 peer node(s)" in readyz(a)[1], 10, "node A to forget node B")


def test_a_node_restarted_at_the_same_address_gets_the_next_push(cluster_db):
    """A peer's stream breaks when it restarts; the sending node, whose list
    never lost it (same id and address, entry not expired), writes the next
    batch again on a new stream: pushed live, not left to a sync."""
    cl = cluster_db
    port = free_port()
    a = cl.start_node(1)
    b = cl.start_node(2, extra=("--peer-port", str(port), "--node-ttl-ms", "30000"))
    cl.wait_mesh()

    async def exchange(note, sender_id):
        sender = await logged_in(a, sender_id)
        u2 = await logged_in(b, 2)
        conv = f"d:{min(sender_id, 2)}|{max(sender_id, 2)}"
        try:
            wait_until(lambda: settle_syncs(b) >= 1, 15, "node B's settle sync")
            assert await u2.sync() == 0
            received, synced = peer_received(b), b.metrics()["chorus_sync_messages_total"]
            seq = (await sender.sendmsg(note, toUid="2"))["convSeq"]
            got = await u2.next_message(conv=conv, timeout=10)
            assert (got["content"], got["convSeq"]) == (note, seq)
            assert peer_received(b) == received + 1  # node A pushed it
            assert b.metrics()["chorus_sync_messages_total"] == synced
        finally:
            await close_all(sender, u2)

    run(exchange("before", 1), timeout=60)
    b.kill9()
    b.start()  # same node id, same peer port: node A keeps its link, whose stream broke
    # A conversation of its own: what the first one delivered may come again
    # after a kill -9 (the device's cursor is written after the push).
    run(exchange("after the restart", 3), timeout=60)
    assert a.metrics().get("chorus_peer_send_failures_total", 0) == 0


def test_a_burst_of_logins_is_in_redis_and_routable(cluster):
    """Presence writes are pipelined, a burst of logins in a few round trips:
    each user is in Redis once its login settled, each is reached from
    another node, and a burst of logouts empties every set."""
    a, b = cluster.nodes[1], cluster.nodes[2]
    users = [str(100 + i) for i in range(40)]

    async def main():
        sender = await logged_in(b, 1)
        burst = await asyncio.gather(*(logged_in(a, u) for u in users))
        try:
            wait_until(lambda: all(cluster.presence(u) == {"1"} for u in users), 10, "every user in Redis")
            for u in users:
                await sender.sendmsg(f"to {u}", toUid=u)
            for u, c in zip(users, burst):
                assert (await c.next_message(conv=f"d:1|{u}"))["content"] == f"to {u}"
        finally:
            await close_all(sender, *burst)

    run(main(), timeout=60)
    wait_until(lambda: all(cluster.presence(u) == set() for u in users), 10, "every set emptied")


def test_a_single_node_runs_no_settle_sync(chorus):
    """Nothing routes by a stale view on one node: route_staleness() is 0 and
    a login runs no extra sync round."""
    node = chorus()

    async def main():
        u1 = await logged_in(node, 1)
        u2 = await logged_in(node, 2)
        try:
            await u1.sendmsg("hi", toUid="2")
            assert (await u2.next_message(conv="d:1|2"))["content"] == "hi"
        finally:
            await close_all(u1, u2)

    run(main())
    assert settle_syncs(node) == 0


def test_room_spanning_nodes_with_concurrent_senders_has_one_order(cluster):
    nodes = [cluster.nodes[i] for i in (1, 2, 3)]
    N = 30

    async def main():
        users = [await logged_in(nodes[i % 3], 10 + i, groupsId="77") for i in range(6)]
        try:
            await asyncio.sleep(0.3)

            async def burst(u, k):
                for j in range(N):
                    await u.sendmsg(f"{k}-{j}", groupsId="77", msgId=f"c{k}-{j}")

            await asyncio.gather(*(burst(users[k], k) for k in range(3)))
            orders = []
            for u in users:
                got = await u.messages(3 * N, timeout=20, conv="r:77")
                seqs = [m["convSeq"] for m in got]
                assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), u.name
                orders.append([(m["convSeq"], m["clientMsgId"]) for m in got])
            # Same messages, same order, no gaps, at every member on every node.
            assert all(o == orders[0] for o in orders)
            assert [s for s, _ in orders[0]] == list(range(orders[0][0][0], orders[0][0][0] + 3 * N))
        finally:
            await close_all(*users)

    run(main(), timeout=90)


def test_through_nginx_and_kill9_of_a_node_loses_nothing(cluster):
    lb = cluster.start_nginx()
    victim = cluster.nodes[1]

    async def main():
        sender = await logged_in(cluster.nodes[2], 1)
        rcv = await logged_in(victim, 2, deviceId="phone", ackMode="manual")
        try:
            acked = []
            for i in range(20):
                acked.append((await sender.sendmsg(f"before {i}", toUid="2", msgId=f"k-{i}"))["convSeq"])
            await rcv.messages(20, conv="d:1|2")
            await rcv.call("ack", {"conv": "d:1|2", "convSeq": 10})
            victim.kill9()
            for i in range(20, 40):
                acked.append((await sender.sendmsg(f"after {i}", toUid="2", msgId=f"k-{i}"))["convSeq"])
        finally:
            await close_all(sender, rcv)
        # The device comes back through nginx, which skips the dead node.
        again = await logged_in(lb, 2, deviceId="phone", ackMode="manual")
        try:
            got = await again.messages(30, conv="d:1|2", timeout=15)
            assert [m["convSeq"] for m in got] == list(range(11, 41))
            assert await again.sync() == 0 and again.pending_messages() == []
        finally:
            await again.close()
        assert acked == list(range(1, 41))

    run(main(), timeout=90)
    # The dead node drops out of the registry within the TTL.
    cluster.wait_mesh()


def test_redis_restart_degrades_then_recovers(cluster):
    a, b = cluster.nodes[1], cluster.nodes[2]

    async def main():
        u1 = await logged_in(a, 1)
        u1b = await logged_in(a, 3)
        u2 = await logged_in(b, 2)
        try:
            cluster.redis.stop()
            wait_until(lambda: "degraded" in readyz(a)[1], 10, "node 1 to report redis down")
            status, body = readyz(a)
            assert status == 200 and "redis unreachable" in body
            # Local users keep chatting; across nodes delivery goes to every last known node.
            await u1.sendmsg("local", toUid="3")
            assert (await u1b.next_message(conv="d:1|3"))["content"] == "local"
            await u1.sendmsg("across while degraded", toUid="2")
            assert (await u2.next_message(conv="d:1|2"))["content"] == "across while degraded"
            cluster.start_redis()
            wait_until(lambda: "redis ok" in readyz(a)[1], 15, "node 1 to reconnect")
            cluster.wait_mesh()
            await u1.sendmsg("after redis returned", toUid="2")
            assert (await u2.next_message(conv="d:1|2"))["content"] == "after redis returned"
        finally:
            await close_all(u1, u1b, u2)

    run(main(), timeout=90)


def test_a_node_joining_late_gets_traffic(cluster):
    async def main():
        u1 = await logged_in(cluster.nodes[1], 1, groupsId="5")
        try:
            late = cluster.start_node(4)
            cluster.wait_mesh()
            u2 = await logged_in(late, 2, groupsId="5")
            try:
                await asyncio.sleep(0.3)
                await u1.sendmsg("to the newcomer", toUid="2")
                assert (await u2.next_message(conv="d:1|2"))["content"] == "to the newcomer"
                await u1.sendmsg("room hello", groupsId="5")
                assert (await u2.next_message(conv="r:5"))["content"] == "room hello"
            finally:
                await u2.close()
        finally:
            await u1.close()

    run(main(), timeout=60)
