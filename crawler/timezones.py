"""Which time zone a source publishes in: its own ``timezone`` key, else its country's, else UTC.

A date a page prints without a zone ("11.12.2023 15:46") is the newsroom's local time; reading every
such value as Asia/Dushanbe was wrong for a New York or Almaty outlet. The country's zone comes from
the IANA ``zone.tab`` shipped with tzdata (first zone listed for the country), except for countries
whose first-listed zone is not where their newsrooms are (Russia lists Kaliningrad first).
"""

from __future__ import annotations

import functools
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_ZONE", "country_zone", "source_zone", "valid_zone"]

DEFAULT_ZONE = "UTC"  # a generic source with neither a zone nor a country

# Where the capital (and the press) is, when zone.tab lists another zone first.
_CAPITAL_ZONE = {
    "RU": "Europe/Moscow",
    "UZ": "Asia/Tashkent",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CN": "Asia/Shanghai",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta",
    "UA": "Europe/Kyiv",
}


@functools.cache
def _zone_table() -> dict[str, str]:
    """Country code -> first zone listed for it in tzdata's zone.tab."""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        try:
            with open("/usr/share/zoneinfo/zone.tab", encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            return {}
    table: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            table.setdefault(parts[0].upper(), parts[2])
    return table


def country_zone(country: str | None) -> str | None:
    """The zone of an ISO 3166 country code ('TJ' -> 'Asia/Dushanbe'), or None if unknown."""
    if not country:
        return None
    code = country.strip().upper()
    return _CAPITAL_ZONE.get(code) or _zone_table().get(code)


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def source_zone(timezone: str | None, country: str | None) -> str:
    """The zone a source publishes in: explicit, else from its country, else UTC."""
    return timezone or country_zone(country) or DEFAULT_ZONE
