"""Alembic migrations on real databases: from empty and from every earlier revision to the
head, on a SQLite file and on PostgreSQL (TNMT_TEST_POSTGRES_URL); the migrated schema is the
models' and rows written at the old revision survive. Concurrent writers of one article
leave one row."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from conftest import POSTGRES_URL, at_once, empty_store, reset_postgres, run_tnmt
from crawler import schema
from crawler.article import Article, content_hash
from crawler.cli import main
from crawler.registry import load_registry
from crawler.storage import Base, SourceRecord, StorageError, Store, open_engine

WHEN = datetime(2026, 11, 20, 8, 0)  # naive UTC, as the columns hold it
OLDER = [revision.id for revision in schema.history()][:-1]


def database_url(backend: str, tmp_path: Path) -> str:
    """An empty database's URL: a new SQLite file, or the emptied PostgreSQL test database."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'tnmt.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need TNMT_TEST_POSTGRES_URL (.ci/run sets it)")
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    engine = open_engine(url)
    yield engine
    engine.dispose()


def tnmt(*args: str) -> str:
    """Run `tnmt ARGS` in this process; return its output, stripped."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def schema_differences(engine: Engine) -> list:
    """Return what autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": schema.include_object, "compare_type": True})
        return compare_metadata(context, Base.metadata)


def write_foundation_rows(engine: Engine) -> None:
    """Write a source, a run, an article and an alias with the Foundation's columns (and
    zero run counters where the table has them without a default: made by create_all)."""
    later = {column["name"] for column in inspect(engine).get_columns("crawl_runs")} - {
        "id", "source_id", "started_at", "finished_at", "status", "pages", "new",
        "duplicates", "dropped", "errors", "messages"}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO sources (id, name, province, kind, homepage, status, first_seen_at)"
            " VALUES ('monre', 'Bộ TN&MT', 'Hà Nội', 'ministry', 'https://monre.gov.vn/',"
            " 'active', :when)"), {"when": WHEN})
        connection.execute(text(
            "INSERT INTO crawl_runs (id, source_id, started_at, status, pages, new, duplicates,"
            f" dropped, errors, messages{''.join(f', {name}' for name in sorted(later))})"
            f" VALUES (1, 'monre', :when, 'ok', 3, 1, 0, 0, 0, ''{', 0' * len(later)})"),
            {"when": WHEN})
        connection.execute(text(
            "INSERT INTO articles (id, source_id, url, title, lead, body, published_has_time,"
            " content_hash, relevance, first_seen_at, last_seen_at, run_id) VALUES (1, 'monre',"
            " 'https://monre.gov.vn/a-1.htm', 'Tiêu đề', '', 'Thân bài.', false, 'h1', '',"
            " :when, :when, 1)"), {"when": WHEN})
        connection.execute(text(
            "INSERT INTO url_aliases (url, article_id, first_seen_at)"
            " VALUES ('https://monre.gov.vn/a-1.htm?id=1', 1, :when)"), {"when": WHEN})


def assert_foundation_rows_survived(url: str) -> None:
    store = Store(url)
    [row] = store.articles()
    assert (row.url, row.title, row.body, row.published_at) == (
        "https://monre.gov.vn/a-1.htm", "Tiêu đề", "Thân bài.", None)
    assert [alias.url for alias in row.aliases] == ["https://monre.gov.vn/a-1.htm?id=1"]
    [run] = store.runs()
    assert (run.pages, run.new, run.updated, run.links, run.started_at) == (
        3, 1, 0, 0, WHEN.replace(tzinfo=UTC))
    store.close()


def test_an_empty_database_upgrades_to_the_models_schema(engine: Engine) -> None:
    assert schema.upgrade(engine) == (None, schema.head())
    assert schema_differences(engine) == []


@pytest.mark.parametrize("start", OLDER)
def test_every_earlier_revision_upgrades_keeping_its_rows(url: str, engine: Engine,
                                                          start: str) -> None:
    schema.upgrade(engine, start)
    write_foundation_rows(engine)
    if engine.dialect.name == "postgresql":  # never upgraded behind the operator's back
        with pytest.raises(StorageError, match=f"at revision {start}, .*run `tnmt db upgrade`"):
            Store(url)
        assert schema.upgrade(engine) == (start, schema.head())
    Store(url).close()  # SQLite: upgraded here, on opening
    with engine.connect() as connection:
        assert schema.current(connection) == schema.head()
    assert schema_differences(engine) == []
    assert_foundation_rows_survived(url)


