"""Run history for the daemon's health: four counters on crawl_runs.

Revision ID: 0003_run_history
Revises: 0002_incremental
Create Date: 2026-11-23
"""

from __future__ import annotations

from crawler.migrations.ops import add_counters, drop_counters

revision = "0003_run_history"
down_revision = "0002_incremental"
branch_labels = None
depends_on = None

COUNTERS = ("updated", "discovery_pages", "links", "extract_failed")


def upgrade() -> None:
    add_counters("crawl_runs", COUNTERS)


def downgrade() -> None:
    drop_counters("crawl_runs", COUNTERS)
