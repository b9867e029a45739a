"""Structured logs: one JSON object per line on stderr, for every library
(faust, aiokafka and aiohttp log through the stdlib too)."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from core.redact import is_credential_name, mask_log_text

#: What every record has; any other attribute came in a caller's ``extra``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}
_TRACEBACKS = logging.Formatter()


class Redact(logging.Filter):
    """No credential reaches a log line, whoever logged it: ``extra`` fields named like a
    credential are replaced, and the message, the other text fields, the exception text
    (aiohttp quotes a malformed request line, URL token included, in its traceback) and
    the stack are masked (:func:`core.redact.mask_log_text`).

    A handler filter, so it sees the records of every logger that reaches the handler,
    aiohttp's server loggers included; it rewrites the record in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # JSON fields (python-json-logger): a masked copy
            record.msg = _masked(record.msg)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a bad format call: the handler reports it, not the caller
                return True
            record.msg, record.args = mask_log_text(message), None
        if record.exc_info:
            # Formatted here, once, so the text can be masked; formatters print exc_text.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info)
        extra = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}
        vars(record).update(_masked(extra))
        return True


def _masked(fields: dict[Any, Any]) -> dict[Any, Any]:
    """A copy of ``fields`` with credential-named ones replaced and text values masked."""
    return {
        key: "[redacted]"
        if is_credential_name(str(key))
        else mask_log_text(value)
        if isinstance(value, str)
        else value
        for key, value in fields.items()
    }


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A dictConfig; faust's worker takes it as is (``logging_config=``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "core.logs.Redact"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "{asctime}{levelname}{name}{message}",
                "style": "{",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["redact"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            # Per-request lines come from our middleware, with the request id.
            "aiohttp.access": {"level": "WARNING"},
            "aiokafka": {"level": "WARNING"},
        },
    }


def setup_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))
