"""Storage: SQLAlchemy 2 models and the one Store the pipelines and the CLI talk to.

SQLite (WAL) is the embedded default; any SQLAlchemy URL works. Each write is one short
transaction, so a crash never leaves half an article behind.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from alembic.util import CommandError
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    column_property,
    mapped_column,
    relationship,
)

from crawler import schema, settings
from crawler.article import Article
from crawler.registry import Source
from crawler.stories import Fingerprint, StoryLink, best_match

# Known-URL lookups ask the database about this many URLs at a time.
LOOKUP_BATCH = 500
# Band buckets asked for at once (a batch of 50 articles has 3,200).
BUCKET_LOOKUP_BATCH = 5000


class StorageError(RuntimeError):
    """The database cannot be used; the message names it and says why."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back timezone-aware, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class SourceRecord(Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    homepage: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleRecord(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_has_time: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    relevance: Mapped[str] = mapped_column(String(300), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))

    aliases: Mapped[list[UrlAlias]] = relationship(back_populates="article", lazy="selectin")
    if TYPE_CHECKING:
        version_count: int  # a column_property, defined with ArticleVersion below
    story: Mapped[StoryMember | None] = relationship(lazy="selectin", viewonly=True)

    def to_article(self) -> Article:
        """Return the stored row as the Article the extractor made."""
        return Article(
            url=self.url,
            title=self.title,
            lead=self.lead,
            paragraphs=tuple(self.body.split("\n")) if self.body else (),
            author=self.author,
            published_at=self.published_at,
            published_has_time=self.published_has_time,
        )


class UrlAlias(Base):
    """Another URL under which a stored article was found."""

    __tablename__ = "url_aliases"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    article: Mapped[ArticleRecord] = relationship(back_populates="aliases")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[str] = mapped_column(Text, default="")
    # Run history and health (crawler/health.py): stored versions, discovery pages (listing
    # pages, feeds, sitemaps) that answered, article links they gave, article pages whose
    # extraction failed. Together they tell a changed layout from a quiet news day.
    updated: Mapped[int] = mapped_column(Integer, default=0)
    discovery_pages: Mapped[int] = mapped_column(Integer, default=0)
    links: Mapped[int] = mapped_column(Integer, default=0)
    extract_failed: Mapped[int] = mapped_column(Integer, default=0)


# --- incremental crawling and updates ---------------------------------------------------

class HttpValidator(Base):
    """The ETag / Last-Modified a feed, sitemap or listing page last answered with."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleCheck(Base):
    """When a stored article was last fetched again to look for edits."""

    __tablename__ = "article_checks"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ArticleVersion(Base):
    """One state of an edited article; version 1 is the text first stored."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


# How many stored versions an article has (0: never edited); read with every article row.
ArticleRecord.version_count = column_property(  # type: ignore[assignment]
    select(func.count(ArticleVersion.id))
    .where(ArticleVersion.article_id == ArticleRecord.id)
    .correlate_except(ArticleVersion)
    .scalar_subquery()
)


@dataclass(frozen=True)
class RunCounts:
    """What one crawl of one source did."""

    pages: int = 0
    new: int = 0
    duplicates: int = 0
    dropped: int = 0
    errors: int = 0
    updated: int = 0
    discovery_pages: int = 0
    links: int = 0
    extract_failed: int = 0


@dataclass(frozen=True)
class NewArticle:
    """An article to store, with what the pipelines found about it."""

    article: Article
    source_id: str
    content_hash: str
    run_id: int | None
    relevance: str = ""
    aliases: frozenset[str] = frozenset()
    fingerprint: Fingerprint | None = None  # of its story text (crawler/stories.py)


@dataclass(frozen=True)
class Written:
    """What storing a new article did."""

    article_id: int | None  # its new row; None when an equal article was stored already
    duplicate_of: int | None = None  # that equal article
    story_id: int | None = None  # the story of an earlier copy it joined (None: its own)


def resolve_db_url(db: str | None) -> str:
    """Return the database URL: the argument, else $TNMT_DB_URL, else the default SQLite file.
    A plain path is taken as a SQLite file."""
    db = db or os.environ.get(settings.DB_URL_ENV) or str(settings.DEFAULT_DB_PATH)
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


