"""The monitor end to end: the real `tnmt daemon --alerts` on a seconds-level schedule over a
site whose content changes between runs (its listing page fails, then recovers with a new
article and an edited one), alerting a JSON webhook and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from receivers import SmtpReceiver, WebhookReceiver
from test_alerts_crawl import PLANTED, plant, planted_page
from test_daemon import article_url, running_daemon, runs_of, stored_urls, wait_for
from test_spider import HOST, Site, listing_page

from conftest import run_tnmt
from crawler.alerts import outbox_counts
from crawler.mirror import MirrorServer
from crawler.storage import Store

HEALTH_RULE = "suc-khoe"
ARTICLE_RULE = "dat-dai"  # its keywords are in articles 1, 2 and 4, not in 3
EDIT = "Diện tích thu hồi được điều chỉnh theo ý kiến của người dân."
PATIENCE = 60  # seconds for each step: a crawl child takes 4 s here, 10 s or more under load
MONITOR = {"TNMT_DAEMON_MAX_CRAWLS": "1", "TNMT_HEALTH_FAILING_RUNS": "1",
           # every stored article is young enough to be fetched again on every run
           "TNMT_REVISIT_MAX_AGE_DAYS": "100000", "TNMT_REVISIT_INTERVAL_HOURS": "0"}


def write_rules(path: Path, hook: WebhookReceiver, smtp: SmtpReceiver) -> Path:
    """A keyword rule and a health rule (failing, and the recovery), each to both receivers."""
    notify = f'notify = ["{hook.url}", "{smtp.url}"]\n'
    path.write_text(f'[[articles]]\nname = "{ARTICLE_RULE}"\n'
                    f'keywords = ["khoáng sản", "thu hồi đất"]\n{notify}'
                    f'[[health]]\nname = "{HEALTH_RULE}"\nstates = ["failing", "ok"]\n{notify}',
                    encoding="utf-8")
    return path


def health_states(hook: WebhookReceiver) -> list[str]:
    """The health states the webhook was told of, in order."""
    return [alert["state"] for alert in hook.alerts() if alert["kind"] == "health"]


def finished_totals(store: Store) -> tuple[int, int]:
    """New and updated articles, summed over the finished runs."""
    finished = [run for run in runs_of(store) if run.status != "running"]
    return sum(run.new for run in finished), sum(run.updated for run in finished)


def versions_of(store: Store, number: int) -> int:
    article = next(a for a in store.articles() if a.url == article_url(number))
    return len(store.versions(article.id))


def test_the_daemon_monitors_a_changing_site_and_alerts_each_change_once(
        tmp_path: Path, smtp: SmtpReceiver) -> None:
    site = Site(tmp_path)
    store, log = Store(site.db), tmp_path / "daemon.log"
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    plant(site, [1, 2, 3])
    site.write("tin-tuc/index.html.status", "500")  # the listing page is broken at first
    smtp.start()
    with WebhookReceiver() as hook, MirrorServer(site.sites) as server:
        rules = write_rules(tmp_path / "alerts.toml", hook, smtp)
        with running_daemon(site, server.address, log, ("--alerts", str(rules)),
                            **MONITOR) as daemon:
            wait_for(lambda: any(run.status == "failed" for run in runs_of(store)),
                     "a failed run while the listing answers 500", log, PATIENCE)
            (site.files / "tin-tuc/index.html.status").unlink()  # it recovers
            wait_for(lambda: len(stored_urls(store)) == 3, "the recovery storing 3 articles",
                     log, PATIENCE)
            # Article 2 is edited, and a new article 4 is listed on top.
            site.write("tin/bai-2.html", planted_page(2).replace("</article>",
                                                                 f"<p>{EDIT}</p></article>"))
            site.write("tin/bai-4.html", planted_page(4))
            site.write("tin-tuc/index.html", listing_page([f"/tin/bai-{n}.html"
                                                           for n in (4, 1, 2, 3)]))
            wait_for(lambda: len(stored_urls(store)) == 4 and versions_of(store, 2) == 2,
                     "article 4 and the edit of article 2", log, PATIENCE)
            wait_for(lambda: finished_totals(store) == (4, 1),
                     "the run that found them to finish (and alert)", log, PATIENCE)
            took = daemon.stop()
    assert took < 1 + 2 + 3, f"exit took {took:.1f} s: grace 1 s + stop timeout 2 s"

    # Each article stored once; the edit is a version that `tnmt articles history` shows.
    assert stored_urls(store) == [article_url(n) for n in (1, 2, 3, 4)]
    assert [versions_of(store, n) for n in (1, 2, 3, 4)] == [0, 2, 0, 0]
    edited = next(a for a in store.articles() if a.url == article_url(2))
    history = run_tnmt("articles", "history", str(edited.id), "--db", site.db, check=True)
    assert "2 versions" in history.stdout and f"+{EDIT}" in history.stdout

    # The failed run(s), the recovery and the update, in crawl_runs and `tnmt runs`/`status`.
    runs = runs_of(store)
    recovery = next(i for i, run in enumerate(runs) if run.status != "failed")
    assert recovery > 0 and all(run.messages.startswith(f"HTTP 500 at https://{HOST}/tin-tuc/")
                                for run in runs[:recovery])
    assert (runs[recovery].status, runs[recovery].new, runs[recovery].updated) == ("ok", 3, 0)
    later = runs[recovery + 1:]  # the last one may have been stopped by the SIGTERM
    assert {run.status for run in later[:-1]} <= {"ok"} and later[-1].status in {
        "ok", "interrupted"}
    assert (sum(run.new for run in later), sum(run.updated for run in later)) == (1, 1)
    table = run_tnmt("runs", "--db", site.db, "--source", "snnmt_thu", "--limit", "100",
                     check=True).stdout
    assert "failed" in table and "HTTP 500 at" in table
    status = run_tnmt("status", "--db", site.db, "--sources", str(site.sources), "--no-builtin",
                      "--format", "json", "-s", "TNMT_HEALTH_FAILING_RUNS=1", check=True)
    [health] = json.loads(status.stdout)
    assert (health["state"], health["failure_streak"]) == ("ok", 0)

    # Each alert once per destination: the three matching articles, failing (after the first
    # failed run: TNMT_HEALTH_FAILING_RUNS=1), recovered.
    titles = [PLANTED[n][0] for n in (1, 2, 4)]
    assert Counter(alert.get("title") or alert["state"] for alert in hook.alerts()) == \
        dict.fromkeys([*titles, "failing", "ok"], 1)
    assert health_states(hook) == ["failing", "ok"]
    failing = next(alert for alert in hook.alerts() if alert.get("state") == "failing")
    assert datetime.fromisoformat(failing["changed_at"]) < runs[1].started_at.replace(tzinfo=UTC)
    assert smtp.subjects() == {**{f"[tnmt] {ARTICLE_RULE}: {title}": 1 for title in titles},
                               f"[tnmt] {HEALTH_RULE}: snnmt_thu is failing": 1,
                               f"[tnmt] {HEALTH_RULE}: snnmt_thu is ok": 1}
    assert outbox_counts(store) == {"pending": 0, "sent": 10, "failed": 0}
