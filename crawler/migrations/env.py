"""Alembic environment: runs on the connection crawler/schema.py hands over (online only)."""

from __future__ import annotations

from alembic import context

from crawler.schema import include_object
from crawler.storage import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=True,  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