# How long a SQLite connection waits for another process's lock before "database is locked".
SQLITE_WAIT_SECONDS = 30
# Pages the WAL holds before a commit copies them into the database file (SQLite's default:
# 1,000). A batch of new articles dirties some 40 index pages an article (story_bands, its
# random buckets), so at the default nearly every commit checkpointed, copying those pages
# and flushing the file again and again. Checkpointing ten times less often copies each page
# once for many commits: storing articles costs 11 % less CPU, 17 % less time (BENCHMARKS.md
# "Throughput"). The WAL file grows to about 40 MB meanwhile, and goes at the last close.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        use_wal(cursor)
        # WAL's usual pairing: a commit is not flushed to disk at once, only at checkpoints.
        # A killed crawl loses nothing committed; a power cut can lose the last batches (the
        # next crawl fetches them again), never the file's consistency.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_SECONDS * 1000}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()


def use_wal(cursor: Any) -> None:
    """Put the database in WAL mode (the file keeps it). Two processes opening a new file at
    once both switch it: SQLite answers the second "database is locked" at once, without
    waiting as it does for a write, and the file is in WAL by its next try."""
    deadline = time.monotonic() + SQLITE_WAIT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def display_url(url: str) -> str:
    """Return the URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise StorageError(f"database {url!r}: not a valid database URL") from None


def open_engine(url: str) -> Engine:
    """Return an engine on the database at `url` (SQLite: its folder made, WAL); the schema
    is left as it is (crawler/schema.py migrates it)."""
    shown = display_url(url)  # a malformed URL stops here, named
    parsed = make_url(url)
    try:
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "",
                                                                             ":memory:"):
            Path(parsed.database.removeprefix("file:")).parent.mkdir(parents=True,
                                                                     exist_ok=True)
        engine = create_engine(parsed)
    except ImportError as exc:
        raise StorageError(f"database {shown}: its driver is not installed "
                           f"({exc})") from None
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"database {shown}: {_reason(exc)}") from None
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a database or migration failure into one StorageError line naming the database."""
    try:
        yield
    except (SQLAlchemyError, OSError, CommandError, schema.SchemaError) as exc:
        raise StorageError(f"database {display_url(url)}: {_reason(exc)}") from None


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    """Yield an engine on `url` (the schema as it is), disposed afterwards; a failure is one
    StorageError line."""
    engine = open_engine(url)
    try:
        with database_errors(url):
            yield engine
    finally:
        engine.dispose()


def now_utc() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


