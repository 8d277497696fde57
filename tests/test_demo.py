"""`tnmt demo`: a newcomer without internet sees the whole thing work, and it is idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import addresses, expected_articles, run_tnmt


def test_demo_stores_every_mirror_article_once_and_nothing_on_a_second_run(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = run_tnmt("demo", "--db", db, check=True)
    assert "Serving the offline mirror at http://127.0.0.1:" in first.stderr
    assert "Crawl summary" in first.stdout
    listed = json.loads(run_tnmt("articles", "list", "--db", db, "--format", "json",
                                 "--limit", "0", check=True).stdout)
    expected = sorted(sorted(addresses(article)) for article in expected_articles())
    assert sorted(sorted(addresses(article)) for article in listed) == expected

    second = run_tnmt("demo", "--db", db, check=True)
    assert "Crawl summary" in second.stdout
    again = json.loads(run_tnmt("articles", "list", "--db", db, "--format", "json",
                                "--limit", "0", check=True).stdout)
    assert sorted(sorted(addresses(article)) for article in again) == expected
    assert [a["first_seen_at"] for a in sorted(again, key=lambda a: a["id"])] == \
        [a["first_seen_at"] for a in sorted(listed, key=lambda a: a["id"])]
