"""Fuzzing with hypothesis: random and mutated registry files, date strings and pages.

Each loader either gives its value or its one documented error, never another exception.
Examples are few and derandomized so the suite stays fast and repeatable.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.article import Article
from crawler.cleaning import clean_paragraphs, is_boilerplate_line
from crawler.dates import date_in_url, is_date_line, parse_date, parse_machine_date
from crawler.extraction import extract_article
from crawler.registry import RegistryError, Source, load_registry, load_source

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
FUZZ_SLOW = settings(FUZZ, max_examples=15)
NOW = datetime(2025, 3, 5, 3, 0, tzinfo=UTC)
SOURCES = Path(__file__).parent.parent / "crawler" / "sources"
GOLD = sorted((Path(__file__).parent / "resources" / "gold").glob("*/*.html"))
REGISTRY_TEXT = (SOURCES / "baohatinh.toml").read_bytes()
VIETNAMESE = st.text(alphabet=st.sampled_from(
    "0123456789/-:,. hHgGpPsáàảãạăắằẳẵặâấầẩẫậđéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ"
    "ngàythángnămSángChiềuTốiAMPMThứHaiBaGMT+0700Z\n\t"), max_size=80)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few byte-level edits: cut, dropped range, inserted bytes, overwrite."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["cut", "drop", "insert", "overwrite"]))
        chunk = draw(st.binary(min_size=1, max_size=12))
        if edit == "cut":
            del data[at:]
        elif edit == "drop":
            del data[at:at + draw(st.integers(1, 200))]
        elif edit == "insert":
            data[at:at] = chunk
        else:
            data[at:at + len(chunk)] = chunk
    return bytes(data)


def load_registry_file(content: bytes) -> Source | None:
    """Load `content` as the registry file baohatinh.toml; None when it is refused."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "baohatinh.toml"
        path.write_bytes(content)
        try:
            return load_source(path)
        except RegistryError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)  # one line naming the file
            return None


@FUZZ
@given(mutated(REGISTRY_TEXT))
def test_a_mutated_registry_file_loads_or_is_refused_in_one_line(content: bytes) -> None:
    source = load_registry_file(content)
    assert source is None or source.id == "baohatinh"


TOML_VALUES = st.recursive(
    st.none().map(lambda _: '""') | st.integers().map(str)
    | st.booleans().map(lambda flag: str(flag).lower())
    | st.text(max_size=20).map(lambda text: '"' + text.encode("unicode_escape").decode()
                                             .replace('"', '\\"') + '"'),
    lambda inner: st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
    max_leaves=5)
KEYS = st.sampled_from(["id", "name", "province", "kind", "homepage", "status", "schedule",
                        "allowed_domains", "x"])
DISCOVERY_KEYS = st.sampled_from(["start_urls", "feeds", "sitemaps", "pagination",
                                  "article_pattern", "max_pages"])


@FUZZ
@given(st.dictionaries(KEYS, TOML_VALUES, max_size=7),
       st.dictionaries(DISCOVERY_KEYS, TOML_VALUES, max_size=5))
def test_a_random_registry_file_loads_or_is_refused_in_one_line(
        top: dict[str, str], discovery: dict[str, str]) -> None:
    text = "".join(f"{key} = {value}\n" for key, value in top.items())
    text += "[discovery]\n" + "".join(f"{key} = {value}\n" for key, value in discovery.items())
    load_registry_file(text.encode("utf-8"))


def test_the_shipped_registry_still_loads() -> None:
    assert load_registry_file(REGISTRY_TEXT) is not None  # the fuzzing's seed is valid
    assert len(load_registry()) > 10


@FUZZ
@given(VIETNAMESE | st.text(max_size=60), st.integers(-3000, 3000) | st.none(), st.booleans())
def test_the_date_parser_never_raises(text: str, year_hint: int | None, month_first: bool
                                      ) -> None:
    found = parse_date(text, now=NOW, year_hint=year_hint, month_first=month_first)
    assert found is None or found.value.tzinfo is not None
    is_date_line(text)
    parse_machine_date(text)
    date_in_url(f"https://so.thu.gov.vn/{text}")


@FUZZ_SLOW
@given(st.sampled_from(GOLD).flatmap(lambda path: mutated(path.read_bytes())))
def test_a_mutated_page_gives_an_article_or_none(page: bytes) -> None:
    html = page.decode("utf-8", errors="replace")
    article = extract_article(html, "https://so.thu.gov.vn/tin/bai.html", now=NOW)
    assert article is None or (isinstance(article, Article) and article.title)


TAGS = st.sampled_from(["<p>", "</p>", "<div class='content'>", "</div>", "<h1>", "</h1>",
                        "<table><tr><td>", "<script>x=1</script>", "<!--", "-->", "<![CDATA[",
                        "<time datetime='2025-13-45'>", "<meta charset='x'>", "&#0;", "&#xD800;",
                        "<br/>", "<article>", "<title>", "</title>"])


@FUZZ_SLOW
@given(st.lists(TAGS | VIETNAMESE | st.text(max_size=30), max_size=40))
def test_random_markup_gives_an_article_or_none(parts: list[str]) -> None:
    article = extract_article("".join(parts), "https://so.thu.gov.vn/tin/bai.html", now=NOW)
    assert article is None or isinstance(article, Article)


@FUZZ
@given(st.lists(VIETNAMESE | st.text(max_size=40), max_size=8), st.text(max_size=30),
       st.text(max_size=30))
def test_cleaning_never_raises(paragraphs: list[str], title: str, lead: str) -> None:
    kept = clean_paragraphs(paragraphs, title=title, lead=lead)
    assert set(kept) <= {paragraph.strip() for paragraph in paragraphs} | set(paragraphs) \
        or len(kept) <= len(paragraphs)
    for paragraph in paragraphs:
        is_boilerplate_line(paragraph)
