"""A synthetic mirror for the throughput benchmark: N sources × M article pages.

Every page is one of OUR fixture pages (the gold set's platform markups under
tests/resources/gold/<platform>/ and the bundled mirror's articles) with its article
replaced: the gold JSON tells where the title, lead, date, author and body sit, and those
become slots (`Template`). Each source keeps one platform. The page is then made as heavy
as a real Vietnamese news page (50–200 KB: a mega-menu of hundreds of links, most-read and
related boxes with dates, "--Quảng cáo---" ad slots, inline CSS, scripts and JSON-LD, a
comment block, a footer), and its body is 400–1500 words recombined from our Vietnamese
texts (gold pages, bundled articles, the near-duplicate set, the seeds) with random names,
places and numbers, so no two articles are near-duplicates for crawler/stories.py.

Written in the layout crawler/mirror serves (sites/<host>/<path>, a robots.txt, a sitemap
of every article with lastmod, a home listing) plus one registry TOML per source (portal
kind, no topics filter, no selectors: the generic extraction path). Deterministic from the
seed. `generate()` is the entry point.
"""

from __future__ import annotations

import html
import json
import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html

from crawler.article import normalise_text
from crawler.dates import VN_TZ
from crawler.mirror import SITES_DIR, resolve

RESOURCES = Path(__file__).resolve().parent.parent / "tests" / "resources"
AD_LABEL = "--Quảng cáo---"
MIN_PAGE_BYTES, MAX_PAGE_BYTES = 50 * 1024, 200 * 1024
MIN_WORDS, MAX_WORDS = 400, 1500
LISTING_SIZE = 20  # articles on a source's home listing

# --- templates: a fixture page with its article turned into slots ---------------------------

DATE_FORMATS: dict[str, Callable[[datetime], str]] = {
    "iso_offset": lambda d: d.isoformat(),
    "iso_seconds": lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"),
    "iso_minute": lambda d: d.strftime("%Y-%m-%dT%H:%M"),
    "ymd_hm": lambda d: d.strftime("%Y-%m-%d %H:%M"),
    "worded": lambda d: f"ngày {d.day} tháng {d.month} năm {d.year}",
    "worded_cap": lambda d: f"Ngày {d.day} tháng {d.month} năm {d.year}",
    "ymd": lambda d: d.strftime("%Y-%m-%d"),
    "dmy": lambda d: d.strftime("%d/%m/%Y"),
    "dmy_dash": lambda d: d.strftime("%d-%m-%Y"),
    "dmy_dot": lambda d: d.strftime("%d.%m.%Y"),
    "dmy_short": lambda d: f"{d.day}/{d.month}/{d.year}",
    "dmy_dash_short": lambda d: f"{d.day}-{d.month}-{d.year}",
    "hm_ampm": lambda d: d.strftime("%I:%M %p"),
    "hms": lambda d: d.strftime("%H:%M:%S"),
    "hm": lambda d: d.strftime("%H:%M"),
    "h_m": lambda d: d.strftime("%Hh%M"),
    "dm": lambda d: d.strftime("%d/%m"),
    "dm_short": lambda d: f"{d.day}/{d.month}",
}
DATE_ONLY_FORMATS = {"worded", "worded_cap", "ymd", "dmy", "dmy_dash", "dmy_dot", "dmy_short",
                     "dmy_dash_short", "dm", "dm_short"}
WEEKDAYS = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")
WEEKDAY_CASES: dict[str, Callable[[str], str]] = {
    "lower": str.lower, "cap": str.capitalize, "title": str.title, "upper": str.upper}
SLOT = "\u27e6{}\u27e7"  # ⟦NAME⟧: cannot occur in our pages
HEAD, TOP, BOTTOM = SLOT.format("HEAD"), SLOT.format("TOP"), SLOT.format("BOTTOM")


@dataclass(frozen=True)
class Template:
    """A fixture page with slots for the article: ⟦TITLE⟧ ⟦LEAD⟧ ⟦AUTHOR⟧ ⟦BODY⟧, dates
    ⟦D:format⟧ and weekdays ⟦W:case⟧, and where the page's bulk goes (HEAD, TOP, BOTTOM)."""

    platform: str
    name: str
    html: str
    has_author: bool
    author_upper: bool


