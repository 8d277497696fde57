"""The Store's side of incremental crawling: known URLs, revisits due, versions of edits
(on SQLite, and on PostgreSQL when TNMT_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import test_storage
from test_storage import PUBLISHED, add, make_article

from crawler.article import content_hash
from crawler.storage import LOOKUP_BATCH, Store, now_utc

URL = "https://baotainguyenmoitruong.vn/binh-duong-296814.html"
store = test_storage.store  # the fixture: SQLite, and PostgreSQL when configured
EDITED = "Ngày 10/01, Sở TN&MT Bình Dương tổ chức hội nghị tổng kết, có sửa số liệu."


def test_known_articles_finds_urls_and_aliases_past_one_batch(store: Store) -> None:
    article_id = store.add_article(make_article(URL), source_id="bonnmt", content_hash="h1",
                                   run_id=None, aliases=[URL + "?utm_source=x"])
    unknown = [f"https://example.vn/{n}.html" for n in range(LOOKUP_BATCH + 10)]
    found = store.known_articles([*unknown, URL, URL + "?utm_source=x"])
    assert found == {URL: article_id, URL + "?utm_source=x": article_id}


def test_an_edit_becomes_a_version_and_an_unchanged_body_only_a_check(store: Store) -> None:
    article_id = add(store, make_article(URL))
    assert article_id is not None
    later = now_utc()
    unchanged = make_article(URL)
    assert store.record_revision(article_id, unchanged, content_hash(unchanged),
                                 later) is False
    assert store.versions(article_id) == []
    edited = make_article(URL, body=EDITED, title="Bình Dương: nhiệm vụ ngành TN&MT 2020")
    assert store.record_revision(article_id, edited, content_hash(edited), later) is True
    versions = store.versions(article_id)
    assert [(v.version, v.body.split("\n")[0]) for v in versions] == \
        [(1, make_article(URL).paragraphs[0]), (2, EDITED)]
    row = store.get_article(article_id)
    assert row is not None
    assert (row.title, row.body.split("\n")[0], row.version_count) == (edited.title, EDITED, 2)
    again = replace(edited, paragraphs=("Lần sửa thứ hai của bài viết.",))
    assert store.record_revision(article_id, again, content_hash(again), later) is True
    assert [v.version for v in store.versions(article_id)] == [1, 2, 3]


def test_a_body_that_is_another_articles_is_not_an_edit(store: Store) -> None:
    first = add(store, make_article(URL))
    other = make_article(URL + "?khac", body=EDITED)
    add(store, other)
    assert first is not None
    assert store.record_revision(first, other, content_hash(other), now_utc()) is False
    assert store.versions(first) == []


def test_young_articles_are_due_until_checked(store: Store) -> None:
    article_id = add(store, make_article(URL))
    assert article_id is not None
    now = now_utc()
    young = {"max_age": now - PUBLISHED + timedelta(days=1), "limit": 10}
    assert store.due_for_revisit("bonnmt", now=now + timedelta(hours=7),
                                 interval=timedelta(hours=6), **young) == [(article_id, URL)]
    assert store.due_for_revisit("bonnmt", now=now, interval=timedelta(hours=6), **young) == []
    assert store.due_for_revisit("bonnmt", now=now, interval=timedelta(0),
                                 max_age=timedelta(days=7), limit=10) == []  # published 2020
    store.mark_checked(article_id, now + timedelta(hours=7))
    assert store.due_for_revisit("bonnmt", now=now + timedelta(hours=8),
                                 interval=timedelta(hours=6), **young) == []

