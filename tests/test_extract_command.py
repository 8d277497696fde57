"""`tnmt extract` on saved pages prints the article, as users check a page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import RESOURCES, expected_articles, mirror_page
from crawler.article import normalise_text
from crawler.cli import main

EXPECTED = expected_articles()
SEEDS = {  # seed text file -> the mirror page built from it
    "000_36227b174fe24a97.txt": "baotainguyenmoitruong",
    "001_d4bd02a7391fd254.txt": "stnmt_binhduong",
    "002_a3c3f26d252575c3.txt": "baohatinh",
}
SEED_BOILERPLATE = ("--Quảng cáo---", "Xem với cỡ chữ", "(0) Bình luận", "Tin nổi bật",
                    "Đọc thêm", "POWERED BY ONECMS", "Mới nhất & Dành cho bạn",
                    "Sở TN&MT Bình Dương: Quyết liệt triển khai thực hiện nhiệm vụ năm 2019")


def expected_text(expected: dict) -> str:
    return "\n".join(normalise_text(part) for part in [expected["lead"], *expected["body"]]
                     if part)


def extract(page: bytes, url: str, fmt: str) -> str:
    result = CliRunner().invoke(main, ["extract", "-", "--url", url, "--format", fmt],
                                input=page)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("expected", EXPECTED, ids=[Path(a["_file"]).stem for a in EXPECTED])
def test_extract_prints_the_expected_article(expected: dict) -> None:
    page = mirror_page(expected["url"])
    printed = json.loads(extract(page, expected["url"], "json"))
    assert printed["title"] == normalise_text(expected["title"])
    assert printed["published_at"] == expected["published_at"]
    assert printed["author"] == expected["author"]
    assert printed["text"] == expected_text(expected)
    assert extract(page, expected["url"], "text") == expected_text(expected) + "\n"


def seed_expectation(seed_file: str) -> dict:
    source = SEEDS[seed_file]
    seed_lines = {normalise_text(line) for line in
                  (RESOURCES / "seeds" / seed_file).read_text("utf-8").splitlines()}
    candidates = [a for a in EXPECTED if a["source"] == source and
                  normalise_text(a["title"]) in seed_lines]
    assert len(candidates) == 1, f"no single mirror article made from {seed_file}"
    return candidates[0]


@pytest.mark.parametrize("seed_file", sorted(SEEDS))
def test_extract_on_a_seed_page_prints_the_seed_article(seed_file: str) -> None:
    expected = seed_expectation(seed_file)
    seed_lines = [normalise_text(line) for line in
                  (RESOURCES / "seeds" / seed_file).read_text("utf-8").splitlines()]
    text = extract(mirror_page(expected["url"]), expected["url"], "text")
    lines = text.splitlines()
    assert all(line in seed_lines for line in lines), "a printed line is not in the seed"
    for boilerplate in SEED_BOILERPLATE:
        assert boilerplate not in text
    assert text == expected_text(expected) + "\n"
    printed = json.loads(extract(mirror_page(expected["url"]), expected["url"], "json"))
    assert printed["published_at"] == expected["published_at"]


def test_extract_reports_a_page_without_article(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>Trang chủ</nav></body></html>", encoding="utf-8")
    result = CliRunner().invoke(main, ["extract", str(empty)])
    assert result.exit_code == 1
    assert f"error: no article found in {empty}" in result.output