def fixture_pages(resources: Path = RESOURCES) -> Iterator[tuple[str, str, str, dict]]:
    """Yield (platform, name, html, expected article) of every fixture page with its JSON:
    the gold set, then the bundled mirror's articles (served files, via crawler.mirror)."""
    for path in sorted(resources.glob("gold/*/*.json")):
        yield (path.parent.name, path.stem, path.with_suffix(".html").read_text("utf-8"),
               json.loads(path.read_text("utf-8")))
    for path in sorted(resources.glob("*/*.json")):
        expected = json.loads(path.read_text("utf-8"))
        if path.parent.name in {"gold", "neardup"} or "url" not in expected:
            continue
        parts = urlsplit(expected["url"])
        reply = resolve(SITES_DIR, parts.hostname or "", parts.path, parts.query)
        if reply.status == 200:
            yield path.parent.name, path.stem, reply.body.decode("utf-8"), expected


def load_templates(resources: Path = RESOURCES) -> dict[str, list[Template]]:
    """Return {platform: its templates}, leaving out a page whose title or body was not
    found (its slots would keep the fixture's own article)."""
    platforms: dict[str, list[Template]] = {}
    for platform, name, page, expected in fixture_pages(resources):
        template = make_template(platform, name, page, expected)
        if template is not None:
            platforms.setdefault(platform, []).append(template)
    return platforms


def make_template(platform: str, name: str, page: str, expected: dict) -> Template | None:
    """Turn a fixture page into a Template, or None when its article cannot be located."""
    tree = lxml.html.document_fromstring(page)
    if not _slot_body(tree, [p for p in expected["body"] if p.strip()]):
        return None
    title = normalise_text(expected["title"])
    lead = normalise_text(expected.get("lead") or "")
    author = normalise_text(expected.get("author") or "")
    _slot_whole_element(tree, title, "TITLE")
    if lead:
        _slot_whole_element(tree, lead, "LEAD")
    published = datetime.fromisoformat(expected["published_at"])
    replacements = [(title, SLOT.format("TITLE"))]
    if lead:
        replacements.append((lead, SLOT.format("LEAD")))
    if author:
        replacements.append((author, SLOT.format("AUTHOR")))
    replacements += date_slots(published)
    _replace_in_strings(tree, replacements)
    text = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    if SLOT.format("TITLE") not in text:
        return None
    text = text.replace("</head>", HEAD + "</head>", 1)
    text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + TOP, text, count=1)
    text = text.replace("</body>", BOTTOM + "</body>", 1)
    return Template(platform, name, text, has_author=SLOT.format("AUTHOR") in text,
                    author_upper=author.isupper())


def date_slots(published: datetime) -> list[tuple[str, str]]:
    """(shown form, slot) of the fixture's date in every format we write, longest first;
    a date-only JSON value has no time to look for."""
    has_time = "T" in published.isoformat() and len(published.isoformat()) > 10
    forms = [(render(published), SLOT.format(f"D:{name}"))
             for name, render in DATE_FORMATS.items()
             if has_time or name in DATE_ONLY_FORMATS]
    weekday = WEEKDAYS[published.weekday()]
    forms += [(case(weekday), SLOT.format(f"W:{name}")) for name, case in WEEKDAY_CASES.items()]
    return sorted(forms, key=lambda form: -len(form[0]))


def _slot_body(tree: lxml.html.HtmlElement, paragraphs: list[str]) -> bool:
    """Replace the elements from the first body paragraph to the last by ⟦BODY⟧."""
    if not paragraphs:
        return False
    first, last = _element_of(tree, paragraphs[0]), _element_of(tree, paragraphs[-1])
    if first is None or last is None:
        return False
    first_chain = [first, *first.iterancestors()]
    last_chain = [last, *last.iterancestors()]
    common = next((el for el in first_chain if el in last_chain), None)
    if common is first or common is last:  # one paragraph, or one inside the other
        common = common.getparent()
    if common is None:
        return False
    start = next(el for el in first_chain if el.getparent() is common)
    end = next(el for el in last_chain if el.getparent() is common)
    children = list(common)
    span = children[children.index(start):children.index(end) + 1]
    tail = span[-1].tail or ""
    previous = start.getprevious()
    if previous is None:
        common.text = (common.text or "") + SLOT.format("BODY") + tail
    else:
        previous.tail = (previous.tail or "") + SLOT.format("BODY") + tail
    for element in span:
        common.remove(element)
    return True


