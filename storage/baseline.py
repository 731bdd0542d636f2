"""Whether a crawl is a source's baseline: its first successful run, whose listing is history, not news.

The first crawl of a source (a fresh install, a newly added source) sees the whole first listing:
years-old releases that were never "new" to anyone. Those articles are archived with
``article.baseline_archive`` set, so digests skip them; only what was published within the
baseline window (default 48 hours) is mailed, so a fresh install still gets today's news.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun

__all__ = ["is_baseline"]


def is_baseline(session: Session, source: str) -> bool:
    """True when ``source`` has no successful crawl run yet."""
    done = exists().where(CrawlRun.source == source, CrawlRun.status == "ok")
    return not session.scalar(select(done))
