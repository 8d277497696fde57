"""Structured log lines: one event a line, key=value or JSON, fields kept apart."""

from __future__ import annotations

import json
import logging

import pytest

from crawler.logs import LogFormatError, configure_logging, kv_value, log_event


@pytest.fixture
def restore_root_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_values_are_bare_words_or_quoted() -> None:
    assert kv_value("ok") == "ok"
    assert kv_value(12) == "12"
    assert kv_value("HTTP 500 at https://x.vn/a") == '"HTTP 500 at https://x.vn/a"'
    assert kv_value('say "a=b"') == '"say \\"a=b\\""'
    assert kv_value("") == '""' and kv_value(None) == '""'


@pytest.mark.usefixtures("restore_root_logging")
@pytest.mark.parametrize("fmt", ["kv", "json"])
def test_our_events_and_library_warnings_pass_library_info_does_not(
        fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(fmt, "WARNING")
    log_event(logging.getLogger("tnmt.test"), "crawl finished", source="monre", new=3,
              message="Sở Tài nguyên")
    logging.getLogger("scrapy.core").info("noise")
    logging.getLogger("scrapy.core").warning("HTTP 500 at https://x.vn/")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    if fmt == "json":
        event, warning = (json.loads(line) for line in lines)
        assert (event["msg"], event["source"], event["new"], event["message"]) == (
            "crawl finished", "monre", 3, "Sở Tài nguyên")
        assert (warning["level"], warning["logger"]) == ("warning", "scrapy.core")
    else:
        assert lines[0].endswith('logger=tnmt.test msg="crawl finished" source=monre new=3 '
                                 'message="Sở Tài nguyên"')
        assert 'level=warning logger=scrapy.core msg="HTTP 500 at https://x.vn/"' in lines[1]


def test_an_unknown_format_is_refused_by_name() -> None:
    with pytest.raises(LogFormatError, match="TNMT_LOG_FORMAT: 'xml' is not one of kv, json"):
        configure_logging("xml")
