"""The listening config: brands, competitors, queries, sources and alerting.

A YAML file validated on load. A user mistake surfaces as one
:class:`~listening.errors.ConfigError` naming the file, the field and the
problem, never a traceback. ``${VAR}`` in any string is replaced from the
environment so secrets and machine-specific URLs stay out of the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from listening.config._base import _Strict
from listening.config.brand import HANDLE_PLATFORMS, Brand
from listening.config.settings import (
    WEEKDAYS, Alerting, BusinessHours, InboxSettings, Project, Retention, SlackSettings,
)
from listening.config.sources import ACCOUNT_PLATFORMS, GOOGLE_NEWS_LOCALES, Account, BrandSources, Endpoints
from listening.errors import ConfigError, InputError
from listening.http import redact_text, register_secret
from listening.textfile import read_text

__all__ = [
    "ACCOUNT_PLATFORMS", "GOOGLE_NEWS_LOCALES", "HANDLE_PLATFORMS", "REPLAY_VAR", "WEEKDAYS", "Account", "Alerting",
    "Brand", "BrandSources", "BusinessHours", "Endpoints", "InboxSettings", "ListeningConfig", "Project",
    "Retention", "SlackSettings", "brand_names", "load_config",
]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: A real config has hundreds of values; more means YAML anchors expanding into each other (an "alias bomb").
MAX_VALUES = 100_000
MAX_DEPTH = 32


class ListeningConfig(_Strict):
    project: Project = Field(default_factory=Project)
    languages: list[str] = Field(default_factory=lambda: ["en", "ko", "ja"])
    endpoints: Endpoints = Field(default_factory=Endpoints)
    brands: list[Brand]
    alerting: Alerting = Field(default_factory=Alerting)
    retention: Retention = Field(default_factory=Retention)
    inbox: InboxSettings = Field(default_factory=InboxSettings)
    _unexpanded: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def unexpanded(self) -> dict[str, str]:
        """Each string ``${VAR}`` expansion produced, mapped to its form in the file (no secret in it)."""
        return dict(self._unexpanded)

    @model_validator(mode="after")
    def _brands_consistent(self) -> "ListeningConfig":
        keys = [b.key for b in self.brands]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"brand keys must be unique; repeated: {duplicated}")
        if not self.brands:
            raise ValueError("at least one brand is required")
        return self

    @property
    def own_brand(self) -> Brand | None:
        return next((b for b in self.brands if b.own), None)

    def brand(self, key: str) -> Brand:
        for b in self.brands:
            if b.key == key:
                return b
        raise ConfigError(f"no brand with key {key!r}; known: {[b.key for b in self.brands]}")


def _expand_env(value: Any, missing: list[str], forms: dict[str, str], env: Mapping[str, str]) -> Any:
    """``value`` with ``${VAR}`` replaced from ``env``; ``forms`` maps each expanded string back to its config form."""
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in env:
                missing.append(m.group(1))
                return m.group(0)
            return env[m.group(1)]

        expanded = _ENV_REF.sub(sub, value)
        if expanded != value:
            forms[expanded] = value
            for name in _url_secret_refs(value):
                register_secret(os.environ.get(name, ""))
        return expanded
    if isinstance(value, list):
        return [_expand_env(v, missing, forms, env) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v, missing, forms, env) for k, v in value.items()}
    return value


def _url_secret_refs(raw: str) -> list[str]:
    """Variables a config URL puts into its query or userinfo: secrets by their position.

    >>> _url_secret_refs("https://u:${PW}@x.test/feed?q=acme&t=${TOKEN}")
    ['TOKEN', 'PW']
    >>> _url_secret_refs("${REPLAY_URL}/feed")
    []
    """
    query = raw.partition("?")[2]
    userinfo = raw.partition("://")[2].partition("/")[0].rpartition("@")[0]
    return _ENV_REF.findall(query) + _ENV_REF.findall(userinfo)


def _check_size(data: Any, path: Path) -> None:
    """Fail fast on YAML whose anchors expand into more values than any config has, or refer to themselves."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "(top level)")]
    seen = 0
    while stack:
        node, depth, top = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ConfigError(f"{path}: {top}: expands to more than {MAX_VALUES:,} values through YAML anchors "
                              "and aliases (&name / *name); a listening config has a few hundred")
        if depth > MAX_DEPTH:
            raise ConfigError(f"{path}: {top}: nested more than {MAX_DEPTH} levels deep "
                              "(a listening config has a few; an anchor that contains itself?)")
        if isinstance(node, dict):
            stack.extend((v, depth + 1, str(k) if depth == 0 else top) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, top) for v in node)


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    """Render a pydantic location with brand keys instead of list indices."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            element = node[item] if item < len(node) else None
            label = element.get("key") if isinstance(element, dict) else None
            parts[-1:] = [f"{parts[-1]}[{label or item}]"] if parts else [f"[{item}]"]
            node = element
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _read_yaml(path: Path) -> dict[str, Any]:
    """The file's YAML mapping, size-checked; a problem is a ConfigError naming the file."""
    try:
        text = read_text(path, "a YAML config").text
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read (a listening config has a few levels)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with at least 'brands', got {type(data).__name__}")
    _check_size(data, path)
    return data


def brand_names(path: str | Path) -> list[str]:
    """Every brand's key, name and aliases as the file spells them, without expanding ``${VAR}``.

    Scoring masks these names; it needs neither the environment (secrets, the replay URL)
    nor the sources, so a config that cannot run here still gives its names.
    """
    path = Path(path)
    brands = _read_yaml(path).get("brands")
    if not isinstance(brands, list):
        raise ConfigError(f"{path}: brands: expected a list of brands")
    names: list[str] = []
    for brand in brands:
        if isinstance(brand, dict):
            aliases = brand.get("aliases")
            found = [brand.get("key"), brand.get("name"), *(aliases if isinstance(aliases, list) else [])]
            names.extend(n.strip() for n in found if isinstance(n, str) and n.strip())
    return list(dict.fromkeys(names))


#: The variable the demo config's URLs start with: where the offline replay listens (a port that may change per run).
REPLAY_VAR = "REPLAY_URL"


def load_config(path: str | Path, unset: Mapping[str, str] | None = None) -> ListeningConfig:
    """Read and validate a listening config file; ``unset`` gives values for variables the environment lacks."""
    path = Path(path)
    data = _read_yaml(path)
    missing: list[str] = []
    forms: dict[str, str] = {}
    data = _expand_env(data, missing, forms, {**(unset or {}), **os.environ})
    if missing:
        raise ConfigError(f"{path}: environment variable(s) {sorted(set(missing))} are referenced but not set")
    try:
        config = ListeningConfig.model_validate(data)
        config._unexpanded = forms
        return config
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = _field_path(tuple(err["loc"]), data) or "(top level)"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field (check the spelling; see the configuration reference in README.md)"
            problems.append(redact_text(f"{path}: {field}: {message}"))
        raise ConfigError("\n".join(problems)) from None
