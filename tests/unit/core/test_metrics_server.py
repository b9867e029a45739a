"""/metrics of the processes with no HTTP server (HOOKLINE_METRICS_PORT: workers, the
sink): served, or logged when its port is taken, never fatal."""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest

from core.metrics import serve_metrics
from hookline.embedded.broker import free_port


async def test_the_metrics_are_served() -> None:
    port = free_port()
    runner = await serve_metrics("127.0.0.1", port)
    assert runner is not None
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                text = await response.text()
        assert "hookline_webhooks_processed_total" in text
        assert "hookline_worker_batch_seconds" in text
    finally:
        await runner.cleanup()


async def test_a_taken_port_is_logged_and_the_process_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.ERROR):
            assert await serve_metrics("127.0.0.1", port) is None
    assert "metrics not served" in caplog.text
