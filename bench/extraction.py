"""Score our body extraction on the article-extraction-benchmark, beside plain trafilatura.

    python bench/extraction.py /work/shared/bench-data/article-extraction-benchmark
    python bench/extraction.py DATA --ids 0a1b 9f3c --losses 15 --against truth
    python bench/extraction.py DATA --outputs rs_trafilatura AutoExtract readability
    python bench/extraction.py DATA --check-cli 20 --dump /tmp/texts

"Ours" is what `tnmt extract - --url URL --format text` prints: the generic path of
crawler.extraction.extract_article (no registry source), lead and body paragraphs. "Plain" is
`trafilatura.extract(html)` with default options, run in this process. The metric is
crawler/textmetrics.py (the benchmark's own: 4-word shingles, macro precision and recall).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import trafilatura
from rich.console import Console
from rich.progress import track
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.dates import VN_TZ
from crawler.extraction import extract_article
from crawler.textmetrics import PageScore, aggregate, score_page

NOW = datetime(2026, 1, 1, tzinfo=VN_TZ)  # dates play no part in the body
console = Console()


@dataclass
class Page:
    """One benchmark page: its id, address, HTML and true article body."""

    id: str
    url: str
    html: str
    truth: str


@dataclass
class Run:
    """One extractor's texts and scores over the pages, and the seconds it took."""

    name: str
    texts: dict[str, str] = field(default_factory=dict)
    scores: dict[str, PageScore] = field(default_factory=dict)
    seconds: float | None = None


def our_text(html: str, url: str) -> str:
    """Return the text `tnmt extract --format text` prints for the page ('' if none)."""
    article = extract_article(html, url, source=None, now=NOW)
    return article.text if article is not None else ""


def plain_trafilatura(html: str, url: str) -> str:
    """Return trafilatura.extract(html) with its default options ('' if none)."""
    return trafilatura.extract(html) or ""


def load_pages(data: Path, ids: list[str]) -> list[Page]:
    """Return the benchmark pages, only those whose id starts with one of `ids` if given."""
    truth = json.loads((data / "ground-truth.json").read_text("utf-8"))
    pages = []
    for page_id in sorted(truth):
        if ids and not any(page_id.startswith(prefix) for prefix in ids):
            continue
        html = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, truth[page_id]["url"], html.decode("utf-8", "replace"),
                          truth[page_id]["articleBody"]))
    return pages


def run_extractor(name: str, extract: Callable[[str, str], str], pages: list[Page]) -> Run:
    """Run `extract` over every page with a progress bar; score and time it."""
    run = Run(name)
    started = time.perf_counter()
    for page in track(pages, description=f"{name:>18}", console=console, transient=True):
        run.texts[page.id] = extract(page.html, page.url)
    run.seconds = time.perf_counter() - started
    return score_run(run, pages)


def stored_output(data: Path, name: str, pages: list[Page]) -> Run:
    """Return a tool's published output (output/<name>.json.gz), scored."""
    blob = json.loads(gzip.decompress((data / "output" / f"{name}.json.gz").read_bytes()))
    items = blob.get("output", blob) if "version" in blob else blob
    run = Run(f"{name} (stored)")
    run.texts = {page.id: items[page.id].get("articleBody") or "" for page in pages}
    return score_run(run, pages)


def score_run(run: Run, pages: list[Page]) -> Run:
    """Fill in the run's per-page scores against the truth."""
    run.scores = {page.id: score_page(page.truth, run.texts[page.id]) for page in pages}
    return run


def scores_table(runs: list[Run], pages: int) -> Table:
    """Return the F1 / precision / recall / accuracy table, one row per run."""
    table = Table(title=f"article-extraction-benchmark, {pages} pages")
    for column in ("extractor", "F1", "precision", "recall", "accuracy", "seconds"):
        table.add_column(column, justify="left" if column == "extractor" else "right")
    for run in runs:
        total = aggregate(run.scores.values())
        seconds = f"{run.seconds:.1f}" if run.seconds is not None else "-"
        table.add_row(run.name, f"{total.f1:.4f}", f"{total.precision:.4f}",
                      f"{total.recall:.4f}", f"{total.accuracy:.4f}", seconds)
    return table


