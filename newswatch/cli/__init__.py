"""The ``newswatch`` command: a thin layer over the library, one module per command group."""

from __future__ import annotations

import logging
import sys

import click

from newswatch import __version__
from newswatch.cli import (
    alerts_cmds,
    archive,
    cluster_cmds,
    crawl_cmds,
    db,
    serve_cmds,
    sources_cmds,
    tags_cmds,
    web_cmds,
)
from newswatch.cli.common import AppHolder
from newswatch.config import ConfigError
from storage.faults import DATABASE_ERRORS, explain


class NewswatchGroup(click.Group):
    """The command group; a fault of the database (missing, read-only, corrupt, unreachable) becomes
    one line naming the database and the cause (``storage.faults.explain``) instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DATABASE_ERRORS as exc:
            holder = ctx.find_object(AppHolder)
            url = holder.database_url() if holder is not None else ""
            raise click.ClickException(explain(url, exc)) from None


@click.group(
    cls=NewswatchGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="NEWSWATCH_CONFIG",
              help="TOML configuration file (default: ./newswatch.toml if present).")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages to stderr.")
@click.version_option(__version__, prog_name="newswatch")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Watch, archive and search the news about Tajikistan and the OSCE.

    \b
    Examples:
      newswatch db upgrade
      newswatch crawl osce
      newswatch search '"border management" Dushanbe' --since 2024-01-01
      newswatch serve
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    ctx.obj = AppHolder(config_path)
    ctx.call_on_close(ctx.obj.close)


for module in (
    db,
    archive,
    tags_cmds,
    sources_cmds,
    crawl_cmds,
    alerts_cmds,
    serve_cmds,
    cluster_cmds,
    web_cmds,
):
    for command in module.commands:
        cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"newswatch: {exc}", err=True)
        sys.exit(2)
