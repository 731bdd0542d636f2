"""``newswatch sources add URL``: subscribe to a site by its address (crawler/subscribe.py does the work)."""

from __future__ import annotations

from pathlib import Path

import click

from newswatch.app import App
from newswatch.cli.common import pass_app
from newswatch.cli.crawl_cmds import registry_of


@click.command("add")
@click.argument("url")
@click.option("--key", help="Registry key of the new source (default: from the host name).")
@click.option("--name", help="Display name (default: the site's og:site_name or title).")
@click.option(
    "--language", "languages", multiple=True, help="Language code; repeat for several (default: detected)."
)
@click.option(
    "--always-relevant", is_flag=True, help="Keep every article (default: the relevance rules filter)."
)
@click.option("--articles", default=3, show_default=True, help="How many articles to fetch as a sample.")
@click.option(
    "--write", is_flag=True, help="Append the table to the config file instead of only printing it."
)
@pass_app
def add_source(app: App, url: str, key: str | None, name: str | None, languages: tuple[str, ...],
               always_relevant: bool, articles: int, write: bool) -> None:  # fmt: skip
    """Probe a site (feeds, sitemaps, listing), show what a crawl would store, and draft its [sources.<key>].

    Refuses a site it cannot read, or one with neither a feed nor a sitemap, with the reason.

    \b
    Example:
      newswatch sources add https://timesca.com/
      newswatch sources add https://timesca.com/ --key timesca2 --write
    """
    from crawler.canary import Fetcher
    from crawler.settings import user_agent
    from crawler.subscribe import ProbeError, probe_site, source_toml

    crawl = app.settings.crawl
    fetcher = Fetcher(user_agent(crawl.user_agent, crawl.contact), crawl.download_timeout,
                      crawl.max_response_bytes, crawl.obey_robots)  # fmt: skip
    try:
        probe = probe_site(url, fetcher, max_articles=articles)
    except ProbeError as exc:
        raise click.ClickException(str(exc)) from None
    key = key or probe.key
    if key in {source.key for source in registry_of(app)}:
        raise click.ClickException(f"a source named {key!r} exists already: choose another with --key")
    click.echo(
        f"{probe.url}: {probe.entry_kind} {probe.entry_url} ({probe.home_links} article links on the home page)"
    )
    for article in probe.articles:
        verdict = "relevant" if article.relevant else "filtered out"
        click.echo(f"  {article.title or '(no title)'} | {article.published or 'no date'} | {article.language} | "
                   f"{article.body_chars} chars | {article.extraction} | {verdict}"
                   + (f" | {article.problem}" if article.problem else ""))  # fmt: skip
    table = source_toml(
        probe, key=key, name=name, languages=list(languages) or None, always_relevant=always_relevant
    )
    if not write:
        click.echo("\n" + table, nl=False)
        return
    target = Path(app.config_path or "newswatch.toml")
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    if f"[sources.{key}]" in existing:
        raise click.ClickException(f"{target} already has [sources.{key}]")
    with target.open("a", encoding="utf-8") as out:
        out.write(("\n" if existing and not existing.endswith("\n\n") else "") + table)
    click.echo(f"wrote [sources.{key}] to {target}")
