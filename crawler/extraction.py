"""Extraction: one saved page in, one clean Article out (or None).

Pure: knows nothing of Scrapy, the database or the clock ("now" is an argument). The
registry's CSS selectors win where a source has them; otherwise generic rules find the
title, the article's own date and the lead, and trafilatura finds the body. Our cleaning
then removes what trafilatura leaves on Vietnamese pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache

import trafilatura
from htmldate import find_date as find_date_htmldate
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

from crawler.article import Article, normalise_text
from crawler.blocks import better_body, element_text
from crawler.cleaning import NOISE_CLASS, clean_paragraphs
from crawler.dates import PageDate, parse_date
from crawler.registry import Selectors, Source
from crawler.urls import canonical_url, same_site

# Generic places, used when the registry gives no selector for a field.
TITLE_SELECTORS = ("h1[class*=title]", "article h1", "main h1", "h1")
MIN_TITLE_CHARS = 10
MAX_LEAD_CHARS = 1000
LEAD_CLASS = re.compile(r"(^|[\s_-])(sapo|lead|summary|chapeau|intro|desc|description|"
                        r"short-?desc|tom-?tat)($|[\s_-])", re.IGNORECASE)
DATE_CLASS = re.compile(r"(date|time|publish|ngay|thoi-?gian|posted|meta)", re.IGNORECASE)
ANY_CLASS = re.compile("")
AUTHOR_CLASS = re.compile(r"(author|tac-?gia|byline|writer|signature)", re.IGNORECASE)
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
STRIP_TAGS = ("script", "style", "noscript", "iframe", "form > input", "svg", "button")
VIETNAMESE_LETTERS = frozenset("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
TEXT_BLOCKS = ("p", "head", "item", "quote", "row")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def extract_article(html: str, url: str, *, source: Source | None = None, now: datetime,
                    date_hint: datetime | None = None) -> Article | None:
    """Return the article in `html` (fetched from `url`), or None when there is none."""
    tree = parse_html(html)
    if tree is None:
        return None
    selectors = source.selectors if source else None
    title_el = find_title(tree, selectors.title if selectors else "")
    title = element_text(title_el) if title_el is not None else meta_content(
        tree, ("meta[property='og:title']",)) or normalise_text(tree.findtext(".//title") or "")
    lead_el = find_lead(tree, selectors.lead if selectors else "", title_el)
    lead = element_text(lead_el) if lead_el is not None else ""
    published = find_date(tree, html, selectors.date if selectors else "", title_el, now,
                          date_hint)
    author = find_author(tree, selectors.author if selectors else "")
    paragraphs = body_paragraphs(tree, selectors, url, drop=(title_el, lead_el))
    lead, paragraphs = split_lead(lead, paragraphs)
    body = clean_paragraphs(paragraphs, title=title, lead=lead)
    if not title or not body:
        return None
    return Article(
        url=page_canonical_url(tree, url), title=normalise_text(title), lead=lead,
        paragraphs=tuple(body), author=author,
        published_at=published.value if published else None,
        published_has_time=bool(published and published.has_time),
    )


def parse_html(html: str) -> HtmlElement | None:
    """Return the page's element tree without scripts, styles and controls (whose text is
    never the article's, not even a lead's), or None for an empty or unparsable page."""
    html = XML_DECLARATION.sub("", html, count=1)  # lxml refuses it in a str
    if not html.strip():
        return None
    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for tag in STRIP_TAGS:
        for element in tree.cssselect(tag):
            element.drop_tree()
    return tree


def select_first(tree: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement | None:
    """Return the first element matched by the first selector that matches anything."""
    for selector in selectors:
        found = tree.cssselect(selector)
        if found:
            return found[0]
    return None


def meta_content(tree: HtmlElement, selectors: tuple[str, ...]) -> str:
    """Return the content of the first matching <meta> tag with a value."""
    for selector in selectors:
        for element in tree.cssselect(selector):
            if value := normalise_text(element.get("content", "")):
                return value
    return ""


def page_canonical_url(tree: HtmlElement, url: str) -> str:
    """Return the page's declared canonical URL when it is on the same site, else `url`."""
    for link in tree.cssselect("link[rel=canonical]"):
        href = (link.get("href") or "").strip()
        if href.startswith(("http://", "https://")) and same_site(href, url):
            return canonical_url(href)
    return canonical_url(url)


# --- metadata ---------------------------------------------------------------------------

def find_title(tree: HtmlElement, selector: str) -> HtmlElement | None:
    """Return the headline element: the registry's, else the first h1 with words in it
    (pages often wrap their logo in an empty h1)."""
    if selector:
        return select_first(tree, (selector,))
    for generic in TITLE_SELECTORS:
        for element in tree.cssselect(generic):
            if len(element_text(element)) >= MIN_TITLE_CHARS:
                return element
    return None


