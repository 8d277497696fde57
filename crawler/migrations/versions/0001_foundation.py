"""Foundation: sources, articles, url_aliases, crawl_runs (the schema of the first release).

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("province", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("homepage", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.String(64), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False)
          for name in ("pages", "new", "duplicates", "dropped", "errors")),
        sa.Column("messages", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_crawl_runs_source_id"), "crawl_runs", ["source_id"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.String(64), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(300), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_has_time", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("relevance", sa.String(300), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id"), nullable=True),
    )
    for column in ("source_id", "published_at", "first_seen_at"):
        op.create_index(op.f(f"ix_articles_{column}"), "articles", [column])
    op.create_table(
        "url_aliases",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index(op.f("ix_url_aliases_article_id"), "url_aliases", ["article_id"])


def downgrade() -> None:
    op.drop_table("url_aliases")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
    op.drop_table("sources")
