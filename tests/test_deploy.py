"""deploy/install.sh does what the README says, staged under a temporary root (never the machine's /etc)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_install_stages_a_working_service_without_dev_extras(tmp_path: Path) -> None:
    stage = tmp_path / "root"
    run = subprocess.run(["bash", str(ROOT / "deploy" / "install.sh"), "--root", str(stage), "--python",
                          sys.executable], capture_output=True, text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    etc, state, opt = (
        stage / "etc" / "newswatch",
        stage / "var" / "lib" / "newswatch",
        stage / "opt" / "newswatch",
    )

    env_file = etc / "newswatch.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640  # it holds the secrets
    assert f"NEWSWATCH_CONFIG={etc}/newswatch.toml" in env_file.read_text()
    assert f'database_url = "sqlite:///{state}/var/newswatch.db"' in (etc / "newswatch.toml").read_text()
    for unit in ("newswatch.service", "newswatch-web.service"):
        text = (stage / "etc" / "systemd" / "system" / unit).read_text()
        assert f"EnvironmentFile={etc}/newswatch.env" in text and f"{opt}/.venv/bin/newswatch" in text

    # db upgrade ran with the service's settings: the database is where the configuration says
    assert (state / "var" / "newswatch.db").exists()
    # the package and its runtime dependencies, not the dev extras
    freeze = subprocess.run(
        [str(opt / ".venv" / "bin" / "pip"), "freeze"], capture_output=True, text=True
    ).stdout
    assert "newswatch" in freeze and "scrapy" in freeze.lower()
    assert "pytest" not in freeze and "mypy" not in freeze

    # an operator's `newswatch` reads the same configuration as the units
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    status = subprocess.run([str(stage / "usr" / "local" / "bin" / "newswatch"), "status", "--format", "json"],
                            capture_output=True, text=True, env=clean_env, cwd=tmp_path, timeout=120)  # fmt: skip
    assert status.returncode == 0, status.stderr
    assert '"source": "osce"' in status.stdout
    assert not (tmp_path / "var").exists()  # it did not create a database of its own in the shell's folder

    # a second run keeps the site's files and says where the new defaults went
    (etc / "newswatch.env").write_text(env_file.read_text() + "NEWSWATCH_LOG_LEVEL=DEBUG\n")
    again = subprocess.run(["bash", str(ROOT / "deploy" / "install.sh"), "--root", str(stage), "--python",
                            sys.executable], capture_output=True, text=True, timeout=900)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "NEWSWATCH_LOG_LEVEL=DEBUG" in env_file.read_text()
    assert (etc / "newswatch.env.new").exists()
