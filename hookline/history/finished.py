"""Which webhooks this process's history sink has lately finished storing: the
webhook's row, a result for each of its commands and, if it failed, its dead letter
(what :meth:`HistoryStore.completed` asks ClickHouse).

``hookline dev``'s journal pruner (``hookline/embedded/pruner.py``) forgets those
without asking ClickHouse. Asking cost a query of a page's 2,000 request ids and their
6,000 command ids, escaped one character at a time by clickhouse-connect: about a tenth
of the front's CPU at 1,000 webhooks/s, and the ClickHouse thread the sink's inserts
wait for. Held in memory only: after a restart, or for a webhook whose rows came more
than ``keep_seconds`` ago, the pruner still asks ClickHouse.

Records ClickHouse reads itself (``HistoryStore.write_json``) are never decoded by the
sink: :meth:`RecentlyStored.note` reads the few fields noted here (msgspec skims a 5 KB
webhook record in about 5 µs; decoding it whole takes about 30)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from schemas.deadletter import DeadLetter
from schemas.history import CommandResult, WebhookHistory


class _WebhookNote(msgspec.Struct):
    """What is noted of a webhook record (the fields of WebhookHistory read here)."""

    request_id: str
    status: str
    command_ids: list[str] = []


class _CommandNote(msgspec.Struct):
    request_id: str
    command_id: str


_WEBHOOK = (WebhookHistory, _WebhookNote)
_COMMAND = (CommandResult, _CommandNote)
#: By the records' ``kind``: the kinds noted, and how their notes are read.
_NOTES = {
    model.model_fields["kind"].default: msgspec.json.Decoder(note)
    for model, note in (_WEBHOOK, _COMMAND)
}


class _Progress:
    """One webhook's rows stored so far."""

    __slots__ = ("command_ids", "dead", "failed", "results", "seen_at")

    def __init__(self, seen_at: float) -> None:
        self.seen_at = seen_at
        #: The webhook row's command ids; None until that row is stored.
        self.command_ids: frozenset[str] | None = None
        self.failed = False
        self.results: set[str] = set()
        self.dead = False

    @property
    def finished(self) -> bool:
        return (
            self.command_ids is not None
            and self.command_ids <= self.results
            and (not self.failed or self.dead)
        )


class RecentlyStored:
    """Notes by request id, told by the sink once a batch is stored, read and dropped
    by the pruner; dropped anyway ``keep_seconds`` after they were first taken."""

    def __init__(
        self, keep_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.keep_seconds = keep_seconds
        self._clock = clock
        #: By request id, in the order first seen (the oldest go first; an OrderedDict
        #: finds its first entry at once, however many were removed before it).
        self._progress: OrderedDict[str, _Progress] = OrderedDict()

    def __len__(self) -> int:
        return len(self._progress)

    def stored(self, records: Iterable[Any]) -> None:
        """Take note of records once they are stored (others are ignored)."""
        now = self._clock()
        for record in records:
            if isinstance(record, _WEBHOOK):
                progress = self._of(record.request_id, now)
                # The latest row wins, as ``webhooks FINAL`` does.
                progress.command_ids = frozenset(record.command_ids)
                progress.failed = record.status == "error"
            elif isinstance(record, _COMMAND):
                self._of(record.request_id, now).results.add(record.command_id)
            elif isinstance(record, DeadLetter):
                self._of(record.envelope.request_id, now).dead = True
        self._evict(now - self.keep_seconds)

    @staticmethod
    def note(kind: str, record: bytes) -> Any | None:
        """What :meth:`stored` needs of a record of this ``kind`` on hookline.history, read
        from its JSON; None when nothing is noted of that kind (or it does not parse)."""
        decoder = _NOTES.get(kind)
        if decoder is None:
            return None
        try:
            return decoder.decode(record)
        except msgspec.DecodeError:
            return None

    def finished(self, request_ids: Iterable[str]) -> set[str]:
        """Those of ``request_ids`` known finished."""
        progress = self._progress
        return {
            request_id
            for request_id in request_ids
            if (p := progress.get(request_id)) is not None and p.finished
        }

    def forget(self, request_ids: Iterable[str]) -> None:
        for request_id in request_ids:
            self._progress.pop(request_id, None)

    def _of(self, request_id: str, now: float) -> _Progress:
        progress = self._progress.get(request_id)
        if progress is None:
            progress = self._progress[request_id] = _Progress(now)
        return progress

    def _evict(self, before: float) -> None:
        progress = self._progress
        while progress:
            oldest = next(iter(progress.values()))
            if oldest.seen_at >= before:
                return
            progress.popitem(last=False)
