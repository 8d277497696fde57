"""Alert rules, matching, the outbox and delivery, on a real SQLite file with real receivers
on 127.0.0.1 (a JSON webhook and an SMTP server)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from receivers import SmtpReceiver, WebhookReceiver

from conftest import at_once, empty_store, run_tnmt
from crawler.alert_rules import AlertRules, AlertRulesError, load_rules
from crawler.alerts import (
    Retry,
    claim,
    deliver_pending,
    due_alerts,
    outbox,
    queue_article_alerts,
    queue_health_alerts,
)
from crawler.article import Article, content_hash
from crawler.registry import load_registry
from crawler.storage import Store

EXAMPLE = Path(__file__).parents[1] / "docs" / "alerts.example.toml"
NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
FILLER = ("Sở Nông nghiệp và Môi trường tỉnh đã tổ chức kiểm tra công tác bảo vệ môi trường "
          "tại các khu công nghiệp và yêu cầu báo cáo kết quả quan trắc định kỳ.")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file, and on PostgreSQL when TNMT_TEST_POSTGRES_URL is set."""
    store = with_sources(empty_store(request.param, tmp_path))
    yield store
    store.close()


def with_sources(store: Store) -> Store:
    registry = load_registry()
    store.sync_sources([registry[s] for s in ("baohatinh", "baodanang",
                                              "baotainguyenmoitruong")])
    return store


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def add(store: Store, source_id: str, number: int, title: str, body: str = "") -> int:
    article = Article(url=f"https://example.vn/{source_id}/{number}.htm", title=title,
                      lead=f"Tin {number}.", paragraphs=(f"Bài {number}. {body}", FILLER),
                      published_at=NOW, published_has_time=True)
    stored = store.add_article(article, source_id=source_id, content_hash=content_hash(article),
                               run_id=None)
    assert stored is not None
    return stored


def rules(**tables: list[dict]) -> AlertRules:
    return AlertRules.model_validate(tables)


def test_example_rules_file_loads() -> None:
    loaded = load_rules(EXAMPLE)
    assert [rule.name for rule in loaded.articles] and [rule.name for rule in loaded.health]


def test_keywords_match_vietnamese_text_normalised_case_folded_whole_words(
        store: Store, hook: WebhookReceiver) -> None:
    nfd = unicodedata.normalize("NFD", "Thu hồi đất làm dự án")
    ids = [add(store, "baohatinh", 1, "XỬ LÝ KHAI THÁC KHOÁNG SẢN TRÁI PHÉP"),
           add(store, "baohatinh", 2, "Người dân kiến nghị", body=nfd),
           add(store, "baohatinh", 3, "Lớp phủ mỏng trên mặt đường mới làm"),
           add(store, "baohatinh", 4, "Hội nghị tổng kết năm")]
    keyword_rule = {"name": "dat-dai", "keywords": ["khoáng sản", "thu hồi đất", "mỏ"],
                    "notify": [hook.url]}
    assert queue_article_alerts(store, rules(articles=[keyword_rule]), ids, NOW) == 2
    deliver_pending(store, NOW)
    matched = {alert["url"].rsplit("/", 1)[1]: alert["keywords"] for alert in hook.alerts()}
    assert matched == {"1.htm": ["khoáng sản"], "2.htm": ["thu hồi đất"]}


def test_source_province_and_status_filters(store: Store, hook: WebhookReceiver) -> None:
    ids = [add(store, source, n, "Ô nhiễm môi trường tại khu dân cư")
           for n, source in enumerate(("baohatinh", "baodanang", "baotainguyenmoitruong"))]
    base = {"keywords": ["ô nhiễm"], "notify": [hook.url]}
    filtered = rules(articles=[base | {"name": "ha-tinh", "provinces": ["hà tĩnh"]},
                               base | {"name": "da-nang", "sources": ["baodanang"]},
                               base | {"name": "renamed", "statuses": ["renamed"]}])
    assert queue_article_alerts(store, filtered, ids, NOW) == 3
    deliver_pending(store, NOW)
    assert sorted((a["rule"], a["source"]) for a in hook.alerts()) == [
        ("da-nang", "baodanang"), ("ha-tinh", "baohatinh"),
        ("renamed", "baotainguyenmoitruong")]


def test_an_alert_is_queued_once_per_rule_article_and_destination(store: Store) -> None:
    article_id = add(store, "baohatinh", 1, "Khai thác khoáng sản trái phép")
    two = rules(articles=[{"name": "ks", "keywords": ["khoáng sản"],
                           "notify": ["json://127.0.0.1:9/a", "json://127.0.0.1:9/b"]}])
    assert queue_article_alerts(store, two, [article_id], NOW) == 2
    assert queue_article_alerts(store, two, [article_id], NOW) == 0
    assert len(outbox(store)) == 2