def test_a_foundation_release_sqlite_file_upgrades_when_opened_and_keeps_its_articles(
        tmp_path: Path) -> None:
    """The Foundation release made its tables without Alembic: no alembic_version table."""
    url = database_url("sqlite", tmp_path)
    engine = open_engine(url)
    schema.upgrade(engine, schema.FOUNDATION)
    write_foundation_rows(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    listed = run_tnmt("articles", "list", "--db", url, "--format", "json", check=True)
    assert '"url": "https://monre.gov.vn/a-1.htm"' in listed.stdout
    assert tnmt("db", "current", "--db", url) == f"{schema.head()} (head)"
    assert schema_differences(engine) == []
    assert_foundation_rows_survived(url)


def test_a_database_made_by_create_all_before_migrations_is_stamped_and_upgraded(
        url: str, engine: Engine) -> None:
    """Databases made between the Foundation and this release already have later tables."""
    Base.metadata.create_all(engine)
    write_foundation_rows(engine)
    assert tnmt("db", "upgrade", "--db", url).endswith(f"upgraded from None to {schema.head()}")
    assert schema_differences(engine) == []
    assert_foundation_rows_survived(url)


def story_bands_have_rowids(engine: Engine) -> bool:
    return inspect(engine).get_table_options("story_bands").get("sqlite_with_rowid", True)


def test_sqlite_story_bands_become_one_b_tree_keeping_their_rows(tmp_path: Path) -> None:
    """The band index, a rowid table up to 0005, is rebuilt WITHOUT ROWID with every row,
    and back by the downgrade."""
    engine = open_engine(database_url("sqlite", tmp_path))
    schema.upgrade(engine, "0005_stories")
    write_foundation_rows(engine)
    bands = [(2 ** 62 + n, 1) for n in range(100)]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO story_bands (bucket, article_id) VALUES (:b, :a)"),
                           [{"b": bucket, "a": article_id} for bucket, article_id in bands])
    assert story_bands_have_rowids(engine)
    schema.upgrade(engine)
    assert not story_bands_have_rowids(engine)
    with engine.connect() as connection:
        assert sorted(connection.execute(text("SELECT bucket, article_id FROM story_bands"))
                      .all()) == bands
    assert schema_differences(engine) == []
    assert_foundation_rows_survived(str(engine.url))
    with engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0005_stories")
    assert story_bands_have_rowids(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM story_bands")).scalar() == 100
    engine.dispose()


def test_db_commands_print_the_revision_and_refuse_an_unknown_one(url: str,
                                                                  engine: Engine) -> None:
    schema.upgrade(engine, OLDER[-1])
    assert tnmt("db", "current", "--db", url) == (
        f"{OLDER[-1]} (needs `tnmt db upgrade` to {schema.head()})")
    assert tnmt("db", "upgrade", "--db", url).endswith(
        f"upgraded from {OLDER[-1]} to {schema.head()}")
    assert tnmt("db", "upgrade", "--db", url).endswith(f"already at {schema.head()}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    result = CliRunner().invoke(main, ["runs", "--db", url])
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("at revision 9999_future, which this tnmt does not "
                                          "know (made by a newer release?); upgrade tnmt")
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_history_lists_every_revision() -> None:
    history = tnmt("db", "history")
    assert all(revision.id in history for revision in schema.history())


OPEN_AT = """
import sys, time
from crawler.storage import Store
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
Store(sys.argv[2]).close()
"""


def test_processes_opening_one_new_sqlite_file_at_once_create_it_once(tmp_path: Path) -> None:
    db, start = str(tmp_path / "new.db"), time.time() + 2
    children = [subprocess.Popen([sys.executable, "-c", OPEN_AT, str(start), db],
                                 stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for child in children:
        _, errors = child.communicate(timeout=60)
        assert child.returncode == 0, errors
    assert schema_differences(open_engine(f"sqlite:///{db}")) == []


# --- concurrent writers -----------------------------------------------------------------------

def race(stores: list[Store], articles: list[Article]) -> list[int | None]:
    """Store articles[i] through stores[i], all at the same moment; return what each got."""
    return at_once([partial(store.add_article, article, source_id="monre",
                            content_hash=content_hash(article), run_id=None)
                    for store, article in zip(stores, articles, strict=True)])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_writers_storing_one_article_at_once_leave_one_row_and_an_alias(
        backend: str, tmp_path: Path) -> None:
    first = empty_store(backend, tmp_path)
    write_foundation_rows(first.engine)
    second = Store(first.url)  # its own engine and connections
    rounds = 15
    for number in range(rounds):
        body = (f"Bài số {number}: Sở TN&MT kiểm tra môi trường.", "Đoạn thứ hai.")
        same = [Article(url=f"https://monre.gov.vn/r-{number}.htm", title=f"Bài {number}",
                        lead="", paragraphs=body, author=None, published_at=None,
                        published_has_time=False) for _ in range(2)]
        # the same page twice (same URL), then the same text under two URLs
        moved = [replace(same[0], url=f"{same[0].url}?v={side}", paragraphs=body[:1])
                 for side in (1, 2)]
        for articles in (same, moved):
            results = race([first, second], articles)
            winners = [result for result in results if result is not None]
            assert len(winners) == 1, results
    rows = first.articles()
    assert len(rows) == 1 + 2 * rounds
    assert len({row.content_hash for row in rows}) == len(rows)
    by_url = {row.url: row for row in rows}
    for number in range(rounds):
        stored = [url for url in by_url if url.startswith(f"https://monre.gov.vn/r-{number}.htm?")]
        assert len(stored) == 1
        other = {f"https://monre.gov.vn/r-{number}.htm?v={side}" for side in (1, 2)} - {*stored}
        assert [alias.url for alias in by_url[stored[0]].aliases] == [*other]
    second.close()
    first.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_writers_recording_the_same_sources_validators_and_checks_at_once_all_succeed(
        backend: str, tmp_path: Path) -> None:
    first = empty_store(backend, tmp_path)
    write_foundation_rows(first.engine)
    second = Store(first.url)
    sources = list(load_registry().values())
    validators = {f"https://monre.gov.vn/list/{n}": (f'"e{n}"', "") for n in range(50)}
    for _ in range(5):
        at_once([partial(store.sync_sources, sources) for store in (first, second)])
        at_once([partial(store.save_validators, validators) for store in (first, second)])
        at_once([partial(store.mark_checked, 1) for store in (first, second)])
    with first.reading() as session:
        assert session.scalar(select(func.count(SourceRecord.id))) == len(sources)
    listing = "https://monre.gov.vn/list/7"
    assert first.validators([listing])[listing][0] == '"e7"'
    assert first.due_for_revisit("monre", now=datetime.now(UTC), max_age=timedelta(days=3650),
                                 interval=timedelta(hours=1), limit=5) == []
    second.close()
    first.close()
