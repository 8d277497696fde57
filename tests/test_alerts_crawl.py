"""Alerts end to end: `tnmt crawl --alerts` over a site served on 127.0.0.1, delivered to a
JSON webhook and an SMTP server running inside the test; `tnmt alerts test` and `list`."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from receivers import SmtpReceiver, WebhookReceiver
from test_spider import HOST, PARAGRAPH, Site, listing_page

from conftest import run_tnmt
from crawler.alerts import deliver_pending
from crawler.mirror import MirrorServer
from crawler.storage import Store, now_utc

# The planted articles: number -> (title, a sentence of the body).
PLANTED = {
    1: ("Xử lý nghiêm KHAI THÁC KHOÁNG SẢN trái phép trên sông", "Đoàn kiểm tra lập biên bản."),
    2: ("Người dân kiến nghị về bồi thường", "Tỉnh công bố quyết định thu hồi đất làm đường."),
    3: ("Hội nghị tổng kết công tác năm", "Các đơn vị báo cáo kết quả thực hiện nhiệm vụ."),
    4: ("Phát hiện điểm khai thác khoáng sản mới", "Lực lượng chức năng đã có mặt."),
}


def planted_page(number: int) -> str:
    title, sentence = PLANTED[number]
    return (f"<html><head><meta charset='utf-8'></head><body><article><h1>{title}</h1>"
            f"<p class='date'>08:30, 0{number}/03/2025</p><p>{sentence} {PARAGRAPH}</p>"
            f"<p>{PARAGRAPH}</p></article></body></html>")


def plant(site: Site, numbers: list[int]) -> None:
    site.write("tin-tuc/index.html", listing_page([f"/tin/bai-{n}.html" for n in numbers]))
    for number in numbers:
        site.write(f"tin/bai-{number}.html", planted_page(number))


def write_rules(path: Path, hook: WebhookReceiver, smtp: SmtpReceiver) -> Path:
    path.write_text(
        '[[articles]]\nname = "dat-dai"\nkeywords = ["khoáng sản", "thu hồi đất"]\n'
        f'provinces = ["hà tĩnh"]\nnotify = ["{hook.url}", "{smtp.url}"]\n'
        '[[articles]]\nname = "noi-khac"\nkeywords = ["khoáng sản"]\n'
        f'provinces = ["Cà Mau"]\nnotify = ["{hook.url}"]\n', encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def crawl(site: Site, rules: Path) -> str:
    """Crawl the planted site with the rules as `tnmt crawl --alerts`, a failed delivery
    backing off for an hour; return what the command printed."""
    with MirrorServer(site.sites) as server:
        result = run_tnmt("crawl", "snnmt_thu", "--sources", str(site.sources), "--db", site.db,
                          "--mirror", server.address, "--alerts", str(rules),
                          "--set", "TNMT_ALERTS_RETRY_SECONDS=3600")
    assert result.returncode == 0, result.stderr
    return result.stdout


def alert_rows(stdout: str) -> list[list[str]]:
    """The rows of the 'Alerts' table a command printed: id, rule, destination, status…"""
    table = stdout[stdout.index("Alerts"):]
    return [[cell.strip() for cell in line.split("│")[1:-1]]
            for line in table.splitlines() if line.startswith("│")]


def test_crawl_alerts_each_matching_article_once_per_destination(
        site: Site, smtp: SmtpReceiver, tmp_path: Path) -> None:
    with WebhookReceiver() as hook:
        rules = write_rules(tmp_path / "alerts.toml", hook, smtp)
        site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
        plant(site, [1, 2, 3])

        # First crawl: the SMTP server is not up yet, the webhook is. The first e-mail fails;
        # the second is not tried in the same pass.
        assert sorted((row[1], row[2].split(":")[0], row[3], row[4]) for row in
                      alert_rows(crawl(site, rules))) == [
            ("dat-dai", "json", "sent", "1"), ("dat-dai", "json", "sent", "1"),
            ("dat-dai", "mailto", "pending", "1")]

        # Second crawl: one new matching article, and the SMTP server is up: the new alert
        # goes out to both, with the e-mail not tried before; the failed one backs off.
        smtp.start()
        plant(site, [1, 2, 3, 4])
        assert sorted((row[2].split(":")[0], row[3], row[4]) for row in
                      alert_rows(crawl(site, rules))) == [
            ("json", "sent", "1"), ("mailto", "sent", "1"), ("mailto", "sent", "1")]

        # A third crawl finds nothing new and sends nothing.
        third = crawl(site, rules)
        assert alert_rows(third) == []
        assert "alerts: 0 sent, 0 not delivered; outbox: 1 pending, 5 sent, 0 failed" in third

        # Past the hour of backoff (not before), the e-mail that failed at first goes out.
        store = Store(site.db)
        assert deliver_pending(store, now_utc() + timedelta(minutes=50)) == []
        later = deliver_pending(store, now_utc() + timedelta(minutes=70))
        assert [(d.status, d.attempts) for d in later] == [("sent", 2)]
        assert store.count_articles() == 4

    titles = [PLANTED[n][0] for n in (1, 2, 4)]
    assert Counter(alert["title"] for alert in hook.alerts()) == dict.fromkeys(titles, 1)
    assert smtp.subjects() == {f"[tnmt] dat-dai: {title}": 1 for title in titles}
    first = next(a for a in hook.alerts() if a["title"] == PLANTED[1][0])
    assert first | {"url": "", "lead": ""} == {
        "kind": "article", "rule": "dat-dai", "title": PLANTED[1][0], "source": "snnmt_thu",
        "source_name": "Sở NN&MT thử", "province": "Hà Tĩnh",
        "published_at": "2025-03-01T08:30:00+07:00", "url": "", "keywords": ["khoáng sản"],
        "lead": ""}
    assert first["url"] == f"https://{HOST}/tin/bai-1.html"

    listed = run_tnmt("alerts", "list", "--db", site.db, check=True).stdout
    assert listed.count("│ sent ") == 6 and "pending" not in listed


def test_alerts_test_reaches_every_destination(smtp: SmtpReceiver, tmp_path: Path) -> None:
    smtp.start()
    with WebhookReceiver() as hook:
        rules = write_rules(tmp_path / "alerts.toml", hook, smtp)
        result = run_tnmt("alerts", "test", "--alerts", str(rules), "--rule", "dat-dai")
    assert result.returncode == 0, result.stderr
    assert [alert["rule"] for alert in hook.alerts()] == ["dat-dai"]
    assert list(smtp.subjects()) == [f"[tnmt] dat-dai: {hook.alerts()[0]['title']}"]
    assert result.stdout.count("│ sent ") == 2


def test_alerts_test_names_a_destination_that_fails(smtp: SmtpReceiver, tmp_path: Path) -> None:
    with WebhookReceiver(status=500) as hook:  # and the SMTP server is never started
        rules = write_rules(tmp_path / "alerts.toml", hook, smtp)
        result = run_tnmt("alerts", "test", "--alerts", str(rules))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: 3 of 3 destinations failed, first {hook.url} (rule dat-dai)"]
    assert "error=500" in result.stdout


def test_crawl_alerts_health_by_the_health_settings(site: Site, tmp_path: Path) -> None:
    with WebhookReceiver() as hook:
        rules = tmp_path / "alerts.toml"
        rules.write_text(f'[[health]]\nname = "hong"\nnotify = ["{hook.url}"]\n', "utf-8")
        site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
        plant(site, [3])
        site.write("tin-tuc/index.html.status", "500")
        with MirrorServer(site.sites) as server:
            result = run_tnmt("crawl", "snnmt_thu", "--sources", str(site.sources), "--db",
                              site.db, "--mirror", server.address, "--alerts", str(rules),
                              "--set", "TNMT_HEALTH_FAILING_RUNS=1")
    assert result.returncode == 1  # the crawl failed, and said so
    # One failed run is "failing" under TNMT_HEALTH_FAILING_RUNS=1 (not "stale", by default).
    assert [(a["source"], a["previous"], a["state"]) for a in hook.alerts()] == [
        ("snnmt_thu", "ok", "failing")]
