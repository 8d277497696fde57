"""Alembic environment: runs on the connection crawler/schema.py hands over, or, under the
`alembic` command (writing a new revision: `alembic revision --autogenerate -m …` from the
project root), on the database `-x db=URL`, $TNMT_DB_URL or the default SQLite file names."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from crawler.schema import include_object
from crawler.storage import Base, engine_for, resolve_db_url


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=True,  # SQLite alters a table by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = resolve_db_url(context.get_x_argument(as_dictionary=True).get("db"))
    with engine_for(url) as engine, engine.begin() as connection:
        run(connection)
