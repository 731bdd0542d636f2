"""``newswatch subscribers …`` and ``newswatch digest …``: who gets email digests, and sending them.

The ``[smtp]`` and ``[alerts]`` settings become the plain ``MailConfig`` that ``alerts`` takes in
``newswatch.wiring.mail_config`` (alerts never imports newswatch).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from alerts.outbox import requeue
from alerts.subscriptions import (
    FREQUENCIES,
    SubscriptionError,
    SubscriptionView,
    add_subscription,
    list_subscriptions,
    remove_subscription,
    set_active,
    unsubscribe,
)
from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app
from newswatch.wiring import mail_config
from storage import outbox
from storage.db import session_scope
from storage.subscriptions import Subscription

if TYPE_CHECKING:
    from alerts.config import MailConfig

# alerts.jobs and alerts.selection (jinja2, smtplib) are imported inside the digest commands, so that
# `newswatch --help` and the subscriber commands start at once (tests/test_cli_imports.py).

SUBSCRIBER_COLUMNS = ["id", "email", "frequency", "query", "sources", "languages", "tags", "active",
                      "created_at", "last_sent_at"]  # fmt: skip
OUTBOX_COLUMNS = ["id", "kind", "recipient", "status", "attempts", "next_attempt_at", "sent_at", "subject",
                  "last_error"]  # fmt: skip


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Bad input becomes a one-line error, never a traceback."""
    try:
        yield
    except SubscriptionError as exc:
        raise click.ClickException(str(exc)) from None


def _check_sources(app: App, sources: tuple[str, ...]) -> None:
    if not sources:
        return
    from crawler.sources import SourceConfigError, load_registry

    try:
        known = load_registry(app.settings.sources).keys()
    except SourceConfigError:
        return  # the registry itself is broken; `newswatch sources` reports that
    unknown = [s for s in sources if s.lower() not in {k.lower() for k in known}]
    if unknown:
        raise click.ClickException(f"unknown source {unknown[0]!r}; known sources: {', '.join(known)}")


def _view_row(sub: Subscription) -> dict[str, object]:
    row = dataclasses.asdict(SubscriptionView.of(sub))
    for key in ("created_at", "last_sent_at"):
        row[key] = row[key].isoformat(timespec="seconds") if row[key] else None
    return row


@click.group("subscribers")
def subscribers() -> None:
    """Manage who receives email digests and what they receive.

    \b
    Example:
      newswatch subscribers add ana@example.org --frequency daily --query '"border management"'
      newswatch subscribers list --format json
    """


@subscribers.command("add")
@click.argument("email")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default="daily", show_default=True,
              help="immediate: within minutes of an article appearing; daily or weekly: one digest.")  # fmt: skip
@click.option("--query", default=None, help="Only articles matching this search (same language as `search`).")
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable).")
@click.option(
    "--lang", "languages", multiple=True, help="Only these languages, e.g. en, ru, tg (repeatable)."
)
@click.option("--tag", "tags", multiple=True, help="Only articles with one of these tags (repeatable).")
@format_option("table", "json")
@pass_app
def subscribers_add(app: App, email: str, frequency: str, query: str | None, sources: tuple[str, ...],
                    languages: tuple[str, ...], tags: tuple[str, ...], fmt: str) -> None:  # fmt: skip
    """Subscribe an address. Only articles first seen from now on are sent to it.

    One address may hold several subscriptions with different filters; each gets its own digest.

    \b
    Example:
      newswatch subscribers add ana@example.org
      newswatch subscribers add ana@example.org --frequency immediate --query 'Khujand OR Khorog' --lang ru
      newswatch subscribers add desk@example.org --frequency weekly --source osce --tag elections
    """
    _check_sources(app, sources)
    with _user_errors(), session_scope(app.sessions) as session:
        sub = add_subscription(session, email=email, frequency=frequency, query=query, sources=sources,
                               languages=languages, tags=tags)  # fmt: skip
        row = _view_row(sub)
    if fmt == "json":
        emit_rows([row], "json", SUBSCRIBER_COLUMNS)
    else:
        click.echo(f"Subscribed {row['email']} ({row['frequency']}), subscription id {row['id']}.")


