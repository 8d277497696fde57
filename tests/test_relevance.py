"""Relevance on the real crawl of the mirror: general newspapers keep only TN&MT articles, each
with the reason it is in, and every page left out is listed with the reason it is out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_storage import store  # noqa: F401  (the store fixture: SQLite, PostgreSQL)

from conftest import RESOURCES, Crawl, expected_articles
from crawler.article import Article
from crawler.cli import main
from crawler.extraction import parse_html
from crawler.registry import RegistryError, Topics, load_registry, load_source
from crawler.relevance import breadcrumb_paths, relevance_reason
from crawler.storage import DroppedPage, Store, now_utc

SPORT = ("https://baohatinh.vn/khai-mac-giai-bong-da-thieu-nien-nhi-dong-tinh-ha-tinh-nam-2024/"
         "263302.htm")


def test_each_stored_article_says_why_it_is_in(mirror_crawl: Crawl) -> None:
    registry = load_registry()
    for row in mirror_crawl.store().articles():
        if registry[row.source_id].topics.keywords:
            assert row.relevance.startswith("keywords: "), row.url
            assert all(word in (row.title + row.lead + row.body).casefold()
                       for word in row.relevance.removeprefix("keywords: ").casefold()
                       .split(", ")), row.relevance
        else:
            assert row.relevance == "source: every article", row.url
    assert {row.source_id for row in mirror_crawl.store().articles()} == {
        article["source"] for article in expected_articles()}


def test_the_off_topic_mirror_page_is_listed_with_its_reason_and_run(mirror_crawl: Crawl) -> None:
    result = CliRunner().invoke(main, ["articles", "list", "--dropped", "--db",
                                       mirror_crawl.db_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    dropped = [page for page in json.loads(result.stdout) if page["url"] == SPORT]
    assert len(dropped) == 1, result.stdout
    assert dropped[0]["title"].startswith("Khai mạc Giải Bóng đá Thiếu niên - Nhi đồng")
    assert dropped[0]["reason"] == ("off topic: none of 13 keywords matched "
                                    "(page under /the-thao/)")
    runs = {run.id: run.source_id for run in mirror_crawl.store().runs(limit=100)}
    assert runs[dropped[0]["run"]] == "baohatinh"


def test_articles_show_and_exports_carry_the_reason(mirror_crawl: Crawl) -> None:
    crawled = mirror_crawl.store()
    row = next(row for row in crawled.articles() if row.source_id == "baohatinh")
    shown = CliRunner().invoke(main, ["articles", "show", str(row.id), "--db",
                                      mirror_crawl.db_url])
    assert f"why kept: {row.relevance}" in shown.stdout
    exported = CliRunner().invoke(main, ["export", "--format", "csv", "--db",
                                         mirror_crawl.db_url])
    assert row.relevance in exported.stdout


def test_breadcrumb_links_are_the_page_categories() -> None:
    html = ("<div class='c-breadcrumb'><a href='/'>Trang chủ</a><a href='/moi-truong/'>Môi "
            "trường</a><a href='https://bao.vn/moi-truong/bien-dao/'>Biển đảo</a></div>"
            "<article><h1>Tiêu đề</h1></article>")
    tree = parse_html(html)
    assert tree is not None
    assert breadcrumb_paths(tree, "https://bao.vn/bai-viet/1.html") == (
        "/moi-truong/", "/moi-truong/bien-dao/")
    no_breadcrumb = parse_html("<p>Tin ngắn</p>")
    assert no_breadcrumb is not None
    assert breadcrumb_paths(no_breadcrumb, "https://bao.vn/") == ()


def test_category_wins_and_no_rule_keeps_everything() -> None:
    article = Article(url="https://bao.vn/moi-truong/ca-mau/1.html", title="Sạt lở bờ biển",
                      paragraphs=("Sạt lở ở Cà Mau.",))
    topics = Topics(keywords=("sạt lở",), categories=("/moi-truong/",))
    assert relevance_reason(article, (), topics) == "category: /moi-truong/"
    assert relevance_reason(article, (), Topics(keywords=("sạt lở",))) == "keywords: sạt lở"
    assert relevance_reason(article, (), Topics(keywords=("bóng đá",))) is None
    assert relevance_reason(article, (), Topics()) == "source: every article"


def test_a_category_that_is_not_a_path_is_refused(tmp_path: Path) -> None:
    entry = (RESOURCES.parent.parent / "crawler" / "sources" / "baodaklak.toml").read_text("utf-8")
    bad = tmp_path / "baodaklak.toml"
    bad.write_text(entry.replace('categories = ["/moi-truong/"]', 'categories = ["moi-truong"]'),
                   "utf-8")
    with pytest.raises(RegistryError, match=r"baodaklak\.toml: topics\.categories: .*'moi-truong'"):
        load_source(bad)


def test_a_page_dropped_again_keeps_one_row_naming_the_latest_run(store: Store) -> None:  # noqa: F811
    runs = [store.start_run("bonnmt") for _ in range(2)]
    for run_id in runs:
        store.record_dropped_page(DroppedPage(
            run_id=run_id, source_id="bonnmt", url="https://mae.gov.vn/the-thao/1.htm",
            title="Giải bóng đá", reason=f"off topic (run {run_id})", dropped_at=now_utc()))
    [page] = store.dropped_pages()
    assert (page.run_id, page.reason) == (runs[1], f"off topic (run {runs[1]})")
