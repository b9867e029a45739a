"""The ``hookline`` command. Subcommands live in their own modules and are
imported only when used, so ``hookline preview`` never loads faust or Kafka."""

from __future__ import annotations

import importlib

import click

from hookline import __version__

#: name -> "module:attribute" of a click command.
SUBCOMMANDS: dict[str, str] = {
    "api": "hookline.commands:api",
    "dev": "hookline.commands:dev",
    "gateway": "hookline.commands:gateway",
    "preview": "hookline.preview:preview",
    "sink": "hookline.commands:sink",
    "topics": "hookline.commands:topics",
    "worker": "hookline.worker:worker",
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
def main() -> None:
    """hookline: receive any platform's webhooks and turn them into lead actions."""


if __name__ == "__main__":
    main()
