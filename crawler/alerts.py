"""Alerts: an outbox table, and delivery through Apprise.

Rules come from crawler/alert_rules.py: keyword rules match articles new in a crawl, health
rules a source's change of state. Each match is queued once per (rule, event, destination)
in the `alert_outbox` table, with the message rendered at queue time, and `deliver_pending`
sends what is due, retrying with exponential backoff. A row is claimed before it is sent, so
two deliverers never send it twice; a crash between sending and recording the success sends
it once more on the next delivery (at least once, never lost).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crawler import settings
from crawler.alert_rules import HEALTH_STATES, AlertRules, AlertRulesError, Rule, redacted
from crawler.health import DEFAULT_THRESHOLDS, Thresholds, source_health
from crawler.registry import Registry
from crawler.relevance import matched_keywords
from crawler.storage import (
    AlertHealthState,
    AlertOutbox,
    ArticleRecord,
    SourceRecord,
    Store,
    dialect_insert,
)

JSON_SCHEMES = ("json", "jsons")  # webhooks that get the alert as a JSON document


# --- messages ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """One alert as sent: a title, plain text (e-mail, chat) and JSON data (webhooks)."""

    title: str
    text: str
    data: dict[str, Any]

    @property
    def payload(self) -> str:
        return json.dumps(self.data, ensure_ascii=False)


def article_message(rule: str, article: ArticleRecord, source: SourceRecord,
                    keywords: list[str]) -> Message:
    """Return the alert for a new article that matched `keywords` of `rule`."""
    published = article.to_article().published_iso()
    data = {"kind": "article", "rule": rule, "title": article.title, "source": source.id,
            "source_name": source.name, "province": source.province,
            "published_at": published, "url": article.url, "keywords": keywords,
            "lead": article.lead}
    lines = [article.title, f"Source: {source.name} ({source.id}), {source.province}",
             f"Published: {published or 'no date'}", f"Keywords: {', '.join(keywords)}",
             article.url]
    if article.lead:
        lines += ["", article.lead]
    return Message(f"[tnmt] {rule}: {article.title}", "\n".join(lines), data)


def health_message(rule: str, source: SourceRecord, previous: str, state: str,
                   changed_at: datetime) -> Message:
    """Return the alert for a source whose health went from `previous` to `state`."""
    data = {"kind": "health", "rule": rule, "source": source.id, "source_name": source.name,
            "province": source.province, "state": state, "previous": previous,
            "changed_at": changed_at.isoformat(), "homepage": source.homepage}
    text = (f"{source.name} ({source.id}), {source.province}: {previous} → {state} "
            f"at {changed_at:%Y-%m-%d %H:%M} UTC\n{source.homepage}")
    return Message(f"[tnmt] {rule}: {source.id} is {state}", text, data)


def sample_message(rule: str) -> Message:
    """Return the made-up article alert `tnmt alerts test` sends."""
    source = SourceRecord(id="baohatinh", name="Báo Hà Tĩnh", province="Hà Tĩnh",
                          homepage="https://baohatinh.vn/")
    article = ArticleRecord(
        id=0, url="https://baohatinh.vn/thu-nghiem.htm", published_has_time=True,
        title="Thử nghiệm cảnh báo tnmt-monitor: xử lý khai thác khoáng sản trái phép",
        lead="Đây là tin mẫu do lệnh `tnmt alerts test` gửi để kiểm tra kênh nhận cảnh báo.",
        body="", published_at=datetime(2025, 3, 1, 1, 30, tzinfo=UTC))
    return article_message(rule, article, source, ["khoáng sản"])


def message_body(destination: str, text: str, payload: str) -> str:
    """Return what a destination gets: the JSON document for webhooks, else the text."""
    scheme = destination.partition("://")[0].lower()
    return payload if scheme in JSON_SCHEMES else text


# --- queueing -----------------------------------------------------------------------------------

def alert_after_runs(store: Store, rules: AlertRules, registry: Registry, since: datetime,
                     source_ids: Iterable[str], now: datetime, retry: Retry | None = None,
                     thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Delivery]:
    """Queue the alerts for what the runs of `source_ids` brought since `since` (articles
    first stored, changes of health by `thresholds`), then deliver what is due."""
    source_ids = list(source_ids)
    queue_article_alerts(store, rules, new_article_ids(store, since, source_ids), now)
    states = {health.source_id: health.state
              for health in source_health(store, registry, now, thresholds)
              if health.source_id in source_ids}
    queue_health_alerts(store, rules, states, now)
    return deliver_pending(store, now, retry or DEFAULT_RETRY)


def new_article_ids(store: Store, since: datetime,
                    source_ids: Iterable[str] | None = None) -> list[int]:
    """Return the ids of the articles (of `source_ids`, else of any source) first stored at
    or after `since`."""
    query = select(ArticleRecord.id).where(ArticleRecord.first_seen_at >= since)
    if source_ids is not None:
        query = query.where(ArticleRecord.source_id.in_(list(source_ids)))
    with store.reading() as session:
        return list(session.scalars(query.order_by(ArticleRecord.id)))


def queue_article_alerts(store: Store, rules: AlertRules, article_ids: Iterable[int],
                         now: datetime) -> int:
    """Queue one alert per (keyword rule, matching article, destination); return how many
    were new (an alert already queued is never queued again)."""
    every_keyword = list(dict.fromkeys(k for rule in rules.articles for k in rule.keywords))
    rows: list[dict[str, Any]] = []
    with store.reading() as session:
        articles = session.scalars(select(ArticleRecord)
                                   .where(ArticleRecord.id.in_(list(article_ids))))
        for article in articles:
            source = session.get(SourceRecord, article.source_id)
            found = set(matched_keywords(article.to_article(), every_keyword))
            for rule in rules.articles:
                keywords = [keyword for keyword in rule.keywords if keyword in found]
                if source is not None and keywords and rule.covers(source):
                    message = article_message(rule.name, article, source, keywords)
                    rows += outbox_rows(rule, f"article:{article.id}", source.id, message, now)
    with store.transaction() as session:
        return insert_new(session, rows)


def queue_health_alerts(store: Store, rules: AlertRules, states: Mapping[str, str],
                        now: datetime) -> int:
    """Record each source's health state and queue alerts for the changes the health rules
    ask for; return how many were new. A source first seen counts as coming from "ok"."""
    rows: list[dict[str, Any]] = []
    with store.transaction() as session:
        for source_id, state in sorted(states.items()):
            change = record_state(session, source_id, state, now)
            source = session.get(SourceRecord, source_id)
            if change is None or source is None:
                continue
            previous, number = change
            for rule in rules.health:
                if rule.fires(previous, state) and rule.covers(source):
                    message = health_message(rule.name, source, previous, state, now)
                    rows += outbox_rows(rule, f"health:{source_id}:{number}", source_id,
                                        message, now)
        return insert_new(session, rows)


def record_state(session: Session, source_id: str, state: str,
                 now: datetime) -> tuple[str, int] | None:
    """Store a source's state; return (previous state, change number) when it changed."""
    if state not in HEALTH_STATES:
        raise ValueError(f"source {source_id}: unknown health state {state!r}")
    # Insert-if-missing, then lock the row: concurrent writers number each change once.
    session.execute(dialect_insert(session, AlertHealthState).values(
        source_id=source_id, state="ok", changes=0, changed_at=now).on_conflict_do_nothing())
    notice = session.scalars(select(AlertHealthState).where(
        AlertHealthState.source_id == source_id).with_for_update()).one()
    if notice.state == state:
        return None
    previous = notice.state
    notice.state, notice.changes, notice.changed_at = state, notice.changes + 1, now
    return previous, notice.changes


