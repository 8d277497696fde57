"""Structured logs on stderr: one event a line, as key=value pairs or as JSON.

Our own events carry their fields in `extra={"fields": {...}}` (see `log_event`); lines from
Scrapy and the libraries get the same frame, with their message in `msg`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LOGGER_NAME = "tnmt"
FORMATS = ("kv", "json")


class LogFormatError(ValueError):
    """TNMT_LOG_FORMAT names no format we have."""


def log_event(logger: logging.Logger, message: str, level: int = logging.INFO, /,
              **fields: Any) -> None:
    """Log `message` with named fields (source=…, status=…) that stay separate in the output."""
    logger.log(level, message, extra={"fields": fields})


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return the record as ordered fields: time, level, logger, message, then its own."""
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
        **getattr(record, "fields", {}),
    }
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


def kv_value(value: Any) -> str:
    """Return a value as it appears after `key=`: bare when it is one plain word, else quoted."""
    text = "" if value is None else str(value)
    if text and not any(char in text for char in ' ="\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={kv_value(value)}" for key, value in event_fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(event_fields(record), ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time, so lines logged while rich shows live
    progress (which redirects sys.stderr) print above it instead of through it."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(fmt: str, level: str = "WARNING") -> None:
    """Send every log line to stderr in `fmt` ("kv" or "json"): libraries from `level` up,
    our own events (the "tnmt" loggers) from INFO up."""
    if fmt not in FORMATS:
        raise LogFormatError(f"TNMT_LOG_FORMAT: {fmt!r} is not one of {', '.join(FORMATS)}")
    threshold = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    # Filtered at the handler: Scrapy sets its own loggers' levels (DEBUG) when it starts.
    handler.addFilter(lambda record: record.levelno >= threshold or (
        record.name.startswith(LOGGER_NAME) and record.levelno >= logging.INFO))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.NOTSET)
