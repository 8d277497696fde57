"""The page's main text blocks: a second body extractor for when trafilatura misses the text.

The main block is the element whose child paragraphs hold the most text; pages that split
the article into several boxes of the same kind (tag and class) between ads give all of them.
When trafilatura's body leaves out most of those paragraphs (it stopped at the first box, or
picked an ad or a teaser list), the blocks' own paragraphs are the body instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from lxml.html import HtmlElement

from crawler.article import normalise_text

# Tags that sit inside a line of text, not around blocks.
INLINE_TAGS = frozenset({"span", "a", "b", "strong", "i", "em", "u", "font", "sup", "sub",
                         "small", "big", "img", "abbr", "code", "mark", "q", "s", "time"})
MIN_PARAGRAPH_CHARS = 25  # shorter <p>s are bylines, labels and buttons, not article text
# Text blocks read from the main blocks, outermost only.
BLOCK_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "table")
# Below this share of the main blocks' paragraph text, trafilatura's body is taken as missed.
MIN_COVERAGE = 0.5


# A keyword list ("báo , tin nhanh , vụ án , …" in a footer) is not prose: many pieces
# between commas, of a few words each.
MIN_LIST_PIECES = 8
MAX_LIST_PIECE_WORDS = 4


def element_text(element: HtmlElement) -> str:
    """Return the element's visible text as a browser lays it out, spaces folded: inline
    tags join their text ("m<span>ột" is "một", "<a>tổng hợp</a>." ends "tổng hợp."), block
    tags and <br> separate it."""
    parts: list[str] = []
    add_text(element, parts)
    return normalise_text("".join(parts))


def add_text(element: HtmlElement, parts: list[str]) -> None:
    """Append the element's text, its children's and their tails to `parts`."""
    tag = element.tag
    if not isinstance(tag, str):  # a comment: only its tail, which the caller adds, shows
        return
    separate = tag not in INLINE_TAGS
    if separate:
        parts.append(" ")
    if element.text and tag != "script":
        parts.append(element.text)
    for child in element:
        add_text(child, parts)
        if child.tail:
            parts.append(child.tail)
    if separate:
        parts.append(" ")


def is_keyword_list(text: str) -> bool:
    """True for a list of keywords or tags run together with commas, not a sentence."""
    pieces = [piece for piece in re.split(r"[,;|]", text) if piece.strip()]
    return len(pieces) >= MIN_LIST_PIECES and \
        len(text.split()) <= MAX_LIST_PIECE_WORDS * len(pieces)


def prose_chars(paragraph: HtmlElement) -> int:
    """Return the length of a paragraph's text, 0 for a keyword list."""
    text = element_text(paragraph)
    return 0 if is_keyword_list(text) else len(text)


def main_blocks(root: HtmlElement) -> list[HtmlElement]:
    """Return the element whose child paragraphs hold the most text, with every element of
    the same tag and class that also has such paragraphs, in page order."""
    chars: Counter[HtmlElement] = Counter()
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        if parent is not None and (length := prose_chars(paragraph)) >= MIN_PARAGRAPH_CHARS:
            chars[parent] += length
    if not chars:
        return []
    top = chars.most_common(1)[0][0]
    return [element for element in root.iter(top.tag)
            if element in chars and element.get("class") == top.get("class")]


def coverage(blocks: Iterable[HtmlElement], paragraphs: list[str]) -> float:
    """Return the share of the blocks' paragraph text (in characters) found in `paragraphs`."""
    found_in = normalise_text(" ".join(paragraphs))
    total = found = 0
    for block in blocks:
        for paragraph in block.iter("p"):
            if len(text := element_text(paragraph)) >= MIN_PARAGRAPH_CHARS:
                total += len(text)
                found += len(text) if text in found_in else 0
    return found / total if total else 1.0


def block_paragraphs(blocks: Iterable[HtmlElement]) -> list[str]:
    """Return the blocks' text blocks (paragraphs, subheads, list items, quotes, tables) in
    order, each once: an element inside another text block is part of that block's text."""
    paragraphs = []
    for block in blocks:
        for element in block.iter(*BLOCK_TAGS):
            if any(ancestor.tag in BLOCK_TAGS for ancestor in
                   ancestors_below(element, block)):
                continue
            if text := element_text(element):
                paragraphs.append(text)
    return paragraphs


def ancestors_below(element: HtmlElement, top: HtmlElement) -> Iterable[HtmlElement]:
    """Yield the element's ancestors up to, not including, `top`."""
    for ancestor in element.iterancestors():
        if ancestor is top:
            return
        yield ancestor


def better_body(paragraphs: list[str], root: HtmlElement) -> list[str]:
    """Return the main blocks' paragraphs when `paragraphs` (trafilatura's) leave out most
    of their text and are shorter; else `paragraphs`."""
    blocks = main_blocks(root)
    if not blocks or coverage(blocks, paragraphs) >= MIN_COVERAGE:
        return paragraphs
    own = block_paragraphs(blocks)
    return own if chars(own) > chars(paragraphs) else paragraphs


def chars(paragraphs: list[str]) -> int:
    """Return the paragraphs' total length."""
    return sum(len(paragraph) for paragraph in paragraphs)
