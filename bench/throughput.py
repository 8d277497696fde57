"""Throughput: the full crawl of a synthetic mirror beside its ceilings and a naive peer.

Generates N sources × M article pages (bench/synthetic_mirror.py) in a work folder, serves
them with crawler.mirror.MirrorServer in a process of its own, and measures, each mode in a
child process of its own (its CPU, including its children, and memory are its own):

  full        `tnmt crawl` of every generated source into a fresh SQLite file (workers:
              TNMT_EXTRACT_WORKERS as configured, one per core by default)
  inline      the same with TNMT_EXTRACT_WORKERS=0 (extraction in the reactor)
  fetch-only  the same spider with ITEM_PIPELINES={} (fetches, stores nothing): the network
              ceiling on this machine
  sequential  one process looping over the article files doing exactly the workers' work
              (crawler.offload.process_page): the per-core cost of a page
  parallel    one such loop per core at once, each over its share of the pages: what the
              cores of this machine really extract together
  naive       trafilatura's own fetch_url + extract over the served article URLs
  recrawl     the full crawl again on its database, mirror unchanged

then prints the ratios: "extraction bound" = full pages/s ÷ (cores × sequential pages/s),
"naive peer" = full ÷ naive, full ÷ parallel extraction, and full ÷ inline.
`--scale 1000,5000,20000` runs the full crawl at each size (fresh mirror and database
each), then EXPLAIN QUERY PLAN of the dedupe lookups on the largest database.

Usage:
  python bench/throughput.py [--pages 5000] [--sources 10] [--seed 1]
      [--modes full,inline,fetch-only,sequential,parallel,naive,recrawl] [--scale 1000,5000,20000]
      [--json FILE] [--workdir DIR] [--set NAME=VALUE]...
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from itertools import count
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on the path, and bench/incremental.py would shadow
# the "incremental" package Twisted imports: the project root instead.
sys.path[:] = [str(Path(__file__).resolve().parent.parent),
               *(entry for entry in sys.path if Path(entry or ".").resolve()
                 != Path(__file__).resolve().parent)]

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.daemon_memory import rss_mb  # noqa: E402
from bench.synthetic_mirror import SyntheticMirror, generate  # noqa: E402
from crawler import settings  # noqa: E402
from crawler.article import Article, content_hash  # noqa: E402
from crawler.mirror import MirrorServer  # noqa: E402
from crawler.storage import KnownArticles, NewArticle, Store, StoryIndex  # noqa: E402
from crawler.stories import fingerprint, story_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODES = ("full", "inline", "fetch-only", "sequential", "parallel", "naive", "recrawl")
SAMPLE_SECONDS = 0.2  # RSS of the measured processes (cheap: /proc/PID/status)
# The process tree and its PSS are read less often: smaps_rollup makes the kernel walk every
# page of a process, 16 ms of CPU for a crawl's three processes, which at every 0.2 s took 4 %
# of two cores from the crawl being measured (and nothing from a one-core mode).
TREE_SAMPLE_EVERY = 5  # samples: the process list, once a second
PSS_SAMPLE_EVERY = 10  # samples: the tree's PSS, every 2 seconds
console = Console(stderr=True)  # progress
out = Console()  # the tables
if not out.is_terminal:
    out = Console(width=160)  # a file or a pipe: no wrapped columns


# --- the mirror, served in a process of its own -----------------------------------------------

def article_path(path: str) -> bool:
    """Whether a requested mirror path is an article page (not robots, sitemap, home)."""
    return re.search(r"\.(html?|aspx)$", path) is not None and not path.endswith("index.html")


def _serve(sites_dir: Path, conn: Connection) -> None:
    """The mirror process: serve until told to stop; answer "stats" with request counts and
    the CPU seconds the process has used (it shares the cores with what is measured)."""
    with MirrorServer(sites_dir) as server:
        conn.send(server.address)
        while True:
            command = conn.recv()
            if command == "stop":
                return
            log = list(server.request_log)
            conn.send((dict(Counter(f"{'article' if article_path(path) else 'other'} {status}"
                                    for path, status in log)), time.process_time()))


class Mirror:
    """The mirror process's address and its request counts."""

    def __init__(self, conn: Connection, address: str):
        self.conn = conn
        self.address = address

    def stats(self) -> tuple[Counter[str], float]:
        """Requests served so far by kind and status, and the CPU seconds used serving them."""
        self.conn.send("stats")
        counts, cpu = self.conn.recv()
        return Counter(counts), cpu