def _element_of(tree: lxml.html.HtmlElement, paragraph: str) -> lxml.html.HtmlElement | None:
    """The deepest element of <body> whose whole text is the paragraph (else contains it)."""
    wanted = normalise_text(paragraph)
    body = tree.find("body")
    if body is None:
        return None
    exact = [el for el in body.iter() if isinstance(el.tag, str)
             and normalise_text(el.text_content()) == wanted]
    if exact:
        return exact[-1]
    containing = [el for el in body.iter() if isinstance(el.tag, str)
                  and wanted in normalise_text(el.text_content())]
    return containing[-1] if containing else None


def _slot_whole_element(tree: lxml.html.HtmlElement, text: str, slot: str) -> None:
    """Empty the deepest elements whose whole text is `text` and put the slot in them
    (the text may be split across inline elements: "<b>(TN&MT) - </b>…")."""
    body = tree.find("body")
    if body is None:
        return
    matches = [el for el in body.iter() if isinstance(el.tag, str)
               and normalise_text(el.text_content()) == text]
    for element in [el for el in matches
                    if not any(other in matches for other in el.iterdescendants())]:
        for child in list(element):
            element.remove(child)
        element.text = SLOT.format(slot)


def _replace_in_strings(tree: lxml.html.HtmlElement,
                        replacements: list[tuple[str, str]]) -> None:
    """Replace every occurrence in text, tails and attribute values (meta, JSON-LD, alt)."""
    def swap(value: str) -> str:
        value = normalise_text(value) if value.strip() else value
        for old, new in replacements:
            if old and old in value:
                value = value.replace(old, new)
        return value

    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text:
            element.text = swap(element.text)
        if element.tail:
            element.tail = swap(element.tail)
        for key, value in element.attrib.items():
            element.attrib[key] = swap(value)


# --- text: a pool of sentences, recombined with random names, places and numbers -----------

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai")
MIDDLE = ("Văn", "Thị", "Minh", "Quang", "Thanh", "Hữu", "Ngọc", "Đức", "Thu", "Hồng",
          "Xuân", "Anh", "Kim", "Công", "Bảo", "Gia", "Hải", "Tuấn", "Thùy", "Phương")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa",
         "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Nhung",
         "Phong", "Phúc", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang",
         "Trung", "Tú", "Tùng", "Vân", "Việt", "Vinh", "Yến", "Hoa")
PROVINCES = ("Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh",
             "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai",
             "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Hải Phòng", "Ninh Bình",
             "Quảng Trị", "Đà Nẵng", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng",
             "Đắk Lắk", "TP. Hồ Chí Minh", "Đồng Nai", "Tây Ninh", "Cần Thơ", "Vĩnh Long",
             "Đồng Tháp", "Cà Mau", "An Giang")
PLACE_WORDS = ("Tân", "Phú", "Hòa", "Bình", "An", "Thạnh", "Long", "Mỹ", "Phước", "Hưng",
               "Đông", "Tây", "Nam", "Bắc", "Trung", "Xuân", "Thịnh", "Lộc", "Quang", "Sơn",
               "Hải", "Thủy", "Cẩm", "Yên", "Vĩnh", "Kim", "Hồng", "Lạc", "Thái", "Định")
ROLES = ("Giám đốc", "Phó Giám đốc", "Chánh Văn phòng", "Trưởng phòng Quản lý đất đai",
         "Trưởng phòng Tài nguyên nước", "Chi cục trưởng Chi cục Bảo vệ môi trường",
         "Chủ tịch UBND", "Phó Chủ tịch UBND", "cán bộ địa chính", "Trưởng thôn")
FACTS = (
    "Theo {role} {person}, trong năm {year} đơn vị đã tiếp nhận {n} hồ sơ, giải quyết đúng "
    "hạn {m} hồ sơ, còn {k} hồ sơ đang được thẩm định.",
    "Tại xã {place}, tỉnh {province}, {n} hộ dân đã được cấp giấy chứng nhận quyền sử dụng "
    "đất với tổng diện tích khoảng {x} ha.",
    "{role} {person} cho biết, đến ngày {day}/{month}/{year} toàn xã {place} đã thu gom được "
    "{n} tấn rác thải sinh hoạt, đạt {k}% kế hoạch.",
    "Đoàn kiểm tra đã lập biên bản {n} trường hợp vi phạm tại {place}, xử phạt hành chính "
    "tổng số tiền {m} triệu đồng.",
    "Dự án tại {place} ({province}) có tổng mức đầu tư {n} tỷ đồng, dự kiến hoàn thành trong "
    "quý {q} năm {year}.",
    "Ông {person} đề nghị UBND xã {place} khẩn trương rà soát {n} thửa đất, báo cáo kết quả "
    "trước ngày {day}/{month}/{year}.",
    "Bà {person}, người dân thôn {place}, chia sẻ gia đình bà đã sống ở đây {k} năm và mong "
    "sớm có nước sạch cho {n} hộ trong thôn.",
    "Kết quả quan trắc tại {k} điểm trên sông {place} cho thấy chỉ số {x} mg/l, thấp hơn "
    "ngưỡng cho phép của quy chuẩn hiện hành.",
)
FACT_SHARE = 0.35
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZĐÀ-Ỹ\"“(])")
_CLAUSE_END = re.compile(r"[,;:]\s+")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class TextPool:
    """Vietnamese sentences, their clauses and headlines, to recombine."""

    sentences: tuple[str, ...]
    titles: tuple[str, ...]

    @property
    def clauses(self) -> tuple[str, ...]:
        return _clauses(self.sentences)


