"""``python -m platforms``: the README's platforms table, from the registry.

A test checks that README.md holds exactly this table, so the README cannot drift from the
platform units.
"""

from __future__ import annotations

from platforms import all_platforms
from platforms.unit import UNSIGNED, Platform
from schemas.mapping import HeaderSource, QuerySource, Source


def _source(source: Source) -> str:
    if isinstance(source, tuple):
        return " then ".join(_source(member) for member in source)
    if isinstance(source, HeaderSource):
        return f"header `{source.header}`"
    if isinstance(source, QuerySource):
        return f"query `{source.query}`"
    return f"`{source}`".replace("|", "\\|")  # GFM: a pipe in a table cell is escaped


def _signature(platform: Platform) -> str:
    """What checks the webhooks once a secret is set (the gateway's own rule)."""
    scheme = platform.scheme
    if platform.preset.signature_scheme != UNSIGNED:
        return scheme
    if scheme == "hmac":
        return "hmac (header, algorithm, encoding configurable)"
    return f"{scheme} (the platform signs nothing)"


def _row(platform: Platform) -> str:
    preset = platform.preset
    mapping = "yes" if preset.mapping is not None else "no (suggested from payloads)"
    documented = "yes" if preset.documented else "**no**: auto-detection"
    cells = (
        f"`{preset.id}`",
        preset.display_name,
        documented,
        _signature(platform),
        _source(preset.event),
        mapping,
        str(len(preset.events)),
    )
    return "| " + " | ".join(cells) + " |"


def platforms_table() -> str:
    header = (
        "| id | platform | payload documented | secret checked with | event from | default mapping "
        "| events |\n|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *(_row(platform) for platform in all_platforms())])


if __name__ == "__main__":
    print(platforms_table())
