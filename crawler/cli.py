"""The `tnmt` command line: crawl, browse, export, check sources, try a page, run the demo."""

from __future__ import annotations

import difflib
import itertools
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler import schema, settings
from crawler.alert_rules import AlertRules, AlertRulesError, configured_rules, redacted
from crawler.alerts import (
    Delivery,
    Retry,
    alert_after_runs,
    deliver_pending,
    new_article_ids,
    outbox,
    outbox_counts,
    queue_article_alerts,
    send_samples,
)
from crawler.dates import VN_TZ, parse_date
from crawler.export import EXPORTERS, article_record
from crawler.health import Thresholds, source_health
from crawler.logs import LogFormatError, configure_logging
from crawler.mirror import MirrorServer, mirrored_hosts
from crawler.registry import Registry, RegistryError, Source, load_registry, load_source
from crawler.runner import CrawlCommand
from crawler.storage import (
    ArticleRecord,
    DroppedPage,
    StorageError,
    Store,
    display_url,
    engine_for,
    now_utc,
    resolve_db_url,
    story_id_of,
)

if TYPE_CHECKING:
    from crawler.crawl import CrawlResult

# Scrapy, Redis, APScheduler, trafilatura and Pygments are imported inside the commands that
# use them: each costs a fraction of a second at every start of every `tnmt` process (the
# daemon starts one per crawl, the tests hundreds), and most commands need none of them.
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

redis_option = click.option(
    "--redis", "redis_url", metavar="URL", default="",
    help="Queue the crawls in Redis (redis://host:port/db) for `tnmt worker`s to run.")
mirror_option = click.option(
    "--mirror", metavar="HOST:PORT", default="",
    help="Send every request to an offline mirror served at HOST:PORT.")
builtin_option = click.option(
    "--builtin/--no-builtin", default=True, show_default=True,
    help="Load the shipped registry besides --sources (--no-builtin: only yours).")
set_option = click.option(
    "--set", "-s", "overrides", metavar="NAME=VALUE", multiple=True,
    callback=lambda _ctx, _param, values: parse_overrides(values),
    help="Override a setting of crawler/settings.py (repeatable).")


def crawl_options(command: F) -> F:
    """Give a command that crawls its sources, database, mirror and --set options."""
    for option in reversed((click.argument("source_ids", nargs=-1, metavar="[SOURCE]..."),
                            db_option, sources_option, builtin_option, mirror_option,
                            set_option)):
        command = option(command)
    return command


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
        except Exception as exc:
            if isinstance(exc, known_errors()):
                fail(str(exc))
            raise

    return wrapper  # type: ignore[return-value]


def known_errors() -> tuple[type[Exception], ...]:
    """Our errors that a command reports in one line."""
    errors = (RegistryError, StorageError, LogFormatError, AlertRulesError)
    # RedisUnavailable can only have been raised once crawler.distributed (Redis, Scrapy) was
    # imported: a command that did not need it does not load it to fail.
    distributed = sys.modules.get("crawler.distributed")
    return (*errors, distributed.RedisUnavailable) if distributed else errors


@click.group()
@click.version_option(package_name="tnmt-monitor")
def main() -> None:
    """tnmt-monitor: watch Vietnam's natural-resources-and-environment news."""


# --- crawling -------------------------------------------------------------------------------

@main.command()
@crawl_options
@click.option("--full", is_flag=True,
              help="Backfill: fetch listings and stored articles again, up to max_pages.")
@click.option("--since", metavar="DATE",
              help="Backfill articles published since DATE (paginate back to it).")
