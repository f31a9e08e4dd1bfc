"""Out of file descriptors: the server survives, says so, and recovers."""

import shutil
import socket

import pytest

from chorus_client import logged_in, run


def test_accept_failures_survived(chorus):
    if not shutil.which("prlimit"):
        pytest.skip("prlimit not installed")
    server = chorus(wrapper=["prlimit", "--nofile=64:64"])
    socks = []
    try:
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            try:
                s.connect((server.host, server.port))
            except OSError:
                s.close()
                continue
            socks.append(s)
        server.wait_for_log("accept failed", timeout=10)
        assert server.alive(), "chorusd died when it ran out of descriptors"
        # Still serving those it holds: an HTTP request on an accepted socket.
    finally:
        for s in socks:
            s.close()
    assert server.alive()

    async def main():
        # Descriptors come back as the server notices the closed sockets;
        # a fresh connection then works end to end.
        u1 = await logged_in(server, 1)
        u2 = await logged_in(server, 2)
        try:
            await u1.sendmsg("after the fd storm", toUid="2")
            assert (await u2.next_message(timeout=10))["content"] == "after the fd storm"
        finally:
            await u1.close()
            await u2.close()

    run(main())
    assert server.metrics()["chorus_accept_errors_total"] >= 1
    assert server.alive()
    # And it still hears SIGTERM and stops cleanly (its signal handling must
    # not need a descriptor it can no longer get).
    assert server.terminate() == 0


def fd_table_size(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("FDSize:"):
            return int(line.split()[1])
    raise AssertionError("no FDSize in /proc status")


def test_the_fd_table_is_sized_to_the_limit_at_startup(chorus):
    """The kernel doubles a threaded process's fd table with an RCU grace
    period per doubling, stalling accept() for milliseconds at 256, 512,
    1,024 ... descriptors; chorusd grows it to its limit before its threads
    start (core/fd_table.hpp)."""
    if not shutil.which("prlimit"):
        pytest.skip("prlimit not installed")
    server = chorus(wrapper=["prlimit", "--nofile=5000:5000"])
    assert fd_table_size(server.pid) >= 5000  # a process starts with 64; growing on demand, 256
