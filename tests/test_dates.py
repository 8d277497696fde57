"""Tests for crawler.dates: Vietnamese date forms, rejections, and round-trip properties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import (
    VN_TZ,
    PageDate,
    parse_date,
    parse_machine_date,
    writes_month_first,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
WEEKDAYS_NUMERIC = ["Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "CN"]
WEEKDAYS_BARE = ["Thu hai", "Thu ba", "Thu tu", "Thu nam", "Thu sau", "Thu bay", "Chu nhat"]
MONTH_WORDS = ["Một", "Hai", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám", "Chín", "Mười",
               "Mười Một", "Mười Hai"]


def iso(text: str, year_hint: int | None = None) -> str | None:
    """Parse text against the frozen NOW and return the ISO output, or None."""
    found = parse_date(text, now=NOW, year_hint=year_hint)
    return found.isoformat() if found else None


# --- table-driven forms -----------------------------------------------------------------

ABSOLUTE = [
    ("time-date", "21:18 10/01/2020", "2020-01-10T21:18:00+07:00"),
    ("byline", "Ngành TN&MT - Tường Tú - 21:18 10/01/2020", "2020-01-10T21:18:00+07:00"),
    ("time-weekday-dashes", "10:58, Thứ Năm, 28-12-2023", "2023-12-28T10:58:00+07:00"),
    ("weekday-date-dash-time", "Thứ Sáu, 21/08/2020 - 08:15", "2020-08-21T08:15:00+07:00"),
    ("weekday-gmt", "Thứ năm, 2/11/2023, 19:20 (GMT+7)", "2023-11-02T19:20:00+07:00"),
    ("weekday-number", "Thứ 5, 02/11/2023 19:20", "2023-11-02T19:20:00+07:00"),
    ("cn", "CN, 05/11/2023", "2023-11-05"),
    ("chu-nhat", "Chủ nhật, 05/11/2023 07:00", "2023-11-05T07:00:00+07:00"),
    ("chu-nhat-title", "Chủ Nhật, 05/11/2023", "2023-11-05"),
    ("weekday-upper", "THỨ NĂM, 28/12/2023 10:58", "2023-12-28T10:58:00+07:00"),
    ("weekday-bare", "Thu nam, 28/12/2023 10:58", "2023-12-28T10:58:00+07:00"),
    ("weekday-lower", "thứ hai 25/12/2023", "2023-12-25"),
    ("weekday-t5", "T5, 28/12/2023 - 10:58", "2023-12-28T10:58:00+07:00"),
    ("weekday-pipe", "Thứ Năm, 28/12/2023 | 10:58", "2023-12-28T10:58:00+07:00"),
    ("dots", "28.12.2023", "2023-12-28"),
    ("slashes", "28/12/2023", "2023-12-28"),
    ("dashes", "28-12-2023", "2023-12-28"),
    ("en-dash-sep", "Thứ Năm, 28/12/2023 – 10:58", "2023-12-28T10:58:00+07:00"),
    ("single-digits", "2/1/2024", "2024-01-02"),
    ("iso-date", "2023-12-28", "2023-12-28"),
    ("iso-offset", "2023-12-28T10:58:00+07:00", "2023-12-28T10:58:00+07:00"),
    ("iso-z", "2023-12-28T03:58:00Z", "2023-12-28T10:58:00+07:00"),
    ("iso-fraction", "2023-12-28T03:58:00.123Z", "2023-12-28T10:58:00+07:00"),
    ("iso-space", "2023-12-28 10:58:00", "2023-12-28T10:58:00+07:00"),
    ("iso-z-day-change", "2023-12-27T20:30:00Z", "2023-12-28T03:30:00+07:00"),
    ("year-first-slashes", "2023/12/28", "2023-12-28"),
    ("gmt0", "28/12/2023 03:58 GMT+0", "2023-12-28T10:58:00+07:00"),
    ("worded", "ngày 28 tháng 12 năm 2023", "2023-12-28"),
    ("worded-place", "Hà Nội, ngày 2 tháng 9 năm 2024", "2024-09-02"),
    ("worded-comma", "28 tháng 12, 2023", "2023-12-28"),
    ("worded-month-word", "28 tháng Mười Hai, 2023", "2023-12-28"),
    ("month-first-words", "Tháng Mười Hai 28, 2023", "2023-12-28"),
    ("month-first-muoi-mot", "Tháng Mười Một 2, 2023", "2023-11-02"),
    ("month-first-number", "Tháng 12 28, 2023", "2023-12-28"),
    ("sa", "10:58 SA 28/12/2023", "2023-12-28T10:58:00+07:00"),
    ("ch", "10:58 CH 28/12/2023", "2023-12-28T22:58:00+07:00"),
    ("sa-midnight", "12:05 SA, 28/12/2023", "2023-12-28T00:05:00+07:00"),
    ("ch-noon", "28/12/2023 12:05 CH", "2023-12-28T12:05:00+07:00"),
    ("h", "9h30 ngày 28/12/2023", "2023-12-28T09:30:00+07:00"),
    ("h-no-minutes", "Lúc 9h ngày 28/12/2023", "2023-12-28T09:00:00+07:00"),
    ("g", "09g30 28/12/2023", "2023-12-28T09:30:00+07:00"),
    ("gio-phut", "lúc 14 giờ 30 phút ngày 28/12/2023", "2023-12-28T14:30:00+07:00"),
    ("gio-toi", "8 giờ tối ngày 28/12/2023", "2023-12-28T20:00:00+07:00"),
    ("gio-chieu", "28/12/2023, 3 giờ chiều", "2023-12-28T15:00:00+07:00"),
    ("seconds", "28/12/2023 10:58:30", "2023-12-28T10:58:30+07:00"),
    ("cap-nhat", "Cập nhật: 28/12/2023 10:58", "2023-12-28T10:58:00+07:00"),
    ("cap-nhat-luc", "Cập nhật lúc 10:58 ngày 28/12/2023", "2023-12-28T10:58:00+07:00"),
    ("cap-nhat-luc-after", "Cập nhật lúc: 28/12/2023 - 10:58 (GMT+7)", "2023-12-28T10:58:00+07:00"),
    ("ngay-dang", "Ngày đăng: 28/12/2023 10:58", "2023-12-28T10:58:00+07:00"),
    ("dang-ngay", "Đăng ngày 28/12/2023 lúc 10:58", "2023-12-28T10:58:00+07:00"),
    ("xuat-ban", "Ngày xuất bản: 28/12/2023", "2023-12-28"),
    ("gmt-bare", "28/12/2023 10:58 GMT+7", "2023-12-28T10:58:00+07:00"),
    ("date-before-other-numbers", "Thứ Năm, 28/12/2023 - 0 bình luận - 1.234 lượt xem",
     "2023-12-28"),
    ("decision-date", "Quyết định số 12/QĐ-BTNMT ngày 02/01/2019", "2019-01-02"),
    ("circular-date", "Thông tư 02/2022/TT-BTNMT ngày 10/01/2022", "2022-01-10"),
    ("invalid-then-valid", "32/01/2020 hoặc 31/01/2020", "2020-01-31"),
    ("invalid-clock-dropped", "28/12/2023 25:70", "2023-12-28"),
    ("never-month-first", "02/11/2023", "2023-11-02"),
    ("leap-day", "29/02/2024", "2024-02-29"),
]


@pytest.mark.parametrize(("text", "expected"), [row[1:] for row in ABSOLUTE],
                         ids=[row[0] for row in ABSOLUTE])
def test_absolute_forms(text: str, expected: str) -> None:
    assert iso(text) == expected


RELATIVE = [
    ("hours-ago", "2 giờ trước", "2026-11-23T08:00:00+07:00"),
    ("tieng-ago", "1 tiếng trước", "2026-11-23T09:00:00+07:00"),
    ("minutes-ago", "30 phút trước", "2026-11-23T09:30:00+07:00"),
    ("minutes-ago-short", "Cập nhật 45p trước", "2026-11-23T09:15:00+07:00"),
    ("hours-minutes-ago", "1 giờ 30 phút trước", "2026-11-23T08:30:00+07:00"),
    ("days-ago", "5 ngày trước", "2026-11-18"),
    ("days-ago-cross-month", "3 ngày trước", "2026-11-20"),
    ("weeks-ago", "2 tuần trước", "2026-11-09"),
    ("months-ago", "2 tháng trước", "2026-09-23"),
    ("just-now", "vừa xong", "2026-11-23T10:00:00+07:00"),
    ("just-posted", "Vừa đăng", "2026-11-23T10:00:00+07:00"),
    ("yesterday-time", "hôm qua 08:15", "2026-11-22T08:15:00+07:00"),
    ("today-comma-time", "Hôm nay, 08:15", "2026-11-23T08:15:00+07:00"),
    ("time-yesterday", "08:15 hôm qua", "2026-11-22T08:15:00+07:00"),
    ("day-before-yesterday", "Hôm kia lúc 21:00", "2026-11-21T21:00:00+07:00"),
    ("yesterday-alone", "Hôm qua", "2026-11-22"),
]


@pytest.mark.parametrize(("text", "expected"), [row[1:] for row in RELATIVE],
                         ids=[row[0] for row in RELATIVE])
def test_relative_forms(text: str, expected: str) -> None:
    assert iso(text) == expected


YEARLESS = [
    ("chieu", "Chiều 20/8", None, "2026-08-20"),
    ("toi", "Tối 20/8", None, "2026-08-20"),
    ("bare-short", "20/8", None, "2026-08-20"),
    ("time-pipe", "17:45 | 20/8", None, "2026-08-20T17:45:00+07:00"),
    ("date-time", "20/08 17:45", None, "2026-08-20T17:45:00+07:00"),
    ("chieu-with-time", "Chiều 20/8, 15:30", None, "2026-08-20T15:30:00+07:00"),
    ("ngay-in-prose", "Sự kiện diễn ra ngày 20/8 tại Hà Nội", None, "2026-08-20"),
    ("worded-ngay", "ngày 20 tháng 8", None, "2026-08-20"),
    ("tomorrow-stays", "24/11", None, "2026-11-24"),
    ("late-tomorrow-goes-back", "24/11 23:00", None, "2025-11-24T23:00:00+07:00"),
    ("future-goes-back", "25/11", None, "2025-11-25"),
    ("december-goes-back", "Sáng 28/12", None, "2025-12-28"),
    ("leap-day-goes-back", "29/2", None, "2024-02-29"),
    ("hint", "20/8", 2020, "2020-08-20"),
    ("hint-trusted-in-future", "Chiều 28/12", 2026, "2026-12-28"),
    ("nonsense-hint-ignored", "20/8", 12, "2026-08-20"),
]


@pytest.mark.parametrize(("text", "hint", "expected"), [row[1:] for row in YEARLESS],
                         ids=[row[0] for row in YEARLESS])
def test_yearless_forms(text: str, hint: int | None, expected: str) -> None:
    assert iso(text, year_hint=hint) == expected


NOT_DATES = [
    ("resolution-number", "Nghị quyết số 01/NQ-CP"),
    ("fraction-districts", "13/13 huyện"),
    ("fraction-in-prose", "Đến nay đã có 10/12 huyện hoàn thành kế hoạch sử dụng đất"),
    ("round-the-clock", "24/24h"),
    ("round-the-clock-prose", "Đường dây nóng hoạt động 24/7 để tiếp nhận phản ánh"),
    ("decree-number", "Nghị định 08/2022/NĐ-CP"),
    ("standard", "TCVN 9001:2008"),
    ("year-range", "Quy hoạch giai đoạn 2021 - 2030"),
    ("year-range-tight", "2021-2030"),
    ("mobile", "0912.345.678"),
    ("mobile-spaces", "Liên hệ 0912 345 678"),
    ("landline", "ĐT: (024) 3822.1234"),
    ("hotline", "Hotline: 1900-1234"),
    ("ratio", "tỷ lệ 1:500"),
    ("bad-day", "32/01/2020"),
    ("bad-leap", "29/02/2023"),
    ("bad-month", "15/13/2023"),
    ("bad-clock", "25:70"),
    ("month-first-us", "12/31/2023"),
    ("duration", "trong 3 tháng 5 năm qua"),
    ("before-event", "5 ngày trước khi khai mạc"),
    ("today-in-prose", "Hôm nay, Bộ Tài nguyên và Môi trường tổ chức hội nghị"),
    ("empty", ""),
    ("blank", "   "),
    ("words", "Bộ Tài nguyên và Môi trường"),
]


@pytest.mark.parametrize("text", [row[1] for row in NOT_DATES], ids=[row[0] for row in NOT_DATES])
def test_not_dates(text: str) -> None:
    assert iso(text) is None


def test_value_is_aware_in_vietnam() -> None:
    found = parse_date("2023-12-28T03:58:00Z", now=NOW)
    assert found == PageDate(datetime(2023, 12, 28, 10, 58, tzinfo=VN_TZ), True)
    assert found.value.tzinfo is VN_TZ
    assert found.value.utcoffset() == timedelta(hours=7)


def test_date_only_value_is_vietnamese_midnight() -> None:
    found = parse_date("28-12-2023", now=NOW)
    assert found is not None and not found.has_time
    assert found.value == datetime(2023, 12, 28, tzinfo=VN_TZ)


def test_naive_now_is_vietnamese_time() -> None:
    found = parse_date("2 giờ trước", now=datetime(2026, 11, 23, 10, 0))
    assert found is not None and found.isoformat() == "2026-11-23T08:00:00+07:00"


def test_utc_now_is_converted() -> None:
    found = parse_date("Hôm nay, 08:15", now=datetime(2026, 11, 22, 20, 0, tzinfo=UTC))
    assert found is not None and found.isoformat() == "2026-11-23T08:15:00+07:00"


def test_first_date_wins() -> None:
    assert iso("Đăng 28/12/2023 10:58, sửa 29/12/2023 08:00") == "2023-12-28T10:58:00+07:00"


@pytest.mark.parametrize(("text", "expected"), [
    ("Thu, 28 Dec 2023 10:58:00 +0700", "2023-12-28T10:58:00+07:00"),
    ("Thu, 28 Dec 2023 03:58:00 GMT", "2023-12-28T10:58:00+07:00"),
    ("2023-12-28T03:58:00Z", "2023-12-28T10:58:00+07:00"),
    ("2023-12-28T10:58:00", "2023-12-28T10:58:00+07:00"),
    ("2023-12-28", "2023-12-28T00:00:00+07:00"),
    ("not a date", None),
    ("", None),
    (None, None),
], ids=["rfc822", "rfc822-gmt", "iso-z", "iso-naive", "iso-date", "garbage", "empty", "none"])
def test_parse_machine_date(text: str | None, expected: str | None) -> None:
    found = parse_machine_date(text)
    assert (found.isoformat() if found else None) == expected


# --- round trips ----------------------------------------------------------------------

Render = Callable[[datetime], str]


def dmy(dt: datetime, sep: str = "/") -> str:
    return f"{dt.day:02d}{sep}{dt.month:02d}{sep}{dt.year}"


def hm(dt: datetime) -> str:
    return f"{dt.hour:02d}:{dt.minute:02d}"


def twelve_hour(dt: datetime) -> str:
    return f"{dt.hour % 12 or 12:02d}:{dt.minute:02d} {'SA' if dt.hour < 12 else 'CH'}"


def weekday(dt: datetime) -> str:
    return WEEKDAYS[dt.weekday()]


TIMED: dict[str, Render] = {
    "time-date": lambda dt: f"{hm(dt)} {dmy(dt)}",
    "time-weekday-dashes": lambda dt: f"{hm(dt)}, {weekday(dt)}, {dmy(dt, '-')}",
    "weekday-date-dash-time": lambda dt: f"{weekday(dt)}, {dmy(dt)} - {hm(dt)}",
    "weekday-lower-gmt": lambda dt: (f"{weekday(dt).lower()}, {dt.day}/{dt.month}/{dt.year}, "
                                     f"{hm(dt)} (GMT+7)"),
    "weekday-number": lambda dt: f"{WEEKDAYS_NUMERIC[dt.weekday()]}, {dmy(dt)} {hm(dt)}",
    "weekday-bare": lambda dt: f"{WEEKDAYS_BARE[dt.weekday()]}, {dmy(dt)} {hm(dt)}",
    "weekday-upper-pipe": lambda dt: f"{weekday(dt).upper()}, {dmy(dt)} | {hm(dt)}",
    "dots-time": lambda dt: f"{dmy(dt, '.')} {hm(dt)}",
    "cap-nhat": lambda dt: f"Cập nhật: {dmy(dt)} {hm(dt)}",
    "cap-nhat-luc": lambda dt: f"Cập nhật lúc {hm(dt)} ngày {dmy(dt)}",
    "ngay-dang": lambda dt: f"Ngày đăng: {dmy(dt)} - {hm(dt)}",
    "byline": lambda dt: f"Ngành TN&MT - Tường Tú - {hm(dt)} {dmy(dt)}",
    "h": lambda dt: f"{dt.hour}h{dt.minute:02d} ngày {dmy(dt)}",
    "g": lambda dt: f"{dt.hour:02d}g{dt.minute:02d} {dmy(dt)}",
    "gio-phut": lambda dt: f"lúc {dt.hour} giờ {dt.minute} phút ngày {dt.day}/{dt.month}/{dt.year}",
    "sa-ch": lambda dt: f"{twelve_hour(dt)}, {dmy(dt)}",
    "dashes-am-pm": lambda dt: (f"{dt.day}-{dt.month}-{dt.year} - {dt.hour % 12 or 12:02d}:"
                                f"{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"),
    "worded-luc": lambda dt: f"Cập nhật ngày {dt.day} tháng {dt.month} năm {dt.year} lúc {hm(dt)}",
    "joomla": lambda dt: f"{weekday(dt).lower()}, {dt.day:02d} Tháng {dt.month} {dt.year} {hm(dt)}",
    "iso-offset": lambda dt: dt.isoformat(timespec="seconds"),
    "iso-z": lambda dt: dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "iso-space": lambda dt: dt.strftime("%Y-%m-%d %H:%M:%S"),
}

DATED: dict[str, Render] = {
    "dots": lambda dt: dmy(dt, "."),
    "slashes": lambda dt: dmy(dt),
    "dashes": lambda dt: dmy(dt, "-"),
    "unpadded": lambda dt: f"{dt.day}/{dt.month}/{dt.year}",
    "iso-date": lambda dt: dt.strftime("%Y-%m-%d"),
    "weekday": lambda dt: f"{weekday(dt)}, {dmy(dt)}",
    "weekday-short": lambda dt: f"{WEEKDAYS_NUMERIC[dt.weekday()]}, {dmy(dt)}",
    "worded": lambda dt: f"ngày {dt.day} tháng {dt.month} năm {dt.year}",
    "worded-place": lambda dt: f"Hà Nội, ngày {dt.day:02d} tháng {dt.month:02d} năm {dt.year}",
    "worded-comma": lambda dt: f"{dt.day} tháng {dt.month}, {dt.year}",
    "month-first-words": lambda dt: f"Tháng {MONTH_WORDS[dt.month - 1]} {dt.day}, {dt.year}",
    "xuat-ban": lambda dt: f"Ngày xuất bản: {dmy(dt)}",
    "chieu": lambda dt: f"Chiều {weekday(dt)}, {dmy(dt)}",
}

VN_DATETIMES = st.datetimes(min_value=datetime(1995, 1, 1),
                            max_value=datetime(2035, 12, 31, 23, 59), timezones=st.just(VN_TZ))


@pytest.mark.parametrize("render", TIMED.values(), ids=TIMED.keys())
@settings(max_examples=25, deadline=None)
@given(dt=VN_DATETIMES)
def test_timed_round_trip(render: Render, dt: datetime) -> None:
    found = parse_date(render(dt), now=NOW)
    assert found is not None and found.has_time
    assert found.value.replace(second=0) == dt.replace(second=0, microsecond=0)


PARTS_OF_DAY = ((1, "sáng"), (12, "trưa"), (13, "chiều"), (18, "tối"))


def vietnamese_twelve_hour(dt: datetime) -> str:
    """Return "hh:mm sáng/trưa/chiều/tối" (or "12:mm đêm" after midnight), as Zing printed."""
    if dt.hour == 0:
        return f"12:{dt.minute:02d} đêm"
    word = [name for start, name in PARTS_OF_DAY if dt.hour >= start][-1]
    return f"{dt.hour % 12 or 12:02d}:{dt.minute:02d} {word}"


# Two-digit years: this century's, except past next year (then the last century's).
SHORT_YEAR_DATETIMES = st.datetimes(min_value=datetime(1995, 1, 1),
                                    max_value=datetime(2027, 12, 31, 23, 59),
                                    timezones=st.just(VN_TZ))
SHORT_YEAR: dict[str, Render] = {
    "zing-toi": lambda dt: (f"Cập nhật {weekday(dt).lower()}, ngày {dt.day:02d}/{dt.month:02d}/"
                            f"{dt.year % 100:02d} {vietnamese_twelve_hour(dt)}"),
    "short-year-24h": lambda dt: f"{dt.day}/{dt.month}/{dt.year % 100:02d} {hm(dt)}",
    "short-year-dots": lambda dt: f"{hm(dt)} {dt.day:02d}.{dt.month:02d}.{dt.year % 100:02d}",
}


@pytest.mark.parametrize("render", SHORT_YEAR.values(), ids=SHORT_YEAR.keys())
@settings(max_examples=25, deadline=None)
@given(dt=SHORT_YEAR_DATETIMES)
def test_two_digit_year_and_twelve_hour_round_trip(render: Render, dt: datetime) -> None:
    found = parse_date(render(dt), now=NOW)
    assert found is not None and found.has_time
    assert found.value == dt.replace(second=0, microsecond=0)


@settings(max_examples=50, deadline=None)
@given(dt=VN_DATETIMES)
def test_month_first_round_trip_when_the_page_says_so(dt: datetime) -> None:
    """vBulletin's "Published on 03-08-2011 01:00 AM" is 8 March on a month-first page."""
    clock = f"{dt.hour % 12 or 12:02d}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"
    text = f"Published on {dt.month:02d}-{dt.day:02d}-{dt.year} {clock}"
    found = parse_date(text, now=NOW, month_first=True)
    assert found is not None and found.value == dt.replace(second=0, microsecond=0)


