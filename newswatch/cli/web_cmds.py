"""``newswatch web``: serve the read-only web UI, JSON API and Atom feeds (and the digests' unsubscribe)."""

from __future__ import annotations

import socket
from typing import Any

import click

from crawler.sources import SourceConfigError, load_registry
from newswatch.app import App
from newswatch.cli.common import pass_app


def source_labels(sources_config: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Source key (as stored on articles) → display name, from the crawler's registry and [sources.*]."""
    try:
        registry = load_registry(sources_config)
    except SourceConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return {source.key: source.name for source in registry}


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # before "serving on" is printed: a client that reads it and connects is queued
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


@click.command("web")
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: web.port, 8000; 0 picks a free one and prints it).")  # fmt: skip
@pass_app
def web(app: App, host: str | None, port: int | None) -> None:
    """Serve the archive's web pages, JSON API and Atom feeds (read-only).

    Binds to 127.0.0.1 unless told otherwise; put a reverse proxy in front to publish it and set
    alerts.public_url so feeds carry the public address and digests a one-click unsubscribe link
    (POST /unsubscribe/<token>, the only request that writes). The address is printed on stderr.

    \b
    Example:
      newswatch web
      newswatch web --host 0.0.0.0 --port 8080
      curl 'http://127.0.0.1:8000/api/articles?q=Dushanbe&limit=5'
    """
    settings = app.settings
    host = host or settings.web.host
    port = settings.web.port if port is None else port
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"newswatch web: warning: listening on {host} without authentication: anyone who can reach this "
            "address can read the archive (put it behind a reverse proxy with access control, or use 127.0.0.1)",
            err=True,
        )
    serve_web(app, host, port)


def serve_web(app: App, host: str, port: int) -> None:
    """Serve ``app``'s archive until Ctrl+C (also used by ``newswatch demo --keep``)."""
    import uvicorn

    from newswatch.web import create_app
    from storage.db import make_session_factory
    from storage.faults import writable

    settings = app.settings
    # Read-only storage (a snapshot, a backup) is served too; only the one-click unsubscribe needs to
    # write, and is switched off there.
    engine = app.read_engine
    asgi = create_app(
        make_session_factory(engine),
        sources=source_labels(settings.sources),
        page_size=settings.web.page_size,
        public_url=settings.alerts.public_url,
        write_sessions=app.sessions if writable(settings.database_url) else None,
        reader_zone=settings.display_timezone,
    )
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(f"newswatch web: serving on http://{shown}:{bound_port}/ (Ctrl+C stops)", err=True)
    config = uvicorn.Config(
        asgi, log_level=settings.log_level.lower(), proxy_headers=False, server_header=False
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl+C it shut down on; for us it is the normal way to stop (exit 0)
    finally:
        sock.close()
        engine.dispose()


commands: list[click.Command] = [web]