@subscribers.command("list")
@click.option("--email", default=None, help="Only this address's subscriptions.")
@format_option("table", "json", "csv")
@pass_app
def subscribers_list(app: App, email: str | None, fmt: str) -> None:
    """List subscriptions, oldest first.

    \b
    Example:
      newswatch subscribers list
      newswatch subscribers list --email ana@example.org --format csv
    """
    with _user_errors(), session_scope(app.sessions) as session:
        rows = [_view_row(sub) for sub in list_subscriptions(session, email=email)]
    emit_rows(rows, fmt, SUBSCRIBER_COLUMNS)


def _change(app: App, subscription_id: int, action: str) -> None:
    with _user_errors(), session_scope(app.sessions) as session:
        if action == "remove":
            sub = remove_subscription(session, subscription_id)
        else:
            sub = set_active(session, subscription_id, action == "resume")
        email = sub.email
    done = {"remove": "Removed", "pause": "Paused", "resume": "Resumed"}[action]
    click.echo(f"{done} subscription {subscription_id} ({email}).")


@subscribers.command("remove")
@click.argument("subscription_id", metavar="ID", type=int)
@pass_app
def subscribers_remove(app: App, subscription_id: int) -> None:
    """Delete a subscription (messages already queued for it are still delivered).

    \b
    Example:
      newswatch subscribers remove 3
    """
    _change(app, subscription_id, "remove")


@subscribers.command("pause")
@click.argument("subscription_id", metavar="ID", type=int)
@pass_app
def subscribers_pause(app: App, subscription_id: int) -> None:
    """Stop sending to a subscription for now; nothing is collected while paused.

    \b
    Example:
      newswatch subscribers pause 3
    """
    _change(app, subscription_id, "pause")


@subscribers.command("resume")
@click.argument("subscription_id", metavar="ID", type=int)
@pass_app
def subscribers_resume(app: App, subscription_id: int) -> None:
    """Start sending again, with articles first seen from now on.

    \b
    Example:
      newswatch subscribers resume 3
    """
    _change(app, subscription_id, "resume")


@subscribers.command("unsubscribe")
@click.argument("token")
@pass_app
def subscribers_unsubscribe(app: App, token: str) -> None:
    """Deactivate the subscription holding TOKEN (from an "unsubscribe TOKEN" mail or the one-click link).

    \b
    Example:
      newswatch subscribers unsubscribe 3q2-hV9x0bP1...
    """
    with session_scope(app.sessions) as session:
        sub = unsubscribe(session, token.strip())
        if sub is None:
            raise click.ClickException("no subscription has this unsubscribe token")
        email, sub_id = sub.email, sub.id
    click.echo(f"Unsubscribed {email} (subscription {sub_id} paused).")


@click.group("digest")
def digest() -> None:
    """Preview, send and follow email digests.

    \b
    Example:
      newswatch digest preview ana@example.org
      newswatch digest send --frequency daily
    """


@digest.command("preview")
@click.argument("email")
@click.option("--part", type=click.Choice(["text", "html"]), default="text", show_default=True,
              help="Which part of the message to print.")  # fmt: skip
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Preview against the archive: every matching article published on or after this day.")  # fmt: skip
@pass_app
def digest_preview(app: App, email: str, part: str, since: dt.datetime | None) -> None:
    """Show what EMAIL would be sent now, without sending or marking anything.

    With --since, show what the subscription would get from the archive since that day (sent or not,
    old or new), to try a query before relying on it.

    \b
    Example:
      newswatch digest preview ana@example.org
      newswatch digest preview ana@example.org --part html > digest.html
      newswatch digest preview ana@example.org --since 2024-10-01
    """
    from alerts.jobs import preview_digests

    mail = mail_config(app.settings)
    with _user_errors(), app.sessions() as session:
        previews = preview_digests(session, email, mail, since=since.date() if since else None)
        session.rollback()
    if not previews:
        with _user_errors(), app.sessions() as session:
            has_any = any(sub.active for sub in list_subscriptions(session, email=email))
        if not has_any:
            raise click.ClickException(
                f"{email} has no active subscription (see `newswatch subscribers list`)"
            )
        click.echo(f"Nothing new for {email}: no digest would be sent now.", err=True)
        return
    for preview in previews:
        click.echo(
            f"# subscription {preview.subscription_id} ({preview.frequency}): {preview.subject}", err=True
        )
        click.echo(preview.text if part == "text" else preview.html)