def test_health_rules_alert_on_changes_only(store: Store, hook: WebhookReceiver) -> None:
    watch = rules(health=[{"name": "watch", "notify": [hook.url]},
                          {"name": "stale", "states": ["stale"], "notify": [hook.url],
                           "sources": ["baodanang"]}])
    sequence = [{"baohatinh": "ok", "baodanang": "stale"},
                {"baohatinh": "failing", "baodanang": "ok"},  # stale -> ok: no recovery
                {"baohatinh": "failing", "baodanang": "layout-changed"},
                {"baohatinh": "ok", "baodanang": "layout-changed"},
                {"baohatinh": "failing", "baodanang": "ok"}]
    queued = [queue_health_alerts(store, watch, states, NOW + timedelta(hours=hour))
              for hour, states in enumerate(sequence)]
    assert queued == [1, 1, 1, 1, 2]
    deliver_pending(store, NOW + timedelta(days=1))
    assert [(a["rule"], a["source"], a["previous"], a["state"]) for a in hook.alerts()] == [
        ("stale", "baodanang", "ok", "stale"),
        ("watch", "baohatinh", "ok", "failing"),
        ("watch", "baodanang", "ok", "layout-changed"),
        ("watch", "baohatinh", "failing", "ok"),
        ("watch", "baodanang", "layout-changed", "ok"),
        ("watch", "baohatinh", "ok", "failing")]


def test_unknown_health_state_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="baohatinh: unknown health state 'broken'"):
        queue_health_alerts(store, rules(), {"baohatinh": "broken"}, NOW)


def test_failed_delivery_is_retried_after_backoff_and_sent_once(store: Store) -> None:
    # The SMTP server is not started yet: the first attempt finds nobody listening.
    with SmtpReceiver() as smtp, WebhookReceiver(status=500) as hook:
        article_id = add(store, "baohatinh", 1, "Thu hồi đất dự án khu đô thị mới")
        both = rules(articles=[{"name": "dat", "keywords": ["thu hồi đất"],
                                "notify": [hook.url, smtp.url]}])
        queue_article_alerts(store, both, [article_id], NOW)
        first = deliver_pending(store, NOW)
        assert [(d.status, d.attempts) for d in first] == [("pending", 1), ("pending", 1)]
        assert "error=500" in first[0].error and "127.0.0.1" in first[1].error
        assert [row.next_attempt_at for row in outbox(store)] == [NOW + timedelta(seconds=60)] * 2

        hook.status = 200
        smtp.start()
        assert deliver_pending(store, NOW + timedelta(seconds=59)) == []  # backing off
        second = deliver_pending(store, NOW + timedelta(seconds=61))
        assert [(d.status, d.attempts) for d in second] == [("sent", 2), ("sent", 2)]
        assert deliver_pending(store, NOW + timedelta(days=30)) == []
    assert len(hook.refused) == 1 and [a["title"] for a in hook.alerts()] == [
        "Thu hồi đất dự án khu đô thị mới"]
    assert smtp.subjects() == {"[tnmt] dat: Thu hồi đất dự án khu đô thị mới": 1}
    mail = smtp.messages[0].get_body(("plain",))
    assert mail is not None and "Keywords: thu hồi đất" in mail.get_content()
    assert {row.status for row in outbox(store)} == {"sent"}


def test_backoff_doubles_and_gives_up_after_the_last_attempt(store: Store) -> None:
    article_id = add(store, "baohatinh", 1, "Khoáng sản")
    queue_article_alerts(store, rules(articles=[{"name": "ks", "keywords": ["khoáng sản"],
                                                 "notify": ["json://127.0.0.1:9/x"]}]),
                         [article_id], NOW)
    retry = Retry(timedelta(seconds=10), timedelta(seconds=25), attempts=4)
    now, waits = NOW, []
    while deliveries := deliver_pending(store, now, retry):
        [row] = outbox(store)
        waits.append((row.next_attempt_at - now).seconds)
        now = row.next_attempt_at
    assert waits == [10, 20, 25, 25]
    [row] = outbox(store)
    assert (row.status, row.attempts, deliveries) == ("failed", 4, [])
    assert "Connection error" in row.last_error


def test_a_row_claimed_by_another_deliverer_is_not_sent_again(store: Store) -> None:
    article_id = add(store, "baohatinh", 1, "Khoáng sản")
    queue_article_alerts(store, rules(articles=[{"name": "ks", "keywords": ["khoáng sản"],
                                                 "notify": ["json://127.0.0.1:9/x"]}]),
                         [article_id], NOW)
    [row] = due_alerts(store, NOW)
    assert claim(store, row, NOW, Retry(timedelta(seconds=1), timedelta(seconds=1), 3))
    assert not claim(store, row, NOW, Retry(timedelta(seconds=1), timedelta(seconds=1), 3))


