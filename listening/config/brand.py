"""A brand or competitor: its names, query, sources and own handles."""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import Field, field_validator, model_validator

from listening.config._base import _Strict
from listening.config.sources import BrandSources
from listening.matching import Query, QuerySyntaxError, parse_query

#: Where a brand's own handles can be recognised in public threads (listening.inbox).
HANDLE_PLATFORMS = ("mastodon", "bluesky", "hackernews", "reddit", "appstore")
_HANDLE = re.compile(r"@?[^\s@/]+(?:@[^\s@/]+)?")


class Brand(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    own: bool = False
    aliases: list[str] = Field(default_factory=list)
    query: str = ""
    exclude: list[str] = Field(default_factory=list)
    sources: BrandSources = Field(default_factory=BrandSources)
    #: The brand's own handles per platform: a reply from one of them marks a thread item answered.
    handles: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("handles")
    @classmethod
    def _known_handle_platforms(cls, handles: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(handles) - set(HANDLE_PLATFORMS))
        if unknown:
            raise ValueError(f"unknown platform(s) {unknown}; handles are recognised on {', '.join(HANDLE_PLATFORMS)}")
        for platform, names in handles.items():
            for name in names:
                if not isinstance(name, str) or not _HANDLE.fullmatch(name.strip()):
                    raise ValueError(f"{platform} handle {name!r} is not a handle (one word, e.g. acme, "
                                     "acme@mastodon.social or acme.bsky.social)")
        return handles

    def own_handles(self, platform: str) -> frozenset[str]:
        """The brand's handles on ``platform``, normalised: configured ``handles`` plus its tracked accounts.

        >>> b = Brand(key="acme", name="Acme", handles={"hackernews": ["AcmeTeam"]},
        ...           sources={"accounts": [{"platform": "mastodon", "handle": "@acme", "instance": "m.test"}]})
        >>> sorted(b.own_handles("mastodon")), sorted(b.own_handles("hackernews"))
        (['acme@m.test'], ['acmeteam'])
        """
        names = {n.strip().lstrip("@").lower() for n in self.handles.get(platform, [])}
        names |= {a.label.lower() for a in self.sources.accounts if a.platform == platform}
        return frozenset(n for n in names if n)

    @field_validator("aliases")
    @classmethod
    def _aliases_are_phrases(cls, aliases: list[str]) -> list[str]:
        for alias in aliases:
            _check_phrase(alias, "alias")
        return aliases

    @field_validator("exclude")
    @classmethod
    def _excludes_are_phrases(cls, terms: list[str]) -> list[str]:
        for term in terms:
            _check_phrase(term.replace('"', " "), "exclude term")
        return terms

    @model_validator(mode="after")
    def _matcher_builds(self) -> "Brand":
        if not self.query and not self.aliases:
            _check_phrase(self.name, "name")
        try:
            self.matcher
        except QuerySyntaxError as exc:
            raise ValueError(f"aliases, name and exclude do not make a valid query: {exc}") from None
        return self

    @field_validator("query")
    @classmethod
    def _query_parses(cls, text: str) -> str:
        if text:
            try:
                parse_query(text)
            except QuerySyntaxError as exc:
                raise ValueError(str(exc)) from None
        return text

    @cached_property
    def matcher(self) -> Query:
        """The brand's query; without one, any alias matches. Built once: every ingested mention asks every brand."""
        text = self.query or " OR ".join(f'"{alias}"' for alias in (self.aliases or [self.name]))
        if self.exclude:
            text = f"({text}) NOT ({' OR '.join(repr_phrase(term) for term in self.exclude)})"
        return parse_query(text)


def _check_phrase(term: str, what: str) -> None:
    """Raise ValueError when ``term`` cannot be matched as one quoted phrase (then every mention check would fail)."""
    if '"' in term:
        raise ValueError(f"{what} {term!r} contains a double quote; it is matched as one quoted phrase, "
                         "so leave the quote out (or write a query)")
    try:
        parse_query(f'"{term}"')
    except QuerySyntaxError:
        raise ValueError(f"{what} {term!r} has no words to match") from None


def repr_phrase(term: str) -> str:
    """Quote a term for the query language.

    >>> repr_phrase('orbitly coin')
    '"orbitly coin"'
    """
    return '"' + term.replace('"', " ") + '"'
