"""Is an article about natural resources and environment? Keyword rules, auditable."""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.article import Article, normalise_text


def matched_keywords(article: Article, keywords: Iterable[str]) -> list[str]:
    """Return the keywords that occur (as whole words, any case) in the title, lead or body."""
    haystack = normalise_text(f"{article.title}\n{article.text}").casefold()
    return [keyword for keyword in keywords
            if re.search(rf"(?<!\w){re.escape(normalise_text(keyword).casefold())}(?!\w)",
                         haystack)]
