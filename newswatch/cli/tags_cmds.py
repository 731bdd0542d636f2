"""``newswatch tags``: the tags in the archive, with how many articles carry each, by kind."""

from __future__ import annotations

import click

from newswatch.app import App
from newswatch.cli.common import emit_rows, format_option, pass_app
from storage.tags import TAG_KINDS, tag_counts

TAG_COLUMNS = ["kind", "tag", "articles"]


@click.command("tags")
@click.option(
    "--kind",
    type=click.Choice(TAG_KINDS),
    help="Only OSCE fields of work (topic) or site categories (section).",
)
@format_option("table", "json", "csv")
@pass_app
def tags_cmd(app: App, kind: str | None, fmt: str) -> None:
    """List the tags in the archive with their article counts, most used first.

    A tag is a topic (an OSCE field of work, from our rules or the OSCE page) or a section (the site's
    own category). Filter searches with --tag (either kind), --topic or --section; case, accents and
    hyphens do not matter.

    \b
    Example:
      newswatch tags --kind topic
      newswatch search migration --topic 'Labour migration'
    """
    with app.sessions() as session:
        counts = tag_counts(session, kind)  # type: ignore[arg-type]
    if not counts:
        click.echo("no tags yet", err=True)
    emit_rows([{"kind": k, "tag": t, "articles": n} for k, t, n in counts], fmt, TAG_COLUMNS)


commands: list[click.Command] = [tags_cmd]
