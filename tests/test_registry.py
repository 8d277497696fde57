"""The registry refuses every malformed entry with the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.registry import RegistryError, load_registry, load_source

VALID = '''
id = "{id}"
name = "Sở Nông nghiệp và Môi trường thử nghiệm"
province = "Hà Tĩnh"
kind = "department"
homepage = "https://snnmt.example.gov.vn/"
schedule = "0 */2 * * *"

[discovery]
start_urls = ["https://snnmt.example.gov.vn/tin-tuc/"]
pagination = "https://snnmt.example.gov.vn/tin-tuc/?page={{page}}"
max_pages = 3
article_pattern = '^https://snnmt\\.example\\.gov\\.vn/tin-tuc/[a-z0-9-]+-\\d+\\.html$'
'''


def write(directory: Path, source_id: str, text: str) -> Path:
    path = directory / f"{source_id}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_registry_loads_with_the_seed_sources_and_more() -> None:
    registry = load_registry()
    for seed in ("baotainguyenmoitruong", "nongnghiepmoitruong", "stnmt_binhduong", "baohatinh"):
        assert seed in registry
    assert len(registry) >= 14
    assert {source.kind for source in registry.values()} == {"department", "newspaper",
                                                             "ministry"}
    assert any("Nông nghiệp và Môi trường" in source.name and source.kind == "department"
               for source in registry.values())
    assert registry["baotainguyenmoitruong"].successor == "nongnghiepmoitruong"


def test_every_shipped_source_says_where_its_address_was_found() -> None:
    for source in load_registry().values():
        assert source.reference, source.id
        assert not any(source.is_article_url(url) for url in source.discovery.start_urls), \
            f"{source.id}: a listing page matches the article pattern"


def test_a_valid_user_directory_adds_its_sources(tmp_path: Path) -> None:
    write(tmp_path, "snnmt_thu", VALID.format(id="snnmt_thu"))
    registry = load_registry([tmp_path])
    assert registry["snnmt_thu"].discovery.max_pages == 3
    assert registry.files["snnmt_thu"] == tmp_path / "snnmt_thu.toml"


@pytest.mark.parametrize(("change", "field", "reason"), [
    (('kind = "department"', 'kind = "blog"'), "kind", "Input should be"),
    (('homepage = "https://snnmt.example.gov.vn/"', 'homepage = "ftp://x"'), "homepage",
     "not an http(s) URL"),
    (('schedule = "0 */2 * * *"', 'schedule = "every hour"'), "schedule", "cron"),
    (("max_pages = 3", "max_pages = 0"), "discovery.max_pages", "greater than or equal"),
    (("article_pattern = '", "article_pattern = '(["), "discovery.article_pattern",
     "not a valid regular expression"),
    (('name = "Sở Nông nghiệp và Môi trường thử nghiệm"\n', ""), "name", "Field required"),
    (("?page={page}", "?page=2"), "discovery.pagination", "must contain {page}"),
    (('province = "Hà Tĩnh"', 'province = "Hà Tĩnh"\nwebsite = "x"'), "website",
     "Extra inputs are not permitted"),
    ((".html$'", '.html$\'\n[selectors]\ntitle = "h1[[title"'), "selectors.title",
     "not a valid CSS selector"),
    ((".html$'", '.html$\'\n[selectors]\nremove = [".ads", "div >"]'),
     "selectors.remove", "not a valid CSS selector"),
])
def test_a_malformed_entry_is_refused_naming_file_field_and_reason(
        tmp_path: Path, change: tuple[str, str], field: str, reason: str) -> None:
    path = write(tmp_path, "snnmt_thu", VALID.format(id="snnmt_thu").replace(*change))
    with pytest.raises(RegistryError) as error:
        load_source(path)
    message = str(error.value)
    assert message.startswith(f"{path}: {field}: ")
    assert reason in message
    assert "\n" not in message


def test_broken_toml_is_refused_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "snnmt_thu", 'id = "snnmt_thu"\nname = "unclosed\n')
    with pytest.raises(RegistryError, match=rf"^{path}: not valid TOML"):
        load_registry([tmp_path])


def test_an_id_must_match_its_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "other_name", VALID.format(id="snnmt_thu"))
    with pytest.raises(RegistryError, match=rf"^{path}: id: 'snnmt_thu' must equal"):
        load_source(path)


def test_a_duplicate_id_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "baohatinh", VALID.format(id="baohatinh"))
    with pytest.raises(RegistryError, match=r"baohatinh.toml: id: 'baohatinh' is already defined"):
        load_registry([tmp_path])


def test_an_unknown_successor_is_refused(tmp_path: Path) -> None:
    text = VALID.format(id="snnmt_thu").replace('kind = "department"',
                                                'kind = "department"\nsuccessor = "nowhere"')
    write(tmp_path, "snnmt_thu", text)
    with pytest.raises(RegistryError, match=r"successor: unknown source 'nowhere'"):
        load_registry([tmp_path])


def test_selecting_an_unknown_source_names_it() -> None:
    with pytest.raises(RegistryError, match=r"unknown source: no_such_source"):
        load_registry().select(["no_such_source"])


def test_selecting_nothing_gives_every_enabled_source() -> None:
    registry = load_registry()
    assert [s.id for s in registry.select()] == [s.id for s in registry.values() if s.enabled]
