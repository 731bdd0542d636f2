"""newswatch's own crawl signals: how the pipelines tell the rest of a crawl what happened.

Pipelines never call into the spider or set attributes on it; they send these signals (through
``crawler.signals``) and count into ``crawler.stats``. The spider listens to settle its validators, the
runner listens to collect each run's summary. (Scrapy's own ``item_dropped`` tells the spider which
pages it need not fetch again.)
"""

from __future__ import annotations

# Sent with ``item`` (a FetchedArticle) when an article could not be stored: the crawl counts an error
# and the listing that linked it keeps no validators, so the next run looks at it again.
article_not_stored = object()

# Sent with ``summary`` (a storage.records.CrawlSummary) once the run's figures are final, before its
# crawl_run row is completed.
run_finished = object()

# Sent with ``url`` and ``cause`` (a one-line description, crawler.fetch_errors) when a request failed for
# good (after retries): the CLI prints it as one line per failure.
fetch_failed = object()

# Sent with ``message`` for something a person running the crawl should read (the run fell back down the
# discovery ladder, say); the CLI prints it as a progress line.
crawl_notice = object()
