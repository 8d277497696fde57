"""Schema steps that skip what is already there.

Databases made before the migrations existed got their tables from `create_all` at whatever
commit they ran; crawler/schema.py stamps such a database at the Foundation revision and
upgrades it, so the later revisions must add only what is missing. On a database the
migrations made, nothing is ever missing early and these are plain creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


def has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def create_table(name: str, *parts: sa.schema.SchemaItem,
                 indexes: Sequence[str] = ()) -> None:
    """Create the table and an index on each of `indexes`, unless the table exists."""
    if has_table(name):
        return
    op.create_table(name, *parts)
    for column in indexes:
        op.create_index(op.f(f"ix_{name}_{column}"), name, [column])


def add_counters(table: str, names: Sequence[str]) -> None:
    """Add integer columns holding 0 on the existing rows, those not there yet."""
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}
    with op.batch_alter_table(table) as batch:
        for name in names:
            if name not in present:
                batch.add_column(sa.Column(name, sa.Integer(), nullable=False,
                                           server_default="0"))


def drop_counters(table: str, names: Sequence[str]) -> None:
    with op.batch_alter_table(table) as batch:
        for name in names:
            batch.drop_column(name)
