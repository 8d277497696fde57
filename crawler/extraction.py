"""Extraction: one saved page in, one clean Article out (or None).

Pure: knows nothing of Scrapy, the database or the clock ("now" is an argument). The
registry's CSS selectors win where a source has them; otherwise generic rules find the
title, the article's own date and the lead, and trafilatura finds the body. Our cleaning
then removes what trafilatura leaves on Vietnamese pages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from copy import deepcopy
from datetime import datetime
from functools import cache, lru_cache
from itertools import chain
from urllib.parse import urlsplit

import trafilatura
from htmldate import find_date as find_date_htmldate
from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from crawler.article import Article, normalise_text
from crawler.blocks import (
    INLINE_TAGS,
    MIN_PARAGRAPH_CHARS,
    better_body,
    element_text,
    prose_chars,
)
from crawler.cleaning import NOISE_CLASS, STORY_BOX_CLASS, clean_paragraphs, is_boilerplate_line
from crawler.dates import (
    VN_TZ,
    PageDate,
    date_in_url,
    is_date_line,
    parse_date,
    writes_month_first,
)
from crawler.legacy_fonts import to_unicode
from crawler.registry import Selectors, Source
from crawler.urls import canonical_url, same_site

# Generic places, used when the registry gives no selector for a field.
TITLE_SELECTORS = ("h1[class*=title]", "article h1", "main h1", "h1")
MIN_TITLE_CHARS = 10
MAX_LEAD_CHARS = 1000
HEADLINE_TAGS = ("h1", "h2", "h3")
# Host labels that name no site ("news.zing.vn" is Zing's).
HOST_WORDS = frozenset({"www", "news", "tin-tuc", "online"})
# What separates a headline from the site name in <title>: "Headline - Site", "Headline | Site".
SITE_SUFFIX = re.compile(r"\s*[-|–—:»·]\s")
LEAD_CLASS = re.compile(r"(^|[\s_-])(sapo|lead|summary|chapeau|intro|desc|description|hometext|"
                        r"short-?desc|tom-?tat)($|[\s_-])", re.IGNORECASE)
DATE_CLASS = re.compile(r"(date|time|publish|ngay|thoi-?gian|posted|meta)", re.IGNORECASE)
ANY_CLASS = re.compile("")
# A box named for the article's date or author is its meta bar, even when the name also
# mentions comments ("article_author_date_comment_container").
META_BAR_CLASS = re.compile(r"(date|author|byline|posted|publish|tac-?gia|ngay-?dang)",
                            re.IGNORECASE)
# Words that open a byline: "Theo", "Tác giả bài viết:", "Bài, ảnh:", "Tin:", "Viết bởi".
BYLINE_LABEL = re.compile(
    r"^(theo|tác giả(?: bài viết)?|người viết|viết bởi|bài và ảnh|bài,? ảnh|tin,? ảnh|tin|"
    r"bài|ảnh|by)(\s*:\s*|\s+)", re.IGNORECASE)
MAX_BYLINE_CHARS = 60
# How many of the body's last paragraphs may hold the byline (captions can follow it).
BYLINE_WINDOW = 4
# A bold line with no "Theo"/"Bài, ảnh" label is a name only when each of its names is
# short ("Quang Phong - Tùng Nguyên"; not a subheading such as "The Doobie Brothers Tour
# Dates").
MAX_BARE_BYLINE_WORDS = 4
# Words of a publisher's name, never a person's.
PUBLISHER_WORDS = re.compile(
    r"\b(online|news|corp|media|group|jsc|báo|tạp chí|đài|sở|bộ|cổng|trung tâm|công ty|ban)\b",
    re.IGNORECASE)
# "Tâm Giao Ảnh: Cao Trung Hiếu": the photographer's credit after the author's name.
PHOTO_CREDIT = re.compile(r"\s*(ảnh|photo)\s*:.*$", re.IGNORECASE)
AUTHOR_CLASS = re.compile(r"(author|tac-?gia|byline|writer|signature)", re.IGNORECASE)
# A box named for the story's source holds a "Theo X" credit closing the article.
CREDIT_CLASS = re.compile(r"(^|[\s_-])(source|nguon-?tin|nguon)($|[\s_-])", re.IGNORECASE)
SOURCE_CREDIT = re.compile(r"theo\s", re.IGNORECASE)
DATE_META = (
    "meta[property='article:published_time']", "meta[itemprop='datePublished']",
    "meta[name='pubdate']", "meta[name='publishdate']", "meta[name='dc.date.issued']",
    "meta[name='DC.date.issued']", "meta[name='date']",
)
AUTHOR_META = ("meta[name='author']", "meta[property='article:author']")
# Image captions; trafilatura drops them unless they are made paragraphs.
CAPTIONS = ("figcaption, .caption, .image-caption, .PhotoCMS_Caption, .fig-caption, "
            ".desc_image")
# Dropped from the page on parsing: never text, and trafilatura need not see them.
# JSON-LD stays: it names the author ("author": {"name": …}); its text is never read as
# the page's (element_text skips scripts).
STRIP_TAGS = ("script:not([type='application/ld+json'])", "style", "noscript", "iframe",
              "form > input", "svg", "button")
VIETNAMESE_LETTERS = frozenset("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
TEXT_BLOCKS = ("p", "head", "item", "quote", "row")
LAYOUT_BLOCKS = ("p", "div", "h1", "h2", "h3", "table", "ul")
# Text a box may add to a list of links and still be that list's box: a heading, "see all".
MAX_BOX_LABEL_CHARS = 80
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# C0 controls other than tab, LF and CR: lxml refuses them in text (a stray one in a page
# would otherwise cost the whole article).
XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def extract_article(html: str, url: str, *, source: Source | None = None, now: datetime,
                    date_hint: datetime | None = None) -> Article | None:
    """Return the article in `html` (fetched from `url`), or None when there is none."""
    tree = parse_html(html)
    if tree is None:
        return None
    return article_in_tree(tree, html, url, source=source, now=now, date_hint=date_hint)


def article_in_tree(tree: HtmlElement, html: str, url: str, *, source: Source | None = None,
                    now: datetime, date_hint: datetime | None = None) -> Article | None:
    """Return the article of a page parsed by parse_html (which this changes), or None."""
    # Held so that lxml keeps one Python object per element: otherwise each walk over the
    # tree builds them anew, and lxml.html's class lookup per object is a hot spot.
    elements = list(tree.iter())  # noqa: F841
    selectors = source.selectors if source else None
    # The page's whole text, read once for the date rules and the weighing of noise boxes (a
    # walk of every element, each time: 0.9 ms of a page's 13). Nothing changes the tree
    # before body_paragraphs.
    page = element_text(tree)
    title_el = find_title(tree, selectors.title if selectors else "")
    title = element_text(title_el) if title_el is not None else declared_title(tree, url)
    lead_el = find_lead(tree, selectors.lead if selectors else "", title_el)
    lead = lead_text(lead_el) if lead_el is not None else ""
    published = find_date(tree, html, selectors.date if selectors else "", title_el, now,
                          date_hint, writes_month_first(page)) \
        or fallback_date(url, date_hint)
    author = find_author(tree, selectors.author if selectors else "")
    declared = declared_author(tree)
    paragraphs = body_paragraphs(tree, selectors, url, drop=(title_el, lead_el),
                                 page_chars=len(page))
    lead, paragraphs = split_lead(lead, paragraphs)
    body = clean_paragraphs(paragraphs, title=title, lead=lead)
    author, body = take_byline(tree, body, author, declared)
    if not title or not body:
        return None
    return Article(
        url=page_canonical_url(tree, url), title=normalise_text(title), lead=lead,
        paragraphs=tuple(body), author=author,
        published_at=published.value if published else None,
        published_has_time=bool(published and published.has_time),
    )


def page_text(body: bytes, encoding: str, fallback_encoding: str) -> str:
    """Return a fetched page's text, decoded as Scrapy's TextResponse.text decodes it (a BOM
    wins over `encoding`); a page read as UTF-8 whose bytes are not UTF-8 (a wrong or missing
    declaration) is read in `fallback_encoding` instead of keeping replacement characters."""
    text = html_to_unicode(f"charset={encoding}", body)[1]
    if encoding != "utf-8" or "\ufffd" not in text:
        return text
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode(fallback_encoding, errors="replace")
    return text  # a real U+FFFD in a real UTF-8 page


def parse_html(html: str) -> HtmlElement | None:
    """Return the page's element tree without scripts, styles and controls (whose text is
    never the article's, not even a lead's), its text in Unicode even when a legacy
    Vietnamese font drew it, or None for an empty or unparsable page."""
    html = XML_FORBIDDEN.sub("", XML_DECLARATION.sub("", html, count=1))  # lxml refuses both
    html = to_unicode(html)  # a page drawn in a TCVN3 or VNI font holds Latin-1 letters
    if not html.strip():
        return None
    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for tag in STRIP_TAGS:
        for element in select_all(tree, tag):
            element.drop_tree()
    return tree


@cache
def compiled_selector(selector: str) -> CSSSelector:
    """Return the CSS selector compiled to XPath, once per process: compiling costs more than
    matching."""
    return CSSSelector(selector, translator="html")


def select_all(element: HtmlElement, selector: str) -> list[HtmlElement]:
    """Return the elements under `element` matching the CSS `selector` (element.cssselect)."""
    return compiled_selector(selector)(element)  # type: ignore[no-any-return]


def select_first(tree: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement | None:
    """Return the first element matched by the first selector that matches anything."""
    for selector in selectors:
        found = select_all(tree, selector)
        if found:
            return found[0]
    return None


def meta_content(tree: HtmlElement, selectors: tuple[str, ...]) -> str:
    """Return the content of the first matching <meta> tag with a value."""
    for selector in selectors:
        for element in select_all(tree, selector):
            if value := normalise_text(element.get("content", "")):
                return value
    return ""


def page_canonical_url(tree: HtmlElement, url: str) -> str:
    """Return the page's declared canonical URL when it is on the same site, else `url`."""
    for link in select_all(tree, "link[rel=canonical]"):
        href = (link.get("href") or "").strip()
        if href.startswith(("http://", "https://")) and same_site(href, url):
            return canonical_url(href)
    return canonical_url(url)