@contextmanager
def serve(sites_dir: Path) -> Iterator[Mirror]:
    """Serve `sites_dir` on 127.0.0.1 from another process (its own GIL and CPU)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(sites_dir, theirs), daemon=True)
    process.start()
    try:
        yield Mirror(ours, ours.recv())
    finally:
        ours.send("stop")
        process.join(10)


# --- one measured child process ------------------------------------------------------------------

@dataclass
class Sample:
    """What a child process (with its descendants) cost."""

    wall: float
    cpu: float  # user + system seconds of the child and every descendant
    peak_main_mb: float
    peak_tree_mb: float
    peak_pss_tree_mb: float  # the tree's proportional set size: shared pages counted once
    cpu_main: float  # of which the child itself (as last sampled)
    returncode: int
    output: str = ""


def descendants(pid: int) -> list[int]:
    """The pids of every descendant of `pid` (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    """Proportional set size in MB (pages shared with the fork parent count in part)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_or_zero(pid: int) -> float:
    """rss_mb, or 0 for a process that ended (or is a zombie, which has no VmRSS)."""
    try:
        return rss_mb(pid)
    except (OSError, RuntimeError):
        return 0.0


class Sampler(threading.Thread):
    """Samples the RSS of a process and its descendants every SAMPLE_SECONDS; keeps the
    peaks and the last CPU time seen of each process (for descendants never reaped)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_main = self.peak_tree = self.peak_pss_tree = 0.0
        self.cpu_seen: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        tree = [self.pid]
        for tick in count():
            if self.done.wait(SAMPLE_SECONDS):
                return
            if tick % TREE_SAMPLE_EVERY == 0:
                tree = [self.pid, *descendants(self.pid)]
            sizes = [rss_or_zero(pid) for pid in tree]
            self.peak_main = max(self.peak_main, sizes[0])
            self.peak_tree = max(self.peak_tree, sum(sizes))
            if tick % PSS_SAMPLE_EVERY == 0:
                self.peak_pss_tree = max(self.peak_pss_tree, sum(pss_mb(pid) for pid in tree))
            for pid in tree:
                with suppress(OSError, IndexError):  # ended meanwhile
                    self.cpu_seen[pid] = cpu_seconds(pid)


def run_measured(command: list[str]) -> Sample:
    """Run `command`, sampling its tree's memory; its CPU is what the kernel accounts to it
    and the descendants it reaped (the crawl joins its extraction workers), or the sum of
    the /proc samples if larger (a descendant nobody reaped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    output, _ = process.communicate()
    wall = time.monotonic() - start
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, max(cpu, sum(sampler.cpu_seen.values())), sampler.peak_main,
                  sampler.peak_tree, sampler.peak_pss_tree,
                  sampler.cpu_seen.get(process.pid, 0.0), process.returncode, output)


# --- the modes ---------------------------------------------------------------------------------

@dataclass
class Figures:
    """One mode's figures."""

    mode: str
    pages: int  # article pages fetched (or processed)
    articles: int  # articles stored (crawls) or extracted (loops)
    wall: float
    cpu: float
    peak_main_mb: float
    peak_tree_mb: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.wall if self.wall else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu / self.pages if self.pages else 0.0

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.cpu / self.articles if self.articles else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pages_per_s": self.pages_per_s,
                "articles_per_s": self.articles_per_s, "cpu_ms_per_page": self.cpu_ms_per_page,
                "cpu_ms_per_article": self.cpu_ms_per_article}


def crawl_overrides(mirror: SyntheticMirror, extra: dict[str, str]) -> dict[str, str]:
    """Settings for a crawl of the whole mirror: every article of a source is in reach."""
    per_source = max(len(source_articles) for source_articles in _by_source(mirror).values())
    return {"TNMT_MAX_ARTICLES_PER_SOURCE": str(per_source + 10), **extra}


