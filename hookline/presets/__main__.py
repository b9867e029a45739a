"""``python -m hookline.presets``: the README's platforms table, from the registry.

A test checks that README.md holds exactly this table, so the README cannot drift from the
presets.
"""

from __future__ import annotations

from hookline.presets import Preset, all_presets
from ingest.signing import platform_scheme
from ingest.verify import NO_SCHEME
from schemas.mapping import HeaderSource, QuerySource, Source


def _source(source: Source) -> str:
    if isinstance(source, HeaderSource):
        return f"header `{source.header}`"
    if isinstance(source, QuerySource):
        return f"query `{source.query}`"
    return f"`{source}`".replace("|", "\\|")  # GFM: a pipe in a table cell is escaped


def _signature(preset: Preset) -> str:
    """What checks the webhooks once a secret is set (the gateway's own rule)."""
    scheme = platform_scheme(preset.id)
    if preset.signature_scheme != NO_SCHEME:
        return scheme
    if scheme == "hmac":
        return "hmac (header, algorithm, encoding configurable)"
    return f"{scheme} (the platform signs nothing)"


def _row(preset: Preset) -> str:
    mapping = "yes" if preset.mapping is not None else "no (suggested from payloads)"
    documented = "yes" if preset.documented else "**no**: auto-detection"
    cells = (
        f"`{preset.id}`",
        preset.display_name,
        documented,
        _signature(preset),
        _source(preset.event),
        mapping,
        str(len(preset.events)),
    )
    return "| " + " | ".join(cells) + " |"


def presets_table() -> str:
    header = (
        "| id | platform | payload documented | secret checked with | event from | default mapping "
        "| events |\n|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *(_row(preset) for preset in all_presets())])


if __name__ == "__main__":
    print(presets_table())
