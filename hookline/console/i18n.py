"""The console's languages: pt-BR first (the labels account owners know), English
selectable. Templates write the pt-BR text; :data:`EN` translates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEFAULT_LANG = "pt-BR"
LANGS = {"pt-BR": "Português", "en": "English"}

EN: dict[str, str] = {}


def translator(lang: str) -> Callable[..., str]:
    table = EN if lang == "en" else {}

    def t(text: str, **values: Any) -> str:
        out = table.get(text, text)
        return out.format(**values) if values else out

    return t
