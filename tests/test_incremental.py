"""Incremental crawling on a site whose content changes between real crawls: only what is
new is fetched, listings are asked for conditionally, an edit becomes a version."""

from __future__ import annotations

import http.client
import socket
import struct
import time
import urllib.error
import urllib.request
from email.utils import formatdate
from pathlib import Path

import pytest
from test_spider import HOST, Site, article_page, listing_page

from conftest import run_tnmt
from crawler.health import is_layout_broken
from crawler.mirror import MirrorServer
from crawler.storage import Store

EVERY_YOUNG_ARTICLE_NOW = ("--set", "TNMT_REVISIT_MAX_AGE_DAYS=100000",
                           "--set", "TNMT_REVISIT_INTERVAL_HOURS=0")


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str]]:
    """GET `url` with `headers`; return the status and the response headers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_the_mirror_answers_conditional_requests_like_a_server(tmp_path: Path) -> None:
    page = tmp_path / HOST / "tin" / "bai-1.html"
    page.parent.mkdir(parents=True)
    page.write_text(article_page(1), encoding="utf-8")
    with MirrorServer(tmp_path) as server:
        url = f"http://{server.address}/{HOST}/tin/bai-1.html"
        status, headers = fetch(url)
        assert status == 200 and headers["ETag"].startswith('"')
        assert headers["Last-Modified"] == formatdate(page.stat().st_mtime, usegmt=True)
        assert fetch(url, **{"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(url, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert fetch(url, **{"If-Modified-Since": formatdate(0, usegmt=True)})[0] == 200
        # If-None-Match wins over If-Modified-Since, as a real server's does.
        assert fetch(url, **{"If-None-Match": '"other"',
                             "If-Modified-Since": headers["Last-Modified"]})[0] == 200
        page.write_text(article_page(1) + "<!-- sửa -->", encoding="utf-8")
        assert fetch(url, **{"If-None-Match": headers["ETag"]})[0] == 200
    assert [status for _path, status in server.request_log] == [200, 304, 304, 200, 200, 200]


def test_the_mirror_keeps_a_connection_open_for_the_next_request(tmp_path: Path) -> None:
    page = tmp_path / HOST / "tin" / "bai-1.html"
    page.parent.mkdir(parents=True)
    page.write_text(article_page(1), encoding="utf-8")
    with MirrorServer(tmp_path) as server:
        connection = http.client.HTTPConnection(server.address)
        answers = []
        for path in ("/tin/bai-1.html", "/tin/none.html", "/tin/bai-1.html"):
            connection.request("GET", f"/{HOST}{path}")
            response = connection.getresponse()
            answers.append((response.status, len(response.read())))
            socket = connection.sock  # None once the server closed the connection
            assert socket is not None and not response.will_close
        connection.close()
    size = len(article_page(1).encode())
    assert answers == [(200, size), (404, len(b"not found")), (200, size)]


def test_a_client_hanging_up_mid_reply_leaves_nothing_on_stderr(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # socketserver prints each handler's error from the handler's thread, whenever it comes:
    # into another test's output, or a command's read by a test. A client that goes away (a
    # crawl that timed out, gave up or ended) is no error of the mirror's.
    page = tmp_path / HOST / "tin" / "bai-1.html"
    page.parent.mkdir(parents=True)
    page.write_text(article_page(1, padding=2_000_000), encoding="utf-8")
    with MirrorServer(tmp_path) as server:
        host, port = server.address.split(":")
        for _ in range(5):
            with socket.create_connection((host, int(port))) as client:
                client.sendall(f"GET /{HOST}/tin/bai-1.html HTTP/1.1\r\nHost: {HOST}\r\n\r\n"
                               .encode())
                client.recv(100)  # the reply has begun
                # SO_LINGER 0: close() resets the connection in the middle of the reply
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.5)  # the handlers' writes fail meanwhile
        assert len(server.request_log) == 5
    assert capfd.readouterr().err == ""


def article_requests(site: Site) -> dict[str, int]:
    """{article number: status} of the last crawl's article requests."""
    return {int(path.rsplit("-", 1)[1].removesuffix(".html")): status
            for path, status in site.requests if "/tin/bai-" in path}


def listing_requests(site: Site) -> dict[str, int]:
    return {path.rsplit("/", 1)[1]: status for path, status in site.requests
            if "/tin-tuc/" in path}


def summary_row(site: Site) -> list[str]:
    """The crawl summary's row: source, status, pages, new, duplicate, dropped, errors."""
    line = next(line for line in site.result.stdout.splitlines() if "snnmt_thu" in line)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def write_listing(site: Site, pages: list[list[int]]) -> None:
    for number, articles in enumerate(pages, start=1):
        more = f"/tin-tuc/trang-{number + 1}.html" if number < len(pages) else ""
        site.write(f"tin-tuc/trang-{number}.html",
                   listing_page([f"/tin/bai-{article}.html" for article in articles], more))


@pytest.fixture
def news_site(tmp_path: Path) -> Site:
    """Three articles on two listing pages, newest first, and a page too short to keep (9)."""
    site = Site(tmp_path)
    for number in (1, 2, 3):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.write("tin/bai-9.html", "<html><body><h1>Tin số 9 về môi trường</h1><p>Ngắn.</p>"
               "</body></html>")
    write_listing(site, [[3, 2, 9], [1]])
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/trang-1.html"]\nmax_pages = 3',
                  'next_page = "a.next"')
    return site


