"""chorusd on PostgreSQL (--postgres) instead of SQLite: the same behaviour,
including a kill -9 and a restart. Needs CHORUS_TEST_POSTGRES, a libpq
conninfo of a server the test may create databases on (scripts/test starts
one)."""

import os
import subprocess
import uuid

import pytest

from chorus_client import close_all, logged_in, run

ADMIN = os.environ.get("CHORUS_TEST_POSTGRES")


@pytest.fixture
def pg_database():
    if not ADMIN:
        pytest.skip("CHORUS_TEST_POSTGRES not set (scripts/test sets it)")
    name = "chorus_it_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", ADMIN, "-q", "-c", f"CREATE DATABASE {name}"], check=True)
    yield f"{ADMIN} dbname={name}"
    subprocess.run(["psql", ADMIN, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def test_chat_and_offline_delivery_survive_kill9_on_postgres(chorus, pg_database):
    server = chorus("--postgres", pg_database)
    assert "store postgresql" in server.log_text()

    async def before():
        u1 = await logged_in(server, 1)
        u3 = await logged_in(server, 3, groupsId="5")
        try:
            u2 = await logged_in(server, 2, groupsId="5")
            r = await u1.sendmsg("hello over pg", toUid="2", msgId="pg-1")
            assert (r["conv"], r["convSeq"]) == ("d:1|2", 1)
            assert (await u2.next_message())["content"] == "hello over pg"
            assert (await u1.sendmsg("hello over pg", toUid="2", msgId="pg-1"))["duplicate"] is True
            await u2.close()
            for i in range(5):
                await u1.sendmsg(f"offline {i}", toUid="2", msgId=f"pg-off-{i}")
            await u3.sendmsg("room while away", groupsId="5")
        finally:
            await close_all(u1, u3)

    run(before())
    server.kill9()
    server.start()

    async def after():
        u2 = await logged_in(server, 2)
        try:
            got = await u2.messages(6)
            direct = [m for m in got if m["conv"] == "d:1|2"]
            room = [m for m in got if m["conv"] == "r:5"]
            assert [m["convSeq"] for m in direct] == [2, 3, 4, 5, 6]
            assert [m["content"] for m in direct] == [f"offline {i}" for i in range(5)]
            assert [m["content"] for m in room] == ["room while away"]
            assert await u2.sync() == 0 and u2.pending_messages() == []
        finally:
            await u2.close()

    run(after())
