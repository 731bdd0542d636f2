"""Source health: the figures behind ``newswatch status``, and failure-streak alerts to the admin.

A site that is down or was redesigned fails on every run; mailing the admin each time would train
them to ignore us. So the streak lives in ``source_state`` (it survives restarts), the admin hears
once when a source reaches ``failure_threshold`` bad runs in a row, and once more when it recovers.
A run that "worked" but found no articles at all counts as bad: that is what a redesign looks like.
The state change and the queued message share one transaction, so neither can happen without the other.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from storage import crawl_runs, source_state
from storage.crawl_runs import CrawlRun
from storage.db import Session, SessionFactory, session_scope
from storage.records import CrawlSummary
from storage.types import utcnow

log = logging.getLogger(__name__)


def run_was_bad(outcome: CrawlSummary) -> str | None:
    """Why this run counts against the source (None when it was healthy)."""
    if outcome.status in ("skipped", "busy"):
        return None
    if not outcome.ok:
        return f"the crawl ended '{outcome.status}' (exit status {outcome.exit_code})"
    if outcome.pages_fetched > 0 and outcome.items_seen == 0 and links_found(outcome) == 0:
        return "its entry pages yielded no article links (the site may have changed its layout)"
    return None


def run_was_inconclusive(outcome: CrawlSummary) -> bool:
    """A clean run that saw nothing and parsed no listing: every listing answered 304 Not Modified (or a
    feed had nothing new). It proves neither health nor failure, so the streak is left as it is; in
    particular an unchanged, still-empty listing does not count as a recovery."""
    return (
        outcome.ok
        and outcome.errors == 0
        and outcome.pages_fetched > 0
        and outcome.items_seen == 0
        and links_found(outcome) is None
    )


def links_found(outcome: CrawlSummary) -> int | None:
    """Article links the run's entry pages listed, when the crawler reports it (None: unknown).

    Stored-nothing alone proves nothing: an incremental run stops early, storing nothing, when every
    link on the listing is already archived. Only "the listing showed no links at all" means broken.
    """
    return outcome.links_found


@dataclass(frozen=True, slots=True)
class HealthChange:
    """What recording one run did to the source's state (for logs and tests)."""

    source: str
    consecutive_failures: int
    alert_id: int | None = None
    recovery_id: int | None = None
    degraded_id: int | None = None  # the once-per-episode "degraded" notice (discovery ladder)


def record_outcome(
    session_factory: SessionFactory,
    outcome: CrawlSummary,
    *,
    failure_threshold: int,
    admin_email: str | None,
    now: dt.datetime | None = None,
) -> HealthChange:
    """Update the source's streak; queue one 'failing' alert at the threshold and one 'recovered' notice."""
    now = now or utcnow()
    reason = run_was_bad(outcome)
    alert_id = recovery_id = degraded_id = None
    with session_scope(session_factory) as session:
        state = source_state.for_update(session, outcome.source)
        if reason is None and run_was_inconclusive(outcome) and state.consecutive_failures:
            pass  # 304s after failures: wait for a run that shows something
        elif reason is None:
            if state.failing_alert_sent and admin_email:
                recovery_id = _queue(
                    session, admin_email, f"source {outcome.source} recovered",
                    f"The source '{outcome.source}' works again after {state.consecutive_failures} bad runs "
                    f"in a row.\nLast run: {outcome.items_new} new articles, {outcome.pages_fetched} pages.\n",
                    now,
                )  # fmt: skip
            state.consecutive_failures = 0
            state.failing_alert_sent = False
            state.last_success_at = now
            degraded_id = _notice_degraded(session, outcome, admin_email, now)
        else:
            state.consecutive_failures = (state.consecutive_failures or 0) + 1
            if state.consecutive_failures >= failure_threshold and not state.failing_alert_sent:
                if admin_email:
                    alert_id = _queue(
                        session, admin_email, f"source {outcome.source} is failing",
                        f"The source '{outcome.source}' had {state.consecutive_failures} bad runs in a row.\n"
                        f"Latest: {reason}.\n\nLast output of the crawl:\n{outcome.log_tail[-2000:]}\n\n"
                        "You will get one more message when it works again.\n",
                        now,
                    )  # fmt: skip
                else:
                    log.error("source %s failed %d runs in a row (%s); set alerts.admin_email to be mailed",
                              outcome.source, state.consecutive_failures, reason)  # fmt: skip
                state.failing_alert_sent = True
        state.updated_at = now
        failures = state.consecutive_failures
    if alert_id:
        log.error("source %s is failing (%d runs in a row): admin alert queued", outcome.source, failures)
    if recovery_id:
        log.info("source %s recovered: admin notice queued", outcome.source)
    if degraded_id:
        log.warning("source %s is degraded: admin notice queued", outcome.source)
    return HealthChange(outcome.source, failures, alert_id, recovery_id, degraded_id)


