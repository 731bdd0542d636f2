"""The read-only web UI, JSON API and Atom feeds over the archive (``newswatch web``)."""

from newswatch.web.app import create_app
from storage.readonly import make_readonly_engine

__all__ = ["create_app", "make_readonly_engine"]
