"""Structured logs: one JSON object per line on stderr, for every library
(faust, aiokafka and aiohttp log through the stdlib too)."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

#: Never printed, whatever a caller passes in ``extra``.
REDACTED_KEYS = ("secret", "token", "api_key", "authorization", "password")


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key in list(record.__dict__):
            if any(word in key.lower() for word in REDACTED_KEYS):
                record.__dict__[key] = "[redacted]"
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A dictConfig; faust's worker takes it as is (``logging_config=``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "hookline.logs.Redact"}},
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
