"""Is an article about natural resources and environment? Category and keyword rules whose
verdict is one auditable line ("category: /moi-truong/", "keywords: đất đai, …")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from crawler.article import Article, normalise_text
from crawler.registry import Topics

BREADCRUMB_LINKS = "//*[contains(@class, 'breadcrumb')]//a/@href"


def matched_keywords(article: Article, keywords: Iterable[str]) -> list[str]:
    """Return the keywords that occur (as whole words, any case) in the title, lead or body."""
    haystack = normalise_text(f"{article.title}\n{article.text}").casefold()
    return [keyword for keyword in keywords
            if re.search(rf"(?<!\w){re.escape(normalise_text(keyword).casefold())}(?!\w)",
                         haystack)]


def breadcrumb_paths(html: str, url: str) -> tuple[str, ...]:
    """Return the URL paths the page's breadcrumb links to (its categories), in order."""
    # Imported here: trafilatura's import is paid by every process that matches alert
    # keywords (`tnmt status`, `runs`, … through crawler.alerts); only a crawl reads pages.
    from crawler.extraction import parse_html

    tree = parse_html(html)
    if tree is None:
        return ()
    hrefs = tree.xpath(BREADCRUMB_LINKS)
    paths = (urlsplit(urljoin(url, str(href).strip())).path for href in hrefs)
    return tuple(dict.fromkeys(path for path in paths if path not in ("", "/")))


def matched_categories(url: str, paths: Iterable[str], categories: Iterable[str]) -> list[str]:
    """Return the categories (path prefixes) the article's URL or category paths fall under."""
    candidates = [urlsplit(url).path, *paths]
    return [category for category in categories
            if any(path.startswith(category) for path in candidates)]


def relevance_reason(article: Article, paths: Iterable[str], topics: Topics) -> str | None:
    """Return why the article is in ("category: …", "keywords: …"), or None when it is out."""
    if not (topics.keywords or topics.categories):
        return "source: every article"
    if categories := matched_categories(article.url, paths, topics.categories):
        return "category: " + ", ".join(categories)
    if keywords := matched_keywords(article, topics.keywords):
        return "keywords: " + ", ".join(keywords)
    return None


def off_topic_reason(paths: Iterable[str], topics: Topics) -> str:
    """Return why an article is out: what it was checked against, and where the page sits."""
    checked = [f"{len(topics.keywords)} keywords"] if topics.keywords else []
    checked += [f"categories {', '.join(topics.categories)}"] if topics.categories else []
    where = ", ".join(paths) or "no breadcrumb"
    return f"off topic: none of {' or '.join(checked)} matched (page under {where})"
