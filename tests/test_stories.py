"""Near-duplicates across sources: the labelled set's precision and recall, the story index
in the database, and a real crawl where two sources re-publish one press release."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_storage import make_article, store  # noqa: F401  (the store fixture: SQLite, PostgreSQL)

from conftest import RESOURCES, run_tnmt
from crawler import settings
from crawler.article import Article, content_hash
from crawler.cli import main
from crawler.mirror import MirrorServer
from crawler.storage import NewArticle, Store, StoryBand
from crawler.stories import Fingerprint, fingerprint, same_story, shingles, story_text

NEARDUP = RESOURCES / "neardup"
SHAPE = {"permutations": settings.TNMT_STORY_PERMUTATIONS,
         "shingle_words": settings.TNMT_STORY_SHINGLE_WORDS,
         "band_rows": settings.TNMT_STORY_BAND_ROWS}
# Floors set from the measurement (BENCHMARKS.md "Near-duplicates": 1.000 and 1.000).
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.95


def read_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (NEARDUP / name).read_text("utf-8").splitlines()]


def labelled_fingerprints() -> dict[str, Fingerprint]:
    return {piece["id"]: fingerprint(story_text(Article(
                url=piece["id"], title=piece["title"], lead=piece["lead"],
                paragraphs=tuple(piece["body"]))), **SHAPE)
            for piece in read_lines("articles.jsonl")}


def test_labelled_set_is_judged_above_the_floors() -> None:
    pairs = read_lines("pairs.jsonl")
    prints = labelled_fingerprints()
    positives = [pair for pair in pairs if pair["same"]]
    assert len(positives) >= 40 and len(pairs) - len(positives) >= len(positives) - 4
    said = [same_story(prints[p["a"]], prints[p["b"]], settings.TNMT_STORY_THRESHOLD)
            for p in pairs]
    hits = sum(1 for verdict, pair in zip(said, pairs, strict=True) if verdict and pair["same"])
    assert hits / max(1, sum(said)) >= PRECISION_FLOOR
    assert hits / len(positives) >= RECALL_FLOOR


def test_shingles_ignore_case_spacing_and_punctuation() -> None:
    assert shingles("Sở  TN&MT Bình Dương,\xa0tổ chức", 3) == shingles(
        "sở tn mt bình DƯƠNG tổ chức", 3)
    assert shingles("", 4) == set()


def test_text_without_words_gets_no_index_entries() -> None:
    assert fingerprint(" - ", **SHAPE).buckets == ()


def test_signatures_are_the_same_in_another_process() -> None:
    """Stored signatures are compared with new ones: every process must draw the same hashes."""
    text = "Sở Tài nguyên và Môi trường tỉnh Hà Tĩnh kiểm tra các mỏ cát trên sông Nghèn."
    code = ("import sys; from crawler.stories import fingerprint; "
            f"sys.stdout.write(fingerprint({text!r}, **{SHAPE!r}).signature.hex())")
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert child.stdout == fingerprint(text, **SHAPE).signature.hex()


def add_with_story(store: Store, article: Article, source_id: str = "bonnmt") -> int | None:  # noqa: F811
    """Store an article the way the store pipeline does: with its story fingerprint."""
    return store.add_article(article, source_id=source_id, content_hash=content_hash(article),
                             run_id=None, fingerprint=fingerprint(story_text(article), **SHAPE))


PRESS_RELEASE = (
    "Ngày 12/3, Sở Nông nghiệp và Môi trường tỉnh Hà Tĩnh tổ chức hội nghị triển khai kế hoạch "
    "kiểm tra các mỏ cát lòng sông trong mùa khô, tập trung vào ranh giới, độ sâu khai thác và "
    "việc lắp đặt trạm cân, camera giám sát tại bến bãi của các doanh nghiệp được cấp phép.",
    "Theo kế hoạch, từ ngày 15/3 đến hết tháng 5, đoàn kiểm tra liên ngành gồm Sở Nông nghiệp và "
    "Môi trường, Công an tỉnh và chính quyền các xã ven sông sẽ kiểm tra 18 mỏ cát trên sông "
    "Lam, sông La và sông Ngàn Sâu; các mỏ vi phạm sẽ bị tạm dừng khai thác.",
    "Lãnh đạo Sở đề nghị các địa phương tăng cường tuần tra ban đêm, xử lý nghiêm các phương "
    "tiện khai thác cát trái phép và công khai đường dây nóng để người dân phản ánh vi phạm.",
)
OTHER_STORY = (
    "Sáng 14/3, Ủy ban nhân dân tỉnh Hà Tĩnh tổ chức lễ ra quân thu gom rác thải nhựa dọc bờ "
    "biển Thạch Hải, với sự tham gia của hơn 500 đoàn viên thanh niên và người dân địa phương.",
    "Chỉ trong một buổi sáng, lực lượng tham gia đã thu gom gần 4 tấn rác thải, chủ yếu là chai "
    "nhựa, lưới đánh cá cũ và túi nilon, chuyển về khu xử lý tập trung của huyện Thạch Hà.",
    "Ban tổ chức cũng trao tặng 200 thùng rác phân loại cho các thôn ven biển và phát động phong "
    "trào nói không với túi nilon tại các chợ dân sinh trong tỉnh.",
)


def test_a_republished_copy_joins_the_story_with_its_bands_in_the_same_write(
        store: Store) -> None:  # noqa: F811
    first = add_with_story(store, Article(url="https://snnmt.hatinh.gov.vn/tin/1.html",
                                          title="Kiểm tra các mỏ cát mùa khô",
                                          paragraphs=PRESS_RELEASE))
    copy = add_with_story(store, Article(
        url="https://baohatinh.vn/kiem-tra-mo-cat/300001.htm",
        title="Hà Tĩnh: Kiểm tra 18 mỏ cát lòng sông", lead="(Baohatinh.vn) - Đoàn liên ngành "
        "sẽ kiểm tra 18 mỏ cát trên ba con sông lớn.",
        paragraphs=(*PRESS_RELEASE[:2], "Nguồn: Sở Nông nghiệp và Môi trường Hà Tĩnh")))
    other = add_with_story(store, Article(url="https://baohatinh.vn/thu-gom-rac/300002.htm",
                                          title="Ra quân thu gom rác thải nhựa ven biển",
                                          paragraphs=OTHER_STORY))
    assert first is not None and copy is not None and other is not None
    assert [row.id for row in store.story_copies(first)] == [first, copy]
    assert store.story_copies(other)[0].id == other
    assert sorted(len(story) for story in store.stories()) == [1, 2]
    with store.reading() as session:
        indexed = {row.article_id for row in session.query(StoryBand)}
    assert indexed == {first, copy, other}


def test_a_refused_duplicate_leaves_no_story_or_band_behind(store: Store) -> None:  # noqa: F811
    article = make_article("https://mae.gov.vn/a-1.htm", body=" ".join(PRESS_RELEASE))
    assert add_with_story(store, article) is not None
    with store.reading() as session:
        bands = session.query(StoryBand).count()
    assert add_with_story(store, make_article("https://mae.gov.vn/b-2.htm",
                                              body=" ".join(PRESS_RELEASE))) is None
    with store.reading() as session:
        assert session.query(StoryBand).count() == bands
    assert len(store.stories()) == 1


def new_article(article: Article) -> NewArticle:
    """What the store pipeline hands the batch writer."""
    return NewArticle(article, "bonnmt", content_hash(article), None,
                      fingerprint=fingerprint(story_text(article), **SHAPE))


def test_copies_written_in_one_batch_make_one_story_and_one_article(
        store: Store) -> None:  # noqa: F811
    """A batch's articles are compared with the ones stored before them in the batch too."""
    threshold = settings.TNMT_STORY_THRESHOLD
    press = Article(url="https://snnmt.hatinh.gov.vn/tin/1.html",
                    title="Kiểm tra các mỏ cát mùa khô", paragraphs=PRESS_RELEASE)
    copy = Article(url="https://baohatinh.vn/kiem-tra-mo-cat/300001.htm",
                   title="Hà Tĩnh: Kiểm tra 18 mỏ cát lòng sông",
                   paragraphs=(*PRESS_RELEASE[:2], "Nguồn: Sở Nông nghiệp và Môi trường"))
    same_text = Article(url="https://baohatinh.vn/ban-sao/300003.htm", title=press.title,
                        paragraphs=PRESS_RELEASE)
    other = Article(url="https://baohatinh.vn/thu-gom-rac/300002.htm",
                    title="Ra quân thu gom rác thải nhựa ven biển", paragraphs=OTHER_STORY)
    batch = [new_article(article) for article in (press, copy, same_text, other)]
    written = store.add_articles(batch, threshold)
    first, copied, duplicate, apart = (outcome.article_id for outcome in written)
    assert first and copied and apart and duplicate is None
    assert written[1].story_id == first and written[2].duplicate_of == first
    assert written[0].story_id is None and written[3].story_id is None
    assert [row.id for row in store.story_copies(first)] == [first, copied]
    assert [row.id for row in store.story_copies(apart)] == [apart]
    stored = store.get_article(first)
    assert stored is not None and {alias.url for alias in stored.aliases} == {same_text.url}


