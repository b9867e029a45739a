"""The ``hookline`` command: every subcommand is defined in this package, one module
each (``serve`` holds the two HTTP servers, ``gateway`` and ``api``). A subcommand's
module is imported only when that subcommand is used, so ``hookline preview`` never
loads faust or Kafka. ``python -m hookline.cli`` runs the same command."""

from __future__ import annotations

import importlib
import sys

import click

from hookline import __version__

#: name -> "module:attribute" of a click command.
SUBCOMMANDS: dict[str, str] = {
    "account": "hookline.cli.account:account",
    "api": "hookline.cli.serve:api",
    "dev": "hookline.cli.dev:dev",
    "gateway": "hookline.cli.serve:gateway",
    "preview": "hookline.cli.preview:preview",
    "sink": "hookline.cli.sink:sink",
    "topics": "hookline.cli.topics:topics",
    "worker": "hookline.cli.worker:worker",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hookline")
def cli() -> None:
    """hookline: receive any platform's webhooks and turn them into lead actions."""


def _startup_failure(exc: Exception) -> str | None:
    """A one-line reason for failures a user can fix (settings, services), else None.
    Imports are local: only a failing start pays for them."""
    from aiokafka.errors import KafkaConnectionError
    from pydantic import ValidationError

    from hookline.embedded.broker import BrokerUnavailable
    from hookline.history.clickhouse import ClickHouseUnavailable

    if isinstance(exc, ValidationError) and exc.title == "Settings":
        problems = "; ".join(
            f"HOOKLINE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        return f"invalid settings: {problems}"
    if isinstance(exc, KafkaConnectionError):
        return f"cannot reach Kafka (HOOKLINE_BOOTSTRAP_SERVERS): {exc}"
    if isinstance(exc, BrokerUnavailable | ClickHouseUnavailable):
        return str(exc)
    return None


def main() -> None:
    try:
        cli()
    except Exception as exc:
        reason = _startup_failure(exc)
        if reason is None:
            raise
        click.echo(f"hookline: {reason}", err=True)
        sys.exit(1)
