"""The source registry: packaged data, user overrides merged over it, and errors a person can act on."""

from __future__ import annotations

import pickle

import pytest

from crawler.parsers import osce
from crawler.runner import spider_class
from crawler.sources import SourceConfigError, load_registry, load_site_parser
from crawler.spiders.osce import OsceSpider

NEW_SOURCE = {
    "name": "Example News",
    "base_url": "https://news.example.org",
    "languages": ["en"],
    "parser": "generic",
    "entry": [{"kind": "feed", "path": "/rss.xml"}],
}


def test_packaged_registry_has_the_osce_source_with_both_listings() -> None:
    osce = load_registry().get("osce")
    assert osce.enabled and osce.parser == "osce" and osce.languages == ("en",)
    office, general = osce.entries
    assert (office.kind, office.always_relevant) == ("listing", True)
    assert (general.kind, general.always_relevant) == ("listing", False)
    assert osce.url_for(office) == "https://www.osce.org/press-releases?filters=+im_taxonomy_vid_1:(40)"
    assert office.option("page_param") == "page" and office.option("page_start") == 0
    assert spider_class(osce) is OsceSpider


def test_one_key_points_a_source_at_a_replica() -> None:
    osce = load_registry({"osce": {"base_url": "http://127.0.0.1:8765"}}).get("osce")
    assert [osce.url_for(e) for e in osce.entries] == [
        "http://127.0.0.1:8765/press-releases?filters=+im_taxonomy_vid_1:(40)",
        "http://127.0.0.1:8765/press-releases",
    ]
    assert osce.homepage == "https://www.osce.org"  # untouched keys keep their packaged values
    assert osce.owns_url("http://127.0.0.1:8765/node/1") and osce.owns_url("https://osce.org/node/1")


def test_a_base_url_with_a_path_prefix_is_kept() -> None:
    osce = load_registry({"osce": {"base_url": "http://mirror.example.org/osce/"}}).get("osce")
    assert osce.url_for(osce.entries[1]) == "http://mirror.example.org/osce/press-releases"


def test_user_can_disable_override_and_add_sources() -> None:
    registry = load_registry(
        {
            "osce": {"enabled": False, "interval_minutes": 15, "relevance": {"always": True}},
            "example": NEW_SOURCE,
        }
    )
    assert "osce" not in [s.key for s in registry.enabled()]
    assert registry.get("osce").interval_minutes == 15
    assert registry.get("osce").relevance == {"always": True}
    example = registry.get("example")
    assert example.entry_kinds == ["feed"] and example.parser == "generic"
    assert registry.keys()[-1] == "example" and "example" in registry and len(registry) == len(list(registry))


def test_sources_are_picklable_for_the_crawl_child_process() -> None:
    osce = load_registry().get("osce")
    assert pickle.loads(pickle.dumps(osce)) == osce


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"osce": {"interval_minutes": "often"}}, "source 'osce': key 'interval_minutes' must be an integer"),
        ({"osce": {"interval_minutes": 0}}, "source 'osce': key 'interval_minutes' must be an integer ≥ 1"),
        (
            {"osce": {"enable": False}},
            "source 'osce': unknown key 'enable'; allowed keys: allow_private_hosts, allowed_hosts, base_url",
        ),
        ({"osce": {"base_url": "www.osce.org"}}, "source 'osce': key 'base_url' must be an http(s) URL"),
        ({"osce": {"enabled": "no"}}, "source 'osce': key 'enabled' must be true or false"),
        ({"osce": {"entry": []}}, "source 'osce': key 'entry' must list at least one entry point"),
        (
            {"osce": {"entry": [{"kind": "rss", "path": "/feed"}]}},
            "source 'osce' entry 1: key 'kind' must be one of listing, feed, sitemap (got 'rss')",
        ),
        ({"osce": {"entry": [{"kind": "feed"}]}}, "source 'osce' entry 1: key 'path' is required"),
        (
            {"osce": {"entry": [{"kind": "listing", "path": "/x"}]}},
            "source 'osce' entry 1: key 'link_selector' is required for kind 'listing'",
        ),
        (
            {
                "osce": {
                    "entry": [{"kind": "listing", "path": "/x", "link_selector": "a", "page_start": True}]
                }
            },
            "source 'osce' entry 1: key 'page_start' must be an integer (got True)",
        ),
        (
            {"osce": {"entry": [{"kind": "feed", "path": "/x", "item_selector": "li"}]}},
            "source 'osce' entry 1: unknown key 'item_selector' for kind 'feed'; allowed keys:",
        ),
        (
            {"example": {"name": "x", "entry": [{"kind": "feed", "path": "/"}]}},
            "source 'example': key 'base_url' is required",
        ),
        ({"osce": "off"}, "source 'osce': [sources.osce] must be a table"),
    ],
)
def test_wrong_entries_name_the_source_the_key_and_what_is_allowed(overrides: dict, expected: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        load_registry(overrides)
    assert expected in str(caught.value)


def test_unknown_source_lists_the_known_keys() -> None:
    with pytest.raises(SourceConfigError, match=r"unknown source 'nope'; known sources: osce"):
        load_registry().get("nope")


def test_site_parsers_are_found_by_name() -> None:
    assert load_site_parser("osce") is osce.PARSER
    assert load_site_parser("generic") is None
    with pytest.raises(SourceConfigError, match="parser 'nosuch': no module crawler.parsers.nosuch"):
        load_site_parser("nosuch")


def test_unknown_spider_is_a_clear_error() -> None:
    source = load_registry({"osce": {"spider": "warp"}}).get("osce")
    with pytest.raises(SourceConfigError, match="source 'osce': no spider 'warp'; known spiders: "):
        spider_class(source)


def test_sources_are_hashable() -> None:
    osce = load_registry().get("osce")
    assert {osce: 1}[load_registry().get("osce")] == 1 and len(set(osce.entries)) == 2
