"""The whole slice: the shipped registry entries, crawled through the real Scrapy engine from
the offline mirror into a real SQLite file, give exactly the expected articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import RESOURCES, Crawl, expected_articles, run_tnmt
from crawler.article import normalise_text
from crawler.cli import mirror_sources
from crawler.mirror import MirrorServer
from crawler.registry import load_registry
from crawler.storage import CrawlRun
from crawler.urls import same_site

EXPECTED = expected_articles()
DROPPED = json.loads((RESOURCES / "DROPPED.json").read_text("utf-8"))


def test_every_mirrored_source_has_expected_articles() -> None:
    sources = {source.id for source in mirror_sources(load_registry())}
    assert {"baotainguyenmoitruong", "nongnghiepmoitruong", "stnmt_binhduong",
            "baohatinh"} <= sources
    assert sources == {article["source"] for article in EXPECTED}


@pytest.mark.parametrize("expected", EXPECTED, ids=[Path(a["_file"]).stem for a in EXPECTED])
def test_stored_article_matches_expected(mirror_crawl: Crawl, expected: dict) -> None:
    store = mirror_crawl.store()
    article_id = store.article_id_for_url(expected["url"])
    assert article_id is not None, f"{expected['url']} was not stored"
    row = store.get_article(article_id)
    assert row is not None
    article = row.to_article()
    # Which of two URLs of one article is crawled first is up to the engine; the other
    # must be kept as an alias.
    addresses = {expected["url"], *expected.get("aliases", [])}
    assert {row.url, *(alias.url for alias in row.aliases)} == addresses
    assert len(row.aliases) == len(addresses) - 1
    assert row.source_id == expected["source"]
    assert article.title == normalise_text(expected["title"])
    assert article.published_iso() == expected["published_at"]
    assert article.author == expected["author"]
    assert article.lead == normalise_text(expected["lead"])
    assert list(article.paragraphs) == [normalise_text(p) for p in expected["body"]]
    for boilerplate in expected["must_not_contain"]:
        assert boilerplate not in article.text


def test_each_article_is_stored_exactly_once(mirror_crawl: Crawl) -> None:
    rows = mirror_crawl.store().articles()
    assert len(rows) == len(EXPECTED)
    assert len({row.content_hash for row in rows}) == len(rows)


def test_dropped_pages_are_not_stored_and_their_reasons_reported(mirror_crawl: Crawl) -> None:
    store = mirror_crawl.store()
    runs = {run.source_id: run for run in store.runs()}
    for dropped in DROPPED:
        assert store.article_id_for_url(dropped["url"]) is None, dropped
        reason = dropped["reason"].replace(" ", "_")
        source = next(a["source"] for a in EXPECTED if same_site(a["url"], dropped["url"]))
        assert f"dropped 1: {reason}" in runs[source].messages.splitlines()
        assert f"{source}: dropped 1 {reason}" in mirror_crawl.result.stdout
    assert sum(run.dropped for run in runs.values()) == len(DROPPED)


def test_runs_are_recorded_per_source_with_counts(mirror_crawl: Crawl) -> None:
    runs: list[CrawlRun] = mirror_crawl.store().runs()
    by_source = {run.source_id: run for run in runs}
    for source in {article["source"] for article in EXPECTED}:
        run = by_source[source]
        assert run.status == "ok", run.messages
        assert run.new == sum(1 for a in EXPECTED if a["source"] == source)
        assert run.pages >= run.new
        assert run.finished_at is not None


def test_summary_table_is_printed(mirror_crawl: Crawl) -> None:
    out = mirror_crawl.result.stdout
    assert "Crawl summary" in out
    for header in ("source", "pages", "new", "duplicate", "dropped", "errors"):
        assert header in out
    assert "baohatinh" in out


def test_a_second_crawl_fetches_no_article_and_full_fetches_them_again(
        mirror_crawl: Crawl, mirror: MirrorServer) -> None:
    before = mirror_crawl.store().count_articles()
    ids = sorted({article["source"] for article in EXPECTED})
    store = mirror_crawl.store()
    for options, fetched_again in (((), False), (("--full",), True)):
        run_tnmt("crawl", *ids, "--db", mirror_crawl.db_url, "--mirror", mirror.address,
                 *options, check=True)
        assert store.count_articles() == before
        latest = {run.source_id: run
                  for run in sorted(store.runs(limit=100), key=lambda run: run.id)}
        assert all(run.new == 0 for run in latest.values())
        assert all((run.pages > 0) is fetched_again for run in latest.values()), options


def test_a_dead_site_fails_with_one_line_and_stores_nothing(
        mirror: MirrorServer, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "snnmt_gone.toml").write_text(
        'id = "snnmt_gone"\nname = "Sở đã giải thể"\nprovince = "Hà Tĩnh"\nkind = "department"\n'
        'homepage = "https://snnmt.gone.gov.vn/"\n[discovery]\n'
        'start_urls = ["https://snnmt.gone.gov.vn/tin-tuc/"]\narticle_pattern = "/tin/"\n',
        encoding="utf-8")
    db = tmp_path / "t.db"
    result = run_tnmt("crawl", "snnmt_gone", "--sources", str(sources), "--db", str(db),
                      "--mirror", mirror.address)
    assert result.returncode == 1
    assert "error: source snnmt_gone: HTTP 404 at https://snnmt.gone.gov.vn/tin-tuc/" in \
        result.stderr
    listed = run_tnmt("articles", "list", "--db", str(db), "--format", "json", check=True)
    assert json.loads(listed.stdout) == []
