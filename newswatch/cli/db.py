"""``newswatch db``: schema management."""

from __future__ import annotations

import click

from newswatch.app import App
from newswatch.cli.common import pass_app
from storage.migrate import current_revision, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Manage the archive database."""


@db_group.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Create or migrate the database to the newest schema (safe to run again).

    \b
    Example:
      NEWSWATCH_DATABASE_URL=postgresql+psycopg://me@localhost/newswatch newswatch db upgrade
    """
    app.creating()
    before = current_revision(app.engine)
    upgrade(app.engine)
    after = current_revision(app.engine)
    if before == after:
        click.echo(f"database already at {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after} (head {head_revision()})")


commands = [db_group]