@pytest.mark.parametrize(("text", "expected"), [
    ("Published on 03-08-2011 01:00 AM · 12-27-2012 · 12-24-2012", True),
    ("Thứ Hai, 24/12/2012 · 03/08/2011", False),
    ("03-08-2011 and 05-06-2012 only", False),  # nothing tells: day-first stays
    ("12-27-2012 and 27-12-2012", False),  # contradictory: day-first stays
])
def test_month_first_only_on_the_pages_own_signal(text: str, expected: bool) -> None:
    assert writes_month_first(text) is expected


def test_two_digit_years_need_a_cue_or_a_time() -> None:
    assert iso("10/12/19 huyện") is None
    assert iso("ngày 24/12/12") == "2012-12-24"


@pytest.mark.parametrize("render", DATED.values(), ids=DATED.keys())
@settings(max_examples=25, deadline=None)
@given(dt=VN_DATETIMES)
def test_dated_round_trip(render: Render, dt: datetime) -> None:
    found = parse_date(render(dt), now=NOW)
    assert found is not None and not found.has_time
    assert found.value == dt.replace(hour=0, minute=0, second=0, microsecond=0)


YEARLESS_RENDERS: dict[str, Render] = {
    "bare": lambda dt: f"{dt.day}/{dt.month}",
    "padded": lambda dt: f"{dt.day:02d}/{dt.month:02d}",
    "chieu": lambda dt: f"Chiều {dt.day}/{dt.month}",
    "ngay-worded": lambda dt: f"ngày {dt.day} tháng {dt.month}",
    "time-pipe": lambda dt: f"{hm(dt)} | {dt.day}/{dt.month}",
    "date-time": lambda dt: f"{dt.day:02d}/{dt.month:02d} {hm(dt)}",
}


