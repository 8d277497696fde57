"""The throughput harness (bench/throughput.py) on a tiny synthetic mirror: every mode runs
for real (crawls in child processes against the mirror served by another process) and gives
sane figures; no speed is asserted. And its query-plan check tells an index from a scan."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bench.synthetic_mirror import generate
from bench.throughput import (
    MODES,
    Figures,
    dedupe_query_plans,
    explain,
    main,
    median_ratios,
    median_round,
)
from crawler.extraction import extract_article
from crawler.storage import ArticleRecord, Store
from crawler.stories import fingerprint, similarity, story_text

SOURCES, PAGES = 2, 12


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    workdir = tmp_path_factory.mktemp("throughput")
    report = main(["--pages", str(PAGES), "--sources", str(SOURCES), "--workdir", str(workdir),
                   "--json", str(workdir / "figures.json")])
    return report, workdir


def test_every_mode_gives_sane_figures(run: tuple[dict[str, Any], Path]) -> None:
    report, workdir = run
    assert json.loads((workdir / "figures.json").read_text("utf-8")) == report
    modes = {figures["mode"]: figures for figures in report["modes"]}
    assert list(modes) == list(MODES)
    for mode in ("full", "inline"):
        assert modes[mode]["pages"] == PAGES
        assert modes[mode]["articles"] == PAGES, "every generated article is stored"
        assert modes[mode]["cpu"] > 0 and modes[mode]["peak_main_mb"] > 0
        assert modes[mode]["peak_tree_mb"] >= modes[mode]["peak_main_mb"]
    assert modes["fetch-only"]["pages"] == PAGES and modes["fetch-only"]["articles"] == 0
    assert modes["sequential"]["articles"] == PAGES
    assert modes["parallel"]["pages"] == PAGES and modes["parallel"]["articles"] == PAGES
    assert modes["naive"]["pages"] == PAGES
    assert modes["recrawl"]["pages"] == 0, "an unchanged mirror: no article fetched again"
    assert modes["recrawl"]["articles"] == 0
    assert set(report["ratios"]) >= {"extraction bound", "naive peer", "full / inline"}
    assert all(value > 0 for value in report["ratios"].values())


def test_dedupe_lookups_use_indexes(run: tuple[dict[str, Any], Path]) -> None:
    _report, workdir = run
    plans = dedupe_query_plans(f"sqlite:///{workdir / 'main' / 'full.db'}")
    assert {plan.lookup for plan in plans} >= {"known_articles", "KnownArticles.read",
                                               "StoryIndex.read"}
    assert [plan for plan in plans if plan.scans] == []


def test_the_plan_check_flags_a_scan(run: tuple[dict[str, Any], Path]) -> None:
    _report, workdir = run

    def by_title(store: Store) -> None:  # titles are not indexed
        with store.reading() as session:
            session.scalar(select(ArticleRecord.id).where(ArticleRecord.title == "x"))

    with Store(f"sqlite:///{workdir / 'main' / 'full.db'}") as store:
        plans = explain(store, "by_title", by_title)
    assert plans and plans[0].scans == ["SCAN articles"]


def test_generated_pages_are_heavy_distinct_articles(tmp_path: Path) -> None:
    mirror = generate(tmp_path, pages=8, sources=2, seed=3)
    sizes = [path.stat().st_size for _url, path in mirror.articles]
    assert all(50 * 1024 <= size <= 205 * 1024 for size in sizes)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    articles = [extract_article(path.read_text("utf-8"), url, now=now)
                for url, path in mirror.articles]
    assert all(article is not None and article.author and article.published_at
               for article in articles)
    prints = [fingerprint(story_text(article), permutations=192, shingle_words=4,
                          band_rows=3).signature for article in articles if article]
    assert max(similarity(a, b) for a, b in itertools.combinations(prints, 2)) < 0.2
    again = generate(tmp_path / "again", pages=8, sources=2, seed=3)
    assert [path.read_bytes() for _u, path in again.articles] == \
        [path.read_bytes() for _u, path in mirror.articles]


def test_rounds_report_each_modes_median_run_and_the_median_ratios() -> None:
    def run_of(mode: str, wall: float) -> Figures:
        return Figures(mode, 100, 100, wall, wall, 1.0, 1.0)

    rounds = [[run_of("full", 10.0), run_of("inline", 20.0)],
              [run_of("full", 30.0), run_of("inline", 25.0)],
              [run_of("full", 20.0), run_of("inline", 40.0)]]
    assert [figures.wall for figures in median_round(rounds)] == [20.0, 25.0]
    by_round = [{"full / inline": 2.0}, {"full / inline": 0.8}, {"full / inline": 1.5}]
    assert median_ratios(by_round) == {"full / inline": 1.5}
