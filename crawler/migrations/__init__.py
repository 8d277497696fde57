"""Alembic migrations of the crawler's database (crawler/schema.py runs them)."""
