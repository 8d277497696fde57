"""The `tnmt` command line: crawl, browse, export, check sources, try a page, run the demo."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.table import Table

from crawler import settings
from crawler.alert_rules import AlertRules, AlertRulesError, configured_rules, redacted
from crawler.alerts import (
    Delivery,
    Retry,
    alert_new_articles,
    deliver_pending,
    new_article_ids,
    outbox,
    outbox_counts,
    queue_article_alerts,
    send_samples,
)
from crawler.crawl import CrawlResult, run_crawl
from crawler.dates import VN_TZ, parse_date
from crawler.export import EXPORTERS, article_record
from crawler.extraction import extract_article
from crawler.mirror import MirrorServer, mirrored_hosts
from crawler.registry import Registry, RegistryError, Source, load_registry, load_source
from crawler.storage import StorageError, Store, now_utc

F = TypeVar("F", bound=Callable[..., Any])
out = Console()
err = Console(stderr=True)

db_option = click.option(
    "--db", metavar="URL", envvar=settings.DB_URL_ENV, show_envvar=True,
    help=f"SQLAlchemy URL or SQLite file [default: {settings.DEFAULT_DB_PATH}]")
sources_option = click.option(
    "--sources", "source_dirs", metavar="DIR", multiple=True,
    type=click.Path(path_type=Path), help="Extra directory of source TOML files (repeatable).")
alerts_option = click.option(
    "--alerts", "alerts_file", metavar="FILE", envvar=settings.ALERTS_FILE_ENV, show_envvar=True,
    help=f"Alert rules file, see docs/ALERTS.md [default: {settings.DEFAULT_ALERTS_PATH} "
         "if it exists]")


def print_error(message: str) -> None:
    """Print one 'error: …' line on stderr, never wrapped."""
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print one 'error: …' line on stderr and exit with status 1."""
    print_error(message)
    sys.exit(1)


def fail_cleanly(command: F) -> F:
    """Turn our known errors into one 'error: …' line and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (RegistryError, StorageError, AlertRulesError) as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="tnmt-monitor")
def main() -> None:
    """tnmt-monitor: watch Vietnam's natural-resources-and-environment news."""


# --- crawling -------------------------------------------------------------------------------

@main.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE]...")
@db_option
@sources_option
@click.option("--mirror", metavar="HOST:PORT", default="",
              help="Send every request to an offline mirror served at HOST:PORT.")
@click.option("--set", "-s", "overrides", metavar="NAME=VALUE", multiple=True,
              callback=lambda _ctx, _param, values: parse_overrides(values),
              help="Override a setting of crawler/settings.py (repeatable).")
@alerts_option
@fail_cleanly
def crawl(source_ids: tuple[str, ...], db: str | None, source_dirs: tuple[Path, ...],
          mirror: str, overrides: dict[str, str], alerts_file: str | None) -> None:
    """Crawl the named sources (every enabled one when none is named)."""
    registry = load_registry(source_dirs)
    sources = registry.select(source_ids)
    rules = configured_rules(alerts_file, registry,
                             overrides.get("TNMT_ALERTS_FILE", settings.TNMT_ALERTS_FILE))
    store, started = Store(db), now_utc()
    results = run_crawl(sources, store, mirror_address=mirror, overrides=overrides,
                        console=err)
    print_summary(results)
    if rules is not None:
        print_deliveries(alert_new_articles(store, rules, started, [s.id for s in sources],
                                            now_utc(), Retry.from_settings(overrides)), store)
    exit_if_failed(results)


@main.command()
@db_option
@fail_cleanly
def demo(db: str | None) -> None:
    """Serve the bundled offline mirror on 127.0.0.1 and crawl it: no internet needed."""
    store = Store(db or str(settings.DEFAULT_DB_PATH.with_name("demo.db")))
    sources = mirror_sources(load_registry())
    with MirrorServer() as server:
        err.print(f"Serving the offline mirror at http://{server.address}/ "
                  f"({len(sources)} sources)", highlight=False)
        results = run_crawl(sources, store, mirror_address=server.address, console=err)
    print_summary(results)
    print_articles(store.articles(sources=[s.id for s in sources], limit=20))
    out.print(f"Stored in {store.display_url}; browse with: tnmt articles list --db "
              f"{store.display_url}", highlight=False, soft_wrap=True)
    exit_if_failed(results)