def _by_source(mirror: SyntheticMirror) -> dict[str, list[str]]:
    hosts: dict[str, list[str]] = {}
    for url, _path in mirror.articles:
        hosts.setdefault(url.split("/")[2], []).append(url)
    return hosts


def crawl_command(mirror: SyntheticMirror, address: str, db_url: str,
                  overrides: dict[str, str]) -> list[str]:
    """`tnmt crawl` of exactly the generated sources, on the mirror, into `db_url`."""
    command = [sys.executable, "-m", "crawler", "crawl", "--no-builtin",
               "--sources", str(mirror.registry_dir), "--mirror", address, "--db", db_url]
    for name, value in overrides.items():
        command += ["--set", f"{name}={value}"]
    return command


def measure_crawl(mode: str, mirror: SyntheticMirror, server: Mirror, db_url: str,
                  overrides: dict[str, str]) -> Figures:
    """Run one crawl mode; pages are the article pages the mirror served it."""
    stored_before = stored_articles(db_url)
    before, cpu_before = server.stats()
    sample = run_measured(crawl_command(mirror, server.address, db_url, overrides))
    after, cpu_after = server.stats()
    served = after - before
    if sample.returncode != 0:
        raise RuntimeError(f"{mode} crawl failed ({sample.returncode}):\n{sample.output[-3000:]}")
    stored = stored_articles(db_url)
    return Figures(mode, served["article 200"], stored - stored_before, sample.wall,
                   sample.cpu, sample.peak_main_mb, sample.peak_tree_mb,
                   {"requests": dict(served), "articles_in_db": stored,
                    "peak_pss_tree_mb": sample.peak_pss_tree_mb, "cpu_main": sample.cpu_main,
                    "cpu_mirror": cpu_after - cpu_before})


def stored_articles(db_url: str) -> int:
    """Rows in the articles table (0 for a database not made yet)."""
    path = Path(db_url.removeprefix("sqlite:///"))
    if not path.exists():
        return 0
    with Store(db_url) as store:
        return store.count_articles()


def measure_loop(mode: str, mirror: SyntheticMirror, server: Mirror, workdir: Path) -> Figures:
    """Run the sequential extraction or naive peer loop in a child process."""
    listing = workdir / "articles.tsv"
    listing.write_text("".join(f"{url}\t{path}\n" for url, path in mirror.articles), "utf-8")
    result = workdir / f"{mode}.json"
    _, cpu_before = server.stats()
    sample = run_measured([sys.executable, "-m", "bench.throughput_loops", mode, str(listing),
                           server.address, str(mirror.registry_dir), str(result)])
    _, cpu_after = server.stats()
    if sample.returncode != 0:
        raise RuntimeError(f"{mode} loop failed ({sample.returncode}):\n{sample.output[-3000:]}")
    found = json.loads(result.read_text("utf-8"))
    # The rate is the loop's own (not the interpreter's start); memory is the process's.
    return Figures(mode, found["pages"], found["articles"], found["seconds"], found["cpu"],
                   sample.peak_main_mb, sample.peak_tree_mb,
                   {"process_wall": sample.wall, "process_cpu": sample.cpu,
                    "peak_pss_tree_mb": sample.peak_pss_tree_mb,
                    "cpu_mirror": cpu_after - cpu_before})


def measure_parallel(mirror: SyntheticMirror, server: Mirror, workdir: Path) -> Figures:
    """Run one sequential extraction loop per core at once, each over its share of the pages:
    what the cores of this machine really extract together (two loops on two virtual cores
    need not be twice one loop)."""
    cores = os.cpu_count() or 1
    children = []
    for share in range(cores):
        listing = workdir / f"parallel-{share}.tsv"
        listing.write_text("".join(f"{url}\t{path}\n"
                                   for url, path in mirror.articles[share::cores]), "utf-8")
        result = workdir / f"parallel-{share}.json"
        command = [sys.executable, "-m", "bench.throughput_loops", "sequential", str(listing),
                   server.address, str(mirror.registry_dir), str(result)]
        children.append((subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE), result))
    for child, _result in children:
        _, errors = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"parallel loop failed ({child.returncode}):\n"
                               f"{errors.decode(errors='replace')[-3000:]}")
    found = [json.loads(result.read_text("utf-8")) for _child, result in children]
    # The loops run side by side: their rate together is the pages over the slowest loop.
    return Figures("parallel", sum(loop["pages"] for loop in found),
                   sum(loop["articles"] for loop in found),
                   max(loop["seconds"] for loop in found), sum(loop["cpu"] for loop in found),
                   0.0, 0.0, {"loops": found})


