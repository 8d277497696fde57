"""TCVN3 and VNI pages (Latin-1 bytes drawn as Vietnamese by a font) read back as Unicode."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.dates import VN_TZ
from crawler.extraction import extract_article
from crawler.legacy_fonts import (
    TONES,
    VOWELS,
    decode,
    legacy_encoding,
    tcvn3_encode,
    vni_encode,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)
SENTENCES = (
    "Sở Tài nguyên và Môi trường tỉnh Hà Tĩnh",
    "Đồng bằng sông Cửu Long",
    "Chủ tịch UBND tỉnh đã ký quyết định xử phạt hành vi khai thác cát trái phép.",
    "Người dân phản ánh tình trạng ô nhiễm kênh rạch ở quận Bình Thạnh, TP Hồ Chí Minh.",
)
LOWER_LETTERS = "".join(unicodedata.normalize("NFC", vowel + tone)
                        for vowel in VOWELS for tone in ("", *TONES)) + "đ"
ALL_LETTERS = LOWER_LETTERS + LOWER_LETTERS.upper()


def test_every_vowel_with_every_tone_has_its_own_code() -> None:
    assert len(LOWER_LETTERS) == 12 * 6 + 1 == 73
    assert len({tcvn3_encode(letter) for letter in LOWER_LETTERS}) == 73
    assert len({vni_encode(letter) for letter in ALL_LETTERS}) == 146


def test_known_codes_from_the_standard_tables() -> None:
    """A few letters checked against the published tables, not against our own inverse."""
    assert tcvn3_encode("Hà Tĩnh") == "H\xb5 T\xdcnh"
    assert tcvn3_encode("ơ ư đ Đ") == "\xac \xad \xae \xa7"
    assert vni_encode("Hà Tĩnh") == "Ha\xf8 T\xf3nh"
    assert vni_encode("ấ ặ Đ ở") == "a\xe1 a\xeb \xd1 \xf4\xfb"


@pytest.mark.parametrize("text", [*SENTENCES, ALL_LETTERS])
def test_vni_round_trip(text: str) -> None:
    assert decode(vni_encode(text), "vni") == text


@pytest.mark.parametrize("text", [*SENTENCES, LOWER_LETTERS + "ĂÂÊÔƠƯĐ"])
def test_tcvn3_round_trip(text: str) -> None:
    assert decode(tcvn3_encode(text), "tcvn3") == text


def test_tcvn3_capitals_come_from_an_h_font() -> None:
    """TCVN3 has no upper-case toned letters: ".VnTimeH" draws the lower-case codes so."""
    upper = ALL_LETTERS[len(LOWER_LETTERS):]
    with pytest.raises(ValueError, match="no code"):
        tcvn3_encode(upper)
    assert decode(tcvn3_encode(upper, capitals=True), "tcvn3", capitals=True) == upper


def test_bytes_read_as_windows_1258_decode_the_same() -> None:
    """Our spider's fallback charset reads some high bytes as other letters or marks."""
    for text, name, encode in (*((s, "vni", vni_encode) for s in SENTENCES),
                               *((s, "tcvn3", tcvn3_encode) for s in SENTENCES)):
        as_1258 = encode(text).encode("latin-1").decode("cp1258")
        assert decode(as_1258, name) == text


VIETNAMESE = st.text(alphabet=st.sampled_from(ALL_LETTERS + "bcdghklmnpqrstvx .,"),
                     max_size=60)


@given(VIETNAMESE)
def test_vni_round_trip_on_any_vietnamese(text: str) -> None:
    assert decode(vni_encode(text), "vni") == text


@given(VIETNAMESE.map(str.lower))
def test_tcvn3_round_trip_on_any_vietnamese(text: str) -> None:
    assert decode(tcvn3_encode(text), "tcvn3") == text


TITLE = "Hà Tĩnh xử phạt doanh nghiệp khai thác cát trái phép trên sông Ngàn Sâu"
BODY = (
    "Sở Tài nguyên và Môi trường tỉnh Hà Tĩnh vừa ra quyết định xử phạt hành chính một doanh"
    " nghiệp khai thác cát vượt công suất được cấp phép trên địa bàn huyện Hương Sơn.",
    "Theo biên bản kiểm tra, đơn vị này đã khai thác vượt hơn ba nghìn mét khối cát, gây sạt"
    " lở bờ sông và ảnh hưởng tới đất sản xuất của người dân hai bên bờ.",
)


def page(title: str, body: tuple[str, ...], style: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>\n" for line in body)
    return (f"<html><head><meta charset='windows-1252'><title>{title}</title>"
            f"<style>body {{ {style} }}</style></head><body><article><h1>{title}</h1>\n"
            f"{paragraphs}</article></body></html>")


@pytest.mark.parametrize(("font", "encode"), [(".VnTime", tcvn3_encode),
                                              ("VNI-Times", vni_encode)])
def test_a_legacy_font_page_is_extracted_in_unicode(font: str,
                                                   encode: Callable[[str], str]) -> None:
    html = page(encode(TITLE), tuple(encode(line) for line in BODY),
                f"font-family: '{font}', serif;")
    raw = html.encode("latin-1")  # the bytes the old portal served
    article = extract_article(raw.decode("cp1252"), "https://stnmt.example.vn/tin/1.htm",
                              now=NOW)
    assert article is not None
    assert article.title == TITLE
    assert list(article.paragraphs) == list(BODY)


def test_a_font_face_attribute_names_the_legacy_font() -> None:
    html = f'<font face=".VnArial">{tcvn3_encode(TITLE)}</font>'
    assert legacy_encoding(html) == "tcvn3"
    assert legacy_encoding('<span style="font-family:VNI-Helve">x</span>') == "vni"
    assert legacy_encoding("<p style=\"font-family: Arial, '.VnTime'\">H\xb5</p>") is None


def test_a_unicode_page_naming_vntime_as_a_fallback_is_untouched() -> None:
    html = page(TITLE + " ©", BODY, "font-family: Arial, '.VnTime', 'VNI-Times', sans-serif;")
    assert legacy_encoding(html) is None
    article = extract_article(html, "https://stnmt.example.vn/tin/2.htm", now=NOW)
    assert article is not None
    assert article.title == TITLE + " ©"
    assert list(article.paragraphs) == list(BODY)


def test_a_unicode_page_with_a_pasted_legacy_snippet_is_untouched() -> None:
    """Toned Unicode letters prove the page is Unicode, whatever font a snippet names."""
    html = page(TITLE, BODY, "font-family: '.VnTime';")
    assert legacy_encoding(html) is None
    article = extract_article(html, "https://stnmt.example.vn/tin/3.htm", now=NOW)
    assert article is not None and article.title == TITLE
