"""The mail policy for every message we build: RFC 5322 lines, list headers folded as plain ASCII.

Python's email package folds a header whose single token is longer than the line (a one-click
unsubscribe URL with a realistic ``public_url`` is ~110 characters) into an RFC 2047 encoded word:
``List-Unsubscribe: =?utf-8?q?=3Chttps...?=``. Mail clients never decode that header, so one-click
unsubscribe (RFC 8058, required by the large mailbox providers for bulk mail) silently broke; the tests
passed because they read the header back through Python, which does decode it.

``MAIL_POLICY`` is ``email.policy.SMTP`` with one change: the headers that carry URLs or identifiers
(``ASCII_HEADERS``) fold only at ``", "`` or spaces between items, and are never encoded. Their values
are ASCII by construction (URLs, addresses, tokens); anything else in them is a bug, refused loudly.
"""

from __future__ import annotations

from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.policy import SMTP, Policy
from typing import Any, cast

ASCII_HEADERS = ("list-unsubscribe", "list-unsubscribe-post", "list-id", "message-id")


class AsciiListHeader(UnstructuredHeader):
    """An ASCII header folded between its items (``<a>, <b>``) instead of being encoded.

    HeaderRegistry mixes it with ``BaseHeader`` (a ``str`` with ``name``), whose ``fold`` this replaces.
    """

    name: str

    def fold(self, *, policy: Policy) -> str:
        value = str(self)
        if not value.isascii() or "\r" in value or "\n" in value:
            raise ValueError(f"{self.name} must be one line of ASCII, got {value!r}")
        limit = policy.max_line_length or 78
        items = value.split()  # "<a>, <b>" -> ["<a>,", "<b>"]: fold between items
        lines: list[str] = []
        line = f"{self.name}:"
        for item in items:
            candidate = f"{line} {item}"
            if len(candidate) > limit and line.strip() and not line.endswith(":"):
                lines.append(line)
                line = f" {item}"
            else:
                line = candidate
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep  # type: ignore[attr-defined]


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    for name in ASCII_HEADERS:
        registry.map_to_type(name, cast(Any, AsciiListHeader))
    return registry


MAIL_POLICY: Any = SMTP.clone(header_factory=_registry())
