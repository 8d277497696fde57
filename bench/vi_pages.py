"""Score extraction on real Vietnamese news pages against their hand-checked gold.

    python bench/vi_pages.py ../shared/bench-data/vi-pages

Each `<name>.html` has a `<name>.json` (see that folder's SOURCE.md). Ours is
`extract_article` on its generic path (no registry selectors); plain trafilatura is
`trafilatura.bare_extraction` with metadata, in the same run. Fields, after NFC, nbsp to
space and whitespace folding:
- title: equals the gold headline (the page's h1);
- date: ours to the minute where the page shows a time (the day where it does not);
  trafilatura's by the day, since it returns no time; a page with no date must give none;
- body: gold body_first and body_last both occur in the extracted text;
- clean: no must_not_contain string occurs in it;
- author: where the gold names one, ours and it overlap (one contains the other, after
  "Theo"); where it names none, we give none.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import trafilatura
from rich.console import Console
from rich.table import Table
from trafilatura.settings import Document

from crawler.article import normalise_text
from crawler.dates import VN_TZ
from crawler.extraction import extract_article

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)
FIELDS = ("title", "date", "body", "clean", "author")


@dataclass(frozen=True)
class Result:
    """What one extractor gave for one page, reduced to comparable strings."""

    title: str
    date: str  # "YYYY-MM-DD" or "YYYY-MM-DD HH:MM", "" when none
    text: str
    author: str


def ours(html: str, url: str) -> Result:
    """Return our extraction of the page (generic rules, no registry selectors)."""
    article = extract_article(html, url, source=None, now=NOW)
    if article is None:
        return Result("", "", "", "")
    date = ""
    if article.published_at is not None:
        local = article.published_at.astimezone(VN_TZ)
        date = local.strftime("%Y-%m-%d %H:%M" if article.published_has_time else "%Y-%m-%d")
    return Result(article.title, date, article.text, article.author or "")


def plain_trafilatura(html: str, url: str) -> Result:
    """Return plain trafilatura's extraction: its text, title, date and author."""
    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if not isinstance(document, Document):  # None: nothing found (a dict only if asked for)
        return Result("", "", "", "")
    return Result(document.title or "", (document.date or "")[:10], document.text or "",
                  document.author or "")


def fold(text: str | None) -> str:
    return normalise_text(text or "")


def gold_date(gold: dict) -> str:
    """Return the gold date as 'YYYY-MM-DD[ HH:MM]' ('' when the page shows none)."""
    if not gold.get("published"):
        return ""
    time = gold.get("published_time")
    return f"{gold['published']} {time}" if time else gold["published"]


def date_right(gold: dict, got: str, by_day: bool) -> bool:
    expected = gold_date(gold)
    if by_day or not expected:
        return got[:10] == expected[:10] and bool(got) == bool(expected)
    return got == expected


def author_right(expected: str, got: str) -> bool:
    strip = re.compile(r"^theo\s+", re.IGNORECASE)
    expected, got = (strip.sub("", fold(x)).casefold() for x in (expected, got))
    if not expected:
        return not got
    return bool(got) and (got in expected or expected in got)


def score(gold: dict, result: Result, by_day: bool) -> dict[str, bool]:
    text = fold(result.text)
    return {
        "title": fold(result.title) == fold(gold["title"]),
        "date": date_right(gold, result.date, by_day),
        "body": fold(gold["body_first"]) in text and fold(gold["body_last"]) in text,
        "clean": bool(text) and not any(fold(s) in text for s in gold["must_not_contain"]),
        "author": author_right(gold.get("author") or "", result.author),
    }


def mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of <name>.html + <name>.json")
    parser.add_argument("--show", action="store_true", help="print what we got per page")
    args = parser.parse_args(argv)
    pages = sorted(args.folder.glob("*.json"))
    if not pages:
        print(f"error: {args.folder}: no <name>.json gold files", file=sys.stderr)
        return 2
    console = Console()
    table = Table(title=f"Vietnamese pages ({len(pages)}): ours / plain trafilatura")
    table.add_column("page")
    for name in FIELDS:
        table.add_column(name, justify="center")
    table.add_column("our date")
    totals = {who: dict.fromkeys(FIELDS, 0) for who in ("ours", "trafilatura")}
    dated = 0
    for path in pages:
        gold = json.loads(path.read_text("utf-8"))
        html = (path.parent / gold["html_file"]).read_text("utf-8")
        got = {"ours": ours(html, gold["url"]), "trafilatura": plain_trafilatura(html, gold["url"])}
        scores = {"ours": score(gold, got["ours"], by_day=False),
                  "trafilatura": score(gold, got["trafilatura"], by_day=True)}
        dated += bool(gold.get("published"))
        for who, marks in scores.items():
            for name, ok in marks.items():
                totals[who][name] += ok
        table.add_row(path.stem, *(f"{mark(scores['ours'][n])} {mark(scores['trafilatura'][n])}"
                                   for n in FIELDS), got["ours"].date or "-")
        if args.show:
            console.print(path.stem, got["ours"].title, got["ours"].date, got["ours"].author,
                          got["ours"].text[:300], sep=" | ")
    console.print(table)
    summary = Table(title="Totals")
    summary.add_column("extractor")
    for name in FIELDS:
        summary.add_column(name, justify="right")
    for who, counts in totals.items():
        summary.add_row(who, *(f"{counts[n]}/{len(pages)}" for n in FIELDS))
    console.print(summary)
    console.print(f"{dated} pages show a date; a page without one scores its date right only "
                  "when none is given. Our dates are compared to the minute, trafilatura's by "
                  "the day.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