# --- query plans of the dedupe lookups ---------------------------------------------------------

@dataclass(frozen=True)
class QueryPlan:
    lookup: str
    sql: str
    plan: tuple[str, ...]

    @property
    def scans(self) -> list[str]:
        """Plan lines reading a whole table or index (SQLite says SCAN; a constant row or a
        list of bound values is not a table)."""
        return [line for line in self.plan
                if re.search(r"\bSCAN\b", line) and "CONSTANT ROW" not in line]


def explain(store: Store, lookup: str, call: Any) -> list[QueryPlan]:
    """EXPLAIN QUERY PLAN of every statement `call(store)` runs (SQLite)."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        call(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    plans = []
    with store.engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(QueryPlan(lookup, statement, tuple(row[-1] for row in rows)))
    return plans


def dedupe_query_plans(db_url: str) -> list[QueryPlan]:
    """The plans of the lookups a crawl makes per listing, page or batch: the spider's
    known-URL lookup of a listing's links, the store's batch lookups (stored URL, alias or
    content hash; story band candidates) and the HTTP validators; run on a batch of the
    database's own articles and one new article."""
    with Store(db_url) as store:
        batch = sample_batch(store)
        urls = [new.article.url for new in batch]
        lookups: dict[str, Any] = {
            "known_articles": lambda s: s.known_articles(urls),
            "KnownArticles.read": lambda s: read_batch(s, KnownArticles.read, batch),
            "StoryIndex.read": lambda s: read_batch(s, StoryIndex.read, batch),
            "validators": lambda s: s.validators(urls),
        }
        return [plan for name, call in lookups.items() for plan in explain(store, name, call)]


def sample_batch(store: Store, size: int = 3) -> list[NewArticle]:
    """Up to `size` stored articles as a batch would bring them again, and one new one."""
    articles = [row.to_article() for row in store.articles(limit=size)]
    new = replace(articles[0], url=articles[0].url + "-new", paragraphs=("Một bài mới.",)) \
        if articles else Article(url="https://example.invalid/new", title="Một bài mới",
                                 paragraphs=("Một bài mới.",))
    return [NewArticle(article, "bench", content_hash(article), None,
                       fingerprint=fingerprint(story_text(article),
                                               permutations=settings.TNMT_STORY_PERMUTATIONS,
                                               shingle_words=settings.TNMT_STORY_SHINGLE_WORDS,
                                               band_rows=settings.TNMT_STORY_BAND_ROWS))
            for article in [*articles, new]]


def read_batch(store: Store, reader: Any, batch: list[NewArticle]) -> None:
    with store.reading() as session:
        reader(session, batch)


# --- the run -------------------------------------------------------------------------------------

def build_mirror(workdir: Path, pages: int, sources: int, seed: int) -> SyntheticMirror:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"generating {pages} pages", total=pages)
        return generate(workdir, pages=pages, sources=sources, seed=seed,
                        progress=lambda n: progress.advance(task, n))


def run_modes(mirror: SyntheticMirror, workdir: Path, modes: list[str],
              extra: dict[str, str], rounds: int = 1) -> list[list[Figures]]:
    """Run every mode once per round, the modes of a round one after the other: the
    machine's speed drifts over minutes, and each round's ratios are of neighbours."""
    overrides = crawl_overrides(mirror, extra)
    done: list[list[Figures]] = []
    with serve(mirror.sites_dir) as server:
        for number in range(1, rounds + 1):
            results = []
            for mode in modes:
                console.print(f"[bold]{mode}[/] ({mirror.pages} pages, round {number}/{rounds}) …")
                results.append(run_mode(mode, mirror, server, workdir, overrides))
            done.append(results)
    return done