def parse_overrides(values: Iterable[str]) -> dict[str, str]:
    """Read repeated NAME=VALUE options into a dict, refusing unknown setting names."""
    overrides = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.isupper() or not hasattr(settings, name):
            raise click.BadParameter(f"{value!r} is not NAME=VALUE for a setting in "
                                     "crawler/settings.py", param_hint="--set")
        overrides[name] = setting
    return overrides


def mirror_sources(registry: Registry) -> list[Source]:
    """Return the registry's sources whose every host is in the offline mirror."""
    hosts = set(mirrored_hosts())
    return [registry[source_id] for source_id in registry
            if registry[source_id].domains <= hosts]


def print_summary(results: list[CrawlResult]) -> None:
    """Print one row per crawled source: status, pages, new, duplicate, dropped, errors."""
    table = Table(title="Crawl summary")
    table.add_column("source", no_wrap=True)
    for column in ("status", "pages", "new", "duplicate", "dropped", "errors"):
        table.add_column(column, justify="left" if column == "status" else "right")
    for result in results:
        c = result.counts
        table.add_row(result.source_id, result.status, str(c.pages), str(c.new),
                      str(c.duplicates), str(c.dropped), str(c.errors))
    out.print(table)
    for result in results:
        if result.dropped:
            reasons = ", ".join(f"{count} {why}" for why, count in result.dropped)
            out.print(f"{result.source_id}: dropped {reasons}", highlight=False, soft_wrap=True)


def exit_if_failed(results: list[CrawlResult]) -> None:
    """Name every source whose site could not be read, and exit 1 if there is one."""
    failed = [result for result in results if result.status == "failed"]
    for result in failed[:-1]:
        print_error(f"source {result.source_id}: {first_message(result)}")
    if failed:
        fail(f"source {failed[-1].source_id}: {first_message(failed[-1])}")


def first_message(result: CrawlResult) -> str:
    return result.messages[0] if result.messages else "no page could be fetched"


# --- sources --------------------------------------------------------------------------------

@main.group()
def sources() -> None:
    """List, show and validate the source registry."""


@sources.command("list")
@sources_option
@fail_cleanly
def sources_list(source_dirs: tuple[Path, ...]) -> None:
    """List every source in the registry."""
    registry = load_registry(source_dirs)
    table = Table(title=f"{len(registry)} sources")
    table.add_column("id", no_wrap=True)
    for column in ("name", "province", "kind", "status", "enabled", "schedule"):
        table.add_column(column)
    for source in registry.values():
        table.add_row(source.id, source.name, source.province, source.kind, source.status,
                      "yes" if source.enabled else "no", source.schedule)
    out.print(table)


@sources.command("show")
@click.argument("source_id")
@sources_option
@fail_cleanly
def sources_show(source_id: str, source_dirs: tuple[Path, ...]) -> None:
    """Show one source's full entry, as loaded."""
    registry = load_registry(source_dirs)
    [source] = registry.select([source_id])
    out.print(f"# {registry.files[source_id]}", highlight=False)
    out.print_json(source.model_dump_json())


@sources.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@sources_option
@fail_cleanly
def sources_validate(paths: tuple[Path, ...], source_dirs: tuple[Path, ...]) -> None:
    """Check the registry (and any extra files or directories) and report each problem."""
    for path in paths:
        if path.is_dir():
            source_dirs += (path,)
        else:
            load_source(path)
    registry = load_registry(source_dirs)
    out.print(f"ok: {len(registry)} sources valid", highlight=False)


# --- articles -------------------------------------------------------------------------------

