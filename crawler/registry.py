"""The source registry: one TOML file per source, validated into frozen models.

Sources are data (see crawler/sources/*.toml). A malformed file is refused at load time
with the file, the field and the reason, so a typo never becomes a silent empty crawl.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from cssselect import GenericTranslator, SelectorError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

BUILTIN_SOURCES_DIR = Path(__file__).parent / "sources"
SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
Model = TypeVar("Model", bound=BaseModel)


class RegistryError(ValueError):
    """A registry file or entry that cannot be used; the message names the culprit."""


def _check_http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Discovery(_Frozen):
    """Where the spider finds article links."""

    start_urls: tuple[str, ...] = ()
    pagination: str = ""
    max_pages: int = Field(default=1, ge=1, le=50)
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_pattern: str

    @field_validator("start_urls", "feeds", "sitemaps")
    @classmethod
    def _urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_http_url(url) for url in urls)

    @field_validator("pagination")
    @classmethod
    def _pagination(cls, template: str) -> str:
        if template:
            if "{page}" not in template:
                raise ValueError("must contain {page}")
            _check_http_url(template.replace("{page}", "2"))
        return template

    @field_validator("article_pattern")
    @classmethod
    def _pattern(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _has_an_entry_point(self) -> Discovery:
        if not (self.start_urls or self.feeds or self.sitemaps):
            raise ValueError("needs at least one of start_urls, feeds, sitemaps")
        return self


class Selectors(_Frozen):
    """Optional CSS selectors that override the generic heuristics for one site."""

    links: str = ""
    next_page: str = ""
    title: str = ""
    date: str = ""
    author: str = ""
    lead: str = ""
    body: str = ""
    remove: tuple[str, ...] = ()

    @field_validator("links", "next_page", "title", "date", "author", "lead", "body")
    @classmethod
    def _selector(cls, selector: str) -> str:
        return _check_css(selector) if selector else selector

    @field_validator("remove")
    @classmethod
    def _selectors(cls, selectors: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_css(selector) for selector in selectors)


def _check_css(selector: str) -> str:
    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        raise ValueError(f"not a valid CSS selector {selector!r}: {exc}") from None
    return selector


class Topics(_Frozen):
    """For general newspapers: only articles in one of these categories (URL path prefixes,
    matched against the article's URL and its breadcrumb links) or mentioning one of these
    keywords are kept. Both empty: every article is kept."""

    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @field_validator("categories")
    @classmethod
    def _paths(cls, paths: tuple[str, ...]) -> tuple[str, ...]:
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"a category is a URL path starting with '/': {path!r}")
        return paths


class Source(_Frozen):
    """One news source: a department portal, a newspaper or the ministry."""

    id: str = Field(pattern=SOURCE_ID_PATTERN)
    name: str = Field(min_length=1)
    province: str = Field(min_length=1)
    former_province: str = ""
    kind: Literal["department", "newspaper", "ministry"]
    homepage: str
    enabled: bool = True
    status: Literal["active", "archived", "renamed"] = "active"
    successor: str = ""
    schedule: str = "0 */2 * * *"
    reference: str = ""
    allowed_domains: tuple[str, ...] = ()
    discovery: Discovery
    selectors: Selectors = Selectors()
    topics: Topics = Topics()

    @field_validator("homepage")
    @classmethod
    def _homepage(cls, url: str) -> str:
        return _check_http_url(url)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, cron: str) -> str:
        try:
            CronTrigger.from_crontab(cron, timezone="Asia/Ho_Chi_Minh")
        except ValueError as exc:
            raise ValueError(f"not a 5-field cron expression: {exc}") from None
        return cron

    @property
    def domains(self) -> frozenset[str]:
        """Hosts this source may be fetched from."""
        urls = (self.homepage, *self.discovery.start_urls, *self.discovery.feeds,
                *self.discovery.sitemaps)
        hosts = {urlsplit(url).hostname or "" for url in urls} | set(self.allowed_domains)
        return frozenset(host for host in hosts if host)

    def is_article_url(self, url: str) -> bool:
        """True when `url` matches this source's article pattern."""
        return re.search(self.discovery.article_pattern, url) is not None


class Registry(Mapping[str, Source]):
    """All known sources by id, remembering which file each came from."""

    def __init__(self, sources: dict[str, Source], files: dict[str, Path]):
        self._sources = sources
        self.files = files

    def __getitem__(self, source_id: str) -> Source:
        return self._sources[source_id]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._sources))

    def __len__(self) -> int:
        return len(self._sources)

    def select(self, ids: Iterable[str] = ()) -> list[Source]:
        """Return the named sources (every enabled one when none is named)."""
        ids = list(ids)
        unknown = [source_id for source_id in ids if source_id not in self._sources]
        if unknown:
            raise RegistryError(f"unknown source: {', '.join(unknown)} (see `tnmt sources list`)")
        if ids:
            return [self._sources[source_id] for source_id in ids]
        return [self[source_id] for source_id in self if self[source_id].enabled]


def load_toml_model(path: Path, model: type[Model], error: type[ValueError],
                    context: dict[str, Any] | None = None) -> Model:
    """Read the TOML file `path` into `model`; any problem raises `error` with one line,
    'file: field: reason'."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise error(f"{path}: {_describe(exc)}") from None


def load_source(path: Path) -> Source:
    """Parse and validate one registry file."""
    source = load_toml_model(path, Source, RegistryError)
    if source.id != path.stem:
        raise RegistryError(f"{path}: id: {source.id!r} must equal the file name {path.stem!r}")
    return source


def _describe(exc: ValidationError) -> str:
    """Return 'field: reason' for the first problem pydantic found."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "(entry)"
    return f"{field}: {error['msg']}"


def load_registry(extra_dirs: Iterable[Path] = (), *, builtin: bool = True) -> Registry:
    """Load the shipped sources plus every *.toml in `extra_dirs` (later files may not
    redefine an id)."""
    dirs = ([BUILTIN_SOURCES_DIR] if builtin else []) + [Path(d) for d in extra_dirs]
    sources: dict[str, Source] = {}
    files: dict[str, Path] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise RegistryError(f"{directory}: not a directory of source files")
        for path in sorted(directory.glob("*.toml")):
            source = load_source(path)
            if source.id in sources:
                raise RegistryError(
                    f"{path}: id: {source.id!r} is already defined in {files[source.id]}")
            sources[source.id], files[source.id] = source, path
    _check_successors(sources, files)
    return Registry(sources, files)


def _check_successors(sources: dict[str, Source], files: dict[str, Path]) -> None:
    for source in sources.values():
        if source.successor and source.successor not in sources:
            raise RegistryError(
                f"{files[source.id]}: successor: unknown source {source.successor!r}"
            )
