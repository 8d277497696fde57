"""Incremental crawling: http_validators, article_checks, article_versions.

Revision ID: 0002_incremental
Revises: 0001_foundation
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.migrations.ops import create_table

revision = "0002_incremental"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "http_validators",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("etag", sa.String(500), nullable=False),
        sa.Column("last_modified", sa.String(100), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
    )
    create_table(
        "article_checks",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        indexes=["checked_at"],
    )
    create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("article_id", "version"),
        indexes=["article_id"],
    )


def downgrade() -> None:
    for table in ("article_versions", "article_checks", "http_validators"):
        op.drop_table(table)
