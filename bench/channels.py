"""Executor commands per second through each kind of channel, side by side: the
``recording`` channel (nothing leaves the process) and the generic HTTP channel
against a local aiohttp server (its own process) answering at once, and after a delay
(a provider's round trip).

The executor's own path runs for real (``actions.agent.handle_commands``: batches of
commands, 64 leads at once, each send paced, its intent stored, the channel called,
the outcome and history records built and serialised), with the broker left out: the
lead store is in memory and outputs are encoded, not produced. What is measured is the
executor and its channel; the whole pipeline's figure, broker included, is
``bench/e2e.py``'s.

    python bench/channels.py --commands 5000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web

from actions.agent import handle_commands
from actions.sending import Sender
from core.worker.wire import BATCH_EVENTS
from hookline.embedded.broker import free_port
from schemas.channels import GenericHttpSettings
from schemas.commands import ActionCommand
from schemas.config import Channel
from schemas.topics import COMMANDS, TopicSpec

ACCOUNT = "acc_be7c4"


class MemoryLeads:
    """The lead store's interface, in memory."""

    def __init__(self) -> None:
        self.leads: dict[str, Any] = {}

    async def read(self, keys: Any) -> dict[tuple[int, str], Any]:
        return {(p, key): self.leads[key] for p, key in keys if key in self.leads}

    async def put(self, partition: int, key: str, value: Any) -> None:
        self.leads[key] = value

    async def stage_many(self, writes: list[tuple[int, str, Any]]) -> Any:
        for _, key, value in writes:
            self.leads[key] = value
        return asyncio.sleep(0)


class EncodedOutputs:
    """Outputs encoded as they would be produced, then dropped."""

    def add(self, spec: TopicSpec, key: str, value: Any) -> None:
        spec.encode(value)

    async def acknowledged(self) -> None:
        pass


def services(session: aiohttp.ClientSession, channel: Channel | None) -> Any:
    state = SimpleNamespace(channel=lambda account_id: channel)
    return SimpleNamespace(
        leads=MemoryLeads(),
        outputs=EncodedOutputs,
        view=SimpleNamespace(state=state),
        http=session,
        commands_share=1.0,  # this process runs every partition's commands
    )


def events(count: int, run: str) -> list[Any]:
    out = []
    for n in range(count):
        command = ActionCommand(
            command_id=f"{run}-{n}",
            account_id=ACCOUNT,
            integration_id="int_be7c4",
            request_id=f"req-{n}",
            event_id="conversion_1",
            action_id="action_1",
            type="send_message",
            phone=f"+55119{n:08d}",
            lead_name="Ana",
            params={"text": f"Oi Ana, pedido {n}"},
        )
        message = SimpleNamespace(partition=n % COMMANDS.partitions, offset=n)
        out.append(SimpleNamespace(value=COMMANDS.encode([command]), message=message))
    return out


async def measure(label: str, channel: Channel | None, count: int) -> tuple[str, float]:
    async with aiohttp.ClientSession() as session:
        worker = services(session, channel)
        sender = Sender(give_up_seconds=30)
        batches = events(count, label)
        started = time.perf_counter()
        for i in range(0, count, BATCH_EVENTS):
            await handle_commands(worker, sender, batches[i : i + BATCH_EVENTS])
        elapsed = time.perf_counter() - started
    sent = sum(1 for lead in worker.leads.leads.values() if lead.outcomes)
    assert sent == count, f"{label}: {sent} of {count} commands settled"
    return label, count / elapsed


def serve(port: int, latency: float) -> None:
    """The provider stand-in (run in its own process, so its CPU is not the executor's)."""
    calls = 0

    async def answer(request: web.Request) -> web.Response:
        nonlocal calls
        await request.read()
        if latency:
            await asyncio.sleep(latency)
        calls += 1
        return web.json_response({"id": f"m-{calls}"})

    app = web.Application()
    app.router.add_post("/messages", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.asynccontextmanager
async def provider(latency: float) -> AsyncIterator[str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port), "--latency-ms", str(latency * 1000)
    )
    try:
        url = f"http://127.0.0.1:{port}/messages"
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.post(url, json={}) as response:
                        await response.read()
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def main(args: argparse.Namespace) -> None:
    results = [await measure("recording", None, args.commands)]
    for latency in (0.0, args.latency_ms / 1000):
        async with provider(latency) as url:
            settings = GenericHttpSettings(
                type="generic_http",
                url=url,
                # Pacing well above the load: the channel's cost is measured, not a limit.
                messages_per_second=10_000,
                recipient_gap_seconds=0,
            )
            channel = Channel(id=ACCOUNT, account_id=ACCOUNT, settings=settings)
            label = f"generic_http, local server answering after {latency * 1000:g} ms"
            results.append(await measure(label, channel, args.commands))
    width = max(len(label) for label, _ in results)
    print(f"executor, {args.commands} send_message commands (one lead each), in-process:")
    for label, rate in results:
        print(f"  {label:<{width}}  {rate:>8,.0f} commands/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve, arguments.latency_ms / 1000)
    else:
        asyncio.run(main(arguments))
