"""Fetch failures in words a person can act on: "cannot connect to host:port (connection refused)".

Scrapy reports a failed request as a Twisted failure with a traceback that is useful to us and noise to
someone running ``newswatch crawl`` on a laptop that is offline; the crawl reports this one line per
failed request instead (the tracebacks stay available with ``-v``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import exceptions as scrapy_errors
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer, error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Scrapy 2.14 wraps Twisted's errors in its own; both are checked.
_DNS = (error.DNSLookupError, scrapy_errors.CannotResolveHostError)
_REFUSED = (error.ConnectionRefusedError, scrapy_errors.DownloadConnectionRefusedError)
_TIMEOUT = (
    error.TimeoutError,
    error.TCPTimedOutError,
    defer.TimeoutError,
    scrapy_errors.DownloadTimeoutError,
)
_LOST = (error.ConnectionLost, error.ConnectionDone, ResponseNeverReceived, ResponseFailed,
         scrapy_errors.DownloadFailedError, scrapy_errors.ResponseDataLossError)  # fmt: skip


def describe_failure(failure: Failure, url: str) -> str:
    """The cause of a failed fetch of ``url``, in one line without a traceback."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if failure.check(HttpError):
        response = getattr(failure.value, "response", None)
        return f"HTTP {response.status}" if response is not None else "HTTP error"
    if failure.check(*_DNS):
        return f"cannot resolve host {host} (offline, or a wrong base_url?)"
    if failure.check(*_REFUSED):
        return f"cannot connect to {host}:{port} (connection refused)"
    if failure.check(*_TIMEOUT):
        return f"no answer from {host} in time (timed out)"
    if failure.check(error.NoRouteError):
        return f"cannot connect to {host}:{port} (no route to host)"
    if failure.check(*_LOST):
        return f"the connection to {host} was lost before a full answer"
    message = failure.getErrorMessage().strip().splitlines()
    return f"{failure.type.__name__ if failure.type else 'error'}: {message[0] if message else ''}".rstrip(
        ": "
    )