def median_round(rounds: list[list[Figures]]) -> list[Figures]:
    """Each mode's figures from its median round by pages/s (of an even number of rounds,
    the faster of the middle two; the ratios take the mean of their middle two)."""
    return [sorted(runs, key=lambda figures: figures.pages_per_s)[len(runs) // 2]
            for runs in zip(*rounds, strict=True)]


def median_ratios(by_round: list[dict[str, float]]) -> dict[str, float]:
    """Each ratio's median over the rounds (a ratio of one round's neighbouring runs)."""
    return {name: statistics.median(found[name] for found in by_round)
            for name in by_round[0]}


def run_mode(mode: str, mirror: SyntheticMirror, server: Mirror, workdir: Path,
             overrides: dict[str, str]) -> Figures:
    full_db = f"sqlite:///{workdir / 'full.db'}"
    if mode in ("sequential", "naive"):
        return measure_loop(mode, mirror, server, workdir)
    if mode == "parallel":
        return measure_parallel(mirror, server, workdir)
    if mode == "recrawl":
        if not (workdir / "full.db").exists():
            raise SystemExit("recrawl needs the full mode first (same run)")
        return measure_crawl(mode, mirror, server, full_db, overrides)
    db_file = workdir / f"{mode}.db"
    for leftover in workdir.glob(f"{mode}.db*"):
        leftover.unlink()
    more = {"inline": {"TNMT_EXTRACT_WORKERS": "0"},
            "fetch-only": {"ITEM_PIPELINES": "{}"}}.get(mode, {})
    return measure_crawl(mode, mirror, server, f"sqlite:///{db_file}", {**overrides, **more})


def ratios(results: list[Figures]) -> dict[str, float]:
    """The named ratios, of the modes that ran."""
    by_mode = {figures.mode: figures for figures in results}
    full = by_mode.get("full")
    found: dict[str, float] = {}
    if full is None:
        return found
    cores = os.cpu_count() or 1
    if "sequential" in by_mode and by_mode["sequential"].pages_per_s:
        found["extraction bound"] = full.pages_per_s / (cores * by_mode["sequential"].pages_per_s)
    if "parallel" in by_mode and by_mode["parallel"].pages_per_s:
        found["full / parallel extraction"] = full.pages_per_s / by_mode["parallel"].pages_per_s
    if "naive" in by_mode and by_mode["naive"].pages_per_s:
        found["naive peer"] = full.pages_per_s / by_mode["naive"].pages_per_s
    if "inline" in by_mode and by_mode["inline"].pages_per_s:
        found["full / inline"] = full.pages_per_s / by_mode["inline"].pages_per_s
    if "fetch-only" in by_mode and by_mode["fetch-only"].pages_per_s:
        found["full / fetch-only"] = full.pages_per_s / by_mode["fetch-only"].pages_per_s
    if "recrawl" in by_mode and full.wall:
        found["recrawl time %"] = 100 * by_mode["recrawl"].wall / full.wall
    return found


def modes_table(results: list[Figures], title: str) -> Table:
    table = Table(title=title)
    for column in ("mode", "pages", "articles", "wall s", "pages/s", "articles/s",
                   "CPU ms/page", "CPU ms/article", "main CPU ms/page", "mirror CPU ms/page",
                   "RSS main MB", "RSS tree MB", "PSS tree MB"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for f in results:
        table.add_row(f.mode, str(f.pages), str(f.articles), f"{f.wall:.1f}",
                      f"{f.pages_per_s:.1f}", f"{f.articles_per_s:.1f}",
                      f"{f.cpu_ms_per_page:.1f}", f"{f.cpu_ms_per_article:.1f}",
                      per_page(f, "cpu_main"), per_page(f, "cpu_mirror"),
                      f"{f.peak_main_mb:.0f}", f"{f.peak_tree_mb:.0f}",
                      f"{f.extra.get('peak_pss_tree_mb', 0):.0f}")
    return table


def per_page(figures: Figures, cpu_key: str) -> str:
    """CPU milliseconds a page of one part of the work (the crawl process alone, the mirror)."""
    seconds = figures.extra.get(cpu_key)
    if seconds is None or not figures.pages:
        return ""
    return f"{1000 * seconds / figures.pages:.1f}"


def ratios_table(found: dict[str, float], by_round: list[dict[str, float]]) -> Table:
    table = Table(title=f"Ratios ({os.cpu_count()} cores)")
    table.add_column("ratio")
    table.add_column("median" if len(by_round) > 1 else "value", justify="right")
    if len(by_round) > 1:
        for number in range(1, len(by_round) + 1):
            table.add_column(f"round {number}", justify="right")
    for name, value in found.items():
        values = [value, *(round_found[name] for round_found in by_round)] \
            if len(by_round) > 1 else [value]
        table.add_row(name, *(f"{v:.1f} %" if name.endswith("%") else f"{v:.2f}"
                              for v in values))
    return table


def plans_table(plans: list[QueryPlan]) -> Table:
    table = Table(title="Dedupe lookups: EXPLAIN QUERY PLAN")
    for column in ("lookup", "plan", "scan?"):
        table.add_column(column)
    for plan in plans:
        table.add_row(plan.lookup, "\n".join(plan.plan),
                      "[red]SCAN[/]" if plan.scans else "indexed")
    return table


def run_scale(sizes: list[int], args: argparse.Namespace, workdir: Path,
              extra: dict[str, str]) -> tuple[list[Figures], list[QueryPlan]]:
    results = []
    for size in sizes:
        folder = workdir / f"scale-{size}"
        shutil.rmtree(folder, ignore_errors=True)
        mirror = build_mirror(folder, size, args.sources, args.seed)
        figures = run_modes(mirror, folder, ["full"], extra)[0][0]
        figures.mode = f"full @ {size}"
        results.append(figures)
        if args.workdir is None:  # 20,000 pages are 2.5 GB: only the database is needed now
            shutil.rmtree(mirror.sites_dir)
    largest = workdir / f"scale-{sizes[-1]}" / "full.db"
    return results, dedupe_query_plans(f"sqlite:///{largest}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="article pages in all")
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma-separated, of {','.join(MODES)} ('' for none)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the modes this many times in turn; report medians")
    parser.add_argument("--scale", default="", help="page counts for the scaling table")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--workdir", type=Path, help="keep the mirror and databases here")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="NAME=VALUE", help="a setting for every crawl (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; return (and print, and with --json write) every figure."""
    args = parse_args(argv)
    asked = {mode for mode in args.modes.split(",") if mode}
    if asked - set(MODES):
        raise SystemExit(f"unknown modes: {', '.join(sorted(asked - set(MODES)))}")
    modes = [mode for mode in MODES if mode in asked]  # recrawl after full
    extra = dict(value.split("=", 1) for value in args.overrides)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tnmt-throughput-"))
    report: dict[str, Any] = {"cores": os.cpu_count(), "pages": args.pages,
                              "sources": args.sources, "seed": args.seed, "settings": extra}
    try:
        if modes:
            mirror = build_mirror(workdir / "main", args.pages, args.sources, args.seed)
            report["mirror_mb"] = mirror.bytes / 2 ** 20
            console.print(f"mirror: {mirror.pages} pages, {len(mirror.sources)} sources, "
                          f"{mirror.bytes / mirror.pages / 1024:.0f} KB a page on average")
            rounds = run_modes(mirror, workdir / "main", modes, extra, args.rounds)
            results = median_round(rounds)
            by_round = [ratios(round_results) for round_results in rounds]
            report["modes"] = [figures.as_dict() for figures in results]
            report["ratios"] = median_ratios(by_round)
            report["rounds"] = [{"modes": [figures.as_dict() for figures in round_results],
                                 "ratios": found}
                                for round_results, found in zip(rounds, by_round, strict=True)]
            for number, round_results in enumerate(rounds, 1):
                out.print(modes_table(round_results, f"Throughput: {mirror.pages} pages, "
                                                     f"round {number} of {len(rounds)}"))
            out.print(ratios_table(report["ratios"], by_round))
        if args.scale:
            sizes = sorted(int(size) for size in args.scale.split(","))
            scaled, plans = run_scale(sizes, args, workdir, extra)
            report["scale"] = [figures.as_dict() for figures in scaled]
            report["query_plans"] = [{**asdict(plan), "scans": plan.scans} for plan in plans]
            out.print(modes_table(scaled, "Scaling: the full crawl"))
            out.print(plans_table(plans))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    return report


if __name__ == "__main__":
    main()
