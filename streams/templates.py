"""Action templates: ``{{name}}``, ``{{phone}}``, ``{{event}}``, ``{{fields.<name>}}``.

Deliberately tiny (no logic, no filters): values come from the mapped payload
and a missing value renders as an empty string."""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}")


def _lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def render(template: str, context: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: _text(_lookup(context, m.group(1))), template)
