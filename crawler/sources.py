"""The source registry: which sites we watch, where their entry points are, and how to read them.

Sources are data, not code (as in fundus): ``crawler/sources.toml`` ships one ``[sources.<key>]`` table
per site, and the user's ``[sources.*]`` tables in newswatch.toml are merged over it key by key, so a
user can change any key, disable a source, or add a new one without touching Python.

Schema of one source (keys not listed are rejected, so a typo does not silently do nothing):

- ``name`` (str), ``homepage`` (URL), ``base_url`` (URL; every entry ``path`` is resolved against it,
  so pointing a source at a mirror or an offline replica is one key)
- ``languages`` (list of language codes), ``parser`` (module name under ``crawler.parsers`` or
  ``"generic"``), ``spider`` (optional spider name, see ``crawler.runner``), ``interval_minutes`` (int ≥ 1,
  optional: the scheduler's default applies), ``enabled`` (bool), ``relevance`` (table handed to
  ``RelevanceRules.from_mapping``), ``options`` (free-form table for spider-specific settings)
- ``entry``: a non-empty list of ``{kind = "listing" | "feed" | "sitemap", path = "...", ...}``; the
  kind-specific keys allowed are in ``ENTRY_OPTIONS`` (plus ``always_relevant`` for every kind and a
  free-form ``extra`` table).
- ``country`` (ISO 3166 code, optional) and ``timezone`` (IANA name, optional): the zone the source
  publishes in, used for dates a page prints without a zone and for the source's calendar days. An
  explicit ``timezone`` wins, else the country's zone, else UTC (``crawler.timezones``).
- ``allowed_hosts`` (list of host names): hosts besides ``base_url``'s and ``homepage``'s that the
  crawler may fetch from (a CDN, an edition on another domain); every other host is refused
  (``crawler.netguard``)
- ``allow_private_hosts`` (list of host names): for an intranet source only, names the operator allows
  to resolve to private, loopback or link-local addresses (never allowed otherwise)

A wrong entry raises ``SourceConfigError`` naming the source, the key and what is allowed.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from crawler.timezones import DEFAULT_ZONE, source_zone, valid_zone

if TYPE_CHECKING:
    from crawler.parsers.site import SiteParser

REGISTRY_FILE = Path(__file__).with_name("sources.toml")

# Kind-specific entry keys and their types; extend here when a spider learns a new option.
ENTRY_OPTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "listing": {
        "item_selector": str,  # CSS selector of one listing item
        "link_selector": str,  # CSS selector (relative to the item) of the article link, ::attr(href)
        "page_param": str,  # query parameter of the page number (?page=N)
        "page_start": int,  # number of the first page
        "next_selector": str,  # alternative to page_param: CSS selector of the "next page" link
        "max_items": int,
    },
    "feed": {"max_items": int, "format": str},
    "sitemap": {"url_pattern": str, "news_only": bool, "max_urls": int},
}
COMMON_ENTRY_KEYS = {"kind", "path", "always_relevant", "extra"}
REQUIRED_ENTRY_OPTIONS = {"listing": ("link_selector",)}

SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "homepage": str,
    "base_url": str,
    "languages": list,
    "parser": str,
    "spider": str,
    "interval_minutes": int,
    "enabled": bool,
    "relevance": dict,
    "options": dict,
    "entry": list,
    "country": str,
    "timezone": str,
    "allowed_hosts": list,
    "allow_private_hosts": list,
}
REQUIRED_SOURCE_KEYS = ("name", "base_url", "entry")


class SourceConfigError(ValueError):
    """A source table is wrong; the message names the source, the key and what is allowed."""


@dataclass(frozen=True)
class EntryPoint:
    """One place a spider starts from: a listing page, a feed or a sitemap."""

    kind: str
    path: str
    always_relevant: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def __hash__(self) -> int:  # options is a dict; kind and path identify an entry point
        return hash((self.kind, self.path))


@dataclass(frozen=True)
class Source:
    """A validated source; picklable, so it can be handed to a crawl child process."""

    key: str
    name: str
    homepage: str
    base_url: str
    languages: tuple[str, ...]
    parser: str
    enabled: bool
    entries: tuple[EntryPoint, ...]
    interval_minutes: int | None = None
    spider: str | None = None
    relevance: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    country: str | None = None
    timezone: str = DEFAULT_ZONE  # IANA zone the source publishes in (see crawler.timezones)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    allowed_hosts: tuple[str, ...] = ()
    allow_private_hosts: tuple[str, ...] = ()

    def __hash__(self) -> int:  # relevance/options are dicts; the key identifies a source
        return hash((self.key, self.base_url))

    def url_for(self, entry: EntryPoint) -> str:
        """The entry's absolute URL: its path resolved against ``base_url`` (keeping a path prefix)."""
        if urlsplit(entry.path).scheme:
            return entry.path
        return self.base_url.rstrip("/") + "/" + entry.path.lstrip("/")

    @property
    def entry_kinds(self) -> list[str]:
        return list(dict.fromkeys(entry.kind for entry in self.entries))

    @property
    def hosts(self) -> set[str]:
        """Host names this source's pages live on (homepage and base_url), for picking a parser by URL."""
        return {host for url in (self.homepage, self.base_url) if (host := _host(url))}

    def owns_url(self, url: str) -> bool:
        return _host(url) in self.hosts


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


