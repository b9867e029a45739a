"""``python -m hookline.presets``: the README's platforms table, from the registry.

A test checks that README.md holds exactly this table, so the README cannot drift from the
presets.
"""

from __future__ import annotations

from hookline.presets import Preset, all_presets
from schemas.mapping import HeaderSource, QuerySource, Source


def _source(source: Source) -> str:
    if isinstance(source, HeaderSource):
        return f"header `{source.header}`"
    if isinstance(source, QuerySource):
        return f"query `{source.query}`"
    return f"`{source}`".replace("|", "\\|")  # GFM: a pipe in a table cell is escaped


def _row(preset: Preset) -> str:
    mapping = "yes" if preset.mapping is not None else "no (suggested from payloads)"
    documented = "yes" if preset.documented else "**no**: auto-detection"
    cells = (
        f"`{preset.id}`",
        preset.display_name,
        documented,
        preset.signature_scheme,
        _source(preset.event),
        mapping,
        str(len(preset.events)),
    )
    return "| " + " | ".join(cells) + " |"


def presets_table() -> str:
    header = (
        "| id | platform | payload documented | signature | event from | default mapping "
        "| events |\n|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *(_row(preset) for preset in all_presets())])


if __name__ == "__main__":
    print(presets_table())
