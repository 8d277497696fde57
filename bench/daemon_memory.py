"""Resident memory of `tnmt daemon` over many scheduled runs against the offline mirror.

    python bench/daemon_memory.py [SITES_DIR] [--runs 200] [--every 10]

Serves SITES_DIR (default: the bundled mirror, crawler/mirror/sites) on 127.0.0.1, starts the
real daemon on every registry source the mirror holds, with a one-second schedule, and reads
the daemon's RSS (/proc/PID/status VmRSS) every `--every` finished runs. Each crawl runs in a
child process, so the daemon's own memory must stay flat run over run; the script prints the
samples and the slope after warm-up, and exits 1 if memory grew by more than --max-growth MB.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from crawler.cli import mirror_sources
from crawler.mirror import SITES_DIR, MirrorServer, mirrored_hosts
from crawler.registry import load_registry
from crawler.storage import Store


def rss_mb(pid: int) -> float:
    """Return the resident set size of process `pid` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def finished_runs(store: Store) -> int:
    return sum(1 for run in store.runs(limit=100_000) if run.finished_at is not None)


def slope_kb_per_run(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of RSS (MB) over runs, in KB per run."""
    n = len(samples)
    mean_x = sum(x for x, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in samples)
    den = sum((x - mean_x) ** 2 for x, _ in samples) or 1
    return num / den * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="?", type=Path, default=SITES_DIR)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--max-crawls", type=int, default=2)
    parser.add_argument("--max-growth", type=float, default=5.0,
                        help="MB the RSS may grow between warm-up and the end")
    args = parser.parse_args()
    console = Console()
    hosts = set(mirrored_hosts(args.sites))
    sources = [s.id for s in mirror_sources(load_registry()) if s.domains <= hosts]
    work = Path(tempfile.mkdtemp(prefix="tnmt-bench-"))
    db = f"sqlite:///{work / 'tnmt.db'}"
    store = Store(db)
    samples: list[tuple[int, float]] = []
    with MirrorServer(args.sites) as server, (work / "daemon.log").open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "crawler", "daemon", *sources, "--db", db,
             "--mirror", server.address, "-s", "TNMT_SCHEDULE_OVERRIDE=* * * * * *",
             "-s", "TNMT_DAEMON_JITTER=0", "-s", f"TNMT_DAEMON_MAX_CRAWLS={args.max_crawls}"],
            stdout=log, stderr=log)
        started = time.monotonic()
        with Progress(console=console) as progress:
            task = progress.add_task(f"{len(sources)} sources", total=args.runs)
            next_sample = 0
            while (done := finished_runs(store)) < args.runs:
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited early; see {work / 'daemon.log'}")
                if done >= next_sample:
                    samples.append((done, rss_mb(daemon.pid)))
                    next_sample = done + args.every
                progress.update(task, completed=done)
                time.sleep(0.5)
            samples.append((done, rss_mb(daemon.pid)))
            progress.update(task, completed=done)
        elapsed = time.monotonic() - started
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)
    table = Table(title=f"daemon RSS over {done} runs ({elapsed:.0f} s, {len(sources)} sources, "
                        f"{args.max_crawls} at once)")
    table.add_column("finished runs", justify="right")
    table.add_column("RSS MB", justify="right")
    for runs, mb in samples:
        table.add_row(str(runs), f"{mb:.1f}")
    console.print(table)
    warm = [sample for sample in samples if sample[0] >= 2 * args.every] or samples
    growth = warm[-1][1] - warm[0][1]
    console.print(f"after warm-up (run {warm[0][0]}): {warm[0][1]:.1f} MB -> {warm[-1][1]:.1f} MB "
                  f"at run {warm[-1][0]}; growth {growth:+.1f} MB, slope "
                  f"{slope_kb_per_run(warm):+.1f} KB/run; statuses: {statuses(store)}")
    return 1 if growth > args.max_growth else 0


def statuses(store: Store) -> str:
    counts: dict[str, int] = {}
    for run in store.runs(limit=100_000):
        counts[run.status] = counts.get(run.status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


if __name__ == "__main__":
    sys.exit(main())
