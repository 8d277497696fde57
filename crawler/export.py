"""Stored articles as JSON records, JSONL, CSV and an Atom feed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from crawler.storage import ArticleRecord, story_id_of

CSV_FIELDS = ("id", "source", "url", "title", "published_at", "author", "lead", "text",
              "aliases", "story_id", "relevance", "first_seen_at", "last_seen_at", "versions")
# Cells starting with these are run as formulas by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def article_record(row: ArticleRecord) -> dict[str, Any]:
    """Return a stored article as plain JSON-ready data."""
    article = row.to_article()
    return {
        "id": row.id,
        "source": row.source_id,
        **article.to_dict(),
        "aliases": sorted(alias.url for alias in row.aliases),
        "relevance": row.relevance,
        "story_id": story_id_of(row),
        "first_seen_at": row.first_seen_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "versions": row.version_count,  # 0: never seen edited
    }


def write_jsonl(rows: Iterable[ArticleRecord], out: TextIO) -> int:
    """Write one JSON object per line; return how many."""
    count = 0
    for row in rows:
        out.write(json.dumps(article_record(row), ensure_ascii=False) + "\n")
        count += 1
    return count


def safe_cell(value: Any) -> str:
    """Return a CSV cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(rows: Iterable[ArticleRecord], out: TextIO) -> int:
    """Write a header and one row per article; return how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    count = 0
    for row in rows:
        record = article_record(row)
        record["aliases"] = " ".join(record["aliases"])
        writer.writerow([safe_cell(record[name]) for name in CSV_FIELDS])
        count += 1
    return count


def write_atom(rows: Iterable[ArticleRecord], out: TextIO, *, title: str = "tnmt-monitor",
               now: datetime | None = None) -> int:
    """Write an Atom 1.0 feed of the articles; return how many entries."""
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element("feed", xmlns=ns)
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "id").text = "urn:tnmt-monitor:articles"
    ET.SubElement(feed, "updated").text = (now or datetime.now(UTC)).isoformat()
    count = 0
    for entry in _atom_entries(rows):
        feed.append(entry)
        count += 1
    out.write(ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n")
    return count


def _atom_entries(rows: Iterable[ArticleRecord]) -> Iterator[ET.Element]:
    for row in rows:
        record = article_record(row)
        entry = ET.Element("entry")
        ET.SubElement(entry, "id").text = record["url"]
        ET.SubElement(entry, "title").text = record["title"]
        ET.SubElement(entry, "link", href=record["url"])
        ET.SubElement(entry, "updated").text = record["last_seen_at"]
        if row.published_at:
            ET.SubElement(entry, "published").text = row.published_at.isoformat()
        if record["author"]:
            ET.SubElement(ET.SubElement(entry, "author"), "name").text = record["author"]
        ET.SubElement(entry, "category", term=f"story:{record['story_id']}")
        ET.SubElement(entry, "summary").text = record["lead"] or record["text"][:300]
        ET.SubElement(entry, "content", type="text").text = record["text"]
        yield entry


EXPORTERS = {"jsonl": write_jsonl, "csv": write_csv, "atom": write_atom}


def export_string(fmt: str, rows: Iterable[ArticleRecord]) -> str:
    """Return the export of `rows` in `fmt` as one string (for small sets and tests)."""
    buffer = io.StringIO()
    EXPORTERS[fmt](rows, buffer)
    return buffer.getvalue()
