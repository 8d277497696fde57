"""The `tnmt` commands as a user runs them, output included."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from conftest import Crawl, expected_articles, run_tnmt
from crawler.registry import load_registry


def test_sources_list_shows_every_source_as_a_table() -> None:
    result = run_tnmt("sources", "list", check=True)
    registry = load_registry()
    assert f"{len(registry)} sources" in result.stdout
    for source_id in registry:
        assert source_id in result.stdout


def test_sources_show_prints_the_loaded_entry() -> None:
    result = run_tnmt("sources", "show", "baohatinh", check=True)
    path_line, _, entry = result.stdout.partition("\n")
    assert path_line.endswith("baohatinh.toml")
    loaded = json.loads(entry)
    assert loaded["id"] == "baohatinh"
    assert loaded["topics"]["keywords"]


def test_sources_validate_says_ok() -> None:
    result = run_tnmt("sources", "validate", check=True)
    assert result.stdout.strip() == f"ok: {len(load_registry())} sources valid"


def test_articles_list_filters_and_prints_json(mirror_crawl: Crawl) -> None:
    db = mirror_crawl.db_url
    everything = json.loads(run_tnmt("articles", "list", "--db", db, "--format", "json",
                                     "--limit", "0", check=True).stdout)
    assert len(everything) == len(expected_articles())
    dated = [a["published_at"] for a in everything if a["published_at"]]
    assert dated == sorted(dated, reverse=True)
    recent = json.loads(run_tnmt("articles", "list", "--db", db, "--format", "json",
                                 "--since", "2025-01-01", check=True).stdout)
    assert recent and all(a["published_at"] >= "2025-01-01" for a in recent)
    assert len(recent) < len(everything)
    by_source = json.loads(run_tnmt("articles", "list", "--db", db, "--format", "json",
                                    "--source", "baohatinh", check=True).stdout)
    assert by_source and {a["source"] for a in by_source} == {"baohatinh"}
    found = json.loads(run_tnmt("articles", "list", "--db", db, "--format", "json",
                                "--search", "điển hình tiên tiến", check=True).stdout)
    assert "baohatinh" in {a["source"] for a in found}
    assert all("điển hình tiên tiến" in a["text"] + a["title"] for a in found)


def test_articles_list_and_show_print_for_people(mirror_crawl: Crawl) -> None:
    table = run_tnmt("articles", "list", "--db", mirror_crawl.db_url, check=True).stdout
    assert "Articles" in table and "published" in table
    first = json.loads(run_tnmt("articles", "list", "--db", mirror_crawl.db_url, "--format",
                                "json", "--limit", "1", check=True).stdout)[0]
    shown = run_tnmt("articles", "show", str(first["id"]), "--db", mirror_crawl.db_url,
                     check=True).stdout
    assert first["title"] in shown
    assert first["text"] in shown
    missing = run_tnmt("articles", "show", "999999", "--db", mirror_crawl.db_url)
    assert missing.returncode == 1 and "error: no article with id 999999" in missing.stderr


def test_export_writes_jsonl_csv_and_atom(mirror_crawl: Crawl, tmp_path: Path) -> None:
    count = len(expected_articles())
    for fmt in ("jsonl", "csv", "atom"):
        target = tmp_path / f"articles.{fmt}"
        result = run_tnmt("export", "--format", fmt, "-o", str(target), "--db",
                          mirror_crawl.db_url, check=True)
        assert f"exported {count} articles" in result.stderr
    lines = (tmp_path / "articles.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == count and all(json.loads(line)["text"] for line in lines)
    with (tmp_path / "articles.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == count
    feed = ET.parse(tmp_path / "articles.atom").getroot()
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == count


def test_the_database_can_come_from_the_environment(mirror_crawl: Crawl) -> None:
    listed = run_tnmt("articles", "list", "--format", "json", "--limit", "0", check=True,
                      env={"TNMT_DB_URL": mirror_crawl.db_url})
    assert len(json.loads(listed.stdout)) == len(expected_articles())
