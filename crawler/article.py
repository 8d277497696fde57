"""The article as tnmt-monitor understands it, independent of Scrapy and the database."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crawler.dates import VN_TZ


@dataclass(frozen=True)
class Article:
    """One extracted news article."""

    url: str
    title: str
    lead: str = ""
    paragraphs: tuple[str, ...] = ()
    author: str | None = None
    published_at: datetime | None = None
    published_has_time: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The lead, then the body paragraphs, one per line."""
        return "\n".join(part for part in (self.lead, *self.paragraphs) if part)

    @property
    def body_chars(self) -> int:
        return sum(len(paragraph) for paragraph in self.paragraphs)

    def published_iso(self) -> str | None:
        """ISO 8601 in Vietnam's time zone; the date alone when the page showed no time."""
        if self.published_at is None:
            return None
        local = self.published_at.astimezone(VN_TZ)
        return local.isoformat() if self.published_has_time else local.date().isoformat()

    def to_dict(self) -> dict[str, Any]:
        """The article as plain JSON-ready data."""
        return {
            "url": self.url,
            "title": self.title,
            "published_at": self.published_iso(),
            "author": self.author,
            "lead": self.lead,
            "body": list(self.paragraphs),
            "text": self.text,
        }


def normalise_text(text: str) -> str:
    """Return `text` in NFC with runs of white space (nbsp included) folded to one space."""
    # str.split() splits on exactly what \s matches (nbsp too), in C: pages are long.
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(article: Article) -> str:
    """Return a hash of the body that survives different markup, case and spacing."""
    body = normalise_text(" ".join(article.paragraphs)).casefold()
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
