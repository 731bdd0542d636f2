"""The crawler's guard: which URLs a source may fetch and which addresses it may connect to (no network).

The end-to-end crawl of a hostile site is in test_hostile_site.py; these pin the rules one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from crawler.netguard import (
    PRIVATE_ALLOWANCES,
    RESOLVER_REFUSALS,
    GuardedResolver,
    HostPolicy,
    RedirectCheckMiddleware,
    RedirectLoop,
    RefusedAddressMiddleware,
    RefusedURL,
    UrlGuardMiddleware,
    forbidden_reason,
)
from crawler.sources import SourceConfigError, build_source


@pytest.fixture(autouse=True)
def no_allowances() -> Iterator[None]:
    """PRIVATE_ALLOWANCES is process-wide (one resolver per process): each test starts without any."""
    PRIVATE_ALLOWANCES.clear()
    yield
    PRIVATE_ALLOWANCES.clear()


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("0.0.0.0", "'this network'"),
        ("224.0.0.251", "multicast"),
        ("::1", "loopback"),
        ("fd00::1", "unique local (private)"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:169.254.169.254", "link-local (cloud metadata)"),
        ("192.0.2.1", "reserved"),  # documentation range: not global
    ],
)
def test_forbidden_ranges(address: str, reason: str) -> None:
    assert forbidden_reason(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(address) is None


def source(base_url: str = "https://news.example.org", **extra: Any) -> Any:
    return build_source(
        "s", {"name": "S", "base_url": base_url, "entry": [{"kind": "feed", "path": "/f"}], **extra}
    )


def test_policy_keeps_a_public_source_on_its_hosts() -> None:
    policy = HostPolicy.for_source(source(allowed_hosts=["cdn.example.net"]))
    assert policy.refusal("https://news.example.org/a") is None
    assert policy.refusal("http://www.news.example.org:8080/a") is None  # www. and any port of its own host
    assert policy.refusal("https://cdn.example.net/img") is None
    assert "not one of the source's hosts" in (policy.refusal("https://evil.example.com/") or "")
    assert "not one of the source's hosts" in (policy.refusal("http://169.254.169.254/latest/") or "")
    assert "not http(s)" in (policy.refusal("file:///etc/passwd") or "")
    assert "not http(s)" in (policy.refusal("javascript:alert(1)") or "")
    assert "not http(s)" in (policy.refusal("ftp://news.example.org/x") or "")


def test_policy_allows_a_loopback_base_url_only_at_its_port() -> None:
    policy = HostPolicy.for_source(source("http://127.0.0.1:8765"))
    assert policy.refusal("http://127.0.0.1:8765/feed") is None
    assert "loopback" in (policy.refusal("http://127.0.0.1:5432/") or "")
    assert policy.refusal("http://localhost:8765/") is not None  # another host name


def test_policy_refuses_a_private_literal_listed_as_an_allowed_host() -> None:
    """allowed_hosts is about names; a private IP literal there still needs to be the base_url."""
    policy = HostPolicy.for_source(source(allowed_hosts=["10.0.0.5"]))
    assert "private" in (policy.refusal("http://10.0.0.5/") or "")


def test_source_host_lists_are_validated() -> None:
    with pytest.raises(SourceConfigError, match="allowed_hosts"):
        source(allowed_hosts=["https://cdn.example.net/"])
    with pytest.raises(SourceConfigError, match="allow_private_hosts"):
        source(allow_private_hosts=["intranet:80"])


def guard_for(src: Any) -> tuple[UrlGuardMiddleware, Any]:
    crawler = get_crawler()
    crawler.spider = SimpleNamespace(source=src)  # type: ignore[assignment]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return UrlGuardMiddleware.from_crawler(crawler), crawler.stats


def test_guard_middleware_from_crawler_counts_and_refuses(caplog: pytest.LogCaptureFixture) -> None:
    guard, stats = guard_for(source("http://127.0.0.1:8765"))
    assert guard.process_request(Request("http://127.0.0.1:8765/a")) is None
    with pytest.raises(RefusedURL, match="loopback"):
        guard.process_request(Request("http://127.0.0.1:9/secret"))
    with pytest.raises(RefusedURL, match="not one of the source's hosts"):
        guard.process_request(Request("http://169.254.169.254/latest/meta-data/"))
    assert stats.get_value("newswatch/refused_urls") == 2
    assert "refused http://127.0.0.1:9/secret: 127.0.0.1 is a loopback address" in caplog.text


def test_guard_middleware_needs_a_source() -> None:
    crawler = get_crawler()
    crawler.spider = SimpleNamespace()  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match="Source"):
        UrlGuardMiddleware.from_crawler(crawler)


def test_redirect_check_middleware_loops_and_targets() -> None:
    crawler = get_crawler(settings_dict={"REDIRECT_MAX_TIMES": 3})
    crawler.spider = SimpleNamespace(source=source("http://h.example"))  # type: ignore[assignment]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    middleware = RedirectCheckMiddleware.from_crawler(crawler)
    first = Request("http://h.example/loop/a")
    second = Request("http://h.example/loop/b", meta={"redirect_urls": [first.url]})
    back = Response(second.url, status=302, headers={"Location": "/loop/a"})
    with pytest.raises(RedirectLoop, match="redirect loop back to http://h.example/loop/a"):
        middleware.process_response(second, back)
    onward = Response(first.url, status=301, headers={"Location": "/loop/b"})
    assert middleware.process_response(first, onward) is onward
    chain = Request("http://h.example/5", meta={"redirect_urls": [f"http://h.example/{i}" for i in range(4)]})
    with pytest.raises(RedirectLoop, match="more than 3 redirects"):
        middleware.process_response(chain, Response(chain.url, status=302, headers={"Location": "/6"}))
    assert crawler.stats.get_value("newswatch/redirect_loops") == 2  # type: ignore[union-attr]
    for location in ("file:///etc/passwd", "http://127.0.0.1:8080/", "gopher://h.example/"):
        with pytest.raises(RefusedURL):
            middleware.process_response(
                first, Response(first.url, status=302, headers={"Location": location})
            )
    assert crawler.stats.get_value("newswatch/refused_urls") == 3  # type: ignore[union-attr]


@implementer(IHostnameResolver)
class StubDns:
    """Answers every lookup with the next list of addresses: a DNS server an attacker controls."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, Any]] = []

    def resolveHostName(
        self, receiver: Any, name: str, port: int = 0, types: Any = None, sem: str = "TCP"
    ) -> Any:  # noqa: N802
        self.asked.append((name, types))
        receiver.resolutionBegan(None)
        for address in self.answers.pop(0):
            family = IPv6Address if ":" in address else IPv4Address
            receiver.addressResolved(family("TCP", address, port))
        receiver.resolutionComplete()
        return receiver


