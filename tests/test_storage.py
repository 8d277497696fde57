"""The Store on a real SQLite file: articles once, aliases kept, runs recorded."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import empty_store
from crawler.article import Article, content_hash
from crawler.dates import VN_TZ
from crawler.export import export_string
from crawler.registry import load_registry
from crawler.storage import SQLITE_WAL_AUTOCHECKPOINT_PAGES, RunCounts, StorageError, Store

PUBLISHED = datetime(2020, 1, 10, 21, 18, tzinfo=VN_TZ)


def make_article(url: str, body: str = "Ngày 10/01, Sở TN&MT Bình Dương tổ chức hội nghị.",
                 title: str = "Bình Dương: Triển khai nhiệm vụ ngành TN&MT năm 2020") -> Article:
    return Article(url=url, title=title, lead="(TN&MT) - Ngày 10/01.",
                   paragraphs=(body, "Đoạn thứ hai."), author="Tường Tú",
                   published_at=PUBLISHED, published_has_time=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on a SQLite file, and on PostgreSQL when TNMT_TEST_POSTGRES_URL is set."""
    store = empty_store(request.param, tmp_path)
    store.sync_sources([load_registry()["bonnmt"]])
    yield store
    store.close()


def add(store: Store, article: Article) -> int | None:
    return store.add_article(article, source_id="bonnmt", content_hash=content_hash(article),
                             run_id=None)


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    Store(str(tmp_path / "tnmt.db")).close()
    with sqlite3.connect(tmp_path / "tnmt.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_connections_checkpoint_the_wal_in_large_steps(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "tnmt.db"))
    try:
        with store.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    finally:
        store.close()
    assert pages == SQLITE_WAL_AUTOCHECKPOINT_PAGES > 1000  # SQLite's default: 1,000


def test_an_article_round_trips_with_its_time_zone(store: Store) -> None:
    article_id = add(store, make_article("https://mae.gov.vn/a-1.htm"))
    assert article_id is not None
    row = store.get_article(article_id)
    assert row is not None
    stored = row.to_article()
    assert stored == make_article("https://mae.gov.vn/a-1.htm")
    assert stored.published_iso() == "2020-01-10T21:18:00+07:00"
    assert row.first_seen_at.tzinfo is not None


def test_same_url_or_same_content_is_refused_without_error(store: Store) -> None:
    assert add(store, make_article("https://mae.gov.vn/a-1.htm")) is not None
    assert add(store, make_article("https://mae.gov.vn/a-1.htm", body="Khác hẳn.")) is None
    same_text_other_spacing = make_article(
        "https://mae.gov.vn/b-2.htm", body="Ngày 10/01,  Sở TN&MT Bình Dương TỔ CHỨC hội nghị.")
    assert add(store, same_text_other_spacing) is None
    assert store.count_articles() == 1


def test_aliases_lead_to_the_article(store: Store) -> None:
    article_id = add(store, make_article("https://mae.gov.vn/a-1.htm"))
    assert article_id is not None
    store.mark_seen(article_id, {"https://mae.gov.vn/a-1.htm", "https://mae.gov.vn/old/1"})
    assert store.article_id_for_url("https://mae.gov.vn/old/1") == article_id
    row = store.get_article(article_id)
    assert row is not None
    assert [alias.url for alias in row.aliases] == ["https://mae.gov.vn/old/1"]
    assert row.last_seen_at >= row.first_seen_at


def test_filters_by_source_date_and_text(store: Store) -> None:
    add(store, make_article("https://mae.gov.vn/a-1.htm"))
    add(store, make_article("https://mae.gov.vn/a-2.htm", body="Khai thác khoáng sản trái phép.",
                            title="Xử lý khai thác khoáng sản trái phép ở Hà Tĩnh"))
    assert len(store.articles(search="khoáng sản")) == 1
    assert len(store.articles(sources=["bonnmt"])) == 2
    assert store.articles(sources=["baohatinh"]) == []
    assert len(store.articles(since=datetime(2020, 1, 10, tzinfo=VN_TZ))) == 2
    assert store.articles(since=datetime(2020, 1, 11, tzinfo=VN_TZ)) == []


def test_a_run_records_its_counts(store: Store) -> None:
    run_id = store.start_run("bonnmt")
    store.finish_run(run_id, "partial", RunCounts(pages=5, new=3, duplicates=1, dropped=1,
                                                  errors=1), "HTTP 500 at https://mae.gov.vn/")
    [run] = store.runs()
    assert (run.status, run.pages, run.new, run.errors) == ("partial", 5, 3, 1)
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_exports_are_valid_and_csv_cannot_run_formulas(store: Store) -> None:
    add(store, make_article("https://mae.gov.vn/a-1.htm", title="=HYPERLINK(\"x\") độc hại"))
    rows = store.articles()
    [record] = [json.loads(line) for line in export_string("jsonl", rows).splitlines()]
    assert record["published_at"] == "2020-01-10T21:18:00+07:00"
    assert record["text"].startswith("(TN&MT) - Ngày 10/01.\n")
    [csv_row] = list(csv.DictReader(io.StringIO(export_string("csv", rows))))
    assert csv_row["title"].startswith("'=HYPERLINK")
    feed = ET.fromstring(export_string("atom", rows))
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}id") for e in entries] == [
        "https://mae.gov.vn/a-1.htm"]


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = Article(url="https://mae.gov.vn/n.htm", title="Không có múi giờ", paragraphs=("x",),
                    published_at=datetime(2020, 1, 1))
    with pytest.raises(StorageError, match="naive datetimes are not stored"):
        add(store, naive)
    assert store.count_articles() == 0


def test_run_history_filters_marks_and_finds_orphans(store: Store) -> None:
    old = store.start_run("bonnmt", datetime(2026, 1, 1, tzinfo=VN_TZ))
    done = store.start_run("bonnmt")
    store.finish_run(done, "ok", RunCounts(pages=2, new=1, updated=1, discovery_pages=1,
                                           links=3))
    stopped = store.start_run("bonnmt")
    assert store.open_runs_older_than(datetime(2026, 2, 1, tzinfo=VN_TZ)) == [old]
    store.mark_runs([old, done, stopped], "interrupted", "stopped: the daemon was shutting down")
    by_id = {run.id: run for run in store.runs(source_ids=["bonnmt"])}
    assert by_id[done].status == "ok"  # closed by its crawl: kept
    assert (by_id[old].status, by_id[old].messages) == (
        "interrupted", "stopped: the daemon was shutting down")
    assert by_id[stopped].finished_at is not None
    assert (by_id[done].updated, by_id[done].links) == (1, 3)
    assert [run.id for run in store.runs(statuses=["ok"])] == [done]
    assert store.runs(since=datetime.now(VN_TZ)) == []
    add(store, make_article("https://mae.gov.vn/a-1.htm"))
    assert set(store.last_article_times()) == {"bonnmt"}
