"""Fixtures for the chorusd integration tests.

`chorus(*flags)` starts a chorusd on a free port with its own database in
the test's tmp_path and returns a chorus_client.Server; every process a test
starts is stopped by PID when the test ends, pass or fail.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chorus_client import Server, chorusd_path  # noqa: E402


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture(scope="session")
def chorusd_binary():
    path = chorusd_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"chorusd binary not found at {path}; build it or set CHORUSD")
    return path


@pytest.fixture
def chorus(tmp_path, chorusd_binary):
    """Factory: chorus(*extra_flags, threads=2, wrapper=(), start=True) -> Server."""
    started: list[Server] = []
    counter = [0]

    def start(*extra, threads=2, wrapper=(), start=True, workdir=None):
        counter[0] += 1
        wd = Path(workdir) if workdir else tmp_path / f"node{counter[0]}"
        wd.mkdir(parents=True, exist_ok=True)
        srv = Server(wd, extra_args=extra, threads=threads, wrapper=wrapper)
        started.append(srv)
        if start:
            srv.start()
        return srv

    yield start
    for srv in started:
        srv.stop()
    # Shown by pytest only when the test failed.
    reports = []
    for srv in started:
        if srv.log_path.exists():
            text = srv.log_path.read_text(errors="replace")
            tail = text.splitlines()[-30:]
            print(f"---- {srv.log_path} (last {len(tail)} lines)")
            print("\n".join(tail))
            # Under the asan/tsan presets a sanitizer report fails the test.
            if any(mark in text for mark in SANITIZER_MARKS):
                reports.append(str(srv.log_path))
    if reports:
        pytest.fail(f"sanitizer report in {', '.join(reports)}")


@pytest.fixture
def server(chorus):
    """A chorusd with default flags."""
    return chorus()
