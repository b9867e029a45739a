"""hookline/embedded/listener.py: the listening sockets outlive a recycle's exec, and a
connection made while no server accepts is answered by the program started again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hookline.embedded import listener

#: The program before the recycle: binds, tells its port, waits for the go, then hands
#: the sockets over and execs the program started again, which adopts them and answers
#: what the kernel queued meanwhile.
RECYCLING_CHILD = """
import os, sys
from hookline.embedded import listener
sockets = listener.listening_sockets("127.0.0.1", 0)
port = sockets[0].getsockname()[1]
print(port, flush=True)
sys.stdin.readline()
listener.hand_over(sockets)
os.execv(sys.executable, [sys.executable, "-c", sys.argv[1], str(port)])
"""
ADOPTING_CHILD = """
import sys
from hookline.embedded import listener
(sock,) = listener.listening_sockets("127.0.0.1", int(sys.argv[1]))
sock.setblocking(True)
connection, _ = sock.accept()
connection.sendall(b"answered: " + connection.recv(100))
connection.close()
"""


@pytest.fixture
def no_handover(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(listener.FDS_ENV, raising=False)
    yield
    os.environ.pop(listener.FDS_ENV, None)


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def test_it_binds_and_listens_when_nothing_was_handed_over(no_handover: None) -> None:
    sockets = listener.listening_sockets("127.0.0.1", 0)
    try:
        assert len(sockets) == 1
        (sock,) = sockets
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        assert not sock.get_inheritable()  # no child (broker, worker) gets it
        with socket.create_connection(sock.getsockname(), timeout=5):
            pass
    finally:
        close_all(sockets)


def test_a_connection_queued_before_the_exec_is_answered_after_it(no_handover: None) -> None:
    program = subprocess.Popen(
        [sys.executable, "-c", RECYCLING_CHILD, ADOPTING_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert program.stdout is not None and program.stdin is not None
        port = int(program.stdout.readline())
        # Nothing accepts yet, and the exec comes after: the kernel queues it.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(b"webhook")
            program.stdin.write(b"go\n")
            program.stdin.flush()
            assert client.recv(100) == b"answered: webhook"
        _, errors = program.communicate(timeout=30)
        assert program.returncode == 0, errors.decode()
    finally:
        if program.poll() is None:
            program.kill()
            program.communicate()


def test_sockets_on_another_port_are_not_adopted(no_handover: None) -> None:
    before = listener.listening_sockets("127.0.0.1", 0)
    listener.hand_over(before)
    taken = before[0].getsockname()[1]
    before[0].detach()  # as after an exec: only the descriptor is left
    with socket.socket() as probe:  # a free port other than the handed-over one
        probe.bind(("127.0.0.1", 0))
        other = probe.getsockname()[1]
    assert other != taken
    after = listener.listening_sockets("127.0.0.1", other)
    try:
        assert [sock.getsockname()[1] for sock in after] == [other]
        # The stale one was closed, not leaked: nothing listens on its port any more.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", taken), timeout=5).close()
        assert listener.FDS_ENV not in os.environ  # read once
    finally:
        close_all(after)


def test_descriptors_that_are_no_sockets_are_ignored(
    no_handover: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(listener.FDS_ENV, "999999,x")
    sockets = listener.listening_sockets("127.0.0.1", 0)
    try:
        assert len(sockets) == 1 and sockets[0].getsockname()[1] != 0
    finally:
        close_all(sockets)