# --- a real crawl: a department portal and a newspaper re-publishing its press release -------

PORTAL, PAPER = "snnmt.thu.gov.vn", "baothu.vn"


def page(title: str, paragraphs: tuple[str, ...], breadcrumb: str = "", extra: str = "") -> str:
    crumbs = f"<div class='breadcrumb'><a href='/'>Trang chủ</a> › {breadcrumb}</div>"
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{crumbs}"
            f"<article><h1>{title}</h1><p class='date'>08:30, 12/03/2025</p>{body}</article>"
            f"{extra}<footer>Bản quyền thuộc về cơ quan chủ quản.</footer></body></html>")


def listing(links: list[str]) -> str:
    return "<html><body><ul>" + "".join(f"<li><a href='{link}'>tin</a></li>" for link in links) \
        + "</ul></body></html>"


def source_toml(source_id: str, host: str, kind: str, listing_path: str, topics: str) -> str:
    return (f'id = "{source_id}"\nname = "{source_id}"\nprovince = "Hà Tĩnh"\nkind = "{kind}"\n'
            f'homepage = "https://{host}/"\n[discovery]\n'
            f'start_urls = ["https://{host}{listing_path}"]\n'
            f"article_pattern = '^https://{host}/[a-z-]+/[a-z0-9-]+\\.html$'\n[topics]\n{topics}\n")


