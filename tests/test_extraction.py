"""extract_article() as a pure function: html + url (+ optional registry selectors) -> Article."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import expected_articles, mirror_page
from crawler.article import normalise_text
from crawler.blocks import element_text
from crawler.dates import VN_TZ
from crawler.extraction import divs_as_paragraphs, drop_link_lists, extract_article
from crawler.registry import load_registry

EXPECTED = expected_articles()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize("use_selectors", [True, False], ids=["registry", "generic"])
@pytest.mark.parametrize("expected", EXPECTED, ids=[Path(a["_file"]).stem for a in EXPECTED])
def test_mirror_page_gives_the_expected_article(expected: dict, use_selectors: bool) -> None:
    """With the registry's selectors, and without them (generic rules): same article."""
    source = load_registry()[expected["source"]] if use_selectors else None
    html = mirror_page(expected["url"]).decode()
    article = extract_article(html, expected["url"], source=source, now=NOW)
    assert article is not None
    assert article.title == normalise_text(expected["title"])
    assert article.published_iso() == expected["published_at"]
    assert article.author == expected["author"]
    assert article.lead == normalise_text(expected["lead"])
    assert list(article.paragraphs) == [normalise_text(p) for p in expected["body"]]


TRAP = """<html><head><title>Hội nghị điển hình tiên tiến</title></head><body>
<article><h1>Sở TN&MT Hà Tĩnh vinh danh điển hình tiên tiến</h1>
<span class="time-post">17:45 | 20/8</span>
<p>Chiều 20/8, Sở TN&MT Hà Tĩnh tổ chức hội nghị điển hình tiên tiến giai đoạn 2015-2020.</p>
<p>Trong 5 năm qua, phong trào thi đua yêu nước của Sở luôn bám sát nhiệm vụ chính trị.</p>
</article>
<div class="box-readmore"><h3>Đọc thêm</h3><ul>
<li><a href="/a/1.htm">Hà Tĩnh tổng kết công tác môi trường</a>
    <span class="time">21/08/2019 10:12</span></li>
<li><a href="/b/2.htm">Xử lý khai thác cát trái phép</a>
    <span class="time">19/08/2019 08:00</span></li>
</ul></div></body></html>"""


def test_a_yearless_article_date_beats_the_related_box_and_takes_the_hint_year() -> None:
    hinted = extract_article(TRAP, "https://baohatinh.vn/x/1.htm", now=NOW,
                             date_hint=datetime(2020, 8, 20, 17, 52, tzinfo=VN_TZ))
    assert hinted is not None and hinted.published_iso() == "2020-08-20T17:45:00+07:00"


def test_a_yearless_article_date_takes_the_year_of_the_page_without_a_hint() -> None:
    article = extract_article(TRAP, "https://baohatinh.vn/x/1.htm", now=NOW)
    assert article is not None and article.published_iso() == "2019-08-20T17:45:00+07:00"


@pytest.mark.parametrize("html", ["", "   ", "<html></html>", "<p>chỉ một dòng</p>",
                                  "\x00\x01 binary", "<html><body><h1>Tiêu đề</h1></body></html>"])
