"""The generic body path on general (non-Vietnamese) pages: what the article-extraction
benchmark taught us, on small hand-made pages. Our Vietnamese rules must not cost them."""

from __future__ import annotations

from datetime import datetime

from click.testing import CliRunner
from lxml import html as lxml_html

from crawler.blocks import better_body, main_blocks
from crawler.cli import main
from crawler.dates import VN_TZ
from crawler.extraction import extract_article

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)
URL = "https://news.example.com/2019/11/18/hunter-plague/"
PARAGRAPHS = [
    "A hunter in Inner Mongolia has been diagnosed with bubonic plague after eating a wild "
    "rabbit, health officials in the region said on Monday afternoon.",
    "The man was taken to hospital in a stable condition, and 28 people who had been in "
    "contact with him were placed under quarantine as a precaution.",
    "Plague is spread by fleas carried by rodents and can be treated with antibiotics if it "
    "is caught early, according to the World Health Organization.",
    "Two other people were diagnosed with the pneumonic form of the disease in Beijing last "
    "week, which prompted fears of a wider outbreak in the capital.",
]
MENU = "".join(f"<li><a href='/n/{i}'>Another headline about the weather number {i}</a></li>"
               for i in range(60))
MENU_VI = "".join(f"<li><a href='/n/{i}'>Tin tức môi trường số {i}</a></li>" for i in range(60))


def page(body: str, *, lang: str = "en", head: str = "<title>Hunter catches plague</title>",
         menu: str = MENU) -> str:
    return (f"<html lang='{lang}'><head>{head}</head><body>"
            f"<header class='site-header'><ul class='menu'>{menu}</ul></header>"
            f"{body}<footer class='footer'><p>Copyright 2019 News Example.</p></footer>"
            f"</body></html>")


def paragraphs_html(texts: list[str] = PARAGRAPHS) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def extract(html: str):
    article = extract_article(html, URL, source=None, now=NOW)
    assert article is not None
    return article


def test_an_article_column_with_a_noisy_class_name_is_kept() -> None:
    html = page("<div class='layout with-sidebar'><article><h1>Hunter catches plague</h1>"
                f"<div class='entry-content entry-content-read-more'>{paragraphs_html()}</div>"
                "</article></div>")
    assert list(extract(html).paragraphs) == PARAGRAPHS


def test_related_boxes_are_still_dropped() -> None:
    html = page(f"<article><h1>Hunter catches plague</h1>{paragraphs_html()}"
                "<div class='related-news'><p>Related: a second plague case in Beijing "
                "raises fears across the capital this week</p></div></article>")
    assert list(extract(html).paragraphs) == PARAGRAPHS


def test_photo_captions_stay_out_of_a_general_page_body() -> None:
    figure = ("<figure><img src='/hunter.jpg'><figcaption>The hospital where the hunter is "
              "treated (Photo: Reuters)</figcaption></figure>")
    html = page(f"<article><h1>Hunter catches plague</h1>{paragraphs_html(PARAGRAPHS[:2])}"
                f"{figure}{paragraphs_html(PARAGRAPHS[2:])}</article>")
    assert list(extract(html).paragraphs) == PARAGRAPHS


def test_photo_captions_are_paragraphs_on_a_vietnamese_page() -> None:
    body = ["Sáng 20/8, Sở Tài nguyên và Môi trường tỉnh Hà Tĩnh tổ chức hội nghị tổng kết "
            "công tác thu gom rác thải sinh hoạt trên địa bàn toàn tỉnh.",
            "Hội nghị đánh giá kết quả thực hiện đề án và đề ra nhiệm vụ cho giai đoạn tới."]
    caption = "Lãnh đạo Sở phát biểu tại hội nghị. Ảnh: Thu Hà"
    html = page(f"<article><h1>Hà Tĩnh tổng kết thu gom rác thải</h1><p>{body[0]}</p>"
                f"<figure><img src='/a.jpg'><figcaption>{caption}</figcaption></figure>"
                f"<p>{body[1]}</p></article>", lang="en", menu=MENU_VI)  # a wrong lang
    assert list(extract(html).paragraphs) == [body[0], caption, body[1]]