# --- metadata ---------------------------------------------------------------------------

def find_title(tree: HtmlElement, selector: str) -> HtmlElement | None:
    """Return the headline element: the registry's; else the first heading the page's
    <title> or og:title names (a logo or section name may sit in an h1 of its own);
    else the first h1 with words in it (pages often wrap their logo in an empty h1)."""
    if selector:
        return select_first(tree, (selector,))
    named = [title.casefold() for title in title_tags(tree)]
    for level in HEADLINE_TAGS:
        for element in tree.iter(level):
            if names_headline(named, element_text(element)):
                return element
    for generic in TITLE_SELECTORS:
        for element in select_all(tree, generic):
            if len(element_text(element)) >= MIN_TITLE_CHARS:
                return element
    return None


def declared_title(tree: HtmlElement, url: str) -> str:
    """Return og:title, else <title>, without the site name the page appends to it: a page
    with no headline element still has one."""
    site = meta_content(tree, ("meta[property='og:site_name']",))
    return strip_site_name(next(iter(title_tags(tree)), ""), site, url)


def strip_site_name(title: str, site: str, url: str) -> str:
    """Return `title` without a trailing " | anything" and without a trailing " - Site"
    that names the site (its og:site_name, or its host's name: "Zing News" on zing.vn)."""
    title = title.split(" | ")[0].strip()
    head, sep, tail = title.rpartition(" - ")
    labels = [label for label in (urlsplit(url).hostname or "").split(".")
              if len(label) > 3 and label not in HOST_WORDS]
    folded_tail = re.sub(r"\W", "", tail.casefold())
    named_by_meta = bool(site) and (tail.casefold() in site.casefold() or
                                    site.casefold() in tail.casefold())
    named_by_host = any(label in folded_tail or folded_tail in label for label in labels)
    names_site = bool(sep and folded_tail) and (named_by_meta or named_by_host)
    return head.strip() if names_site and len(head) >= MIN_TITLE_CHARS else title


