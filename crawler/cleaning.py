"""What trafilatura leaves behind on Vietnamese news pages, and how we remove it.

Two kinds of rules: elements to delete from the page before extraction (by class or id
words such as "related" or "quang-cao"), and whole lines to drop from the extracted text
(ad labels, font-size tools, comment counters, box headings, CMS credits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.article import normalise_text
from crawler.dates import is_date_line

# Lines that are never article text, compared after normalise_text() and casefold().
BOILERPLATE_LINES = frozenset(line.casefold() for line in (
    "Tin nổi bật", "Đọc thêm", "Xem thêm", "Tin liên quan", "Bài liên quan",
    "Bài viết liên quan", "Tin cùng chuyên mục", "Tin khác", "Các tin khác", "Tin mới",
    "Tin mới nhất", "Mới nhất", "Mới nhất & Dành cho bạn", "Đọc nhiều", "Xem nhiều",
    "Tin đọc nhiều", "Có thể bạn quan tâm", "Bạn đọc quan tâm", "Chia sẻ", "Chia sẻ bài viết",
    "In bài", "In bài viết", "Gửi bài", "Gửi email", "Lưu bài", "Bình luận", "Ý kiến bạn đọc",
    "Gửi bình luận", "Quay lại", "Về đầu trang", "Trở về", "Tweet", "Like", "Share",
    "Tin mới Emagazine Truyền hình Podcast", "Emagazine", "Podcast", "Truyền hình",
    "Trang chủ", "Liên hệ", "Tags", "Từ khóa", "Từ khoá",
))

BOILERPLATE_PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    r"^-*\s*qu[ảa]ng\s+c[áa]o\s*-*$",                    # "--Quảng cáo---"
    r"^(xem với )?cỡ chữ\b.{0,20}$",                     # "Xem với cỡ chữ : A- A A+"
    r"^a-\s*a\s*a\+$",
    r"^\(?\d+\)?\s*bình luận$",                          # "(0) Bình luận"
    r"^bình luận\s*\(\d+\)$",
    r"^powered by\b",                                    # "POWERED BY ONECMS - A PRODUCT OF NEKO"
    r"^(bản quyền|copyright|©)",
    r"^(chủ đề|từ khóa|từ khoá|tags?)\s*:?\s+[^.!?]{1,100}$",  # tag lines, not sentences
    r"^theo dõi .{1,60} trên google news$",
    r"^>+\s*(xem tiếp|xem thêm|đọc thêm|mời xem)\b",        # ">> Xem tiếp: …"
    r"^(>>|»)",                                           # ">> Other story >> Another"
    r"^(cn|t[2-7]|th[2-7])(\s*\|\s*(cn|t[2-7]|th[2-7])){5,}$",  # a calendar's weekday row
    r"^\W?\w?\W?$",                                         # "X" (a close button), "|"
    r"^chia sẻ\b.{0,80}\btại đây\.?$",                    # "Chia sẻ ảnh của bạn tại đây"
    r"^(nguồn|source)\s*:\s*\S+\.(vn|com|net)\S*$",
    r"^nguồn( tin)?\s*:\s*[^.!?]{1,80}$",                 # NukeViet "Nguồn tin: Sở TN&MT"
    r"^lượt xem\s*:?\s*[\d.,]+$",
    r"^(in|print|email|facebook|zalo|twitter)(\s*[|·]\s*(in|print|email|facebook|zalo|twitter))+$",
))

# Class or id words of boxes that hold other articles (their titles and dates) or the
# page's frame: a date or byline found inside one is not the article's.
STORY_BOX_WORDS = (
    r"related|relate|lien-?quan|tinlienquan|tin-?khac|other-?news|more-?news|read-?more|"
    r"doc-?them|other|others|tin-?noi-?bat|noi-?bat|most-?read|doc-?nhieu|xem-?nhieu|"
    r"comments?|binh-?luan|advert\w*|ads|adv|banner|quang-?cao|qc|sidebar|footer|header|"
    r"menu|navbar|nav|widget|popup|modal|newsletter|subscribe|marquee|headlines|"
    # Old CMSs glue words together: "newsother", "othernews", "hotNews", "znews_rightcol".
    r"newsother|othernews|hot-?news|newshot\w*|right-?col|side-?col|phan-?hoi\w*|y-?kien|sub-?menu"
).replace("-?", "[-_]?")  # "other_news" as well as "other-news"
# Words of the article's own toolbars: share and print links, font-size tools, tags. Not
# text, but a date line often sits in the same bar.
TOOL_WORDS = (
    r"share|social|sharing|print|font-?size|text-?size|fontsize|breadcrumbs?|tags?|keywords?"
).replace("-?", "[-_]?")
STORY_BOX_CLASS = re.compile(rf"(^|[\s_-])({STORY_BOX_WORDS})($|[\s_-])", re.IGNORECASE)
# Elements whose class or id has one of these words are boxes around the article, not it.
NOISE_CLASS = re.compile(rf"(^|[\s_-])({STORY_BOX_WORDS}|{TOOL_WORDS})($|[\s_-])",
                         re.IGNORECASE)


def is_boilerplate_line(line: str) -> bool:
    """True when a whole line is page furniture rather than article text."""
    text = normalise_text(line)
    if not text:
        return True
    folded = text.casefold()
    return folded in BOILERPLATE_LINES or any(p.search(text) for p in BOILERPLATE_PATTERNS) \
        or is_date_line(text)


def clean_paragraphs(paragraphs: Iterable[str], *, title: str, lead: str = "") -> list[str]:
    """Return the body paragraphs without boilerplate, captions that only repeat the title,
    the lead repeated, or a paragraph repeated right after itself."""
    repeats = {normalise_text(title).casefold(), normalise_text(lead).casefold()} - {""}
    cleaned: list[str] = []
    for paragraph in paragraphs:
        text = normalise_text(paragraph)
        if is_boilerplate_line(text) or _repeats_one_of(text, repeats):
            continue
        if cleaned and cleaned[-1] == text:
            continue
        cleaned.append(text)
    return cleaned


def _repeats_one_of(text: str, repeats: set[str]) -> bool:
    """True when the text is one of `repeats`, or one of them followed by furniture (a lead
    ending with a related story's link: "… gây ô nhiễm. >> Xả rác - sự hồn nhiên độc ác")."""
    folded = text.casefold().rstrip(" .…")
    for other in (other.rstrip(" .…") for other in repeats):
        rest = folded[len(other):].lstrip(" .") if folded.startswith(other) else None
        if folded == other or (rest is not None and is_boilerplate_line(rest)):
            return True
    return False
