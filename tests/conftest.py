"""Shared fixtures: the offline mirror on 127.0.0.1 and one real crawl of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from receivers import SmtpReceiver
from sqlalchemy import text

from crawler.cli import mirror_sources
from crawler.mirror import SITES_DIR, MirrorServer, resolve
from crawler.registry import load_registry
from crawler.storage import Base, Store, open_engine

RESOURCES = Path(__file__).parent / "resources"
TNMT = [sys.executable, "-m", "crawler"]
T = TypeVar("T")
POSTGRES_URL = os.environ.get("TNMT_TEST_POSTGRES_URL", "")


def expected_articles() -> list[dict]:
    """Every expected article JSON under tests/resources/<source>/."""
    return [json.loads(path.read_text("utf-8")) | {"_file": str(path)}
            for path in sorted(RESOURCES.glob("*/*.json"))]


def run_tnmt(*args: str, env: dict[str, str] | None = None, check: bool = False,
             timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `tnmt ARGS` as a user would, in a child process; return what it printed."""
    result = subprocess.run([*TNMT, *args], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "COLUMNS": "200", **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"tnmt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def empty_store(backend: str, tmp_path: Path) -> Store:
    """An empty store on a SQLite file under `tmp_path`, or on PostgreSQL (emptied first)
    when `backend` is "postgresql"; skipped unless TNMT_TEST_POSTGRES_URL is set."""
    if backend == "sqlite":
        return Store(str(tmp_path / "tnmt.db"))
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need TNMT_TEST_POSTGRES_URL (.ci/run sets it)")
    reset_postgres(POSTGRES_URL)
    return Store(POSTGRES_URL)


def reset_postgres(url: str) -> None:
    """Drop our tables and the schema's revision from a PostgreSQL test database."""
    engine = open_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls in threads released together; return their results (raise the first
    error one of them raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # handed to the test below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def mirror_page(url: str) -> bytes:
    """The offline mirror's copy of `url`, read straight from the package data."""
    parts = urlsplit(url)
    reply = resolve(SITES_DIR, parts.hostname or "", parts.path, parts.query)
    assert reply.status == 200, f"{url} is not in the mirror"
    return reply.body


def addresses(article: dict) -> set[str]:
    """Every URL an article is known under: its own and its aliases."""
    return {article["url"], *article.get("aliases", [])}


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """An SMTP server on 127.0.0.1, not started: the test starts it when it wants."""
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def mirror() -> MirrorServer:
    with MirrorServer() as server:
        yield server


@dataclass
class Crawl:
    """A finished crawl of the whole mirror: its database and what the command printed."""

    db_url: str
    result: subprocess.CompletedProcess[str]

    def store(self) -> Store:
        return Store(self.db_url)


@pytest.fixture(scope="session")
def mirror_crawl(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """Crawl every mirrored source once through the real Scrapy engine into a SQLite file."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'tnmt.db'}"
    ids = [source.id for source in mirror_sources(load_registry())]
    result = run_tnmt("crawl", *ids, "--db", db_url, "--mirror", mirror.address, check=True)
    return Crawl(db_url, result)