@cache
def _clauses(sentences: tuple[str, ...]) -> tuple[str, ...]:
    found = (clause.strip(" .") for sentence in sentences for clause in _CLAUSE_END.split(sentence))
    return tuple(dict.fromkeys(clause for clause in found if len(clause.split()) >= 3))


def load_pool(resources: Path = RESOURCES) -> TextPool:
    """Every distinct sentence (6+ words) and headline of our Vietnamese texts."""
    sentences: dict[str, None] = {}
    titles: dict[str, None] = {}
    for article in _texts(resources):
        if article.get("title"):
            titles[normalise_text(article["title"])] = None
        for paragraph in [article.get("lead") or "", *article.get("body", [])]:
            for sentence in _SENTENCE_END.split(normalise_text(paragraph)):
                if len(sentence.split()) >= 6:
                    sentences[sentence] = None
    return TextPool(tuple(sentences), tuple(titles))


def _texts(resources: Path) -> Iterator[dict]:
    for _platform, _name, _page, expected in fixture_pages(resources):
        yield expected
    with (resources / "neardup" / "articles.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)
    for seed in sorted((resources / "seeds").glob("*.txt")):
        yield {"body": seed.read_text("utf-8").splitlines()}


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def place(rng: random.Random) -> str:
    return f"{rng.choice(PLACE_WORDS)} {rng.choice(PLACE_WORDS)}"


def fact(rng: random.Random) -> str:
    """A sentence of random names, places and figures: unique to its article."""
    return rng.choice(FACTS).format(
        role=rng.choice(ROLES), person=person(rng), place=place(rng),
        province=rng.choice(PROVINCES), year=rng.randint(2015, 2025),
        day=rng.randint(1, 28), month=rng.randint(1, 12), q=rng.randint(1, 4),
        n=rng.randint(2, 9000), m=rng.randint(2, 900), k=rng.randint(2, 99),
        x=f"{rng.randint(1, 900)},{rng.randint(0, 9)}")


def sentence(pool: TextPool, rng: random.Random) -> str:
    """A sentence of 2–4 clauses of different pool sentences: whole pool sentences would
    repeat across articles often enough to lift unrelated pairs' similarity to 0.05."""
    clauses = [vary(rng.choice(pool.clauses), rng) for _ in range(rng.randint(2, 4))]
    text = ", ".join(clauses)
    return text[0].upper() + text[1:] + "."


def vary(sentence: str, rng: random.Random) -> str:
    """A pool sentence with new numbers and, sometimes, another province."""
    sentence = _NUMBER.sub(lambda m: str(rng.randint(1, 10 ** len(m.group()) - 1)), sentence)
    for province in PROVINCES:
        if province in sentence:
            sentence = sentence.replace(province, rng.choice(PROVINCES))
    return sentence


def article_text(pool: TextPool, rng: random.Random) -> tuple[str, list[str]]:
    """Return (lead, paragraphs) of 400–1500 words: pool sentences with new figures, a third
    of the paragraphs with a sentence of the article's own names and figures (more would
    make the sentence frames themselves shared by every article)."""
    words = rng.randint(MIN_WORDS, MAX_WORDS)
    lead = f"{sentence(pool, rng)} {fact(rng)}"
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentences = [sentence(pool, rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < FACT_SHARE:
            sentences.insert(rng.randint(0, len(sentences)), fact(rng))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return lead, paragraphs


def headline(pool: TextPool, rng: random.Random) -> str:
    """A headline: a pool headline at a random place (no straight quotes: JSON-LD)."""
    base = vary(rng.choice(pool.titles), rng).split(": ", 1)[-1]
    return f"{rng.choice(PROVINCES)}: {base} tại {place(rng)}".replace('"', "“")


# --- sources and articles --------------------------------------------------------------------

URL_STYLES = ("/tin-tuc/{slug}-{id}.html", "/{slug}/{id}.htm", "/moi-truong/{slug}-d{id}.html",
              "/news/{slug}-{id}.aspx")
URL_PATTERNS = (r"/tin-tuc/[a-z0-9-]+-\d+\.html$", r"/[a-z0-9-]+/\d+\.htm$",
                r"/moi-truong/[a-z0-9-]+-d\d+\.html$", r"/news/[a-z0-9-]+-\d+\.aspx$")
FIRST_DATE = datetime(2020, 1, 6, 7, 0, tzinfo=VN_TZ)
LAST_DATE = datetime(2025, 10, 31, 17, 0, tzinfo=VN_TZ)


@dataclass(frozen=True)
class SyntheticSource:
    id: str
    host: str
    platform: str
    style: int  # index into URL_STYLES

    @property
    def homepage(self) -> str:
        return f"https://{self.host}/"


@dataclass(frozen=True)
class ArticleMeta:
    """What other pages show of an article (menus, related boxes, the sitemap)."""

    url: str
    title: str
    published: datetime


@cache  # every box shows its articles' thumbnails under their slugs
def slug(text: str) -> str:
    """ASCII URL slug of a Vietnamese headline."""
    bare = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(char for char in bare if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "-", bare).strip("-")[:80].strip("-")


def make_sources(count: int, platforms: list[str]) -> list[SyntheticSource]:
    """`count` sources, each on the next platform and URL style."""
    return [SyntheticSource(id=f"bench{i:03d}_{re.sub(r'[^a-z0-9]', '', platform)}",
                            host=f"src{i:03d}.{re.sub(r'[^a-z0-9]', '', platform)}.bench.test",
                            platform=platform, style=i % len(URL_STYLES))
            for i, platform in enumerate(platforms[i % len(platforms)] for i in range(count))]


def article_rng(seed: int, source: SyntheticSource, index: int) -> random.Random:
    """The random stream of one article (str seeds are hashed with SHA-512: stable)."""
    return random.Random(f"{seed}:{source.id}:{index}")


def article_meta(source: SyntheticSource, index: int, total: int, pool: TextPool,
                 seed: int) -> ArticleMeta:
    """Article `index` of `total`: newer as the index grows, spread over 2020–2025."""
    rng = article_rng(seed, source, index)
    span = (LAST_DATE - FIRST_DATE) / max(total, 1)
    published = FIRST_DATE + span * index + timedelta(minutes=rng.randint(0, 600))
    title = headline(pool, rng)
    path = URL_STYLES[source.style].format(slug=slug(title), id=100000 + index)
    return ArticleMeta(f"https://{source.host}{path}", title, published.replace(second=0))


def registry_toml(source: SyntheticSource) -> str:
    """The source's registry entry: portal, home listing and sitemap, every article kept."""
    pattern = "^https://" + re.escape(source.host) + URL_PATTERNS[source.style]
    return "\n".join([
        f'id = "{source.id}"',
        f'name = "Synthetic source {source.id} ({source.platform} markup)"',
        'province = "Toàn quốc"',
        'kind = "department"',
        f'homepage = "{source.homepage}"',
        'reference = "bench/synthetic_mirror.py: generated for the throughput benchmark"',
        "",
        "[discovery]",
        f'start_urls = ["{source.homepage}"]',
        "max_pages = 1",
        f'sitemaps = ["{source.homepage}sitemap.xml"]',
        f"article_pattern = '{pattern}'",
        "",
    ])


def sitemap_xml(articles: list[ArticleMeta]) -> str:
    entries = "".join(
        f"<url><loc>{html.escape(a.url)}</loc>"
        f"<lastmod>{(a.published + timedelta(minutes=7)).isoformat()}</lastmod></url>\n"
        for a in articles)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</urlset>\n")


def robots_txt(source: SyntheticSource) -> str:
    return ("User-agent: *\nDisallow: /admin/\nDisallow: /search\n\n"
            f"Sitemap: {source.homepage}sitemap.xml\n")


# --- the page's bulk: menus, boxes, ads, scripts ---------------------------------------------

CATEGORIES = ("Thời sự", "Đất đai", "Môi trường", "Tài nguyên nước", "Khoáng sản",
              "Biến đổi khí hậu", "Biển và hải đảo", "Khí tượng thủy văn", "Đo đạc bản đồ",
              "Viễn thám", "Nông nghiệp", "Lâm nghiệp", "Thủy sản", "Pháp luật", "Chính sách",
              "Kinh tế", "Xã hội", "Văn hóa", "Thể thao", "Giáo dục", "Y tế", "Du lịch",
              "Quốc tế", "Bạn đọc", "Video", "Ảnh", "Podcast", "Infographic", "Thông báo",
              "Văn bản")


@dataclass(frozen=True)
class Chrome:
    """What every page of a source carries: its menu, stylesheet and footer."""

    menu: str
    style: str
    footer: str


def source_chrome(source: SyntheticSource, rng: random.Random) -> Chrome:
    """A source's mega-menu (120–320 links), inline stylesheet and footer."""
    cats = rng.sample(CATEGORIES, rng.randint(12, 20))
    links = rng.randint(120, 320)
    per_cat = max(1, links // len(cats))
    menu = ['<nav class="mega-menu navbar" id="main-menu"><ul class="menu-lv1">']
    for cat in cats:
        base = "/" + slug(cat) + "/"
        menu.append(f'<li class="has-sub"><a href="{base}">{cat}</a><ul class="sub-menu">')
        for _ in range(per_cat):
            name = place(rng)
            menu.append(f'<li><a href="{base}{slug(name)}/">{name}</a></li>')
        menu.append("</ul></li>")
    menu.append("</ul></nav>")
    rules = [f".{slug(c)}-{i} .item-{j}{{margin:{i}px {j}px;padding:{j}px;"
             f"color:#{rng.randrange(16**6):06x};font:{12 + j % 6}px/1.5 Arial,sans-serif}}"
             for i, c in enumerate(cats) for j in range(rng.randint(3, 8))]
    footer_links = "".join(f'<li><a href="/{slug(c)}/">{c}</a></li>' for c in cats)
    footer = (f'<footer class="footer site-footer"><ul class="footer-menu">{footer_links}</ul>'
              f"<p><strong>{html.escape(source.id.upper())}</strong></p>"
              f"<p>Địa chỉ: Số {rng.randint(1, 300)} đường {place(rng)}, phường {place(rng)}, "
              f"tỉnh {rng.choice(PROVINCES)}</p><p>Điện thoại: 0{rng.randint(200, 299)}."
              f"{rng.randint(1000000, 9999999)} - Email: {source.id}@bench.test</p>"
              "<p>Giấy phép số 123/GP-TTĐT. Ghi rõ nguồn khi phát hành lại thông tin.</p>"
              "</footer>")
    return Chrome("".join(menu), "<style>" + "".join(rules) + "</style>", footer)


def story_box(css: str, heading: str, items: list[ArticleMeta], *, with_sapo: str = "") -> str:
    """A box of other articles with their dates (most-read, related, latest)."""
    rows = "".join(
        f'<li class="{css}__item"><a class="{css}__link" href="{html.escape(a.url)}" '
        f'title="{html.escape(a.title)}"><img src="/uploads/thumb/{slug(a.title)[:30]}.jpg" '
        f'alt="{html.escape(a.title)}" width="120" height="80"></a>'
        f'<h3><a href="{html.escape(a.url)}">{html.escape(a.title)}</a></h3>'
        f'<span class="{css}__time">{a.published.strftime("%d/%m/%Y %H:%M")}</span>'
        + (f'<p class="sapo">{html.escape(with_sapo)}</p>' if with_sapo else "") + "</li>"
        for a in items)
    return f'<div class="{css}"><h2 class="{css}__title">{heading}</h2><ul>{rows}</ul></div>'


def ad_slot(rng: random.Random) -> str:
    slot = rng.randrange(10 ** 12)
    return (f'<div class="ads adv-slot"><div class="ads-label">{AD_LABEL}</div>'
            f'<div id="div-gpt-ad-{slot}-0" style="min-width:300px;min-height:250px"></div>'
            f"<script>googletag.cmd.push(function(){{googletag.display('div-gpt-ad-{slot}-0')}});"
            "</script></div>")


def comment_block(rng: random.Random, pool: TextPool) -> str:
    comments = "".join(
        f'<li class="comment-item"><strong class="comment-name">{person(rng)}</strong>'
        f'<span class="comment-time">{rng.randint(1, 23)} giờ trước</span>'
        f"<p>{html.escape(vary(rng.choice(pool.sentences), rng))}</p>"
        '<a class="comment-reply" href="#">Trả lời</a> '
        '<a class="comment-like" href="#">Thích</a></li>'
        for _ in range(rng.randint(0, 8)))
    return (f'<div class="comment-box binh-luan" id="comments"><h3>Bình luận</h3>'
            '<form><textarea placeholder="Ý kiến của bạn"></textarea><button>Gửi bình luận'
            f"</button></form><ul>{comments}</ul></div>")


def head_extras(meta: ArticleMeta, author: str, chrome: Chrome) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": meta.title,
          "datePublished": meta.published.isoformat(), "author": {"@type": "Person",
                                                                   "name": author},
          "mainEntityOfPage": meta.url}
    return (chrome.style + '<script type="application/ld+json">'
            + json.dumps(ld, ensure_ascii=False) + "</script>"
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
            "arguments)}gtag('js',new Date());gtag('config','G-BENCH0001');</script>")


AD_SIZES = ("[[300,250]]", "[[300,250],[300,600]]", "[[300,250],[300,600],[728,90]]")


def padding_script(rng: random.Random, size: int) -> str:
    """An inline ad-configuration script of about `size` bytes (pages carry such blobs)."""
    slots: list[str] = []
    length = 0
    while length < size:
        slot = (f'{{"id":"div-gpt-ad-{rng.randrange(10 ** 12)}-{len(slots)}",'
                f'"sizes":{rng.choice(AD_SIZES)},'
                f'"targeting":{{"pos":{len(slots)},"cat":"{rng.choice(CATEGORIES)}"}}}}')
        length += len(slot.encode("utf-8")) + 1
        slots.append(slot)
    return "<script>window.__adSlots=[" + ",".join(slots) + "];</script>"


def body_html(lead_slot: bool, lead: str, paragraphs: list[str], author: str,
              has_author: bool, related: list[ArticleMeta], sapo: str,
              rng: random.Random) -> str:
    """The article body: paragraphs with a sub-heading, a figure, ad slots and an inline
    "Xem thêm" box; then a "Tin liên quan" box (the lead goes first when the template had
    no place for it)."""
    parts = [] if lead_slot else [f"<p><strong>{html.escape(lead)}</strong></p>"]
    ads_at = set(rng.sample(range(len(paragraphs)), min(len(paragraphs), rng.randint(1, 3))))
    for i, paragraph in enumerate(paragraphs):
        if i == 2:
            parts.append(f'<figure class="image"><img src="/uploads/{rng.randrange(10**8)}.jpg" '
                         f'alt=""><figcaption>Ảnh: {person(rng)}</figcaption></figure>')
        if i and i % 6 == 0:
            parts.append(f"<p><strong>{html.escape(paragraph.split(',')[0][:90])}</strong></p>")
        parts.append(f"<p>{html.escape(paragraph)}</p>")
        if i in ads_at:
            parts.append(ad_slot(rng))
        if i == len(paragraphs) // 2 and related:
            parts.append(story_box("box-related-inline", "Xem thêm", related[:2]))
    if not has_author:
        parts.append(f'<p style="text-align:right"><strong>{html.escape(author)}</strong></p>')
    parts.append(story_box("tin-lien-quan related", "Tin liên quan", related,
                           with_sapo=sapo))
    return "".join(parts)


# --- one page ---------------------------------------------------------------------------------

def render_page(template: Template, meta: ArticleMeta, others: list[ArticleMeta],
                chrome: Chrome, pool: TextPool, rng: random.Random) -> str:
    """The article page: the template's slots filled, then made 50–200 KB heavy."""
    lead, paragraphs = article_text(pool, rng)
    author = person(rng)
    shown_author = author.upper() if template.author_upper else author
    target = rng.randint(MIN_PAGE_BYTES, MAX_PAGE_BYTES)
    related = rng.sample(others, min(len(others), 6))
    body = body_html(SLOT.format("LEAD") in template.html, lead, paragraphs, author,
                     template.has_author, related, vary(rng.choice(pool.sentences), rng),
                     rng)
    page = fill_slots(template.html, {
        "TITLE": html.escape(meta.title), "LEAD": html.escape(lead),
        "AUTHOR": html.escape(shown_author), "BODY": body}, meta.published)
    top = chrome.menu + ad_slot(rng)
    most_read = rng.sample(others, min(len(others), 10))
    bottom = ('<aside class="sidebar right-col">'
              + story_box("most-read doc-nhieu", "Đọc nhiều", most_read)
              + ad_slot(rng)
              + story_box("latest-news tin-moi", "Tin mới", others[:10])
              + comment_block(rng, pool) + "</aside>" + chrome.footer)
    page = (page.replace(HEAD, head_extras(meta, author, chrome))
            .replace(TOP, top).replace(BOTTOM, bottom + BOTTOM))
    extra: list[str] = []
    missing = target - len(page.encode("utf-8"))
    while missing > 0 and len("".join(extra)) < missing // 2 and others:
        extra.append(story_box("other-news tin-khac", "Tin khác",
                               rng.sample(others, min(len(others), 12))))
    page = page.replace(BOTTOM, "".join(extra) + BOTTOM)
    missing = target - len(page.encode("utf-8"))
    return page.replace(BOTTOM, padding_script(rng, missing) if missing > 0 else "")


def fill_slots(page: str, values: dict[str, str], published: datetime) -> str:
    """Put the article's values and date (in the template's own formats) in its slots."""
    for name, value in values.items():
        page = page.replace(SLOT.format(name), value)
    for name, render in DATE_FORMATS.items():
        page = page.replace(SLOT.format(f"D:{name}"), render(published))
    weekday = WEEKDAYS[published.weekday()]
    for name, case in WEEKDAY_CASES.items():
        page = page.replace(SLOT.format(f"W:{name}"), case(weekday))
    return page


def listing_page(source: SyntheticSource, chrome: Chrome, newest: list[ArticleMeta]) -> str:
    """The home page: the menu and the newest articles."""
    return ("<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>"
            f"{source.id}</title>{chrome.style}</head><body>{chrome.menu}<main>"
            + story_box("home-latest", "Tin mới nhất", newest) + f"</main>{chrome.footer}"
            "</body></html>")


# --- the whole mirror -------------------------------------------------------------------------

@dataclass(frozen=True)
class SyntheticMirror:
    """Where the mirror was written, and what it holds."""

    sites_dir: Path
    registry_dir: Path
    sources: tuple[SyntheticSource, ...]
    articles: tuple[tuple[str, Path], ...]  # (article URL, its file) in generation order
    bytes: int

    @property
    def pages(self) -> int:
        return len(self.articles)


def split_pages(pages: int, sources: int) -> list[int]:
    """Articles per source, `pages` in all (the first sources take the remainder)."""
    return [pages // sources + (1 if i < pages % sources else 0) for i in range(sources)]


def generate(out: Path, *, pages: int, sources: int, seed: int = 1,
             progress: Callable[[int], None] | None = None) -> SyntheticMirror:
    """Write `pages` article pages over `sources` sources under out/sites and their registry
    entries under out/registry; call `progress(n)` after each page."""
    templates = load_templates()
    pool = load_pool()
    chosen = make_sources(sources, sorted(templates))
    sites, registry = out / "sites", out / "registry"
    registry.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, Path]] = []
    size = 0
    for source, count in zip(chosen, split_pages(pages, sources), strict=True):
        metas = [article_meta(source, i, count, pool, seed) for i in range(count)]
        chrome = source_chrome(source, random.Random(f"{seed}:{source.id}:chrome"))
        site = sites / source.host
        site.mkdir(parents=True, exist_ok=True)
        newest = metas[::-1][:LISTING_SIZE]
        (site / "index.html").write_text(listing_page(source, chrome, newest), "utf-8")
        (site / "sitemap.xml").write_text(sitemap_xml(metas), "utf-8")
        (site / "robots.txt").write_text(robots_txt(source), "utf-8")
        (registry / f"{source.id}.toml").write_text(registry_toml(source), "utf-8")
        for index, meta in enumerate(metas):
            rng = random.Random(f"{seed}:{source.id}:{index}:page")
            others = [m for m in metas[max(0, index - 30):index + 30] if m is not meta]
            template = rng.choice(templates[source.platform])
            page = render_page(template, meta, others, chrome, pool, rng)
            path = site / urlsplit(meta.url).path.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            data = page.encode("utf-8")
            path.write_bytes(data)
            size += len(data)
            written.append((meta.url, path))
            if progress:
                progress(1)
    return SyntheticMirror(sites, registry, tuple(chosen), tuple(written), size)