def outbox_rows(rule: Rule, event: str, source_id: str, message: Message,
                now: datetime) -> list[dict[str, Any]]:
    """Return one outbox row per destination of `rule`."""
    return [{"rule": rule.name, "event": event, "destination": destination,
             "source_id": source_id, "title": message.title, "text": message.text,
             "payload": message.payload, "status": "pending", "attempts": 0, "next_attempt_at": now,
             "last_error": "", "created_at": now}
            for destination in rule.notify]


def insert_new(session: Session, rows: list[dict[str, Any]], chunk: int = 500) -> int:
    """Insert the outbox rows not queued yet; return how many were new."""
    added = 0
    for start in range(0, len(rows), chunk):
        statement = (dialect_insert(session, AlertOutbox).values(rows[start:start + chunk])
                     .on_conflict_do_nothing(index_elements=["rule", "event", "destination"])
                     .returning(AlertOutbox.id))  # only the rows inserted come back
        added += len(session.execute(statement).all())
    return added


# --- delivery -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Retry:
    """When to try a failed delivery again, and when to give up."""

    first: timedelta
    longest: timedelta
    attempts: int

    @classmethod
    def from_settings(cls, overrides: Mapping[str, Any] | None = None) -> Retry:
        """Return the policy of crawler/settings.py, with `--set` overrides applied."""
        def value(name: str) -> int:
            return int((overrides or {}).get(name, getattr(settings, name)))

        return cls(timedelta(seconds=value("TNMT_ALERTS_RETRY_SECONDS")),
                   timedelta(seconds=value("TNMT_ALERTS_RETRY_MAX_SECONDS")),
                   value("TNMT_ALERTS_MAX_ATTEMPTS"))

    def delay(self, attempt: int) -> timedelta:
        """Return the wait after failed attempt number `attempt` (1, 2, 4… times `first`)."""
        return min(self.first * 2 ** (attempt - 1), self.longest)