@implementer(IResolutionReceiver)
class Collect:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.done = False

    def resolutionBegan(self, resolution: Any) -> None:  # noqa: N802
        pass

    def addressResolved(self, address: Any) -> None:  # noqa: N802
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.done = True


def resolve(resolver: GuardedResolver, name: str, port: int = 443) -> list[str]:
    receiver = Collect()
    resolver.resolveHostName(receiver, name, port)
    assert receiver.done
    return receiver.addresses


def resolver_with(dns: StubDns, **settings: Any) -> GuardedResolver:
    reactor = SimpleNamespace(nameResolver=dns)
    return GuardedResolver.from_crawler(get_crawler(settings_dict=settings), reactor)


def test_resolver_checks_every_answer_each_time_a_and_aaaa() -> None:
    dns = StubDns(
        ["93.184.216.34", "2606:2800::1"],
        ["93.184.216.34", "169.254.169.254"],  # rebinding: the second answer points inside
        ["93.184.216.34", "fe80::1%eth0"],  # the AAAA answer alone is enough
        ["::ffff:127.0.0.1"],
    )
    resolver = resolver_with(dns)
    assert resolve(resolver, "example.org") == ["93.184.216.34", "2606:2800::1"]
    assert resolve(resolver, "example.org") == []
    assert (
        RESOLVER_REFUSALS[("example.org", 443)]
        == "example.org resolves to 169.254.169.254, a link-local (cloud metadata) address"
    )
    assert resolve(resolver, "v6.example") == []
    assert "fe80::1, a link-local" in RESOLVER_REFUSALS[("v6.example", 443)]
    assert resolve(resolver, "mapped.example") == []
    assert [types for _, types in dns.asked] == [None] * 4  # always both families


def test_resolver_allows_what_the_operator_and_the_base_url_name() -> None:
    dns = StubDns(["10.0.0.7"], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"])
    resolver = resolver_with(
        dns, NEWSWATCH_PRIVATE_HOSTS=["intranet.example"], NEWSWATCH_PRIVATE_ENDPOINTS=["127.0.0.1:8765"]
    )
    assert resolve(resolver, "intranet.example", 80) == ["10.0.0.7"]
    assert resolve(resolver, "127.0.0.1", 8765) == ["127.0.0.1"]
    assert resolve(resolver, "127.0.0.1", 5432) == []  # the same address at another port: refused
    assert resolve(resolver, "localhost", 8765) == []  # a name for it is not the base_url


def test_refused_address_becomes_a_counted_refusal_not_a_retry(caplog: pytest.LogCaptureFixture) -> None:
    crawler = get_crawler()
    crawler.spider = SimpleNamespace(source=source())  # type: ignore[assignment]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    middleware = RefusedAddressMiddleware.from_crawler(crawler)
    RESOLVER_REFUSALS[("cdn.example.net", 80)] = "cdn.example.net resolves to 10.0.0.1, a private address"
    with pytest.raises(RefusedURL, match="10.0.0.1, a private address"):
        middleware.process_exception(Request("http://cdn.example.net/x"), DNSLookupError("no results"))
    assert middleware.process_exception(Request("http://other.example.net/"), DNSLookupError("x")) is None
    assert crawler.stats.get_value("newswatch/refused_urls") == 1  # type: ignore[union-attr]
    assert "s: refused http://cdn.example.net/x: cdn.example.net resolves to 10.0.0.1" in caplog.text


def test_a_guard_lets_the_resolver_reach_its_own_loopback_base_only() -> None:
    """`scrapy crawl osce -a base_url=http://127.0.0.1:8765` never passes through crawler.runner."""
    resolver = resolver_with(StubDns(["127.0.0.1"], ["127.0.0.1"], ["10.1.1.1"]))
    assert resolve(resolver, "127.0.0.1", 8765) == []
    guard_for(source("http://127.0.0.1:8765", allow_private_hosts=["wiki.corp.example"]))
    assert resolve(resolver, "127.0.0.1", 8765) == ["127.0.0.1"]
    assert resolve(resolver, "wiki.corp.example", 443) == ["10.1.1.1"]
