"""The article-extraction-benchmark metric (crawler/textmetrics.py) on tiny hand-made texts."""

from __future__ import annotations

import pytest

from crawler.textmetrics import PageScore, aggregate, score_page, shingles, tokens


def test_tokens_are_word_runs_with_case_kept() -> None:
    assert tokens("Hello, world! It's 2019_v2.") == ["Hello", "world", "It", "s", "2019_v2"]
    assert tokens(None) == []


def test_shingles_are_a_multiset_of_four_word_windows() -> None:
    counted = shingles(tokens("a b c d a b c d"))
    assert counted[("a", "b", "c", "d")] == 2
    assert counted[("b", "c", "d", "a")] == 1
    assert sum(counted.values()) == 5


def test_one_to_three_words_make_one_short_shingle_and_none_make_none() -> None:
    assert shingles(["a", "b"]) == {("a", "b"): 1}
    assert shingles([]) == {}


def test_counts_take_repeats_into_account() -> None:
    score = score_page("a b c d a b c d", "a b c d")
    assert (score.tp, score.fp, score.fn) == (1, 0, 4)
    assert score.precision == 1.0 and score.recall == pytest.approx(0.2)


def test_extra_text_costs_precision_only() -> None:
    score = score_page("one two three four five", "one two three four five six")
    assert (score.tp, score.fp, score.fn) == (2, 1, 0)
    assert score.precision == pytest.approx(2 / 3) and score.recall == 1.0


def test_punctuation_and_spacing_do_not_matter_but_case_does() -> None:
    assert score_page("One, two; three\nfour.", "One two three four").exact
    assert not score_page("One two three four", "one two three four").exact


def test_empty_prediction_counts_for_recall_only() -> None:
    score = score_page("one two three four", "")
    assert score.precision is None and score.recall == 0.0


def test_both_empty_count_for_neither() -> None:
    score = score_page("", "")
    assert (score.tp, score.fp, score.fn) == (0, 0, 0)
    assert score.precision is None and score.recall is None and score.exact


def test_nothing_extra_nor_missing_is_perfect() -> None:
    score = score_page("a b", "a b")
    assert score.precision == score.recall == score.f1 == 1.0


def test_f1_comes_from_the_macro_means_not_from_page_f1s() -> None:
    pages = [PageScore(tp=1, fp=0, fn=0, exact=True),    # P 1, R 1
             PageScore(tp=1, fp=3, fn=0, exact=False),   # P .25, R 1
             PageScore(tp=0, fp=0, fn=4, exact=False)]   # empty prediction: R 0 only
    total = aggregate(pages)
    assert total.precision == pytest.approx((1 + 0.25) / 2)
    assert total.recall == pytest.approx(2 / 3)
    p, r = total.precision, total.recall
    assert total.f1 == pytest.approx(2 * p * r / (p + r))
    assert total.f1 != pytest.approx(sum(page.f1 for page in pages) / 3)
    assert total.accuracy == pytest.approx(1 / 3)