def test_a_line_break_inside_a_paragraph_separates_words() -> None:
    html = page("<article><h1>Hunter catches plague</h1>"
                f"{paragraphs_html()}<p>Tour dates: June 9, West Palm Beach, FL<br>"
                "June 10, Tampa, FL<br>June 14, Alpharetta, GA</p></article>")
    assert extract(html).paragraphs[-1] == ("Tour dates: June 9, West Palm Beach, FL "
                                            "June 10, Tampa, FL June 14, Alpharetta, GA")


def test_script_text_never_reaches_the_lead() -> None:
    lead = "Health officials quarantined 28 people after the hunter fell ill on Monday."
    html = page("<article><h1>Hunter catches plague</h1><div class='lead'>"
                f"<script>var brandSafety='passed for ad targeting';</script>{lead}</div>"
                f"{paragraphs_html()}</article>")
    assert extract(html).lead == lead


def test_a_summary_box_holding_the_whole_article_is_not_a_lead() -> None:
    html = page("<article><h1>Hunter catches plague</h1>"
                f"<div class='field--type-text-with-summary'>{paragraphs_html()}</div>"
                "</article>")
    article = extract(html)
    assert article.lead == ""
    assert article.text == "\n".join(PARAGRAPHS)


def test_a_page_without_a_headline_element_takes_its_title_tag() -> None:
    html = page(f"<div class='story'>{paragraphs_html()}</div>",
                head="<title>Hunter catches plague after eating rabbit</title>")
    article = extract(html)
    assert article.title == "Hunter catches plague after eating rabbit"
    assert list(article.paragraphs) == PARAGRAPHS


SPLIT = lxml_html.document_fromstring(
    "<html><body><div class='menu'><p>Short</p></div>"
    f"<div class='article-body'>{paragraphs_html(PARAGRAPHS[:2])}</div>"
    "<div class='ad'><p>Advertisement: buy the best vacuum cleaner of the season now</p></div>"
    f"<div class='article-body'><h2>Outbreak fears</h2>{paragraphs_html(PARAGRAPHS[2:])}</div>"
    "</body></html>")


def test_main_blocks_are_every_box_of_the_article_s_kind() -> None:
    assert [block.get("class") for block in main_blocks(SPLIT)] == ["article-body"] * 2


def test_the_main_blocks_replace_a_body_that_misses_most_of_them() -> None:
    assert better_body(PARAGRAPHS[:1], SPLIT) == [*PARAGRAPHS[:2], "Outbreak fears",
                                                  *PARAGRAPHS[2:]]


def test_a_keyword_list_is_not_the_main_block() -> None:
    keywords = " , ".join(f"tin nhanh {i} , vụ án , kinh tế" for i in range(40))
    root = lxml_html.document_fromstring(
        f"<html><body><div class='story'>{paragraphs_html()}</div>"
        f"<div class='footer-website'><p>{keywords}</p></div></body></html>")
    assert [block.get("class") for block in main_blocks(root)] == ["story"]


def test_a_body_that_holds_the_main_blocks_is_kept() -> None:
    assert better_body(PARAGRAPHS, SPLIT) == PARAGRAPHS


def test_extract_format_text_prints_exactly_the_article_text() -> None:
    html = page("<div class='layout with-sidebar'><article><h1>Hunter catches plague</h1>"
                f"<div class='entry-content'>{paragraphs_html()}</div></article></div>")
    result = CliRunner().invoke(main, ["extract", "-", "--url", URL, "--format", "text"],
                                input=html.encode())
    assert result.exit_code == 0, result.output
    assert result.output == extract(html).text + "\n" == "\n".join(PARAGRAPHS) + "\n"
