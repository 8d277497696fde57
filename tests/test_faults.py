"""The hostile mirror: every fault of crawler/mirror's .fault sidecars (and routes, robots.txt,
bad pages) served to one real crawl of three throwaway sources, each fault on its own article.

One crawl (a child process, the real Scrapy engine, a real SQLite file) keeps this fast; each
fault is then one test of its expected outcome: stored (retried or decoded correctly), or
skipped with the reason recorded in the run's messages, while the healthy source is stored.
RELIABILITY.md's table is written from these tests (bench/reliability_table.py).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from test_spider import PARAGRAPH, listing_page

from conftest import run_tnmt
from crawler.mirror import MirrorServer

NETWORK, CONTENT, HEALTHY, DOWN = ("mang.thu.gov.vn", "trang.thu.gov.vn", "lanh.thu.gov.vn",
                                   "sap.thu.gov.vn")
TITLE = "Tỉnh kiểm tra xả thải tại khu công nghiệp số {slug}"


@dataclass(frozen=True)
class Case:
    """One fault on one article page and what the crawl must make of it."""

    slug: str
    host: str
    fault: str  # what is wrong, for RELIABILITY.md
    outcome: str  # "stored", or "skipped: <text the run's messages must hold>"


CASES = [
    Case("loi-500-mot-lan", NETWORK, "500 once, then 200", "stored"),
    Case("loi-503-retry-after", NETWORK, "503 with Retry-After: 2 once, then 200", "stored"),
    Case("loi-503-qua-lau", NETWORK, "503 with Retry-After: 3600 (TNMT_RETRY_AFTER_MAX 120)",
         "skipped: Retry-After 3600 s beyond TNMT_RETRY_AFTER_MAX"),
    Case("loi-429-mai", NETWORK, "429 with Retry-After on every try", "skipped: HTTP 429"),
    Case("reset-mot-lan", NETWORK, "connection reset once, then 200", "stored"),
    Case("reset-mai", NETWORK, "connection reset on every try",
         "skipped: ConnectionLost"),
    Case("nho-giot", NETWORK, "slow drip: 10 pieces 0.6 s apart (timeout 2 s)",
         "skipped: took longer than"),
    Case("treo", NETWORK, "no answer for 6 s (timeout 2 s)", "skipped: took longer than"),
    Case("cat-cut", NETWORK, "truncated body: Content-Length twice what is sent",
         "skipped: body cut short"),
    Case("gzip", NETWORK, "gzip-encoded page", "stored"),
    Case("bom-gzip", NETWORK, "gzip bomb: 64 MB of zeros (limit 1 MB)",
         "skipped: exceeded DOWNLOAD_MAXSIZE"),
    Case("qua-lon", NETWORK, "1.5 MB page (limit 1 MB)", "skipped: larger than download max size"),
    Case("meta-1258", CONTENT, "windows-1258 page declared in its <meta>, none in HTTP",
         "stored"),
    Case("http-1258", CONTENT, "windows-1258 page declared in the HTTP header", "stored"),
    Case("khong-charset", CONTENT, "UTF-8 page with no charset anywhere", "stored"),
    Case("sai-charset", CONTENT, "windows-1258 bytes declared UTF-8 (header and <meta>)",
         "stored"),
    Case("html-hong", CONTENT, "malformed HTML: unclosed tags, stray end tags, junk bytes",
         "stored"),
    Case("chuyen-vong", CONTENT, "redirect loop (a → b → a)",
         "skipped: fetched already in this run"),
    Case("chuyen-dai", CONTENT, "redirect chain of 7 (limit 5)",
         "skipped: max redirections reached"),
    Case("chuyen-ngoai", CONTENT, "redirect to another domain",
         "skipped: off the source's domains"),
    Case("cam-robots", CONTENT, "path disallowed by robots.txt", "skipped: robots.txt"),
    Case("rong", CONTENT, "empty 200", "skipped: dropped"),
    Case("soft-404", CONTENT, "soft 404: a 200 page saying the page was not found",
         "skipped: dropped"),
    Case("nhi-phan", CONTENT, "binary garbage served as text/html", "skipped: dropped"),
]


def article_html(slug: str, charset: str = "utf-8") -> str:
    meta = f"<meta charset='{charset}'>" if charset else ""
    return (f"<html><head>{meta}<title>{TITLE.format(slug=slug)}</title></head><body><article>"
            f"<h1>{TITLE.format(slug=slug)}</h1><p class='date'>08:30, 05/03/2025</p>"
            f"<p>{slug}: {PARAGRAPH}</p><p>{PARAGRAPH}</p></article></body></html>")


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def windows_1258(text: str) -> bytes:
    """`text` as an old Vietnamese site writes it: windows-1258, whose letters carry their
    vowel marks but whose tones are separate combining marks."""
    letters = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in TONE_MARKS)
        letters.append(unicodedata.normalize("NFC", "".join(
            mark for mark in decomposed if mark not in TONE_MARKS)) + tones)
    return "".join(letters).encode("cp1258")


class HostileSites:
    """Three throwaway sources with faulty pages and a healthy one, under `root`."""

    def __init__(self, root: Path):
        self.sites, self.sources = root / "sites", root / "sources"
        self.sources.mkdir()
        self.db = f"sqlite:///{root / 'tnmt.db'}"
        for host in (NETWORK, CONTENT, HEALTHY, DOWN):
            self.write(host, "robots.txt", "User-agent: *\nDisallow: /tin/cam-\n")
            self.register(host)
        slugs = {host: [case.slug for case in CASES if case.host == host]
                 for host in (NETWORK, CONTENT)}
        slugs[HEALTHY] = ["lanh-manh"]
        for host, names in slugs.items():
            self.write(host, "tin-tuc/index.html",
                       listing_page([f"/tin/{name}.html" for name in names]
                                    + ["javascript:alert(1)", "file:///etc/passwd",
                                       "mailto:a@b.vn"]))
            for name in names:
                self.write(host, f"tin/{name}.html", article_html(name))
        self.write(DOWN, "tin-tuc/index.html", listing_page([]))
        self.fault(DOWN, "tin-tuc/index.html", "status = 503")
        self.plant_faults()

    def write(self, host: str, path: str, content: str | bytes) -> None:
        target = self.sites / host / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)

    def fault(self, host: str, path: str, toml: str) -> None:
        self.write(host, f"{path}.fault", toml)

    def register(self, host: str) -> None:
        source_id = host.split(".")[0]
        (self.sources / f"{source_id}.toml").write_text(
            f'id = "{source_id}"\nname = "Nguồn thử {source_id}"\nprovince = "Hà Tĩnh"\n'
            f'kind = "department"\nhomepage = "https://{host}/"\n[discovery]\n'
            f'start_urls = ["https://{host}/tin-tuc/"]\n'
            f"article_pattern = '^https://{host}/tin/[a-z0-9-]+\\.html$'\n", encoding="utf-8")

    def plant_faults(self) -> None:
        net, page = NETWORK, CONTENT
        self.fault(net, "tin/loi-500-mot-lan.html", "times = 1\nstatus = 500")
        self.fault(net, "tin/loi-503-retry-after.html",
                   'times = 1\nstatus = 503\nheaders = {Retry-After = "2"}')
        self.fault(net, "tin/loi-503-qua-lau.html",
                   'status = 503\nheaders = {Retry-After = "3600"}')
        self.fault(net, "tin/loi-429-mai.html", 'status = 429\nheaders = {Retry-After = "1"}')
        self.fault(net, "tin/reset-mot-lan.html", 'times = 1\ntransfer = "reset"')
        self.fault(net, "tin/reset-mai.html", 'transfer = "reset"')
        self.fault(net, "tin/nho-giot.html", 'transfer = "drip"\ndrip_seconds = 0.6')
        self.write(net, "tin/treo.html.delay", "6")
        self.fault(net, "tin/cat-cut.html", 'transfer = "truncate"')
        self.fault(net, "tin/gzip.html", 'transfer = "gzip"')
        self.fault(net, "tin/bom-gzip.html", 'transfer = "gzip"\nbomb_megabytes = 64')
        self.write(net, "tin/qua-lon.html",
                   article_html("qua-lon").replace("</body>", "<!--" + "x" * 1_500_000
                                                   + "--></body>"))
        self.write(page, "tin/meta-1258.html",
                   windows_1258(article_html("meta-1258", "windows-1258")))
        self.fault(page, "tin/meta-1258.html", 'content_type = "text/html"')
        self.write(page, "tin/http-1258.html", windows_1258(article_html("http-1258", "")))
        self.fault(page, "tin/http-1258.html", 'content_type = "text/html; charset=windows-1258"')
        self.write(page, "tin/khong-charset.html", article_html("khong-charset", ""))
        self.fault(page, "tin/khong-charset.html", 'content_type = "text/html"')
        self.write(page, "tin/sai-charset.html", windows_1258(article_html("sai-charset")))
        self.write(page, "tin/html-hong.html", article_html("html-hong")
                   .replace("</p>", "").replace("</article>", "</div></span>\x00\x1b<<p")
                   .replace("<h1>", "<h1><b><i>"))
        self.write(page, "routes.toml", "\n".join([
            '["/tin/chuyen-vong.html"]\nredirect = "/tin/chuyen-vong-b.html"',
            '["/tin/chuyen-vong-b.html"]\nredirect = "/tin/chuyen-vong.html"',
            '["/tin/chuyen-dai.html"]\nredirect = "/tin/chuyen-dai-1.html"',
            *(f'["/tin/chuyen-dai-{n}.html"]\nredirect = "/tin/chuyen-dai-{n + 1}.html"'
              for n in range(1, 8)),
            '["/tin/chuyen-ngoai.html"]\nredirect = "https://lanh.thu.gov.vn.evil.example/x.html"',
        ]))
        self.write(page, "tin/rong.html", "")
        self.write(page, "tin/soft-404.html",
                   "<html><head><title>Không tìm thấy trang</title></head><body><h1>404</h1>"
                   "<p>Trang bạn tìm không tồn tại.</p></body></html>")
        self.write(page, "tin/nhi-phan.html", bytes(range(256)) * 40)


@dataclass
class HostileCrawl:
    """What one crawl of the hostile sites stored, recorded and asked for."""

    stored: dict[str, dict]  # slug → article
    messages: dict[str, str]  # source id → the run's messages
    statuses: dict[str, str]  # source id → the run's status
    requests: list[tuple[str, int]]
    request_times: list[tuple[str, float]]  # (path, monotonic time)
    returncode: int
    stderr: str


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileCrawl:
    sites = HostileSites(tmp_path_factory.mktemp("hostile"))
    settings = ["RETRY_TIMES=2", "DOWNLOAD_TIMEOUT=2", "DOWNLOAD_MAXSIZE=1000000",
                "DOWNLOAD_WARNSIZE=500000"]
    with MirrorServer(sites.sites) as server:
        result = run_tnmt("crawl", "mang", "trang", "lanh", "sap", "--sources",
                          str(sites.sources), "--no-builtin", "--db", sites.db,
                          "--mirror", server.address,
                          *(option for name in settings for option in ("--set", name)))
    listed = run_tnmt("articles", "list", "--db", sites.db, "--format", "json", "--limit", "0",
                      check=True)
    runs = json.loads(run_tnmt("runs", "--db", sites.db, "--format", "json", check=True).stdout)
    stored = {article["url"].rsplit("/", 1)[1].removesuffix(".html"): article
              for article in json.loads(listed.stdout)}
    return HostileCrawl(stored, {run["source_id"]: run["messages"] for run in runs},
                        {run["source_id"]: run["status"] for run in runs},
                        list(server.request_log), list(server.request_times),
                        result.returncode, result.stderr)


@pytest.mark.parametrize("case", CASES, ids=[case.slug for case in CASES])
def test_fault(case: Case, hostile: HostileCrawl) -> None:
    source_id = case.host.split(".")[0]
    if case.outcome == "stored":
        article = hostile.stored.get(case.slug)
        assert article is not None, hostile.messages[source_id]
        assert article["title"] == TITLE.format(slug=case.slug)  # decoded correctly
        assert PARAGRAPH in article["text"]
        return
    assert case.slug not in hostile.stored
    expected = case.outcome.removeprefix("skipped: ")
    # Errors name the URL (a redirect chain: its last hop); drops and refusals are counted.
    url = f"https://{case.host}/tin/{case.slug}"
    recorded = [line for line in hostile.messages[source_id].splitlines()
                if expected in line and (url in line or line.startswith(("dropped", "refused",
                                                                          "skipped")))]
    assert recorded, f"no {expected!r} for {url} in:\n{hostile.messages[source_id]}"


def test_the_other_sources_are_crawled(hostile: HostileCrawl) -> None:
    assert "lanh-manh" in hostile.stored
    assert hostile.statuses["lanh"] == "ok"
    assert hostile.statuses["mang"] == hostile.statuses["trang"] == "partial"
    # The source whose listing is down fails, is named, and the command says so.
    assert hostile.statuses["sap"] == "failed"
    assert hostile.returncode == 1
    assert "error: source sap: HTTP 503" in hostile.stderr


def test_only_http_urls_on_the_sources_hosts_are_fetched(hostile: HostileCrawl) -> None:
    hosts = {path.lstrip("/").split("/", 1)[0] for path, _status in hostile.requests}
    assert hosts == {NETWORK, CONTENT, HEALTHY, DOWN}
    assert not any("passwd" in path or "alert" in path for path, _ in hostile.requests)
    assert not any("/tin/cam-" in path for path, _ in hostile.requests)  # robots.txt


def test_retries_are_bounded(hostile: HostileCrawl) -> None:
    tries = [path for path, _status in hostile.requests if path.endswith("/loi-429-mai.html")]
    assert len(tries) == 3  # the first try and RETRY_TIMES=2


def request_gaps(hostile: HostileCrawl, slug: str) -> list[float]:
    """Seconds between successive requests of an article."""
    times = [moment for path, moment in hostile.request_times if path.endswith(f"/{slug}.html")]
    return [later - earlier for earlier, later in pairwise(times)]


def test_retry_after_is_waited_before_the_retry(hostile: HostileCrawl) -> None:
    gaps = request_gaps(hostile, "loi-503-retry-after")
    assert len(gaps) == 1 and 2.0 <= gaps[0] < 4.0, gaps  # waited once, not twice
    # Every try of the 429 asked for 1 s: both retries waited it.
    assert len(request_gaps(hostile, "loi-429-mai")) == 2
    assert min(request_gaps(hostile, "loi-429-mai")) >= 1.0


def test_a_retry_after_beyond_the_limit_is_not_retried(hostile: HostileCrawl) -> None:
    tries = [path for path, _status in hostile.requests if path.endswith("/loi-503-qua-lau.html")]
    assert len(tries) == 1
