"""Alerts: alert_outbox, alert_health_states.

Revision ID: 0004_alerts
Revises: 0003_run_history
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.migrations.ops import create_table

revision = "0004_alerts"
down_revision = "0003_run_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("destination", sa.String(1000), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("rule", "event", "destination"),
        indexes=["status", "next_attempt_at"],
    )
    create_table(
        "alert_health_states",
        sa.Column("source_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_health_states")
    op.drop_table("alert_outbox")