@pytest.mark.parametrize("render", YEARLESS_RENDERS.values(), ids=YEARLESS_RENDERS.keys())
@settings(max_examples=40, deadline=None)
@given(dt=VN_DATETIMES, now=VN_DATETIMES)
def test_yearless_never_after_tomorrow(render: Render, dt: datetime, now: datetime) -> None:
    found = parse_date(render(dt), now=now)
    assert found is not None
    assert (found.value.month, found.value.day) == (dt.month, dt.day)
    assert found.value <= now + timedelta(days=1)
    if (dt.month, dt.day) != (2, 29):  # 29/2 may have to go back to the last leap year
        assert found.value > now + timedelta(days=1) - timedelta(days=366)


# --- fuzz -----------------------------------------------------------------------------

# Date-like fragments glued at random, to reach the regexes' corner cases.
DATEISH = st.lists(
    st.sampled_from([
        *"0123456789/:-.,|() hgTZ+",
        " giờ ", " phút ", " trước", "ngày ", " tháng ", " năm ", "Thứ ", "Năm", "CN", "SA", "CH",
        "Chiều ", "hôm qua ", "vừa xong", "GMT+", "Mười Hai ", "9999", "2023", "đ", "Đ",
    ]),
    max_size=30,
).map("".join)
ANY_NOW = st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31),
                       timezones=st.sampled_from([VN_TZ, UTC]))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), now=ANY_NOW, hint=st.none() | st.integers())
def test_fuzz_arbitrary_text_never_raises(text: str, now: datetime, hint: int | None) -> None:
    found = parse_date(text, now=now, year_hint=hint)
    assert found is None or found.value.tzinfo is VN_TZ


@settings(max_examples=400, deadline=None)
@given(text=DATEISH, now=ANY_NOW, hint=st.none() | st.integers(1800, 2200))
def test_fuzz_dateish_text_never_raises(text: str, now: datetime, hint: int | None) -> None:
    found = parse_date(text, now=now, year_hint=hint)
    if found is not None:
        assert found.value.tzinfo is VN_TZ
        assert found.isoformat()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80) | DATEISH)
def test_fuzz_machine_dates_never_raise(text: str) -> None:
    found = parse_machine_date(text)
    assert found is None or found.tzinfo is VN_TZ


def test_a_yearless_new_years_day_seen_on_new_years_eve_is_tomorrow() -> None:
    eve = datetime(2000, 12, 31, 0, 0, tzinfo=VN_TZ)
    found = parse_date("01/01", now=eve)
    assert found is not None and found.value.date().isoformat() == "2001-01-01"