def title_tags(tree: HtmlElement) -> list[str]:
    """Return the page's own names for itself: og:title, then the <title> text."""
    titles = [meta_content(tree, ("meta[property='og:title']",))]
    titles += [element_text(element) for element in tree.iter("title")][:1]
    return [title for title in titles if title]


def names_headline(titles: list[str], text: str) -> bool:
    """True when a heading's text is one of the page titles, or begins one and what follows
    is a site-name suffix ("Headline - Zing News | Xã hội")."""
    text = text.casefold().rstrip(" .")
    if len(text) < MIN_TITLE_CHARS:
        return False
    return any(title == text or (title.startswith(text) and
                                 SITE_SUFFIX.match(title[len(text):]))
               for title in titles)


def find_lead(tree: HtmlElement, selector: str, title_el: HtmlElement | None
              ) -> HtmlElement | None:
    """Return the standfirst element: the registry's, else one classed like a sapo."""
    if selector:
        return select_first(tree, (selector,))
    return next((element for element in classed(following(tree, title_el), LEAD_CLASS)
                 if element.tag in ("p", "div", "h2", "strong")
                 and len(element_text(element)) >= 40), None)


def lead_text(element: HtmlElement) -> str:
    """Return the lead's text without the related story's link a sapo often ends with
    ("… gây ô nhiễm. <br><a>>> Xả rác - sự hồn nhiên độc ác</a>")."""
    element = deepcopy(element)
    for link in list(element.iter("a")):
        if is_boilerplate_line(element_text(link)):
            link.drop_tree()
    return element_text(element)