@digest.command("send")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default=None,
              help="Only subscriptions of this frequency (default: all).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would be queued; write and send nothing.")
@format_option("table", "json")
@pass_app
def digest_send(app: App, frequency: str | None, dry_run: bool, fmt: str) -> None:
    """Queue a digest for every subscription with news, then deliver the outbox.

    Empty digests are not sent. Without smtp.host, messages are written as .eml files under
    alerts.outbox_dir. Failed deliveries are retried with backoff on later runs (and by `serve`).

    \b
    Example:
      newswatch digest send
      newswatch digest send --frequency weekly --dry-run
    """
    from alerts.jobs import deliver_outbox, queue_digests

    mail = mail_config(app.settings)
    if dry_run:
        emit_rows(_dry_run(app, mail, frequency), fmt, ["subscription", "email", "frequency", "articles"])
        return
    click.echo("queueing digests…", err=True)
    queued = queue_digests(app.sessions, mail, frequency)
    click.echo(f"queued {queued} digest(s); delivering…", err=True)
    report = deliver_outbox(app.sessions, mail)
    row = {"queued": queued, **report.as_dict()}
    emit_rows([row], fmt, ["queued", "sent", "retried", "failed", "withheld", "errors"])
    if mail.smtp_host is None and report.sent:
        click.echo(f"no smtp.host configured: messages written to {mail.outbox_dir}/", err=True)


def _dry_run(app: App, mail: MailConfig, frequency: str | None) -> list[dict[str, object]]:
    from alerts.jobs import active_subscriptions
    from alerts.selection import select_pending

    rows: list[dict[str, object]] = []
    with app.sessions() as session:
        for sub in active_subscriptions(session, frequency):
            count = len(
                select_pending(
                    session, sub, alert_backfill=mail.alert_backfill, news_window_days=mail.news_window_days
                ).items
            )
            if count:
                rows.append({"subscription": sub.id, "email": sub.email, "frequency": sub.frequency,
                             "articles": count})  # fmt: skip
        session.rollback()
    return rows


@digest.command("outbox")
@click.option("--status", type=click.Choice(["queued", "sending", "sent", "failed"]), default=None,
              help="Only messages in this state.")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option("table", "json", "csv")
@pass_app
def digest_outbox(app: App, status: str | None, limit: int, fmt: str) -> None:
    """List outbox messages, newest first, with their delivery state and last error.

    \b
    Example:
      newswatch digest outbox --status failed
    """
    with app.sessions() as session:
        messages = outbox.newest(session, status=status or None, limit=limit)
        rows = [{col: getattr(m, col) for col in OUTBOX_COLUMNS} for m in messages]
    emit_rows(rows, fmt, OUTBOX_COLUMNS)


@digest.command("retry")
@click.argument("outbox_id", metavar="ID", type=int)
@pass_app
def digest_retry(app: App, outbox_id: int) -> None:
    """Give a failed message a fresh round of delivery attempts (e.g. after fixing the address or server).

    \b
    Example:
      newswatch digest retry 12 && newswatch digest send
    """
    with session_scope(app.sessions) as session:
        if not requeue(session, outbox_id):
            raise click.ClickException(f"outbox message {outbox_id} does not exist or has not failed")
    click.echo(f"Message {outbox_id} queued again.")


commands: list[click.Command] = [subscribers, digest]
