"""Property-based tests of the JSON API from its own OpenAPI document (schemathesis).

Whatever the document allows, the API must answer without a server error, with the documented
status codes, content types and response shapes. Examples are bounded so this stays well under a minute.

The schema is loaded from the same function that serves ``/openapi.json`` (checked below), and the
requests go to the ASGI app of a filled archive given per test, because schemathesis' lazy
``from_fixture`` loader does not work with pytest 9 yet.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_web_data import SOURCES, TestClient, fill_archive

from newswatch.web import create_app, make_readonly_engine
from newswatch.web.openapi import openapi_document
from storage.db import make_session_factory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
schema = schemathesis.openapi.from_dict(openapi_document("http://testserver"))


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One filled archive for all generated cases (the app only reads)."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'newswatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    fill_archive(url)
    readonly = make_readonly_engine(url)
    yield create_app(make_session_factory(readonly), sources=SOURCES, page_size=5)
    readonly.dispose()


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.slow  # schemathesis generates many requests
def test_the_api_honours_its_openapi_document(case, web_app) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Starlette's TestClient and anyio's old alias
        case.call_and_validate(app=web_app, checks=CHECKS)


def test_the_served_document_is_the_tested_one(web_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(web_app) as client:
        served = client.get("/openapi.json").json()
    assert served == openapi_document("http://testserver")
    assert served["openapi"].startswith("3.")
    assert set(served["paths"]) == {"/api/articles", "/api/articles/{article_id}", "/api/sources"}
