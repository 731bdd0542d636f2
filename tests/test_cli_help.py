"""Every command explains itself: `--help` works and shows an example (like sqlite-utils' test_docs)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from newswatch.cli import cli


def walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


COMMANDS = [path for path, command in walk(cli) if not isinstance(command, click.Group) or not path]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "newswatch")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`newswatch {' '.join(path)} --help` shows no example"


def test_the_core_commands_exist() -> None:
    names = {" ".join(path) for path, _ in walk(cli)}
    assert {"db upgrade"} <= names
    assert {"crawl", "extract", "serve", "status", "demo", "sources list", "sources check"} <= names
