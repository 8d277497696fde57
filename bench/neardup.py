"""Near-duplicate detection: precision and recall on the labelled set, and lookup cost as the
database grows.

    python bench/neardup.py tests/resources/neardup [--sizes 1000,10000,50000] [--queries 200]

DIR holds articles.jsonl and pairs.jsonl (bench/build_neardup_set.py). Part 1 judges every
labelled pair as the pipeline does (a shared band bucket, then the signature similarity
against TNMT_STORY_THRESHOLD) and sweeps the threshold. Part 2 fills a fresh SQLite file with
synthetic articles (words drawn from the labelled set's text) up to each size and times the
story lookup (index query + signature check) for near-copies of stored articles and for new
ones. Settings come from crawler/settings.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlalchemy import select

from crawler import settings
from crawler.article import Article
from crawler.storage import ArticleRecord, SourceRecord, Store, StoryMember, add_story_members
from crawler.stories import (
    Fingerprint,
    StoryLink,
    best_match,
    fingerprint,
    same_story,
    similarity,
    story_text,
)

console = Console()
SHAPE = {"permutations": settings.TNMT_STORY_PERMUTATIONS,
         "shingle_words": settings.TNMT_STORY_SHINGLE_WORDS,
         "band_rows": settings.TNMT_STORY_BAND_ROWS}
THRESHOLD = settings.TNMT_STORY_THRESHOLD
SWEEP = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def load_set(folder: Path) -> tuple[dict[str, Article], list[dict[str, Any]]]:
    """Return the labelled set's articles (by id) and pairs."""
    articles = {piece["id"]: Article(url=f"https://example.invalid/{piece['id']}",
                                     title=piece["title"], lead=piece["lead"],
                                     paragraphs=tuple(piece["body"]))
                for piece in read_lines(folder / "articles.jsonl")}
    return articles, read_lines(folder / "pairs.jsonl")


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Return the JSON objects of a JSON Lines file."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def fingerprints(articles: dict[str, Article]) -> dict[str, Fingerprint]:
    return {key: fingerprint(story_text(article), **SHAPE) for key, article in articles.items()}


def precision_recall(verdicts: list[tuple[bool, bool]]) -> tuple[float, float]:
    """Return (precision, recall) of (said same, is same) verdicts."""
    hits = sum(1 for said, truth in verdicts if said and truth)
    said = sum(1 for said, _ in verdicts if said)
    truths = sum(1 for _, truth in verdicts if truth)
    return (hits / said if said else 1.0), (hits / truths if truths else 1.0)


def judge(prints: dict[str, Fingerprint], pairs: list[dict[str, Any]],
          threshold: float) -> list[tuple[bool, bool]]:
    """Return (said same, is same) for every labelled pair."""
    return [(same_story(prints[pair["a"]], prints[pair["b"]], threshold), pair["same"])
            for pair in pairs]


def quality_report(folder: Path) -> None:
    articles, pairs = load_set(folder)
    prints = fingerprints(articles)
    verdicts = judge(prints, pairs, THRESHOLD)
    precision, recall = precision_recall(verdicts)
    positives = sum(pair["same"] for pair in pairs)
    console.print(f"Labelled set: {len(pairs)} pairs ({positives} re-published, "
                  f"{len(pairs) - positives} different stories); shingles of "
                  f"{SHAPE['shingle_words']} words, {SHAPE['permutations']} permutations, "
                  f"bands of {SHAPE['band_rows']}, threshold {THRESHOLD}", highlight=False)
    console.print(f"precision {precision:.3f}  recall {recall:.3f}", highlight=False)
    by_kind = Table(title="By kind of pair")
    for column in ("kind", "same story", "pairs", "judged same", "similarity min", "max"):
        by_kind.add_column(column)
    for (kind, same), count in Counter((p["kind"], p["same"]) for p in pairs).items():
        chosen = [(p, v) for p, v in zip(pairs, verdicts, strict=True) if p["kind"] == kind]
        scores = [similarity(prints[p["a"]].signature, prints[p["b"]].signature)
                  for p, _ in chosen]
        by_kind.add_row(kind, "yes" if same else "no", str(count),
                        str(sum(v[0] for _, v in chosen)), f"{min(scores):.3f}",
                        f"{max(scores):.3f}")
    console.print(by_kind)
    sweep = Table(title="Threshold sweep")
    for column in ("threshold", "precision", "recall"):
        sweep.add_column(column)
    for threshold in SWEEP:
        p, r = precision_recall(judge(prints, pairs, threshold))
        sweep.add_row(f"{threshold:.2f}", f"{p:.3f}", f"{r:.3f}")
    console.print(sweep)


def word_chain(words: list[str]) -> dict[str, list[str]]:
    """Return, for each word of the labelled set's text, the words that follow it there."""
    followers: dict[str, list[str]] = {}
    for word, after in pairwise(words):
        followers.setdefault(word, []).append(after)
    return followers


