"""Bad input gets one clear line naming the culprit, a non-zero exit, and nothing stored."""

from __future__ import annotations

from pathlib import Path

from conftest import run_tnmt
from crawler.storage import Store


def error_line(stderr: str) -> str:
    """The one error line a failing command printed."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_unknown_source_is_named(tmp_path: Path) -> None:
    result = run_tnmt("crawl", "no_such_source", "--db", str(tmp_path / "t.db"))
    assert result.returncode == 1
    assert error_line(result.stderr) == (
        "error: unknown source: no_such_source (see `tnmt sources list`)")


def test_malformed_registry_directory_names_file_and_field(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "bad.toml").write_text('id = "bad"\nname = "x"\nprovince = "y"\n'
                                      'kind = "blog"\nhomepage = "https://x.vn/"\n'
                                      '[discovery]\nstart_urls = ["https://x.vn/"]\n'
                                      'article_pattern = "x"\n', encoding="utf-8")
    result = run_tnmt("sources", "validate", str(sources))
    assert result.returncode == 1
    line = error_line(result.stderr)
    assert line.startswith(f"error: {sources / 'bad.toml'}: kind: Input should be")


def test_invalid_since_is_refused(tmp_path: Path) -> None:
    result = run_tnmt("articles", "list", "--since", "last blue moon", "--db",
                      str(tmp_path / "t.db"))
    assert result.returncode == 2
    assert "Invalid value for --since: cannot read 'last blue moon' as a date" in result.stderr


def test_unreachable_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "not-a-directory").write_text("x")
    db = tmp_path / "not-a-directory" / "tnmt.db"
    result = run_tnmt("articles", "list", "--db", str(db))
    assert result.returncode == 1
    assert error_line(result.stderr).startswith(f"error: database sqlite:///{db}: ")


def test_read_only_database_is_named_and_left_intact(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    Store(str(db)).close()
    before = db.read_bytes()
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    result = run_tnmt("crawl", "bonnmt", "--db", read_only, "--mirror", "127.0.0.1:9")
    assert result.returncode == 1
    assert error_line(result.stderr).startswith("error: database sqlite:///file")
    assert "readonly database" in result.stderr
    assert db.read_bytes() == before


def test_invalid_database_url_is_named() -> None:
    result = run_tnmt("articles", "list", "--db", "nosuchdriver://x")
    assert result.returncode == 1
    assert error_line(result.stderr).startswith("error: database nosuchdriver://x: ")