class Store:
    """The database: sources, articles, aliases and crawl runs."""

    def __init__(self, db: str | None = None):
        self.url = resolve_db_url(db)
        self.display_url = display_url(self.url)
        self.engine = open_engine(self.url)
        try:
            with database_errors(self.url):
                schema.prepare(self.engine)
        except StorageError:
            self.engine.dispose()  # no connection left for the garbage collector to close
            raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; database failures become one StorageError line."""
        with self._named_errors(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed whole or not at all."""
        with self.reading() as session, session.begin():
            yield session

    @contextmanager
    def _named_errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise  # callers decide what a duplicate means
        except (SQLAlchemyError, OSError) as exc:
            raise StorageError(f"database {self.display_url}: {_reason(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- sources and runs -----------------------------------------------------------

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Record the registry's sources (new ones added, changed ones updated)."""
        rows = [{"id": source.id, "name": source.name, "province": source.province,
                 "kind": source.kind, "homepage": source.homepage, "status": source.status,
                 "first_seen_at": now_utc()} for source in sources]
        with self.transaction() as session:
            upsert(session, SourceRecord, rows, keep=("first_seen_at",))

    def start_run(self, source_id: str, started_at: datetime | None = None) -> int:
        with self.transaction() as session:
            run = CrawlRun(source_id=source_id, started_at=started_at or now_utc(),
                           status="running")
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, status: str, counts: RunCounts, messages: str = "") -> None:
        with self.transaction() as session:
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(status=status, finished_at=now_utc(), messages=messages[:4000],
                        **counts.__dict__)
            )

    def runs(self, limit: int = 20, source_ids: Iterable[str] = (),
             since: datetime | None = None, statuses: Iterable[str] = ()) -> list[CrawlRun]:
        """Return the latest runs first, of some sources and statuses, started at or after
        `since`."""
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if source_ids := list(source_ids):
            query = query.where(CrawlRun.source_id.in_(source_ids))
        if statuses := list(statuses):
            query = query.where(CrawlRun.status.in_(statuses))
        if since is not None:
            query = query.where(CrawlRun.started_at >= since)
        with self.reading() as session:
            return list(session.scalars(query))

    # --- run history: what the daemon records, what health reads ----------------------

    def get_run(self, run_id: int) -> CrawlRun | None:
        with self.reading() as session:
            return session.get(CrawlRun, run_id)

    def mark_runs(self, run_ids: Iterable[int], status: str, message: str) -> None:
        """Give runs a final status decided outside the crawl (timed out, interrupted),
        keeping what the crawl recorded and adding `message` first. Runs the crawl closed
        itself (ok, partial, failed: it ended before it was stopped) keep their status."""
        unfinished = CrawlRun.status.in_(("running", "interrupted"))
        with self.transaction() as session:
            for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(list(run_ids)),
                                                              unfinished)):
                run.status, run.finished_at = status, run.finished_at or now_utc()
                run.messages = "\n".join(filter(None, [message, run.messages]))[:4000]

    def open_runs_older_than(self, started_before: datetime,
                             source_id: str | None = None) -> list[int]:
        """Return the runs still "running" that started before `started_before` (of one
        source when `source_id` is given)."""
        query = select(CrawlRun.id).where(CrawlRun.status == "running",
                                          CrawlRun.started_at < started_before)
        if source_id is not None:
            query = query.where(CrawlRun.source_id == source_id)
        with self.reading() as session:
            return list(session.scalars(query))

    def last_article_times(self) -> dict[str, datetime]:
        """Return when each source's newest article was first stored."""
        query = select(ArticleRecord.source_id, func.max(ArticleRecord.first_seen_at)).group_by(
            ArticleRecord.source_id)
        with self.reading() as session:
            return {source_id: when for source_id, when in session.execute(query)}

    # --- dedupe lookups ---------------------------------------------------------------

    def article_id_for_url(self, url: str) -> int | None:
        """Return the id of the article stored under `url` or one of its aliases."""
        with self.reading() as session:
            found = session.scalar(select(ArticleRecord.id).where(ArticleRecord.url == url))
            if found is None:
                found = session.scalar(select(UrlAlias.article_id).where(UrlAlias.url == url))
            return found

    def mark_seen(self, article_id: int, aliases: Iterable[str] = ()) -> None:
        """Note that the article was seen again, and under which other URLs."""
        with self.transaction() as session:
            own_url = session.scalar(select(ArticleRecord.url)
                                     .where(ArticleRecord.id == article_id))
            if own_url is None:
                return
            rows = BatchRows(now_utc())
            rows.seen(article_id, set(aliases) - {own_url})
            rows.insert(session)

    # --- articles ---------------------------------------------------------------------

    def add_article(
        self, article: Article, *, source_id: str, content_hash: str, run_id: int | None,
        relevance: str = "", aliases: Iterable[str] = (), fingerprint: Fingerprint | None = None,
        story_threshold: float = settings.TNMT_STORY_THRESHOLD,
    ) -> int | None:
        """Store one new article; return its id, or None when it was a duplicate (see
        add_articles)."""
        new = NewArticle(article, source_id, content_hash, run_id, relevance,
                         frozenset(aliases), fingerprint)
        return self.add_articles([new], story_threshold)[0].article_id

    def add_articles(self, batch: list[NewArticle],
                     story_threshold: float = settings.TNMT_STORY_THRESHOLD) -> list[Written]:
        """Store new articles in one transaction, each once, and say what became of each.

        An article stored before under its URL (or as an alias) or with its content hash,
        or earlier in the batch, is a duplicate: the stored one is marked seen and gets the
        new URLs as aliases. Any other is inserted with its aliases and joins the story of the
        most similar stored copy (MinHash candidates from the LSH band buckets reaching
        `story_threshold`), else starts its own. The lookups are one query per kind for the
        whole batch. Concurrent writers of one article leave one row and no error
        (INSERT … ON CONFLICT DO NOTHING: the loser's URL becomes an alias)."""
        now = now_utc()
        with self.transaction() as session:
            known = KnownArticles.read(session, batch)
            stories = StoryIndex.read(session, batch)
            rows = BatchRows(now)
            written = [_write_new(session, new, known, stories, rows, story_threshold)
                       for new in batch]
            rows.insert(session)
        return written

    def get_article(self, article_id: int) -> ArticleRecord | None:
        with self.reading() as session:
            return session.get(ArticleRecord, article_id)

    def articles(
        self, *, sources: Iterable[str] = (), since: datetime | None = None,
        search: str | None = None, limit: int | None = None,
    ) -> list[ArticleRecord]:
        """Return stored articles, newest first, filtered by source, date and text."""
        return list(self.iter_articles(sources=sources, since=since, search=search, limit=limit))

    def iter_articles(
        self, *, sources: Iterable[str] = (), since: datetime | None = None,
        search: str | None = None, limit: int | None = None,
    ) -> Iterator[ArticleRecord]:
        query = select(ArticleRecord).order_by(
            func.coalesce(ArticleRecord.published_at, ArticleRecord.first_seen_at).desc(),
            ArticleRecord.id.desc(),
        )
        if sources := list(sources):
            query = query.where(ArticleRecord.source_id.in_(sources))
        if since is not None:
            query = query.where(
                func.coalesce(ArticleRecord.published_at, ArticleRecord.first_seen_at) >= since
            )
        if search:
            pattern = f"%{search}%"
            query = query.where(or_(ArticleRecord.title.ilike(pattern),
                                    ArticleRecord.lead.ilike(pattern),
                                    ArticleRecord.body.ilike(pattern)))
        if limit:
            query = query.limit(limit)
        with self.reading() as session:
            yield from session.scalars(query)

    def count_articles(self) -> int:
        with self.reading() as session:
            return session.scalar(select(func.count(ArticleRecord.id))) or 0

    # --- stories (near-duplicates across sources) and dropped pages ---------------------

    def story_candidates(self, buckets: Iterable[int]) -> list[tuple[int, bytes]]:
        """Return (story id, signature) of every stored article sharing a band bucket."""
        buckets = list(buckets)
        if not buckets:
            return []
        query = (select(StoryMember.story_id, StoryMember.signature)
                 .where(StoryMember.article_id.in_(
                     select(StoryBand.article_id).where(StoryBand.bucket.in_(buckets)))))
        with self.reading() as session:
            return [(story_id, signature) for story_id, signature in session.execute(query)]

    def story_copies(self, story_id: int) -> list[ArticleRecord]:
        """Return every stored copy of a story, first stored first."""
        query = (select(ArticleRecord).join(StoryMember)
                 .where(StoryMember.story_id == story_id).order_by(ArticleRecord.id))
        with self.reading() as session:
            return list(session.scalars(query))

    def stories(
        self, *, sources: Iterable[str] = (), since: datetime | None = None,
        search: str | None = None, limit: int | None = None,
    ) -> list[list[ArticleRecord]]:
        """Return stories (each the list of its copies), newest first, of the articles the
        filters select; a story's copies are all listed, whatever their source."""
        groups: dict[int, list[ArticleRecord]] = {}
        for row in self.iter_articles(sources=sources, since=since, search=search):
            key = story_id_of(row)
            if key not in groups and limit and len(groups) == limit:
                break
            groups.setdefault(key, []).append(row)
        for key in [key for key, rows in groups.items() if rows[0].story is not None]:
            groups[key] = self.story_copies(key)
        return list(groups.values())

    def record_dropped_page(self, page: DroppedPage) -> None:
        """Record a page that was fetched but left out (no body kept), for audits: one row
        per URL, telling the latest run that left it out and why."""
        fields = {"run_id": page.run_id, "source_id": page.source_id, "title": page.title,
                  "reason": page.reason, "dropped_at": page.dropped_at}
        try:
            with self.transaction() as session:
                known = session.scalar(select(DroppedPage).where(DroppedPage.url == page.url))
                if known is None:
                    session.add(page)
                else:
                    session.execute(update(DroppedPage).where(DroppedPage.id == known.id)
                                    .values(**fields))
        except IntegrityError:
            pass  # another process recorded the same page at the same moment

    def dropped_pages(self, *, sources: Iterable[str] = (),
                      limit: int | None = None) -> list[DroppedPage]:
        """Return recorded dropped pages, newest first."""
        query = select(DroppedPage).order_by(DroppedPage.dropped_at.desc(),
                                             DroppedPage.id.desc())
        if sources := list(sources):
            query = query.where(DroppedPage.source_id.in_(sources))
        with self.reading() as session:
            return list(session.scalars(query.limit(limit)))
    # --- incremental crawling and updates ---------------------------------------------

    def known_articles(self, urls: Iterable[str]) -> dict[str, int]:
        """Return {url: article id} for those of `urls` stored as an article's URL or alias,
        asking the database about a batch at a time."""
        wanted = list(dict.fromkeys(urls))
        known: dict[str, int] = {}
        with self.reading() as session:
            for start in range(0, len(wanted), LOOKUP_BATCH):
                batch = wanted[start:start + LOOKUP_BATCH]
                known.update(dict(session.execute(select(ArticleRecord.url, ArticleRecord.id)
                                                  .where(ArticleRecord.url.in_(batch))).all()))
                known.update(dict(session.execute(select(UrlAlias.url, UrlAlias.article_id)
                                                  .where(UrlAlias.url.in_(batch))).all()))
        return known

    def validators(self, urls: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Return {url: (ETag, Last-Modified)} each of `urls` last answered with (URLs never
        answered with one are left out), asking about a batch at a time."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, tuple[str, str]] = {}
        with self.reading() as session:
            for start in range(0, len(wanted), LOOKUP_BATCH):
                query = (select(HttpValidator.url, HttpValidator.etag,
                                HttpValidator.last_modified)
                         .where(HttpValidator.url.in_(wanted[start:start + LOOKUP_BATCH])))
                found.update((url, (etag or "", modified or ""))
                             for url, etag, modified in session.execute(query))
        return found

    def save_validators(self, found: Mapping[str, tuple[str, str]]) -> None:
        """Remember {url: (etag, last_modified)} for the next conditional requests."""
        now = now_utc()
        rows = [{"url": url, "etag": etag, "last_modified": last_modified, "stored_at": now}
                for url, (etag, last_modified) in found.items()]
        with self.transaction() as session:
            upsert(session, HttpValidator, rows)

    def due_for_revisit(self, source_id: str, *, now: datetime, max_age: timedelta,
                        interval: timedelta, limit: int) -> list[tuple[int, str]]:
        """Return (id, url) of the source's articles younger than `max_age` that were not
        fetched within `interval`, least recently checked first."""
        age = func.coalesce(ArticleRecord.published_at, ArticleRecord.first_seen_at)
        checked = func.coalesce(ArticleCheck.checked_at, ArticleRecord.first_seen_at)
        query = (select(ArticleRecord.id, ArticleRecord.url)
                 .outerjoin(ArticleCheck, ArticleCheck.article_id == ArticleRecord.id)
                 .where(ArticleRecord.source_id == source_id, age >= now - max_age,
                        checked <= now - interval)
                 .order_by(checked, ArticleRecord.id).limit(limit))
        with self.reading() as session:
            return [(row.id, row.url) for row in session.execute(query)]

    def mark_checked(self, article_id: int, when: datetime | None = None) -> None:
        """Note that the article was fetched again (unchanged) at `when`."""
        with self.transaction() as session:
            _bump_check(session, article_id, when or now_utc())

    def record_revision(self, article_id: int, article: Article, content_hash: str,
                        fetched_at: datetime) -> bool:
        """Store a changed article as a new version and update its row, in one transaction;
        return False (only the check time bumped) when its body is unchanged."""
        try:
            with self.transaction() as session:
                record = session.get(ArticleRecord, article_id)
                if record is None or record.content_hash == content_hash:
                    _bump_check(session, article_id, fetched_at)
                    return False
                _add_versions(session, record, article, content_hash, fetched_at)
                record.title, record.lead = article.title, article.lead
                record.body, record.content_hash = "\n".join(article.paragraphs), content_hash
                record.last_seen_at = fetched_at
                _bump_check(session, article_id, fetched_at)
                return True
        except IntegrityError:  # the new body is another stored article's: not an edit
            self.mark_checked(article_id, fetched_at)
            return False

    def versions(self, article_id: int) -> list[ArticleVersion]:
        """Return the article's stored versions, oldest first."""
        with self.reading() as session:
            return list(session.scalars(select(ArticleVersion)
                                        .where(ArticleVersion.article_id == article_id)
                                        .order_by(ArticleVersion.version)))


def core_table(model: type[Base]) -> Table:
    """Return the model's Core table: bulk writes through it skip the ORM's work per row."""
    return cast(Table, model.__table__)


def dialect_insert(session: Session, model: type[Base] | Table) -> Any:
    """Return an INSERT into `model`'s table that knows ON CONFLICT (SQLite, PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert_into: Any = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}.get(dialect)
    if insert_into is None:
        raise StorageError(f"concurrent-safe writes need SQLite or PostgreSQL, not {dialect}")
    return insert_into(model)


def upsert(session: Session, model: type[Base], rows: list[dict[str, Any]],
           keep: Iterable[str] = ()) -> None:
    """Insert the rows; a row whose primary key is stored already updates it instead (but
    for the `keep` columns), also when another writer stored it a moment ago."""
    if not rows:
        return
    keys = [column.name for column in model.__table__.primary_key]
    # In key order: two writers take the rows' locks in one order, so neither waits forever.
    rows = sorted(rows, key=lambda row: tuple(row[key] for key in keys))
    statement = dialect_insert(session, model).values(rows)
    changed = set(rows[0]) - set(keys) - set(keep)
    session.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.excluded[name] for name in changed}))


def _write_new(session: Session, new: NewArticle, known: KnownArticles, stories: StoryIndex,
               rows: BatchRows, story_threshold: float) -> Written:
    """Insert one article of a batch, or mark its stored equal seen; see Store.add_articles."""
    urls = {*new.aliases, new.article.url}
    duplicate_of = known.find(new)
    if duplicate_of is None:
        article_id = session.scalar(_insert_article_statement(session),
                                    article_row(new, rows.now))
        if article_id is None:  # another writer stored it a moment ago: its row is visible
            equal = _equal_article(session, new.article.url, new.content_hash)
            if equal is not None:
                duplicate_of, known.own_url[duplicate_of] = equal
    else:
        article_id = None
    if article_id is None:
        if duplicate_of is not None:
            rows.seen(duplicate_of, urls - {known.own_url.get(duplicate_of, "")})
        return Written(None, duplicate_of)
    known.add(article_id, new)
    rows.aliases(article_id, urls - {new.article.url})
    if new.fingerprint is None:
        return Written(article_id)
    match = stories.match(new.fingerprint, story_threshold)
    story_id, similarity = match if match is not None else (None, None)
    rows.story(article_id, StoryLink(new.fingerprint.signature, new.fingerprint.buckets,
                                     story_id, similarity))
    stories.add(article_id, story_id or article_id, new.fingerprint)
    return Written(article_id, story_id=story_id)


def article_row(new: NewArticle, now: datetime) -> dict[str, Any]:
    article = new.article
    return {"source_id": new.source_id, "url": article.url, "title": article.title,
            "lead": article.lead, "body": "\n".join(article.paragraphs),
            "author": article.author, "published_at": article.published_at,
            "published_has_time": article.published_has_time,
            "content_hash": new.content_hash, "relevance": new.relevance,
            "first_seen_at": now, "last_seen_at": now, "run_id": new.run_id}


def _insert_article_statement(session: Session) -> Any:
    # Parameters apart from the statement: compiled once, not once per article.
    table = core_table(ArticleRecord)
    return dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id)


@dataclass
class KnownArticles:
    """The stored articles a batch could repeat: by URL (own or alias) and by content hash."""

    by_url: dict[str, int]
    by_hash: dict[str, int]
    own_url: dict[int, str]  # an article's own URL, never made its alias

    @classmethod
    def read(cls, session: Session, batch: list[NewArticle]) -> KnownArticles:
        urls = sorted({new.article.url for new in batch})
        hashes = sorted({new.content_hash for new in batch})
        known = cls({}, {}, {})
        for article_id, url, content_hash in session.execute(
                select(ArticleRecord.id, ArticleRecord.url, ArticleRecord.content_hash)
                .where(or_(ArticleRecord.url.in_(urls),
                           ArticleRecord.content_hash.in_(hashes)))):
            known.own_url[article_id] = url
            known.by_url[url] = article_id
            known.by_hash[content_hash] = article_id
        for alias, article_id, url in session.execute(
                select(UrlAlias.url, UrlAlias.article_id, ArticleRecord.url)
                .join(ArticleRecord, ArticleRecord.id == UrlAlias.article_id)
                .where(UrlAlias.url.in_(urls))):
            known.own_url[article_id] = url
            known.by_url.setdefault(alias, article_id)
        return known

    def find(self, new: NewArticle) -> int | None:
        """Return the stored article under the new one's URL, else with its content."""
        found = self.by_url.get(new.article.url)
        return found if found is not None else self.by_hash.get(new.content_hash)

    def add(self, article_id: int, new: NewArticle) -> None:
        """Know an article stored earlier in the batch."""
        self.own_url[article_id] = new.article.url
        self.by_url[new.article.url] = article_id
        for alias in new.aliases:
            self.by_url.setdefault(alias, article_id)
        self.by_hash.setdefault(new.content_hash, article_id)


@dataclass
class StoryIndex:
    """The stored story members sharing a band bucket with the batch's articles."""

    by_bucket: dict[int, dict[int, tuple[int, bytes]]]  # bucket → {article: (story, signature)}

    @classmethod
    def read(cls, session: Session, batch: list[NewArticle]) -> StoryIndex:
        buckets = sorted({bucket for new in batch if new.fingerprint
                          for bucket in new.fingerprint.buckets})
        index = cls({})
        connection = session.connection()  # Core rows: no ORM result machinery for plain tuples
        for start in range(0, len(buckets), BUCKET_LOOKUP_BATCH):
            for bucket, article_id, story_id, signature in connection.execute(
                    _MEMBERS_IN_BUCKETS, {"buckets": buckets[start:start + BUCKET_LOOKUP_BATCH]}):
                index.by_bucket.setdefault(bucket, {})[article_id] = (story_id, signature)
        return index

    def match(self, found: Fingerprint, threshold: float) -> tuple[int, float] | None:
        """Return (story id, similarity) of the most similar candidate reaching `threshold`."""
        candidates = {article_id: member for bucket in found.buckets
                      for article_id, member in self.by_bucket.get(bucket, {}).items()}
        return best_match(found.signature, candidates.values(), threshold)

    def add(self, article_id: int, story_id: int, found: Fingerprint) -> None:
        for bucket in found.buckets:
            self.by_bucket.setdefault(bucket, {})[article_id] = (story_id, found.signature)


class BatchRows:
    """The rows a batch adds besides its articles, inserted together at its end."""

    def __init__(self, now: datetime):
        self.now = now
        self.alias_rows: list[dict[str, Any]] = []
        self.seen_ids: set[int] = set()
        self.stories: list[tuple[int, StoryLink]] = []

    def aliases(self, article_id: int, urls: Iterable[str]) -> None:
        self.alias_rows += [{"url": url, "article_id": article_id, "first_seen_at": self.now}
                            for url in urls]

    def seen(self, article_id: int, urls: Iterable[str]) -> None:
        self.seen_ids.add(article_id)
        self.aliases(article_id, urls)

    def story(self, article_id: int, link: StoryLink) -> None:
        self.stories.append((article_id, link))

    def insert(self, session: Session) -> None:
        if self.seen_ids:
            session.execute(update(ArticleRecord).where(ArticleRecord.id.in_(self.seen_ids))
                            .values(last_seen_at=self.now))
        if self.alias_rows:  # sorted: two writers take the index's locks in one order
            rows = sorted({row["url"]: row for row in self.alias_rows}.values(),
                          key=lambda row: row["url"])
            session.execute(dialect_insert(session, core_table(UrlAlias)).on_conflict_do_nothing(),
                            rows)
        add_story_members(session, self.stories)


def _equal_article(session: Session, url: str, content_hash: str) -> tuple[int, str] | None:
    """Return (id, own URL) of the stored article with this URL, else with this content."""
    found = session.execute(select(ArticleRecord.id, ArticleRecord.url).where(or_(
        ArticleRecord.url == url, ArticleRecord.content_hash == content_hash))
        .order_by((ArticleRecord.url == url).desc()).limit(1)).first()
    return (found[0], found[1]) if found is not None else None


def _bump_check(session: Session, article_id: int, when: datetime) -> None:
    upsert(session, ArticleCheck, [{"article_id": article_id, "checked_at": when}])


def _add_versions(session: Session, record: ArticleRecord, article: Article,
                  content_hash: str, fetched_at: datetime) -> None:
    """Add the article's new version, and first its stored text as version 1 if it has none."""
    last = session.scalar(select(func.max(ArticleVersion.version))
                          .where(ArticleVersion.article_id == record.id)) or 0
    if last == 0:
        session.add(ArticleVersion(article_id=record.id, version=1, title=record.title,
                                   body=record.body, content_hash=record.content_hash,
                                   fetched_at=record.first_seen_at))
        last = 1
    session.add(ArticleVersion(article_id=record.id, version=last + 1, title=article.title,
                               body="\n".join(article.paragraphs), content_hash=content_hash,
                               fetched_at=fetched_at))


def _reason(exc: BaseException) -> str:
    """Return the first line of a database error, without SQLAlchemy's boilerplate."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


@cache
def shared_store(db_url: str) -> Store:
    """Return this process's one Store for `db_url` (the pipelines share it)."""
    return Store(db_url)


# --- alerts (crawler/alerts.py) ---------------------------------------------------------------

class AlertOutbox(Base):
    """One alert for one destination: queued once, delivered with retries, never lost."""

    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint("rule", "event", "destination"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(200))  # "article:<id>" or "health:<source>:<n>"
    destination: Mapped[str] = mapped_column(String(1000))  # an Apprise URL
    source_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # the alert as JSON, for webhooks
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertHealthState(Base):
    """Each source's health state as last given to the alerts, and how often it changed:
    only changes alert."""

    __tablename__ = "alert_health_states"

    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    changes: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
# --- stories (near-duplicates across sources) and dropped pages ----------------------------


class StoryMember(Base):
    """An article's story: the id of the story's first stored copy, and its signature."""

    __tablename__ = "story_members"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    story_id: Mapped[int] = mapped_column(Integer, index=True)
    similarity: Mapped[float | None] = mapped_column(Float)  # to the copy it matched
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class StoryBand(Base):
    """One LSH band bucket of an article's signature: the index near-duplicates are found by."""

    __tablename__ = "story_bands"
    # SQLite: clustered on its key, one B-tree instead of a rowid table and the key's index
    # (each article adds 64 random keys; migration 0006 says what it saves).
    __table_args__ = ({"sqlite_with_rowid": False},)

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)


