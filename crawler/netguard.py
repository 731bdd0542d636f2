"""Where the crawler may connect: a source's own hosts, and never inside our network unless told to.

Every URL a page gives us is untrusted, and a redirect is a URL too. A feed item whose page answers
``302 Location: http://169.254.169.254/…`` (cloud metadata) or ``http://127.0.0.1:5432/`` must not make
us fetch, archive and then publish what sits inside. Two checks, because neither alone is enough:

- ``UrlGuardMiddleware`` (per source, on every request the engine downloads: entry points, links from
  feeds, sitemaps and listings, every redirect hop, robots.txt) checks the scheme (http/https only), the
  host (the source's ``base_url`` / ``homepage`` hosts plus its ``allowed_hosts``) and, for an IP
  literal, the address range (see ``forbidden_reason``);
- ``GuardedResolver`` (the process's DNS resolver, so it runs when the connection is made) resolves a
  name's A *and* AAAA records and refuses the name when any of them is in a forbidden range. The address
  checked is the address connected to, so a DNS answer that changes between a check and the connection
  (rebinding) has nothing to slip through.

Exceptions, both explicit: a source whose own ``base_url`` is a private IP literal (our replicas on
127.0.0.1, an intranet mirror) may reach that host *and port* only; and an operator can name private
hosts in a source's ``allow_private_hosts`` (an intranet source), which may then resolve to private
addresses.

A refusal is counted (``newswatch/refused_urls``), logged with its reason, and never retried.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.datatypes import LocalCache
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from w3lib.url import safe_url_string
from zope.interface import implementer

from crawler.sources import Source

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# The ranges the issue (and RFC 6890) name, each with the reason we log. Checked in this order; anything
# ipaddress does not call global (documentation, benchmarking, 6to4 relay ...) is refused as "reserved".
FORBIDDEN_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "'this network'"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata)"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
)
_NETWORKS = tuple((ipaddress.ip_network(net), why) for net, why in FORBIDDEN_RANGES)
SCHEMES = {"http", "https"}


class RefusedURL(IgnoreRequest):
    """A request the guard will not send: wrong scheme, a host the source does not own, a private address."""


def forbidden_reason(address: str | Address) -> str | None:
    """Why we never connect to ``address`` (e.g. ``"loopback"``), or None for a public address.

    IPv4-mapped and NAT64-style embeddings are unwrapped first: ``::ffff:127.0.0.1`` is loopback.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for network, why in _NETWORKS:
        if ip.version == network.version and ip in network:
            return why
    if not ip.is_global:
        return "reserved"
    return None