def losses_table(ours: Run, other: Run | None, pages: list[Page], count: int) -> Table:
    """Return the `count` pages where our F1 falls furthest below `other`'s (or below 1)."""
    def loss(page: Page) -> float:
        return (other.scores[page.id].f1 if other else 1.0) - ours.scores[page.id].f1

    runs = [ours, other] if other else [ours]
    table = Table(title=f"pages where we lose most against {other.name if other else 'truth'}")
    table.add_column("id")
    table.add_column("url", max_width=60, no_wrap=True)
    for run in runs:
        table.add_column(f"{run.name} P", justify="right")
        table.add_column(f"{run.name} R", justify="right")
    table.add_column("F1 lost", justify="right")
    for page in sorted(pages, key=loss, reverse=True)[:count]:
        figures = [value for run in runs for value in (run.scores[page.id].precision,
                                                        run.scores[page.id].recall)]
        table.add_row(page.id[:10], page.url, *("-" if value is None else f"{value:.3f}"
                                                 for value in figures), f"{loss(page):.3f}")
    return table


def cli_agrees(pages: list[Page], ours: Run) -> Table:
    """Return, per page, whether `tnmt extract - --url URL --format text` (run as a user
    runs it, in a child process) prints exactly the text the bench scored."""
    table = Table(title="tnmt extract --format text == the text scored")
    for column in ("id", "url", "same"):
        table.add_column(column, max_width=60, no_wrap=True)
    for page in track(pages, description="tnmt extract", console=console, transient=True):
        printed = subprocess.run(
            [sys.executable, "-m", "crawler", "extract", "-", "--url", page.url, "--format",
             "text"], input=page.html.encode("utf-8"), capture_output=True, check=False)
        same = printed.stdout.decode("utf-8") == ours.texts[page.id] + "\n"
        table.add_row(page.id[:10], page.url, "yes" if same else "NO")
    return table


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="the article-extraction-benchmark folder")
    parser.add_argument("--ids", nargs="+", default=[], metavar="ID",
                        help="score only pages whose id starts with one of these")
    parser.add_argument("--outputs", nargs="+", default=[], metavar="TOOL",
                        help="also score these stored outputs (output/TOOL.json.gz)")
    parser.add_argument("--losses", type=int, default=0, metavar="N",
                        help="list the N pages where we lose most")
    parser.add_argument("--against", choices=("trafilatura", "truth"), default="trafilatura",
                        help="what --losses compares us with")
    parser.add_argument("--check-cli", type=int, default=0, metavar="N",
                        help="run `tnmt extract --format text` on N pages and compare")
    parser.add_argument("--dump", type=Path, metavar="DIR",
                        help="write each page's texts (ours, plain, truth) into DIR")
    return parser.parse_args(argv)


def dump_texts(folder: Path, pages: list[Page], runs: list[Run]) -> None:
    """Write <id>.truth.txt and <id>.<extractor>.txt for each page, to diff by hand."""
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages:
        (folder / f"{page.id}.truth.txt").write_text(page.truth, "utf-8")
        for run in runs:
            name = run.name.split()[0]
            (folder / f"{page.id}.{name}.txt").write_text(run.texts[page.id], "utf-8")


def error(message: str) -> int:
    """Print one 'error: …' line on stderr; return the exit status 1."""
    Console(stderr=True).print(f"error: {message}", markup=False, highlight=False,
                               soft_wrap=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.data / "ground-truth.json").is_file():
        return error(f"{args.data}: no ground-truth.json (not the benchmark folder)")
    missing = [name for name in args.outputs
               if not (args.data / "output" / f"{name}.json.gz").is_file()]
    if missing:
        return error(f"no stored output {args.data / 'output' / missing[0]}.json.gz")
    pages = load_pages(args.data, args.ids)
    if not pages:
        return error(f"no page id starts with {' '.join(args.ids)}")
    ours = run_extractor("ours", our_text, pages)
    plain = run_extractor("plain trafilatura", plain_trafilatura, pages)
    runs = [ours, plain, *(stored_output(args.data, name, pages) for name in args.outputs)]
    console.print(scores_table(runs, len(pages)))
    console.print(f"trafilatura {trafilatura.__version__}")
    if args.losses:
        other = plain if args.against == "trafilatura" else None
        console.print(losses_table(ours, other, pages, args.losses))
    if args.check_cli:
        console.print(cli_agrees(pages[:args.check_cli], ours))
    if args.dump:
        dump_texts(args.dump, pages, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
