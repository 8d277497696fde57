"""The Vietnamese gold set: pages in the markup of the platforms our sources run on.

tests/resources/gold/<platform>/<name>.html is a page we wrote in that platform's markup
(its menus, breadcrumbs, share bars, related-news boxes, ad labels, footers and date-line
style) around an article we wrote; <name>.json is the article it holds. extract_article runs
on its generic path (no registry selectors), as for a source nobody has configured yet.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from crawler.article import normalise_text
from crawler.dates import VN_TZ
from crawler.extraction import extract_article
from crawler.textmetrics import score_page

GOLD = Path(__file__).parent / "resources" / "gold"
PAGES = sorted(GOLD.glob("*/*.json"))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)
MIN_BODY_F1 = 0.98


def test_the_gold_set_covers_thirty_pages_on_every_kind_of_platform() -> None:
    platforms = {path.parent.name for path in PAGES}
    assert len(PAGES) >= 30
    assert {"nukeviet", "dnn", "sharepoint", "liferay", "onecms", "baohatinh"} <= platforms


@pytest.mark.parametrize("path", PAGES, ids=[f"{p.parent.name}/{p.stem[:40]}" for p in PAGES])
def test_gold_page_gives_its_article(path: Path) -> None:
    expected = json.loads(path.read_text("utf-8"))
    html = path.with_suffix(".html").read_text("utf-8")
    article = extract_article(html, expected["url"], source=None, now=NOW)
    assert article is not None
    assert article.title == normalise_text(expected["title"])
    assert article.published_iso() == expected["published_at"]
    assert article.author == expected["author"]
    lead = normalise_text(expected["lead"])
    assert article.lead in (lead, ""), "a lead, when found, is the page's sapo"
    body = [normalise_text(paragraph) for paragraph in expected["body"]]
    assert body[0] in article.paragraphs and body[-1] in article.paragraphs
    text = article.text
    assert lead in text
    leftovers = [line for line in expected["must_not_contain"] if normalise_text(line) in text]
    assert leftovers == []
    score = score_page("\n".join([lead, *body]), text)
    assert score.f1 >= MIN_BODY_F1, f"body F1 {score.f1:.3f}"
