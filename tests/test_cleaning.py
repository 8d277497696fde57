"""Boilerplate that trafilatura leaves on Vietnamese pages is removed, article text is not."""

from __future__ import annotations

import pytest

from crawler.cleaning import clean_paragraphs, is_boilerplate_line
from crawler.urls import canonical_url

TITLE = "Vinh danh 26 điển hình tiên tiến ngành Tài nguyên và Môi trường Hà Tĩnh"


@pytest.mark.parametrize("line", [
    "--Quảng cáo---", "Quảng cáo", "Xem với cỡ chữ : A- A A+", "(0) Bình luận", "Tin nổi bật",
    "Đọc thêm", "Mới nhất & Dành cho bạn", "POWERED BY ONECMS - A PRODUCT OF NEKO",
    "Chủ đề ĐẠI HỘI THI ĐUA YÊU NƯỚC TỈNH HÀ TĨNH", "Tin mới Emagazine Truyền hình Podcast",
    "Bản quyền thuộc Sở Tài nguyên và Môi trường tỉnh Bình Dương", "Các tin khác", "  ",
    "Nguồn tin: Sở Tài nguyên và Môi trường", "Lượt xem: 235",
    ">> Xem tiếp: Hình ảnh Leila Lopes đăng quang", "Chia sẻ ảnh về cuộc sống của bạn tại đây",
    ">> Doanh nhân buôn ma túy lãnh án >> Truy tố bị can", "» Tin liên quan khác",
    "CN | T2 | T3 | T4 | T5 | T6 | T7", "X",  # a calendar's weekday row, a close button
    # A date line that trafilatura keeps as a paragraph.
    "Thứ Sáu, 14/02/2025, 16:40", "Cập nhật lúc: 10:30, Thứ Tư, 12/06/2024",
    "Ngày đăng: 15/10/2024 02:15:36 CH", "09:30 | 15/03/2024",
])
def test_boilerplate_lines_are_recognised(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize("line", [
    "Quang cảnh Hội nghị",
    "Chủ đề của hội nghị năm nay là chuyển đổi số trong quản lý đất đai.",
    "Bình luận về kết quả này, ông Sơn cho biết ngành sẽ tiếp tục cải cách.",
    "Thi đua khen thưởng góp phần thực hiện thắng lợi các nhiệm vụ",
    "Ngày 10/01/2020, Sở TN&MT tổ chức hội nghị tổng kết.",
    "Nguồn tin báo về đường dây nóng, lực lượng chức năng đã có mặt. Đoàn lập biên bản.",
    "01/01/2024 | 31/12/2024",  # a table row of two dates is data, not a date line
])
def test_article_lines_are_kept(line: str) -> None:
    assert not is_boilerplate_line(line)


def test_captions_repeating_the_title_and_repeated_lead_are_dropped() -> None:
    lead = "(Baohatinh.vn) - Trong phong trào thi đua yêu nước giai đoạn 2015 - 2020."
    paragraphs = [lead, "Chiều 20/8, Sở TN&MT Hà Tĩnh tổ chức hội nghị.", TITLE,
                  "Quang cảnh Hội nghị", "Quang cảnh Hội nghị", TITLE.upper(), "--Quảng cáo---"]
    assert clean_paragraphs(paragraphs, title=TITLE, lead=lead) == [
        "Chiều 20/8, Sở TN&MT Hà Tĩnh tổ chức hội nghị.", "Quang cảnh Hội nghị"]


@pytest.mark.parametrize(("url", "canonical"), [
    ("https://BaoHaTinh.vn/a-b/200345.htm?utm_source=home&utm_medium=box#top",
     "https://baohatinh.vn/a-b/200345.htm"),
    ("https://stnmt.binhduong.gov.vn/tin.aspx?page=2&ItemID=12&fbclid=xyz",
     "https://stnmt.binhduong.gov.vn/tin.aspx?ItemID=12&page=2"),
    ("https://baotainguyenmoitruong.vn", "https://baotainguyenmoitruong.vn/"),
])
def test_canonical_urls_drop_tracking_and_fragments(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
