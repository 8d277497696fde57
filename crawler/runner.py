"""Runs one crawl in a child process (`python -m crawler crawl SOURCE …`) and records how it
ended when the child could not: timed out or stopped by a shutdown.

A child process per crawl gives every run a fresh Twisted reactor and hands its memory back
to the system when it exits. The child records its own run (crawl_runs); this module only
adds what the child cannot know.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from crawler.logs import LOGGER_NAME, log_event
from crawler.storage import Store, now_utc

logger = logging.getLogger(f"{LOGGER_NAME}.runner")


@dataclass(frozen=True)
class CrawlCommand:
    """How to start `tnmt crawl` for one source: the options every child gets."""

    db_url: str
    source_dirs: Sequence[str] = ()
    builtin: bool = True  # the shipped registry too
    mirror: str = ""
    overrides: Sequence[str] = ()  # NAME=VALUE

    def argv(self, source_id: str) -> list[str]:
        argv = [sys.executable, "-m", "crawler", "crawl", source_id, "--db", self.db_url]
        for directory in self.source_dirs:
            argv += ["--sources", directory]
        if not self.builtin:
            argv.append("--no-builtin")
        if self.mirror:
            argv += ["--mirror", self.mirror]
        for override in self.overrides:
            argv += ["--set", override]
        return argv


@dataclass(frozen=True)
class ChildResult:
    """How a crawl child ended and which crawl_runs rows it left."""

    source_id: str
    outcome: str  # "finished", "timed_out", "interrupted", or "skipped" (shutting down)
    returncode: int | None
    run_ids: tuple[int, ...]


class ChildRunner:
    """Starts crawl children, stops them past their time limit or on shutdown."""

    def __init__(self, store: Store, command: CrawlCommand, time_limit: float,
                 stop_timeout: float):
        self.store = store
        self.command = command
        self.time_limit = time_limit
        self.stop_timeout = stop_timeout
        self._children: dict[str, subprocess.Popen[str]] = {}
        self._interrupted: set[str] = set()
        self._lock = threading.Lock()
        self._closing = False

    def run(self, source_id: str) -> ChildResult:
        """Crawl `source_id` in a child process and wait for it (at most the time limit)."""
        started = now_utc()
        with self._lock:
            if self._closing:
                return ChildResult(source_id, "skipped", None, ())
            child = subprocess.Popen(self.command.argv(source_id), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
            self._children[source_id] = child
        log_event(logger, "crawl started", source=source_id, pid=child.pid)
        errors = forward_lines(child.stderr)
        outcome = "finished"
        try:
            child.wait(timeout=self.time_limit)
        except subprocess.TimeoutExpired:
            outcome = "timed_out"
            self._stop(child)
        with self._lock:
            del self._children[source_id]
            if source_id in self._interrupted:
                self._interrupted.discard(source_id)
                outcome = "interrupted"
        errors.join()
        run_ids = self._record(source_id, started, outcome, child.returncode, errors.last)
        return ChildResult(source_id, outcome, child.returncode, run_ids)

    def _record(self, source_id: str, started: datetime, outcome: str, returncode: int | None,
                last_error: str) -> tuple[int, ...]:
        """Return the child's runs, first giving them the end the child could not record."""
        run_ids = tuple(run.id for run in self.store.runs(limit=100, source_ids=[source_id],
                                                          since=started))
        if outcome == "finished" and (run_ids or returncode == 0):
            return run_ids
        status = "failed" if outcome == "finished" else outcome
        if not run_ids:  # the child died before its crawl began
            run_ids = (self.store.start_run(source_id, started),)
        message = {"timed_out": f"stopped after the time limit of {self.time_limit:g} s",
                   "interrupted": "stopped: the daemon was shutting down",
                   "failed": last_error or f"crawl exited with status {returncode}"}[status]
        self.store.mark_runs(run_ids, status, message)
        return run_ids

    def _stop(self, child: subprocess.Popen[str]) -> None:
        """Ask the child to stop (SIGTERM: Scrapy closes the spider); kill it if it lingers."""
        child.terminate()
        try:
            child.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._children)

    def stop_all(self, grace: float) -> None:
        """Start no more children; give the running ones `grace` seconds, then stop them."""
        with self._lock:
            self._closing = True
        deadline = time.monotonic() + grace
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        with self._lock:
            lingering = dict(self._children)
            self._interrupted.update(lingering)
        for source_id, child in lingering.items():
            log_event(logger, "stopping crawl", source=source_id, pid=child.pid)
            self._stop(child)


class ErrorLines(threading.Thread):
    """Copies a child's stderr to ours as it comes, keeping its last `error: …` line."""

    def __init__(self, stream: IO[str]):
        super().__init__(daemon=True)
        self.stream = stream
        self.last = ""

    def run(self) -> None:
        for line in self.stream:
            sys.stderr.write(line)
            if line.startswith("error: "):
                self.last = line.removeprefix("error: ").strip()


def forward_lines(stream: IO[str] | None) -> ErrorLines:
    """Start copying `stream` to stderr in the background; return the copier."""
    assert stream is not None
    copier = ErrorLines(stream)
    copier.start()
    return copier
