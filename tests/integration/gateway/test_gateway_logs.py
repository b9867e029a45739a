"""No URL token in any log line: the ``hookline gateway`` command, with its own logging,
fed malformed request lines that carry a real integration's token (aiohttp logs them,
token included, in the traceback of its ``InvalidURLError``/``BadStatusLine``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys

import aiohttp
import pytest

from hookline.embedded.broker import free_port
from tests.integration.gateway.gateway_env import open_gateway

pytestmark = [pytest.mark.kafka]


def malformed(path: str) -> list[bytes]:
    """Request lines aiohttp refuses while parsing, each quoting ``path`` in its error."""
    target = path.encode()
    return [
        b"POST " + target + b"\x7f HTTP/1.1",  # InvalidURLError: invalid char in url path
        b"POST http://a:b" + target + b" HTTP/1.1",  # InvalidURLError: the whole URL
        b"POST " + target + b" HTTP/1.1 x",  # BadStatusLine: the whole line
    ]


async def test_malformed_request_lines_do_not_log_the_url_token(bootstrap: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "HOOKLINE_BOOTSTRAP_SERVERS": bootstrap,
        "HOOKLINE_EMBEDDED_BROKER": "true",  # the tests' broker is tansu
        "HOOKLINE_LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookline.cli", "gateway", "--host", "127.0.0.1", "--port", str(port),
        env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with open_gateway(bootstrap) as helper:
            hook = await helper.hook()
        async with aiohttp.ClientSession() as session, asyncio.timeout(60):
            while True:  # ready, and knows the new integration
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with session.get(f"http://127.0.0.1:{port}{hook.path}") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.2)
        for line in malformed(hook.path):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(line + b"\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.0 400")
            writer.close()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = stderr.decode()
    errors = [json.loads(line) for line in log.splitlines() if '"aiohttp.server"' in line]
    # Each refused line was logged, with its traceback, and the token masked in it.
    assert len(errors) == len(malformed(hook.path)), log[-3000:]
    assert all("/hooks/***" in error["exc_info"] for error in errors), errors
    assert hook.token not in log