def write_sites(root: Path) -> tuple[Path, Path]:
    files = {
        f"{PORTAL}/robots.txt": "User-agent: *\nDisallow:\n",
        f"{PORTAL}/tin-tuc/index.html": listing(["/tin-tuc/kiem-tra-mo-cat-mua-kho.html"]),
        f"{PORTAL}/tin-tuc/kiem-tra-mo-cat-mua-kho.html": page(
            "Triển khai kế hoạch kiểm tra các mỏ cát lòng sông mùa khô năm 2025", PRESS_RELEASE),
        f"{PAPER}/robots.txt": "User-agent: *\nDisallow:\n",
        f"{PAPER}/tin-moi/index.html": listing([
            "/moi-truong/ha-tinh-kiem-tra-18-mo-cat.html", "/xa-hoi/ra-quan-thu-gom-rac.html",
            "/xa-hoi/nuoc-sach-ve-thon.html", "/the-thao/giai-bong-da-thieu-nien.html"]),
        f"{PAPER}/moi-truong/ha-tinh-kiem-tra-18-mo-cat.html": page(
            "Hà Tĩnh: Kiểm tra 18 mỏ cát trên sông Lam, sông La, sông Ngàn Sâu",
            ("(Báo Thử) - Đoàn liên ngành sẽ kiểm tra 18 mỏ cát lòng sông đến hết tháng 5.",
             *PRESS_RELEASE[:2], "Nguồn: Sở Nông nghiệp và Môi trường Hà Tĩnh"),
            "<a href='/moi-truong/'>Môi trường</a>",
            "<div class='related'><h3>Tin liên quan</h3><a href='/x/1.html'>Tin khác</a></div>"),
        f"{PAPER}/xa-hoi/ra-quan-thu-gom-rac.html": page(
            "Ra quân thu gom rác thải nhựa ven biển Thạch Hải", OTHER_STORY,
            "<a href='/xa-hoi/'>Xã hội</a>"),
        f"{PAPER}/xa-hoi/nuoc-sach-ve-thon.html": page(
            "Nước sạch về với 1.200 hộ dân vùng cao Hương Khê", (
                "Công trình cấp nước tập trung tại xã Hương Lâm, huyện Hương Khê vừa được đưa "
                "vào sử dụng, cung cấp nước sạch cho 1.200 hộ dân của bốn thôn vùng cao.",
                "Trước đây, người dân phải dùng nước suối, nước giếng đào; mùa khô nhiều giếng "
                "cạn, bà con phải đi hàng cây số để gánh nước về dùng.",
                "Công trình có tổng vốn 18 tỷ đồng, công suất 600 mét khối mỗi ngày đêm."),
            "<a href='/moi-truong/nuoc-sach/'>Nước sạch</a>"),
        f"{PAPER}/the-thao/giai-bong-da-thieu-nien.html": page(
            "Khai mạc Giải Bóng đá Thiếu niên tỉnh Hà Tĩnh năm 2025", (
                "Chiều 10/3, tại Sân vận động tỉnh, Giải Bóng đá Thiếu niên tỉnh Hà Tĩnh năm "
                "2025 chính thức khai mạc với sự tham gia của 16 đội bóng đến từ các huyện.",
                "Các trận đấu diễn ra theo thể thức vòng tròn tính điểm, chọn bốn đội mạnh nhất "
                "vào vòng bán kết; trận chung kết dự kiến diễn ra vào cuối tháng Ba.",
                "Ban tổ chức trao cúp và giải thưởng cho đội vô địch, cầu thủ xuất sắc nhất."),
            "<a href='/the-thao/'>Thể thao</a>"),
    }
    sites, sources = root / "sites", root / "sources"
    for name, text in files.items():
        (sites / name).parent.mkdir(parents=True, exist_ok=True)
        (sites / name).write_text(text, "utf-8")
    sources.mkdir()
    (sources / "snnmt_thu.toml").write_text(
        source_toml("snnmt_thu", PORTAL, "department", "/tin-tuc/", ""), "utf-8")
    (sources / "bao_thu.toml").write_text(source_toml(
        "bao_thu", PAPER, "newspaper", "/tin-moi/",
        'keywords = ["rác thải", "khoáng sản"]\ncategories = ["/moi-truong/"]'), "utf-8")
    return sites, sources


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Crawl both throwaway sites once; return the database URL and the sources folder."""
    root = tmp_path_factory.mktemp("stories")
    sites, sources = write_sites(root)
    db = f"sqlite:///{root / 'tnmt.db'}"
    with MirrorServer(sites) as server:
        run_tnmt("crawl", "snnmt_thu", "bao_thu", "--sources", str(sources), "--db", db,
                 "--mirror", server.address, check=True)
    return db, sources


def tnmt(*args: str) -> str:
    """Run a reading `tnmt` command in this process (the crawl above ran as a child)."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def tnmt_json(*args: str) -> list[dict]:
    return json.loads(tnmt(*args, "--format", "json"))