def synthetic_texts(words: list[str], seed: int) -> Iterator[str]:
    """Yield endless synthetic articles of 250 to 450 words: a walk on the labelled set's word
    chain, so they share the stock phrases of TN&MT news as real articles do."""
    rng, chain = random.Random(seed), word_chain(words)
    while True:
        walk = [rng.choice(words)]
        for _ in range(rng.randint(250, 450)):
            walk.append(rng.choice(chain.get(walk[-1]) or words))
        yield " ".join(walk)


def near_copy(text: str, rng: random.Random, words: list[str]) -> str:
    """Return `text` with its last quarter cut and a dozen words inserted (a re-publication)."""
    tokens = text.split()
    tokens = tokens[: len(tokens) * 3 // 4]
    for _ in range(12):
        tokens.insert(rng.randrange(len(tokens)), rng.choice(words))
    return " ".join(tokens)


def fill(store: Store, texts: Iterator[str], count: int, start: int) -> list[str]:
    """Store `count` synthetic articles with their story index; return their texts."""
    stored: list[str] = []
    now = datetime.now(UTC)
    batch = 1000
    for first in track(range(start, start + count, batch), description=f"storing {count:,}",
                       console=console, transient=True):
        with store.transaction() as session:
            for number in range(first, min(first + batch, start + count)):
                text = next(texts)
                record = ArticleRecord(
                    source_id="bench", url=f"https://example.invalid/{number}",
                    title=f"Bài {number}", lead="", body=text, author=None,
                    published_at=None, content_hash=hashlib.sha256(text.encode()).hexdigest(),
                    first_seen_at=now, last_seen_at=now)
                record.id = number + 1
                session.add(record)
                found = fingerprint(text, **SHAPE)
                add_story_members(session, [(record.id, StoryLink(found.signature,
                                                                  found.buckets))])
                stored.append(text)
    return stored


def lookup(store: Store, text: str, repeats: int = 3) -> tuple[float, int, bool]:
    """Time one story lookup (the fastest of `repeats`, to damp other processes' noise);
    return (milliseconds, candidates, matched)."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = fingerprint(text, **SHAPE)
        candidates = store.story_candidates(found.buckets)
        match = best_match(found.signature, candidates, THRESHOLD)
        timings.append((time.perf_counter() - started) * 1000)
    return min(timings), len(candidates), match is not None


def scan_all(store: Store, text: str) -> float:
    """Time what the lookup would cost without the index: every signature read and compared."""
    started = time.perf_counter()
    found = fingerprint(text, **SHAPE)
    with store.reading() as session:
        signatures = session.scalars(select(StoryMember.signature)).all()
    best_match(found.signature, enumerate(signatures), THRESHOLD)
    return (time.perf_counter() - started) * 1000


def scaling_report(folder: Path, sizes: list[int], queries: int) -> None:
    articles, _ = load_set(folder)
    words = " ".join(story_text(article) for article in articles.values()).split()
    rng = random.Random(7)
    table = Table(title="Story lookup as the database grows (SQLite file)")
    for column in ("stored articles", "lookup median ms", "p95 ms", "candidates (mean)",
                   "near-copies found", "new judged new", "no index: scan ms", "database MB"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        with store.transaction() as session:
            session.add(SourceRecord(id="bench", name="bench", province="-", kind="newspaper",
                                     homepage="https://example.invalid/", status="active",
                                     first_seen_at=datetime.now(UTC)))
        texts, fresh = synthetic_texts(words, seed=1), synthetic_texts(words, seed=2)
        stored: list[str] = []
        for size in sizes:
            stored += fill(store, texts, size - len(stored), len(stored))
            copies = [near_copy(rng.choice(stored), rng, words) for _ in range(queries // 2)]
            news = [next(fresh) for _ in range(queries - len(copies))]
            timed = [lookup(store, text) for text in copies + news]
            millis = sorted(ms for ms, _, _ in timed)
            found = sum(matched for _, _, matched in timed[: len(copies)])
            new = sum(not matched for _, _, matched in timed[len(copies):])
            megabytes = Path(f"{tmp}/bench.db").stat().st_size / 1e6
            table.add_row(f"{size:,}", f"{statistics.median(millis):.2f}",
                          f"{millis[int(len(millis) * 0.95)]:.2f}",
                          f"{statistics.mean(c for _, c, _ in timed):.2f}",
                          f"{found}/{len(copies)}", f"{new}/{len(news)}",
                          f"{scan_all(store, news[0]):.0f}", f"{megabytes:.0f}")
        store.close()
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder with articles.jsonl and pairs.jsonl")
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="stored-article counts to time the lookup at")
    parser.add_argument("--queries", type=int, default=200, help="lookups timed per size")
    args = parser.parse_args()
    quality_report(args.folder)
    scaling_report(args.folder, sorted(int(size) for size in args.sizes.split(",")),
                   args.queries)


if __name__ == "__main__":
    main()