def classed(elements: Iterator[HtmlElement], pattern: re.Pattern[str],
            scope: HtmlElement | None = None) -> Iterator[HtmlElement]:
    """Yield the elements whose class or id matches `pattern`, outside noise boxes
    (below `scope`, when given)."""
    for element in elements:
        if isinstance(element.tag, str) and marked(pattern, marks(element)) and \
                not inside_noise(element, scope):
            yield element


def near_title(tree: HtmlElement, title_el: HtmlElement | None, pattern: re.Pattern[str],
               beside_only: bool = False) -> Iterator[HtmlElement]:
    """Yield `pattern`-classed elements closest to the title first: in its parent, then
    grandparent (up to four levels), then anywhere after it (unless `beside_only`). That is
    where a page puts the article's own date and byline; related boxes come later."""
    scope = title_el
    for _ in range(4):
        scope = scope.getparent() if scope is not None else None
        if scope is None or scope.tag in ("body", "html"):
            break
        yield from classed(scope.iter(), pattern, scope)
    if not beside_only:
        yield from classed(following(tree, title_el), pattern)


@lru_cache(maxsize=1 << 16)
def marked(pattern: re.Pattern[str], names: str) -> bool:
    """True when an element's class and id (`marks`) match `pattern`; a page repeats the
    same few names on thousands of elements, so each is matched once."""
    return bool(pattern.search(names))


def marks(element: HtmlElement) -> str:
    """Return an element's class and id, the words sites name their boxes with."""
    return f"{element.get('class', '')} {element.get('id', '')}"


def following(tree: HtmlElement, start: HtmlElement | None) -> Iterator[HtmlElement]:
    """Yield the elements after `start` in document order (the whole page when None)."""
    started = start is None
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if started:
            yield element
        elif element is start:
            started = True


def find_date(tree: HtmlElement, html: str, selector: str, title_el: HtmlElement | None,
              now: datetime, date_hint: datetime | None, month_first: bool) -> PageDate | None:
    """Return the article's own publication date.

    Order: the registry's date element; a date with its time shown in a date-classed
    element beside the title (what readers see); a <time datetime> or publication <meta>
    with a time of day; the date-classed element nearest the title (the article's, not a
    related box's); a <meta> with the day only. A page that shows no date of its own gets
    none here (htmldate's guess would be a sidebar's date; see fallback_date). A date
    without a year takes it from the feed/sitemap hint or from the page's other dates, else
    the crawl date's. Numeric dates are day-first unless `month_first` (the page's own
    dates can only be month-first: writes_month_first).
    """
    page_guess = cache(lambda: htmldate_guess(html))

    def read(text: str) -> PageDate | None:
        return parse_date(text, now=now, year_hint=year_hint, month_first=month_first)

    def year_hint() -> int | None:
        if date_hint is not None:
            return date_hint.year
        guess = page_guess()
        return int(guess[:4]) if guess[:4].isdigit() else None

    element = select_first(tree, (selector,)) if selector else None
    if element is not None and (found := read(element_text(element))):
        return found
    beside = visible_date(tree, title_el, read, beside_title=True)
    if beside is not None and beside.has_time:
        return beside
    machine = machine_readable_date(tree, now)
    if machine is not None and machine.has_time:
        return machine
    visible = beside or visible_date(tree, title_el, read, beside_title=False)
    # A <meta> with the day only loses to the visible date of that day with its time.
    if visible is not None and (machine is None or visible.value.date() == machine.value.date()):
        return visible
    return machine


def fallback_date(url: str, date_hint: datetime | None) -> PageDate | None:
    """Return the date the publisher gave elsewhere for a page that shows none: the feed's or
    sitemap's, else the day in the article's URL."""
    if date_hint is not None:
        local = date_hint.astimezone(VN_TZ)
        return PageDate(local, has_time=(local.hour, local.minute) != (0, 0))
    return date_in_url(url)


