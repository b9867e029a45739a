"""``hookline dev``'s listening sockets, kept open across its broker recycles.

A recycle stops everything in order and starts the same program again in the same
process (``os.execv``, ``hookline/cli/dev.py``): a few seconds without a server.
Had the port been closed meanwhile, every platform delivering then would have been
refused (connection refused) and left to retry. Instead the sockets stay open and
listening through the exec: the kernel completes new connections and queues them (up
to ``core.listen.BACKLOG``, beyond which it drops SYNs, which clients send again), and
the restarted program adopts the same sockets and answers them. A platform sees a slow
answer, not an error.

Open connections are another matter: the old server drains them before it stops
(``stop_serving`` in ``hookline/server.py``: its answers close their connections, and
requests already in progress finish, ``Settings.shutdown_timeout_seconds``). On the
last stop (no recycle) the sockets close, so new connections are refused first and the
queued ones answered (``core/listen.py``).

The sockets pass through the exec as inherited file descriptors named in
:data:`FDS_ENV`; children (broker, workers) never inherit them (``subprocess`` closes
every other descriptor in a child).
"""

from __future__ import annotations

import os
import socket

from core.listen import bind

#: The environment variable that hands the listening sockets' descriptors to the
#: program started again by the exec: comma-separated numbers.
FDS_ENV = "HOOKLINE_DEV_LISTEN_FDS"


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """The sockets handed over by the program before the exec when they listen on
    ``port`` (any, for port 0); else new ones bound to every address of ``host``
    (``core/listen.py``)."""
    adopted = _adopt(os.environ.pop(FDS_ENV, ""), port)
    return adopted or bind(host, port)


def hand_over(sockets: list[socket.socket]) -> None:
    """Before ``os.execv``: let the sockets survive it and name them for the program
    started again."""
    for sock in sockets:
        sock.set_inheritable(True)
    os.environ[FDS_ENV] = ",".join(str(sock.fileno()) for sock in sockets)


def _adopt(fds: str, port: int) -> list[socket.socket]:
    sockets = []
    for fd in filter(None, fds.split(",")):
        try:
            sock = socket.socket(fileno=int(fd))
        except (OSError, ValueError):
            continue  # not a socket (any more): bind anew
        sock.set_inheritable(False)
        sockets.append(sock)
    if port and any(sock.getsockname()[1] != port for sock in sockets):
        for sock in sockets:  # listening elsewhere: another --port this time
            sock.close()
        return []
    return sockets