def test_pages_without_an_article_give_none(html: str) -> None:
    assert extract_article(html, "https://x.vn/", now=NOW) is None


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<html><body><article>'
            "<h1>Sở NN&MT kiểm tra khai thác khoáng sản</h1>"
            f"<p>{'Đoàn kiểm tra đã làm việc với doanh nghiệp khai thác đá. ' * 5}</p>"
            "</article></body></html>")
    article = extract_article(page, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.title == "Sở NN&MT kiểm tra khai thác khoáng sản"


def test_a_deeply_nested_page_gives_none_not_an_error() -> None:
    assert extract_article("<div>" * 100_000 + "x" + "</div>" * 100_000, "https://x.vn/",
                           now=NOW) is None


def test_an_empty_logo_h1_is_not_taken_for_the_headline() -> None:
    page = ("<html><body><h1 class='logo'><a href='/'><img src='logo.png'></a></h1>"
            "<div class='detail'><h1>Thanh tra việc cấp phép khai thác cát trên sông Lam</h1>"
            f"<p>{'Đoàn thanh tra làm việc với các doanh nghiệp được cấp phép. ' * 5}</p>"
            "</div></body></html>")
    article = extract_article(page, "https://x.vn/a.html", now=NOW)
    assert article is not None
    assert article.title == "Thanh tra việc cấp phép khai thác cát trên sông Lam"


def test_a_day_only_meta_gives_way_to_the_visible_date_with_its_time() -> None:
    page = ("<html><body><div class='box'><span class='fr mr2'>"
            "<meta itemprop='datePublished' content='2012-12-25'/>Thứ Ba, 25/12/2012 - 10:03"
            "</span><h1>Chốt lịch nghỉ lễ Tết 2013 của công chức, viên chức</h1>"
            f"<p>{'Bộ Lao động đã trình phương án nghỉ Tết cho công chức. ' * 5}</p>"
            "</div></body></html>")
    article = extract_article(page, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.published_iso() == "2012-12-25T10:03:00+07:00"


BODY = "".join(f"<p>{sentence}</p>" for sentence in (
    "Đoàn kiểm tra liên ngành đã làm việc với các doanh nghiệp khai thác đá trên địa bàn.",
    "Qua kiểm tra, các doanh nghiệp cơ bản chấp hành đúng nội dung giấy phép khai thác.",
    "Đoàn yêu cầu khắc phục ngay các tồn tại và báo cáo kết quả về Sở trước cuối tháng.",
))


def page(head: str, body: str) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


def test_the_headline_is_the_heading_the_title_tag_names_not_a_section_h1() -> None:
    html = page("<title>Kiểm tra khai thác đá tại Lục Nam - Sở TN&amp;MT Bắc Giang</title>",
                "<h1 class='title'>TIN HOẠT ĐỘNG CỦA SỞ</h1><div><h3 class='Title'>"
                f"Kiểm tra khai thác đá tại Lục Nam</h3>{BODY}</div>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.title == "Kiểm tra khai thác đá tại Lục Nam"


@pytest.mark.parametrize(("head", "url", "expected"), [
    ("<title>Mọi ngả đường về nhà thờ tắc nghẽn - Zing News | Xã hội</title>",
     "https://news.zing.vn/a.html", "Mọi ngả đường về nhà thờ tắc nghẽn"),
    ("<meta property='og:site_name' content='Báo Hà Tĩnh'>"
     "<meta property='og:title' content='Xử lý khai thác cát trái phép - Báo Hà Tĩnh'>",
     "https://baohatinh.vn/a.htm", "Xử lý khai thác cát trái phép"),
    ("<title>Bàn kịch bản nguồn nước sông Vu Gia - Thu Bồn</title>",
     "https://snnmt.danang.gov.vn/a", "Bàn kịch bản nguồn nước sông Vu Gia - Thu Bồn"),
])
def test_without_a_headline_element_the_title_tag_serves_without_the_site_name(
        head: str, url: str, expected: str) -> None:
    article = extract_article(page(head, f"<div>{BODY}</div>"), url, now=NOW)
    assert article is not None and article.title == expected


def test_the_date_shown_beside_the_title_beats_a_meta_of_another_time() -> None:
    html = page("<meta name='pubdate' content='2012-12-23T14:02:00+07:00'>",
                "<div><h1>Đột nhập lò luyện thi công chức Hàn Quốc</h1>"
                "<div class='publication_date'>Thứ Hai, 24/12/2012, 03:04 AM (GMT+7)</div>"
                f"{BODY}</div>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.published_iso() == "2012-12-24T03:04:00+07:00"


def test_dates_of_linked_teasers_and_tickers_are_not_the_articles() -> None:
    html = page("", "<div id='HeadLines'><a class='marquee' href='/b'>Tin khác - <label "
                "class='time'>17:39 | 28/12/2012</label></a></div><div><h1>Hoa hậu Hoàn vũ "
                f"gây sốc với hình ảnh mới</h1>{BODY}<ul><li><a class='aRelate' href='/c'>"
                "Vẻ đẹp gợi cảm của tân Hoa hậu Hoàn vũ<span class='time'> (20/12)</span>"
                "</a></li></ul></div>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.published_at is None


@pytest.mark.parametrize(("url", "hint", "expected"), [
    ("https://x.vn/2024/03/15/a.html", None, "2024-03-15"),
    ("https://x.vn/2012/12/a.html", None, None),  # a month alone says too little
    ("https://x.vn/a.html", datetime(2024, 3, 15, 9, 30, tzinfo=VN_TZ),
     "2024-03-15T09:30:00+07:00"),
])
def test_a_page_without_a_date_takes_the_feeds_or_the_urls(url: str, hint: datetime | None,
                                                            expected: str | None) -> None:
    html = page("", f"<div><h1>Hoa hậu Hoàn vũ gây sốc với hình ảnh mới</h1>{BODY}</div>")
    article = extract_article(html, url, now=NOW, date_hint=hint)
    assert article is not None and article.published_iso() == expected


def test_a_month_first_page_is_read_month_first() -> None:
    html = page("", f"<div><h1>8/3 boy vào bếp chế bánh tình yêu</h1><div class='author_date'>"
                f"Published on 03-08-2011 01:00 AM</div>{BODY}</div>"
                "<div class='footer'>Bài mới: 12-27-2012, 12-24-2012</div>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.published_iso() == "2011-03-08T01:00:00+07:00"


@pytest.mark.parametrize(("byline", "author"), [
    ("<p style='text-align:right'><strong>Thu Chung</strong></p>", "Thu Chung"),
    ("<p align='right'><b>Bài, ảnh: HOÀNG ANH</b></p>", "HOÀNG ANH"),
    ("<p>Theo TTXVN</p>", "TTXVN"),
    ("<p style='text-align:right'><strong>Tâm Giao</strong><br><em>Ảnh:</em> Cao Hiếu</p>",
     "Tâm Giao"),
])
def test_a_closing_byline_becomes_the_author_and_leaves_the_body(byline: str, author: str
                                                                 ) -> None:
    html = page("<meta name='author' content='Sở Tài nguyên và Môi trường tỉnh Bắc Giang'>",
                f"<article><h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}{byline}</article>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.author == author
    assert len(article.paragraphs) == 3


def test_a_publisher_in_meta_author_is_not_an_author() -> None:
    html = page("<meta name='author' content='Sở Tài nguyên và Môi trường tỉnh Bắc Giang'>",
                f"<article><h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}</article>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.author is None


def test_a_layout_table_keeps_its_paragraphs_apart() -> None:
    html = page("", f"<table><tr><td><h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}</td>"
                "</tr></table>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and len(article.paragraphs) == 3


@pytest.mark.parametrize(("meta_author", "tail", "author", "last"), [
    # A bold subheading is no byline; the person <meta> names is the author.
    ("Ryan Reed", "<p><strong>The Doobie Brothers Tour Dates</strong></p>", "Ryan Reed",
     "The Doobie Brothers Tour Dates"),
    # A publisher in <meta> gives way to the closing byline, which leaves the body.
    ("FPT Online", "<p style='text-align:right'><strong>Tâm Giao</strong></p>", "Tâm Giao",
     "Đoàn yêu cầu khắc phục ngay các tồn tại và báo cáo kết quả về Sở trước cuối tháng."),
    # No author anywhere: a short closing line that names nobody stays.
    ("Sở Tài nguyên và Môi trường", "<p>Có 36 mỏ được kiểm tra.</p>", None,
     "Có 36 mỏ được kiểm tra."),
])
def test_meta_authors_and_closing_bylines(meta_author: str, tail: str, author: str | None,
                                          last: str) -> None:
    html = page(f"<meta name='author' content='{meta_author}'>",
                f"<article><h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}{tail}</article>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.author == author
    assert article.paragraphs[-1] == last


def test_a_box_holding_the_headline_is_never_a_noise_box() -> None:
    # Portals mark the printable article region "print-news"; "print" names share tools.
    links = "".join(f"<p><a href='/{i}'>Tin hoạt động số {i}</a></p>" for i in range(40))
    html = page("", f"<div class='box-list'>{links}</div><div id='print-news'>"
                f"<h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}</div>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and len(article.paragraphs) == 3


def test_text_only_divs_among_paragraphs_are_paragraphs() -> None:
    # Old CMSs and Word-pasted text mix <DIV>s and <P>s in one article box.
    root = lxml_html.fragment_fromstring(
        "<div><DIV align=left>Cụ thể, trong dịp nghỉ Tết Dương lịch cán bộ được nghỉ 4 ngày.</DIV>"
        "<div><img src='/a.jpg'></div><div><p>Một đoạn văn nằm trong khối riêng của nó.</p></div>"
        "<p>Đoàn kiểm tra liên ngành đã làm việc với các doanh nghiệp khai thác đá.</p></div>")
    divs_as_paragraphs(root)
    assert [child.tag for child in root] == ["p", "div", "div", "p"]
    alone = lxml_html.fragment_fromstring(
        "<div><div>Một khối chữ không nằm giữa các đoạn văn của bài báo.</div></div>")
    divs_as_paragraphs(alone)
    assert [child.tag for child in alone] == ["div"]


def test_inline_tags_join_words_as_the_browser_shows_them() -> None:
    # Word-pasted markup splits words across spans; a link ends right before its full stop.
    paragraph = lxml_html.fragment_fromstring(
        "<div>có thêm m<span>ột</span> <b>gợi ý</b> về <a href='/x'>ma túy tổng hợp</a>.<br>"
        "Tin, ảnh<div>Vũ Phương Thảo</div></div>")
    assert element_text(paragraph) == ("có thêm một gợi ý về ma túy tổng hợp. "
                                       "Tin, ảnh Vũ Phương Thảo")


def test_a_box_of_linked_headlines_goes_with_its_heading() -> None:
    links = "".join(f"<li><a href='/{i}'>Tin về khai thác đá số {i}</a></li>" for i in range(3))
    root = lxml_html.document_fromstring(
        f"<html><body><div id='article'><h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}"
        "<ul><li>Mỏ đá Lục Nam: 12 giấy phép</li><li>Mỏ đá Yên Thế: 9 giấy phép</li></ul>"
        f"<ul class='inline'>{links}</ul></div>"
        "<div id='topic'><h2>Thông tin cập nhật về khai thác đá</h2>"
        f"<div><ul>{links}</ul><a href='/tag'>Xem tất cả >></a></div></div></body></html>")
    drop_link_lists(root)
    assert root.get_element_by_id("topic", None) is None
    assert len(root.get_element_by_id("article").xpath(".//ul")) == 1  # the data list stays


def test_a_related_link_ending_the_lead_is_neither_lead_nor_body() -> None:
    lead = "Dòng nước bốc lên lớp hơi bụi trắng khiến cây cỏ gần đó chết cháy."
    html = page("", f"<div><h1>Dòng nước độc trên cánh đồng Hà Nội</h1><h2 class='Lead'>{lead}"
                "<br><a href='/x' class='Lead'>&gt;&gt; Xả rác - sự hồn nhiên độc ác</a></h2>"
                f"{BODY}</div>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.lead == lead
    assert "Xả rác" not in article.text


def test_the_json_ld_author_is_read() -> None:
    json_ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
               '"author": {"@type": "Person", "name": "Anh Minh"}}</script>')
    html = page(json_ld, f"<article><h1>Kiểm tra hoạt động khai thác đá</h1>{BODY}</article>")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.author == "Anh Minh"
    assert "NewsArticle" not in article.text


@pytest.mark.parametrize(("credit", "author"), [
    # "Theo X" in the date line names the outlet the story came from, not its writer.
    ("<span class='date'><span itemprop='author'>Theo Ngoisao</span> | "
     "<span>25/12/2012 10:25</span></span>", None),
    # A writer's name in the date line is the author.
    ("<span class='date'><span class='author'>Thu Hà</span> | "
     "<span>25/12/2012 10:25</span></span>", "Thu Hà"),
    # A source box closing the article is its byline, a name with digits included.
    ("<div class='source'>Theo K14</div>", "K14"),
])
def test_source_credits(credit: str, author: str | None) -> None:
    before, after = (credit, "") if "date" in credit else ("", credit)
    html = page("", f"<div><h1>Kiểm tra hoạt động khai thác đá</h1>{before}{BODY}</div>{after}")
    article = extract_article(html, "https://x.vn/a.html", now=NOW)
    assert article is not None and article.author == author
