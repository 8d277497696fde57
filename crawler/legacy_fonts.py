"""Pre-Unicode Vietnamese font encodings: TCVN3 (ABC) and VNI, read back as Unicode.

Old portals wrote Vietnamese in Latin-1 bytes and let a font (".VnTime", "VNI-Times") draw
them as Vietnamese letters. The page's charset is then windows-1252 (or our windows-1258
fallback), and only the font says what the letters are. No well-kept PyPI library converts
these (searched: none maintained), so the two standard tables are here as data.

TCVN3 (TCVN 5712:1993, ABC) gives each lower-case letter one byte; upper case has only
Ă Â Ê Ô Ơ Ư Đ: the "H" fonts (".VnTimeH") draw the lower-case bytes as capitals. VNI gives
a base letter followed by one or two mark bytes (ơ, ư, đ and the i letters are single bytes).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Tone marks in the order both tables list them: grave, hook, tilde, acute, dot below.
TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
VOWELS = "aăâeêioôơuưy"

# TCVN3: per vowel, its plain byte (None: the ASCII letter) and its five toned bytes.
TCVN3_VOWELS: dict[str, tuple[int | None, tuple[int, int, int, int, int]]] = {
    "a": (None, (0xB5, 0xB6, 0xB7, 0xB8, 0xB9)),
    "ă": (0xA8, (0xBB, 0xBC, 0xBD, 0xBE, 0xC6)),
    "â": (0xA9, (0xC7, 0xC8, 0xC9, 0xCA, 0xCB)),
    "e": (None, (0xCC, 0xCE, 0xCF, 0xD0, 0xD1)),
    "ê": (0xAA, (0xD2, 0xD3, 0xD4, 0xD5, 0xD6)),
    "i": (None, (0xD7, 0xD8, 0xDC, 0xDD, 0xDE)),
    "o": (None, (0xDF, 0xE1, 0xE2, 0xE3, 0xE4)),
    "ô": (0xAB, (0xE5, 0xE6, 0xE7, 0xE8, 0xE9)),
    "ơ": (0xAC, (0xEA, 0xEB, 0xEC, 0xED, 0xEE)),
    "u": (None, (0xEF, 0xF1, 0xF2, 0xF3, 0xF4)),
    "ư": (0xAD, (0xF5, 0xF6, 0xF7, 0xF8, 0xF9)),
    "y": (None, (0xFA, 0xFB, 0xFC, 0xFD, 0xFE)),
}
TCVN3_OTHERS = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6,
                "Đ": 0xA7}

# VNI: the mark bytes after a base letter, lower-case (upper-case letters take the
# upper-case twin of each byte). Tones alone; circumflex with each tone; breve with each.
VNI_TONES = ("ø", "û", "õ", "ù", "ï")
VNI_CIRCUMFLEX = ("â", ("à", "å", "ã", "á", "ä"))
VNI_BREVE = ("ê", ("è", "ú", "ü", "é", "ë"))
# Letters VNI writes as one byte: ơ, ư, đ, the toned i's and ỵ.
VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "í": "í", "ị": "ò",
              "ỵ": "î"}
# The VNI base of each vowel, and its breve/circumflex series if it has one.
VNI_BASES: dict[str, tuple[str, tuple[str, tuple[str, ...]] | None]] = {
    "a": ("a", None), "ă": ("a", VNI_BREVE), "â": ("a", VNI_CIRCUMFLEX),
    "e": ("e", None), "ê": ("e", VNI_CIRCUMFLEX), "i": ("i", None), "o": ("o", None),
    "ô": ("o", VNI_CIRCUMFLEX), "ơ": ("ô", None), "u": ("u", None), "ư": ("ö", None),
    "y": ("y", None),
}

# A legacy font named FIRST in a font-family list or a <font face>: the page is drawn in it.
# (".VnTime" after a Unicode font is only a fallback and says nothing.)
LEGACY_FONT = re.compile(
    r"""(?:font-family\s*:|\bface\s*=)\s*(?:&quot;|&\#39;|["'])?\s*"""
    r"""(?P<font>\.vn[\w-]*|vni[-\s][\w-]+)""", re.IGNORECASE)