def visible_date(tree: HtmlElement, title_el: HtmlElement | None,
                 read: Callable[[str], PageDate | None], beside_title: bool) -> PageDate | None:
    """Return the first date shown in a date-classed element near the title, else in any
    short element beside it (many CMSs give the date line no telling class). With
    `beside_title`, look only in the title's own boxes and only at date-classed elements."""
    passes = ((DATE_CLASS, 120),) if beside_title else ((DATE_CLASS, 120), (ANY_CLASS, 60))
    for pattern, longest in passes:
        for element in near_title(tree, title_el, pattern, beside_title):
            # A linked date belongs to the article the link opens; an unclassed heading or
            # line with a link in it is another story's teaser.
            if in_teaser(element) or (pattern is ANY_CLASS and teaser(element)):
                continue
            text = element_text(element)
            if 4 <= len(text) <= longest and (found := read(text)):
                return found
    return None


def in_teaser(element: HtmlElement) -> bool:
    """True when the element sits in a link or heading that says more than it does: a
    headline with its date ("Vẻ đẹp tân Hoa hậu (20/12)"), not a date line that merely
    links somewhere."""
    holder = next(element.iterancestors("a", "h2", "h3", "h4", "h5", "h6"), None)
    return holder is not None and len(element_text(holder)) > len(element_text(element)) + 15


def teaser(element: HtmlElement) -> bool:
    """True for a heading or a line holding a link: how pages list other articles."""
    return element.tag in ("h2", "h3", "h4", "h5", "h6") or bool(select_all(element, "a[href]"))


def machine_readable_date(tree: HtmlElement, now: datetime) -> PageDate | None:
    """Return the date of a publication <meta> tag or of the first <time datetime>."""
    value = meta_content(tree, DATE_META)
    if not value:
        times = [t for t in select_all(tree, "time[datetime]") if not inside_noise(t)]
        value = times[0].get("datetime", "") if times else ""
    return parse_date(value, now=now) if value else None


def inside_noise(element: HtmlElement, scope: HtmlElement | None = None) -> bool:
    """True when the element sits in a related-news box, sidebar, footer or the like
    (looking no higher than `scope`). Share and print bars do not count: the article's own
    date line often sits in one."""
    for ancestor in element.iterancestors():
        if ancestor is scope:
            return False
        names = marks(ancestor)
        story_box = marked(STORY_BOX_CLASS, names) and not marked(META_BAR_CLASS, names)
        if story_box or ancestor.tag in ("aside", "footer", "nav"):
            return True
    return False


def htmldate_guess(html: str) -> str:
    """Return htmldate's guess of the page's date as YYYY-MM-DD ('' if none). It can take a
    related article's date, so it is the last resort and a source of years only."""
    return find_date_htmldate(html, extensive_search=True, original_date=True) or ""


def find_author(tree: HtmlElement, selector: str) -> str | None:
    """Return the author a byline element names: the registry's, else one marked as the
    author (itemprop, or a class such as "author" or "tac-gia")."""
    if selector:
        element = select_first(tree, (selector,))
        return clean_author(element_text(element)) if element is not None else None
    marked = (element for element in select_all(tree, "[itemprop=author]")
              if not inside_noise(element))
    for element in chain(marked, bylines(tree)):
        if not source_in_date_line(element) and \
                (author := clean_author(element_text(element))):
            return author
    return None


