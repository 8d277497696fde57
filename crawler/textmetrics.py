"""Body-text agreement by word shingles: the metric of the article-extraction benchmark.

Tokens are Python `\\w+` matches (case kept); shingles are contiguous 4-token runs counted
as a multiset; a text of 1 to 3 tokens gives one shorter shingle. Per document, precision
and recall compare the prediction's shingles with the truth's. Shared by the gold-set
tests and the bench scripts, so every figure means the same thing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

SHINGLE_WORDS = 4
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class ShingleScore:
    """Precision and recall of one prediction against its truth (None when undefined)."""

    precision: float | None
    recall: float | None

    @property
    def f1(self) -> float:
        """Return F1 of this one document (0 when either side is undefined or zero)."""
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


def shingles(text: str | None, size: int = SHINGLE_WORDS) -> Counter[tuple[str, ...]]:
    """Return the multiset of `size`-token shingles of `text`."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def shingle_score(truth: str | None, prediction: str | None) -> ShingleScore:
    """Return the shingle precision and recall of `prediction` against `truth`."""
    expected, got = shingles(truth), shingles(prediction)
    true_pos = sum((expected & got).values())
    false_pos = sum((got - expected).values())
    false_neg = sum((expected - got).values())
    if false_pos == 0 and false_neg == 0:
        return ShingleScore(1.0, 1.0)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else None
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else None
    return ShingleScore(precision, recall)