def add_story_members(session: Session, links: list[tuple[int, StoryLink]]) -> None:
    """Add articles' story memberships and band buckets to the session's transaction (two
    executemany, not an ORM object per row)."""
    if not links:
        return
    insert_rows(session, StoryMember, ("article_id", "story_id", "similarity", "signature"),
                [(article_id, link.story_id or article_id, link.similarity, link.signature)
                 for article_id, link in links])
    insert_rows(session, StoryBand, ("bucket", "article_id"),
                [(bucket, article_id)
                 for article_id, link in links for bucket in sorted(set(link.buckets))])


def insert_rows(session: Session, model: type[Base], columns: tuple[str, ...],
                rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows (values in `columns` order, no type conversion needed) with the
    driver's own executemany. SQLAlchemy's executemany prepares every row's parameters in
    Python: for the story bands, 64 rows an article, that cost more than the inserts."""
    if not rows:
        return
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    session.connection().exec_driver_sql(
        f"INSERT INTO {core_table(model).name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})", rows)


def story_id_of(row: ArticleRecord) -> int:
    """Return the article's story id (its own id when it has no recorded story)."""
    return row.story.story_id if row.story is not None else row.id


class DroppedPage(Base):
    """A fetched page left out of the database (off topic, …): what and why, not its body."""

    __tablename__ = "dropped_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(1000))
    dropped_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The story members in a batch's band buckets. One statement, its bucket list a parameter:
# built per batch, `in_(buckets)` turned each of a batch's thousand-odd buckets into a bound
# literal, about a tenth of the batch's write time in Python.
_MEMBERS_IN_BUCKETS = (
    select(StoryBand.bucket, StoryMember.article_id, StoryMember.story_id, StoryMember.signature)
    .join(StoryMember, StoryMember.article_id == StoryBand.article_id)
    .where(StoryBand.bucket.in_(bindparam("buckets", expanding=True))))
