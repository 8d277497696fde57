"""Read publication dates as Vietnamese news sites and government portals print them.

The text is folded (lower case, no diacritics) so that "Thứ Năm", "THỨ NĂM" and
"Thu nam" look alike; regexes then pick out the date, time and offset parts, and
python-dateutil builds the datetime from a canonical ISO string, which rejects
impossible dates.  Day-first, unless the caller says the page writes month-first (forum
software such as vBulletin prints "03-08-2011" for 8 March): see `writes_month_first`.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import cache
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse
from dateutil.relativedelta import relativedelta

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Years outside this window are typos or not years at all (and keep arithmetic safe).
MIN_YEAR = 1900
MAX_YEAR = 2100
# A bare "20/8" with no cue word or time is trusted only as a whole short element.
SHORT_TEXT = 20
# A date line is short: "Cập nhật lúc: 10:30, Thứ Tư, 12/06/2024 (GMT+7)".
DATE_LINE_CHARS = 60
# A time further than this from a date (in characters) does not belong to it.
MAX_GAP = 40
# How many years back a year-less date may go to find a valid, non-future date (29/2).
YEARLESS_LOOKBACK = 5

_FOLD_DASHES_RE = re.compile(r"[\u2010-\u2015\u2212]")

_WEEKDAY = r"(?:thu\s*(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s*nhat|cn|t[2-7])"
_PERIOD = r"(?:sang|trua|chieu|toi|dem)"
_OFFSET = r"(?:gmt|utc)\s*[+-]?\s*\d{0,2}(?::?\d{2})?"
# What may stand between a date and its time: punctuation, weekday, "lúc", "ngày"...
_FILLER_TOKEN = rf"(?:[\s,;|/.:()\-]|luc|vao|ngay|{_WEEKDAY}|{_PERIOD}|{_OFFSET})"
_FILLER_RE = re.compile(rf"{_FILLER_TOKEN}*", re.ASCII)
# What may surround a date in a short element that is nothing but a date.
_LABEL_RE = re.compile(rf"(?:{_FILLER_TOKEN}|dang|cap\s*nhat|xuat\s*ban)*", re.ASCII)
# Words right before a bare "20/8" that show it is a date, not a count like "10/12 huyện".
_CUE_BEFORE_RE = re.compile(
    rf"\b(?:ngay|luc|vao|cap\s*nhat|xuat\s*ban|{_WEEKDAY}|{_PERIOD})[\s,:;|.()\-]*$", re.ASCII
)

_MONTH_WORDS = {
    "mot": 1, "gieng": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6,
    "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12,
}
# Longest first so that "mười một" is not read as "mười".
_MONTH_WORD = r"(?:muoi\s+mot|muoi\s+hai|muoi|mot|gieng|hai|ba|tu|bon|nam|sau|bay|tam|chin|chap)"
_MONTH = rf"(?:\d{{1,2}}(?!\d)|{_MONTH_WORD}\b)"

_ISO_RE = re.compile(
    r"(?<![\d/.])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"
    r"(?:[t ](?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>z|[+-]\d{2}:?\d{2})?(?![\d:]))?",
    re.ASCII,
)
_DMY_RE = re.compile(
    r"(?<![\d/.])(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})(?![\d/])", re.ASCII
)
# "24/12/12 11:05 tối": a two-digit year, trusted only with a cue word or a time.
_DMY_SHORT_RE = re.compile(
    r"(?<![\d/.\-])(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{2})(?![\d/.\-])",
    re.ASCII,
)
# Years written with two digits are this century's unless that puts them past next year.
TWO_DIGIT_YEAR_PIVOT = 1
# A day in a URL path: "/2024/03/15/", "/2024-03-15-", "/20240315".
_URL_DATE_RE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})(?P<sep>[/-]?)(?P<m>[01]\d)(?P=sep)(?P<d>[0-3]\d)(?=[/\-_.]|$)"
)
# Year-less "20/8": not "24/24h", "01/NQ-CP", "12/2019/NĐ-CP" or "1/2.5".
_DM_RE = re.compile(r"(?<![\d/.\-:])(?P<d>\d{1,2})/(?P<m>\d{1,2})(?![\d/%a-z]|[.,]\d)", re.ASCII)
_WORDED_RE = re.compile(
    rf"(?:\b(?P<ngay>ngay)\s+)?(?<![\d/.])(?P<d>\d{{1,2}})\s+thang\s+(?P<m>{_MONTH})"
    r"(?:(?P<sep>\s*,\s*|\s+nam\s+|\s+)(?P<y>\d{4})(?!\d))?",
    re.ASCII,
)
_MONTH_FIRST_RE = re.compile(
    rf"\bthang\s+(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})\s*,\s*(?P<y>\d{{4}})(?!\d)", re.ASCII
)

# "10:58", "10:58:30", "10:58 SA" (sáng = AM), "10:58 CH" (chiều = PM); not "9001:2008".
_COLON_CLOCK_RE = re.compile(
    r"(?<![\d:./+])(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\s*(?P<ap>sa|ch|am|pm)\b)?(?![\d:])",
    re.ASCII,
)
# "9h30", "09g30", "9h", "14 giờ 30 phút"; not "2 giờ trước" (relative) nor "5ha".
_WORD_CLOCK_RE = re.compile(
    r"(?<![\d:.,/+])(?P<h>\d{1,2})\s*(?:gio|h|g)(?:\s*(?P<min>\d{1,2})(?:\s*(?:phut|p|'))?)?"
    r"(?![\da-z:])(?!\s*[a-z]*\s*truoc)",
    re.ASCII,
)
_PERIOD_AFTER_RE = re.compile(rf"\s*(?P<p>{_PERIOD})\b", re.ASCII)
_PERIOD_BEFORE_RE = re.compile(rf"\b(?P<p>{_PERIOD})\s*$", re.ASCII)
_OFFSET_TAIL_RE = re.compile(
    r"[\s,|]*\(?\s*(?:gmt|utc)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?(?!\d)", re.ASCII
)

_UNIT = r"(?:giay|phut|p|tieng|gio|h|ngay|tuan|thang|nam)"
# "2 giờ trước", "1 tiếng 30 phút trước"; not "5 ngày trước khi ..." (before an event).
_AGO_RE = re.compile(
    rf"(?<![\d.,])(?P<n>\d{{1,4}})\s*(?P<unit>{_UNIT})"
    rf"(?:\s*(?P<n2>\d{{1,4}})\s*(?P<unit2>{_UNIT}))?\s*truoc\b(?!\s*(?:khi|do)\b)",
    re.ASCII,
)
_JUST_NOW_RE = re.compile(
    r"\bvua\s+(?:xong|dang|cap\s*nhat)\b(?!\s*(?:luc|ngay|vao)?\s*\d)", re.ASCII
)
_DAY_WORD_RE = re.compile(r"\bhom\s+(?P<w>nay|qua|kia)\b", re.ASCII)

_DAYS_BACK = {"nay": 0, "qua": 1, "kia": 2}
_UNIT_DELTAS = {
    "giay": relativedelta(seconds=1), "phut": relativedelta(minutes=1),
    "p": relativedelta(minutes=1), "tieng": relativedelta(hours=1),
    "gio": relativedelta(hours=1), "h": relativedelta(hours=1),
    "ngay": relativedelta(days=1), "tuan": relativedelta(weeks=1),
    "thang": relativedelta(months=1), "nam": relativedelta(years=1),
}
_CLOCK_UNITS = {"giay", "phut", "p", "tieng", "gio", "h"}


@dataclass(frozen=True)
class PageDate:
    """A date read from a page, with whether the page also showed the time of day."""

    value: datetime
    has_time: bool

    def isoformat(self) -> str:
        """Return ISO 8601 date and time with offset when has_time, else the date alone."""
        if self.has_time:
            return self.value.isoformat(timespec="seconds")
        return self.value.date().isoformat()


@dataclass(frozen=True)
class _Clock:
    start: int
    end: int
    hour: int
    minute: int
    second: int = 0


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    day: int
    month: int
    year: int | None
    needs_cue: bool = False
    clock: _Clock | None = None
    offset: tzinfo | None = None
    numeric: bool = False  # "d/m/y" digits, which a month-first page writes "m/d/y"
    short_year: bool = False


@dataclass(frozen=True)
class _Context:
    folded: str
    clocks: list[_Clock]
    now: datetime
    year_hint: Callable[[], int | None]  # asked only for a date without a year
    # Precomputed so that long articles with many numbers stay linear-ish.
    clock_starts: list[int] = field(default_factory=list)
    clock_ends: list[int] = field(default_factory=list)
    is_short: bool = False
    month_first: bool = False


def parse_date(text: str, *, now: datetime,
               year_hint: int | Callable[[], int | None] | None = None,
               month_first: bool = False) -> PageDate | None:
    """Return the first date expressed in `text` (which may contain other words), or None.
    `year_hint` (a year, or a function that finds it: called only for a date without a
    year) is the year of a yearless date. `month_first` reads numeric "03-08-2011" as
    8 March (only when the page says so)."""
    if not isinstance(text, str) or not text.strip():
        return None
    hint = year_hint if callable(year_hint) else lambda: year_hint  # type: ignore[return-value]
    ctx = _context(_fold(text), _to_vn(now), hint, month_first)
    found = [hit for hit in (_first_absolute(ctx), _first_relative(ctx)) if hit]
    if not found:
        return None
    return min(found, key=lambda hit: hit[0])[1]


def is_date_line(text: str) -> bool:
    """True when `text` is a date line and nothing more ("Thứ Sáu, 14/02/2025, 16:40",
    "Cập nhật: 09:12 - 10/08/2024"): page furniture when it turns up in a body."""
    folded = _fold(text)
    dates = len(_DMY_RE.findall(folded)) + len(_ISO_RE.findall(folded))
    if len(folded) > DATE_LINE_CHARS or dates != 1:  # "01/01/2024 | 31/12/2024" is data
        return False
    rest = folded
    for regex in (_ISO_RE, _DMY_RE, _COLON_CLOCK_RE, _WORD_CLOCK_RE):
        rest = regex.sub(" ", rest)
    return bool(_LABEL_RE.fullmatch(rest))


def date_in_url(url: str) -> PageDate | None:
    """Return the day an article URL carries ("/2024/03/15/", "-20240315-"), or None.
    A month alone ("/2012/12/") says too little."""
    match = _URL_DATE_RE.search(url)
    if not match:
        return None
    value = _build(int(match["y"]), int(match["m"]), int(match["d"]), None, None)
    return PageDate(value, False) if value else None


def _context(folded: str, now: datetime, year_hint: Callable[[], int | None],
             month_first: bool = False) -> _Context:
    """Return the parsing context of a folded text: its times of day, now and the hint."""
    clocks = _clocks(folded)
    return _Context(folded, clocks, now, year_hint, [clock.start for clock in clocks],
                    [clock.end for clock in clocks], len(folded.strip()) <= SHORT_TEXT,
                    month_first)


def writes_month_first(text: str) -> bool:
    """True when the numeric dates in a page's text can only be month-first: some read
    "12-27-2012" (no 27th month) and none reads "27-12-2012". Vietnamese sites never do
    this; forum software set to US English does, on every date of the page."""
    month_first = day_first = False
    # Only the dashes need folding here: the pattern reads ASCII digits and separators, which
    # case and diacritics never touch (a whole page's text: NFD and translate cost more
    # than every other date rule of the page together).
    for match in _DMY_RE.finditer(_FOLD_DASHES_RE.sub("-", text)):
        first, second = int(match["d"]), int(match["m"])
        month_first |= first <= 12 < second <= 31
        day_first |= second <= 12 < first <= 31
    return month_first and not day_first


def parse_machine_date(text: str | None) -> datetime | None:
    """Return the aware datetime (in VN_TZ) of an ISO 8601 or RFC 822 stamp, or None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = isoparse(text)
    except (ValueError, OverflowError):
        value = _parse_rfc822(text)
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    # Feeds without an offset are local time for Vietnamese sites.
    return value.replace(tzinfo=value.tzinfo or VN_TZ).astimezone(VN_TZ)


