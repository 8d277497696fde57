"""Stories and dropped pages: story_members, story_bands, dropped_pages.

Revision ID: 0005_stories
Revises: 0004_alerts
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.migrations.ops import create_table

revision = "0005_stories"
down_revision = "0004_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "story_members",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        indexes=["story_id"],
    )
    create_table(
        "story_bands",
        sa.Column("bucket", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
    )
    create_table(
        "dropped_pages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id"), nullable=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("dropped_at", sa.DateTime(), nullable=False),
        indexes=["run_id", "source_id"],
    )


def downgrade() -> None:
    for table in ("dropped_pages", "story_bands", "story_members"):
        op.drop_table(table)