class Registry:
    """All known sources, in file order; ``get`` raises with the list of known keys."""

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self._sources = dict(sources)

    def __iter__(self) -> Iterator[Source]:
        return iter(self._sources.values())

    def __len__(self) -> int:
        return len(self._sources)

    def __contains__(self, key: object) -> bool:
        return key in self._sources

    def keys(self) -> list[str]:
        return list(self._sources)

    def get(self, key: str) -> Source:
        try:
            return self._sources[key]
        except KeyError:
            known = ", ".join(self._sources) or "(none)"
            raise SourceConfigError(f"unknown source {key!r}; known sources: {known}") from None

    def enabled(self) -> list[Source]:
        return [source for source in self._sources.values() if source.enabled]

    def for_url(self, url: str) -> Source | None:
        """The source whose homepage or base_url is on the URL's host, if any."""
        return next((source for source in self._sources.values() if source.owns_url(url)), None)


def load_registry(
    overrides: Mapping[str, Mapping[str, Any]] | None = None, *, path: Path | None = None
) -> Registry:
    """The packaged registry with the user's ``[sources.*]`` tables merged over it, validated."""
    packaged = _read(path or REGISTRY_FILE)
    merged: dict[str, dict[str, Any]] = {key: dict(table) for key, table in packaged.items()}
    for key, table in (overrides or {}).items():
        if not isinstance(table, Mapping):
            raise SourceConfigError(f"source {key!r}: [sources.{key}] must be a table, got {table!r}")
        merged[key] = _merge(merged.get(key, {}), table)
    return Registry({key: build_source(key, table) for key, table in merged.items()})


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError(f"{path} is not valid TOML: {exc}") from None
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise SourceConfigError(f"{path}: [sources] must be a table")
    return sources


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key (so ``relevance`` can change one key); lists and values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_type(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (
        isinstance(value, bool) and bool not in kinds
    ):  # bool is an int subclass; `page_start = true` is a typo
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        raise SourceConfigError(f"{where}: key {key!r} must be {_type_name(kind)} (got {value!r})")


def _check_url(where: str, key: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SourceConfigError(
            f"{where}: key {key!r} must be an http(s) URL such as https://example.org (got {value!r})"
        )


def build_source(key: str, table: Mapping[str, Any]) -> Source:
    """Validate one merged source table and freeze it into a Source."""
    where = f"source {key!r}"
    unknown = sorted(set(table) - set(SOURCE_KEYS))
    if unknown:
        raise SourceConfigError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(SOURCE_KEYS))}"
        )
    for required in REQUIRED_SOURCE_KEYS:
        if required not in table:
            raise SourceConfigError(f"{where}: key {required!r} is required")
    for name, value in table.items():
        _check_type(where, name, value, SOURCE_KEYS[name])
    _check_url(where, "base_url", table["base_url"])
    homepage = table.get("homepage", table["base_url"])
    _check_url(where, "homepage", homepage)
    languages = table.get("languages", [])
    if not all(isinstance(lang, str) and 2 <= len(lang) <= 8 for lang in languages):
        raise SourceConfigError(
            f"{where}: key 'languages' must be a list of language codes such as ['en', 'ru'] (got {languages!r})"
        )
    interval = table.get("interval_minutes")
    if interval is not None and interval < 1:
        raise SourceConfigError(f"{where}: key 'interval_minutes' must be an integer ≥ 1 (got {interval!r})")
    country = table.get("country")
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise SourceConfigError(
            f"{where}: key 'country' must be an ISO 3166 code such as 'TJ' (got {country!r})"
        )
    zone = source_zone(table.get("timezone"), country)
    if not valid_zone(zone):
        raise SourceConfigError(
            f"{where}: key 'timezone' must be an IANA time zone such as 'Asia/Dushanbe' (got {zone!r})"
        )
    host_lists = {name: _host_list(where, name, table.get(name, [])) for name in _HOST_LISTS}
    entries = table["entry"]
    if not entries:
        raise SourceConfigError(f"{where}: key 'entry' must list at least one entry point")
    return Source(
        key=key,
        name=table["name"],
        homepage=homepage,
        base_url=table["base_url"],
        languages=tuple(languages),
        parser=table.get("parser", "generic"),
        enabled=table.get("enabled", True),
        entries=tuple(_build_entry(f"{where} entry {i + 1}", raw) for i, raw in enumerate(entries)),
        interval_minutes=interval,
        spider=table.get("spider"),
        relevance=dict(table.get("relevance", {})),
        options=dict(table.get("options", {})),
        country=country.upper() if country else None,
        timezone=zone,
        allowed_hosts=host_lists["allowed_hosts"],
        allow_private_hosts=host_lists["allow_private_hosts"],
    )