def bylines(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Yield the elements classed as the author's, in page order, then those classed as the
    source whose text is a "Theo X" credit; outside noise boxes. One walk of the page finds
    both kinds (a page often has neither, and each walk weighs a thousand elements)."""
    credits = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        names = marks(element)
        if marked(AUTHOR_CLASS, names) and not inside_noise(element):
            yield element
        if marked(CREDIT_CLASS, names) and not inside_noise(element):
            credits.append(element)
    yield from (element for element in credits if SOURCE_CREDIT.match(element_text(element)))


def source_in_date_line(element: HtmlElement) -> bool:
    """True for a "Theo X" credit printed in the article's date line ("Theo Ngoisao |
    25/12/2012 10:25"): it names the outlet the story was taken from, not the writer."""
    text, parent = element_text(element), element.getparent()
    line = element_text(parent) if parent is not None else ""
    return bool(SOURCE_CREDIT.match(text)) and line != text and \
        is_date_line(line.replace(text, " ", 1))


def take_byline(tree: HtmlElement, body: list[str], named: str | None,
                declared: str | None) -> tuple[str | None, list[str]]:
    """Return (author, body) with the byline that closes many Vietnamese articles taken out
    of the body. The author is the one a byline element names (`named`), else a labelled
    line among the last paragraphs ("Bài, ảnh: Hoàng Anh", "Theo TTXVN"), else the one the
    page declares in JSON-LD or <meta> (`declared`), else a short bold or right-aligned name
    there ("Thu Chung"). A body line that only repeats the author goes."""
    window = range(len(body) - 1, max(0, len(body) - BYLINE_WINDOW) - 1, -1)
    candidates = [(index, clean_author(body[index])) for index in window
                  if len(body[index]) <= MAX_BYLINE_CHARS]
    labelled = [(index, name) for index, name in candidates
                if name and looks_like_name(name) and BYLINE_LABEL.match(body[index])]
    emphasised_names = [(index, name) for index, name in candidates
                        if name and looks_like_name(name) and
                        max(map(len, map(str.split, re.split(r"\s[-–,]\s|/", name))))
                        <= MAX_BARE_BYLINE_WORDS and
                        emphasised(tree, body[index])]
    author = named or next((name for _, name in labelled), None) or declared or \
        next((name for _, name in emphasised_names), None)
    index = next((index for index, name in candidates if author and name == author), None)
    return author, body if index is None else body[:index] + body[index + 1:]


def declared_author(tree: HtmlElement) -> str | None:
    """Return the JSON-LD author, else <meta name=author>, when it names a person rather
    than the publisher ("VnExpress", "FPT Online", "Sở Tài nguyên và Môi trường tỉnh X")."""
    name = clean_author(json_ld_author(tree) or meta_content(tree, AUTHOR_META))
    if not name or " " not in name or not looks_like_name(name):
        return None
    return None if PUBLISHER_WORDS.search(name) else name


def json_ld_author(tree: HtmlElement) -> str:
    """Return the author's name a JSON-LD block gives ("author": {"name": ...}), or ''."""
    for script in select_all(tree, "script[type='application/ld+json']"):
        found = re.search(r'"author"\s*:\s*\[?\s*\{[^{}]*?"name"\s*:\s*"([^"]{2,60})"',
                          script.text or "")
        if found:
            return found.group(1)
    return ""


def emphasised(tree: HtmlElement, text: str) -> bool:
    """True when the page prints `text` as a paragraph aligned right or all in bold."""
    bare = "".join(text.split())
    for element in tree.iter("p", "div"):
        content = element.text_content()
        # text_content() (in C) holds at least the element's text: shorter, it cannot match.
        if len(content) < len(bare) or squeezed_text(element, content) != bare:
            continue
        bold = "".join("".join(b.itertext()) for b in element.iter("strong", "b"))
        layout = f"{element.get('style', '')} {element.get('align', '')}".lower()
        if re.sub(r"\s+", "", bold) == bare or "right" in layout:
            return True
    return False


def squeezed_text(element: HtmlElement, content: str) -> str:
    """Return element_text(element) without its white space. `content`, the element's
    text_content() (lxml, in C), has the same characters when no script inside adds its
    text and it is NFC already (element_text composes): then the slow walk is skipped."""
    if element.find(".//script") is None and unicodedata.is_normalized("NFC", content):
        return "".join(content.split())
    return "".join(element_text(element).split())


def looks_like_name(text: str) -> bool:
    """True for a short run of capitalised words: 'Thu Chung', 'NGỌC HÀ', 'Nhóm PV'."""
    words = [word for word in re.split(r"[\s/()\-–,&]+", text) if word]
    return 0 < len(words) <= 8 and all(word[0].isupper() for word in words)


def clean_author(text: str) -> str | None:
    """Return a person's name from a byline ('Theo Thu Hà', 'Tác giả: Thu Hà', 'H.V.
    Ảnh: Misso'), without its label or photo credit."""
    text = BYLINE_LABEL.sub("", normalise_text(text))
    text = PHOTO_CREDIT.sub("", text).strip(" -–|,")
    # A number standing alone is a date, a time or a count; one inside a name is not ("K14").
    if not text or len(text) > 60 or any(word.isdigit() for word in re.findall(r"\w+", text)):
        return None
    return text


# --- body -------------------------------------------------------------------------------

def body_paragraphs(tree: HtmlElement, selectors: Selectors | None, url: str,
                    drop: tuple[HtmlElement | None, ...], page_chars: int | None = None
                    ) -> list[str]:
    """Return the body's text blocks in order: the registry's body container through
    trafilatura where the source has one; else trafilatura over the prepared page, or the
    page's main text blocks when trafilatura misses most of their text. `page_chars`: the
    length of element_text(tree), when known."""
    for selector in selectors.remove if selectors else ():
        for element in select_all(tree, selector):
            element.drop_tree()
            page_chars = None  # less text now
    container = select_first(tree, (selectors.body,)) if selectors and selectors.body else None
    if container is None:
        prepare(tree, keep_boxes=False, headline=drop[0], page_chars=page_chars)
        paragraphs = trafilatura_blocks(trafilatura_copy(tree), url, favor_precision=True)
        return better_body(paragraphs, tree)
    for element in drop:  # the registry's title and lead sit apart from the body
        if element is not None and element.getparent() is not None:
            element.drop_tree()
    prepare(container, keep_boxes=True)
    document = lxml_html.tostring(container, encoding="unicode")
    return trafilatura_blocks(f"<html><body><article>{document}</article></body></html>", url,
                              favor_recall=True)


def trafilatura_copy(tree: HtmlElement) -> HtmlElement:
    """Return a copy of the tree for trafilatura to change, as its own parser would have read
    the tree's HTML (no comments or processing instructions): a copy costs a fraction of
    writing the HTML out and parsing it again."""
    copy = deepcopy(tree)
    etree.strip_elements(copy, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    return copy


def trafilatura_blocks(document: str | HtmlElement, url: str, *, favor_precision: bool = False,
                       favor_recall: bool = False) -> list[str]:
    """Return the text blocks trafilatura extracts from `document` (tables included)."""
    xml = trafilatura.extract(document, url=url, output_format="xml", include_tables=True,
                              include_images=False, include_comments=False,
                              include_links=False, deduplicate=False,
                              favor_precision=favor_precision, favor_recall=favor_recall)
    return list(xml_blocks(xml)) if xml else []


def prepare(root: HtmlElement, keep_boxes: bool, headline: HtmlElement | None = None,
            page_chars: int | None = None) -> None:
    """Strip noise boxes; on Vietnamese pages, turn image captions and text-only divs
    among paragraphs into paragraphs. `page_chars`: len(element_text(root)), when known."""
    if not keep_boxes:
        drop_noise_boxes(root, headline, page_chars)
        drop_link_lists(root)
    if is_vietnamese(root):
        captions_as_paragraphs(root)
        divs_as_paragraphs(root)


def captions_as_paragraphs(root: HtmlElement) -> None:
    """Make photo captions paragraphs trafilatura keeps. Our Vietnamese sources tell the
    news in them (who, where: "Ảnh: Lãnh đạo Sở kiểm tra…"); elsewhere they are page
    furniture, as the article-extraction-benchmark's truth has it."""
    for table in select_all(root, "table"):
        if is_layout_table(table):
            unwrap_table(table)
            continue
        if select_all(table, "img") and len(element_text(table)) < 300:
            table.tag = "div"  # a layout table around a photo, not data
            for cell in select_all(table, "tr, td, tbody, thead"):
                cell.tag = "p" if cell.tag == "td" and element_text(cell) else "div"
    for caption in select_all(root, CAPTIONS):
        if select_all(caption, "p, div"):
            caption.drop_tag()  # its own paragraphs stay, one per line
        else:
            caption.tag = "p"
            caption.attrib.clear()  # trafilatura drops anything classed "caption"
    for figure in select_all(root, "figure"):
        figure.drop_tag()  # trafilatura skips figures whole, captions included


def is_vietnamese(root: HtmlElement) -> bool:
    """True when the page says it is in Vietnamese (<html lang="vi">) or its text has the
    letters only Vietnamese uses (ơ, ư, đ, ạ, ế…): many portals declare lang="en" wrongly."""
    if (root.getroottree().getroot().get("lang") or "").strip().lower().startswith("vi"):
        return True
    letters = [char for char in element_text(root).lower() if char.isalpha()]
    return sum(char in VIETNAMESE_LETTERS for char in letters) >= 0.02 * max(len(letters), 1)


def is_layout_table(table: HtmlElement) -> bool:
    """True for a table that lays out a page (old portals put whole columns in cells): one
    of its own cells holds a headline, three paragraphs, or two or more blocks of its own."""
    return any(cell.xpath(".//h1 | .//h2") or len(cell.xpath(".//p")) >= 3 or
               len([child for child in cell if child.tag in LAYOUT_BLOCKS]) >= 2
               for cell in table.xpath("./tr/td | ./tbody/tr/td"))


def unwrap_table(table: HtmlElement) -> None:
    """Turn a layout table and its rows and cells into plain blocks."""
    for element in [table, *table.xpath("./tr | ./tbody | ./tbody/tr | ./tr/td | ./tbody/tr/td")]:
        element.tag = "div"
        element.attrib.pop("width", None)


def drop_noise_boxes(root: HtmlElement, headline: HtmlElement | None = None,
                     page_chars: int | None = None) -> None:
    """Remove boxes classed as related news, comments, share tools, ads and the like. A box
    is the article column, whatever its name, when it holds a third of the page's text or
    half of its paragraph text ("entry-content-read-more", "page-content with-sidebar"), or
    the article's headline (the printable region "print-news" of many portals)."""
    total = (len(element_text(root)) if page_chars is None else page_chars) or 1
    paragraphs = paragraph_chars(root) or 1
    keep = set(headline.iterancestors()) if headline is not None else set()
    dropped: set[HtmlElement] = set()
    for element in list(root.iter()):
        if element.getparent() in dropped:  # gone with its box: no need to weigh it
            dropped.add(element)
            continue
        if isinstance(element.tag, str) and element.getparent() is not None and \
                element.tag not in ("html", "body", "article", "main") and \
                element not in keep and \
                marked(NOISE_CLASS, marks(element)) and len(element_text(element)) < total / 3 \
                and paragraph_chars(element) < paragraphs / 2:
            element.drop_tree()
            dropped.add(element)


def drop_link_lists(root: HtmlElement) -> None:
    """Remove lists whose every item is one link (other stories' headlines, menus), with
    the box around them when it adds only a heading or a "see all" link ("Thông tin cập
    nhật về Amazon" over three headlines and "Xem tất cả >>")."""
    for items in list(root.iter("ul", "ol")):
        if root not in items.iterancestors() or not is_link_list(items):
            continue  # already dropped with an earlier box
        box = items
        while (parent := box.getparent()) is not root and parent.tag not in ("body", "html") \
                and len(element_text(parent)) - len(element_text(box)) <= MAX_BOX_LABEL_CHARS:
            box = parent
        box.drop_tree()


def is_link_list(items: HtmlElement) -> bool:
    """True for a list of two or more items, each of them all link text."""
    entries = [item for item in items if item.tag == "li"]
    return len(entries) >= 2 and all(
        (text := element_text(item)) and
        len(text) <= sum(len(element_text(link)) for link in item.iter("a")) for item in entries)


def paragraph_chars(element: HtmlElement) -> int:
    """Return how many characters of prose the element's <p>s hold."""
    return sum(prose_chars(paragraph) for paragraph in element.iter("p"))


def divs_as_paragraphs(root: HtmlElement) -> None:
    """Make a text-only <div> a paragraph where its siblings are paragraphs: old CMSs and
    text pasted from Word mix <DIV>s and <P>s in one article box, and trafilatura in
    precision mode drops the divs (a lost first sentence)."""
    for div in list(root.iter("div")):
        parent = div.getparent()
        if parent is None or any(isinstance(child.tag, str) and
                                 child.tag not in (*INLINE_TAGS, "br")
                                 for child in div.iterdescendants()):
            continue
        if len(element_text(div)) >= MIN_PARAGRAPH_CHARS and \
                any(sibling.tag == "p" and element_text(sibling) for sibling in parent):
            div.tag = "p"


def xml_blocks(xml: str) -> Iterator[str]:
    """Yield the text blocks of trafilatura's XML output: paragraphs, headings, list items,
    quotes and table rows ('cell | cell')."""
    root = etree.fromstring(xml.encode("utf-8"))
    for line_break in root.iter("lb"):  # <br>: "FL<br>June" is two words, not "FLJune"
        line_break.tail = " " + (line_break.tail or "")
    main = root.find("main")
    for element in (main if main is not None else root).iter(*TEXT_BLOCKS):
        if any(ancestor.tag in TEXT_BLOCKS for ancestor in element.iterancestors()):
            continue
        if element.tag == "row":
            cells = [normalise_text("".join(c.itertext())) for c in element.iter("cell")]
            text = " | ".join(cell for cell in cells if cell)
        else:
            text = normalise_text("".join(element.itertext()))
        if text:
            yield text


def split_lead(lead: str, paragraphs: list[str]) -> tuple[str, list[str]]:
    """Return (lead, body): when the page has no lead element but the first paragraph is
    a standfirst ('(TN&MT) - …', '(Baohatinh.vn) - …'), it becomes the lead. A "lead" as
    long as an article, or holding two body paragraphs, is the article's own box classed
    like a summary ("text-with-summary"): the body has its text."""
    lead = normalise_text(lead)
    if len(lead) > MAX_LEAD_CHARS or sum(paragraph in lead for paragraph in paragraphs) >= 2:
        lead = ""
    if not lead and paragraphs and re.match(r"^\([^)]{2,30}\)\s*[-–—]", paragraphs[0]):
        return normalise_text(paragraphs[0]), paragraphs[1:]
    return lead, paragraphs
