"""The console's languages: pt-BR first (the labels account owners know), English
selectable. Templates write the pt-BR text; ``translations.json`` holds, per language,
what differs from it (in pt-BR: the words the API and the workers use, such as
statuses and parameter names)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hookline.console.guide import EN as GUIDE_EN

DEFAULT_LANG = "pt-BR"
LANGS = {"pt-BR": "Português", "en": "English"}

_TABLES: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "translations.json").read_text(encoding="utf-8")
)
_TABLES["en"] = {**_TABLES["en"], **GUIDE_EN}


def translator(lang: str) -> Callable[..., str]:
    table = _TABLES.get(lang, _TABLES[DEFAULT_LANG])

    def t(text: str, **values: Any) -> str:
        out = table.get(text, text)
        return out.format(**values) if values else out

    return t