@alerts_option
@redis_option
@fail_cleanly
def crawl(source_ids: tuple[str, ...], db: str | None, source_dirs: tuple[Path, ...],
          builtin: bool, mirror: str, overrides: dict[str, Any], full: bool,
          since: str | None, alerts_file: str | None, redis_url: str) -> None:
    """Crawl the named sources (every enabled one when none is named): only what is new,
    unless --full or --since asks for a backfill; then alert on what is new. With --redis,
    queue the crawls for the workers instead."""
    overrides |= backfill_overrides(full, parse_since(since))
    registry = load_registry(source_dirs, builtin=builtin)
    sources = registry.select(source_ids)
    if redis_url:
        if mirror:
            fail("--mirror applies to the workers' crawls: start `tnmt worker` with --mirror")
        enqueue_crawls(sources, redis_url, overrides, Store(db) if db else None)
        return
    rules = configured_rules(alerts_file, registry,
                             overrides.get("TNMT_ALERTS_FILE", settings.TNMT_ALERTS_FILE))
    from crawler.crawl import build_settings, run_crawl  # Scrapy: not for a refused command

    store, started = Store(db), now_utc()
    results = run_crawl(sources, store, mirror_address=mirror, overrides=overrides,
                        console=err)
    print_summary(results)
    if rules is not None:
        thresholds = Thresholds.from_settings(build_settings(store.url, overrides=overrides))
        print_deliveries(alert_after_runs(store, rules, registry, started,
                                          [source.id for source in sources], now_utc(),
                                          Retry.from_settings(overrides), thresholds), store)
    exit_if_failed(results)


@main.command()
@db_option
@fail_cleanly
def demo(db: str | None) -> None:
    """Serve the bundled offline mirror on 127.0.0.1 and crawl it: no internet needed."""
    from crawler.crawl import run_crawl

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


def enqueue_crawls(sources: list[Source], redis_url: str, overrides: dict[str, Any],
                   store: Store | None) -> None:
    """Queue a crawl of each source in Redis (with a store, its articles due a revisit
    too) and print what was queued."""
    from crawler.distributed import Enqueuer, redis_settings

    if {"TNMT_FULL_CRAWL", "TNMT_SINCE"} & set(overrides):
        fail("--full and --since apply to the workers' crawls: start `tnmt worker` with "
             "--set TNMT_FULL_CRAWL=true or --set TNMT_SINCE=DATE")
    enqueuer = Enqueuer(redis_settings(store.url if store else "", redis_url,
                                       overrides=overrides), store)
    table = Table(title="Queued crawls")
    table.add_column("source", no_wrap=True)
    table.add_column("requests queued", justify="right")
    for source in sources:
        queued = enqueuer.enqueue(source)
        table.add_row(source.id, str(queued) if queued else "0 (last crawl still queued)")
    out.print(table)


@main.command()
@crawl_options
@click.option("--redis", "redis_url", metavar="URL", required=True,
              help="The Redis server holding the queues (redis://host:port/db).")
@alerts_option
@fail_cleanly
def worker(source_ids: tuple[str, ...], db: str | None, source_dirs: tuple[Path, ...],
           builtin: bool, mirror: str, overrides: dict[str, Any], redis_url: str,
           alerts_file: str | None) -> None:
    """Run the crawls queued in Redis for the named sources (every enabled one when none is
    named), storing into the shared database, until SIGTERM or SIGINT; after each batch,
    alert on what it stored."""
    from crawler.distributed import run_worker

    registry = load_registry(source_dirs, builtin=builtin)
    sources = registry.select(source_ids)
    # Check the rules now, not at the end of the first batch; the pipelines read the setting.
    configured_rules(alerts_file, registry,
                     overrides.get("TNMT_ALERTS_FILE", settings.TNMT_ALERTS_FILE))
    if alerts_file:
        overrides["TNMT_ALERTS_FILE"] = str(Path(alerts_file).expanduser().resolve())
    # Read by each spider once the reactor runs, where a bad value is only logged.
    poll = overrides.get("TNMT_WORKER_IDLE_POLL_SECONDS", settings.TNMT_WORKER_IDLE_POLL_SECONDS)
    try:
        if float(poll) <= 0:
            raise ValueError
    except ValueError:
        fail(f"TNMT_WORKER_IDLE_POLL_SECONDS: {poll!r} is not a number of seconds above 0")
    run_worker(sources, Store(db), redis_url, mirror_address=mirror, overrides=overrides)


def backfill_overrides(full: bool, since: datetime | None) -> dict[str, Any]:
    """Return the settings for `crawl --full` / `--since` (crawler/incremental.py)."""
    overrides: dict[str, Any] = {"TNMT_FULL_CRAWL": True} if full else {}
    if since is not None:
        overrides["TNMT_SINCE"] = since.isoformat()
    return overrides


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
            out.print(f"{result.source_id}: dropped {reasons}", highlight=False, soft_wrap=True,
                      markup=False)


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
@click.option("--stories", is_flag=True,
              help="One entry per story, with every copy of it (re-published by other sources).")