@pytest.mark.parametrize(("text", "error"), [
    ('[[articles]]\nname = "a"\nkeywords = ["x"]\nnotify = ["json://h/", "nosuch://x"]\n',
     "articles.0.notify.1: Value error, not a destination URL Apprise understands: "
     "'nosuch://…'"),
    ('[[health]]\nname = "h"\nstates = ["down"]\nnotify = ["json://h/"]\n',
     "health.0.states.0: Input should be 'ok', 'stale', 'failing' or 'layout-changed'"),
    ('[[articles]]\nname = "a"\nkeywords = []\nnotify = ["json://h/"]\n',
     "articles.0.keywords: Tuple should have at least 1 item after validation, not 0"),
    ('[[articles]]\nname = "a"\nkeywords = ["x"]\nnotify = ["json://h/"]\n'
     '[[health]]\nname = "a"\nnotify = ["json://h/"]\n',
     "(entry): Value error, rule names must be unique: a"),
    ('[[article]]\nname = "a"\n', "article: Extra inputs are not permitted"),
    ("[[articles]\n", "not valid TOML: "),
    ('[[health]]\nname = "h"\nsources = ["baohatinh", "bao_khong_co"]\nnotify = ["json://h/"]\n',
     "health.0.sources.1: Value error, unknown source 'bao_khong_co' (see `tnmt sources list`)"),
], ids=["destination", "state", "no-keywords", "names", "table", "toml", "source"])
def test_a_bad_rules_file_gives_one_line_naming_file_and_field(
        tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AlertRulesError) as raised:
        load_rules(path, load_registry())
    assert str(raised.value).startswith(f"{path}: {error}")


@pytest.mark.parametrize("named_by", ["environment", "setting"])
def test_crawl_refuses_a_bad_rules_file_before_touching_the_database(
        tmp_path: Path, named_by: str) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text('[[health]]\nname = "h"\nnotify = ["json://h/"]\nstates = "failing"\n',
                    encoding="utf-8")
    command = ["crawl", "baohatinh", "--db", str(tmp_path / "t.db")]
    if named_by == "setting":
        result = run_tnmt(*command, "--set", f"TNMT_ALERTS_FILE={path}")
    else:
        result = run_tnmt(*command, env={"TNMT_ALERTS_FILE": str(path)})
    assert (result.returncode, result.stderr.splitlines()) == (
        1, [f"error: {path}: health.0.states: Input should be a valid tuple"])
    assert not (tmp_path / "t.db").exists()


def test_alerts_deliver_since_catches_up_on_stored_articles(
        hook: WebhookReceiver, tmp_path: Path) -> None:
    store = with_sources(empty_store("sqlite", tmp_path))
    add(store, "baohatinh", 1, "Khai thác khoáng sản trái phép")
    path = tmp_path / "alerts.toml"
    path.write_text(f'[[articles]]\nname = "ks"\nkeywords = ["khoáng sản"]\n'
                    f'notify = ["{hook.url}"]\n', encoding="utf-8")
    command = ("alerts", "deliver", "--db", store.url, "--alerts", str(path), "--since")
    assert "alerts: 0 sent, 0 not delivered; outbox: 0 pending, 0 sent, 0 failed" in run_tnmt(
        *command, "2099-01-01", check=True).stdout
    assert "alerts: 1 sent, 0 not delivered; outbox: 0 pending, 1 sent, 0 failed" in run_tnmt(
        *command, "2000-01-01", check=True).stdout
    assert "alerts: 0 sent, 0 not delivered; outbox: 0 pending, 1 sent, 0 failed" in run_tnmt(
        *command, "2000-01-01", check=True).stdout
    assert [alert["title"] for alert in hook.alerts()] == ["Khai thác khoáng sản trái phép"]


def test_a_failing_destination_is_tried_once_per_pass(store: Store, hook: WebhookReceiver) -> None:
    ids = [add(store, "baohatinh", n, f"Khoáng sản, tin {n}") for n in (1, 2, 3)]
    queue_article_alerts(store, rules(articles=[{"name": "ks", "keywords": ["khoáng sản"],
                                                 "notify": ["json://127.0.0.1:9/x", hook.url]}]),
                         ids, NOW)
    deliveries = deliver_pending(store, NOW)
    assert Counter((d.destination.split("/")[2], d.status) for d in deliveries) == {
        ("127.0.0.1:9", "pending"): 1, (hook.url.split("/")[2], "sent"): 3}
    dead = [row for row in outbox(store) if row.destination.startswith("json://127.0.0.1:9/")]
    assert sorted(row.attempts for row in dead) == [0, 0, 1]
    assert {row.next_attempt_at for row in dead if row.attempts == 0} == {NOW}


def test_retry_policy_comes_from_settings_and_set_overrides() -> None:
    assert Retry.from_settings() == Retry(timedelta(minutes=1), timedelta(hours=6), 8)
    overridden = Retry.from_settings({"TNMT_ALERTS_RETRY_SECONDS": "5",
                                      "TNMT_ALERTS_MAX_ATTEMPTS": "3"})
    assert ([overridden.delay(n).seconds for n in (1, 2, 3)], overridden.attempts) == (
        [5, 10, 20], 3)


def test_two_writers_recording_one_health_change_at_once_queue_it_once(
        store: Store, hook: WebhookReceiver) -> None:
    watch = rules(health=[{"name": "watch", "notify": [hook.url]}])
    other = Store(store.url)  # its own engine and connections
    queued = at_once([partial(queue_health_alerts, writer, watch, {"baohatinh": "failing"}, NOW)
                      for writer in (store, other)])
    other.close()
    assert sorted(queued) == [0, 1]
    assert [row.event for row in outbox(store)] == ["health:baohatinh:1"]
