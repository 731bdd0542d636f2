"""One-click unsubscribe (RFC 8058) in the web app, on SQLite and PostgreSQL.

GET shows a confirmation page and changes nothing (mail scanners prefetch links); POST, from a mail
client's one-click or from the page's button, deactivates the subscription and may be repeated.
Only this route writes, through the separate ``write_sessions`` factory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_alerts_support import T0, add_article, mail_config
from test_web_data import SOURCES, TestClient

from alerts.jobs import queue_digests
from alerts.subscriptions import add_subscription
from newswatch.web import create_app, make_readonly_engine
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import OutboxMessage, Subscription

HTML = "text/html; charset=utf-8"
ONE_CLICK = {"content": b"List-Unsubscribe=One-Click",
             "headers": {"content-type": "application/x-www-form-urlencoded"}}  # fmt: skip
HOSTILE_TOKENS = [
    "x" * 65,
    "A" * 5000,
    "...",
    "..%2F..%2Fetc%2Fpasswd",
    "..\\..\\windows",
    "%2E%2E",
    "%22%27%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "abc'%20OR%20'1'='1",
    '"quoted"',
    "tok%00en",
    "%E2%80%AE%D1%82%D0%BE%D0%BA%D0%B5%D0%BD",  # RTL override + Cyrillic
    "%25",
    "a%20b",
]


@dataclass
class Site:
    client: TestClient
    writes: sessionmaker[Session]

    def active(self, token: str) -> bool:
        with self.writes() as session:
            sub = session.scalar(select(Subscription).where(Subscription.unsubscribe_token == token))
            assert sub is not None
            return sub.active

    def subscribe(self, email: str = "reader@example.org", **kwargs) -> str:  # type: ignore[no-untyped-def]
        with session_scope(self.writes) as session:
            return add_subscription(session, email=email, now=T0, **kwargs).unsubscribe_token


def _client(db_url: str, *, writable: bool = True) -> Iterator[Site]:
    readonly = make_readonly_engine(db_url)
    writer = make_engine(db_url)
    writes = make_session_factory(writer)
    app = create_app(
        make_session_factory(readonly), sources=SOURCES, write_sessions=writes if writable else None
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(client, writes)
    readonly.dispose()
    writer.dispose()


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    yield from _client(db_url)


@pytest.fixture
def token(site: Site) -> str:
    return site.subscribe(frequency="daily", query='"border management"', sources=["osce"])


def test_get_shows_a_form_and_unsubscribes_nobody(site: Site, token: str) -> None:
    for _ in range(3):  # a mail scanner, a link preview, the person
        response = site.client.get(f"/unsubscribe/{token}")
        assert response.status_code == 200
        assert response.headers["content-type"] == HTML
    html = response.text
    assert '<link rel="stylesheet" href="/static/style.css">' in html, "the site's own layout"
    assert f'<form class="unsubscribe" method="post" action="/unsubscribe/{token}">' in html
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in html
    assert '<button type="submit">Unsubscribe</button>' in html
    assert "reader@example.org" in html and "daily" in html and "&#34;border management&#34;" in html
    assert "<script" not in html, "the CSP forbids inline scripts; none are needed"
    assert "form-action 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store", "the URL holds a secret"
    assert '<meta name="robots" content="noindex">' in html
    assert site.active(token)
    assert site.client.head(f"/unsubscribe/{token}").status_code == 200
    assert site.active(token)


def test_one_click_post_unsubscribes_and_answers_a_page(site: Site, token: str) -> None:
    other = site.subscribe(frequency="weekly")  # same address, another subscription
    response = site.client.post(f"/unsubscribe/{token}", **ONE_CLICK)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    assert "You are unsubscribed" in response.text
    assert "<form" not in response.text
    assert not site.active(token)
    assert site.active(other), "only the subscription of this link"


def test_the_page_button_and_repeats_are_fine(site: Site, token: str) -> None:
    form = site.client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert form.status_code == 200 and not site.active(token)
    again = site.client.post(f"/unsubscribe/{token}", **ONE_CLICK)  # type: ignore[arg-type]
    assert again.status_code == 200 and "You are unsubscribed" in again.text
    empty = site.client.post(f"/unsubscribe/{token}")  # some clients send no body at all
    assert empty.status_code == 200
    later = site.client.get(f"/unsubscribe/{token}")
    assert later.status_code == 200 and "You are unsubscribed" in later.text and "<form" not in later.text
    assert not site.active(token)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_token_is_a_clear_404_page(site: Site, token: str, method: str) -> None:
    unknown = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = site.client.request(method, f"/unsubscribe/{unknown}")
    assert response.status_code == 404
    assert response.headers["content-type"] == HTML
    assert "This unsubscribe link is not valid" in response.text
    assert site.active(token)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("hostile", HOSTILE_TOKENS)
def test_hostile_tokens_are_404s_not_500s(site: Site, token: str, method: str, hostile: str) -> None:
    response = site.client.request(method, f"/unsubscribe/{hostile}")
    assert response.status_code == 404, response.text[:300]
    assert response.headers["content-type"] == HTML
    assert "<script>alert" not in response.text
    assert site.active(token)


def test_other_methods_are_refused(site: Site, token: str) -> None:
    response = site.client.put(f"/unsubscribe/{token}")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    assert site.active(token)


def test_without_a_writable_factory_nothing_can_be_written(db_url: str) -> None:
    for site in _client(db_url, writable=False):
        token = site.subscribe()
        assert site.client.get(f"/unsubscribe/{token}").status_code == 200
        response = site.client.post(f"/unsubscribe/{token}", **ONE_CLICK)  # type: ignore[arg-type]
        assert response.status_code == 503 and "not enabled" in response.text
        assert site.active(token)


def test_the_digest_header_points_at_this_route(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """End to end: queue a real digest, take the URL from its List-Unsubscribe header, one-click it."""
    token = site.subscribe(frequency="immediate")
    with session_scope(site.writes) as session:
        add_article(session, "khujand", title="Seminar in Khujand")
    mail = mail_config(None, tmp_path, public_url="http://testserver/")
    assert queue_digests(site.writes, mail, "immediate", now=T0 + dt.timedelta(hours=2)) == 1
    with session_scope(site.writes) as session:
        payload = session.scalars(select(OutboxMessage.payload)).one()
    message = message_from_bytes(payload, policy=default_policy)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    urls = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    web = [url for url in urls if url.startswith("http")]
    assert web == [f"http://testserver/unsubscribe/{token}"]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert web[0] in html, "the footer link of the HTML part is the same URL"

    assert site.client.get(web[0]).status_code == 200 and site.active(token)
    response = site.client.post(web[0], **ONE_CLICK)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert not site.active(token)