def test_a_changing_site_is_crawled_incrementally(news_site: Site) -> None:
    site = news_site
    assert len(site.crawl()) == 3
    assert article_requests(site) == {1: 200, 2: 200, 3: 200, 9: 200}

    # Nothing changed: no article is asked for, each listing page only conditionally.
    site.crawl()
    assert article_requests(site) == {}
    assert listing_requests(site) == {"trang-1.html": 304}
    assert {status for path, status in site.requests if "robots.txt" not in path} == {304}
    # ...and an unchanged listing is not a listing without links: health must not read
    # a quiet site as a changed layout.
    steady_run = Store(site.db).runs(limit=1)[0]
    assert (steady_run.status, steady_run.discovery_pages, steady_run.links) == ("ok", 0, 0)
    assert not is_layout_broken(steady_run)

    # A new article on top pushes the others down a page; article 2 is edited.
    site.write("tin/bai-4.html", article_page(4))
    write_listing(site, [[4, 3, 9], [2], [1]])
    edited = article_page(2).replace("Bài 2.", "Bài 2 (đã sửa: bổ sung số liệu quan trắc).")
    site.write("tin/bai-2.html", edited)
    stored = site.crawl(*EVERY_YOUNG_ARTICLE_NOW)
    assert sorted(article["url"].rsplit("/", 1)[1] for article in stored) == \
        ["bai-1.html", "bai-2.html", "bai-3.html", "bai-4.html"]
    # Article 4 is new; 1-3 are revisited conditionally and only 2 has changed; the page
    # dropped last time is asked for conditionally (not stored, so not known).
    assert article_requests(site) == {1: 304, 2: 200, 3: 304, 4: 200, 9: 304}
    assert summary_row(site) == ["snnmt_thu", "ok", "2", "1", "0", "0", "0"]
    # Page 2 lists only a known article: pagination stops there, page 3 is not asked for.
    assert listing_requests(site) == {"trang-1.html": 200, "trang-2.html": 200}
    versions = {article["url"].rsplit("/", 1)[1]: article["versions"] for article in stored}
    assert versions == {"bai-1.html": 0, "bai-2.html": 2, "bai-3.html": 0, "bai-4.html": 0}

    article_id = next(a["id"] for a in stored if a["url"].endswith("bai-2.html"))
    history = run_tnmt("articles", "history", str(article_id), "--db", site.db, check=True)
    assert "2 versions" in history.stdout
    assert "-Bài 2. Sở Nông nghiệp" in history.stdout
    assert "+Bài 2 (đã sửa: bổ sung số liệu quan trắc). Sở Nông nghiệp" in history.stdout

    # --full asks for every listing page and every article again, unconditionally;
    # finding them as stored, it adds no article and no version.
    refetched = site.crawl("--full")
    assert article_requests(site) == {1: 200, 2: 200, 3: 200, 4: 200, 9: 200}
    assert listing_requests(site) == {f"trang-{page}.html": 200 for page in (1, 2, 3)}
    assert {a["url"]: a["versions"] for a in refetched} == \
        {a["url"]: a["versions"] for a in stored}


def test_a_run_with_a_failed_article_reads_its_listing_again(news_site: Site) -> None:
    site = news_site
    (site.files / "tin" / "bai-2.html").unlink()
    assert len(site.crawl()) == 2
    site.write("tin/bai-2.html", article_page(2))
    assert len(site.crawl()) == 3
    assert listing_requests(site)["trang-1.html"] == 200  # not 304: the retry needs it
    assert article_requests(site) == {2: 200, 9: 304}


def test_since_paginates_back_to_the_date(tmp_path: Path) -> None:
    site = Site(tmp_path)
    days = {1: "05/03/2025", 2: "04/03/2025", 3: "20/02/2025", 4: "10/01/2025"}
    for number in (*days, 5, 6):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.write("sitemap.xml", "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/"
               "schemas/sitemap/0.9'>" + "".join(
                   f"<url><loc>https://{HOST}/tin/bai-{n}.html</loc><lastmod>{day}</lastmod></url>"
                   for n, day in ((5, "2025-02-01"), (6, "2025-03-06"))) + "</urlset>")
    pages = [[1, 2], [3], [4]]
    for page, numbers in enumerate(pages, start=1):
        items = "".join(f"<li><a href='/tin/bai-{n}.html'>Tin {n}</a> <span>{days[n]}</span></li>"
                        for n in numbers)
        more = f"<a class='next' href='/tin-tuc/trang-{page + 1}.html'>Trang sau</a>"
        site.write(f"tin-tuc/trang-{page}.html",
                   f"<html><body><ul>{items}</ul>{more}</body></html>")
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/trang-1.html"]\nmax_pages = 5\n'
                  f'sitemaps = ["https://{HOST}/sitemap.xml"]',
                  'next_page = "a.next"\nlinks = "ul a"')
    site.crawl("--since", "2025-03-01")
    # Page 2 shows only older dates: it is the last one read. The sitemap's older entry is
    # left alone.
    assert listing_requests(site) == {"trang-1.html": 200, "trang-2.html": 200}
    assert article_requests(site) == {1: 200, 2: 200, 3: 200, 6: 200}


def test_bad_backfill_date_and_unknown_article_are_refused_in_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "tnmt.db")
    crawl = run_tnmt("crawl", "--since", "hôm kia nữa", "--db", db)
    assert crawl.returncode == 2
    assert "Invalid value for --since: cannot read 'hôm kia nữa' as a date" in crawl.stderr
    history = run_tnmt("articles", "history", "999", "--db", db)
    assert (history.returncode, history.stderr) == (1, "error: no article with id 999\n")
