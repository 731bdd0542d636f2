"""One-click unsubscribe from the email digests: the web layer's only write.

Every digest carries ``List-Unsubscribe: <{public_url}/unsubscribe/{token}>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). Mail clients POST to that URL;
people who open it in a browser get a confirmation page whose button POSTs to it. A GET never
changes anything, because mail scanners and link previewers fetch every link they see.

The POST runs on ``WebContext.write_sessions``, a separate writable session factory; everything else
in the web app keeps the read-only engine. The body is not read: the token in the path is the whole
credential, and mail clients may send it url-encoded or as multipart/form-data.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.subscriptions import SubscriptionView, unsubscribe
from storage import subscriptions
from storage.db import session_scope
from storage.errors import OperationalError

if TYPE_CHECKING:
    from newswatch.web.app import WebContext

# Tokens are secrets.token_urlsafe(32) (43 characters); the column holds up to 64. Anything else is
# refused before it reaches the database (PostgreSQL rejects NUL bytes in text with an error).
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
UNKNOWN = "This unsubscribe link is not valid: the subscription was removed or the link is incomplete."
# The pages carry a secret in their URL: keep them out of caches and search engines.
PRIVATE_HEADERS = {"cache-control": "no-store", "x-robots-tag": "noindex"}


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def _token_or_404(request: Request) -> str:
    token: str = request.path_params["token"]
    if not TOKEN.fullmatch(token):
        raise HTTPException(404, UNKNOWN)
    return token


def _page(request: Request, subscription: SubscriptionView, *, done: bool) -> Response:
    context = {
        "request": request,
        "title": "Unsubscribed" if done else "Unsubscribe",
        "subscription": subscription,
        "token": request.path_params["token"],
        "done": done,
    }
    return _web(request).templates.TemplateResponse(
        request, "unsubscribe.html", context, headers=PRIVATE_HEADERS
    )


def unsubscribe_page(request: Request) -> Response:
    """GET (and HEAD): the confirmation page; POST: unsubscribe."""
    if request.method == "POST":
        return _unsubscribe_now(request)
    return _confirmation(request)


def _confirmation(request: Request) -> Response:
    """A confirmation page with the button that POSTs; reads only."""
    web = _web(request)
    token = _token_or_404(request)
    with web.sessions() as session:
        found = subscriptions.by_token(session, token)
        subscription = SubscriptionView.of(found) if found is not None else None
    if subscription is None:
        raise HTTPException(404, UNKNOWN)
    return _page(request, subscription, done=not subscription.active)


def _unsubscribe_now(request: Request) -> Response:
    """Deactivate the subscription (RFC 8058 one-click, or the form); repeating it changes nothing."""
    web = _web(request)
    token = _token_or_404(request)
    if web.write_sessions is None:
        raise HTTPException(
            503, "Unsubscribing is not enabled on this server; please write to the digest's sender."
        )
    try:
        with session_scope(web.write_sessions) as session:
            found = unsubscribe(session, token)
            subscription = SubscriptionView.of(found) if found is not None else None
    except OperationalError:
        raise HTTPException(
            503, "The archive is busy; please try again in a minute.", headers={"retry-after": "60"}
        ) from None
    if subscription is None:
        raise HTTPException(404, UNKNOWN)
    return _page(request, subscription, done=True)


# One route for both methods, so a PUT or DELETE gets a 405 whose Allow header names GET and POST.
routes = [Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"], name="unsubscribe")]