@click.option("--dropped", is_flag=True,
              help="The pages left out as off topic instead, with the reason (newest first).")
@db_option
@fail_cleanly
def articles_list(source_ids: tuple[str, ...], since: str | None, search: str | None,
                  limit: int, fmt: str, stories: bool, dropped: bool, db: str | None) -> None:
    """List stored articles, newest first."""
    if stories and dropped:
        fail("--stories and --dropped cannot be combined")
    store = Store(db)
    if dropped:
        print_dropped(store.dropped_pages(sources=source_ids, limit=limit or None), fmt)
        return
    if stories:
        print_stories(store.stories(sources=source_ids, since=parse_since(since),
                                    search=search, limit=limit or None), fmt)
        return
    rows = store.articles(sources=source_ids, since=parse_since(since), search=search,
                          limit=limit or None)
    if fmt == "json":
        echo_json([article_record(row) for row in rows])
    else:
        print_articles(rows)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_articles(rows: Iterable[Any]) -> None:
    table = Table(title="Articles")
    for column in ("id", "source", "published"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", overflow="fold")
    count = 0
    for row in rows:
        article = row.to_article()
        table.add_row(str(row.id), row.source_id, article.published_iso() or "", Text(row.title))
        count += 1
    table.caption = f"{count} shown"
    out.print(table)


def print_stories(stories: list[list[ArticleRecord]], fmt: str) -> None:
    """Print each story once, with its copies (source, published, title, URL)."""
    if fmt == "json":
        echo_json([{"story_id": story_id_of(copies[0]),
                    "copies": [copy_record(row) for row in copies]} for copies in stories])
        return
    table = Table(title="Stories")
    table.add_column("story", no_wrap=True, justify="right")
    for column in ("source", "published"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("url", overflow="fold", ratio=1)
    for copies in stories:
        for number, row in enumerate(copies):
            table.add_row(str(story_id_of(row)) if number == 0 else "", row.source_id,
                          row.to_article().published_iso() or "", Text(row.title), Text(row.url),
                          end_section=number == len(copies) - 1)
    copied = sum(1 for copies in stories if len(copies) > 1)
    table.caption = f"{len(stories)} stories shown, {copied} published more than once"
    out.print(table)


def copy_record(row: ArticleRecord) -> dict[str, Any]:
    """Return one copy of a story: which article, where, under which headline."""
    return {"id": row.id, "source": row.source_id, "url": row.url, "title": row.title,
            "published_at": row.to_article().published_iso()}


def print_dropped(pages: list[DroppedPage], fmt: str) -> None:
    """Print the pages left out, with the run, source and reason."""
    if fmt == "json":
        echo_json([{"run": page.run_id, "source": page.source_id, "url": page.url,
                    "title": page.title, "reason": page.reason,
                    "dropped_at": page.dropped_at.isoformat()} for page in pages])
        return
    table = Table(title="Dropped pages")
    for column in ("run", "source"):
        table.add_column(column, no_wrap=True)
    for column in ("title", "url", "reason"):
        table.add_column(column, overflow="fold", ratio=1)
    for page in pages:
        table.add_row(str(page.run_id or ""), page.source_id, Text(page.title), Text(page.url),
                      Text(page.reason))
    table.caption = f"{len(pages)} shown"
    out.print(table)


@articles.command("show")
@click.argument("article_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@db_option
@fail_cleanly
def articles_show(article_id: int, fmt: str, db: str | None) -> None:
    """Show one stored article."""
    store = Store(db)
    row = store.get_article(article_id)
    if row is None:
        fail(f"no article with id {article_id}")
    record = article_record(row)
    copies = [copy for copy in store.story_copies(record["story_id"]) if copy.id != row.id]
    if fmt == "json":
        echo_json(record | {"story_copies": [copy_record(copy) for copy in copies]})
        return
    out.print(f"[bold]{escape(record['title'])}[/bold]")
    meta = [record["source"], record["published_at"] or "no date", record["author"] or ""]
    out.print(" · ".join(part for part in meta if part), highlight=False, markup=False)
    out.print(record["url"], highlight=False, markup=False)
    for alias in record["aliases"]:
        out.print(f"also at {alias}", highlight=False, markup=False)
    out.print(f"why kept: {record['relevance'] or 'not recorded'}", highlight=False,
              markup=False)
    out.print(f"story {record['story_id']}: "
              + (f"{len(copies) + 1} copies" if copies else "no other copy"), highlight=False)
    for copy in copies:
        out.print(f"  also published by {copy.source_id} (article {copy.id}): {copy.title} "
                  f"{copy.url}", highlight=False, markup=False)
    out.print()
    click.echo(record["text"])


@articles.command("history")
@click.argument("article_id", type=int)
@db_option
@fail_cleanly
def articles_history(article_id: int, db: str | None) -> None:
    """Show the versions of an edited article and what changed between them."""
    store = Store(db)
    row = store.get_article(article_id)
    if row is None:
        fail(f"no article with id {article_id}")
    versions = store.versions(article_id)
    out.print(f"[bold]{escape(row.title)}[/bold]")
    out.print(row.url, highlight=False, soft_wrap=True, markup=False)
    if not versions:
        out.print("No edits seen: one version.")
        return
    table = Table(title=f"{len(versions)} versions")
    for column in ("version", "fetched", "title", "content hash"):
        table.add_column(column, no_wrap=column != "title")
    for version in versions:
        table.add_row(str(version.version), version.fetched_at.isoformat(timespec="seconds"),
                      Text(version.title), version.content_hash[:12])
    out.print(table)
    from rich.syntax import Syntax  # loads Pygments

    for older, newer in itertools.pairwise(versions):
        out.print(Syntax(version_diff(older, newer), "diff", word_wrap=True))


def version_diff(older: Any, newer: Any) -> str:
    """Return a unified diff of two versions' title and body, one paragraph per line."""
    lines = [[version.title, "", *version.body.split("\n")] for version in (older, newer)]
    return "\n".join(difflib.unified_diff(
        lines[0], lines[1], f"version {older.version}", f"version {newer.version}", lineterm=""))


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
    from crawler.extraction import extract_article

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


# --- the daemon, run history and source health ----------------------------------------------

@main.command()
@crawl_options
@alerts_option
@redis_option
@fail_cleanly
def daemon(source_ids: tuple[str, ...], db: str | None, source_dirs: tuple[Path, ...],
           builtin: bool, mirror: str, overrides: dict[str, str],
           alerts_file: str | None, redis_url: str) -> None:
    """Crawl every enabled source (or the named ones) on its schedule, each run in a child
    process, until SIGTERM or SIGINT; SIGHUP re-reads the registry. With --redis, queue each
    scheduled crawl for the workers instead."""
    from crawler.crawl import build_settings
    from crawler.daemon import Daemon, DaemonConfig
    from crawler.distributed import Enqueuer, redis_settings
    from scheduler import cron_trigger

    store = Store(db)
    values = build_settings(store.url, mirror, overrides)
    configure_logging(values.get("TNMT_LOG_FORMAT"), values.get("LOG_LEVEL"))
    registry = load_registry(source_dirs, builtin=builtin)
    registry.select(source_ids)  # fail now, not at 3 a.m.
    rules = configured_rules(alerts_file, registry, values.get("TNMT_ALERTS_FILE"))
    if alerts_file:  # the children read the same rules
        overrides["TNMT_ALERTS_FILE"] = str(Path(alerts_file).expanduser().resolve())
    if override := values.get("TNMT_SCHEDULE_OVERRIDE"):
        try:
            cron_trigger(override)
        except ValueError as exc:
            fail(f"TNMT_SCHEDULE_OVERRIDE: {exc}")
    command = CrawlCommand(store.url, tuple(str(path.resolve()) for path in source_dirs),
                           builtin, mirror,
                           tuple(f"{name}={value}" for name, value in overrides.items()))
    enqueuer = Enqueuer(redis_settings(store.url, redis_url, overrides=overrides), store) \
        if redis_url else None
    config = DaemonConfig.from_settings(values, source_ids, command, rules, enqueuer)
    sys.exit(Daemon(store, config).run())


def local_time(when: datetime | None) -> str:
    """Return a stored time as Vietnam's wall-clock time, or '-'."""
    return when.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S") if when else "-"


def iso_time(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


@main.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE]...")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@db_option
@sources_option
@builtin_option
@set_option
@fail_cleanly
def status(source_ids: tuple[str, ...], fmt: str, db: str | None, source_dirs: tuple[Path, ...],
           builtin: bool, overrides: dict[str, str]) -> None:
    """Show each source's health: last run, last success, last new article, streaks and a
    state (ok, stale, failing, layout-changed)."""
    from crawler.crawl import build_settings

    registry = load_registry(source_dirs, builtin=builtin)
    wanted = {source.id for source in registry.select(source_ids)}
    with Store(db) as store:
        thresholds = Thresholds.from_settings(build_settings(store.url, overrides=overrides))
        rows = [health for health in source_health(store, registry, now_utc(), thresholds)
                if health.source_id in wanted]
    if fmt == "json":
        click.echo(json.dumps([{**health.__dict__, **{
            key: iso_time(getattr(health, key))
            for key in ("last_run_at", "last_success_at", "last_new_article_at")}}
            for health in rows], ensure_ascii=False, indent=2))
        return
    table = Table(title="Source health")
    for column in ("source", "state", "last run", "last success", "last new article",
                   "failures", "zero-yield", "why"):
        table.add_column(column, no_wrap=column != "why",
                         justify="right" if column in ("failures", "zero-yield") else "left")
    for health in rows:
        last_run = f"{local_time(health.last_run_at)} {health.last_run_status}".strip()
        table.add_row(health.source_id, health.state, last_run,
                      local_time(health.last_success_at), local_time(health.last_new_article_at),
                      str(health.failure_streak), str(health.zero_yield_streak), health.reason)
    out.print(table)


@main.group("db")
def db_group() -> None:
    """The database schema: Alembic migrations (see README "Scaling out")."""


@db_group.command("upgrade")
@db_option
@fail_cleanly
def db_upgrade(db: str | None) -> None:
    """Upgrade the database's schema to this release's (the one step PostgreSQL needs
    after an update; SQLite files upgrade themselves when opened)."""
    url = resolve_db_url(db)
    with engine_for(url) as engine:
        before, after = schema.upgrade(engine)
    done = f"already at {after}" if before == after else f"upgraded from {before} to {after}"
    click.echo(f"database {display_url(url)}: {done}")


@db_group.command("current")
@db_option
@fail_cleanly
def db_current(db: str | None) -> None:
    """Print the database's schema revision, and whether it is this release's."""
    url = resolve_db_url(db)
    with engine_for(url) as engine, engine.connect() as connection:
        revision = schema.current(connection)
    state = "head" if revision == schema.head() else f"needs `tnmt db upgrade` to {schema.head()}"
    click.echo(f"{revision} ({state})")


@db_group.command("history")
def db_history() -> None:
    """List the schema revisions, oldest first."""
    table = Table(title="Schema revisions")
    table.add_column("revision", no_wrap=True)
    table.add_column("what it does")
    for revision in schema.history():
        table.add_row(revision.id, revision.message.splitlines()[0])
    out.print(table)


RUN_COUNTS = ("pages", "new", "updated", "duplicates", "dropped", "errors")


@main.command()
@click.option("--source", "source_ids", multiple=True, help="Only this source (repeatable).")
@click.option("--limit", default=20, show_default=True, help="At most this many.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@db_option
@fail_cleanly
def runs(source_ids: tuple[str, ...], limit: int, fmt: str, db: str | None) -> None:
    """List recent crawl runs, newest first."""
    rows = Store(db).runs(limit=limit, source_ids=source_ids)
    if fmt == "json":
        click.echo(json.dumps([run_record(run) for run in rows], ensure_ascii=False, indent=2))
        return
    table = Table(title="Crawl runs")
    for column in ("id", "source", "started", "took", "status", *RUN_COUNTS):
        table.add_column(column, no_wrap=True, justify="right" if column in RUN_COUNTS else "left")
    table.add_column("first message", overflow="fold")
    for run in rows:
        took = (f"{(run.finished_at - run.started_at).total_seconds():.0f} s"
                if run.finished_at else "-")
        table.add_row(str(run.id), run.source_id, local_time(run.started_at), took, run.status,
                      *(str(getattr(run, name)) for name in RUN_COUNTS),
                      Text(run.messages.split("\n", 1)[0]))
    out.print(table)


def run_record(run: Any) -> dict[str, Any]:
    """Return a crawl_runs row as plain JSON values."""
    return {column.name: (iso_time(value) if isinstance(value, datetime) else value)
            for column in run.__table__.columns
            for value in [getattr(run, column.name)]}
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
