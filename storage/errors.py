"""Database errors callers may catch, named here so that code outside storage/ never imports SQLAlchemy.

``DatabaseError`` is any error the database driver raised (the server is down, a lock timed out ...);
``IntegrityError`` a constraint refused a write (say, a concurrent writer inserted the same key first);
``OperationalError`` the database could not be reached or used.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError as DatabaseError
from sqlalchemy.exc import IntegrityError, OperationalError

__all__ = ["DatabaseError", "IntegrityError", "OperationalError"]