def ip_literal(host: str) -> Address | None:
    """The address if ``host`` (as urlsplit gives it, brackets stripped) is an IP literal."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _host_port(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, host lower-cased without a trailing dot; raises ValueError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, host, port


def _bare(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


class HostPolicy:
    """Which URLs one source may fetch. Built from the source's registry entry; no network."""

    def __init__(self, base_url: str, hosts: Iterable[str], private_hosts: Iterable[str] = ()) -> None:
        _, base_host, base_port = _host_port(base_url)
        self.base = (base_host, base_port)
        self.hosts = {_bare(h.lower().rstrip(".")) for h in hosts if h} | {_bare(base_host)}
        self.private_hosts = {h.lower().rstrip(".") for h in private_hosts}
        self.hosts |= {_bare(h) for h in self.private_hosts}

    @classmethod
    def for_source(cls, source: Source) -> HostPolicy:
        hosts = [_host_port(source.homepage)[1], *source.allowed_hosts]
        return cls(source.base_url, hosts, source.allow_private_hosts)

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be fetched for this source, or None when it may."""
        try:
            scheme, host, port = _host_port(url)
        except ValueError as exc:
            return f"unparsable URL ({exc})"
        if scheme not in SCHEMES:
            return f"scheme {scheme or '(none)'!r} is not http(s)"
        if not host:
            return "no host"
        if _bare(host) not in self.hosts:
            return f"host {host!r} is not one of the source's hosts ({', '.join(sorted(self.hosts))})"
        address = ip_literal(host)
        if address is not None:
            why = forbidden_reason(address)
            if why and (host, port) != self.base:
                return f"{host} is a {why} address and not the source's own {self.base[0]}:{self.base[1]}"
        return None


class UrlGuardMiddleware:
    """Downloader middleware: refuses every request outside the source's ``HostPolicy`` (see module doc).

    Runs before robots.txt handling, so a refused host is not even asked for its robots.txt; a redirect
    hop comes back through ``process_request`` as a new request, so each hop is checked.
    """

    def __init__(self, policy: HostPolicy, source: str, stats: StatsCollector) -> None:
        self.policy = policy
        self.source = source
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlGuardMiddleware:
        source = _spider_source(crawler)
        assert crawler.stats is not None
        allow_inside(source)
        return cls(HostPolicy.for_source(source), source.key, crawler.stats)

    def process_request(self, request: Request) -> None:
        reason = self.policy.refusal(request.url)
        if reason is not None:
            refuse(self.stats, self.source, request.url, reason)
            raise RefusedURL(f"refused {request.url}: {reason}")
        return None


class RefusedAddressMiddleware:
    """Downloader middleware nearest the network: a connection the resolver refused becomes a RefusedURL.

    Twisted reports a refused name as a bare "no results for hostname lookup" (Scrapy's
    CannotResolveHostError, or Twisted's DNSLookupError), which RetryMiddleware would retry. This runs first on the way back (highest priority number), counts and
    explains it with the resolver's reason, and fails the request for good.
    """

    def __init__(self, source: str, stats: StatsCollector) -> None:
        self.source = source
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefusedAddressMiddleware:
        assert crawler.stats is not None
        return cls(getattr(getattr(crawler.spider, "source", None), "key", ""), crawler.stats)

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if not isinstance(exception, (DNSLookupError, CannotResolveHostError)):
            return None
        try:
            _, host, port = _host_port(request.url)
        except ValueError:
            return None
        reason = RESOLVER_REFUSALS.get((host, port or 0))
        if reason is None:
            return None
        refuse(self.stats, self.source, request.url, reason)
        raise RefusedURL(f"refused {request.url}: {reason}") from exception


def refuse(stats: StatsCollector, source: str, url: str, reason: str) -> None:
    """Count and log one refusal (the run's ``refused_urls`` and its log excerpt show it)."""
    stats.inc_value("newswatch/refused_urls")
    logger.warning("%s: refused %s: %s", source, url, reason)


class RedirectCheckMiddleware:
    """Downloader middleware placed after RedirectMiddleware: sees every 3xx before it is followed.

    - A target outside the source's ``HostPolicy`` is refused here, with its reason: Scrapy would
      otherwise drop a ``Location: file:///etc/passwd`` as a bare "non-200 response".
    - A loop is an error said aloud: Scrapy's dupe filter drops a redirect back to a URL already
      requested without a word, and the run said ``ok``. A target already in the chain, or a chain past
      ``REDIRECT_MAX_TIMES``, is counted (``newswatch/redirect_loops``), logged by the spider's errback
      and counted there as an error.
    """

    def __init__(self, policy: HostPolicy, source: str, max_redirects: int, stats: StatsCollector) -> None:
        self.policy = policy
        self.source = source
        self.max_redirects = max_redirects
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectCheckMiddleware:
        source = _spider_source(crawler)
        assert crawler.stats is not None
        return cls(
            HostPolicy.for_source(source),
            source.key,
            crawler.settings.getint("REDIRECT_MAX_TIMES", 20),
            crawler.stats,
        )

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = safe_url_string(response.urljoin(location.decode("latin-1").strip()))
        reason = self.policy.refusal(target)
        if reason is not None:
            refuse(self.stats, self.source, target, f"redirect from {request.url}: {reason}")
            raise RefusedURL(f"refused redirect to {target}: {reason}")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            why = f"redirect loop back to {target} after {len(chain)} hop(s)"
        elif len(chain) > self.max_redirects:
            why = f"more than {self.max_redirects} redirects"
        else:
            return response
        self.stats.inc_value("newswatch/redirect_loops")
        raise RedirectLoop(f"{chain[0]}: {why}")


def _spider_source(crawler: Crawler) -> Source:
    source = getattr(crawler.spider, "source", None)
    if not isinstance(source, Source):
        raise RuntimeError("crawler.netguard guards newswatch spiders only (the spider has no Source)")
    return source


class RedirectLoop(IgnoreRequest):
    """A redirect chain that never ends; the spider counts it as an error."""


# What the sources being crawled in this process may reach inside the network: "host:port" of a private
# base_url literal, and bare names from allow_private_hosts. UrlGuardMiddleware adds its source's when it
# is built, so `scrapy crawl` (which never passes through crawler.runner) is covered too. Process-wide
# like the resolver; each source's own middleware still keeps it to its own hosts.
PRIVATE_ALLOWANCES: set[str] = set()


def allow_inside(source: Source) -> None:
    """Record what ``source`` may reach inside the network (see PRIVATE_ALLOWANCES)."""
    parts = urlsplit(source.base_url)
    literal = ip_literal(parts.hostname or "")
    if literal is not None and forbidden_reason(literal):
        PRIVATE_ALLOWANCES.add(f"{literal}:{parts.port or (443 if parts.scheme == 'https' else 80)}")
    PRIVATE_ALLOWANCES.update(host.lower().rstrip(".") for host in source.allow_private_hosts)


# Names (and IP literals at a port) the resolver refused, with the reason: RefusedAddressMiddleware reads
# it to turn Twisted's bare "no results for hostname lookup" into a counted, explained refusal. One
# resolver serves the whole process, so this is process-wide too; bounded like Scrapy's DNS cache.
RESOLVER_REFUSALS: LocalCache[tuple[str, int], str] = LocalCache(10_000)


@implementer(IResolutionReceiver)
class _CheckingReceiver:
    """Collects every answer (A and AAAA) and passes them on only if none is forbidden."""

    def __init__(self, resolver: GuardedResolver, receiver: IResolutionReceiver, name: str, port: int,
                 wanted: Sequence[type[IAddress]] | None) -> None:  # fmt: skip
        self.resolver, self.name, self.port = resolver, name, port
        self.receiver: Any = receiver  # zope interfaces do not type-check as protocols
        self.wanted = tuple(wanted) if wanted else (IPv4Address, IPv6Address)
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 - Twisted's name
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802 - Twisted's name
        self.addresses.append(address)

    def resolutionComplete(self) -> None:  # noqa: N802 - Twisted's name
        hosts = [ipaddress.ip_address(str(getattr(a, "host", "")).split("%", 1)[0]) for a in self.addresses]
        why = self.resolver.refusal(self.name, self.port, hosts)
        if why is not None:
            RESOLVER_REFUSALS[(self.name.lower().rstrip("."), self.port)] = why
            logger.debug("resolver refused %s:%d: %s", self.name, self.port, why)
        else:
            for address in self.addresses:
                if isinstance(address, self.wanted):
                    self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """The process's name resolver: every answer (A and AAAA) of a name is checked before we connect.

    A name with any forbidden answer is refused whole. Private answers pass only for the names in
    ``NEWSWATCH_PRIVATE_HOSTS`` (the sources' ``allow_private_hosts``, set by ``crawler.runner``), and a
    private IP literal only at the host:port of a crawled source's own ``base_url``
    (``NEWSWATCH_PRIVATE_ENDPOINTS``). Installed with Scrapy's ``TWISTED_DNS_RESOLVER`` setting.
    """

    def __init__(
        self, reactor: Any, private_hosts: Iterable[str] = (), private_endpoints: Iterable[str] = ()
    ) -> None:
        self.reactor = reactor
        self.original: Any = reactor.nameResolver  # zope interfaces do not type-check as protocols
        self.private_hosts = {host.lower().rstrip(".") for host in private_hosts}
        self.private_endpoints = {endpoint.lower() for endpoint in private_endpoints}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        return cls(
            reactor,
            settings.getlist("NEWSWATCH_PRIVATE_HOSTS"),
            settings.getlist("NEWSWATCH_PRIVATE_ENDPOINTS"),
        )

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def refusal(self, name: str, port: int, addresses: Sequence[Address]) -> str | None:
        """Why a connection to ``name:port`` resolved to ``addresses`` must not be made, or None."""
        host = name.lower().rstrip(".").strip("[]")
        literal = ip_literal(host)
        if literal is not None and f"{literal}:{port}" in self.private_endpoints | PRIVATE_ALLOWANCES:
            return None
        if literal is None and host in self.private_hosts | PRIVATE_ALLOWANCES:
            return None
        for address in addresses:
            why = forbidden_reason(address)
            if why:
                return (
                    f"{name} resolves to {address}, a {why} address"
                    if literal is None
                    else f"{name} is a {why} address"
                )
        return None

    def resolveHostName(  # noqa: N802 - Twisted's name
        self,
        resolutionReceiver: IResolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Sequence[type[IAddress]] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> IResolutionReceiver:
        receiver = _CheckingReceiver(self, resolutionReceiver, hostName, portNumber, addressTypes)
        # Always ask for both families: an AAAA answer inside the network refuses the name too.
        self.original.resolveHostName(receiver, hostName, portNumber, None, transportSemantics)
        return resolutionReceiver