def _parse_rfc822(text: str) -> datetime | None:
    """Return the datetime of an RSS-style stamp ("Thu, 28 Dec 2023 10:58:00 +0700"), or None."""
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _fold(text: str) -> str:
    """Return text lower-cased, without diacritics, with one kind of dash and space."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = decomposed.translate(_combining_marks())
    return _fold_spaces(_FOLD_DASHES_RE.sub("-", bare))


def _fold_spaces(text: str) -> str:
    r"""Return text with each run of white space made one space (as re.sub(r"\s+", " ")
    does, in C: a whole page's text is folded at once)."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    return f"{' ' if text[0].isspace() else ''}{inner}{' ' if text[-1].isspace() else ''}"


@cache
def _combining_marks() -> dict[int, None]:
    """Return a str.translate table deleting every combining character (a whole page's text
    is folded at once: translate does it in C)."""
    return {code: None for code in range(sys.maxunicode + 1)
            if unicodedata.combining(chr(code))}


def _to_vn(now: datetime) -> datetime:
    """Return now in VN_TZ; a naive now is taken to be Vietnamese local time."""
    return now.replace(tzinfo=now.tzinfo or VN_TZ).astimezone(VN_TZ)


def _valid_year(year: int | None) -> int | None:
    """Return year when it is plausible, else None (a nonsense hint is ignored)."""
    return year if isinstance(year, int) and MIN_YEAR <= year <= MAX_YEAR else None


# --- times of day -------------------------------------------------------------------


def _clocks(folded: str) -> list[_Clock]:
    """Return every valid time of day in the folded text, in order of position."""
    found = []
    for regex in (_COLON_CLOCK_RE, _WORD_CLOCK_RE):
        for match in regex.finditer(folded):
            clock = _clock_from_match(match, folded)
            if clock is not None:
                found.append(clock)
    return sorted(found, key=lambda clock: clock.start)


def _clock_from_match(match: re.Match[str], folded: str) -> _Clock | None:
    """Return the time a clock match shows, with AM/PM words applied, or None if impossible."""
    hour = int(match["h"])
    minute = int(match["min"] or 0)
    second = int(match.groupdict().get("s") or 0)
    period = match.groupdict().get("ap") or _period_near(folded, match.start(), match.end())
    hour = _apply_period(hour, period)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return _Clock(match.start(), match.end(), hour, minute, second)


def _period_near(folded: str, start: int, end: int) -> str | None:
    """Return the part-of-day word ("chiều", "tối"...) right after or before a time, if any."""
    after = _PERIOD_AFTER_RE.match(folded, end)
    if after:
        return after["p"]
    before = _PERIOD_BEFORE_RE.search(folded[max(0, start - 8):start])
    return before["p"] if before else None


def _apply_period(hour: int, period: str | None) -> int:
    """Return the 24-hour hour for a 12-hour hour followed by SA/CH, sáng/chiều/tối..."""
    if period in ("ch", "pm", "chieu", "toi") and hour < 12:
        return hour + 12
    if period in ("sa", "am") and hour == 12:
        return 0
    if period == "trua" and hour < 6:  # "1 giờ trưa" is 13:00
        return hour + 12
    if period == "dem" and 6 <= hour < 12:  # "11 giờ đêm" is 23:00, "2 giờ đêm" is 02:00
        return hour + 12
    if period == "dem" and hour == 12:  # "12 giờ đêm" is midnight
        return 0
    return hour


def _attached_clock(ctx: _Context, start: int, end: int) -> _Clock | None:
    """Return the time printed next to the span start:end (only filler between), if any."""
    options = []
    after = bisect_left(ctx.clock_starts, end)
    if after < len(ctx.clocks):
        options.append((ctx.clocks[after].start - end, 0, ctx.clocks[after]))
    before = bisect_right(ctx.clock_ends, start) - 1
    if before >= 0:
        options.append((start - ctx.clocks[before].end, 1, ctx.clocks[before]))
    # The nearest wins; on a tie "date time" (the usual order) beats "time date".
    for gap_length, _, clock in sorted(options, key=lambda option: option[:2]):
        gap = ctx.folded[end:clock.start] if clock.start >= end else ctx.folded[clock.end:start]
        if gap_length <= MAX_GAP and _FILLER_RE.fullmatch(gap):
            return clock
    return None


def _tail_offset(folded: str, end: int) -> tzinfo | None:
    """Return the UTC offset printed right after position end ("(GMT+7)"), if any."""
    match = _OFFSET_TAIL_RE.match(folded, end)
    if not match or int(match["h"]) > 14:
        return None
    delta = timedelta(hours=int(match["h"]), minutes=int(match["m"] or 0))
    return timezone(-delta if match["sign"] == "-" else delta)


# --- absolute dates -----------------------------------------------------------------


def _candidates(folded: str) -> list[_Candidate]:
    """Return every date-looking span in the folded text, in order of position."""
    found = [
        *_iso_candidates(folded), *_dmy_candidates(folded), *_dmy_short_candidates(folded),
        *_dm_candidates(folded), *_worded_candidates(folded), *_month_first_candidates(folded),
    ]
    return sorted(found, key=lambda cand: (cand.start, -cand.end))


def _iso_candidates(folded: str) -> Iterator[_Candidate]:
    """Yield year-first dates: "2023-12-28", "2023-12-28T10:58:00+07:00", "2023/12/28"."""
    for match in _ISO_RE.finditer(folded):
        clock = None
        if match["h"]:
            clock = _Clock(match.start("h"), match.end(), int(match["h"]),
                           int(match["min"]), int(match["s"] or 0))
            if clock.hour > 23 or clock.minute > 59 or clock.second > 59:
                clock = None
        yield _Candidate(match.start(), match.end(), int(match["d"]), int(match["m"]),
                         int(match["y"]), clock=clock, offset=_iso_offset(match["tz"]))


def _iso_offset(text: str | None) -> tzinfo | None:
    """Return the offset of an ISO suffix ("z", "+07:00", "+0700"), or None."""
    if not text:
        return None
    if text == "z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[-2:])
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _dmy_candidates(folded: str) -> Iterator[_Candidate]:
    """Yield day-first numeric dates: "28/12/2023", "28-12-2023", "28.12.2023"."""
    for match in _DMY_RE.finditer(folded):
        yield _Candidate(match.start(), match.end(), int(match["d"]), int(match["m"]),
                         int(match["y"]), numeric=True)


def _dmy_short_candidates(folded: str) -> Iterator[_Candidate]:
    """Yield day-first dates with a two-digit year ("24/12/12"); they need a cue or a time."""
    for match in _DMY_SHORT_RE.finditer(folded):
        yield _Candidate(match.start(), match.end(), int(match["d"]), int(match["m"]),
                         2000 + int(match["y"]), needs_cue=True, numeric=True,
                         short_year=True)


def _dm_candidates(folded: str) -> Iterator[_Candidate]:
    """Yield year-less "20/8"; they count only with a cue, a time, or standing alone."""
    for match in _DM_RE.finditer(folded):
        yield _Candidate(match.start(), match.end(), int(match["d"]), int(match["m"]),
                         None, needs_cue=True)


def _worded_candidates(folded: str) -> Iterator[_Candidate]:
    """Yield "ngày 28 tháng 12 năm 2023", "28 tháng 12, 2023", "28 tháng Mười Hai, 2023"."""
    for match in _WORDED_RE.finditer(folded):
        month_is_word = not match["m"][0].isdigit()
        comma_year = bool(match["y"]) and "," in match["sep"]
        # "3 tháng 5" and "3 tháng năm 2023" are durations in prose unless "ngày" leads.
        if not match["ngay"] and not (comma_year if month_is_word else match["y"]):
            continue
        yield _Candidate(match.start(), match.end(), int(match["d"]), _month_number(match["m"]),
                         int(match["y"]) if match["y"] else None)


def _month_first_candidates(folded: str) -> Iterator[_Candidate]:
    """Yield WordPress-style "Tháng Mười Hai 28, 2023" and "Tháng 12 28, 2023"."""
    for match in _MONTH_FIRST_RE.finditer(folded):
        yield _Candidate(match.start(), match.end(), int(match["d"]), _month_number(match["m"]),
                         int(match["y"]))


def _month_number(token: str) -> int:
    """Return the month number of "12" or of a Vietnamese month word ("mười hai")."""
    if token.isdigit():
        return int(token)
    return _MONTH_WORDS[" ".join(token.split())]


def _first_absolute(ctx: _Context) -> tuple[int, PageDate] | None:
    """Return the position and value of the first calendar date that resolves, or None."""
    for cand in _candidates(ctx.folded):
        found = _resolve(cand, ctx)
        if found is not None:
            return cand.start, found
    return None


def _resolve(cand: _Candidate, ctx: _Context) -> PageDate | None:
    """Return the PageDate a candidate stands for, or None if it is impossible or uncued."""
    clock = cand.clock or _attached_clock(ctx, cand.start, cand.end)
    if cand.needs_cue and clock is None and not _is_cued(ctx, cand.start, cand.end):
        return None
    tail = max(cand.end, clock.end if clock else 0)
    offset = cand.offset or _tail_offset(ctx.folded, tail)
    day, month = (cand.month, cand.day) if cand.numeric and ctx.month_first else \
        (cand.day, cand.month)
    year = cand.year
    if cand.short_year and year is not None and year > ctx.now.year + TWO_DIGIT_YEAR_PIVOT:
        year -= 100
    if year is not None:
        value = _build(year, month, day, clock, offset)
    else:
        value = _yearless(month, day, clock, offset, ctx)
    return PageDate(value, clock is not None) if value else None


def _is_cued(ctx: _Context, start: int, end: int) -> bool:
    """Return whether a year-less date follows a cue word or is the whole (short) text."""
    if _CUE_BEFORE_RE.search(ctx.folded[max(0, start - 24):start]):
        return True
    return _is_label(ctx, start, end)


def _is_label(ctx: _Context, start: int, end: int) -> bool:
    """Return whether the text is short and holds nothing but the span and label words."""
    if not ctx.is_short:
        return False
    return bool(_LABEL_RE.fullmatch(f"{ctx.folded[:start]} {ctx.folded[end:]}"))


def _yearless(month: int, day: int, clock: _Clock | None, offset: tzinfo | None,
              ctx: _Context) -> datetime | None:
    """Return the date in year_hint, else in the latest year that is not after now + 1 day."""
    year_hint = _valid_year(ctx.year_hint())
    if year_hint is not None:
        return _build(year_hint, month, day, clock, offset)
    limit = ctx.now + timedelta(days=1)
    # From next year: on 31/12, "01/01" is tomorrow.
    for year in range(ctx.now.year + 1, ctx.now.year - YEARLESS_LOOKBACK, -1):
        value = _build(year, month, day, clock, offset)
        if value is not None and value <= limit:
            return value
    return None


def _build(year: int, month: int, day: int, clock: _Clock | None,
           offset: tzinfo | None) -> datetime | None:
    """Return the datetime in VN_TZ via dateutil's strict ISO parser, or None if impossible."""
    if not MIN_YEAR <= year <= MAX_YEAR or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    stamp = f"{year:04d}-{month:02d}-{day:02d}"
    if clock is not None:
        stamp += f"T{clock.hour:02d}:{clock.minute:02d}:{clock.second:02d}"
    try:
        value = isoparse(stamp)
    except (ValueError, OverflowError):  # 29/02/2023, 31/04/2024
        return None
    # Date-only values are midnight in Vietnam whatever offset was printed.
    zone = offset if clock is not None and offset is not None else VN_TZ
    return value.replace(tzinfo=zone).astimezone(VN_TZ)


# --- relative dates -----------------------------------------------------------------


def _first_relative(ctx: _Context) -> tuple[int, PageDate] | None:
    """Return the position and value of the first relative date that resolves, or None."""
    found = [hit for hit in (_first_ago(ctx), _first_just_now(ctx), _first_day_word(ctx)) if hit]
    return min(found, key=lambda hit: hit[0]) if found else None


def _first_ago(ctx: _Context) -> tuple[int, PageDate] | None:
    """Return the first "2 giờ trước" / "5 ngày trước" as now minus that much, or None."""
    for match in _AGO_RE.finditer(ctx.folded):
        units = [(int(match["n"]), match["unit"])]
        if match["n2"]:
            units.append((int(match["n2"]), match["unit2"]))
        try:
            value = ctx.now - sum((n * _UNIT_DELTAS[unit] for n, unit in units), relativedelta())
        except (ValueError, OverflowError):  # "9999 năm trước"
            continue
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            continue
        if all(unit in _CLOCK_UNITS for _, unit in units):
            return match.start(), PageDate(_to_minute(value), True)
        return match.start(), PageDate(_midnight(value.date()), False)
    return None


def _first_just_now(ctx: _Context) -> tuple[int, PageDate] | None:
    """Return "vừa xong" / "vừa đăng" as now, or None."""
    match = _JUST_NOW_RE.search(ctx.folded)
    return (match.start(), PageDate(_to_minute(ctx.now), True)) if match else None


def _first_day_word(ctx: _Context) -> tuple[int, PageDate] | None:
    """Return "hôm nay/qua/kia" with its time; without a time only as a whole short text."""
    for match in _DAY_WORD_RE.finditer(ctx.folded):
        day = ctx.now.date() - timedelta(days=_DAYS_BACK[match["w"]])
        clock = _attached_clock(ctx, match.start(), match.end())
        if clock is not None:
            value = datetime.combine(day, time(clock.hour, clock.minute, clock.second), VN_TZ)
            return match.start(), PageDate(value, True)
        if _is_label(ctx, match.start(), match.end()):
            return match.start(), PageDate(_midnight(day), False)
    return None


def _to_minute(value: datetime) -> datetime:
    """Return value without seconds: relative stamps are only good to the minute."""
    return value.replace(second=0, microsecond=0)


def _midnight(day: date) -> datetime:
    """Return the start of day in VN_TZ."""
    return datetime.combine(day, time(), VN_TZ)