def parse_since(value: str | None) -> datetime | None:
    """Read --since: any date form tnmt understands (2024-05-01, 01/05/2024, 3 ngày trước)."""
    if value is None:
        return None
    parsed = parse_date(value, now=datetime.now(VN_TZ))
    if parsed is None:
        raise click.BadParameter(f"cannot read {value!r} as a date (try 2024-05-01)",
                                 param_hint="--since")
    return parsed.value


@main.group()
def articles() -> None:
    """Browse stored articles."""


@articles.command("list")
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--since", help="Only articles published on or after this date.")
@click.option("--search", help="Only articles whose title or text contains this.")
@click.option("--limit", default=50, show_default=True, help="At most this many (0: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@db_option
@fail_cleanly
def articles_list(source_ids: tuple[str, ...], since: str | None, search: str | None,
                  limit: int, fmt: str, db: str | None) -> None:
    """List stored articles, newest first."""
    rows = Store(db).articles(sources=source_ids, since=parse_since(since), search=search,
                              limit=limit or None)
    if fmt == "json":
        click.echo(json.dumps([article_record(row) for row in rows], ensure_ascii=False,
                              indent=2))
    else:
        print_articles(rows)


def print_articles(rows: Iterable[Any]) -> None:
    table = Table(title="Articles")
    for column in ("id", "source", "published"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", overflow="fold")
    count = 0
    for row in rows:
        article = row.to_article()
        table.add_row(str(row.id), row.source_id, article.published_iso() or "", row.title)
        count += 1
    table.caption = f"{count} shown"
    out.print(table)


@articles.command("show")
@click.argument("article_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@db_option
@fail_cleanly
def articles_show(article_id: int, fmt: str, db: str | None) -> None:
    """Show one stored article."""
    row = Store(db).get_article(article_id)
    if row is None:
        fail(f"no article with id {article_id}")
    record = article_record(row)
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]{record['title']}[/bold]")
    meta = [record["source"], record["published_at"] or "no date", record["author"] or ""]
    out.print(" · ".join(part for part in meta if part), highlight=False)
    out.print(record["url"], highlight=False)
    for alias in record["aliases"]:
        out.print(f"also at {alias}", highlight=False)
    out.print()
    click.echo(record["text"])


@main.command()
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTERS)), default="jsonl",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--since", help="Only articles published on or after this date.")
@db_option
@fail_cleanly
def export(fmt: str, output: Path | None, source_ids: tuple[str, ...], since: str | None,
           db: str | None) -> None:
    """Export stored articles as JSONL, CSV or an Atom feed."""
    rows = Store(db).iter_articles(sources=source_ids, since=parse_since(since))
    if output is None:
        count = EXPORTERS[fmt](rows, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = EXPORTERS[fmt](rows, handle)
    err.print(f"exported {count} articles", highlight=False)


# --- one page -------------------------------------------------------------------------------

@main.command()
@click.argument("file", type=click.File("rb"))
@click.option("--url", default="https://example.invalid/", help="The page's address.")
@click.option("--source", "source_id", help="Use this registry source's selectors.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json",
              show_default=True)
@sources_option
@fail_cleanly
def extract(file: Any, url: str, source_id: str | None, fmt: str,
            source_dirs: tuple[Path, ...]) -> None:
    """Extract the article from one saved page (FILE, or - for standard input)."""
    html = file.read().decode("utf-8", errors="replace")
    registry = load_registry(source_dirs)
    source = registry.select([source_id])[0] if source_id else source_for_url(registry, url)
    article = extract_article(html, url, source=source, now=datetime.now(VN_TZ))
    if article is None:
        fail(f"no article found in {file.name}")
    if fmt == "text":
        click.echo(article.text)
    else:
        click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))


def source_for_url(registry: Registry, url: str) -> Source | None:
    """Return the registry source whose article pattern matches `url`, if any."""
    return next((source for source in registry.values() if source.is_article_url(url)), None)


# --- alerts ---------------------------------------------------------------------------------

