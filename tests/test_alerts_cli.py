"""The `subscribers` and `digest` commands, end to end on a SQLite file with .eml delivery."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from click.testing import CliRunner
from test_alerts_support import add_article

from newswatch.cli import cli
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import Subscription


@pytest.fixture
def env(sqlite_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEWSWATCH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("NEWSWATCH_ALERTS__OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("NEWSWATCH_ALERTS__PUBLIC_URL", "https://newswatch.example.org")
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return sqlite_url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _token(url: str, subscription_id: int) -> str:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        token = session.get(Subscription, subscription_id).unsubscribe_token  # type: ignore[union-attr]
    engine.dispose()
    return token


def test_subscribe_list_pause_resume_remove(env) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("subscribers", "add", "Ana@Example.ORG", "--frequency", "immediate", "--query",
                       '"border management"', "--source", "osce", "--lang", "ru", "--tag", "border")  # fmt: skip
    assert code == 0 and "Subscribed Ana@example.org (immediate), subscription id 1." in out
    assert run("subscribers", "add", "ana@example.org", "--format", "json")[0] == 0
    code, _, err = run("subscribers", "add", "ana@example.org")  # the same alert again
    assert code == 1 and "ana@example.org already has this alert (subscription 2, active)" in err
    code, out, _ = run("subscribers", "list", "--format", "json")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["sources"] == ["osce"] and rows[0]["languages"] == ["ru"] and rows[0]["tags"] == ["border"]
    assert run("subscribers", "pause", "1")[1].startswith("Paused subscription 1")
    _, out, _ = run("subscribers", "list", "--format", "csv")
    assert out.splitlines()[1].split(",")[7] == "False"
    assert run("subscribers", "resume", "1")[0] == 0
    token = _token(env, 1)
    assert (
        run("subscribers", "unsubscribe", token)[1]
        == "Unsubscribed Ana@example.org (subscription 1 paused).\n"
    )
    assert "no subscription has this unsubscribe token" in run("subscribers", "unsubscribe", "nope")[2]
    assert run("subscribers", "remove", "2")[0] == 0
    assert [r["id"] for r in json.loads(run("subscribers", "list", "--format", "json")[1])] == [1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["subscribers", "add", "not-an-address"], "is not a valid email address"),
        (["subscribers", "add", "a@example.org\nBcc: b@example.org"], "contains control characters"),
        (["subscribers", "add", "a@example.org", "--frequency", "hourly"], "'hourly' is not one of"),
        (
            ["subscribers", "add", "a@example.org", "--source", "nosuchsource"],
            "unknown source 'nosuchsource'",
        ),
        (["subscribers", "add", "a@example.org", "--query", "-only -excluded"], "the query cannot be used"),
        (["subscribers", "pause", "42"], "there is no subscription with id 42"),
        (["digest", "retry", "42"], "does not exist or has not failed"),
    ],
)
def test_bad_input_gets_a_clear_error_and_no_traceback(env, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*args)
    assert code != 0 and message in out + err
    assert "Traceback" not in out + err
    assert json.loads(run("subscribers", "list", "--format", "json")[1]) == []


def test_preview_then_send_writes_eml_once(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert run("subscribers", "add", "ana@example.org", "--frequency", "daily")[0] == 0
    engine = make_engine(env)
    with session_scope(make_session_factory(engine)) as session:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        add_article(session, "cli", title="OSCE and Tajikistan sign a plan", first_seen_at=later)
    engine.dispose()
    code, out, err = run("digest", "preview", "ana@example.org")
    assert code == 0 and "OSCE and Tajikistan sign a plan" in out and "1 new article on Tajikistan" in err
    code, out, _ = run("digest", "send", "--dry-run", "--format", "json")
    assert json.loads(out) == [
        {"subscription": 1, "email": "ana@example.org", "frequency": "daily", "articles": 1}
    ]
    code, out, err = run("digest", "send", "--frequency", "daily", "--format", "json")
    assert code == 0 and json.loads(out)[0] | {"errors": []} == {
        "queued": 1, "sent": 1, "retried": 0, "failed": 0, "withheld": 0, "errors": []
    }  # fmt: skip
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    message = message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert message["To"] == "ana@example.org" and "/unsubscribe/" in message["List-Unsubscribe"]
    assert json.loads(run("digest", "send", "--format", "json")[1])[0]["queued"] == 0
    code, _, err = run("digest", "preview", "ana@example.org")
    assert code == 0 and "no digest would be sent now" in err
    code, _, err = run("digest", "preview", "bob@example.org")
    assert code == 1 and "bob@example.org has no active subscription" in err  # an unknown address is an error
    rows = json.loads(run("digest", "outbox", "--format", "json")[1])
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)]