def test_two_sources_republishing_one_press_release_make_one_story(
        two_sources: tuple[str, Path]) -> None:
    db, _ = two_sources
    stories = tnmt_json("articles", "list", "--stories", "--db", db)
    assert sorted(len(story["copies"]) for story in stories) == [1, 1, 2]
    [shared] = [story for story in stories if len(story["copies"]) == 2]
    assert {copy["source"] for copy in shared["copies"]} == {"snnmt_thu", "bao_thu"}
    table = tnmt("articles", "list", "--stories", "--db", db)
    assert "3 stories shown, 1 published more than once" in table
    exported = [json.loads(line) for line in tnmt("export", "--db", db).splitlines()]
    story_ids = {article["url"]: article["story_id"] for article in exported}
    assert len(set(story_ids.values())) == 3
    assert {story_ids[copy["url"]] for copy in shared["copies"]} == {shared["story_id"]}


def test_articles_show_names_the_story_and_its_other_copy(two_sources: tuple[str, Path]) -> None:
    db, _ = two_sources
    [shared] = [s for s in tnmt_json("articles", "list", "--stories", "--db", db)
                if len(s["copies"]) == 2]
    first, second = shared["copies"]
    shown = tnmt("articles", "show", str(second["id"]), "--db", db)
    assert f"story {shared['story_id']}: 2 copies" in shown
    assert f"also published by {first['source']} (article {first['id']})" in shown
    assert first["url"] in shown
    record = json.loads(tnmt("articles", "show", str(second["id"]), "--db", db, "--format",
                             "json"))
    assert [copy["id"] for copy in record["story_copies"]] == [first["id"]]


def test_a_newspaper_keeps_articles_by_category_or_keyword_and_says_why(
        two_sources: tuple[str, Path]) -> None:
    db, _ = two_sources
    reasons = {Path(a["url"]).name: a["relevance"]
               for a in tnmt_json("articles", "list", "--db", db, "--source", "bao_thu")}
    assert reasons == {"ha-tinh-kiem-tra-18-mo-cat.html": "category: /moi-truong/",
                       "ra-quan-thu-gom-rac.html": "keywords: rác thải",
                       "nuoc-sach-ve-thon.html": "category: /moi-truong/"}


def test_an_off_topic_page_is_recorded_with_its_reason_and_run_but_not_its_body(
        two_sources: tuple[str, Path]) -> None:
    db, _ = two_sources
    [dropped] = tnmt_json("articles", "list", "--dropped", "--db", db)
    assert dropped["url"] == f"https://{PAPER}/the-thao/giai-bong-da-thieu-nien.html"
    assert dropped["title"] == "Khai mạc Giải Bóng đá Thiếu niên tỉnh Hà Tĩnh năm 2025"
    assert dropped["reason"] == ("off topic: none of 2 keywords or categories /moi-truong/ "
                                 "matched (page under /the-thao/)")
    runs = {run.source_id: run.id for run in Store(db).runs()}
    assert dropped["run"] == runs["bao_thu"]
    assert "Sân vận động" not in json.dumps(dropped, ensure_ascii=False)


def test_stories_and_dropped_together_are_refused_in_one_line(
        two_sources: tuple[str, Path]) -> None:
    result = CliRunner().invoke(main, ["articles", "list", "--stories", "--dropped", "--db",
                                       two_sources[0]])
    assert result.exit_code == 1
    assert result.stderr == "error: --stories and --dropped cannot be combined\n"
