"""Pieces every command shares: the lazily built App, output formats, and error wording."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from newswatch.app import App
from newswatch.config import ConfigError
from storage.migrate import SchemaNotCurrentError

F = TypeVar("F", bound=Callable[..., Any])


class AppHolder:
    """Builds the App on first use, so ``--help`` works even with a broken configuration."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._app: App | None = None

    def get(self) -> App:
        if self._app is None:
            try:
                self._app = App.from_config(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._app

    def database_url(self) -> str:
        """The configured database URL for messages ("" when the configuration itself failed)."""
        return self._app.settings.database_url if self._app is not None else ""

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def pass_app(func: F) -> F:
    """Give the command the App as its first argument."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        holder = click.get_current_context().find_object(AppHolder)
        if holder is None:  # invoked outside the group, e.g. in a unit test
            holder = AppHolder(None)
        try:
            return func(holder.get(), *args, **kwargs)
        except SchemaNotCurrentError as exc:  # a read-only command on an old or empty database
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def format_option(*choices: str, default: str | None = None) -> Callable[[F], F]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=default or choices[0], show_default=True,
        help="Output format.",
    )  # fmt: skip


def emit_rows(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str]) -> None:
    """Print rows as an aligned table, a JSON array, CSV or JSON lines."""
    out = sys.stdout
    if fmt == "json":
        json.dump(list(rows), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(_flat(row) for row in rows)
    else:
        click.echo(render_table(rows, columns))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {k: ("; ".join(map(str, v)) if isinstance(v, list | tuple) else v) for k, v in row.items()}


def render_table(rows: Iterable[dict[str, Any]], columns: Sequence[str], max_width: int = 60) -> str:
    cells = [[_cell(row.get(col), max_width) for col in columns] for row in rows]
    widths = [max([len(col)] + [len(r[i]) for r in cells]) for i, col in enumerate(columns)]
    lines = ["  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value: Any, max_width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    text = " ".join(str(value).split())
    return text if len(text) <= max_width else text[: max_width - 1] + "…"


__all__ = ["AppHolder", "ConfigError", "emit_rows", "format_option", "pass_app", "render_table"]
