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
from rich.markup import escape
from rich.table import Table

from crawler import settings
from crawler.crawl import CrawlResult, run_crawl
from crawler.dates import VN_TZ, parse_date
from crawler.export import EXPORTERS, article_record
from crawler.extraction import extract_article
from crawler.mirror import MirrorServer, mirrored_hosts
from crawler.registry import Registry, RegistryError, Source, load_registry, load_source
from crawler.storage import ArticleRecord, DroppedPage, StorageError, Store, story_id_of

F = TypeVar("F", bound=Callable[..., Any])
out = Console()
err = Console(stderr=True)

db_option = click.option(
    "--db", metavar="URL", envvar=settings.DB_URL_ENV, show_envvar=True,
    help=f"SQLAlchemy URL or SQLite file [default: {settings.DEFAULT_DB_PATH}]")
sources_option = click.option(
    "--sources", "source_dirs", metavar="DIR", multiple=True,
    type=click.Path(path_type=Path), help="Extra directory of source TOML files (repeatable).")


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
        except (RegistryError, StorageError) as exc:
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
@fail_cleanly
def crawl(source_ids: tuple[str, ...], db: str | None, source_dirs: tuple[Path, ...],
          mirror: str, overrides: dict[str, str]) -> None:
    """Crawl the named sources (every enabled one when none is named)."""
    sources = load_registry(source_dirs).select(source_ids)
    results = run_crawl(sources, Store(db), mirror_address=mirror, overrides=overrides,
                        console=err)
    print_summary(results)
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
        table.add_row(str(row.id), row.source_id, article.published_iso() or "", row.title)
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
                          row.to_article().published_iso() or "", row.title, row.url,
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
        table.add_row(str(page.run_id or ""), page.source_id, page.title, page.url, page.reason)
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
    out.print(" · ".join(part for part in meta if part), highlight=False)
    out.print(record["url"], highlight=False)
    for alias in record["aliases"]:
        out.print(f"also at {alias}", highlight=False)
    out.print(f"why kept: {record['relevance'] or 'not recorded'}", highlight=False)
    out.print(f"story {record['story_id']}: "
              + (f"{len(copies) + 1} copies" if copies else "no other copy"), highlight=False)
    for copy in copies:
        out.print(f"  also published by {copy.source_id} (article {copy.id}): {copy.title} "
                  f"{copy.url}", highlight=False, markup=False)
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