DEFAULT_RETRY = Retry.from_settings()


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt of one queued alert did."""

    id: int
    rule: str
    destination: str  # redacted
    status: str  # sent, pending (will be retried) or failed (given up)
    attempts: int
    error: str


def deliver_pending(store: Store, now: datetime,
                    retry: Retry = DEFAULT_RETRY) -> list[Delivery]:
    """Send every queued alert that is due at `now`; return what each attempt did.

    A destination that fails is not tried again in the same pass: its other alerts wait for
    the next one, so a dead server costs one timeout, not one per alert."""
    deliveries: list[Delivery] = []
    failing: set[str] = set()
    for row in due_alerts(store, now):
        if row.destination not in failing and claim(store, row, now, retry):
            error = send(row.destination, row.title,
                         message_body(row.destination, row.text, row.payload))
            deliveries.append(record_attempt(store, row, error, now, retry))
            if error is not None:
                failing.add(row.destination)
    return deliveries


def due_alerts(store: Store, now: datetime) -> list[AlertOutbox]:
    with store.reading() as session:
        return list(session.scalars(
            select(AlertOutbox).where(AlertOutbox.status == "pending",
                                      AlertOutbox.next_attempt_at <= now)
            .order_by(AlertOutbox.id)))


def claim(store: Store, row: AlertOutbox, now: datetime, retry: Retry) -> bool:
    """Count the attempt and push the next one back before sending; False when another
    deliverer claimed the row first."""
    attempt = row.attempts + 1
    with store.transaction() as session:
        result = session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.id == row.id, AlertOutbox.status == "pending",
                   AlertOutbox.attempts == row.attempts)
            .values(attempts=attempt, next_attempt_at=now + retry.delay(attempt)))
        return result.rowcount == 1  # type: ignore[attr-defined]


def record_attempt(store: Store, row: AlertOutbox, error: str | None, now: datetime,
                   retry: Retry) -> Delivery:
    """Record a claimed attempt's outcome: sent, pending for a retry, or failed for good."""
    attempts = row.attempts + 1
    status = "sent" if error is None else "failed" if attempts >= retry.attempts else "pending"
    with store.transaction() as session:
        session.execute(update(AlertOutbox).where(AlertOutbox.id == row.id).values(
            status=status, last_error=(error or "")[:2000],
            sent_at=now if error is None else None))
    return Delivery(row.id, row.rule, redacted(row.destination), status, attempts, error or "")


def send(destination: str, title: str, body: str) -> str | None:
    """Send one message through Apprise; return None when delivered, else why not."""
    import apprise  # here: loading its plugins costs every `tnmt` start, alerts or not

    notifier = apprise.Apprise()
    if not notifier.add(destination):
        return "not a destination URL Apprise understands"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        delivered = notifier.notify(body=body, title=title,
                                    body_format=apprise.NotifyFormat.TEXT)
    if delivered:
        return None
    lines = [line.strip() for line in log.getvalue().splitlines() if line.strip()]
    return without_secrets(lines[-1], destination) if lines else "not delivered"


def without_secrets(text: str, destination: str) -> str:
    """Mask in `text` every secret-looking part of the destination URL (user, password, path
    segments, query values), so an error message stored or printed never carries a token."""
    parts = urlsplit(destination)
    # The netloc's pieces too: a bot token sits where a port would (tgram://BOT:TOKEN/CHAT).
    secrets = {*re.split(r"[:@]", parts.netloc), *parts.path.split("/"),
               *(value for _name, value in parse_qsl(parts.query))} - {parts.hostname}
    for secret in sorted((part for part in secrets if part and len(part) >= 6), key=len,
                         reverse=True):
        text = text.replace(secret, "…")
    return text


def send_samples(rules: AlertRules, names: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """Send the sample alert to every destination of the named rules (all when none);
    return (rule, redacted destination, error or "") for each."""
    names = set(names)
    if unknown := names - {rule.name for rule in rules.all()}:
        raise AlertRulesError(f"unknown rule: {', '.join(sorted(unknown))}")
    results = []
    for rule in rules.all():
        if names and rule.name not in names:
            continue
        message = sample_message(rule.name)
        for destination in rule.notify:
            error = send(destination, message.title,
                         message_body(destination, message.text, message.payload))
            results.append((rule.name, redacted(destination), error or ""))
    return results


def outbox_counts(store: Store) -> dict[str, int]:
    """Return how many queued alerts are pending, sent and failed."""
    with store.reading() as session:
        counted = session.execute(select(AlertOutbox.status, func.count())
                                  .group_by(AlertOutbox.status))
        return {"pending": 0, "sent": 0, "failed": 0} | {status: n for status, n in counted}


def outbox(store: Store, status: str | None = None, limit: int | None = 50) -> list[AlertOutbox]:
    """Return queued alerts, newest first, optionally only those with `status`."""
    query = select(AlertOutbox).order_by(AlertOutbox.id.desc()).limit(limit)
    if status:
        query = query.where(AlertOutbox.status == status)
    with store.reading() as session:
        return list(session.scalars(query))
