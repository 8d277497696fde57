"""Near-duplicates across sources: the same story re-published is one story.

An article's fingerprint is a MinHash signature (datasketch) of its normalised word
shingles (lead and body; the headline is left out, since re-publishers edit it). The
signature is cut into bands; articles sharing any band bucket are candidates, and a
candidate whose estimated Jaccard similarity reaches the threshold is the same story.
Pure: no Scrapy, no database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from crawler.article import Article, normalise_text

_WORDS = re.compile(r"\w+")
# Every process and every datasketch release must draw the same hashes, or stored signatures
# stop being comparable with new ones: the seed and the (32-bit) scheme are fixed here.
MINHASH_SEED = 1
MINHASH_SCHEME = "affine32"


@dataclass(frozen=True)
class Fingerprint:
    """An article's MinHash signature and the LSH band buckets it is indexed under."""

    signature: bytes  # permutations × uint32, little-endian
    buckets: tuple[int, ...]  # one per band; empty when the text has no shingles


@dataclass(frozen=True)
class StoryLink:
    """A new article's story (None: it starts one) and index entries, as the store writes them."""

    signature: bytes
    buckets: tuple[int, ...]
    story_id: int | None = None
    similarity: float | None = None


def shingles(text: str, size: int) -> set[str]:
    """Return the set of `size`-word shingles of the normalised, case-folded text."""
    words = _WORDS.findall(normalise_text(text).casefold())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def story_text(article: Article) -> str:
    """Return the text compared between copies: the lead and the body, not the headline."""
    return article.text


def fingerprint(text: str, *, permutations: int, shingle_words: int,
                band_rows: int) -> Fingerprint:
    """Return the MinHash signature of `text` and its band buckets."""
    # Imported here: datasketch loads scipy and numpy (about a second), which every `tnmt`
    # process would pay at start; only a crawl storing a new article needs them.
    from datasketch import MinHash

    grams = shingles(text, shingle_words)
    minhash = MinHash(num_perm=permutations, seed=MINHASH_SEED, scheme=MINHASH_SCHEME,
                      permutations=_permutations(permutations))
    minhash.update_batch([gram.encode("utf-8") for gram in sorted(grams)])
    signature = minhash.hashvalues.astype("<u4").tobytes()
    return Fingerprint(signature, band_buckets(signature, band_rows) if grams else ())


@cache
def _permutations(count: int) -> Any:
    """The MinHash permutations drawn from MINHASH_SEED: the same for every article, so drawn
    once per process rather than for each."""
    from datasketch import MinHash

    return MinHash(num_perm=count, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def band_buckets(signature: bytes, band_rows: int) -> tuple[int, ...]:
    """Return one non-negative 63-bit bucket per band of `band_rows` signature values.
    The band's number is hashed in, so equal buckets mean the same band agrees."""
    width = 4 * band_rows
    return tuple(
        int.from_bytes(hashlib.blake2b(band.to_bytes(2, "little") + signature[start:start + width],
                                       digest_size=8).digest(), "little") >> 1
        for band, start in enumerate(range(0, len(signature) - width + 1, width))
    )


def best_match(signature: bytes, candidates: Iterable[tuple[int, bytes]],
               threshold: float) -> tuple[int, float] | None:
    """Return (story id, similarity) of the most similar candidate (story id, signature)
    reaching `threshold`, or None."""
    scored = [(similarity(signature, other), story_id) for story_id, other in candidates]
    best = max(scored, default=(0.0, 0))
    return (best[1], best[0]) if best[0] >= threshold else None


def same_story(fingerprint: Fingerprint, other: Fingerprint, threshold: float) -> bool:
    """True when the index would offer `other` as a candidate (a shared band bucket) and
    their similarity reaches `threshold`: the pipeline's verdict for one pair."""
    return (not set(fingerprint.buckets).isdisjoint(other.buckets)
            and similarity(fingerprint.signature, other.signature) >= threshold)


def similarity(signature: bytes, other: bytes) -> float:
    """Return the estimated Jaccard similarity of two signatures (share of equal values)."""
    import numpy as np  # here, as datasketch in fingerprint(): only a store of a new article

    mine, theirs = np.frombuffer(signature, "<u4"), np.frombuffer(other, "<u4")
    if len(mine) != len(theirs) or not len(mine):
        return 0.0
    return float(np.count_nonzero(mine == theirs)) / len(mine)
