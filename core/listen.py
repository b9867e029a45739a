"""The HTTP servers' listening sockets: bound by hookline rather than by aiohttp, so that
stopping never resets a connection.

Why: the kernel completes a client's connection and queues it before the server accepts
it. Closing a listening socket resets every connection still in that queue, and a
platform that connected in that instant sees "connection reset by peer" on a request
the server never read. It retries, so nothing is lost, but every rolling restart costs a
few such errors, and a platform counting failures may disable the webhook.

:func:`refuse_new_connections` closes that window: from then on the kernel drops new
connection requests (SYN), the server accepts and answers what was queued already or
was being connected, and only then is the socket closed. A client whose SYN was
dropped sends it again about a second later and is refused (the socket is gone): a
clean error it retries, never a request cut off. ``stop_serving`` in
``hookline/server.py`` does it in that order."""

from __future__ import annotations

import ctypes
import logging
import socket
import struct
import sys

log = logging.getLogger(__name__)

#: Connections the kernel queues while no server accepts (capped by
#: net.core.somaxconn): ``hookline dev``'s recycle lasts seconds at a few hundred
#: webhooks a second (``hookline/embedded/listener.py``).
BACKLOG = 4096

#: ``SO_ATTACH_FILTER`` (Linux, ``asm-generic/socket.h``; the socket module names no
#: constant for it).
_SO_ATTACH_FILTER = 26
#: A classic BPF program that drops a connection's opening SYN and keeps every other
#: packet, as ``struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}`` in order. The kernel
#: runs a listening socket's filter with the packet's TCP header first, on SYNs and on
#: the ACKs that complete handshakes; a connection accepted later inherits the filter.
#: Dropping everything would also drop the ACK of a handshake under way, and its client,
#: believing itself connected, would send its request down a connection that the close
#: then resets: 1 drain test run in 32 failed so; with SYNs alone, none in 30.
_DROP_SYNS = b"".join(
    struct.pack("HBBI", code, jt, jf, k)
    for code, jt, jf, k in (
        (0x30, 0, 0, 13),  # BPF_LD | BPF_B | BPF_ABS: A = the TCP header's flags byte
        (0x54, 0, 0, 0x12),  # BPF_ALU | BPF_AND | BPF_K: A &= SYN | ACK
        (0x15, 0, 1, 0x02),  # BPF_JMP | BPF_JEQ | BPF_K: a SYN without ACK? else skip one
        (0x06, 0, 0, 0),  # BPF_RET | BPF_K: keep 0 bytes, i.e. drop it
        (0x06, 0, 0, 0xFFFFFFFF),  # BPF_RET | BPF_K: keep the whole packet
    )
)


def bind(host: str, port: int) -> list[socket.socket]:
    """Non-blocking sockets listening on every address of ``host``, as aiohttp's TCPSite
    binds them (``loop.create_server``: one per address family)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # As asyncio does: each address family gets its own socket.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def refuse_new_connections(sockets: list[socket.socket]) -> bool:
    """Make the kernel drop every new connection request to ``sockets`` (a socket filter
    on SYNs, :data:`_DROP_SYNS`), while the connections it queued already, and those
    whose handshake is under way, stay for the server to accept. True if done; False
    where the system has no such filter (not Linux), where closing resets the queue as
    before.

    Stays until the socket is closed: call it only on a socket about to close, never on
    one handed over to a program started again (``hookline dev``'s recycle)."""
    if sys.platform != "linux":
        return False
    instructions = ctypes.create_string_buffer(_DROP_SYNS)
    # struct sock_fprog {unsigned short len; struct sock_filter *filter;}: the kernel
    # copies the program during the call, so the buffer need not outlive it.
    program = struct.pack("HP", len(_DROP_SYNS) // 8, ctypes.addressof(instructions))
    try:
        for sock in sockets:
            sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, program)
    except OSError as exc:
        log.warning("could not stop new connections before closing", extra={"error": str(exc)})
        return False
    return True
