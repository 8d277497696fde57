"""Nothing from a page is rendered as markup, and secrets never reach the output: the real
`tnmt` command in a child process, over a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_tnmt
from crawler.alert_rules import redacted
from crawler.alerts import without_secrets
from crawler.article import Article
from crawler.registry import load_registry
from crawler.storage import Store

# Rich markup a hostile page could put in its title: an unmatched closing tag would crash a
# renderer that parses it, the others would vanish or restyle the output.
HOSTILE_TITLE = "[/bold] Cảnh báo [red]ô nhiễm[/red] [link=file:///etc/passwd]bấm[/link] [/]"


def test_page_text_is_printed_literally(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "tnmt.db"))
    store.sync_sources(load_registry().select(["baohatinh"]))
    article = Article(url="https://so.thu.gov.vn/tin/[red]a[/red].html", title=HOSTILE_TITLE,
                      paragraphs=("Nội dung [blink]bài[/blink] viết.",))
    article_id = store.add_article(article, source_id="baohatinh", content_hash="h1", run_id=None,
                                   relevance="keywords: [/i]")
    db = f"sqlite:///{tmp_path / 'tnmt.db'}"
    for command in (["articles", "list"], ["articles", "show", str(article_id)],
                    ["articles", "history", str(article_id)]):
        result = run_tnmt(*command, "--db", db, env={"COLUMNS": "400"})
        assert result.returncode == 0, result.stderr
        assert HOSTILE_TITLE in result.stdout, command
    shown = run_tnmt("articles", "show", str(article_id), "--db", db).stdout
    assert article.url in shown and "keywords: [/i]" in shown


@pytest.mark.parametrize("url, secret", [
    ("mailto://canhbao:MatKhau-Bi-Mat@smtp.thu.gov.vn?to=a@thu.gov.vn", "MatKhau-Bi-Mat"),
    ("tgram://123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr/-100200300",
     "AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr"),
    ("json://bot:MatKhauWebhook@127.0.0.1:8080/hook?token=ma-bi-mat", "MatKhauWebhook"),
    ("json://127.0.0.1:8080/hook?token=ma-bi-mat", "ma-bi-mat"),
], ids=["smtp-password", "telegram-token", "webhook-password", "webhook-token"])
def test_destinations_are_printed_without_secrets(url: str, secret: str) -> None:
    assert secret not in redacted(url)
    # An error message that echoes the destination (as a plugin's may) is stored without it.
    error = without_secrets(f"could not send to {url}: refused", url)
    assert secret not in error and error.startswith("could not send to")


def test_a_failing_destination_is_reported_without_its_password(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text('[[articles]]\nname = "thu"\nkeywords = ["ô nhiễm"]\n'
                     'notify = ["json://canhbao:MatKhau-Bi-Mat@127.0.0.1:1/hook"]\n',
                     encoding="utf-8")
    result = run_tnmt("alerts", "test", "--alerts", str(rules))
    assert result.returncode == 1  # port 1 refuses: the destination failed
    assert "127.0.0.1" in result.stdout
    assert "MatKhau-Bi-Mat" not in result.stdout + result.stderr