_HOST_LISTS = ("allowed_hosts", "allow_private_hosts")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def _host_list(where: str, key: str, hosts: list[Any]) -> tuple[str, ...]:
    """A list of bare host names (``cdn.example.org``), lower-cased; URLs and ports are refused."""
    result = []
    for host in hosts:
        name = host.strip().lower().rstrip(".") if isinstance(host, str) else ""
        if not _HOST_NAME.match(name):
            raise SourceConfigError(
                f"{where}: key {key!r} must list host names such as 'cdn.example.org' (got {host!r})"
            )
        result.append(name)
    return tuple(result)


def _build_entry(where: str, raw: Any) -> EntryPoint:
    if not isinstance(raw, Mapping):
        raise SourceConfigError(
            f'{where}: must be a table like {{ kind = "listing", path = "/news" }} (got {raw!r})'
        )
    kind = raw.get("kind")
    if kind not in ENTRY_OPTIONS:
        raise SourceConfigError(
            f"{where}: key 'kind' must be one of {', '.join(ENTRY_OPTIONS)} (got {kind!r})"
        )
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise SourceConfigError(
            f"{where}: key 'path' is required: a path resolved against base_url, e.g. \"/news\""
        )
    allowed = ENTRY_OPTIONS[kind]
    unknown = sorted(set(raw) - COMMON_ENTRY_KEYS - set(allowed))
    if unknown:
        keys = ", ".join(sorted(COMMON_ENTRY_KEYS | set(allowed)))
        raise SourceConfigError(
            f"{where}: unknown key {unknown[0]!r} for kind {kind!r}; allowed keys: {keys}"
        )
    for name in REQUIRED_ENTRY_OPTIONS.get(kind, ()):
        if name not in raw:
            raise SourceConfigError(f"{where}: key {name!r} is required for kind {kind!r}")
    options: dict[str, Any] = {}
    for name, value in raw.items():
        if name in allowed:
            _check_type(where, name, value, allowed[name])
            options[name] = value
    always = raw.get("always_relevant", False)
    _check_type(where, "always_relevant", always, bool)
    extra = raw.get("extra", {})
    _check_type(where, "extra", extra, dict)
    if extra:
        options["extra"] = dict(extra)
    return EntryPoint(kind=kind, path=path, always_relevant=always, options=options)


def load_site_parser(name: str) -> SiteParser | None:
    """The SiteParser of ``crawler.parsers.<name>`` (its module-level ``PARSER``); None for "generic"."""
    from crawler.parsers.site import SiteParser  # here: the parsers import the items, which import Source

    if name in ("", "generic"):
        return None
    try:
        module = importlib.import_module(f"crawler.parsers.{name}")
    except ModuleNotFoundError as exc:
        raise SourceConfigError(f"parser {name!r}: no module crawler.parsers.{name} ({exc})") from None
    parser = getattr(module, "PARSER", None)
    if not isinstance(parser, SiteParser):
        raise SourceConfigError(
            f"parser {name!r}: crawler.parsers.{name} defines no PARSER = SiteParser(...)"
        )
    return parser
