"""Liveness, readiness and consumer lag of an HTTP process (gateway, api, dev).

``/livez`` (and its older name ``/healthz``) checks nothing external: it answers
200 while the process's event loop runs. ``/readyz`` answers 503, with the reasons
by check, while any of these holds:

* ``config``: the config view has not caught up with ``hookline.config`` yet;
* ``broker``: the last probe of the broker failed or got no answer in time;
* ``worker``: the worker group (``hookline-worker``) has no live member, or is not
  ``Stable`` (a rebalance: nothing is consumed until partitions are assigned again);
  in ``hookline dev`` also while the supervised worker process is down, and after a
  restart until the new process has joined (members of a dead process are ignored);
* ``lag``: that group is more than ``HOOKLINE_READY_MAX_LAG`` records behind on
  ``hookline.webhooks`` or on ``hookline.commands``;
* ``health``: no probe has completed for a while (the probe itself is stuck);
* ``draining``: the process is stopping (``DRAINING`` in ``core/http.py``), serving on
  only so that a load balancer moves its traffic elsewhere first.

The broker is probed off the request path: :class:`HealthMonitor` runs a background
task that refreshes one cached :class:`Probe` every ``HOOKLINE_HEALTH_INTERVAL_SECONDS``
and sets the lag gauges; the handlers only read it. :func:`readiness` is the decision,
a pure function of that probe and the process's own state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaConnectionError, LeaderNotAvailableError, for_code
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.protocol.offset import OffsetRequest

from core import metrics
from core.http import DRAINING
from core.settings import Settings
from hookline.history.sink import GROUP as SINK_GROUP
from schemas.topics import COMMANDS, CONFIG, DEADLETTER, HISTORY, LEADS, WEBHOOKS

log = logging.getLogger(__name__)

WORKER_GROUP = "hookline-worker"
#: The consumer groups whose lag is exported, with the topics they consume.
LAG_TOPICS: dict[str, tuple[str, ...]] = {
    WORKER_GROUP: (WEBHOOKS.name, COMMANDS.name),
    SINK_GROUP: (HISTORY.name, CONFIG.name, LEADS.name, DEADLETTER.name),
}
#: A probe that has not answered by then counts as "broker unreachable".
PROBE_TIMEOUT_SECONDS = 3.0
#: Group states in which the listed members are not consuming.
_IDLE_STATES = frozenset({"Empty", "Dead"})
#: The one state in which partitions are assigned and consumed.
STABLE = "Stable"
_LATEST, _EARLIEST = -1, -2
#: The embedded broker answers a Fetch with no partitions when it may not wait at all.
_FETCH_WAIT_MS = 10

#: (group, topic, partition) -> records behind.
Lag = Mapping[tuple[str, str, int], int]


@dataclass(frozen=True)
class Probe:
    """What one look at the broker found."""

    #: ``time.monotonic()`` when the probe started.
    at: float
    #: Why the broker could not be probed; None when it answered everything.
    error: str | None = None
    #: State of the worker group and its live members.
    group_state: str = ""
    members: frozenset[str] = frozenset()
    lag: Lag = field(default_factory=dict)
    #: ``hookline dev``: the pids of the worker processes these members belong to.
    worker_pids: tuple[int, ...] | None = None


def lag_by_topic(lag: Lag) -> dict[str, dict[str, int]]:
    """group -> topic -> records behind, summed over partitions."""
    totals: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (group, topic, _partition), behind in lag.items():
        totals[group][topic] += behind
    return {group: dict(topics) for group, topics in totals.items()}


def readiness(
    probe: Probe | None,
    *,
    now: float,
    config_loaded: bool,
    max_lag: int,
    stale_after: float,
    supervised: bool = False,
    worker_pids: tuple[int, ...] | None = None,
) -> dict[str, str]:
    """Why the process is not ready, by check (empty: ready). ``supervised``: this
    process runs the workers (``hookline dev``), whose pids are ``worker_pids`` (None
    while one of them is down)."""
    reasons: dict[str, str] = {}
    if not config_loaded:
        reasons["config"] = "config not loaded yet"
    if probe is None:
        reasons["health"] = "broker not probed yet"
    elif now - probe.at > stale_after:
        reasons["health"] = f"no broker probe for {now - probe.at:.0f} s"
    elif probe.error is not None:
        reasons["broker"] = f"broker unreachable: {probe.error}"
    else:
        if not probe.members:
            reasons["worker"] = f"no live member in consumer group {WORKER_GROUP}"
        elif probe.group_state != STABLE:
            reasons["worker"] = f"consumer group {WORKER_GROUP} is {probe.group_state}"
        behind = lag_by_topic(probe.lag).get(WORKER_GROUP, {})
        lagging = {topic: n for topic, n in sorted(behind.items()) if n > max_lag}
        if lagging:
            reasons["lag"] = f"{WORKER_GROUP} more than {max_lag} records behind: " + ", ".join(
                f"{topic} {n}" for topic, n in lagging.items()
            )
    if supervised and worker_pids is None:
        reasons["worker"] = "a worker process is not running (being restarted)"
    elif supervised and probe is not None and probe.worker_pids != worker_pids:
        reasons["worker"] = "a worker process restarted, not in its consumer group yet"
    return reasons


class HealthMonitor:
    """The background probe of one HTTP process and its cached result.

    ``worker_pids`` (``hookline dev`` only) returns the supervised workers' pids while
    they all run and None while one is down."""

    def __init__(
        self,
        settings: Settings,
        config_loaded: Callable[[], bool],
        worker_pids: Callable[[], tuple[int, ...] | None] | None = None,
    ) -> None:
        self.settings = settings
        self.probe: Probe | None = None
        self._config_loaded = config_loaded
        self._worker_pids = worker_pids
        self._admin: AIOKafkaAdminClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._reasons: dict[str, str] | None = None
        # hookline dev: group members listed while an earlier worker process ran. The
        # embedded broker lists a dead member until its session times out.
        self._pids: tuple[int, ...] | None = None
        self._members: frozenset[str] = frozenset()
        self._stale: frozenset[str] = frozenset()

    @property
    def stale_after(self) -> float:
        return 4 * self.settings.health_interval_seconds + PROBE_TIMEOUT_SECONDS

    def reasons(self) -> dict[str, str]:
        return readiness(
            self.probe,
            now=time.monotonic(),
            config_loaded=self._config_loaded(),
            supervised=self._worker_pids is not None,
            worker_pids=self._worker_pids() if self._worker_pids is not None else None,
            max_lag=self.settings.ready_max_lag,
            stale_after=self.stale_after,
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="health-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._disconnect()

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # never let the probe die: /readyz would go stale
                log.exception("health probe failed")
            await asyncio.sleep(self.settings.health_interval_seconds)

    async def refresh(self) -> None:
        """Probe once, update the cache, the gauges, and log a readiness change."""
        pids = self._worker_pids() if self._worker_pids is not None else None
        probe = replace(await self._probe(), worker_pids=pids)
        # A worker process died or was replaced since: the members listed until now
        # may be its (the survivors' too: members cannot be told apart by process), so
        # readiness waits for a member not seen before.
        if pids != self._pids:
            self._stale |= self._members
            self._pids = pids
        if probe.error is None:
            self._members = probe.members
            self._stale &= probe.members
            probe = replace(probe, members=probe.members - self._stale)
            for (group, topic, partition), behind in probe.lag.items():
                metrics.CONSUMER_PARTITION_LAG.labels(group, topic, str(partition)).set(behind)
            for group, topics in lag_by_topic(probe.lag).items():
                for topic, behind in topics.items():
                    metrics.CONSUMER_LAG.labels(group, topic).set(behind)
        self.probe = probe
        reasons = self.reasons()
        metrics.READY.set(0 if reasons else 1)
        if reasons != self._reasons:
            if reasons:
                log.warning("not ready", extra={"reasons": reasons})
            elif self._reasons is not None:
                log.info("ready again")
            self._reasons = reasons

    async def _probe(self) -> Probe:
        started = time.monotonic()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                admin = await self._connect()
                state, members = await describe_group(admin, WORKER_GROUP)
                lag = await consumer_lag(admin, LAG_TOPICS)
        except Exception as exc:
            await self._disconnect()  # start afresh next time
            return Probe(at=started, error=_describe(exc))
        live = frozenset() if state in _IDLE_STATES else members
        return Probe(at=started, group_state=state, members=live, lag=lag)

    async def _connect(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.settings.bootstrap_servers,
                request_timeout_ms=int(PROBE_TIMEOUT_SECONDS * 1000),
            )
            try:
                await admin.start()
            except BaseException:
                await admin.close()
                raise
            admin._client.set_topics([t for topics in LAG_TOPICS.values() for t in topics])
            self._admin = admin
        return self._admin

    async def _disconnect(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()

    def status(self) -> tuple[bool, dict[str, Any]]:
        """(ready, /readyz body)."""
        reasons = self.reasons()
        lag = lag_by_topic(self.probe.lag) if self.probe is not None else {}
        return not reasons, {"ok": not reasons, "reasons": reasons, "lag": lag}


def _describe(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer in {PROBE_TIMEOUT_SECONDS:g} s"
    text, name = str(exc), type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


# -- Kafka requests ----------------------------------------------------------------------
async def describe_group(admin: AIOKafkaAdminClient, group: str) -> tuple[str, frozenset[str]]:
    """(state, member ids) of a consumer group."""
    (response,) = await admin.describe_consumer_groups([group])
    ((error_code, _group, state, _type, _protocol, members, *_),) = response.groups
    if error_code:
        raise for_code(error_code)(f"describing consumer group {group}")
    return state, frozenset(member[0] for member in members)


async def consumer_lag(admin: AIOKafkaAdminClient, groups: Mapping[str, Iterable[str]]) -> Lag:
    """Records each group has not committed, per partition of its topics: the log end
    minus the committed offset (minus the log start where the group has committed none)."""
    client: AIOKafkaClient = admin._client  # the admin client has no ListOffsets/Fetch
    if not await client.force_metadata_update():
        raise KafkaConnectionError("metadata request failed")
    by_group = {
        group: [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(client.cluster.partitions_for_topic(topic) or ())
        ]
        for group, topics in groups.items()
    }
    ends = await log_end_offsets(client, [tp for tps in by_group.values() for tp in tps])
    lag: dict[tuple[str, str, int], int] = {}
    for group, tps in by_group.items():
        if not tps:  # no partitions: the call would ask for every offset (BROKER.md)
            continue
        committed = await admin.list_consumer_group_offsets(group, partitions=tps)
        offsets = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
        missing = [tp for tp in tps if tp not in offsets]
        if missing:
            offsets |= await list_offsets(client, missing, _EARLIEST)
        for tp in tps:
            lag[(group, tp.topic, tp.partition)] = max(0, ends[tp] - offsets[tp])
    return lag


async def log_end_offsets(client: AIOKafkaClient, tps: list[TopicPartition]) -> dict[Any, int]:
    """The log end offset (high watermark) of each partition.

    ListOffsets(latest) is exact on Apache Kafka; the embedded broker answers the last
    batch's base offset + 1 (BROKER.md). A Fetch at that offset answers with the true
    high watermark on both, at the cost of the rest of that last batch on the embedded
    broker (nothing on Kafka, where the offset is the end)."""
    listed = await list_offsets(client, tps, _LATEST)
    watermarks = await high_watermarks(client, listed)
    return {tp: max(offset, watermarks.get(tp, offset)) for tp, offset in listed.items()}


async def _send_per_leader(
    client: AIOKafkaClient,
    tps: Iterable[TopicPartition],
    request: Callable[[list[tuple[str, list[TopicPartition]]]], Any],
) -> list[Any]:
    """``request(topics)`` sent to each partition leader, with its partitions by topic;
    the responses."""
    nodes: defaultdict[int, defaultdict[str, list]] = defaultdict(lambda: defaultdict(list))
    for tp in tps:
        leader = client.cluster.leader_for_partition(tp)
        if leader is None or leader < 0:
            raise LeaderNotAvailableError(f"no leader for {tp.topic}[{tp.partition}]")
        nodes[leader][tp.topic].append(tp)
    return await asyncio.gather(
        *(client.send(node, request(list(topics.items()))) for node, topics in nodes.items())
    )


async def list_offsets(
    client: AIOKafkaClient, tps: Iterable[TopicPartition], timestamp: int
) -> dict[Any, int]:
    """ListOffsets: the latest (-1) or earliest (-2) offset of each partition."""

    def request(topics: list[tuple[str, list[TopicPartition]]]) -> OffsetRequest:
        return OffsetRequest(
            -1, 0, [(t, [(tp.partition, timestamp) for tp in ps]) for t, ps in topics]
        )

    offsets: dict[Any, int] = {}
    for response in await _send_per_leader(client, tps, request):
        for topic, partitions in response.topics:
            for partition, error_code, *info in partitions:
                if error_code:
                    raise for_code(error_code)(f"listing offsets of {topic}[{partition}]")
                _timestamp, offsets[TopicPartition(topic, partition)] = info
    return offsets


async def high_watermarks(client: AIOKafkaClient, offsets: Mapping[Any, int]) -> dict[Any, int]:
    """The high watermark a Fetch at each given offset answers with (partitions that
    answer with an error are left out)."""

    def request(topics: list[tuple[str, list[TopicPartition]]]) -> FetchRequest:
        return FetchRequest(
            _FETCH_WAIT_MS,
            0,  # min_bytes: answer at once (Apache Kafka)
            1,  # max_bytes: at most one batch comes back
            0,  # read_uncommitted: the high watermark, as ListOffsets(latest)
            [(t, [(tp.partition, offsets[tp], 1) for tp in ps]) for t, ps in topics],
        )

    watermarks: dict[Any, int] = {}
    for response in await _send_per_leader(client, offsets, request):
        for topic, partitions in response.topics:
            for partition, error_code, highwater, *_ in partitions:
                if not error_code and highwater >= 0:
                    watermarks[TopicPartition(topic, partition)] = highwater
    return watermarks


# -- HTTP --------------------------------------------------------------------------------
HEALTH = web.AppKey("health", HealthMonitor)


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    ready, body = request.app[HEALTH].status()
    if request.app[DRAINING].is_set():  # stopping: a load balancer should look elsewhere
        body["reasons"]["draining"] = "shutting down: finishing requests, closing connections"
        ready = body["ok"] = False
    return web.json_response(body, status=200 if ready else 503)


def add_health_routes(app: web.Application, monitor: HealthMonitor) -> None:
    app[HEALTH] = monitor
    app.router.add_get("/livez", livez)
    app.router.add_get("/healthz", livez)
    app.router.add_get("/readyz", readyz)
