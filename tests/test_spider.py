"""The spider's discovery and politeness, on small sites built by each test and served on
127.0.0.1 by the same mirror server, crawled through the real Scrapy engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import run_tnmt
from crawler.export import article_record
from crawler.mirror import MirrorServer
from crawler.storage import Store

HOST = "snnmt.thu.gov.vn"
PARAGRAPH = ("Sở Nông nghiệp và Môi trường tỉnh đã tổ chức kiểm tra công tác bảo vệ môi trường "
             "tại các khu công nghiệp, yêu cầu doanh nghiệp vận hành đúng hệ thống xử lý nước "
             "thải và báo cáo kết quả quan trắc định kỳ theo quy định.")


def article_page(number: int, padding: int = 0) -> str:
    filler = f"<!-- {'x' * padding} -->" if padding else ""
    return (f"<html><head><meta charset='utf-8'><title>Tin {number}</title></head><body>"
            f"<article><h1>Tin số {number} về kiểm tra môi trường khu công nghiệp</h1>"
            f"<p class='date'>08:30, 0{number % 9 + 1}/03/2025</p>"
            f"<p>Bài {number}. {PARAGRAPH}</p><p>{PARAGRAPH}</p></article>{filler}</body></html>")


def listing_page(links: list[str], next_href: str = "") -> str:
    anchors = "".join(f"<li><a href='{href}'>tin</a></li>" for href in links)
    more = f"<a class='next' href='{next_href}'>Trang sau</a>" if next_href else ""
    return f"<html><body><ul class='list'>{anchors}</ul>{more}</body></html>"


class Site:
    """A throwaway site under tmp_path, its registry entry, and a crawl of it."""

    def __init__(self, root: Path):
        self.sites = root / "sites"
        self.files = self.sites / HOST
        self.files.mkdir(parents=True)
        self.sources = root / "sources"
        self.sources.mkdir()
        self.db = f"sqlite:///{root / 'tnmt.db'}"
        self.write("robots.txt", "User-agent: *\nDisallow:\n")

    def write(self, path: str, text: str) -> None:
        target = self.files / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def register(self, discovery: str, selectors: str = "") -> None:
        (self.sources / "snnmt_thu.toml").write_text(
            f'id = "snnmt_thu"\nname = "Sở NN&MT thử"\nprovince = "Hà Tĩnh"\n'
            f'kind = "department"\nhomepage = "https://{HOST}/"\n[discovery]\n{discovery}\n'
            f"article_pattern = '^https://{HOST}/tin/[a-z0-9-]+\\.html$'\n"
            f"[selectors]\n{selectors}\n", encoding="utf-8")

    def crawl(self, *options: str) -> list[dict]:
        with MirrorServer(self.sites) as server:
            self.result = run_tnmt("crawl", "snnmt_thu", "--sources", str(self.sources),
                                   "--db", self.db, "--mirror", server.address, *options)
        self.requests = server.request_log  # (path, status) of every request of the crawl
        # What `tnmt articles list --format json` prints (tests/test_cli.py runs that
        # command), read here without a second child process per crawl.
        with Store(self.db) as store:
            return [article_record(row) for row in store.articles()]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield Site(tmp_path)


def stored_numbers(articles: list[dict]) -> list[int]:
    return sorted(int(a["url"].rsplit("-", 1)[1].removesuffix(".html")) for a in articles)


def test_pagination_stops_at_max_pages(site: Site) -> None:
    for page in range(1, 6):
        site.write(f"tin-tuc/trang-{page}.html",
                   listing_page([f"/tin/bai-{page}.html"], f"/tin-tuc/trang-{page + 1}.html"))
        site.write(f"tin/bai-{page}.html", article_page(page))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/trang-1.html"]\nmax_pages = 3',
                  'next_page = "a.next"')
    assert stored_numbers(site.crawl()) == [1, 2, 3]


def test_pagination_goes_on_past_a_page_of_already_seen_articles(site: Site) -> None:
    site.write("tin-tuc/trang-1.html", listing_page(["/tin/bai-1.html"], "/tin-tuc/trang-2.html"))
    site.write("tin-tuc/trang-2.html", listing_page(["/tin/bai-1.html"], "/tin-tuc/trang-3.html"))
    site.write("tin-tuc/trang-3.html", listing_page(["/tin/bai-3.html"], "/tin-tuc/trang-4.html"))
    site.write("tin-tuc/trang-4.html", listing_page([], "/tin-tuc/trang-5.html"))
    site.write("tin-tuc/trang-5.html", listing_page(["/tin/bai-5.html"]))
    for number in (1, 3, 5):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/trang-1.html"]\nmax_pages = 5',
                  'next_page = "a.next"')
    assert stored_numbers(site.crawl()) == [1, 3]  # page 4 lists nothing: the end


def test_pagination_template_is_followed(site: Site) -> None:
    for page in range(1, 3):
        site.write(f"tin-tuc/trang-{page}.html", listing_page([f"/tin/bai-{page}.html"]))
        site.write(f"tin/bai-{page}.html", article_page(page))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/trang-1.html"]\n'
                  f'pagination = "https://{HOST}/tin-tuc/trang-{{page}}.html"\nmax_pages = 2')
    assert stored_numbers(site.crawl()) == [1, 2]


def test_robots_txt_is_obeyed(site: Site) -> None:
    site.write("robots.txt", "User-agent: *\nDisallow: /tin/rieng-\n")
    site.write("tin-tuc/index.html", listing_page(["/tin/bai-1.html", "/tin/rieng-2.html"]))
    site.write("tin/bai-1.html", article_page(1))
    site.write("tin/rieng-2.html", article_page(2))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    assert stored_numbers(site.crawl()) == [1]


def test_sitemap_index_and_feed_are_followed(site: Site) -> None:
    site.write("sitemap.xml", "<?xml version='1.0'?><sitemapindex xmlns="
               "'http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap>"
               f"<loc>https://{HOST}/sitemap-news.xml</loc></sitemap></sitemapindex>")
    site.write("sitemap-news.xml", "<?xml version='1.0'?><urlset xmlns="
               "'http://www.sitemaps.org/schemas/sitemap/0.9'><url>"
               f"<loc>https://{HOST}/tin/bai-1.html</loc><lastmod>2025-03-02</lastmod></url>"
               "</urlset>")
    site.write("rss/tin.rss", "<?xml version='1.0'?><rss version='2.0'><channel><item>"
               f"<link>https://{HOST}/tin/bai-2.html?utm_source=rss</link>"
               "<pubDate>Mon, 03 Mar 2025 08:30:00 +0700</pubDate></item></channel></rss>")
    site.write("tin/bai-1.html", article_page(1))
    site.write("tin/bai-2.html", article_page(2))
    site.register(f'sitemaps = ["https://{HOST}/sitemap.xml"]\n'
                  f'feeds = ["https://{HOST}/rss/tin.rss"]')
    articles = site.crawl()
    assert stored_numbers(articles) == [1, 2]
    assert all("utm_" not in a["url"] for a in articles)


def test_a_sitemap_larger_than_the_scheduler_queue_is_fetched_whole(site: Site) -> None:
    # 3 article requests at most in the scheduler: the other 27 links wait in the spider's
    # backlog and must all be fetched, once each, before the crawl ends.
    entries = "".join(f"<url><loc>https://{HOST}/tin/bai-{number}.html</loc></url>"
                      for number in range(1, 31))
    site.write("sitemap.xml", "<?xml version='1.0'?><urlset xmlns="
               f"'http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>")
    for number in range(1, 31):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.register(f'sitemaps = ["https://{HOST}/sitemap.xml"]')
    assert stored_numbers(site.crawl("--set", "TNMT_ARTICLE_REQUESTS_QUEUED=3")) \
        == list(range(1, 31))
    fetched = [path for path, _status in site.requests if "/tin/" in path]
    assert len(fetched) == len(set(fetched)) == 30


def test_since_skips_each_sitemap_entry_by_its_own_date(site: Site) -> None:
    # Every entry's lastmod decides for that entry alone (the store is asked once for all).
    dates = {1: "2025-02-10", 2: "2025-03-05", 3: "2025-01-20", 4: "2025-03-20", 5: "2025-03-02"}
    entries = "".join(f"<url><loc>https://{HOST}/tin/bai-{number}.html</loc>"
                      f"<lastmod>{day}</lastmod></url>" for number, day in dates.items())
    site.write("sitemap.xml", "<?xml version='1.0'?><urlset xmlns="
               f"'http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>")
    for number in dates:
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.register(f'sitemaps = ["https://{HOST}/sitemap.xml"]')
    assert stored_numbers(site.crawl("--since", "2025-03-01")) == [2, 4, 5]
    assert sorted(path.split(HOST)[-1] for path, _status in site.requests if "/tin/" in path) \
        == ["/tin/bai-2.html", "/tin/bai-4.html", "/tin/bai-5.html"]


def test_a_page_over_the_size_limit_is_refused_and_counted(site: Site) -> None:
    site.write("tin-tuc/index.html", listing_page(["/tin/bai-1.html", "/tin/bai-2.html"]))
    site.write("tin/bai-1.html", article_page(1))
    site.write("tin/bai-2.html", article_page(2, padding=200_000))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    assert stored_numbers(site.crawl("--set", "DOWNLOAD_MAXSIZE=100000")) == [1]
    assert site.result.returncode == 0
    assert "partial" in site.result.stdout


def test_a_failing_article_is_counted_and_the_rest_stored(site: Site) -> None:
    site.write("tin-tuc/index.html", listing_page(["/tin/bai-1.html", "/tin/bai-9.html"]))
    site.write("tin/bai-1.html", article_page(1))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    assert stored_numbers(site.crawl()) == [1]
    assert site.result.returncode == 0
    summary = next(line for line in site.result.stdout.splitlines() if "snnmt_thu" in line)
    assert summary.split("│")[2].strip() == "partial"
    assert summary.split("│")[-2].strip() == "1"



def test_the_last_articles_are_written_without_waiting_for_the_batch_timer(site: Site) -> None:
    # Every item in the pipelines waits for the batch: nothing else can join it, so it is
    # written at once, not after TNMT_STORE_BATCH_SECONDS (which would hold the crawl a
    # minute here) nor when it reaches TNMT_STORE_BATCH_SIZE.
    site.write("tin-tuc/index.html",
               listing_page([f"/tin/bai-{number}.html" for number in range(1, 9)]))
    for number in range(1, 9):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    started = time.monotonic()
    stored = site.crawl("--set", "TNMT_STORE_BATCH_SECONDS=60",
                        "--set", "TNMT_STORE_BATCH_SIZE=1000")
    assert stored_numbers(stored) == list(range(1, 9))
    assert time.monotonic() - started < 40


def test_a_meta_refresh_in_the_head_of_a_long_page_is_followed(site: Site) -> None:
    # Only the first 16 KB of a page are read for a refresh (crawler/meta_refresh.py): the
    # <meta> in the head of a longer page is found there, and a long page without one is
    # stored whole, its last paragraph included.
    site.write("tin-tuc/index.html", listing_page(["/tin/bai-cu.html", "/tin/bai-3.html"]))
    site.write("tin/bai-cu.html",
               "<html><head><meta http-equiv='refresh' content='0; url=/tin/bai-2.html'>"
               f"</head><body>{'<p>Bài đã chuyển sang địa chỉ mới.</p>' * 1000}</body></html>")
    site.write("tin/bai-2.html", article_page(2))
    last = "Đoạn cuối của bài viết dài, sau mười sáu kilobyte đầu tiên của trang."
    site.write("tin/bai-3.html", article_page(3).replace(
        "</article>", f"{f'<p>{PARAGRAPH}</p>' * 60}<p>{last}</p></article>"))
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    stored = site.crawl()
    assert stored_numbers(stored) == [2, 3]
    assert any("/tin/bai-2.html" in path for path, _status in site.requests)
    long_page = next(article for article in stored if article["url"].endswith("bai-3.html"))
    assert len((site.files / "tin/bai-3.html").read_bytes()) > 16 * 1024
    assert last in long_page["text"]
