"""The producer's partition metadata, refreshed before a write once it may predate the
embedded broker's last restart.

The embedded broker (tansu, memory engine) acknowledges a write to a partition its topic
does not have, and never serves it. After it restarts empty, a topic comes back with its
declared partitions (``hookline topics``) or with 4, auto-created by the first client
that names it in a metadata request (a health probe, a reader) — whichever comes first.
A producer still holding the metadata from before partitions by the old count: a record
keyed to partition 5 of a topic that now has 4 gets acks=all and an offset, the gateway
answers 200, and no reader ever sees it. Apache Kafka refuses such a write
(UNKNOWN_TOPIC_OR_PARTITION, asked again until the gateway's 503) and never shrinks a
topic: this is the embedded profile's guard only.

A producer holds metadata from before a restart only if it lost the broker: its
connection broke, and the metadata refresh aiokafka then attempts failed, the broker
being down. aiokafka does not try again once the broker is back (its connection simply
succeeds; the next periodic refresh is ``metadata_max_age_ms``, 5 min, away). Metadata
whose last refresh failed is refreshed before the write.
"""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError


def last_refresh_failed(producer: AIOKafkaProducer) -> bool:
    cluster = producer.client.cluster
    # aiokafka's ClusterMetadata (from kafka-python) stamps every metadata attempt and
    # the last one that succeeded: a later attempt failed. No public accessor says so.
    return cluster._last_refresh_ms > cluster._last_successful_refresh_ms


async def refresh_if_stale(producer: AIOKafkaProducer) -> None:
    """Refresh the producer's metadata if its last refresh failed; raise if this one
    fails too (the write would be partitioned by a count the broker may not have)."""
    if last_refresh_failed(producer) and not await producer.client.force_metadata_update():
        raise KafkaConnectionError("metadata refresh failed (partitions may be stale)")
