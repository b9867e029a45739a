"""A process's live view of config: a :class:`ConfigState` fed by a reader of the
compacted config topic. Not ready until it has read up to the high watermark."""

from __future__ import annotations

import logging
import time

from pydantic import ValidationError

from core.config.state import ConfigState
from core.kafka import CompactedTopicReader
from schemas.topics import CONFIG

log = logging.getLogger(__name__)

#: Once the reader has been caught up this long after a moment, every config
#: record acknowledged before that moment has been applied. "Caught up" is stamped
#: with the time the Fetch was sent (core/kafka.py, ``stamp_fetch_answers_when_sent``),
#: and the broker read the high watermark it answered after that, so the margin covers
#: only clock skew between the gateway that stamped the webhook and this host (ms with
#: NTP; 2 s is wide and cheap). Past it, :meth:`wait_synced` needs no round trip (a
#: backlog); before it (every webhook read as it arrives), it asks the broker, once a
#: batch. (Stamped when the answer was handled, as aiokafka does, 0.5 s was once not
#: enough in CI: a stalled loop held a stale answer longer.)
SYNC_LAG_SECONDS = 2.0


class ConfigView:
    def __init__(self, bootstrap: str) -> None:
        self.state = ConfigState()
        self._reader = CompactedTopicReader(bootstrap, CONFIG.name, self._on_record)
        #: ``time.monotonic()`` when the last completed :meth:`wait_synced` asked the
        #: broker: a webhook read before then is covered by it.
        self._synced_from = float("-inf")
        #: Config records applied so far: a decision taken while it read ``n`` is stale
        #: once it reads more.
        self.changes = 0

    @property
    def ready(self) -> bool:
        return self._reader.ready

    def _on_record(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        try:
            record = None if value is None else CONFIG.decode(value)
        except ValidationError as exc:
            # A record this version cannot read must not stop the process; it is skipped loudly.
            log.error(
                "unreadable config record",
                extra={"config_key": key.decode(errors="replace"), "error": str(exc)},
            )
            return
        self.state.apply(key.decode(), record)
        self.changes += 1

    async def start(self, ready_timeout: float = 30.0) -> None:
        await self._reader.start(ready_timeout)

    async def wait_synced(self, moment: float, read_at: float, timeout: float = 5.0) -> None:
        """Make sure config written before ``moment`` (a webhook's receive time, from
        another process) is applied here. ``read_at``: this process's
        ``time.monotonic()`` when it had the webhook in hand.

        Nothing is asked when the reader has been caught up long since ``moment`` (a
        backlog), nor when a sync asked after ``read_at`` (for an earlier webhook of the
        same batch): the webhook was received before either. Otherwise one ListOffsets
        round trip, and a wait only for config written since the reader's last fetch.
        (Sleeping until the reader had been caught up SYNC_LAG_SECONDS after ``moment``
        held every fresh unmatched webhook, and the rest of its batch, half a second.)

        Whether anything changed is :attr:`changes`, compared by the caller: the reader
        applies records while the broker answers, so "nothing left to read" once it
        has answered does not mean "nothing new since the caller looked"."""
        if self._reader.caught_up_at >= moment + SYNC_LAG_SECONDS or self._synced_from >= read_at:
            return
        asked = time.monotonic()
        await self._reader.wait_read_to_end(timeout)
        self._synced_from = max(self._synced_from, asked)

    async def wait_applied(self, partition: int, offset: int, timeout: float = 10.0) -> None:
        await self._reader.wait_applied(partition, offset, timeout)

    async def stop(self) -> None:
        await self._reader.stop()