def find_lead(tree: HtmlElement, selector: str, title_el: HtmlElement | None
              ) -> HtmlElement | None:
    """Return the standfirst element: the registry's, else one classed like a sapo."""
    if selector:
        return select_first(tree, (selector,))
    return next((element for element in classed(following(tree, title_el), LEAD_CLASS)
                 if element.tag in ("p", "div", "h2", "strong")
                 and len(element_text(element)) >= 40), None)


def classed(elements: Iterator[HtmlElement], pattern: re.Pattern[str],
            scope: HtmlElement | None = None) -> Iterator[HtmlElement]:
    """Yield the elements whose class or id matches `pattern`, outside noise boxes
    (below `scope`, when given)."""
    for element in elements:
        if isinstance(element.tag, str) and pattern.search(marks(element)) and \
                not inside_noise(element, scope):
            yield element


def near_title(tree: HtmlElement, title_el: HtmlElement | None, pattern: re.Pattern[str]
               ) -> Iterator[HtmlElement]:
    """Yield `pattern`-classed elements closest to the title first: in its parent, then
    grandparent (up to four levels), then anywhere after it. That is where a page puts
    the article's own date and byline; related boxes come later."""
    scope = title_el
    for _ in range(4):
        scope = scope.getparent() if scope is not None else None
        if scope is None:
            break
        yield from classed(scope.iter(), pattern, scope)
    yield from classed(following(tree, title_el), pattern)


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
              now: datetime, date_hint: datetime | None) -> PageDate | None:
    """Return the article's own publication date.

    Order: the registry's date element; a <time datetime> or publication <meta> with a time
    of day; the date-classed element nearest the title (the article's, not a related
    box's); a <meta> with the day only; last, htmldate's guess. A date without a year takes
    it from the feed/sitemap hint or from the page's other dates, else the crawl date's.
    """
    page_guess = cache(lambda: htmldate_guess(html))

    def year_hint() -> int | None:
        if date_hint is not None:
            return date_hint.year
        guess = page_guess()
        return int(guess[:4]) if guess[:4].isdigit() else None

    element = select_first(tree, (selector,)) if selector else None
    if element is not None and (found := parse_date(element_text(element), now=now,
                                                    year_hint=year_hint())):
        return found
    machine = machine_readable_date(tree, now)
    if machine is not None and machine.has_time:
        return machine
    visible = visible_date(tree, title_el, now, year_hint)
    # A <meta> with the day only loses to the visible date of that day with its time.
    if visible is not None and (machine is None or visible.value.date() == machine.value.date()):
        return visible
    if machine is not None:
        return machine
    guess = page_guess()
    return parse_date(guess, now=now) if guess else None


def visible_date(tree: HtmlElement, title_el: HtmlElement | None, now: datetime,
                 year_hint: Callable[[], int | None]) -> PageDate | None:
    """Return the first date shown in a date-classed element near the title, else in any
    short element beside it (many CMSs give the date line no telling class)."""
    for pattern, longest in ((DATE_CLASS, 120), (ANY_CLASS, 60)):
        for element in near_title(tree, title_el, pattern):
            text = element_text(element)
            if 4 <= len(text) <= longest and (found := parse_date(text, now=now,
                                                                  year_hint=year_hint())):
                return found
    return None


def machine_readable_date(tree: HtmlElement, now: datetime) -> PageDate | None:
    """Return the date of a publication <meta> tag or of the first <time datetime>."""
    value = meta_content(tree, DATE_META)
    if not value:
        times = [t for t in tree.cssselect("time[datetime]") if not inside_noise(t)]
        value = times[0].get("datetime", "") if times else ""
    return parse_date(value, now=now) if value else None


def inside_noise(element: HtmlElement, scope: HtmlElement | None = None) -> bool:
    """True when the element sits in a related-news box, sidebar, footer or the like
    (looking no higher than `scope`)."""
    for ancestor in element.iterancestors():
        if ancestor is scope:
            return False
        if NOISE_CLASS.search(marks(ancestor)) or ancestor.tag in ("aside", "footer", "nav"):
            return True
    return False


def htmldate_guess(html: str) -> str:
    """Return htmldate's guess of the page's date as YYYY-MM-DD ('' if none). It can take a
    related article's date, so it is the last resort and a source of years only."""
    return find_date_htmldate(html, extensive_search=True, original_date=True) or ""


def find_author(tree: HtmlElement, selector: str) -> str | None:
    """Return the author the page names: the registry's element, a byline, or <meta>."""
    if selector:
        element = select_first(tree, (selector,))
        return clean_author(element_text(element)) if element is not None else None
    for element in classed(tree.iter(), AUTHOR_CLASS):
        if author := clean_author(element_text(element)):
            return author
    return clean_author(meta_content(tree, AUTHOR_META))