def _notice_degraded(
    session: Session, outcome: CrawlSummary, admin_email: str | None, now: dt.datetime
) -> int | None:
    """Tell the admin once when a source starts running on the discovery ladder (crawler/spiders/ladder.py).

    Once: only when this run is degraded and the scheduled run before it was not, so a source that stays
    on its fallback is not mailed every run; it is mailed again if it recovers and then degrades anew.
    """
    if outcome.run_id is None:
        return None
    runs = crawl_runs.recent(session, outcome.source, limit=2, include_backfill=False)
    if not runs or runs[0].id != outcome.run_id:
        return None
    note = degraded_note(runs[0].log_excerpt)
    if note is None or (len(runs) > 1 and degraded_note(runs[1].log_excerpt)):
        return None
    if not admin_email:
        log.warning("source %s: %s (set alerts.admin_email to be mailed)", outcome.source, note)
        return None
    return _queue(
        session, admin_email, f"source {outcome.source} is degraded",
        f"The source '{outcome.source}' still delivers articles, but not from its configured entry point:\n"
        f"{note}.\n\nUpdate its [sources.{outcome.source}] entry; you will not be told again while it stays so.\n",
        now,
    )  # fmt: skip


def _queue(session: Session, to: str, subject: str, body: str, now: dt.datetime) -> int | None:
    from alerts.admin import queue_admin_alert  # jinja2 loads only to write an alert, not for `status`

    try:
        return queue_admin_alert(session, to=to, subject=subject, body=body, now=now)
    except ValueError as exc:  # a bad admin address must not break the crawl bookkeeping
        log.error("%s", exc)
        return None


DEGRADED = "degraded:"  # what crawler/spiders/ladder.py logs when an entry point failed and the ladder ran


def degraded_note(log_excerpt: str | None) -> str | None:
    """The run's "degraded: <entry> failed (<cause>), used <rung> <url>" line, from its log excerpt.

    The discovery ladder logs it as a warning, which the run's excerpt keeps; reading it back from
    there needs no column of its own. The last such line wins.
    """
    for line in reversed((log_excerpt or "").splitlines()):
        at = line.find(DEGRADED)
        if at >= 0:
            return line[at:].strip()
    return None


PARSER_FAILING_SHARE = 0.5  # more than this share of a run's articles needed the generic fallback
PARSER_FAILING_MIN_PAGES = 3  # ... out of at least this many (one odd page is no redesign)


def fallback_rate(fallbacks: int, pages: int) -> float | None:
    """Share of a run's articles whose site parser missed a field (the generic layer filled it in).

    ``pages`` is the run's articles seen (new + updated + unchanged + dropped); pages dropped as "not an
    article" are in it but never counted as fallbacks, so the rate errs low. None when it saw none.
    """
    return round(fallbacks / pages, 3) if pages > 0 else None


