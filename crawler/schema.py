"""The database schema's version: Alembic migrations (crawler/migrations/) run on our engine.

A new database (no tables of ours) is created by upgrading it to the head revision. A
database made before the migrations existed (our tables, no `alembic_version`) is stamped at
the Foundation revision, whose successors add only what is missing. An older SQLite file is
upgraded when it is opened; an older PostgreSQL database is not (several workers, maybe of
two releases, share it): opening it is refused until `tnmt db upgrade` is run once.
Upgrades run in one transaction under a lock (PostgreSQL advisory lock, SQLite write lock),
so processes opening the same new database at once create it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

FOUNDATION = "0001_foundation"
# Tables the first release made; one of them present means "a database of ours".
FOUNDATION_TABLES = ("sources", "articles", "url_aliases", "crawl_runs")
# Tables other libraries own in our database (APScheduler's job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
# pg_advisory_xact_lock key: "tnmt" in ASCII.
POSTGRES_LOCK = 0x746E6D74


class SchemaError(RuntimeError):
    """The database's schema cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class Revision:
    """One migration: its id and what it does."""

    id: str
    message: str


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Leave other libraries' tables out of migrations and schema comparisons."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config for the packaged migrations, running on `connection`."""
    config = Config()
    config.set_main_option("script_location", "crawler:migrations")
    config.attributes["connection"] = connection
    return config


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """Return the newest revision this release knows."""
    found = scripts().get_current_head()
    assert found is not None
    return found


def history() -> list[Revision]:
    """Return every revision, oldest first."""
    return [Revision(script.revision, script.doc)
            for script in reversed(list(scripts().walk_revisions()))]


def current(connection: Connection) -> str | None:
    """Return the database's revision (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def has_our_tables(connection: Connection) -> bool:
    tables = set(sa.inspect(connection).get_table_names())
    return any(name in tables for name in FOUNDATION_TABLES)


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the database to `target`; return its revision before and after."""
    with locked(engine) as connection:
        before = current(connection)
        if before is None and has_our_tables(connection):
            command.stamp(alembic_config(connection), FOUNDATION)
        command.upgrade(alembic_config(connection), target)
        return before, current(connection)


def prepare(engine: Engine) -> None:
    """Bring a database to the head revision where that is safe to do on opening it, else
    raise SchemaError saying what to run."""
    with engine.connect() as connection:
        revision = current(connection)
        if revision == head():
            return
        fresh = revision is None and not has_our_tables(connection)
    if revision is not None and revision not in {found.id for found in history()}:
        raise SchemaError(f"its schema is at revision {revision}, which this tnmt does not "
                          f"know (made by a newer release?); upgrade tnmt")
    if fresh or engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise SchemaError(f"its schema is at revision {revision or 'none (made before migrations)'}"
                      f", this tnmt needs {head()}: run `tnmt db upgrade`")


@contextmanager
def locked(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a transaction no other migrating process can enter."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": POSTGRES_LOCK})
        elif engine.dialect.name == "sqlite":
            # pysqlite opens no transaction before DDL; take the write lock ourselves.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection
