"""Body-text agreement: the article-extraction-benchmark metric (Zyte/Scrapinghub), as its
SOURCE.md defines it. The one definition, used by bench/extraction.py and the gold-set tests,
so every figure means the same thing.

Texts become `\\w+` tokens, tokens become a multiset of contiguous 4-word shingles; each page
gets a precision and a recall from the shingle counts; precision and recall are averaged over
the pages that qualify, and F1 is taken from those two means. Accuracy counts pages whose
token list equals the truth's exactly.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

TOKEN = re.compile(r"\w+")
SHINGLE_WORDS = 4


@dataclass(frozen=True)
class PageScore:
    """One page's shingle counts and exact-match flag."""

    tp: int
    fp: int
    fn: int
    exact: bool

    @property
    def precision(self) -> float | None:
        """TP/(TP+FP); None (the page does not count) when the prediction has no shingle."""
        return self.share(self.fp)

    @property
    def recall(self) -> float | None:
        """TP/(TP+FN); None (the page does not count) when the truth has no shingle."""
        return self.share(self.fn)

    def share(self, wrong: int) -> float | None:
        """TP/(TP+wrong), 1 when nothing is extra nor missing, None when both are 0."""
        if self.tp + wrong == 0:
            return None
        return 1.0 if self.fp == self.fn == 0 else self.tp / (self.tp + wrong)

    @property
    def f1(self) -> float:
        """This page's F1 (0 where precision or recall is missing); for ranking pages only."""
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Scores:
    """Macro precision and recall, F1 from them, and accuracy over a set of pages."""

    precision: float
    recall: float
    f1: float
    accuracy: float


def tokens(text: str | None) -> list[str]:
    """Return the text's \\w+ words, case kept ('' for None)."""
    return TOKEN.findall(text or "")


def shingles(words: list[str]) -> Counter[tuple[str, ...]]:
    """Return the multiset of 4-word shingles; 1 to 3 words make one short shingle."""
    if not words:
        return Counter()
    if len(words) < SHINGLE_WORDS:
        return Counter([tuple(words)])
    return Counter(tuple(words[i:i + SHINGLE_WORDS])
                   for i in range(len(words) - SHINGLE_WORDS + 1))


def score_page(truth: str | None, prediction: str | None) -> PageScore:
    """Return the shingle TP/FP/FN of `prediction` against `truth`, and exact match."""
    truth_words, predicted_words = tokens(truth), tokens(prediction)
    expected, predicted = shingles(truth_words), shingles(predicted_words)
    tp = fp = fn = 0
    for shingle in expected.keys() | predicted.keys():
        t, p = expected[shingle], predicted[shingle]
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    return PageScore(tp, fp, fn, exact=truth_words == predicted_words)


def aggregate(pages: Iterable[PageScore]) -> Scores:
    """Return macro precision and recall over qualifying pages, F1 from them, and accuracy."""
    pages = list(pages)
    precisions = [p.precision for p in pages if p.precision is not None]
    recalls = [p.recall for p in pages if p.recall is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(p.exact for p in pages) / len(pages) if pages else 0.0
    return Scores(precision, recall, f1, accuracy)