def source_health(log_excerpt: str | None, fallbacks: int, pages: int) -> str | None:
    """What ``status`` shows beside ok/failed: the discovery ladder's line, a failing site parser, or None."""
    notes = []
    degraded = degraded_note(log_excerpt)
    if degraded:
        notes.append(degraded)
    rate = fallback_rate(fallbacks, pages)
    if rate is not None and pages >= PARSER_FAILING_MIN_PAGES and rate > PARSER_FAILING_SHARE:
        notes.append(f"site parser failing: generic fallback on {fallbacks} of {pages} articles")
    return "; ".join(notes) or None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One row of ``newswatch status``."""

    source: str
    enabled: bool
    interval_minutes: float
    last_run_at: dt.datetime | None
    last_status: str | None
    last_new_items: int | None
    last_success_at: dt.datetime | None
    consecutive_failures: int
    alerted: bool
    next_run_at: dt.datetime | None
    running: bool
    health: str | None = None  # "degraded: ..." (discovery ladder) and/or "site parser failing: ..."
    fallback_rate: float | None = None  # last run's share of articles that needed the generic fallback

    def as_row(self) -> dict[str, object]:
        return {
            "source": self.source,
            "enabled": self.enabled,
            "interval_minutes": self.interval_minutes,
            "last_run_at": _iso(self.last_run_at),
            "last_status": self.last_status,
            "last_new_items": self.last_new_items,
            "last_success_at": _iso(self.last_success_at),
            "consecutive_failures": self.consecutive_failures,
            "alerted": self.alerted,
            "next_run_at": _iso(self.next_run_at),
            "running": self.running,
            "fallback_rate": self.fallback_rate,
            "health": self.health,
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def source_status(
    session: Session,
    sources: Sequence[tuple[str, bool, float]],
    *,
    now: dt.datetime | None = None,
) -> list[SourceStatus]:
    """Per source (key, enabled, interval in seconds): last run, its result, streak and next run.

    The last run is the latest of any kind (a backfill included, as ``sources list``, ``stats`` and the
    web show it). The next run is the last *scheduled* start plus the interval (now, if that is already
    past: the service catches up at once after a restart); the scheduler's jitter can move it by up to
    its setting.
    """
    now = now or utcnow()
    keys = [key for key, _enabled, _interval in sources]
    runs = crawl_runs.latest_by_source(session, keys, include_backfill=True)
    scheduled = crawl_runs.latest_by_source(session, keys, include_backfill=False)
    last_ok = crawl_runs.last_successes(session, keys)
    states = source_state.states(session, keys)
    rows = []
    for key, enabled, interval in sources:
        run, state, last_scheduled = runs.get(key), states.get(key), scheduled.get(key)
        next_run = None
        if enabled:
            next_run = (
                max(now, last_scheduled.started_at + dt.timedelta(seconds=interval))
                if last_scheduled
                else now
            )
        rows.append(
            SourceStatus(
                source=key,
                enabled=enabled,
                interval_minutes=round(interval / 60, 2),
                last_run_at=run.started_at if run else None,
                last_status=run.status if run else None,
                last_new_items=run.items_new if run else None,
                last_success_at=(
                    state.last_success_at if state and state.last_success_at else last_ok.get(key)
                ),
                consecutive_failures=state.consecutive_failures if state else 0,
                alerted=bool(state and state.failing_alert_sent),
                next_run_at=next_run,
                running=bool(run and run.status == "running"),
                health=source_health(run.log_excerpt, run.fallbacks or 0, articles_seen(run))
                if run
                else None,
                fallback_rate=fallback_rate(run.fallbacks or 0, articles_seen(run)) if run else None,
            )  # fmt: skip
        )
    return rows


def articles_seen(run: CrawlRun) -> int:
    """Articles a run judged (the fallback rate's denominator)."""
    return (
        (run.items_new or 0)
        + (run.items_updated or 0)
        + (run.items_unchanged or 0)
        + (run.items_dropped or 0)
    )
