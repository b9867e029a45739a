"""``hookline topics``: create every topic (production; ``hookline dev`` creates them on its
embedded broker)."""

from __future__ import annotations

import asyncio

import click

from core.settings import Settings


@click.command()
def topics() -> None:
    """Create every hookline topic with its partitions and compaction."""
    from core.kafka import ensure_topics

    settings = Settings()
    asyncio.run(
        ensure_topics(
            settings.bootstrap_servers, replication_factor=settings.topic_replication_factor
        )
    )
    click.echo(f"topics ready on {settings.bootstrap_servers}")