@main.group()
def alerts() -> None:
    """Alert rules, their destinations and the outbox (docs/ALERTS.md)."""


@alerts.command("test")
@alerts_option
@click.option("--rule", "rule_names", metavar="NAME", multiple=True,
              help="Only this rule's destinations (repeatable).")
@sources_option
@fail_cleanly
def alerts_test(alerts_file: str | None, rule_names: tuple[str, ...],
                source_dirs: tuple[Path, ...]) -> None:
    """Send a sample alert to each destination of the rules and show what each did."""
    results = send_samples(required_rules(alerts_file, source_dirs), rule_names)
    table = Table(title="Sample alerts")
    for column in ("rule", "destination", "result", "error"):
        table.add_column(column, overflow="fold")
    for rule, destination, error in results:
        table.add_row(rule, destination, "failed" if error else "sent", error)
    out.print(table)
    failed = [(rule, destination) for rule, destination, error in results if error]
    if failed:
        fail(f"{len(failed)} of {len(results)} destinations failed, first {failed[0][1]} "
             f"(rule {failed[0][0]})")


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]),
              help="Only alerts in this state.")
@click.option("--limit", default=50, show_default=True, help="At most this many (0: all).")
@db_option
@fail_cleanly
def alerts_list(status: str | None, limit: int, db: str | None) -> None:
    """Show the outbox: queued alerts, newest first, and how their delivery went."""
    table = Table(title="Alert outbox")
    for column in ("id", "rule", "event", "destination", "status", "attempts", "when"):
        table.add_column(column, no_wrap=column != "destination", overflow="fold")
    table.add_column("last error", overflow="fold")
    rows = outbox(Store(db), status, limit or None)
    for row in rows:
        when = row.sent_at if row.status == "sent" else row.next_attempt_at
        table.add_row(str(row.id), row.rule, row.event, redacted(row.destination), row.status,
                      str(row.attempts), f"{when:%Y-%m-%d %H:%M:%S}" if when else "",
                      row.last_error)
    table.caption = f"{len(rows)} shown"
    out.print(table)


@alerts.command("deliver")
@click.option("--since", help="First queue the alerts of the articles stored on or after this "
              "date (to catch up after a crash or a new rule; needs rules).")
@alerts_option
@sources_option
@db_option
@fail_cleanly
def alerts_deliver(since: str | None, alerts_file: str | None, source_dirs: tuple[Path, ...],
                   db: str | None) -> None:
    """Send the queued alerts that are due now (failed ones are retried with backoff)."""
    store, now = Store(db), now_utc()
    if since_date := parse_since(since):
        queue_article_alerts(store, required_rules(alerts_file, source_dirs),
                             new_article_ids(store, since_date), now)
    print_deliveries(deliver_pending(store, now), store)


def required_rules(alerts_file: str | None, source_dirs: tuple[Path, ...]) -> AlertRules:
    """Return the configured alert rules, or fail saying where they are looked for."""
    rules = configured_rules(alerts_file, load_registry(source_dirs))
    if rules is None:
        fail(f"no alert rules: pass --alerts FILE, set {settings.ALERTS_FILE_ENV} or write "
             f"{settings.DEFAULT_ALERTS_PATH}")
    return rules


def print_deliveries(deliveries: list[Delivery], store: Store) -> None:
    """Print one row per delivery attempt (rule, destination, status, attempts, error) and
    what the outbox holds."""
    table = Table(title="Alerts")
    for column in ("id", "rule", "destination", "status", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for delivery in deliveries:
        table.add_row(str(delivery.id), delivery.rule, delivery.destination, delivery.status,
                      str(delivery.attempts), delivery.error)
    sent = sum(delivery.status == "sent" for delivery in deliveries)
    held = outbox_counts(store)
    out.print(table)
    out.print(f"alerts: {sent} sent, {len(deliveries) - sent} not delivered; outbox: "
              f"{held['pending']} pending, {held['sent']} sent, {held['failed']} failed",
              highlight=False, soft_wrap=True)
