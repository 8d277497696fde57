"""Alert rules: one TOML file of keyword rules and health-change rules, validated into frozen
models. A bad file is refused with one line: the file, the field and the reason."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crawler import settings
from crawler.article import normalise_text
from crawler.registry import SOURCE_ID_PATTERN, load_toml_model
from crawler.storage import SourceRecord

HealthState = Literal["ok", "stale", "failing", "layout-changed"]
HEALTH_STATES: tuple[HealthState, ...] = ("ok", "stale", "failing", "layout-changed")


class AlertRulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the field and why."""


def _check_destination(url: str) -> str:
    import apprise  # here: loading its plugins costs every `tnmt` start, rules or not

    if len(url) > 1000 or apprise.Apprise.instantiate(url) is None:
        raise ValueError(f"not a destination URL Apprise understands: {redacted(url)!r}")
    return url


def _check_source_id(source_id: str, info: ValidationInfo) -> str:
    known = (info.context or {}).get("sources")  # the registry's ids, when given
    if not re.match(SOURCE_ID_PATTERN, source_id):
        raise ValueError(f"not a source id: {source_id!r}")
    if known is not None and source_id not in known:
        raise ValueError(f"unknown source {source_id!r} (see `tnmt sources list`)")
    return source_id


Destination = Annotated[str, AfterValidator(_check_destination)]
SourceId = Annotated[str, AfterValidator(_check_source_id)]


class Rule(BaseModel):
    """What every rule has: a name, destinations and filters on the source."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(pattern=r"^[\w.-]+$", max_length=100)
    notify: tuple[Destination, ...] = Field(min_length=1)
    sources: tuple[SourceId, ...] = ()
    provinces: tuple[str, ...] = ()
    statuses: tuple[Literal["active", "archived", "renamed"], ...] = ()

    def covers(self, source: SourceRecord) -> bool:
        """True when the rule's source, province and status filters let `source` through."""
        provinces = {_folded(province) for province in self.provinces}
        return ((not self.sources or source.id in self.sources)
                and (not provinces or _folded(source.province) in provinces)
                and (not self.statuses or source.status in self.statuses))


class ArticleRule(Rule):
    """Alert on a new article that mentions one of the keywords."""

    keywords: tuple[str, ...] = Field(min_length=1)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        if not all(normalise_text(keyword) for keyword in keywords):
            raise ValueError("a keyword is empty")
        return keywords


class HealthRule(Rule):
    """Alert when a source's health state changes to one of `states`."""

    states: tuple[HealthState, ...] = ("failing", "layout-changed", "ok")

    def fires(self, previous: str, state: str) -> bool:
        """True for a change to one of `states`; a return to "ok" counts only from a state
        this rule alerts on (a new source's first success is no recovery)."""
        return state in self.states and (state != "ok" or previous in self.states)


class AlertRules(BaseModel):
    """Every rule of one rules file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    articles: tuple[ArticleRule, ...] = ()
    health: tuple[HealthRule, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> AlertRules:
        names = [rule.name for rule in self.all()]
        if doubled := sorted({name for name in names if names.count(name) > 1}):
            raise ValueError(f"rule names must be unique: {', '.join(doubled)}")
        return self

    def all(self) -> tuple[Rule, ...]:
        return (*self.articles, *self.health)


def load_rules(path: Path, known_sources: Collection[str] | None = None) -> AlertRules:
    """Parse and validate a rules file (its source ids against `known_sources` when given);
    a bad one raises AlertRulesError 'file: field: reason'."""
    return load_toml_model(path, AlertRules, AlertRulesError, {"sources": known_sources})


def configured_rules(option: str | None, known_sources: Collection[str] | None = None,
                     setting: str = settings.TNMT_ALERTS_FILE,
                     default: Path = settings.DEFAULT_ALERTS_PATH) -> AlertRules | None:
    """Return the rules of `--alerts` (or $TNMT_ALERTS_FILE, which click reads into it), else
    of the setting, else of the default file when it exists; None means alerts are off."""
    if named := option or setting:
        return load_rules(Path(named).expanduser(), known_sources)
    return load_rules(default, known_sources) if default.is_file() else None


@cache
def shared_rules(setting: str) -> AlertRules | None:
    """Return this process's rules of the TNMT_ALERTS_FILE setting (else the default file),
    read once: a worker's pipelines, one per source, share them."""
    return configured_rules(None, setting=setting)


def _folded(text: str) -> str:
    return normalise_text(text).casefold()


def redacted(url: str) -> str:
    """Return a destination URL fit to print: secrets masked by Apprise, options dropped."""
    import apprise  # here, as in _check_destination: only rules need it

    plugin = apprise.Apprise.instantiate(url)
    shown = plugin.url(privacy=True) if plugin else url.partition("://")[0] + "://…"
    return shown.partition("?")[0]