# Unicode's toned Vietnamese letters (ạ…ỹ): no legacy page holds one, whichever charset read
# it, so a page that does is Unicode even where it names a legacy font (a pasted snippet).
# What every LEGACY_FONT match holds, in lower case: found in a fraction of LEGACY_FONT's
# time (the font names' literals anchor it), so pages without it skip the slower pattern.
LEGACY_FONT_HINT = re.compile(r"""[:=]\s*(?:&quot;|&\#39;|["'])?\s*(?:\.vn|vni[-\s])""")
UNICODE_TONED = re.compile("[\u1ea0-\u1ef9]")


def toned(vowel: str, tone: int) -> str:
    """Return `vowel` carrying tone number `tone` (0..4, the order of TONES), composed."""
    return unicodedata.normalize("NFC", vowel + TONES[tone])


@cache
def tcvn3_table() -> dict[str, str]:
    """Return Unicode letter -> its TCVN3 character (the byte read as Latin-1)."""
    table = {letter: chr(byte) for letter, byte in TCVN3_OTHERS.items()}
    for vowel, (plain, tones) in TCVN3_VOWELS.items():
        if plain is not None:
            table[vowel] = chr(plain)
        for tone, byte in enumerate(tones):
            table[toned(vowel, tone)] = chr(byte)
    return table


@cache
def vni_table() -> dict[str, str]:
    """Return Unicode letter -> its VNI sequence (bytes read as Latin-1), both cases."""
    lower: dict[str, str] = dict(VNI_SINGLE)
    for vowel, (base, series) in VNI_BASES.items():
        if series is not None:
            lower[vowel] = base + series[0]
        for tone in range(5):
            letter = toned(vowel, tone)
            if letter not in lower:
                lower[letter] = base + (series[1][tone] if series else VNI_TONES[tone])
    return lower | {letter.upper(): code.upper() for letter, code in lower.items()}


def encode(text: str, table: dict[str, str]) -> str:
    """Return `text` written in a legacy table (the inverse of decoding; for tests and
    benches). Raises ValueError naming a letter the table cannot write."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in table:
            out.append(table[char])
        elif char.isascii():
            out.append(char)
        else:
            raise ValueError(f"{char!r} has no code in this legacy font table")
    return "".join(out)


def tcvn3_encode(text: str, *, capitals: bool = False) -> str:
    """Return `text` in TCVN3; with `capitals`, as an "H" font writes upper-case text."""
    return encode(text.lower() if capitals else text, tcvn3_table())


def vni_encode(text: str) -> str:
    """Return `text` in VNI."""
    return encode(text, vni_table())


@cache
def latin1_of() -> dict[str, str]:
    """Return character -> the Latin-1 character of its byte, for text decoded as
    windows-1258 (our fallback). Both tables use only bytes 0xA0-0xFF, where windows-1252
    is Latin-1 and windows-1258 differs in a few letters and combining marks."""
    undo = {}
    for byte in range(0xA0, 0x100):
        char = bytes([byte]).decode("cp1258", errors="ignore")
        if char and char != chr(byte):
            undo[char] = chr(byte)
    return undo


@cache
def decoder(name: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """Return a pattern matching the codes of table `name` (longest first) and code ->
    letter."""
    table = tcvn3_table() if name == "tcvn3" else vni_table()
    letters = {code: letter for letter, code in table.items()}
    codes = sorted(letters, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, codes))), letters


def decode(text: str, name: str, *, capitals: bool = False) -> str:
    """Return Unicode NFC of `text` written in legacy table `name` ("tcvn3" or "vni")."""
    undo = latin1_of()
    latin1 = "".join(undo.get(char, char) for char in text)
    pattern, letters = decoder(name)
    unicode = pattern.sub(lambda match: letters[match.group()], latin1)
    return unicodedata.normalize("NFC", unicode.upper() if capitals else unicode)


def legacy_encoding(html: str) -> str | None:
    """Return "tcvn3" or "vni" when the page is drawn in such a font, else None."""
    # A Unicode Vietnamese page shows a toned letter within its first lines (the title):
    # asked first, that answers most pages without a scan of the whole page.
    if UNICODE_TONED.search(html) or not LEGACY_FONT_HINT.search(html.lower()):
        return None
    match = LEGACY_FONT.search(html)
    if match is None:
        return None
    return "vni" if match["font"].lower().startswith("vni") else "tcvn3"


def to_unicode(html: str) -> str:
    """Return `html` with its text read back from the legacy font it declares, or
    unchanged when it declares none."""
    name = legacy_encoding(html)
    return decode(html, name) if name else html
