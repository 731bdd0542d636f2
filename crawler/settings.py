"""Scrapy settings for newswatch: the one place crawl tunables live.

Values here are defaults for `scrapy crawl` from the project root; `newswatch crawl` and the scheduler
overlay the user's configuration (newswatch.config.CrawlSettings) on top of them.
"""

BOT_NAME = "newswatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness: robots.txt, a self-describing User-Agent, AutoThrottle and modest concurrency.
ROBOTSTXT_OBEY = True
# The product token and the operator's contact, kept apart so newswatch.toml can change either
# ([crawl] user_agent / contact); newswatch.config.CrawlSettings takes its defaults from here.
AGENT = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
CONTACT = "newswatch-admin@example.org"
# USER_AGENT (both together) is set below user_agent(), which builds it.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Failures: bounded time and size per response, retries with Scrapy's backoff.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3

# Scrapy starts this many asyncio tasks for *every* response to process its output (items, requests);
# our pipelines are synchronous and an article page yields one item, so the default 100 bought nothing
# and cost ~0.6 ms per page, a fifth of a bare crawl's time. (4 to 16 measure the same; 1 is slower.)
CONCURRENT_ITEMS = 16

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Our components: conditional GET on listings, retries that back off, and the article pipeline.
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused host is not even asked for its robots.txt. crawler/netguard.py.
    "crawler.netguard.UrlGuardMiddleware": 50,
    # After RedirectMiddleware (600) on the way in: sees a 3xx before it is followed (target, loops).
    "crawler.netguard.RedirectCheckMiddleware": 650,
    # Nearest the network: a name the resolver refused is explained, counted and not retried.
    "crawler.netguard.RefusedAddressMiddleware": 950,
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
# Only http(s) is ever fetched: the other built-in handlers (file://, data:, s3://, ftp://) are switched
# off, so even a URL that got past the guard has nothing to be read with. Names are resolved by the
# guard's resolver, which refuses private, loopback and link-local answers (crawler/netguard.py).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
TWISTED_DNS_RESOLVER = "crawler.netguard.GuardedResolver"
# Set by crawler.runner from the sources crawled: names allowed to resolve privately (allow_private_hosts)
# and the private base_url literals, as "host:port" (the replicas on 127.0.0.1).
NEWSWATCH_PRIVATE_HOSTS: list[str] = []
NEWSWATCH_PRIVATE_ENDPOINTS: list[str] = []
REDIRECT_MAX_TIMES = 10
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 30.0
ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.RelevancePipeline": 200,
    "crawler.pipelines.TagPipeline": 300,
    "crawler.pipelines.StorePipeline": 400,
}

# newswatch's own keys (spider arguments override them).
NEWSWATCH_DATABASE_URL = "sqlite:///./var/newswatch.db"
NEWSWATCH_MAX_PAGES = 3  # listing pages per scheduled run
NEWSWATCH_BACKFILL_MAX_PAGES = 50
NEWSWATCH_BATCH_SIZE = 50  # articles per storage transaction
NEWSWATCH_LOG_EXCERPT_LINES = 20
NEWSWATCH_BASELINE_HOURS = 48  # a source's first run mails only articles published this recently

# CrawlSettings key (newswatch.toml [crawl]) -> Scrapy setting.
CRAWL_OPTION_SETTINGS = {
    "obey_robots": "ROBOTSTXT_OBEY",
    "concurrent_requests": "CONCURRENT_REQUESTS",
    "concurrent_per_domain": "CONCURRENT_REQUESTS_PER_DOMAIN",
    "download_delay": "DOWNLOAD_DELAY",
    "download_timeout": "DOWNLOAD_TIMEOUT",
    "max_response_bytes": "DOWNLOAD_MAXSIZE",
    "retry_times": "RETRY_TIMES",
    "autothrottle": "AUTOTHROTTLE_ENABLED",
    "max_pages": "NEWSWATCH_MAX_PAGES",
    "backfill_max_pages": "NEWSWATCH_BACKFILL_MAX_PAGES",
    "baseline_window_hours": "NEWSWATCH_BASELINE_HOURS",
}


def user_agent(agent: str, contact: str | None) -> str:
    """The User-Agent names newswatch and says how to reach whoever runs this instance."""
    if not contact or contact in agent:
        return agent
    if agent.endswith(")"):
        return f"{agent[:-1]}; {contact})"
    return f"{agent} ({contact})"


USER_AGENT = user_agent(AGENT, CONTACT)


def overlay(options: dict | None) -> dict:
    """Scrapy settings for the user's [crawl] options (CrawlSettings as a plain dict).

    Known keys map through CRAWL_OPTION_SETTINGS; UPPER_CASE keys are passed through as raw Scrapy
    settings (tests and benchmarks use that, e.g. ``{"RETRY_BACKOFF_BASE": 0}``); other keys are ignored
    so a newer configuration does not break an older crawler.
    """
    options = dict(options or {})
    result: dict = {}
    for key, setting in CRAWL_OPTION_SETTINGS.items():
        if key in options and options[key] is not None:
            result[setting] = options[key]
    if "user_agent" in options or "contact" in options:
        result["USER_AGENT"] = user_agent(options.get("user_agent") or USER_AGENT, options.get("contact"))
    if "max_response_bytes" in options:
        result["DOWNLOAD_WARNSIZE"] = min(DOWNLOAD_WARNSIZE, int(options["max_response_bytes"]))
    result.update({key: value for key, value in options.items() if key.isupper()})
    return result
