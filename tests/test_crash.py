"""Crash safety: `tnmt crawl` killed with SIGKILL mid-run, then run again; and two crawl
processes writing one SQLite file at once. Real child processes, a real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from test_spider import article_page, listing_page

from conftest import TNMT, run_tnmt
from crawler.mirror import MirrorServer

HOSTS = {"chet": range(1, 31)}  # source id → its article numbers


def build_sites(root: Path) -> tuple[Path, Path]:
    """Two throwaway sources whose articles each answer after 0.4 s (a crawl of some
    seconds, to kill in the middle)."""
    sites, sources = root / "sites", root / "sources"
    sources.mkdir()
    for source_id, numbers in HOSTS.items():
        host = f"{source_id}.thu.gov.vn"
        folder = sites / host
        (folder / "tin").mkdir(parents=True)
        (folder / "robots.txt").write_text("User-agent: *\nDisallow:\n")
        (folder / "index.html").write_text(
            listing_page([f"/tin/bai-{number}.html" for number in numbers]), encoding="utf-8")
        for number in numbers:
            page = folder / "tin" / f"bai-{number}.html"
            page.write_text(article_page(number), encoding="utf-8")
            page.with_name(page.name + ".delay").write_text("0.4")
        (sources / f"{source_id}.toml").write_text(
            f'id = "{source_id}"\nname = "Nguồn {source_id}"\nprovince = "Hà Tĩnh"\n'
            f'kind = "department"\nhomepage = "https://{host}/"\n[discovery]\n'
            f'start_urls = ["https://{host}/"]\n'
            f"article_pattern = '^https://{host}/tin/bai-[0-9]+\\.html$'\n", encoding="utf-8")
    return sites, sources


def crawl_command(sources: Path, db: Path, address: str, *source_ids: str) -> list[str]:
    return [*TNMT, "crawl", *source_ids, "--sources", str(sources), "--no-builtin",
            "--db", f"sqlite:///{db}", "--mirror", address,
            "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]


def rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(query).fetchall()


def stored_count(db: Path) -> int:
    """How many articles the crawl has committed so far (0 before its tables exist)."""
    try:
        return rows(db, "SELECT count(*) FROM articles")[0][0] if db.exists() else 0
    except sqlite3.OperationalError:
        return 0


ARTICLES = "SELECT id, url, title, body, content_hash FROM articles ORDER BY id"


def test_a_killed_crawl_loses_nothing_and_is_recorded(
        tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    sites, sources = build_sites(tmp_path)
    db = tmp_path / "tnmt.db"
    with MirrorServer(sites) as server:
        child = subprocess.Popen(crawl_command(sources, db, server.address, "chet"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "COLUMNS": "200"})
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if stored_count(db) >= 4:
                break
            time.sleep(0.05)
        assert child.poll() is None, "the crawl ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        before = rows(db, ARTICLES)
        assert 4 <= len(before) < len(HOSTS["chet"])
        for page in sites.rglob("*.delay"):
            page.unlink()
        again = run_tnmt(*crawl_command(sources, db, server.address, "chet")[3:])
    assert again.returncode == 0, again.stderr
    after = rows(db, ARTICLES)
    lost = [row for row in before if row not in after]
    record_property("articles_before_kill", len(before))
    record_property("articles_lost", len(lost))
    assert lost == []  # every article committed before the kill, byte for byte
    urls = [row[1] for row in after]
    assert len(urls) == len(set(urls)) == len(HOSTS["chet"])  # none twice, none missing
    assert len({row[4] for row in after}) == len(after)
    statuses = [status for (status,) in rows(db, "SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["interrupted", "ok"]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_two_crawls_write_one_sqlite_file_at_once(tmp_path: Path) -> None:
    """Both crawl the same source on a new file: the schema, the runs and the articles are
    all written by two processes at once (different sources contend for less)."""
    sites, sources = build_sites(tmp_path)
    for page in sites.rglob("*.delay"):
        page.write_text("0.05")
    db = tmp_path / "tnmt.db"
    with MirrorServer(sites) as server:
        children = [subprocess.Popen(crawl_command(sources, db, server.address, source_id),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for source_id in ("chet", "chet")]
        outputs = [child.communicate(timeout=180) for child in children]
    for child, (stdout, stderr) in zip(children, outputs, strict=True):
        assert child.returncode == 0, stdout + stderr
        assert "locked" not in stdout + stderr
    urls = [row[1] for row in rows(db, ARTICLES)]
    assert len(urls) == len(set(urls)) == len(HOSTS["chet"])
    statuses = {status for (status,) in rows(db, "SELECT status FROM crawl_runs")}
    assert statuses == {"ok"}  # a run marked interrupted by the other wrote its own outcome
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