def clean_author(text: str) -> str | None:
    """Return a person's name from a byline ('Theo Thu Hà', 'Tác giả: Thu Hà')."""
    text = re.sub(r"^(theo|tác giả|bài và ảnh|bài, ảnh|bài|ảnh|by)\s*:?\s*", "", text,
                  flags=re.IGNORECASE).strip(" -–|,.")
    if not text or len(text) > 60 or re.search(r"\d", text):
        return None
    return text


# --- body -------------------------------------------------------------------------------

def body_paragraphs(tree: HtmlElement, selectors: Selectors | None, url: str,
                    drop: tuple[HtmlElement | None, ...]) -> list[str]:
    """Return the body's text blocks in order: the registry's body container through
    trafilatura where the source has one; else trafilatura over the prepared page, or the
    page's main text blocks when trafilatura misses most of their text."""
    for selector in selectors.remove if selectors else ():
        for element in tree.cssselect(selector):
            element.drop_tree()
    container = select_first(tree, (selectors.body,)) if selectors and selectors.body else None
    if container is None:
        prepare(tree, keep_boxes=False)
        paragraphs = trafilatura_blocks(lxml_html.tostring(tree, encoding="unicode"), url,
                                        favor_precision=True)
        return better_body(paragraphs, tree)
    for element in drop:  # the registry's title and lead sit apart from the body
        if element is not None and element.getparent() is not None:
            element.drop_tree()
    prepare(container, keep_boxes=True)
    document = lxml_html.tostring(container, encoding="unicode")
    return trafilatura_blocks(f"<html><body><article>{document}</article></body></html>", url,
                              favor_recall=True)


def trafilatura_blocks(document: str, url: str, *, favor_precision: bool = False,
                       favor_recall: bool = False) -> list[str]:
    """Return the text blocks trafilatura extracts from `document` (tables included)."""
    xml = trafilatura.extract(document, url=url, output_format="xml", include_tables=True,
                              include_images=False, include_comments=False,
                              include_links=False, deduplicate=False,
                              favor_precision=favor_precision, favor_recall=favor_recall)
    return list(xml_blocks(xml)) if xml else []


def prepare(root: HtmlElement, keep_boxes: bool) -> None:
    """Strip noise boxes; on Vietnamese pages, turn image captions into paragraphs."""
    if not keep_boxes:
        drop_noise_boxes(root)
    if is_vietnamese(root):
        captions_as_paragraphs(root)


def captions_as_paragraphs(root: HtmlElement) -> None:
    """Make photo captions paragraphs trafilatura keeps. Our Vietnamese sources tell the
    news in them (who, where: "Ảnh: Lãnh đạo Sở kiểm tra…"); elsewhere they are page
    furniture, as the article-extraction-benchmark's truth has it."""
    for table in root.cssselect("table"):
        if table.cssselect("img") and len(element_text(table)) < 300:
            table.tag = "div"  # a layout table around a photo, not data
            for cell in table.cssselect("tr, td, tbody, thead"):
                cell.tag = "p" if cell.tag == "td" and element_text(cell) else "div"
    for caption in root.cssselect(CAPTIONS):
        if caption.cssselect("p, div"):
            caption.drop_tag()  # its own paragraphs stay, one per line
        else:
            caption.tag = "p"
            caption.attrib.clear()  # trafilatura drops anything classed "caption"
    for figure in root.cssselect("figure"):
        figure.drop_tag()  # trafilatura skips figures whole, captions included


def is_vietnamese(root: HtmlElement) -> bool:
    """True when the page says it is in Vietnamese (<html lang="vi">) or its text has the
    letters only Vietnamese uses (ơ, ư, đ, ạ, ế…): many portals declare lang="en" wrongly."""
    if (root.getroottree().getroot().get("lang") or "").strip().lower().startswith("vi"):
        return True
    letters = [char for char in element_text(root).lower() if char.isalpha()]
    return sum(char in VIETNAMESE_LETTERS for char in letters) >= 0.02 * max(len(letters), 1)


def drop_noise_boxes(root: HtmlElement) -> None:
    """Remove boxes classed as related news, comments, share tools, ads and the like. A box
    is the article column, whatever its name, when it holds a third of the page's text or
    half of its paragraph text ("entry-content-read-more", "page-content with-sidebar")."""
    total = len(element_text(root)) or 1
    paragraphs = paragraph_chars(root) or 1
    for element in list(root.iter()):
        if isinstance(element.tag, str) and element.getparent() is not None and \
                element.tag not in ("html", "body", "article", "main") and \
                NOISE_CLASS.search(marks(element)) and len(element_text(element)) < total / 3 \
                and paragraph_chars(element) < paragraphs / 2:
            element.drop_tree()


def paragraph_chars(element: HtmlElement) -> int:
    """Return how many characters of text the element's <p>s hold."""
    return sum(len(element_text(paragraph)) for paragraph in element.iter("p"))


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
