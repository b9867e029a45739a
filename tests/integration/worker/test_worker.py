"""The faust worker as a real process on the real broker: commands are applied
at most once, and lead state survives a worker restart (the lead table is
recovered from its changelog, ``hookline.leads``)."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from pathlib import Path

import pytest
from aiokafka.partitioner import DefaultPartitioner

from core.journal import FRONT_FILE, WORKER_FILE, Journal, load_key
from core.kafka import CompactedTopicReader, new_producer
from core.settings import Settings
from hookline.embedded.dev import start_worker as start_dev_worker
from hookline.embedded.dev import stop_process
from hookline.embedded.restore import restore
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from schemas.channels import GenericHttpSettings
from schemas.commands import ActionCommand, lead_key
from schemas.config import Channel
from schemas.history import CommandResult, MessageSent
from schemas.leads import CommandOutcome, LeadState, SendIntents
from schemas.topics import COMMANDS, CONFIG, HISTORY, LEADS, SENDS
from tests.provider import ProviderStandIn

pytestmark = [pytest.mark.kafka]
PHONE = "+5511988887777"


def start_worker(bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    """The worker as ``hookline dev`` starts it."""
    return start_dev_worker(Settings(bootstrap_servers=bootstrap), 0, log)


def _readies(log: Path) -> int:
    return log.read_text(errors="replace").count("[^Worker]: Ready")


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def wait_ready(worker: subprocess.Popen[bytes], log: Path, starts: int) -> None:
    """Until the worker has logged its ``starts``-th "Ready" (faust's, after recovery).
    The group's state says nothing here: tansu keeps a stopped member listed as
    Stable until its session times out."""
    async with asyncio.timeout(90):
        while _readies(log) < starts:
            assert worker.poll() is None, _tail(log)
            await asyncio.sleep(0.2)


def command(
    account: str, command_id: str, type_: str, phone: str = PHONE, **params: str
) -> ActionCommand:
    return ActionCommand(
        command_id=command_id,
        account_id=account,
        integration_id="int_1",
        request_id=f"r-{command_id}",
        event_id="conversion_1",
        action_id=f"action_{command_id}",
        type=type_,
        phone=phone,
        lead_name="Ana",
        params=params,
    )


class Observed:
    """Sends commands, and follows one account's lead states (by phone) and command
    results through the topics the worker writes."""

    def __init__(self, bootstrap: str, account: str) -> None:
        self.account = account
        self.leads: dict[str, LeadState] = {}
        self.results: list[CommandResult] = []
        self.messages: list[MessageSent] = []
        self._producer = new_producer(bootstrap)
        self._readers = [
            CompactedTopicReader(bootstrap, LEADS.name, self._on_lead),
            CompactedTopicReader(bootstrap, HISTORY.name, self._on_history),
        ]

    def _on_lead(self, key: bytes | None, value: bytes | None) -> None:
        if key and value and key.startswith(f"{self.account}:".encode()):
            lead = LEADS.decode(value)
            self.leads[lead.phone] = lead

    def _on_history(self, key: bytes | None, value: bytes | None) -> None:
        record = HISTORY.decode(value) if value else None
        if isinstance(record, CommandResult) and record.account_id == self.account:
            self.results.append(record)
        if isinstance(record, MessageSent) and record.account_id == self.account:
            self.messages.append(record)

    async def send(self, *commands: ActionCommand, older_form: bool = False) -> None:
        """Each command as a record of its own: a list of one, or (``older_form``) the
        single object the topic held before a record listed a webhook's commands."""
        for c in commands:
            value = COMMANDS.encode(c if older_form else [c])
            await self._producer.send_and_wait(COMMANDS.name, key=c.lead_key.encode(), value=value)

    async def until(self, condition, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.1)

    async def __aenter__(self) -> Observed:
        for service in (self._producer, *self._readers):
            await service.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for service in (self._producer, *self._readers):
            await service.stop()


async def test_commands_apply_once_and_state_survives_restart(
    bootstrap: str, tmp_path: Path
) -> None:
    account = f"acc_{secrets.token_hex(6)}"
    log = tmp_path / "worker.log"
    async with Observed(bootstrap, account) as seen:

        async def lead_version(version: int) -> LeadState:
            await seen.until(lambda: PHONE in seen.leads and seen.leads[PHONE].version >= version)
            return seen.leads[PHONE]

        worker = start_worker(bootstrap, log)
        try:
            await wait_ready(worker, log, starts=1)
            await seen.send(
                command(account, "c1", "add_tag", tag="lead-quente"),
                command(account, "c2", "update_field", field="plano", value="ouro"),
                command(account, "c1", "add_tag", tag="lead-quente"),
            )  # redelivered
            lead = await lead_version(2)
            assert lead.tags == ["lead-quente"] and lead.fields == {"plano": "ouro"}
            assert lead.name == "Ana"

            await asyncio.to_thread(stop_process, worker)
            worker = start_worker(bootstrap, log)
            await wait_ready(worker, log, starts=2)
            # After the restart: an old command redelivered again, and a new one.
            await seen.send(
                command(account, "c2", "update_field", field="plano", value="ouro"),
                command(account, "c3", "remove_tag", tag="lead-quente"),
            )
            lead = await lead_version(3)
            assert lead.tags == [] and lead.fields == {"plano": "ouro"}
            assert list(lead.outcomes) == ["c1", "c2", "c3"]
            await seen.until(lambda: len(seen.results) >= 7, timeout=15)
            statuses = [(r.command_id, r.status) for r in seen.results]
            assert ("c1", "duplicate") in statuses and ("c2", "duplicate") in statuses
            # A redelivery writes the command's result again, identical (it collapses
            # into the first in ClickHouse, or stands in for it if that one was lost).
            for command_id in ("c1", "c2", "c3"):
                applied = [r for r in seen.results if r.command_id == command_id]
                applied = [r for r in applied if r.status == "applied"]
                assert applied and all(r == applied[0] for r in applied), applied
        finally:
            await asyncio.to_thread(stop_process, worker)


async def test_commands_in_quick_succession_all_reach_the_lead(
    bootstrap: str, tmp_path: Path
) -> None:
    """Commands for one lead arriving milliseconds apart: each sees the state the
    previous one wrote (no lost update), whatever the timing of the changelog and
    whatever the form of their record (every other one in the older, single form)."""
    account = f"acc_{secrets.token_hex(6)}"
    count = 40
    log = tmp_path / "worker.log"
    async with Observed(bootstrap, account) as seen:
        worker = start_worker(bootstrap, log)
        try:
            await wait_ready(worker, log, starts=1)
            for i in range(count):
                older_form = i % 2 == 1
                await seen.send(
                    command(account, f"{i:x}", "add_tag", tag=f"t{i}"), older_form=older_form
                )
                await asyncio.sleep(0.02 * (i % 5))  # bursts and gaps around the fetch wait
            await seen.until(lambda: len(seen.results) >= count, timeout=60)
            assert [r.status for r in seen.results] == ["applied"] * count
            await seen.until(lambda: PHONE in seen.leads and seen.leads[PHONE].version >= count)
            lead = seen.leads[PHONE]
            assert sorted(lead.tags) == sorted(f"t{i}" for i in range(count))
            assert lead.version == count
        finally:
            await asyncio.to_thread(stop_process, worker)


def partition_of(key: str, partitions: int) -> int:
    """The partition the default partitioner gives ``key`` (where a producer puts it)."""
    return DefaultPartitioner()(key.encode(), list(range(partitions)), list(range(partitions)))


async def test_a_refilled_broker_gives_the_worker_every_lead_and_open_intent(
    bootstrap: str, tmp_path: Path
) -> None:
    """``hookline dev`` refills its empty broker from the journal in one go (normal,
    many-record batches); the worker must load every lead up to the high watermark
    (not stop at the start of a partition's last batch, as tansu's ListOffsets would).
    Sends journaled before the stop: one whose channel call had started is settled as
    unknown without calling the channel again (its intent on ``hookline.sends``, or
    in the lead as versions before it recorded it); one answered before the lead was
    stored takes that answer, also without a call; then the intents are deleted."""
    account = f"acc_{secrets.token_hex(6)}"
    phones = [f"+55119{n:08d}" for n in range(24)]
    key = load_key(tmp_path)
    front = Journal(tmp_path / FRONT_FILE, key).open_for_writing()
    state = Journal(tmp_path / WORKER_FILE, key).open_for_writing()
    legacy, started, answered = (
        command(account, c, "send_message", phone=phone, text="Oi")
        for c, phone in zip(("cafe", "beef", "f00d"), phones, strict=False)
    )
    answer = CommandOutcome(status="applied", channel="generic_http", provider_message_id="p.1")
    intents = {
        started.phone: SendIntents(sending=[started.command_id]),
        answered.phone: SendIntents(settled={answered.command_id: answer}),
    }
    async with ProviderStandIn() as provider:
        channel = Channel(
            id=account,
            account_id=account,
            settings=GenericHttpSettings(type="generic_http", url=provider.url),
        )
        await front.put_state(CONFIG.name, 0, channel.key, CONFIG.encode(channel))
        for phone in phones:
            lead = LeadState(account_id=account, phone=phone, tags=["restaurado"], version=1)
            if phone == legacy.phone:
                lead.sending = [legacy.command_id]
            lead_key = f"{account}:{phone}"
            partition = partition_of(lead_key, LEADS.partitions)
            await state.put_state(LEADS.name, partition, lead_key, LEADS.encode(lead))
        producer = new_producer(bootstrap)
        await producer.start()
        try:
            restored = await restore(front, [state], producer)
            # On Apache Kafka (this worker has no journal) intents are on their topic.
            for phone, intent in intents.items():
                lead_key = f"{account}:{phone}"
                await producer.send_and_wait(
                    SENDS.name,
                    key=lead_key.encode(),
                    value=SENDS.encode(intent),
                    partition=partition_of(lead_key, SENDS.partitions),
                )
        finally:
            await producer.stop()
            front.close()
            state.close()
        assert (restored.config, restored.state) == (1, len(phones))

        log = tmp_path / "worker.log"
        sends = (legacy, started, answered)
        async with Observed(bootstrap, account) as seen:
            worker = start_worker(bootstrap, log)
            try:
                await wait_ready(worker, log, starts=1)
                await seen.send(
                    *sends,
                    *(
                        command(account, f"{n:x}", "add_tag", phone=phone, tag="depois")
                        for n, phone in enumerate(phones)
                    ),
                )
                await seen.until(
                    lambda: (
                        sum("depois" in lead.tags for lead in seen.leads.values()) >= len(phones)
                    ),
                    timeout=60,
                )
                tags = {p: seen.leads[p].tags for p in phones}
                assert tags == {p: ["restaurado", "depois"] for p in phones}
                ids = {c.command_id for c in sends}
                await seen.until(lambda: ids <= {r.command_id for r in seen.results})
                status = {r.command_id: r.status for r in seen.results if r.command_id in ids}
                assert status == {"cafe": "unknown", "beef": "unknown", "f00d": "applied"}
                await seen.until(lambda: any(m.command_id == "f00d" for m in seen.messages))
                (message,) = [m for m in seen.messages if m.command_id == "f00d"]
                assert (message.status, message.provider_message_id) == ("sent", "p.1")
                assert provider.calls == [], "a send started or answered must never go again"
                assert seen.leads[legacy.phone].sending == []
                assert all(c.command_id in seen.leads[c.phone].outcomes for c in sends)
                # This account's intents as the topic ends (other tests write theirs).
                left: dict[str, bytes | None] = {}

                def on_intents(key: bytes | None, value: bytes | None) -> None:
                    if key is not None and key.startswith(f"{account}:".encode()):
                        left[key.decode()] = value

                reader = CompactedTopicReader(bootstrap, SENDS.name, on_intents)
                await reader.start()
                try:
                    await seen.until(lambda: len(left) == len(intents) and not any(left.values()))
                except TimeoutError:
                    pytest.fail(f"{SENDS.name} holds for this account: {left}")
                finally:
                    await reader.stop()
            finally:
                await asyncio.to_thread(stop_process, worker)


async def test_a_restore_after_a_crash_publishes_only_the_leads_clickhouse_lacks(
    bootstrap: str, clickhouse, tmp_path: Path
) -> None:
    """After a ``kill -9`` (no word that ClickHouse had every lead), the leads it holds
    at their journaled version or a later one are left out: a lead it lacks, or holds
    at an older version, is published; so is a deleted one (its tombstone)."""
    account = f"acc_{secrets.token_hex(6)}"
    store = HistoryStore(clickhouse)
    journal = Journal(tmp_path / WORKER_FILE, load_key(tmp_path)).open_for_writing()
    front = Journal(tmp_path / FRONT_FILE, load_key(tmp_path)).open_for_writing()
    # By phone: the journaled version, and the one ClickHouse holds (None: not there).
    leads = {
        "+5511900000001": (3, 3),  # stored as journaled: left out
        "+5511900000002": (3, 5),  # stored later than journaled (another worker's): out
        "+5511900000003": (4, 3),  # stored older: published
        "+5511900000004": (1, None),  # never stored (killed before producing): published
    }
    stored = []
    for phone, (journaled, in_clickhouse) in leads.items():
        key = lead_key(account, phone)
        # Fields holding the word "version" do not fool the reading of the version.
        lead = LeadState(
            account_id=account, phone=phone, fields={"version": "9"}, name='"version":8}'
        )
        await journal.put_state(
            LEADS.name,
            partition_of(key, LEADS.partitions),
            key,
            LEADS.encode(lead.model_copy(update={"version": journaled})),
        )
        if in_clickhouse is not None:
            stored.append(rows_for(lead.model_copy(update={"version": in_clickhouse}))[1])
    deleted = lead_key(account, "+5511900000005")
    await journal.put_state(LEADS.name, partition_of(deleted, LEADS.partitions), deleted, None)
    await store.write("leads", stored)
    versions = await store.lead_versions()
    assert {k: v for k, v in versions.items() if k.startswith(account)} == {
        lead_key(account, phone): held for phone, (_, held) in leads.items() if held is not None
    }
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        restored = await restore(front, [journal], producer, stored_leads=versions)
    finally:
        await producer.stop()
        front.close()
        journal.close()
    assert (restored.state, restored.stored_leads) == (3, 2)
