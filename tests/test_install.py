"""The product as a user installs it: ``pip install .`` (not editable) into a fresh virtualenv,
then ``ddor demo`` from a directory that is not the clone. The demo's mirror must be package
data, not a file the clone happens to have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_a_non_editable_install_runs_the_demo_from_anywhere(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(REPO)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "DDOR_CONFIG")}
    env.pop("PYTHONPATH", None)
    demo = subprocess.run(
        [str(venv / "bin" / "ddor"), "demo", "--stages", "2017-03-20,2017-03-29"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "Travis County, TX — declined 142 → 2" in demo.stdout
    # The installed package, not the clone, served the mirror.
    assert str(REPO) not in demo.stdout + demo.stderr
